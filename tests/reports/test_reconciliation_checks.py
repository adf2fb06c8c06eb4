"""Each check of the reconciliation's 例外 sheet on its own, over a window of claim records and journal sums
written by hand (no database): what it finds, and that records agreeing with the journal give nothing.

Sums are as the journal holds them (debit +): a commitment of 100 is −100 on the committed accounts."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text

from reports import reconciliation as R
from reports.reconciliation import ApprovalRecord, ClaimRecord, ClaimWindow, PaymentRecord, RecoveryRecord
from tests.reports.world import World

NAMES = ("committed", "issued", "obligated", "expended", "rec_debit", "rec_credit")


def sums(**by_key: dict[str, int]) -> R.Sums:
    """``c1_330402={"committed": -100}`` → {(1, "330402"): {... every name ...}}."""
    out: R.Sums = {}
    for key, values in by_key.items():
        cid, payer = key.split("_")
        out[(int(cid[1:]), payer)] = {name: values.get(name, 0) for name in NAMES}
    return out


def claim(cid: int = 1, state: str = "approved", approved: int | None = 100) -> ClaimRecord:
    return ClaimRecord(cid, f"SQ2026-{cid:06d}", 7, state, approved)


def window(claims: list[ClaimRecord], s: R.Sums, **records: Any) -> ClaimWindow:
    return ClaimWindow({c.id: c for c in claims}, s, platforms={7: "P7"}, **records)


def found(check: Any, w: ClaimWindow) -> list[tuple[str, str, str, int | None, int | None]]:
    return [(x.check, x.claim, x.payer, x.records_fen, x.journal_fen) for x in check(w)]


def test_every_check_has_its_function_and_every_function_a_check() -> None:
    names = {x.__name__ for x in R.CLAIM_CHECKS} | {R.budgets_not_appropriated.__name__}
    assert len(names) == len(R.CHECKS) == 8


# ---------------------------------------------------------------- 审定 vs 承诺分录


def test_an_approved_amount_the_commitments_do_not_add_up_to() -> None:
    s = sums(c1_330402={"committed": -60}, c1_330400={"committed": -39})
    assert found(R.approved_amounts_not_committed, window([claim()], s)) == [
        ("审定 vs 承诺分录", "SQ2026-000001", "", 100, 99)]
    agree = sums(c1_330402={"committed": -60}, c1_330400={"committed": -40})
    assert found(R.approved_amounts_not_committed, window([claim()], agree)) == []


def test_a_commitment_on_a_claim_not_yet_decided() -> None:
    s = sums(c1_330402={"committed": -100})
    [x] = R.approved_amounts_not_committed(window([claim(state="audited")], s))
    assert (x.records_fen, x.journal_fen, x.note) == (0, 100, "申请状态为audited，不应有已承诺金额")


def test_an_approval_after_the_as_of_date_is_not_checked() -> None:
    approval = ApprovalRecord(1, date(2026, 6, 1), {"330402": 100})
    w = window([claim()], {}, approvals={1: approval}, as_of=date(2026, 5, 31))
    assert found(R.approved_amounts_not_committed, w) == []
    w = window([claim()], {}, approvals={1: approval}, as_of=date(2026, 6, 1))
    assert found(R.approved_amounts_not_committed, w) == [("审定 vs 承诺分录", "SQ2026-000001", "", 100, 0)]


# ---------------------------------------------------------------- 审定份额 vs 承诺分录


def test_a_payer_share_the_payer_commitments_do_not_add_up_to() -> None:
    approval = ApprovalRecord(1, date(2026, 5, 1), {"330402": 50, "330400": 50})
    s = sums(c1_330402={"committed": -51}, c1_330400={"committed": -49}, c1_330421={"committed": -3})
    assert found(R.approval_shares_not_committed, window([claim()], s, approvals={1: approval})) == [
        ("审定份额 vs 承诺分录", "SQ2026-000001", "330400", 50, 49),
        ("审定份额 vs 承诺分录", "SQ2026-000001", "330402", 50, 51),
        ("审定份额 vs 承诺分录", "SQ2026-000001", "330421", 0, 3),  # a payer with postings and no share
    ]
    agree = sums(c1_330402={"committed": -50}, c1_330400={"committed": -50})
    assert found(R.approval_shares_not_committed, window([claim()], agree, approvals={1: approval})) == []


def test_shares_of_an_undecided_claim_are_not_compared() -> None:
    approval = ApprovalRecord(1, date(2026, 5, 1), {"330402": 100})
    assert found(R.approval_shares_not_committed, window([claim(state="audited")], {}, approvals={1: approval})) == []


# ---------------------------------------------------------------- payments


def payment(pid: int, amount: int, *, entry: int | None = 9, reversed_: bool = False) -> PaymentRecord:
    return PaymentRecord(pid, 1, "330402", f"V{pid}", amount, entry, reversed_)


def test_a_payment_record_without_its_entry() -> None:
    w = window([claim()], {}, payments=[payment(1, 30), payment(2, 70, entry=None)])
    [x] = R.payments_without_entry(w)
    assert (x.check, x.payer, x.records_fen, x.journal_fen, x.platform) == ("付款记录无凭证", "330402", 70, None, "P7")
    assert "V2" in x.note


def test_payments_the_expended_postings_do_not_add_up_to() -> None:
    s = sums(c1_330402={"expended": -30})
    w = window([claim()], s, payments=[payment(1, 30), payment(2, 70)])
    assert found(R.payments_not_expended, w) == [("付款记录 vs 已支出分录", "SQ2026-000001", "330402", 100, 30)]


def test_a_reversed_payment_counts_for_nothing() -> None:
    s = sums(c1_330402={"expended": -30})
    w = window([claim()], s, payments=[payment(1, 30), payment(2, 70, reversed_=True)])
    assert found(R.payments_not_expended, w) == []


# ---------------------------------------------------------------- 资金下达 vs 已下达分录


def test_an_issue_whose_postings_are_not_the_approved_amount() -> None:
    s = sums(c1_330402={"issued": -99})
    w = window([claim(state="issued")], s, fund_issues={1: "嘉经信〔2026〕1号"})
    [x] = R.fund_issues_not_obligated(w)
    assert (x.check, x.records_fen, x.journal_fen) == ("资金下达 vs 已下达分录", 100, 99)
    assert "嘉经信〔2026〕1号" in x.note
    agree = sums(c1_330402={"issued": -100})
    assert found(R.fund_issues_not_obligated, window([claim()], agree, fund_issues={1: "x"})) == []


def test_issue_postings_without_an_issue_record() -> None:
    s = sums(c1_330402={"issued": -100})
    assert found(R.fund_issues_not_obligated, window([claim()], s)) == [
        ("资金下达 vs 已下达分录", "SQ2026-000001", "", None, 100)]


# ---------------------------------------------------------------- 追回记录 vs 应收分录


def test_recoveries_the_receivable_does_not_match_on_either_side() -> None:
    s = sums(c1_330402={"rec_debit": 40, "rec_credit": -10})
    w = window([claim(state="recovered")], s, recoveries=[RecoveryRecord(1, "330402", 30, 5),
                                                          RecoveryRecord(1, "330402", 20, 5)])
    assert found(R.recoveries_not_receivable, w) == [("追回记录 vs 应收分录", "SQ2026-000001", "330402", 50, 40)]
    s = sums(c1_330402={"rec_debit": 50, "rec_credit": -9})
    assert found(R.recoveries_not_receivable, window([claim()], s, recoveries=w.recoveries)) == [
        ("追回到账 vs 应收分录", "SQ2026-000001", "330402", 10, 9)]


def test_receipts_are_not_compared_on_an_as_of_date() -> None:
    s = sums(c1_330402={"rec_debit": 50, "rec_credit": -9})
    w = window([claim()], s, recoveries=[RecoveryRecord(1, "330402", 50, 10)], as_of=date(2026, 6, 1))
    assert found(R.recoveries_not_receivable, w) == []


# ---------------------------------------------------------------- 已拨付状态 vs 未拨付余额


def test_a_paid_claim_with_money_still_issued_and_unpaid() -> None:
    s = sums(c1_330402={"obligated": -1})
    assert found(R.paid_claims_still_obligated, window([claim(state="paid")], s)) == [
        ("已拨付状态 vs 未拨付余额", "SQ2026-000001", "", 0, 1)]
    assert found(R.paid_claims_still_obligated, window([claim(state="issued")], s)) == []


# ---------------------------------------------------------------- 预算指标 vs 预算批复分录 (per payer, no claim)


def test_a_budget_the_appropriation_postings_do_not_add_up_to(db: Any, world: World) -> None:
    with db.sessions() as s:
        assert list(R.budgets_not_appropriated(s)) == []
    with db.sessions.begin() as s:
        s.execute(text("UPDATE budgets SET appropriation_fen = appropriation_fen - 3 "
                       "WHERE payer_code = '330421' AND fiscal_year = 2026"))
    with db.sessions() as s:
        [x] = R.budgets_not_appropriated(s)
    assert (x.check, x.claim, x.payer, x.difference_fen) == ("预算指标 vs 预算批复分录", "", "330421", -3)
    assert x.note == "2026年度国家级、省级中试平台设备投入补助预算指标与预算批复（8001）分录不符"
