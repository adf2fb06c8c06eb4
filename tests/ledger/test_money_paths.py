"""The ledger's money paths to the leg and to the fen: every entry of a claim's life (approval lower than
computed, notice, fund issue, partial and reversed payments, recovery and its receipt) with its accounts,
amounts and dimensions, what each call returns, and the bounds of each amount (one fen either side).

Expected legs follow docs/posting-rules.md; amounts are worked by hand from the audited figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from ledger import accounts as A
from ledger import services as S
from ledger.errors import (
    BudgetExceeded,
    CapExceeded,
    IllegalTransition,
    Invalid,
    JournalIntegrityError,
    LedgerError,
    NotFound,
    PaymentExceedsPayable,
)
from ledger.journal import (
    CHART_RULE,
    DOUBLE_ENTRY,
    PARALLEL_VIEWS,
    REVERSAL_RULE,
    Leg,
    debit_credit,
    legs_of,
    post,
    reverse,
    verify,
)
from ledger.models import Budget, ClaimEvent, JournalEntry, Recovery
from ledger.outcomes import (
    Approved,
    ClaimState,
    ClaimStep,
    FundsIssued,
    NoticePublished,
    PaymentMade,
    ReceiptRecorded,
)
from ledger.projections import RECEIPT_ACTION
from ledger.queries import Headroom, balance, cap_headroom
from tests.ledger.world import pay_confirmed, run_to_audited, setup_world

AUDITED = {2023: 1_000_000_00, 2024: 700_000_00, 2025: 250_000_00}  # 1,950,000 × 30% = 585,000.00
APPROVED = 584_999_99  # one fen less, with a reason: the city's half is rounded down (细则 第五章)
CITY, NANHU = "330400", "330402"
CITY_SHARE, NANHU_SHARE = 292_499_99, 292_500_00
EQ = "equipment-subsidy"


@dataclass(frozen=True)
class Entry:
    kind: str
    description: str
    legs: list[tuple[str, int, str | None, int | None]]  # account, fen, payer, fiscal year
    reverses: int | None = None


def _claim_legs(s: Any, entry_id: int) -> list[tuple[str, int, str | None, int | None]]:
    legs = legs_of(s, entry_id)
    assert {(leg.platform_id, leg.program, leg.claim_id) for leg in legs} == {(1, EQ, 1)}, legs
    return [(leg.account, leg.amount, leg.payer, leg.fiscal_year) for leg in legs]


def _share_legs(debit: str, credit: str, city: int, nanhu: int) -> list[tuple[str, int, str | None, int | None]]:
    return [(debit, city, CITY, 2026), (credit, -city, CITY, 2026), (debit, nanhu, NANHU, 2026),
            (credit, -nanhu, NANHU, 2026)]


def _life(db: Any) -> tuple[str, list[dict[str, Any]]]:
    setup_world(db, years=(2026,))
    number = run_to_audited(db, years=AUDITED)
    with db.sessions.begin() as s:
        outs = [
            S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m5",
                      approved_fen=APPROVED, reason="核减", actor="bureau"),
            S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示"),
            S.issue_funds(s, claim_number=number, document_number="d30", on=date(2026, 4, 10)),
            pay_confirmed(s, claim_number=number, payer=CITY, voucher_number="v1", on=date(2026, 4, 15),
                  amount_fen=100_000_00),
            pay_confirmed(s, claim_number=number, payer=NANHU, voucher_number="v2", on=date(2026, 4, 16),
                  amount_fen=NANHU_SHARE),
            S.reverse_payment(s, payment_id=1, on=date(2026, 4, 17), reason="付款账户错误"),
            pay_confirmed(s, claim_number=number, payer=CITY, voucher_number="v3", on=date(2026, 4, 18),
                  amount_fen=CITY_SHARE),
            S.recover(s, claim_number=number, payer=NANHU, amount_fen=50_000_00, on=date(2026, 6, 1),
                      document_number="追1", reason="虚假"),
            S.receive_recovery(s, recovery_id=1, amount_fen=20_000_00, on=date(2026, 6, 5)),
        ]
    return number, outs


def test_every_entry_of_a_claims_money_life(db: Any) -> None:
    number, outs = _life(db)
    st = ClaimState
    shares = {CITY: 292_499_99, NANHU: 292_500_00}
    assert outs[0] == Approved(claim=number, state=st.APPROVED, entry=9, approved=584_999_99, shares=shares)
    assert outs[1] == NoticePublished(notice=1, end_date=date(2026, 4, 9), provisional=False, claims=(number,),
                                      entries=(10,))
    assert outs[2] == FundsIssued(claim=number, state=st.ISSUED, entry=11, shares=shares)
    assert outs[3] == PaymentMade(payment=1, claim=number, state=st.ISSUED, entry=12, remaining=484_999_99,
                                  outstanding_for_payer=192_499_99, confirmed=True)
    assert outs[4] == PaymentMade(payment=2, claim=number, state=st.ISSUED, entry=13, remaining=192_499_99,
                                  outstanding_for_payer=0, confirmed=True)
    assert outs[5] == ClaimStep(claim=number, state=st.ISSUED, entry=14)
    assert outs[6] == PaymentMade(payment=3, claim=number, state=st.PAID, entry=15, remaining=0, outstanding_for_payer=0,
                                  confirmed=True)
    assert outs[7] == ClaimStep(claim=number, state=st.RECOVERED, entry=16)
    assert outs[8] == ReceiptRecorded(recovery=1, received=20_000_00, entry=17)
    want = {
        9: Entry("approve", f"{number} 党组会审定（m5）584999.99 元",
                 [(A.MEMO_CONTRA, 585_000_00, None, None), (A.MEMO_AUDITED, -585_000_00, None, None),
                  *_share_legs(A.APPROPRIATION_AVAILABLE, A.COMMITTED, CITY_SHARE, NANHU_SHARE)]),
        10: Entry("notice", f"{number} 公示（公示，2026-04-01—2026-04-09）",
                  [(A.MEMO_IN_NOTICE, APPROVED, None, None), (A.MEMO_CONTRA, -APPROVED, None, None)]),
        11: Entry("issue", f"{number} 下达资金（d30）",
                  [(A.MEMO_CONTRA, APPROVED, None, None), (A.MEMO_IN_NOTICE, -APPROVED, None, None),
                   (A.COMMITTED, CITY_SHARE, CITY, 2026), (A.OBLIGATED, -CITY_SHARE, CITY, 2026),
                   (A.SUBSIDY_EXPENSE, CITY_SHARE, CITY, 2026), (A.SUBSIDY_PAYABLE, -CITY_SHARE, CITY, 2026),
                   (A.COMMITTED, NANHU_SHARE, NANHU, 2026), (A.OBLIGATED, -NANHU_SHARE, NANHU, 2026),
                   (A.SUBSIDY_EXPENSE, NANHU_SHARE, NANHU, 2026),
                   (A.SUBSIDY_PAYABLE, -NANHU_SHARE, NANHU, 2026)]),
        12: Entry("payment", f"{number} {CITY} 拨付（v1）100000.00 元", _pay_legs(CITY, 100_000_00)),
        13: Entry("payment", f"{number} {NANHU} 拨付（v2）292500.00 元", _pay_legs(NANHU, NANHU_SHARE)),
        14: Entry("reversal", "冲销第12号凭证：付款账户错误",
                  [(a, -fen, p, y) for a, fen, p, y in _pay_legs(CITY, 100_000_00)], reverses=12),
        15: Entry("payment", f"{number} {CITY} 拨付（v3）292499.99 元", _pay_legs(CITY, CITY_SHARE)),
        16: Entry("recovery", f"{number} 追回（追1）50000.00 元：虚假",
                  [(A.RECOVERY_RECEIVABLE, 50_000_00, NANHU, 2026), (A.SUBSIDY_EXPENSE, -50_000_00, NANHU, 2026)]),
        17: Entry("recovery-receipt", f"{number} 追回款到账 20000.00 元",
                  [(A.TREASURY, 20_000_00, NANHU, 2026), (A.RECOVERY_RECEIVABLE, -20_000_00, NANHU, 2026)]),
    }
    with db.sessions() as s:
        entries = {e.id: e for e in s.execute(select(JournalEntry).where(JournalEntry.id >= 9)).scalars()}
        assert sorted(entries) == sorted(want)
        for entry_id, entry in want.items():
            got = entries[entry_id]
            assert (got.kind, got.description, got.reverses_id, got.claim_id) == (
                entry.kind, entry.description, entry.reverses, 1), entry_id
            assert _claim_legs(s, entry_id) == entry.legs, entry_id
        # what stands where afterwards, per payer and fiscal year
        assert -balance(s, [A.EXPENDED], payer=CITY, fiscal_year=2026) == CITY_SHARE
        assert -balance(s, [A.EXPENDED], payer=NANHU, fiscal_year=2026) == NANHU_SHARE
        assert balance(s, [A.OBLIGATED], claim_id=1) == 0
        assert balance(s, [A.RECOVERY_RECEIVABLE], payer=NANHU, fiscal_year=2026) == 30_000_00
        assert -balance(s, [A.APPROPRIATION_AVAILABLE], payer=CITY, fiscal_year=2026, program=EQ) == (
            3_000_000_00 - CITY_SHARE)
        assert S.available_budget(s, CITY, 2026, EQ) == 3_000_000_00 - CITY_SHARE
        assert S.available_budget(s, NANHU, 2026, EQ) == 3_000_000_00 - NANHU_SHARE
        assert S.available_budget(s, NANHU, 2027, EQ) == 0
        assert S.committed(s, 1, EQ) == APPROVED and S.committed(s, 1, "municipal-award") == 0
        assert verify(s).ok


def _pay_legs(payer: str, fen: int) -> list[tuple[str, int, str | None, int | None]]:
    return [(A.OBLIGATED, fen, payer, 2026), (A.EXPENDED, -fen, payer, 2026),
            (A.SUBSIDY_PAYABLE, fen, payer, 2026), (A.TREASURY, -fen, payer, 2026)]


def _issued(db: Any, *, budget_fen: int = 300_000_000) -> str:
    setup_world(db, years=(2026,), budget_fen=budget_fen)
    number = run_to_audited(db, years=AUDITED)
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示")
        S.issue_funds(s, claim_number=number, document_number="d", on=date(2026, 4, 10))
    return number


def _refused(db: Any, error: type[Exception], match: str, fn: Any, **kw: Any) -> dict[str, Any]:
    """``fn`` is refused with ``error`` naming ``match``, and the journal is unchanged; the refusal's
    field, rule, message and details."""
    with db.sessions() as s:
        before = s.execute(select(JournalEntry.id).order_by(JournalEntry.id.desc())).scalars().first()
    with pytest.raises(error, match=match) as refusal, db.sessions.begin() as s:
        fn(s, **kw)
    with db.sessions() as s:
        assert s.execute(select(JournalEntry.id).order_by(JournalEntry.id.desc())).scalars().first() == before
    found = refusal.value
    return found.to_dict() if isinstance(found, LedgerError) else {}


def test_payment_bounds(db: Any) -> None:
    number = _issued(db)  # 585,000.00: 292,500.00 each
    pay = {"claim_number": number, "payer": CITY, "on": date(2026, 4, 15)}
    _refused(db, Invalid, "须大于 0", S.pay, **pay, voucher_number="v0", amount_fen=0)
    _refused(db, Invalid, "须大于 0", S.pay, **pay, voucher_number="v0", amount_fen=-1)
    _refused(db, Invalid, "拨付凭证号为必填", S.pay, **pay, voucher_number=" ", amount_fen=1)
    _refused(db, PaymentExceedsPayable, "拨付不得超过", S.pay, **pay, voucher_number="v0", amount_fen=292_500_01)
    _refused(db, Invalid, "早于资金下达日期", S.pay, claim_number=number, payer=CITY,
             on=date(2026, 4, 9), voucher_number="v0", amount_fen=1)
    with db.sessions.begin() as s:
        out = pay_confirmed(s, **pay, voucher_number="v1", amount_fen=100_00)
    assert (out.state, out.remaining, out.outstanding_for_payer) == ("issued", 584_900_00, 292_400_00)
    _refused(db, Invalid, "已登记", S.pay, **pay, voucher_number="v1", amount_fen=1)
    with db.sessions.begin() as s:
        out = pay_confirmed(s, **pay, voucher_number="v2", amount_fen=292_400_00)  # exactly what is outstanding
    assert (out.state, out.remaining, out.outstanding_for_payer) == ("issued", 292_500_00, 0)
    _refused(db, PaymentExceedsPayable, "拨付不得超过", S.pay, **pay, voucher_number="v3", amount_fen=1)
    with db.sessions.begin() as s:
        out = pay_confirmed(s, claim_number=number, payer=NANHU, on=date(2026, 4, 15), voucher_number="v1",
                    amount_fen=292_500_00)  # the same voucher text for another payer
    assert (out.state, out.remaining) == ("paid", 0)
    _refused(db, IllegalTransition, "须在申请为“已下达”时办理", S.pay, **pay, voucher_number="v9", amount_fen=1)


def test_recovery_bounds_and_receipt(db: Any) -> None:
    number = _issued(db)
    with db.sessions.begin() as s:
        pay_confirmed(s, claim_number=number, payer=NANHU, voucher_number="v", on=date(2026, 4, 15), amount_fen=100_000_00)
    rec = {"claim_number": number, "payer": NANHU, "on": date(2026, 5, 1)}
    assert _refused(db, Invalid, "须大于 0", S.recover, **rec, amount_fen=0, reason="虚假") == {
        "field": "amount", "rule": "追回金额为正数", "message": "追回金额须大于 0，收到 0.00 元；请填写应追回的金额"}
    _refused(db, Invalid, "追回原因为必填", S.recover, **rec, amount_fen=1, reason=" ")
    _refused(db, Invalid, "超过尚可追回", S.recover, **rec, amount_fen=100_000_01, reason="虚假")
    assert _refused(db, Invalid, "超过尚可追回", S.recover, claim_number=number, payer=CITY,
                    on=date(2026, 5, 1), amount_fen=1, reason="虚假") == {  # the city paid nothing yet
        "field": "amount", "rule": "追回不得超过已拨付金额",
        "message": "330400 已拨付 0.00 元，已追回 0.00 元，本次追回 0.01 元 超过尚可追回的 0.00 元；请更正追回金额"}
    assert _refused(db, Invalid, "追回原因为必填", S.recover, **rec, amount_fen=1) == {
        "field": "reason", "rule": "追回须说明原因", "message": "追回原因为必填；请填写追回原因"}  # none given
    with db.sessions.begin() as s:
        S.recover(s, **rec, amount_fen=40_000_00, reason="虚假")
        S.recover(s, **rec, amount_fen=60_000_00, reason="虚假")  # exactly what remains
    with db.sessions() as s:  # no document number or actor given: none recorded
        recovery = s.get(Recovery, 1)
        assert recovery is not None and (recovery.document_number, recovery.reason) == ("", "虚假")
        entry = s.execute(select(JournalEntry).where(JournalEntry.kind == "recovery")).scalars().first()
        assert entry is not None and (entry.actor, entry.description) == ("", f"{number} 追回（）40000.00 元：虚假")
    _refused(db, Invalid, "超过尚可追回", S.recover, **rec, amount_fen=1, reason="虚假")
    with pytest.raises(NotFound) as missing, db.sessions.begin() as s:
        S.receive_recovery(s, recovery_id=9, amount_fen=1, on=date(2026, 6, 1))
    assert missing.value.to_dict() == {"field": "recovery", "rule": "追回", "message": "追回第 9 号不存在；请核对追回编号"}
    for bad in (0, -1, 40_000_01):
        _refused(db, Invalid, "收回不得超过应收", S.receive_recovery, recovery_id=1, amount_fen=bad,
                 on=date(2026, 6, 1))
    with pytest.raises(Invalid) as outside, db.sessions.begin() as s:
        S.receive_recovery(s, recovery_id=1, amount_fen=40_000_01, on=date(2026, 6, 1))
    assert outside.value.to_dict() == {
        "field": "amount", "rule": "收回不得超过应收", "outstanding": "40000.00",
        "message": f"追回#1（{number}，{NANHU}）应收 40000.00 元，已到账 0.00 元，尚欠 40000.00 元；"
                   "到账金额 40000.01 元须大于 0 且不超过尚欠金额"}
    with db.sessions.begin() as s:
        assert S.receive_recovery(s, recovery_id=1, amount_fen=39_999_99, on=date(2026, 6, 1)).received == 39_999_99
        assert S.receive_recovery(s, recovery_id=1, amount_fen=1, on=date(2026, 6, 2), actor="fin").received == 40_000_00
    with db.sessions() as s:
        receipts = s.execute(select(JournalEntry).where(JournalEntry.kind == "recovery-receipt")
                             .order_by(JournalEntry.id)).scalars().all()
        assert [(e.actor, e.description, e.entry_date) for e in receipts] == [
            ("", f"{number} 追回款到账 39999.99 元", date(2026, 6, 1)), ("fin", f"{number} 追回款到账 0.01 元", date(2026, 6, 2))]
        # each receipt's claim event ties its entry to the recovery row (ledger/projections.py)
        events = s.execute(select(ClaimEvent).where(ClaimEvent.action == RECEIPT_ACTION)
                           .order_by(ClaimEvent.id)).scalars().all()
        assert [(e.from_state, e.to_state, e.date, e.actor, e.entry_id, e.note) for e in events] == [
            ("recovered", "recovered", date(2026, 6, 1), "", receipts[0].id, "追回#1"),
            ("recovered", "recovered", date(2026, 6, 2), "fin", receipts[1].id, "追回#1")]
    _refused(db, Invalid, "收回不得超过应收", S.receive_recovery, recovery_id=1, amount_fen=1, on=date(2026, 6, 3))
    with db.sessions() as s:
        assert balance(s, [A.RECOVERY_RECEIVABLE], payer=NANHU) == 60_000_00
        assert balance(s, [A.RECOVERY_RECEIVABLE], payer=NANHU, fiscal_year=2026) == 60_000_00


def test_a_receipt_is_dated_after_its_recovery_and_its_own_earlier_receipts(db: Any) -> None:
    """追回款到账 follows its own recovery (追回日期) and that recovery's latest receipt, not another recovery's:
    each refusal whole, naming the step it follows."""
    number = _issued(db)
    with db.sessions.begin() as s:
        for payer, voucher in ((NANHU, "v"), (CITY, "c")):
            pay_confirmed(s, claim_number=number, payer=payer, voucher_number=voucher, on=date(2026, 4, 15),
                          amount_fen=100_000_00)
        for payer in (NANHU, CITY):  # recovery 1 (NANHU), recovery 2 (CITY), both on 5月1日
            S.recover(s, claim_number=number, payer=payer, on=date(2026, 5, 1), amount_fen=40_000_00, reason="虚假")

    def early(on: date, previous: date, title: str) -> dict[str, str]:
        return {"field": "on", "rule": S.DATE_RULE, "previous": previous.isoformat(),
                "message": f"追回款到账日期 {on} 早于{title} {previous}：每一步不得早于前一步（经办流程）"}

    receipt = {"recovery_id": 1, "amount_fen": 1_00}
    assert _refused(db, Invalid, "早于追回日期", S.receive_recovery, **receipt, on=date(2026, 4, 30)) == early(
        date(2026, 4, 30), date(2026, 5, 1), "追回日期")
    with db.sessions.begin() as s:  # the day of the recovery itself
        S.receive_recovery(s, **receipt, on=date(2026, 5, 1))
    # a receipt on the recovery's own day: the floor is still named as the recovery
    assert _refused(db, Invalid, "早于追回日期", S.receive_recovery, **receipt, on=date(2026, 4, 30)) == early(
        date(2026, 4, 30), date(2026, 5, 1), "追回日期")
    with db.sessions.begin() as s:
        S.receive_recovery(s, **receipt, on=date(2026, 5, 10))
    assert _refused(db, Invalid, "早于追回款到账日期", S.receive_recovery, **receipt, on=date(2026, 5, 5)) == early(
        date(2026, 5, 5), date(2026, 5, 10), "追回款到账日期")
    with db.sessions.begin() as s:  # recovery 2 follows its own dates, not recovery 1's receipts
        assert S.receive_recovery(s, recovery_id=2, amount_fen=1_00, on=date(2026, 5, 5)).received == 1_00
        assert S.receive_recovery(s, **receipt, on=date(2026, 5, 10)).received == 3_00  # the same day again


def test_a_recovery_is_dated_after_the_payment_and_recorded_in_the_history(db: Any) -> None:
    number = _issued(db)
    with db.sessions.begin() as s:
        pay_confirmed(s, claim_number=number, payer=NANHU, voucher_number="v", on=date(2026, 4, 15), amount_fen=10_00)
    rec = {"claim_number": number, "payer": NANHU, "amount_fen": 10_00, "reason": "虚假", "actor": "fin"}
    assert _refused(db, Invalid, "早于", S.recover, **rec, on=date(2026, 4, 14)) == {
        "field": "on", "rule": S.DATE_RULE, "previous": "2026-04-15",
        "message": "追回日期 2026-04-14 早于拨付复核日期 2026-04-15：每一步不得早于前一步（经办流程）"}
    with db.sessions.begin() as s:
        out = S.recover(s, **rec, on=date(2026, 4, 15), document_number="追1")
    assert out == ClaimStep(claim=number, state=ClaimState.RECOVERED, entry=13)
    with db.sessions() as s:
        event = s.execute(select(ClaimEvent).order_by(ClaimEvent.id.desc())).scalars().first()
        assert event is not None
        assert (event.from_state, event.to_state, event.action, event.date, event.actor, event.entry_id, event.note) == (
            "issued", "recovered", "recover", date(2026, 4, 15), "fin", 13, "虚假")
        recovery = s.get(Recovery, 1)
        assert recovery is not None and (recovery.payer_code, recovery.date, recovery.amount_fen,
                                         recovery.document_number, recovery.reason) == (
            NANHU, date(2026, 4, 15), 10_00, "追1", "虚假")
        entry = s.get(JournalEntry, 13)  # the receivable's entry names who recorded it and the document
        assert entry is not None and (entry.kind, entry.actor, entry.description) == (
            "recovery", "fin", f"{number} 追回（追1）10.00 元：虚假")


def test_a_recovery_before_the_funds_are_issued_is_refused_by_the_procedure(db: Any) -> None:
    setup_world(db, years=(2026,))
    number = run_to_audited(db, years=AUDITED)
    refusal = _refused(db, IllegalTransition, "追回", S.recover, claim_number=number, payer=NANHU,
                       amount_fen=1, on=date(2026, 5, 1), reason="虚假")
    assert refusal == {
        "field": "state", "rule": f"{S.PROCEDURE}：细则 第五章：弄虚作假骗取财政资金的，追回已拨付资金",
        "state": "audited",
        "message": f"申请 {number} 现为“已审计”；“追回”须在申请为“已下达”或“已拨付”或“已追回”时办理（设备投入补助办理流程）"}


def _two_claims_noticed(db: Any) -> list[str]:
    """Two platforms' claims (P1, P2 in 南湖区), each 585,000.00 approved 2026-03-25 (entries 13, 14), noticed
    together 2026-04-01 to 04-09 (entries 15, 16)."""
    setup_world(db, years=(2026,))
    with db.sessions.begin() as s:
        S.create_platform(s, code="P2", name="平台2", jurisdiction=NANHU)
        S.add_platform_event(s, "P2", kind="recognition", on=date(2026, 2, 10), level="provincial")
    claims = [run_to_audited(db, years=AUDITED), run_to_audited(db, code="P2", years=AUDITED, invoices=[])]
    with db.sessions.begin() as s:
        for number in claims:
            S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
        S.publish_notice(s, claim_numbers=claims, publication_date=date(2026, 4, 1), title="公示")
    return claims


def _two_claims_issued(db: Any) -> list[str]:
    """Two platforms' claims (P1, P2 in 南湖区), each 585,000.00 approved 2026-03-25 and issued 2026-04-10."""
    claims = _two_claims_noticed(db)
    with db.sessions.begin() as s:
        for number in claims:
            S.issue_funds(s, claim_number=number, document_number="d", on=date(2026, 4, 10))
    return claims


