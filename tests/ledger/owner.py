"""Acting as the schema owner (属主), behind the application's back: what a test does to prove the database or
``verify`` stands up to someone holding the owner's rights — switching the journal's triggers off, rewriting
rows, running the migrations down and up.

With ``TEST_SERVICE_ROLE=1`` the application (``db.sessions``, ``db.url``) is the restricted service role of
ledger/privileges.py, which may not do any of that: its privileges refuse it before a trigger is reached. So
the tampering goes through :func:`owner_engine`, and the application's own actions stay on the service role.
Without the service role, and on SQLite (one file, no roles), the owner is the test's own connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

from ledger.db import make_engine
from ledger.privileges import upgrade
from tests.conftest import LedgerDB

SQLITE_GUARDS = ("journal_entries_no_update", "journal_entries_no_delete", "postings_no_update", "postings_no_delete",
                 "journal_entries_balanced", "postings_entry_open")
"""The journal's guards on SQLite (migrations 0002 and 0003), which has no ``DISABLE TRIGGER``."""


def as_service_role(db: LedgerDB) -> bool:
    """Whether the test's application connects as a role other than the owner (``TEST_SERVICE_ROLE=1``)."""
    return (db.owner_url or db.url) != db.url


@contextmanager
def owner_engine(db: LedgerDB) -> Iterator[Engine]:
    """An engine connected as the schema owner: ``db.engine`` itself when the test already connects as the
    owner, else one made for the block (``db.owner_url``) and disposed after."""
    if not as_service_role(db):
        yield db.engine
        return
    engine = make_engine(db.owner_url)
    try:
        yield engine
    finally:
        engine.dispose()


def regrant(db: LedgerDB) -> None:
    """After the owner ran the migrations by hand: the service role's grants again, as ``subsidy ledger
    upgrade`` gives them after migrating (a table a downgrade dropped comes back up without them)."""
    if as_service_role(db):
        upgrade(db.owner_url, db.url)


def unguard(conn: Connection, dialect: str) -> None:
    """Switch every guard of the journal off, as only the owner can (in ``conn``'s transaction: rolled back
    with it, or kept if it commits)."""
    if dialect == "postgresql":
        for table in ("journal_entries", "postings"):
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    else:
        for name in SQLITE_GUARDS:
            conn.execute(text(f"DROP TRIGGER {name}"))


def alter_posting(db: LedgerDB, entry_id: int, amount_fen: int) -> None:
    """Change both legs of entry ``entry_id`` to ``amount_fen`` with the postings' guard off for the moment
    (on SQLite it stays dropped), as an intruder with the owner's rights would: the hash no longer fits."""
    with owner_engine(db) as engine, engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("ALTER TABLE postings DISABLE TRIGGER postings_append_only"))
        else:
            conn.execute(text("DROP TRIGGER postings_no_update"))
        conn.execute(text("UPDATE postings SET amount_fen = :a WHERE entry_id = :e AND amount_fen > 0"),
                     {"a": amount_fen, "e": entry_id})
        conn.execute(text("UPDATE postings SET amount_fen = :a WHERE entry_id = :e AND amount_fen < 0"),
                     {"a": -amount_fen, "e": entry_id})
        if db.dialect == "postgresql":
            conn.execute(text("ALTER TABLE postings ENABLE TRIGGER postings_append_only"))
