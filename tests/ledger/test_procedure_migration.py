"""Migration 0008 (procedures as data) on a populated ledger, both engines: every journal entry, posting and
claim event is the same before and after (rows and hash chain), every existing claim follows ``equipment``,
and a migrated claim goes on through its procedure."""

from __future__ import annotations

from datetime import date
from typing import Any

from alembic import command
from sqlalchemy import text

from ledger import services as S
from ledger.journal import verify
from tests.ledger.owner import owner_engine, regrant
from tests.ledger.test_migrations import _config
from tests.ledger.world import pay_confirmed, run_to_audited, setup_world

TABLES = {"journal_entries": "id", "postings": "id", "claim_events": "id"}


def _snapshot(db: Any) -> dict[str, list[tuple[Any, ...]]]:
    with db.engine.connect() as conn:
        return {table: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY {key}"))]
                for table, key in TABLES.items()}


def _populate(db: Any) -> tuple[str, str]:
    """A paid claim, a claim in notice, an audited claim and a rejected one."""
    setup_world(db)
    paid = run_to_audited(db, years={2023: 1_000_000_00, 2024: 700_000_00, 2025: 300_000_00})
    with db.sessions.begin() as s:
        S.approve(s, claim_number=paid, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
        S.publish_notice(s, claim_numbers=[paid], publication_date=date(2026, 4, 1), title="公示")
        S.issue_funds(s, claim_number=paid, document_number="下达", on=date(2026, 4, 10))
        pay_confirmed(s, claim_number=paid, payer="330400", voucher_number="V1", on=date(2026, 4, 15), amount_fen=300_000_00)
        pay_confirmed(s, claim_number=paid, payer="330402", voucher_number="V2", on=date(2026, 4, 16), amount_fen=300_000_00)
    setup_world(db, code="P2", years=())
    waiting = run_to_audited(db, code="P2", invoices=[S.InvoiceIn("X", "1", date(2025, 3, 1), 500_000_00)],
                             years={2025: 500_000_00})
    setup_world(db, code="P3", years=())
    with db.sessions.begin() as s:
        rejected = S.file_claim(s, platform_code="P3", program="equipment-subsidy", application_date=date(2026, 3, 2),
                                invoices=[S.InvoiceIn("Y", "9", date(2025, 5, 1), 400_000_00)], actor="clerk").claim
        S.review(s, claim_number=rejected, department="economic", approve=False, opinion="材料不全",
                 on=date(2026, 3, 3), actor="econ")
    return paid, waiting


def test_migration_0008_changes_no_journal_entry(db: Any) -> None:
    _paid, waiting = _populate(db)
    with owner_engine(db) as owner:  # migrations are the schema owner's to run (ledger/privileges.py)
        with owner.begin() as conn:
            command.downgrade(_config(conn), "0007")  # the schema this revision meets in the field
        before = _snapshot(db)
        assert before["journal_entries"] and before["postings"] and before["claim_events"]
        with owner.begin() as conn:
            command.upgrade(_config(conn), "head")
    regrant(db)
    assert _snapshot(db) == before
    with db.engine.connect() as conn:
        assert {r[0] for r in conn.execute(text("SELECT procedure FROM claims"))} == {"equipment"}
        assert conn.execute(text("SELECT COUNT(*) FROM accounts WHERE code IN ('1202','2002','8002')")).scalar() == 3
    with db.sessions() as s:
        assert verify(s).ok
    with db.sessions.begin() as s:  # a migrated claim goes on through the equipment procedure
        S.approve(s, claim_number=waiting, meeting_date=date(2026, 3, 25), minutes_number="m2", actor="bureau")
        S.publish_notice(s, claim_numbers=[waiting], publication_date=date(2026, 4, 1), title="公示二")
    with db.sessions() as s:
        assert verify(s).ok
