"""Funds issued (下达资金), leg by leg and refusal by refusal: what the issue returns, what it records (the fund
issue row, the claim's history, the journal entry: the memorandum out of 9005 and each payer's share from
committed to obligated and from expense to payable), a procedure without 公示 posting the shares only, each
refusal whole (field, rule, message, details) with the books unchanged after it, and each claim issued on
its own approval and its own notice.

Legs follow docs/posting-rules.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from ledger import accounts as A
from ledger import services as S
from ledger.errors import IllegalTransition, Invalid
from ledger.journal import legs_of
from ledger.models import ClaimEvent, FundIssue, JournalEntry
from ledger.outcomes import ClaimState, FundsIssued
from tests.ledger.test_money_paths import AUDITED, CITY, NANHU, _claim_legs, _refused
from tests.ledger.test_procedures import _award_claim
from tests.ledger.world import run_to_audited, setup_world

SHARE = 292_500_00
APPROVED = 2 * SHARE
ISSUE_RULE = "细则 第四章（一）(2)：公示结束且无异议后下达资金"


def _noticed(db: Any, actor: str = "bureau") -> str:
    """585,000.00 approved 2026-03-25 (entry 9), noticed 2026-04-01 to 04-09 (entry 10)."""
    setup_world(db, years=(2026,))
    number = run_to_audited(db, years=AUDITED)
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor=actor)
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示")
    return number


def _issue_legs(payer: str, fen: int) -> list[tuple[str, int, str | None, int | None]]:
    return [(A.COMMITTED, fen, payer, 2026), (A.OBLIGATED, -fen, payer, 2026),
            (A.SUBSIDY_EXPENSE, fen, payer, 2026), (A.SUBSIDY_PAYABLE, -fen, payer, 2026)]


def _recorded(db: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with db.sessions() as s:
        rows = [(r.claim_id, r.document_number, r.date) for r in s.execute(select(FundIssue)).scalars()]
        events = [(e.claim_id, e.from_state, e.to_state, e.date, e.actor, e.entry_id, e.note) for e in s.execute(
            select(ClaimEvent).where(ClaimEvent.action == "issue").order_by(ClaimEvent.id)).scalars()]
    return rows, events


def test_an_issue_posts_the_memorandum_and_each_share(db: Any) -> None:
    number = _noticed(db)
    with db.sessions.begin() as s:
        out = S.issue_funds(s, claim_number=number, document_number="嘉经信〔2026〕31号", on=date(2026, 4, 10),
                            actor="city-fin")
    assert out == FundsIssued(claim=number, state=ClaimState.ISSUED, entry=11, shares={CITY: SHARE, NANHU: SHARE})
    with db.sessions() as s:
        e = s.get(JournalEntry, 11)
        assert e is not None
        assert (e.kind, e.description, e.actor, e.entry_date, e.claim_id, e.reverses_id) == (
            "issue", f"{number} 下达资金（嘉经信〔2026〕31号）", "city-fin", date(2026, 4, 10), 1, None)
        assert _claim_legs(s, 11) == [(A.MEMO_CONTRA, APPROVED, None, None), (A.MEMO_IN_NOTICE, -APPROVED, None, None),
                                      *_issue_legs(CITY, SHARE), *_issue_legs(NANHU, SHARE)]
    assert _recorded(db) == ([(1, "嘉经信〔2026〕31号", date(2026, 4, 10))],
                             [(1, "in_notice", "issued", date(2026, 4, 10), "city-fin", 11, "嘉经信〔2026〕31号")])


def test_an_issue_without_notice_posts_the_shares_only_and_names_no_user_unless_given(db: Any) -> None:
    """The municipal award's procedure has no 公示 (tests/ledger/test_procedures.py): its issue follows the
    approval and moves no memorandum; no user named, none recorded."""
    number = _award_claim(db)
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
        out = S.issue_funds(s, claim_number=number, document_number="嘉经信〔2026〕40号", on=date(2026, 3, 27))
        assert out.shares == {CITY: 500_000_00, NANHU: 500_000_00}
        e = s.get(JournalEntry, out.entry)
        assert e is not None and (e.actor, e.claim_id) == ("", 1)
        legs = [(leg.account, leg.amount, leg.payer, leg.fiscal_year, leg.program) for leg in legs_of(s, out.entry)]
    award = "municipal-award"
    assert legs == [(*leg, award) for leg in _issue_legs(CITY, 500_000_00) + _issue_legs(NANHU, 500_000_00)]
    assert _recorded(db)[1] == [(1, "approved", "issued", date(2026, 3, 27), "", out.entry, "嘉经信〔2026〕40号")]


def test_each_claim_is_issued_on_its_own_approval_and_notice(db: Any) -> None:
    """Two platforms' claims approved the same day, noticed apart: the first (notice 1, 2026-04-01 to 04-09)
    may be issued on 04-10 with its own shares; the second (notice 2, published 04-08) may not yet."""
    setup_world(db, years=(2026,))
    with db.sessions.begin() as s:
        S.create_platform(s, code="P2", name="平台2", jurisdiction=NANHU)
        S.add_platform_event(s, "P2", kind="recognition", on=date(2026, 2, 10), level="provincial")
    first = run_to_audited(db, years=AUDITED)
    second = run_to_audited(db, code="P2", years={2023: 100_000_00}, invoices=[])  # 30,000.00
    with db.sessions.begin() as s:
        for number in (first, second):
            S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
        S.publish_notice(s, claim_numbers=[first], publication_date=date(2026, 4, 1), title="公示一")
        S.publish_notice(s, claim_numbers=[second], publication_date=date(2026, 4, 8), title="公示二")
    with db.sessions.begin() as s:
        out = S.issue_funds(s, claim_number=first, document_number="d1", on=date(2026, 4, 10))
        assert out.shares == {CITY: SHARE, NANHU: SHARE}
        assert [(leg.account, leg.amount, leg.payer, leg.claim_id) for leg in legs_of(s, out.entry)][:2] == [
            (A.MEMO_CONTRA, APPROVED, None, 1), (A.MEMO_IN_NOTICE, -APPROVED, None, 1)]
    assert _refused(db, IllegalTransition, "尚在公示期内", S.issue_funds, claim_number=second, document_number="d2",
                    on=date(2026, 4, 10)) == {
        "field": "on", "rule": S.NOTICE_RULE, "notice": 2, "notice_end": "2026-04-15",
        "message": "公示“公示二”（第2号）至 2026-04-15 届满，下达日期 2026-04-10 尚在公示期内；自 2026-04-16 起方可下达资金"}


def test_each_refusal_of_an_issue_changes_nothing(db: Any) -> None:
    number = _noticed(db)
    call = {"claim_number": number, "document_number": "d"}
    assert _refused(db, Invalid, "早于", S.issue_funds, **call, on=date(2026, 3, 31)) == {
        "field": "on", "rule": S.DATE_RULE, "previous": "2026-04-01",
        "message": "资金下达日期 2026-03-31 早于公示发布日期 2026-04-01：每一步不得早于前一步（经办流程）"}
    assert _refused(db, IllegalTransition, "尚在公示期内", S.issue_funds, **call, on=date(2026, 4, 9)) == {
        "field": "on", "rule": S.NOTICE_RULE, "notice": 1, "notice_end": "2026-04-09",
        "message": "公示“公示”（第1号）至 2026-04-09 届满，下达日期 2026-04-09 尚在公示期内；自 2026-04-10 起方可下达资金"}
    assert _refused(db, Invalid, "必填", S.issue_funds, claim_number=number, document_number=" ",
                    on=date(2026, 4, 10)) == {
        "field": "document_number", "rule": "下达资金文件", "message": "下达资金文号为必填；请填写下达资金文件的文号"}
    with db.sessions.begin() as s:
        S.file_objection(s, claim_number=number, filed=date(2026, 4, 2), content="质疑")
    assert _refused(db, IllegalTransition, "尚未处理的异议", S.issue_funds, **call, on=date(2026, 4, 10)) == {
        "field": "state", "rule": ISSUE_RULE, "state": "objected",
        "message": f"申请 {number} 有尚未处理的异议；请先处理异议"}
    assert _recorded(db) == ([], [])
