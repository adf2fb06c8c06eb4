"""The journal: balanced, append-only (enforced by the database itself), hash-chained."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from ledger import accounts as A
from ledger.errors import JournalIntegrityError
from ledger.journal import Leg, debit_credit, post, reverse, verify
from ledger.models import JournalEntry
from tests.ledger.owner import alter_posting, as_service_role, owner_engine


def _post_some(db, n: int = 3) -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    with db.sessions.begin() as s:
        for i in range(n):
            ids.append(post(s, entry_date=date(2026, 1, 1 + i), kind="appropriation", description=f"预算{i}",
                            legs=debit_credit(A.BUDGET_AUTHORITY, A.APPROPRIATION_AVAILABLE, 100_00 + i)))
    return ids


def test_entries_are_numbered_and_chain_verifies(db) -> None:  # type: ignore[no-untyped-def]
    assert _post_some(db) == [1, 2, 3]
    with db.sessions() as s:
        report = verify(s)
    assert report.ok and report.entries == 3 and report.postings == 6


@pytest.fixture
def beijing_clock() -> Iterator[None]:
    """The process's local time zone set to 北京时间 for one test, then put back."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


def test_an_entry_records_who_posted_it_and_when(db, beijing_clock) -> None:  # type: ignore[no-untyped-def]
    """No actor named: none recorded (not a placeholder); posted_at is the moment of posting, in UTC even
    where the machine's clock is in 北京时间."""
    before = datetime.now(UTC).replace(tzinfo=None)
    first, = _post_some(db, 1)
    with db.sessions.begin() as s:
        second = post(s, entry_date=date(2026, 1, 2), kind="appropriation", description="预算", actor="财政",
                      legs=debit_credit(A.BUDGET_AUTHORITY, A.APPROPRIATION_AVAILABLE, 1))
    with db.sessions() as s:
        rows = {r.id: r for r in s.execute(select(JournalEntry).where(JournalEntry.id.in_([first, second])))
                .scalars()}
        assert (rows[first].actor, rows[second].actor) == ("", "财政")
        after = datetime.now(UTC).replace(tzinfo=None)
        for row in rows.values():  # a local-time stamp would be 8 hours off
            stamp = row.posted_at.astimezone(UTC).replace(tzinfo=None) if row.posted_at.tzinfo else row.posted_at
            assert before - timedelta(seconds=5) <= stamp <= after + timedelta(seconds=5)


def test_unbalanced_entry_is_refused_by_code(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(JournalIntegrityError, match="借贷必须相等"), db.sessions.begin() as s:
        post(s, entry_date=date(2026, 1, 1), kind="x", description="bad",
             legs=[Leg(A.BUDGET_AUTHORITY, 100), Leg(A.APPROPRIATION_AVAILABLE, -99)])


def test_database_refuses_unbalanced_entry_behind_the_application(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((IntegrityError, DBAPIError)), db.engine.begin() as conn:
        conn.execute(text("INSERT INTO postings (entry_id, account_code, amount_fen) VALUES (1, '8001', 100)"))
        conn.execute(text("INSERT INTO postings (entry_id, account_code, amount_fen) VALUES (1, '8101', -90)"))
        conn.execute(text("INSERT INTO journal_entries (id, entry_date, kind, description, actor, posted_at, "
                          "prev_hash, hash) VALUES (1, '2026-01-01', 'x', 'bad', '', '2026-01-01', 'a', 'b')"))


@pytest.mark.parametrize("statement", [
    "UPDATE postings SET amount_fen = amount_fen * 2",
    "DELETE FROM postings",
    "UPDATE journal_entries SET description = 'changed'",
    "DELETE FROM journal_entries",
])
def test_database_refuses_update_and_delete(db, statement: str) -> None:  # type: ignore[no-untyped-def]
    _post_some(db, 1)
    # the triggers refuse even the schema owner, whose privileges would allow the statement
    with owner_engine(db) as owner, pytest.raises(DBAPIError, match="append-only"), owner.begin() as conn:
        conn.execute(text(statement))
    if as_service_role(db):  # the service role (TEST_SERVICE_ROLE=1) is refused by its privileges before that
        with pytest.raises(DBAPIError, match="permission denied"), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.sessions() as s:
        assert verify(s).ok


def test_postings_cannot_be_added_to_a_posted_entry(db) -> None:  # type: ignore[no-untyped-def]
    _post_some(db, 1)
    with pytest.raises(DBAPIError, match="already posted"), db.engine.begin() as conn:
        conn.execute(text("INSERT INTO postings (entry_id, account_code, amount_fen) VALUES (1, '8001', 5)"))


def test_reversal_names_the_entry_and_nets_to_zero(db) -> None:  # type: ignore[no-untyped-def]
    _post_some(db, 2)
    with db.sessions.begin() as s:
        rid = reverse(s, 2, entry_date=date(2026, 2, 1), reason="录入错误")
    with db.sessions() as s:
        net = s.execute(text("SELECT SUM(amount_fen) FROM postings WHERE account_code = '8101' AND entry_id IN (2, 3)"))
        assert net.scalar() == 0
        assert s.execute(text("SELECT reverses_id FROM journal_entries WHERE id = :i"), {"i": rid}).scalar() == 2
        assert verify(s).ok
    with pytest.raises(JournalIntegrityError, match="不能重复冲销"), db.sessions.begin() as s:
        reverse(s, 2, entry_date=date(2026, 2, 2), reason="again")


def test_verify_catches_a_row_altered_behind_the_applications_back(db) -> None:  # type: ignore[no-untyped-def]
    _post_some(db, 5)
    alter_posting(db, 3, 999)  # the guard off the way an intruder with the owner's rights would, then back on
    with db.sessions() as s:
        report = verify(s)
    assert not report.ok and report.first_bad == 3 and report.problem == "第 3 号凭证：内容与其哈希不符"
