"""Dates and duties of every step (细则 第四章（一）(2)；经办与复核分离): no step dated after today or before
the step it follows; the filer cannot record the district review; a payment counts only once a second
finance user of its payer confirms it (制单/复核), or at once under the one-user reading."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from calculators.rulesets.bundled import _texts, rulebook
from calculators.rulesets.loader import parse_rule_set
from calculators.rulesets.model import RuleBook
from ledger import accounts as A
from ledger import services as S
from ledger.errors import IllegalTransition, Invalid, PaymentExceedsPayable
from ledger.models import Claim, JournalEntry, Objection, Payment, PaymentConfirmation, Recovery
from ledger.projections import check
from ledger.queries import balance
from tests.ledger.world import invoices_2023_2025, pay_confirmed, run_to_issued, setup_world

TODAY = date(2026, 12, 3)
AUDITED = {2023: 1_000_000_00, 2024: 700_000_00, 2025: 250_000_00}  # → 585,000: 292,500 city + 292,500 南湖区
Step = Callable[[Any, str, date], Any]


@pytest.fixture(autouse=True)
def on_the_day() -> Iterator[None]:
    with S.as_of(TODAY):
        yield


def _entries(db: Any) -> int:
    with db.sessions() as s:
        return int(s.execute(select(func.count(JournalEntry.id))).scalar_one())


def _refused(db: Any, step: Step, number: str, on: date, field: str, *needles: str) -> None:
    """The step dated ``on`` is refused in Chinese, naming the field and the rule; nothing is written."""
    before = _entries(db)
    with pytest.raises(Invalid) as exc, db.sessions.begin() as s:
        step(s, number, on)
    assert exc.value.field == field and "经办流程" in exc.value.rule, exc.value
    assert on.isoformat() in exc.value.message and all(n in exc.value.message for n in needles), exc.value.message
    assert _entries(db) == before


def _objection(s: Any, number: str) -> int:
    claim = s.execute(select(Claim.id).where(Claim.number == number)).scalar_one()
    return int(s.execute(select(Objection.id).where(Objection.claim_id == claim)).scalar_one())


def _payment(s: Any, voucher: str) -> int:
    return int(s.execute(select(Payment.id).where(Payment.voucher_number == voucher)).scalar_one())


def _recovery(s: Any) -> int:
    return int(s.execute(select(Recovery.id).order_by(Recovery.id.desc())).scalars().first())


# (step, its date field, its good date, the Chinese name of its date, the call)
STEPS: list[tuple[str, str, date, str, Step]] = [
    ("review-economic", "on", date(2026, 3, 4), "区级经信部门审核日期", lambda s, n, on: S.review(
        s, claim_number=n, department="economic", approve=True, opinion="同意", on=on, actor="econ")),
    ("review-finance", "on", date(2026, 3, 5), "区级财政部门审核日期", lambda s, n, on: S.review(
        s, claim_number=n, department="finance", approve=True, opinion="同意", on=on, actor="fin")),
    ("audit", "on", date(2026, 3, 20), "审计日期", lambda s, n, on: S.record_audit(
        s, claim_number=n, firm="所", report_number="审1", on=on, years=AUDITED, actor="bureau-audit")),
    ("approve", "meeting_date", date(2026, 3, 25), "党组会审定日期", lambda s, n, on: S.approve(
        s, claim_number=n, meeting_date=on, minutes_number="党组会〔2026〕5号", actor="bureau")),
    ("notice", "publication_date", date(2026, 4, 1), "公示发布日期", lambda s, n, on: S.publish_notice(
        s, claim_numbers=[n], publication_date=on, title="公示", actor="bureau")),
    ("object", "filed", date(2026, 4, 2), "异议提出日期", lambda s, n, on: S.file_objection(
        s, claim_number=n, filed=on, content="异议", actor="bureau")),
    ("resolve", "on", date(2026, 4, 3), "异议处理日期", lambda s, n, on: S.resolve_objection(
        s, objection_id=_objection(s, n), upheld=False, on=on, resolution="不成立", actor="bureau")),
    ("issue", "on", date(2026, 4, 10), "资金下达日期", lambda s, n, on: S.issue_funds(
        s, claim_number=n, document_number="下达", on=on, actor="city-finance")),
    ("prepare", "on", date(2026, 4, 15), "拨付制单日期", lambda s, n, on: S.pay(
        s, claim_number=n, payer="330400", voucher_number="SZ-1", on=on, amount_fen=292_500_00, actor="maker")),
    ("confirm", "on", date(2026, 4, 16), "拨付复核日期", lambda s, n, on: S.confirm_payment(
        s, payment_id=_payment(s, "SZ-1"), on=on, actor="checker")),
    ("reverse", "on", date(2026, 4, 17), "冲销拨付日期", lambda s, n, on: S.reverse_payment(
        s, payment_id=_payment(s, "SZ-1"), on=on, reason="账户错误", actor="maker")),
    ("pay again", "on", date(2026, 4, 20), "拨付制单日期", lambda s, n, on: pay_confirmed(
        s, claim_number=n, payer="330400", voucher_number="SZ-2", on=on, amount_fen=292_500_00, actor="maker")),
    ("recover", "on", date(2026, 5, 6), "追回日期", lambda s, n, on: S.recover(
        s, claim_number=n, payer="330400", amount_fen=10_000_00, on=on, reason="虚假", actor="bureau")),
    ("receive", "on", date(2026, 5, 11), "追回款到账日期", lambda s, n, on: S.receive_recovery(
        s, recovery_id=_recovery(s), amount_fen=10_000_00, on=on, actor="city-finance")),
]


def test_every_step_refuses_a_future_date_and_a_date_before_the_step_it_follows(db: Any) -> None:
    setup_world(db)
    filed = date(2026, 3, 2)

    def file(s: Any, _n: str, on: date) -> Any:
        return S.file_claim(s, platform_code="P1", program="equipment-subsidy", application_date=on,
                            invoices=invoices_2023_2025(), actor="clerk")

    # the claim of the issue: dated 2027-01-05, filed on 2026-12-03 — refused, no number drawn in SQ2027
    _refused(db, file, "", date(2027, 1, 5), "application_date", "申请日期", "晚于今天 2026-12-03")
    with db.sessions.begin() as s:
        number = file(s, "", filed).claim
    previous, previous_name = filed, "申请日期"
    for what, field, good, name, step in STEPS:
        _refused(db, step, number, TODAY + timedelta(days=1), field, name, "不得晚于记录当日")
        _refused(db, step, number, previous - timedelta(days=1), field, f"{name} {previous - timedelta(days=1)} "
                 f"早于{previous_name} {previous}：每一步不得早于前一步（经办流程）")
        with db.sessions.begin() as s:
            step(s, number, good)
        previous, previous_name = good, ("拨付复核日期" if what == "pay again" else name)
    with db.sessions() as s:
        assert s.execute(select(Claim.state).where(Claim.number == number)).scalar_one() == "recovered"
        assert check(s) == []


def test_the_issue_example_reviews_dated_before_the_filing(db: Any) -> None:
    setup_world(db)
    with db.sessions.begin() as s:
        number = S.file_claim(s, platform_code="P1", program="equipment-subsidy", application_date=date(2026, 3, 5),
                              invoices=invoices_2023_2025(), actor="clerk").claim
    _refused(db, STEPS[0][4], number, date(2026, 3, 1), "on",
             "区级经信部门审核日期 2026-03-01 早于申请日期 2026-03-05：每一步不得早于前一步（经办流程）")


def test_a_step_on_the_day_itself_and_on_the_same_day_as_the_last_is_accepted(db: Any) -> None:
    setup_world(db)
    with db.sessions.begin() as s:
        number = S.file_claim(s, platform_code="P1", program="equipment-subsidy", application_date=TODAY,
                              invoices=invoices_2023_2025(), actor="clerk").claim
        assert S.review(s, claim_number=number, department="economic", approve=True, opinion="同意", on=TODAY,
                        actor="econ").state == "econ_reviewed"


def test_the_clock_is_the_calendar_day_unless_set() -> None:
    assert S.today() == TODAY
    with S.as_of(date(2026, 1, 2)):
        assert S.today() == date(2026, 1, 2)
    assert S.today() == TODAY


def test_the_filer_cannot_record_either_district_review(db: Any) -> None:
    setup_world(db)
    with db.sessions.begin() as s:
        number = S.file_claim(s, platform_code="P1", program="equipment-subsidy", application_date=date(2026, 3, 2),
                              invoices=invoices_2023_2025(), actor="clerk").claim
    before = _entries(db)
    with pytest.raises(IllegalTransition) as exc, db.sessions.begin() as s:
        S.review(s, claim_number=number, department="economic", approve=True, opinion="同意", on=date(2026, 3, 4),
                 actor="clerk")
    assert exc.value.field == "actor" and "经办与复核分离" in exc.value.rule
    assert "clerk 经办（申报）了申请" in exc.value.message and "区级经信部门审核意见" in exc.value.message
    with db.sessions.begin() as s:
        S.review(s, claim_number=number, department="economic", approve=True, opinion="同意", on=date(2026, 3, 4),
                 actor="econ")
    with pytest.raises(IllegalTransition, match="区级财政部门审核意见") as exc, db.sessions.begin() as s:
        S.review(s, claim_number=number, department="finance", approve=True, opinion="同意", on=date(2026, 3, 5),
                 actor="clerk")
    assert _entries(db) == before + 1  # the economic review only


def _issued(db: Any) -> str:
    return run_to_issued(db, AUDITED)


def _expended(db: Any, number: str) -> int:
    with db.sessions() as s:
        claim = s.execute(select(Claim).where(Claim.number == number)).scalar_one()
        return -balance(s, [A.EXPENDED], claim_id=claim.id)


def test_a_payment_counts_only_once_a_second_user_confirms_it(db: Any) -> None:
    number = _issued(db)
    with db.sessions.begin() as s:
        made = S.pay(s, claim_number=number, payer="330402", voucher_number="NH-1", on=date(2026, 4, 15),
                     amount_fen=292_500_00, actor="nanhu-maker")
    assert (made.confirmed, made.entry, made.remaining, made.outstanding_for_payer) == (False, None, 585_000_00, 0)
    assert _expended(db, number) == 0
    with db.sessions() as s:
        claim = s.execute(select(Claim).where(Claim.number == number)).scalar_one()
        assert S.payable_to(s, claim, "330402") == 292_500_00  # still owed: nothing moved
        assert check(s) == []  # a prepared payment has no entry, and the projections agree
    # the prepared amount is held: a second preparation beyond the share is refused
    with pytest.raises(PaymentExceedsPayable, match=r"尚可制单 0\.00 元"), db.sessions.begin() as s:
        S.pay(s, claim_number=number, payer="330402", voucher_number="NH-2", on=date(2026, 4, 15), amount_fen=1,
              actor="nanhu-maker")
    # the preparer cannot confirm it
    before = _entries(db)
    with pytest.raises(IllegalTransition) as exc, db.sessions.begin() as s:
        S.confirm_payment(s, payment_id=made.payment, on=date(2026, 4, 16), actor="nanhu-maker")
    assert exc.value.field == "actor" and "制单与复核分离" in exc.value.message and "经办与复核分离" in exc.value.rule
    assert _entries(db) == before and _expended(db, number) == 0
    with db.sessions.begin() as s:
        done = S.confirm_payment(s, payment_id=made.payment, on=date(2026, 4, 16), actor="nanhu-checker")
    assert done.confirmed and done.entry is not None and done.remaining == 292_500_00
    assert _expended(db, number) == 292_500_00
    with db.sessions() as s:
        row = s.execute(select(PaymentConfirmation)).scalar_one()
        assert (row.payment_id, row.confirmed_by, row.entry_id) == (made.payment, "nanhu-checker", done.entry)
        assert check(s) == []
    # confirmed once only
    with pytest.raises(IllegalTransition, match="已于 2026-04-16 由 nanhu-checker 复核"), db.sessions.begin() as s:
        S.confirm_payment(s, payment_id=made.payment, on=date(2026, 4, 16), actor="another")


def test_an_unconfirmed_payment_is_not_reversed(db: Any) -> None:
    number = _issued(db)
    with db.sessions.begin() as s:
        made = S.pay(s, claim_number=number, payer="330400", voucher_number="SZ-1", on=date(2026, 4, 15),
                     amount_fen=1_00, actor="maker")
    with pytest.raises(IllegalTransition, match="尚未复核"), db.sessions.begin() as s:
        S.reverse_payment(s, payment_id=made.payment, on=date(2026, 4, 16), reason="错", actor="maker")


def _single_user_book() -> RuleBook:
    """The rule book with the one-user reading chosen in the data (制单即复核)."""
    book = rulebook()
    source, text = next((src, t) for src, t in _texts() if src.endswith("jiaxing-rules-2026.yaml"))
    changed = text.replace("value: maker-checker,", "value: single-user,")
    assert changed != text
    rs = parse_rule_set(changed, source)
    return RuleBook(rule_sets={**book.rule_sets, rs.id: rs}, jurisdictions=book.jurisdictions, payers=book.payers)


def test_the_one_user_reading_counts_a_payment_at_once(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert S.payment_duties("jiaxing-rules-2026", TODAY) == "maker-checker"
    number = _issued(db)
    monkeypatch.setattr(S, "_book", _single_user_book)
    assert S.payment_duties("jiaxing-rules-2026", TODAY) == "single-user"
    with db.sessions.begin() as s:
        made = S.pay(s, claim_number=number, payer="330400", voucher_number="SZ-1", on=date(2026, 4, 15),
                     amount_fen=292_500_00, actor="city-finance")
    assert made.confirmed and made.entry is not None and made.remaining == 292_500_00
    assert _expended(db, number) == 292_500_00
    with db.sessions() as s:
        row = s.execute(select(PaymentConfirmation)).scalar_one()
        assert row.confirmed_by == "city-finance"
        assert check(s) == []