def test_what_a_receipt_may_settle_is_read_per_claim_and_payer(db: Any) -> None:
    """A receivable reversed in the journal is no longer due, whatever its recovery row says; the same
    payer's receivable on another claim and another payer's on the same claim do not make it due. With two
    platforms committed, each one's cap position (``cap_headroom``) counts its own commitments only."""
    claims = _two_claims_issued(db)
    with db.sessions.begin() as s:
        for number in claims:
            for payer in (NANHU, CITY):
                pay_confirmed(s, claim_number=number, payer=payer, voucher_number=f"v{number}", on=date(2026, 4, 15),
                      amount_fen=100_000_00)
            for payer in (NANHU, CITY):
                S.recover(s, claim_number=number, payer=payer, amount_fen=40_000_00, on=date(2026, 5, 1),
                          reason="虚假")
        recovery_entry = s.execute(select(JournalEntry.id).where(JournalEntry.kind == "recovery")
                                   .order_by(JournalEntry.id)).scalars().first()  # the first claim's, from 南湖区
        assert recovery_entry is not None
        reverse(s, recovery_entry, entry_date=date(2026, 6, 1), reason="追回决定撤销")
    with db.sessions() as s:  # each platform's cap position counts its own commitments only
        assert [cap_headroom(s, code, EQ, date(2026, 3, 25)) for code in ("P1", "P2")] == [
            Headroom(code, EQ, "provincial", 5_000_000_00, 585_000_00, 4_415_000_00, date(2026, 3, 25))
            for code in ("P1", "P2")]
    refusal = _refused(db, Invalid, "收回不得超过应收", S.receive_recovery, recovery_id=1, amount_fen=1,
                       on=date(2026, 6, 2))
    assert (refusal["field"], refusal["outstanding"]) == ("amount", "0.00")
    with db.sessions.begin() as s:  # the others stay due in full
        assert [S.receive_recovery(s, recovery_id=r, amount_fen=40_000_00, on=date(2026, 6, 2)).received
                for r in (2, 3, 4)] == [40_000_00] * 3
    # what may still be recovered is read per claim and payer too: 南湖区 paid 100,000.00 on the first
    # claim and its recovery order of 40,000.00 stands (the row), whatever the other claim and payer did
    first = {"claim_number": claims[0], "payer": NANHU, "on": date(2026, 6, 3), "reason": "虚假"}
    _refused(db, Invalid, "超过尚可追回的 60,000.00 元", S.recover, **first, amount_fen=60_000_01)
    with db.sessions.begin() as s:
        assert S.recover(s, **first, amount_fen=60_000_00).state == ClaimState.RECOVERED


