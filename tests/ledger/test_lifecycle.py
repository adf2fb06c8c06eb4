"""The complete life of claims through the services, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from ledger import accounts as A
from ledger import services as S
from ledger.errors import (
    AlreadyClaimed,
    BudgetExceeded,
    IllegalTransition,
    Invalid,
    PaymentExceedsPayable,
)
from ledger.journal import verify
from ledger.models import Claim, Platform
from ledger.queries import balance, balances_by_state, cap_headroom, trial_balance
from tests.ledger.world import invoices_2023_2025, pay_confirmed, run_to_audited, setup_world

AUDITED = {2023: 1_000_000_00, 2024: 700_000_00, 2025: 250_000_00}  # 1,950,000 → 30% = 585,000


def _check_books(db) -> None:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        rows = trial_balance(s)
        assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
        for view in ("budgetary", "financial", "memorandum"):
            assert sum(r.balance for r in rows if r.view == view) == 0, view
        report = verify(s)
        assert report.ok, report


def test_full_life_two_payers_on_different_days(db) -> None:  # type: ignore[no-untyped-def]
    setup_world(db)
    number = run_to_audited(db, years=AUDITED)
    with db.sessions.begin() as s:
        out = S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="党组会〔2026〕5号",
                        actor="bureau")
        assert out.approved == 585_000_00
        assert out.shares == {"330400": 292_500_00, "330402": 292_500_00}
        notice = S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1),
                                  title="2026年第一批中试平台补助公示", actor="bureau")
    # 4/2, 4/3, (4/4–6 清明), 4/7, 4/8, 4/9: the fifth working day after publication
    assert notice.end_date == date(2026, 4, 9) and notice.provisional is False
    with pytest.raises(IllegalTransition, match="2026-04-09"), db.sessions.begin() as s:
        S.issue_funds(s, claim_number=number, document_number="嘉经信〔2026〕30号", on=date(2026, 4, 9))
    with db.sessions.begin() as s:
        S.issue_funds(s, claim_number=number, document_number="嘉经信〔2026〕30号", on=date(2026, 4, 10),
                      actor="city-finance")
    with db.sessions.begin() as s:
        out = pay_confirmed(s, claim_number=number, payer="330400", voucher_number="SZ-001", on=date(2026, 4, 15),
                    amount_fen=292_500_00, actor="city-finance")
        assert out.state == "issued" and out.remaining == 292_500_00
    with pytest.raises(PaymentExceedsPayable), db.sessions.begin() as s:
        pay_confirmed(s, claim_number=number, payer="330402", voucher_number="NH-001", on=date(2026, 4, 20),
              amount_fen=292_500_01)
    with db.sessions.begin() as s:
        pay_confirmed(s, claim_number=number, payer="330402", voucher_number="NH-001", on=date(2026, 4, 20),
              amount_fen=100_000_00, actor="district-fin")
        out = pay_confirmed(s, claim_number=number, payer="330402", voucher_number="NH-002", on=date(2026, 4, 28),
                    amount_fen=192_500_00, actor="district-fin")
        assert out.state == "paid"
    with db.sessions() as s:
        platform = s.execute(select(Platform)).scalar_one()
        assert -balance(s, [A.EXPENDED], platform_id=platform.id) == 585_000_00
        assert -balance(s, [A.EXPENDED], payer="330402", as_of=date(2026, 4, 21)) == 100_000_00
        assert -balance(s, [A.APPROPRIATION_AVAILABLE], payer="330400", fiscal_year=2026,
                        program="equipment-subsidy") == 3_000_000_00 - 292_500_00
        assert balance(s, [A.SUBSIDY_PAYABLE], claim_id=1) == 0
        # memorandum accounts are empty for a claim past fund issue
        memo = [A.MEMO_FILED, A.MEMO_ECON_REVIEWED, A.MEMO_DISTRICT_REVIEWED, A.MEMO_AUDITED, A.MEMO_IN_NOTICE]
        assert balance(s, memo, claim_id=1) == 0
        assert balances_by_state(s, as_of=date(2026, 4, 5))["in_notice"] == 585_000_00
        assert balances_by_state(s, as_of=date(2026, 4, 12), payer="330402")["obligated"] == 292_500_00
        assert balances_by_state(s, as_of=date(2026, 3, 21))["audited"] == 585_000_00
        assert balances_by_state(s, as_of=date(2026, 3, 2))["filed"] == 600_000_00  # requested on filed invoices
        head = cap_headroom(s, "P1", "equipment-subsidy", date(2026, 12, 31))
        assert (head.cap, head.committed, head.headroom) == (5_000_000_00, 585_000_00, 4_415_000_00)
        assert cap_headroom(s, "P1", "equipment-subsidy", date(2026, 3, 24)).committed == 0
    _check_books(db)


def test_illegal_moves_are_refused_with_the_rule(db) -> None:  # type: ignore[no-untyped-def]
    setup_world(db)
    with db.sessions.begin() as s:
        number = S.file_claim(s, platform_code="P1", program="equipment-subsidy", application_date=date(2026, 3, 2),
                              invoices=invoices_2023_2025(), actor="clerk").claim
    with pytest.raises(IllegalTransition, match="“党组会审定”须在申请为“已审计”时办理"), db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="x", actor="bureau")
    with pytest.raises(IllegalTransition, match="“资金下达”须在申请为“公示中”时办理"), db.sessions.begin() as s:
        S.issue_funds(s, claim_number=number, document_number="d", on=date(2026, 4, 10))
    with pytest.raises(IllegalTransition, match="“拨付制单”须在申请为“已下达”时办理"), db.sessions.begin() as s:
        pay_confirmed(s, claim_number=number, payer="330400", voucher_number="v", on=date(2026, 4, 10), amount_fen=1)
    with pytest.raises(IllegalTransition, match="“区级财政部门审核通过”须在申请为“区经信已审核”时办理"), db.sessions.begin() as s:
        S.review(s, claim_number=number, department="finance", approve=True, opinion="同意", on=date(2026, 3, 3))
    with db.sessions() as s:
        assert s.execute(select(Claim.state)).scalar_one() == "filed"
    _check_books(db)


def test_maker_checker_and_lower_approval_needs_reason(db) -> None:  # type: ignore[no-untyped-def]
    setup_world(db)
    number = run_to_audited(db, years=AUDITED)
    with pytest.raises(IllegalTransition, match=r"不得再录入其党组会审定.*经办与复核分离"), db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="clerk")
    with pytest.raises(Invalid, match="不得高于计算应付数"), db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m",
                  approved_fen=585_000_01, actor="bureau")
    with pytest.raises(Invalid, match="reason"), db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m",
                  approved_fen=500_000_00, actor="bureau")
    with db.sessions.begin() as s:
        out = S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m",
                        approved_fen=500_000_01, reason="部分设备与中试无关", actor="bureau")
    assert out.shares == {"330400": 250_000_00, "330402": 250_000_01}  # city floor, district the odd fen
    _check_books(db)


def test_objection_upheld_reverses_the_approval_and_releases_invoices(db) -> None:  # type: ignore[no-untyped-def]
    setup_world(db)
    number = run_to_audited(db, years=AUDITED)
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示")
    with pytest.raises(IllegalTransition, match="不在公示期"), db.sessions.begin() as s:
        S.file_objection(s, claim_number=number, filed=date(2026, 4, 10), content="迟到的异议")
    with db.sessions.begin() as s:
        obj = S.file_objection(s, claim_number=number, filed=date(2026, 4, 3), objector="某公司",
                               content="设备发票疑似重复")
    with pytest.raises(IllegalTransition, match="尚未处理的异议"), db.sessions.begin() as s:
        S.issue_funds(s, claim_number=number, document_number="d", on=date(2026, 4, 10))
    with db.sessions() as s:
        committed_before = S.committed(s, 1, "equipment-subsidy")
    assert committed_before == 585_000_00
    with db.sessions.begin() as s:
        out = S.resolve_objection(s, objection_id=obj.objection, upheld=True, on=date(2026, 4, 8),
                                  resolution="经核实异议成立")
    assert out.state == "reversed"
    with db.sessions() as s:
        assert S.committed(s, 1, "equipment-subsidy") == 0
        assert S.available_budget(s, "330400", 2026, "equipment-subsidy") == 3_000_000_00
    # the invoices and years are free again: a corrected claim can be filed
    with db.sessions.begin() as s:
        again = S.file_claim(s, platform_code="P1", program="equipment-subsidy", application_date=date(2026, 4, 20),
                             invoices=invoices_2023_2025(), actor="clerk")
    assert again.result.years == (2023, 2024, 2025)
    _check_books(db)


def test_objection_dismissed_lets_the_claim_proceed(db) -> None:  # type: ignore[no-untyped-def]
    setup_world(db)
    number = run_to_audited(db, years=AUDITED)
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示")
        obj = S.file_objection(s, claim_number=number, filed=date(2026, 4, 2), content="质疑")
        S.resolve_objection(s, objection_id=obj.objection, upheld=False, on=date(2026, 4, 7),
                            resolution="经核实异议不成立")
        out = S.issue_funds(s, claim_number=number, document_number="嘉经信〔2026〕31号", on=date(2026, 4, 10))
    assert out.state == "issued"
    _check_books(db)


def test_duplicate_invoice_and_budget_control(db) -> None:  # type: ignore[no-untyped-def]
    setup_world(db, budget_fen=200_000_00)
    with db.sessions.begin() as s:
        S.create_platform(s, code="P2", name="另一平台", jurisdiction="330402")
        S.add_platform_event(s, "P2", kind="recognition", on=date(2026, 2, 11), level="provincial")
    number = run_to_audited(db, years=AUDITED)
    with pytest.raises(AlreadyClaimed, match="只申报一次"), db.sessions.begin() as s:
        S.file_claim(s, platform_code="P2", program="equipment-subsidy", application_date=date(2026, 3, 3),
                     invoices=invoices_2023_2025()[:1])
    with pytest.raises(BudgetExceeded, match="预算可用"), db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
    with db.sessions() as s:
        assert s.execute(select(Claim.state).where(Claim.number == number)).scalar_one() == "audited"
    _check_books(db)


def test_upgrade_between_claims_raises_the_cap_and_recovery_is_a_receivable(db) -> None:  # type: ignore[no-untyped-def]
    setup_world(db)
    number = run_to_audited(db, years={2023: 6_000_000_00, 2024: 6_000_000_00, 2025: 6_000_000_00})
    with db.sessions.begin() as s:
        out = S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
    assert out.approved == 5_000_000_00  # 30% of 18,000,000 = 5,400,000, clipped at the provincial cap
    with db.sessions.begin() as s:
        S.add_platform_event(s, "P1", kind="recognition", on=date(2026, 9, 1), level="national",
                             document_number="工信部〔2026〕99号")
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示")
        S.issue_funds(s, claim_number=number, document_number="d1", on=date(2026, 4, 10))
        pay_confirmed(s, claim_number=number, payer="330400", voucher_number="v1", on=date(2026, 4, 15),
              amount_fen=2_500_000_00)
    second = run_to_audited(db, years={2026: 20_000_000_00}, filed=date(2027, 3, 2), invoices=[])
    with db.sessions.begin() as s:
        out = S.approve(s, claim_number=second, meeting_date=date(2027, 3, 25), minutes_number="m2", actor="bureau")
    assert out.approved == 5_000_000_00  # national cap 10,000,000 less the 5,000,000 already committed
    with db.sessions() as s:
        head = cap_headroom(s, "P1", "equipment-subsidy", date(2027, 12, 31))
        assert (head.level, head.cap, head.headroom) == ("national", 10_000_000_00, 0)
    with db.sessions.begin() as s:
        rec = S.recover(s, claim_number=number, payer="330400", amount_fen=1_000_000_00, on=date(2026, 6, 1),
                        document_number="追回〔2026〕1号", reason="部分发票虚假")
        assert rec.state == "recovered"
        assert balance(s, [A.RECOVERY_RECEIVABLE], payer="330400") == 1_000_000_00
    with pytest.raises(Invalid, match="超过尚可追回"), db.sessions.begin() as s:
        S.recover(s, claim_number=number, payer="330400", amount_fen=1_500_000_01, on=date(2026, 6, 2), reason="x")
    _check_books(db)


def test_payment_recorded_in_error_is_reversed_not_deleted(db) -> None:  # type: ignore[no-untyped-def]
    setup_world(db)
    number = run_to_audited(db, years=AUDITED)
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示")
        S.issue_funds(s, claim_number=number, document_number="d", on=date(2026, 4, 10))
        pay_confirmed(s, claim_number=number, payer="330400", voucher_number="v1", on=date(2026, 4, 15), amount_fen=292_500_00)
        pay_confirmed(s, claim_number=number, payer="330402", voucher_number="v2", on=date(2026, 4, 15), amount_fen=292_500_00)
    with db.sessions.begin() as s:
        out = S.reverse_payment(s, payment_id=2, on=date(2026, 4, 16), reason="付款账户错误")
    assert out.state == "issued"
    with db.sessions() as s:
        assert S.payable_to(s, s.get(Claim, 1), "330402") == 292_500_00  # type: ignore[arg-type]
    _check_books(db)
