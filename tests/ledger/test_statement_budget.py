"""What one claim life sends to the database stays within a budget (issue 12, part 4), and the journal head
advanced by one conditional ``UPDATE`` stays right when the head this process remembers is wrong.

A claim life: file → district economic review → district finance review → audit → approval → notice → fund
issue → each payer's payment prepared (制单) and confirmed (复核), one transaction per step (the two payment
steps each prepare and confirm in one), counted with a ``before_cursor_execute`` listener. It was 172
statements on SQLite and 159 on PostgreSQL before the work on issue 12; a regression past the ceiling fails."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from ledger import journal
from ledger import services as S
from ledger.journal import debit_credit, post, verify
from ledger.models import Claim, JournalHead
from tests.ledger.world import invoices_2023_2025, setup_world

# statements per claim life (SQLite's include its 9 BEGIN IMMEDIATE); each includes the 12 inserts of the
# stored explanation, one per state change (ledger/explanations.py, 审批所依据的计算). A step's event, explanation,
# own row and claim update are one statement on PostgreSQL, one per table on SQLite (ledger/step_rows.py); the
# platform's history, read at filing, audit and approval, is one statement each time (ledger/history.py)
CEILING = {"sqlite": 112, "postgresql": 77}
TRANSACTIONS = 9


@contextmanager
def counted(db: Any) -> Iterator[dict[str, int]]:
    seen = {"statements": 0, "transactions": 0}

    def on_statement(*_args: Any) -> None:
        seen["statements"] += 1

    def on_commit(*_args: Any) -> None:
        seen["transactions"] += 1

    event.listen(db.engine, "before_cursor_execute", on_statement)
    event.listen(db.engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", on_statement)
        event.remove(db.engine, "commit", on_commit)


def claim_life(db: Any, code: str = "P1") -> str:
    def step(fn: Callable[[Session], Any]) -> Any:
        with db.sessions.begin() as s:
            return fn(s)

    number = step(lambda s: S.file_claim(s, platform_code=code, program="equipment-subsidy",
                                         application_date=date(2026, 3, 2), invoices=invoices_2023_2025(),
                                         actor="clerk")).claim
    step(lambda s: S.review(s, claim_number=number, department="economic", approve=True, opinion="同意",
                            on=date(2026, 3, 4), actor="district-econ"))
    step(lambda s: S.review(s, claim_number=number, department="finance", approve=True, opinion="同意",
                            on=date(2026, 3, 5), actor="district-fin"))
    step(lambda s: S.record_audit(s, claim_number=number, firm="嘉兴某会计师事务所", report_number="审1",
                                  on=date(2026, 3, 20), years={2023: 1_000_000_00, 2024: 700_000_00,
                                                               2025: 250_000_00}, actor="bureau"))
    shares = step(lambda s: S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25),
                                      minutes_number="党组会〔2026〕5号", actor="party-group")).shares
    step(lambda s: S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1),
                                    title="2026年中试平台补助公示", actor="bureau"))
    step(lambda s: S.issue_funds(s, claim_number=number, document_number="嘉经信〔2026〕30号", on=date(2026, 4, 10),
                                 actor="city-finance"))
    for k, (payer, amount) in enumerate(sorted(shares.items())):
        on = date(2026, 4, 15 + 5 * k)
        step(lambda s, payer=payer, amount=amount, on=on, k=k: S.confirm_payment(
            s, payment_id=S.pay(s, claim_number=number, payer=payer, voucher_number=f"V{k}", on=on,
                                amount_fen=amount, actor="finance").payment, on=on, actor="finance-checker"))
    return number


def test_one_claim_life_stays_within_its_statement_budget(db: Any) -> None:
    setup_world(db)  # Nanhu district: the city and the district each pay a share
    with counted(db) as seen:
        number = claim_life(db)
    with db.sessions() as s:
        claim = s.execute(select(Claim).where(Claim.number == number)).scalar_one()
        assert claim.state == "paid"
        assert verify(s).ok
    assert seen["transactions"] == TRANSACTIONS
    assert seen["statements"] <= CEILING[db.dialect], seen


def test_a_claim_life_leaves_nothing_for_the_orm_to_flush(db: Any) -> None:
    """Every row of a claim life is written with Core (ledger/step_rows.py; the claim, audit, notice and payment
    rows with ``INSERT … RETURNING``) and the claim's changed columns are given to the step's writes: no step
    leaves the session anything to flush, not even an empty flush at its commit."""
    setup_world(db)
    flushes: list[list[str]] = []

    def on_flush(session: Session, *_args: Any) -> None:
        flushes.append(sorted(type(o).__name__ for o in [*session.new, *session.dirty, *session.deleted]))

    event.listen(Session, "before_flush", on_flush)
    try:
        claim_life(db)
    finally:
        event.remove(Session, "before_flush", on_flush)
    assert flushes == []


def _head(db: Any) -> tuple[int, str]:
    with db.sessions() as s:
        row = s.execute(select(JournalHead.last_id, JournalHead.last_hash)).one()
        return int(row[0]), str(row[1])


def _post_one(s: Session, n: int) -> int:
    return post(s, entry_date=date(2026, 1, 5), kind="appropriation", description=f"测试 {n}",
                legs=debit_credit("8001", "8101", 100 + n, payer="330400", fiscal_year=2026))


@pytest.mark.parametrize("wrong", ["stale", "rolled back", "foreign"])
def test_the_head_is_advanced_right_whatever_this_process_remembers(db: Any, wrong: str) -> None:
    """The remembered head is only a guess: a head moved by another process, a post rolled back, or a head
    of another chain make the conditional ``UPDATE`` match nothing, and the head is then locked and read."""
    setup_world(db)
    with db.sessions.begin() as s:
        _post_one(s, 1)
    if wrong == "stale":  # another process posted: the remembered head is one behind
        last_id, last_hash = _head(db)
        journal._known_heads.pop(db.engine, None)
        with db.sessions.begin() as s:
            _post_one(s, 2)
        journal._known_heads[db.engine] = (last_id, last_hash)
    elif wrong == "rolled back":
        with db.sessions() as s:
            s.begin()
            _post_one(s, 2)
            s.rollback()
    else:
        journal._known_heads[db.engine] = (999, "f" * 64)
    with db.sessions.begin() as s:
        entry = _post_one(s, 3)
    head_id, head_hash = _head(db)
    assert entry == head_id
    with db.sessions() as s:
        report = verify(s)
        assert report.ok, report.problem
        assert (report.head_id, report.head_hash) == (head_id, head_hash)
        assert s.execute(text("SELECT count(*) FROM journal_entries WHERE description LIKE '测试%'")).scalar_one() \
            == (3 if wrong == "stale" else 2)