@pytest.mark.parametrize(("budget", "approved"), [(292_500_00, True), (292_499_99, False)])
def test_a_share_fits_its_budget_to_the_fen(db: Any, budget: int, approved: bool) -> None:
    setup_world(db, years=(2026,), budget_fen=budget)
    number = run_to_audited(db, years=AUDITED)
    call = {"claim_number": number, "meeting_date": date(2026, 3, 25), "minutes_number": "m", "actor": "bureau"}
    if not approved:
        _refused(db, BudgetExceeded, "预算控制", S.approve, **call)
        return
    with db.sessions.begin() as s:
        assert S.approve(s, **call).approved == 585_000_00
        assert S.available_budget(s, CITY, 2026, EQ) == S.available_budget(s, NANHU, 2026, EQ) == 0


def test_approval_bounds(db: Any) -> None:
    setup_world(db, years=(2026,))
    number = run_to_audited(db, years=AUDITED)
    call = {"claim_number": number, "meeting_date": date(2026, 3, 25), "actor": "bureau"}
    _refused(db, Invalid, "会议纪要文号为必填", S.approve, **call, minutes_number=" ")
    _refused(db, Invalid, "不得高于计算应付数", S.approve, **call, minutes_number="m", approved_fen=585_000_01)
    _refused(db, Invalid, "reason", S.approve, **call, minutes_number="m", approved_fen=584_999_99, reason=" ")
    _refused(db, Invalid, "审定金额须大于0", S.approve, **call, minutes_number="m", approved_fen=0, reason="r")
    _refused(db, IllegalTransition, "经办与复核分离", S.approve, claim_number=number, meeting_date=date(2026, 3, 25),
             minutes_number="m", actor="clerk")
    with db.sessions.begin() as s:
        out = S.approve(s, **call, minutes_number="m", approved_fen=1, reason="核减")  # one fen: the city's floor is 0
    assert dict(out.shares) == {CITY: 0, NANHU: 1}
    with db.sessions() as s:
        legs = _claim_legs(s, out.entry)
    assert (A.COMMITTED, -1, NANHU, 2026) in legs and all(p != CITY for _, _, p, _ in legs)


