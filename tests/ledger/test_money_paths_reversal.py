"""Payments reversed (冲销拨付), leg by leg and refusal by refusal: what a reversal returns, what it records
(the reversing entry mirroring the payment's legs, the claim's history, the claim back from paid to issued),
each refusal whole (field, rule, message, details) with the books unchanged after it, and the reversal dated
against the payment's own confirmation, not another payer's later steps.

The claim: 585,000.00 approved, 292,500.00 for the city (330400) and 292,500.00 for 南湖区 (330402), issued
2026-04-10 (entries 1–11). Legs follow docs/posting-rules.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from ledger import services as S
from ledger.errors import IllegalTransition, Invalid, NotFound
from ledger.models import ClaimEvent, JournalEntry
from ledger.outcomes import ClaimState, ClaimStep
from tests.ledger.test_money_paths import _claim_legs, _issued, _pay_legs, _refused

CITY, NANHU = "330400", "330402"
SHARE = 292_500_00
ISSUED, PAID = ClaimState.ISSUED, ClaimState.PAID


def _paid(db: Any, number: str, payer: str, voucher: str, amount: int, on: date) -> int:
    """Prepared by the payer's maker on ``on``, confirmed by its checker the day after: the entry."""
    with db.sessions.begin() as s:
        made = S.pay(s, claim_number=number, payer=payer, voucher_number=voucher, on=on, amount_fen=amount,
                     actor="maker")
        done = S.confirm_payment(s, payment_id=made.payment, on=date(on.year, on.month, on.day + 1), actor="checker")
    assert done.entry is not None
    return done.entry


def _reverse(db: Any, payment: int, on: date, reason: str = "付款账户错误", **kw: Any) -> ClaimStep:
    with db.sessions.begin() as s:
        return S.reverse_payment(s, payment_id=payment, on=on, reason=reason, **kw)


def _entry(db: Any, entry_id: int) -> tuple[Any, ...]:
    with db.sessions() as s:
        e = s.get(JournalEntry, entry_id)
        assert e is not None
        return e.kind, e.description, e.actor, e.entry_date, e.claim_id, e.reverses_id, _claim_legs(s, entry_id)


def _events(db: Any) -> list[tuple[Any, ...]]:
    with db.sessions() as s:
        return [(e.from_state, e.to_state, e.date, e.actor, e.entry_id, e.note) for e in s.execute(
            select(ClaimEvent).where(ClaimEvent.action == "reverse-payment").order_by(ClaimEvent.id)).scalars()]


def _entries(db: Any) -> int:
    with db.sessions() as s:
        return int(s.execute(select(func.count(JournalEntry.id))).scalar_one())


def _negated(legs: list[tuple[str, int, str | None, int | None]]) -> list[tuple[str, int, str | None, int | None]]:
    return [(a, -fen, p, y) for a, fen, p, y in legs]


def test_a_reversal_mirrors_the_payments_legs_and_restores_what_is_owed(db: Any) -> None:
    number = _issued(db)
    assert _paid(db, number, CITY, "SZ-1", 100_000_00, date(2026, 4, 15)) == 12
    assert _reverse(db, 1, date(2026, 4, 17), actor="city-checker") == ClaimStep(claim=number, state=ISSUED, entry=13)
    assert _entry(db, 13) == ("reversal", "冲销第12号凭证：付款账户错误", "city-checker", date(2026, 4, 17), 1, 12,
                              _negated(_pay_legs(CITY, 100_000_00)))
    assert _events(db) == [("issued", "issued", date(2026, 4, 17), "city-checker", 13, "付款账户错误")]
    with db.sessions() as s:
        assert S.payable_to(s, S._lock_claim(s, number), CITY) == SHARE
        assert S.payable_to(s, S._lock_claim(s, number), NANHU) == SHARE


def test_a_reversal_of_the_payment_that_paid_the_claim_takes_it_back_to_issued(db: Any) -> None:
    number = _issued(db)
    _paid(db, number, CITY, "SZ-1", SHARE, date(2026, 4, 15))  # entry 12
    assert _paid(db, number, NANHU, "NH-1", SHARE, date(2026, 4, 15)) == 13
    with db.sessions() as s:
        assert S._lock_claim(s, number).state == "paid"
    # no user named: none recorded
    assert _reverse(db, 2, date(2026, 4, 16), "重复拨付") == ClaimStep(claim=number, state=ISSUED, entry=14)
    assert _entry(db, 14) == ("reversal", "冲销第13号凭证：重复拨付", "", date(2026, 4, 16), 1, 13,
                              _negated(_pay_legs(NANHU, SHARE)))
    assert _events(db) == [("paid", "issued", date(2026, 4, 16), "", 14, "重复拨付")]
    with db.sessions() as s:
        assert S.payable_to(s, S._lock_claim(s, number), NANHU) == SHARE
        assert S.payable_to(s, S._lock_claim(s, number), CITY) == 0


def test_a_reversal_is_dated_after_its_payments_confirmation_not_another_payers_steps(db: Any) -> None:
    number = _issued(db)
    _paid(db, number, CITY, "SZ-1", 100_000_00, date(2026, 4, 15))  # confirmed 04-16, entry 12
    _paid(db, number, NANHU, "NH-1", 100_000_00, date(2026, 4, 17))  # confirmed 04-18, entry 13
    assert _refused(db, Invalid, "早于", S.reverse_payment, payment_id=1, on=date(2026, 4, 15), reason="错") == {
        "field": "on", "rule": S.DATE_RULE, "previous": "2026-04-16",
        "message": "冲销拨付日期 2026-04-15 早于拨付复核日期 2026-04-16：每一步不得早于前一步（经办流程）"}
    # the same day as its confirmation, before 南湖区's later steps: the city's reversal is its own
    assert _reverse(db, 1, date(2026, 4, 16)).entry == 14


def test_each_refusal_of_a_reversal_changes_nothing(db: Any) -> None:
    number = _issued(db)
    _paid(db, number, CITY, "SZ-1", 100_000_00, date(2026, 4, 15))  # entry 12
    with db.sessions.begin() as s:
        S.pay(s, claim_number=number, payer=CITY, voucher_number="SZ-2", on=date(2026, 4, 16), amount_fen=1,
              actor="maker")
    call = {"on": date(2026, 4, 17), "reason": "付款账户错误"}
    assert _refused(db, NotFound, "不存在", S.reverse_payment, payment_id=9, **call) == {
        "field": "payment", "rule": "拨付", "message": "拨付第 9 号不存在；请核对拨付编号"}
    assert _refused(db, IllegalTransition, "尚未复核", S.reverse_payment, payment_id=2, **call) == {
        "field": "payment", "rule": S.DUTY_RULE, "message": "拨付#2（凭证号 SZ-2）尚未复核，未记账，无须冲销"}
    assert _refused(db, Invalid, "必填", S.reverse_payment, payment_id=1, on=date(2026, 4, 17), reason=" ") == {
        "field": "reason", "rule": "冲销须说明原因", "message": "冲销原因为必填；请填写冲销原因"}
    assert _entries(db) == 12 and _events(db) == []
    assert _reverse(db, 1, date(2026, 4, 17)).entry == 13
    assert _refused(db, IllegalTransition, "不能再次冲销", S.reverse_payment, payment_id=1, **call) == {
        "field": "payment", "rule": "记账凭证只冲销一次",
        "message": "拨付#1（凭证号 SZ-1）已由第13号凭证冲销，不能再次冲销"}
    assert _entries(db) == 13 and len(_events(db)) == 1
