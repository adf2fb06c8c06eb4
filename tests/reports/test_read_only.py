"""Reports only read: every report runs against the ledger with nothing but SELECTs, and leaves the
journal, its hash chain and every table exactly as they were."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from sqlalchemy import event, inspect, text

from reports import annex3, evaluation_sheet, fund_issue, notice_list, reconciliation, trial_balance
from tests.reports.test_evaluation_and_cli import _evaluations
from tests.reports.world import World

# Reads, and transaction control (on SQLite the ledger's engine begins every transaction IMMEDIATE).
READ = re.compile(r"^\s*(SELECT|WITH|BEGIN( IMMEDIATE| DEFERRED)?\s*$|COMMIT\s*$|ROLLBACK\s*$)", re.IGNORECASE)


def _snapshot(db) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{t}" ORDER BY 1'))]
                for t in sorted(inspect(conn).get_table_names())}


def test_every_report_only_reads(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _evaluations(db)
    before = _snapshot(db)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.sessions() as s:
            annex3.write_claim(s, world.n1, tmp_path / "a.xlsx")
            annex3.write_batch(s, "330402", tmp_path / "b.xlsx")
            notice_list.write(s, world.notice, tmp_path / "n.xlsx")
            for payer in ("330400", "330402", "330421"):
                fund_issue.write(s, payer, tmp_path / f"f{payer}.xlsx")
            reconciliation.write(s, tmp_path / "r.xlsx")
            reconciliation.write(s, tmp_path / "r2.xlsx", as_of=date(2026, 4, 16), all_postings=True)
            trial_balance.write(s, date(2026, 1, 1), date(2026, 12, 31), tmp_path / "t.xlsx")
            evaluation_sheet.write(s, "P1", 2025, tmp_path / "e.xlsx")
            s.rollback()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements
    writes = [st for st in statements if not READ.match(st)]
    assert writes == []
    assert _snapshot(db) == before