def test_the_cap_takes_an_approval_to_the_fen(db: Any) -> None:
    """Provincial cap 5,000,000 (细则 第四章（一）(1)): 30% of 18,000,000 is clipped to it exactly."""
    setup_world(db, years=(2026, 2027), budget_fen=10_000_000_00)
    number = run_to_audited(db, years={2023: 6_000_000_00, 2024: 6_000_000_00, 2025: 6_000_000_00})
    call = {"claim_number": number, "meeting_date": date(2026, 3, 25), "minutes_number": "m", "actor": "bureau"}
    _refused(db, CapExceeded, r"第四章（一）\(1\)：补助累计金额", S.approve, **call, approved_fen=5_000_000_01, reason="r")
    with db.sessions.begin() as s:
        assert S.approve(s, **call).approved == 5_000_000_00
    with db.sessions() as s:
        head = cap_headroom(s, "P1", EQ, date(2026, 3, 25))
        assert (head.level, head.cap, head.committed, head.headroom) == ("provincial", 5_000_000_00, 5_000_000_00, 0)
        before = cap_headroom(s, "P1", EQ, date(2026, 3, 24))
        assert (before.committed, before.headroom) == (0, 5_000_000_00)
        award = cap_headroom(s, "P1", "municipal-award", date(2026, 12, 31))
        assert (award.level, award.cap, award.headroom, award.committed) == ("", None, None, 0)
    second = run_to_audited(db, years={2026: 1_000_000_00}, filed=date(2027, 3, 2), invoices=[])
    with db.sessions() as s:
        assert S.explain(s, second).payable == 0  # nothing left under the cap
    _refused(db, Invalid, "审定金额须大于0", S.approve, claim_number=second, meeting_date=date(2027, 3, 25),
             minutes_number="m", actor="bureau")


