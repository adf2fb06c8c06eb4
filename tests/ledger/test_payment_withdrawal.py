"""Payment steps dated against the step they follow (not other payers' steps), and 作废制单: a prepared,
unconfirmed payment withdrawn (append-only, the payment row stays) so its amount can be prepared again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from ledger import services as S
from ledger.errors import IllegalTransition, Invalid, PaymentExceedsPayable
from ledger.models import ClaimEvent, JournalEntry, Payment, PaymentWithdrawal
from ledger.projections import check
from tests.ledger.world import pay_confirmed, run_to_issued

AUDITED = {2023: 1_000_000_00, 2024: 700_000_00, 2025: 250_000_00}  # → 292,500 city + 292,500 南湖区
CITY, NANHU = "330400", "330402"


@pytest.fixture(autouse=True)
def on_the_day() -> Iterator[None]:
    with S.as_of(date(2026, 12, 3)):
        yield


def _entries(db: Any) -> int:
    with db.sessions() as s:
        return int(s.execute(select(func.count(JournalEntry.id))).scalar_one())


def _prepare(db: Any, number: str, payer: str, voucher: str, on: date, amount: int = 292_500_00) -> int:
    with db.sessions.begin() as s:
        return S.pay(s, claim_number=number, payer=payer, voucher_number=voucher, on=on, amount_fen=amount,
                     actor=f"{payer}-maker").payment


def test_another_payers_later_steps_do_not_constrain_a_payment(db: Any) -> None:
    number = run_to_issued(db, AUDITED)  # issued 2026-04-10
    with db.sessions.begin() as s:
        pay_confirmed(s, claim_number=number, payer=CITY, voucher_number="SZ-1", on=date(2026, 4, 20),
                      amount_fen=292_500_00, actor="city-maker", checker="city-checker")
    with db.sessions.begin() as s:
        done = pay_confirmed(s, claim_number=number, payer=NANHU, voucher_number="NH-1", on=date(2026, 4, 15),
                             amount_fen=292_500_00, actor="nh-maker", checker="nh-checker")
    assert done.confirmed and done.remaining == 0 and done.state == "paid"
    with db.sessions() as s:
        assert check(s) == []


def test_a_payment_is_not_prepared_before_fund_issue(db: Any) -> None:
    number = run_to_issued(db, AUDITED)
    with pytest.raises(Invalid) as exc, db.sessions.begin() as s:
        S.pay(s, claim_number=number, payer=NANHU, voucher_number="NH-1", on=date(2026, 4, 9), amount_fen=1_00)
    assert exc.value.field == "on" and "经办流程" in exc.value.rule
    assert all(n in exc.value.message for n in ("拨付制单日期", "2026-04-09", "资金下达日期", "2026-04-10",
                                                "每一步不得早于前一步")), exc.value.message


def test_a_confirmation_is_not_before_its_preparation(db: Any) -> None:
    number = run_to_issued(db, AUDITED)
    pid = _prepare(db, number, NANHU, "NH-1", date(2026, 4, 15))
    before = _entries(db)
    with pytest.raises(Invalid) as exc, db.sessions.begin() as s:
        S.confirm_payment(s, payment_id=pid, on=date(2026, 4, 14), actor="nh-checker")
    assert exc.value.field == "on" and "经办流程" in exc.value.rule
    assert all(n in exc.value.message for n in ("拨付复核日期", "2026-04-14", "拨付制单日期", "2026-04-15",
                                                "每一步不得早于前一步")), exc.value.message
    assert _entries(db) == before


def test_a_reversal_is_not_before_the_payment_it_reverses(db: Any) -> None:
    number = run_to_issued(db, AUDITED)
    with db.sessions.begin() as s:
        nh = pay_confirmed(s, claim_number=number, payer=NANHU, voucher_number="NH-1", on=date(2026, 4, 15),
                           amount_fen=292_500_00, actor="nh-maker", checker="nh-checker")
        pay_confirmed(s, claim_number=number, payer=CITY, voucher_number="SZ-1", on=date(2026, 4, 20),
                      amount_fen=292_500_00, actor="city-maker", checker="city-checker")
    with pytest.raises(Invalid, match="冲销拨付日期 2026-04-14 早于拨付复核日期 2026-04-15"), db.sessions.begin() as s:
        S.reverse_payment(s, payment_id=nh.payment, on=date(2026, 4, 14), reason="错", actor="nh-checker")
    with db.sessions.begin() as s:  # after its own payment, though before the city's: accepted
        S.reverse_payment(s, payment_id=nh.payment, on=date(2026, 4, 16), reason="凭证有误", actor="nh-checker")


def test_withdraw_then_prepare_again(db: Any) -> None:
    number = run_to_issued(db, AUDITED)
    pid = _prepare(db, number, NANHU, "NH-1", date(2026, 4, 15))
    with pytest.raises(PaymentExceedsPayable), db.sessions.begin() as s:  # the prepared amount is held
        S.pay(s, claim_number=number, payer=NANHU, voucher_number="NH-2", on=date(2026, 4, 15), amount_fen=1_00)
    before = _entries(db)
    with pytest.raises(Invalid) as exc, db.sessions.begin() as s:
        S.withdraw_payment(s, payment_id=pid, on=date(2026, 4, 16), reason=" ", actor="nh-maker")
    assert exc.value.field == "reason" and "作废原因" in exc.value.message and "作废制单" in exc.value.rule
    with pytest.raises(Invalid, match="作废制单日期 2026-04-14 早于拨付制单日期 2026-04-15"), db.sessions.begin() as s:
        S.withdraw_payment(s, payment_id=pid, on=date(2026, 4, 14), reason="金额错", actor="nh-maker")
    with db.sessions.begin() as s:
        out = S.withdraw_payment(s, payment_id=pid, on=date(2026, 4, 16), reason="金额错", actor="nh-maker")
    assert (out.payment, out.outstanding_for_payer) == (pid, 292_500_00)
    assert _entries(db) == before  # nothing was posted, nothing is
    with db.sessions() as s:
        row = s.execute(select(PaymentWithdrawal)).scalar_one()
        assert (row.payment_id, row.withdrawn_by, row.date, row.reason) == (pid, "nh-maker", date(2026, 4, 16), "金额错")
        assert s.get(Payment, pid) is not None  # the payment stays on record
        assert s.execute(select(ClaimEvent.note).where(ClaimEvent.action == "withdraw-payment")).scalar_one() \
            == "330402 NH-1：金额错"
        assert check(s) == []
    with pytest.raises(Invalid, match="拨付制单日期 2026-04-15 早于作废制单日期 2026-04-16"), db.sessions.begin() as s:
        S.pay(s, claim_number=number, payer=NANHU, voucher_number="NH-2", on=date(2026, 4, 15), amount_fen=1_00)
    with db.sessions.begin() as s:
        done = pay_confirmed(s, claim_number=number, payer=NANHU, voucher_number="NH-2", on=date(2026, 4, 17),
                             amount_fen=292_500_00, actor="nh-maker", checker="nh-checker")
    assert done.confirmed and done.remaining == 292_500_00
    with db.sessions() as s:
        assert check(s) == []


def test_a_withdrawn_payment_is_not_confirmed_nor_withdrawn_again(db: Any) -> None:
    number = run_to_issued(db, AUDITED)
    pid = _prepare(db, number, NANHU, "NH-1", date(2026, 4, 15))
    with db.sessions.begin() as s:
        S.withdraw_payment(s, payment_id=pid, on=date(2026, 4, 16), reason="重复制单", actor="nh-other")
    before = _entries(db)
    with pytest.raises(IllegalTransition) as exc, db.sessions.begin() as s:
        S.confirm_payment(s, payment_id=pid, on=date(2026, 4, 16), actor="nh-checker")
    assert exc.value.field == "payment" and "已于 2026-04-16 由 nh-other 作废制单" in exc.value.message
    assert "不能再拨付复核" in exc.value.message and _entries(db) == before
    with pytest.raises(IllegalTransition, match="不能再作废制单"), db.sessions.begin() as s:
        S.withdraw_payment(s, payment_id=pid, on=date(2026, 4, 16), reason="再作废", actor="nh-other")


def test_a_confirmed_payment_is_reversed_not_withdrawn(db: Any) -> None:
    number = run_to_issued(db, AUDITED)
    with db.sessions.begin() as s:
        made = pay_confirmed(s, claim_number=number, payer=NANHU, voucher_number="NH-1", on=date(2026, 4, 15),
                             amount_fen=1_00, actor="nh-maker", checker="nh-checker")
    with pytest.raises(IllegalTransition) as exc, db.sessions.begin() as s:
        S.withdraw_payment(s, payment_id=made.payment, on=date(2026, 4, 16), reason="错", actor="nh-maker")
    assert exc.value.field == "payment" and "复核记账" in exc.value.message and "冲销" in exc.value.message
    with db.sessions() as s:
        assert s.execute(select(func.count(PaymentWithdrawal.id))).scalar_one() == 0
