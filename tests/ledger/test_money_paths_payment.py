"""Payment prepared, confirmed and withdrawn (拨付制单、复核、作废制单), leg by leg and refusal by refusal:
what each step returns to the fen, what it records (the payment, its confirmation or withdrawal, the claim's
history, the journal entry or none), each refusal whole (field, rule, message, details) with the books
unchanged after it, and each payer's amounts read apart from the other payer's.

The claim: 585,000.00 approved, 292,500.00 for the city (330400) and 292,500.00 for 南湖区 (330402), issued
2026-04-10 (entries 1–11; the first payment's entry is 12). Legs follow docs/posting-rules.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from ledger import accounts as A
from ledger import services as S
from ledger.errors import IllegalTransition, Invalid, NotFound, PaymentExceedsPayable
from ledger.journal import debit_credit, post
from ledger.models import ClaimEvent, JournalEntry, Payment, PaymentConfirmation, PaymentWithdrawal
from ledger.outcomes import ClaimState, PaymentMade, PaymentWithdrawn
from tests.ledger.test_dates_duties import _single_user_book
from tests.ledger.test_money_paths import (
    AUDITED,
    EQ,
    _claim_legs,
    _issued,
    _pay_legs,
    _refused,
    _two_claims_issued,
)
from tests.ledger.world import pay_confirmed, run_to_audited, setup_world

CITY, NANHU = "330400", "330402"
SHARE = 292_500_00
ISSUED = ClaimState.ISSUED


def _prepare(db: Any, number: str, payer: str, voucher: str, amount: int, on: date = date(2026, 4, 15),
             actor: str = "maker") -> PaymentMade:
    with db.sessions.begin() as s:
        return S.pay(s, claim_number=number, payer=payer, voucher_number=voucher, on=on, amount_fen=amount,
                     actor=actor)


def _events(db: Any, action: str) -> list[tuple[Any, ...]]:
    with db.sessions() as s:
        return [(e.from_state, e.to_state, e.date, e.actor, e.entry_id, e.note) for e in s.execute(
            select(ClaimEvent).where(ClaimEvent.action == action).order_by(ClaimEvent.id)).scalars()]


def _count(db: Any, table: Any) -> int:
    with db.sessions() as s:
        return int(s.execute(select(func.count(table.id))).scalar_one())


def test_a_prepared_payment_is_held_against_its_payer_and_posts_nothing(db: Any) -> None:
    number = _issued(db)
    assert _prepare(db, number, CITY, "SZ-1", 100_000_00, actor="city-maker") == PaymentMade(
        claim=number, state=ISSUED, entry=None, remaining=585_000_00, outstanding_for_payer=192_500_00,
        payment=1, confirmed=False)
    assert _count(db, JournalEntry) == 11  # nothing posted until it is confirmed
    with db.sessions() as s:
        row = s.get(Payment, 1)
        assert row is not None
        assert (row.claim_id, row.payer_code, row.voucher_number, row.date, row.amount_fen, row.prepared_by) == (
            1, CITY, "SZ-1", date(2026, 4, 15), 100_000_00, "city-maker")
    assert _events(db, "prepare-payment") == [("issued", "issued", date(2026, 4, 15), "city-maker", None,
                                               f"{CITY} SZ-1")]
    # what the city may still prepare is its share less what it has prepared: one fen more is refused
    assert _refused(db, PaymentExceedsPayable, "拨付不得超过", S.pay, claim_number=number, payer=CITY,
                    voucher_number="SZ-2", on=date(2026, 4, 15), amount_fen=192_500_01) == {
        "field": "amount", "rule": "拨付不得超过该财政应付份额（含已制单未复核的拨付）", "outstanding": "192500.00",
        "message": f"330400 在申请 {number} 尚可制单 192,500.00 元（应付余额减已制单未复核），本次制单 192,500.01 元 "
                   "超出；请填写不超过该数的金额"}
    assert _count(db, Payment) == 1
    # 南湖区's share is not held by the city's prepared payment: all of it may be prepared
    assert _prepare(db, number, NANHU, "NH-1", SHARE).outstanding_for_payer == 0
    assert _prepare(db, number, CITY, "SZ-2", 192_500_00).outstanding_for_payer == 0  # exactly what is left
    assert _count(db, JournalEntry) == 11


def test_each_refusal_of_a_preparation_names_its_field_and_rule(db: Any) -> None:
    number = _issued(db)
    call = {"claim_number": number, "payer": CITY, "on": date(2026, 4, 15)}
    assert _refused(db, Invalid, "须大于 0", S.pay, **call, voucher_number="SZ-1", amount_fen=0) == {
        "field": "amount", "rule": "拨付金额为正数", "message": "拨付金额须大于 0，收到 0.00 元；请填写本次拨付金额"}
    assert _refused(db, Invalid, "凭证号为必填", S.pay, **call, voucher_number=" ", amount_fen=1) == {
        "field": "voucher_number", "rule": "付款凭证", "message": "拨付凭证号为必填；请填写付款凭证号"}
    assert _count(db, Payment) == 0
    with db.sessions.begin() as s:  # one fen is a payment; no user named, none recorded
        one = S.pay(s, **call, voucher_number="SZ-1", amount_fen=1)
        row = s.get(Payment, 1)
        assert row is not None and row.prepared_by == ""
    assert (one.payment, one.outstanding_for_payer, one.confirmed) == (1, SHARE - 1, False)
    assert _refused(db, Invalid, "已登记", S.pay, **call, voucher_number="SZ-1", amount_fen=1) == {
        "field": "voucher_number", "rule": "付款凭证号唯一",
        "message": "330400 的付款凭证号 SZ-1 已登记；同一凭证不能重复登记，请核对凭证号"}
    assert _count(db, Payment) == 1 and _events(db, "prepare-payment") == [
        ("issued", "issued", date(2026, 4, 15), "", None, f"{CITY} SZ-1")]


def test_a_payer_without_a_share_owes_nothing(db: Any) -> None:
    """Approved at one fen, the city's half rounds down to nothing (细则 第五章): its issue posts nothing for the
    city, and the city owes 0.00 — not a fen, either way."""
    setup_world(db, years=(2026,))
    number = run_to_audited(db, years=AUDITED)
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", approved_fen=1,
                  reason="核减", actor="bureau")
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示")
        S.issue_funds(s, claim_number=number, document_number="d", on=date(2026, 4, 10))
        assert (S.payable_to(s, S._lock_claim(s, number), CITY), S.payable_to(s, S._lock_claim(s, number), NANHU)) == (0, 1)
    assert _refused(db, PaymentExceedsPayable, "拨付不得超过", S.pay, claim_number=number, payer=CITY, voucher_number="SZ-1",
                    on=date(2026, 4, 15), amount_fen=1)["outstanding"] == "0.00"


def test_a_confirmation_posts_the_payment_to_the_fen(db: Any) -> None:
    number = _issued(db)
    first = _prepare(db, number, CITY, "SZ-1", 100_000_00, actor="city-maker")
    _prepare(db, number, CITY, "SZ-2", 150_000_00, actor="city-maker")  # prepared, not confirmed: still held
    _prepare(db, number, NANHU, "NH-1", 7_00, actor="nh-maker")  # another payer's: not the city's concern
    with db.sessions.begin() as s:
        made = S.confirm_payment(s, payment_id=first.payment, on=date(2026, 4, 16), actor="city-checker")
    assert made == PaymentMade(claim=number, state=ISSUED, entry=12, remaining=485_000_00,
                               outstanding_for_payer=42_500_00, payment=1, confirmed=True)
    with db.sessions() as s:
        entry = s.get(JournalEntry, 12)
        assert entry is not None
        assert (entry.kind, entry.description, entry.actor, entry.entry_date, entry.claim_id, entry.reverses_id) == (
            "payment", f"{number} 330400 拨付（SZ-1）100000.00 元", "city-checker", date(2026, 4, 16), 1, None)
        assert _claim_legs(s, 12) == _pay_legs(CITY, 100_000_00)
        row = s.execute(select(PaymentConfirmation)).scalar_one()
        assert (row.payment_id, row.confirmed_by, row.date, row.entry_id) == (1, "city-checker", date(2026, 4, 16), 12)
        assert S.payable_to(s, S._lock_claim(s, number), CITY) == 192_500_00
        assert S.payable_to(s, S._lock_claim(s, number), NANHU) == SHARE
    assert _events(db, "pay") == [("issued", "issued", date(2026, 4, 16), "city-checker", 12, f"{CITY} SZ-1")]
    # a confirmation of the whole remainder (the NANHU share) pays it; the claim is paid when nothing is left
    with db.sessions.begin() as s:
        S.withdraw_payment(s, payment_id=3, on=date(2026, 4, 16), reason="金额错", actor="nh-maker")
        nh = S.pay(s, claim_number=number, payer=NANHU, voucher_number="NH-2", on=date(2026, 4, 16),
                   amount_fen=SHARE, actor="nh-maker")
        done = S.confirm_payment(s, payment_id=nh.payment, on=date(2026, 4, 16), actor="nh-checker")
    assert (done.state, done.entry, done.remaining, done.outstanding_for_payer) == (ISSUED, 13, 192_500_00, 0)
    with db.sessions.begin() as s:
        S.confirm_payment(s, payment_id=2, on=date(2026, 4, 17), actor="city-checker")
        rest = S.pay(s, claim_number=number, payer=CITY, voucher_number="SZ-3", on=date(2026, 4, 17),
                     amount_fen=42_500_00, actor="city-maker")
        last = S.confirm_payment(s, payment_id=rest.payment, on=date(2026, 4, 17))  # no checker named
    assert last == PaymentMade(claim=number, state=ClaimState.PAID, entry=15, remaining=0, outstanding_for_payer=0,
                               payment=5, confirmed=True)
    assert _events(db, "pay")[-1] == ("issued", "paid", date(2026, 4, 17), "", 15, f"{CITY} SZ-3")
    assert _refused(db, IllegalTransition, "复核", S.confirm_payment, payment_id=5, on=date(2026, 4, 18),
                    actor="another")["message"] == "拨付#5（凭证号 SZ-3）已于 2026-04-17 由 — 复核"  # none named


def test_a_confirmation_reads_what_is_payable_again(db: Any) -> None:
    """What the payer owes is read again under the claim's lock when the payment is confirmed: if the books
    changed since it was prepared (here a correcting entry posted to the journal, 1 fen less owed), the
    confirmation is refused and posts nothing."""
    number = _issued(db)
    pid = _prepare(db, number, NANHU, "NH-1", SHARE).payment
    with db.sessions.begin() as s:
        post(s, entry_date=date(2026, 4, 15), kind="correction", description="更正", claim_id=1,
             legs=debit_credit(A.OBLIGATED, A.COMMITTED, 1, payer=NANHU, platform_id=1, program=EQ, claim_id=1,
                               fiscal_year=2026))
    assert _refused(db, PaymentExceedsPayable, "拨付不得超过", S.confirm_payment, payment_id=pid, on=date(2026, 4, 16),
                    actor="nh-checker") == {
        "field": "amount", "rule": "拨付不得超过该财政应付份额", "outstanding": "292499.99",
        "message": f"330402 在申请 {number} 尚应拨付 292,499.99 元，本次拨付 292,500.00 元 超出；请填写不超过应付余额的金额"}
    assert _count(db, PaymentConfirmation) == 0


def test_what_a_payer_owes_and_holds_is_read_per_claim(db: Any) -> None:
    """Two platforms' claims issued, 南湖区 preparing and paying on the first: the second claim's figures
    (what 南湖区 owes, what it holds prepared, what remains, what is committed) count its own entries only."""
    claims = _two_claims_issued(db)
    with db.sessions.begin() as s:
        pay_confirmed(s, claim_number=claims[0], payer=NANHU, voucher_number="NH-1", on=date(2026, 4, 15),
                      amount_fen=100_000_00)
        S.pay(s, claim_number=claims[0], payer=NANHU, voucher_number="NH-2", on=date(2026, 4, 15), amount_fen=50_000_00)
        assert [S.committed(s, platform, EQ) for platform in (1, 2)] == [585_000_00, 585_000_00]
    assert _refused(db, PaymentExceedsPayable, "拨付不得超过", S.pay, claim_number=claims[1], payer=NANHU,
                    voucher_number="NH-3", on=date(2026, 4, 15), amount_fen=SHARE + 1)["outstanding"] == "292500.00"
    made = _prepare(db, claims[1], NANHU, "NH-3", SHARE)  # all of it: the first claim's payments are not its own
    assert (made.remaining, made.outstanding_for_payer) == (585_000_00, 0)


def test_each_refusal_of_a_confirmation_changes_nothing(db: Any) -> None:
    number = _issued(db)
    pid = _prepare(db, number, CITY, "SZ-1", 100_000_00, actor="city-maker").payment
    assert _refused(db, NotFound, "没有拨付", S.confirm_payment, payment_id=9, on=date(2026, 4, 16)) == {
        "field": "payment", "rule": "拨付复核", "message": "没有拨付#9"}
    assert _refused(db, IllegalTransition, "经办与复核分离", S.confirm_payment, payment_id=pid, on=date(2026, 4, 16),
                    actor="city-maker") == {
        "field": "actor", "rule": S.DUTY_RULE,
        "message": "拨付#1（凭证号 SZ-1）由 city-maker 制单，须由本级财政另一名用户复核（拨付复核日期 2026-04-16）："
                   "制单与复核分离（经办与复核分离）"}
    assert _count(db, PaymentConfirmation) == 0 and _events(db, "pay") == []
    with db.sessions.begin() as s:
        S.confirm_payment(s, payment_id=pid, on=date(2026, 4, 16), actor="city-checker")
    assert _refused(db, IllegalTransition, "复核", S.confirm_payment, payment_id=pid, on=date(2026, 4, 17),
                    actor="another") == {
        "field": "payment", "rule": S.DUTY_RULE, "message": "拨付#1（凭证号 SZ-1）已于 2026-04-16 由 city-checker 复核"}
    assert _count(db, PaymentConfirmation) == 1
    with db.sessions() as s:
        assert S.payable_to(s, S._lock_claim(s, number), CITY) == 192_500_00  # posted once


def test_a_withdrawal_frees_the_amount_and_posts_nothing(db: Any) -> None:
    number = _issued(db)
    _prepare(db, number, CITY, "SZ-1", 100_000_00, actor="city-maker")
    _prepare(db, number, CITY, "SZ-2", 50_000_00, actor="city-maker")
    _prepare(db, number, NANHU, "NH-1", 9_00, date(2026, 4, 20), "nh-maker")  # another payer's, later: no bound
    assert _refused(db, NotFound, "没有拨付", S.withdraw_payment, payment_id=9, on=date(2026, 4, 16),
                    reason="错") == {"field": "payment", "rule": "作废制单", "message": "没有拨付#9"}
    assert _refused(db, Invalid, "作废原因必填", S.withdraw_payment, payment_id=1, on=date(2026, 4, 16),
                    reason=" ") == {"field": "reason", "rule": S.WITHDRAW_RULE, "message": "作废原因必填：作废制单须说明原因"}
    assert _refused(db, Invalid, "早于", S.withdraw_payment, payment_id=1, on=date(2026, 4, 14), reason="错") == {
        "field": "on", "rule": S.DATE_RULE, "previous": "2026-04-15",
        "message": "作废制单日期 2026-04-14 早于拨付制单日期 2026-04-15：每一步不得早于前一步（经办流程）"}
    assert _count(db, PaymentWithdrawal) == 0 and _events(db, "withdraw-payment") == []
    with db.sessions.begin() as s:
        out = S.withdraw_payment(s, payment_id=1, on=date(2026, 4, 16), reason="金额错", actor="city-other")
    assert out == PaymentWithdrawn(claim=number, state=ISSUED, payment=1, outstanding_for_payer=242_500_00)
    assert _count(db, JournalEntry) == 11
    assert _events(db, "withdraw-payment") == [("issued", "issued", date(2026, 4, 16), "city-other", None,
                                                f"{CITY} SZ-1：金额错")]
    assert _refused(db, IllegalTransition, "不能再作废制单", S.withdraw_payment, payment_id=1, on=date(2026, 4, 17),
                    reason="再作废") == {
        "field": "payment", "rule": S.WITHDRAW_RULE,
        "message": "拨付#1（凭证号 SZ-1）已于 2026-04-16 由 city-other 作废制单，不能再作废制单"}
    with db.sessions.begin() as s:  # no actor named: none recorded, and the refusal says so
        S.withdraw_payment(s, payment_id=2, on=date(2026, 4, 16), reason="重复")
        row = s.execute(select(PaymentWithdrawal).where(PaymentWithdrawal.payment_id == 2)).scalar_one()
        assert (row.withdrawn_by, row.date, row.reason) == ("", date(2026, 4, 16), "重复")
    assert _refused(db, IllegalTransition, "不能再拨付复核", S.confirm_payment, payment_id=2, on=date(2026, 4, 17),
                    actor="city-checker") == {
        "field": "payment", "rule": S.WITHDRAW_RULE,
        "message": "拨付#2（凭证号 SZ-2）已于 2026-04-16 由 — 作废制单，不能再拨付复核"}
    # withdrawn payments no longer hold the city's share; 南湖区's prepared 9.00 still holds its own
    assert _prepare(db, number, CITY, "SZ-3", SHARE, on=date(2026, 4, 16)).outstanding_for_payer == 0
    assert _refused(db, PaymentExceedsPayable, "尚可制单 292,491.00 元", S.pay, claim_number=number, payer=NANHU,
                    voucher_number="NH-2", on=date(2026, 4, 20), amount_fen=292_491_01)["outstanding"] == "292491.00"


def test_a_confirmed_payment_is_not_withdrawn(db: Any) -> None:
    number = _issued(db)
    with db.sessions.begin() as s:
        made = S.pay(s, claim_number=number, payer=NANHU, voucher_number="NH-1", on=date(2026, 4, 15),
                     amount_fen=1_00, actor="nh-maker")
        S.confirm_payment(s, payment_id=made.payment, on=date(2026, 4, 16), actor="nh-checker")
    assert _refused(db, IllegalTransition, "复核记账", S.withdraw_payment, payment_id=made.payment,
                    on=date(2026, 4, 16), reason="错") == {
        "field": "payment", "rule": S.WITHDRAW_RULE,
        "message": "拨付#1（凭证号 NH-1）已于 2026-04-16 复核记账，不能作废制单，请冲销拨付"}
    assert _count(db, PaymentWithdrawal) == 0


def test_the_one_user_reading_posts_the_payment_at_once(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    number = _issued(db)
    monkeypatch.setattr(S, "_book", _single_user_book)
    _prepare(db, number, NANHU, "NH-1", 2_00)
    made = _prepare(db, number, NANHU, "NH-2", 100_000_00, actor="nh-finance")
    assert made == PaymentMade(claim=number, state=ISSUED, entry=13, remaining=484_998_00,
                               outstanding_for_payer=192_498_00, payment=2, confirmed=True)
    with db.sessions() as s:
        assert _claim_legs(s, 13) == _pay_legs(NANHU, 100_000_00)
        row = s.execute(select(PaymentConfirmation).where(PaymentConfirmation.payment_id == 2)).scalar_one()
        assert (row.confirmed_by, row.date, row.entry_id) == ("nh-finance", date(2026, 4, 15), 13)
    assert _events(db, "prepare-payment") == []  # one step: the payment is recorded as paid
    assert _events(db, "pay")[-1] == ("issued", "issued", date(2026, 4, 15), "nh-finance", 13, f"{NANHU} NH-2")


def test_a_provincial_payment_posts_in_the_year_of_the_provinces_allocation(db: Any) -> None:
    """No 党组会 approval in the provincial procedure: the payment's postings carry the fiscal year of the
    province's allocation document (省级下达), like the allocation's own."""
    from ledger import provincial
    from ledger.models import Posting
    from tests.ledger.test_procedures import _provincial_claim

    number = _provincial_claim(db)
    with db.sessions.begin() as s:
        provincial.allocate(s, claim_number=number, document_number="浙财企〔2027〕12号", on=date(2027, 1, 5),
                            amount_fen=6_000_000_00, actor="city-finance")
        provincial.receive_transfer(s, claim_number=number, document_number="到账", on=date(2027, 1, 8))
        provincial.pass_on(s, claim_number=number, document_number="转拨", on=date(2027, 1, 10))
        made = S.pay(s, claim_number=number, payer=NANHU, voucher_number="V1", on=date(2027, 1, 15),
                     amount_fen=2_000_000_00, actor="nh-maker")
        paid = S.confirm_payment(s, payment_id=made.payment, on=date(2027, 1, 16), actor="nh-checker")
        years = s.execute(select(Posting.fiscal_year).where(Posting.entry_id == paid.entry)).scalars().all()
    assert paid.confirmed and years == [2027] * 4


def test_what_a_payer_owes_is_its_own_claims(db: Any) -> None:
    claims = _two_claims_issued(db)
    with db.sessions.begin() as s:
        pay_confirmed(s, claim_number=claims[0], payer=NANHU, voucher_number="NH-1", on=date(2026, 4, 15),
                      amount_fen=100_000_00)
        assert [S.payable_to(s, S._lock_claim(s, n), NANHU) for n in claims] == [SHARE - 100_000_00, SHARE]