def test_appropriations_add_up_and_refuse_nonsense(db: Any) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
    base = {"payer": CITY, "fiscal_year": 2027, "program": EQ, "on": date(2027, 1, 5)}
    _refused(db, Invalid, "须大于 0", S.appropriate, **base, amount_fen=0)
    _refused(db, NotFound, "出资方代码 '999999' 不存在", S.appropriate, **{**base, "payer": "999999"}, amount_fen=1)
    with db.sessions.begin() as s:
        first = S.appropriate(s, **base, amount_fen=1_000_00, document_number="预1")
        second = S.appropriate(s, **base, amount_fen=234_56, document_number="预2")
    assert (first.appropriation, second.appropriation, second.budget) == (1_000_00, 1_234_56, first.budget)
    with db.sessions() as s:
        budget = s.execute(select(Budget)).scalar_one()
        assert (budget.appropriation_fen, budget.document_number) == (1_234_56, "预1")
        assert [(leg.account, leg.amount, leg.payer, leg.program, leg.fiscal_year) for leg in legs_of(s, 2)] == [
            (A.BUDGET_AUTHORITY, 234_56, CITY, EQ, 2027), (A.APPROPRIATION_AVAILABLE, -234_56, CITY, EQ, 2027),
            (A.TREASURY, 234_56, CITY, None, 2027), (A.APPROPRIATION_REVENUE, -234_56, CITY, None, 2027)]
        entry = s.get(JournalEntry, 2)
        assert entry is not None and (entry.kind, entry.description) == ("appropriation",
                                                                         "2027年度equipment-subsidy预算指标 预2")
        assert S.available_budget(s, CITY, 2027, EQ) == 1_234_56


# ---------------------------------------------------------------- the journal itself

def test_the_journal_refuses_malformed_entries(db: Any) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
    cases = [  # each refusal whole: the field, the rule it names and the message
        ([Leg(A.TREASURY, 0)], "legs", DOUBLE_ENTRY, "凭证只有 1 条分录；每张凭证至少要有借方、贷方各一条分录"),
        ([Leg(A.TREASURY, 1), Leg(A.APPROPRIATION_REVENUE, -1), Leg(A.SUBSIDY_EXPENSE, 0)], "legs[2].amount",
         DOUBLE_ENTRY, f"第3条分录（科目 {A.SUBSIDY_EXPENSE}）金额为 0；分录金额不得为 0"),
        ([Leg("0000", 1), Leg(A.TREASURY, -1)], "legs[0].account", CHART_RULE,
         "第1条分录的科目 '0000' 不在会计科目表中；请改用科目表所列科目"),
        ([Leg(A.TREASURY, 2), Leg(A.APPROPRIATION_REVENUE, -1)], "legs", DOUBLE_ENTRY,
         "借方合计 0.02 元与贷方合计 0.01 元不等；借贷必须相等"),
        ([Leg(A.TREASURY, 1), Leg(A.COMMITTED, -1)], "legs", PARALLEL_VIEWS,
         "凭证的财务会计分录借贷相差 0.01 元；每一类会计各自借贷相等"),
        ([Leg(A.COMMITTED, 1), Leg(A.TREASURY, -1)], "legs", PARALLEL_VIEWS,
         "凭证的预算会计分录借贷相差 0.01 元；每一类会计各自借贷相等"),
    ]
    for legs, field, rule, message in cases:
        assert _refused(db, JournalIntegrityError, re.escape(message), post, entry_date=date(2026, 1, 1), kind="x",
                        description="x", legs=legs) == {"field": field, "rule": rule, "message": message}


def test_reversal_mirrors_every_leg_and_only_once(db: Any) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
        legs = debit_credit(A.TREASURY, A.APPROPRIATION_REVENUE, 5_00, payer=CITY, fiscal_year=2026) + \
            debit_credit(A.BUDGET_AUTHORITY, A.APPROPRIATION_AVAILABLE, 5_00, payer=CITY, program=EQ,
                         platform_id=None, claim_id=None, fiscal_year=2026)
        first = post(s, entry_date=date(2026, 1, 2), kind="k", description="d", legs=legs, actor="a")
        second = reverse(s, first, entry_date=date(2026, 1, 3), reason="错", actor="b",
                         extra_legs=debit_credit(A.TREASURY, A.APPROPRIATION_REVENUE, 1_00, payer=CITY))
    assert (first, second) == (1, 2)
    with db.sessions() as s:
        assert legs_of(s, 2) == [leg.negated() for leg in legs] + [Leg(A.TREASURY, 1_00, CITY),
                                                                     Leg(A.APPROPRIATION_REVENUE, -1_00, CITY)]
        entry = s.get(JournalEntry, 2)
        assert entry is not None
        assert (entry.kind, entry.description, entry.reverses_id, entry.actor, entry.entry_date) == (
            "reversal", "冲销第1号凭证：错", 1, "b", date(2026, 1, 3))
    again = {"entry_date": date(2026, 1, 4), "reason": "again"}
    assert _refused(db, JournalIntegrityError, "不能重复冲销", reverse, entry_id=1, **again) == {
        "field": "entry_id", "rule": REVERSAL_RULE, "message": "第 1 号凭证已由第 2 号凭证冲销，不能重复冲销"}
    assert _refused(db, JournalIntegrityError, "本身是冲销凭证", reverse, entry_id=2, **again) == {
        "field": "entry_id", "rule": REVERSAL_RULE,
        "message": "第 2 号凭证本身是冲销凭证，不能再冲销；如需恢复，请重新记一张原凭证"}
    assert _refused(db, JournalIntegrityError, "没有第 7 号凭证", reverse, entry_id=7, **again) == {
        "field": "entry_id", "rule": REVERSAL_RULE, "message": "没有第 7 号凭证；请核对凭证号"}
    with db.sessions.begin() as s:  # no actor named: none recorded
        third = post(s, entry_date=date(2026, 1, 5), kind="k", description="d", legs=legs, actor="a")
        fourth = reverse(s, third, entry_date=date(2026, 1, 6), reason="错")
        unnamed = s.get(JournalEntry, fourth)
        assert unnamed is not None and unnamed.actor == ""
    leg = Leg(A.COMMITTED, 7, "p", 3, "prog", 4, 2026)
    assert leg.negated() == Leg(A.COMMITTED, -7, "p", 3, "prog", 4, 2026)


def test_balance_filters_each_dimension(db: Any) -> None:
    _life(db)
    with db.sessions() as s:
        payable = [A.SUBSIDY_PAYABLE]
        assert balance(s, payable, payer=CITY, as_of=date(2026, 4, 10)) == -CITY_SHARE  # issued, not yet paid
        assert balance(s, payable, payer=CITY, as_of=date(2026, 4, 9)) == 0
        assert balance(s, payable, payer=CITY, as_of=date(2026, 4, 15)) == -(CITY_SHARE - 100_000_00)
        assert balance(s, [A.EXPENDED], platform_id=1, program=EQ, claim_id=1, fiscal_year=2026) == -APPROVED
        assert balance(s, [A.EXPENDED], platform_id=2) == 0
        assert balance(s, [A.EXPENDED], program="municipal-award") == 0
        assert balance(s, [A.EXPENDED], claim_id=2) == 0
        assert balance(s, [A.EXPENDED], fiscal_year=2027) == 0
        assert balance(s, [A.EXPENDED, A.OBLIGATED], payer=NANHU) == -NANHU_SHARE
        assert balance(s, [A.TREASURY], payer=NANHU, fiscal_year=2026, program=EQ) == -NANHU_SHARE + 20_000_00
