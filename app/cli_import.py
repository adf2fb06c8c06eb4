"""``subsidy ledger import-entries FILE``: historical journal entries from a CSV file (ledger/bulk_file.py),
appended through :func:`ledger.bulk.import_entries` with every guarantee of posting (the head lock, the
hash chain, gap-free numbers, the database's triggers).

All or nothing: the whole file is read and checked first, every problem named by line and column in
Chinese; then the entries are written in ONE transaction, batch by batch (a progress bar on a terminal,
nothing when piped), and the projections are recomputed before the commit — an import that would make
a table disagree with the journal, or that the database refuses, is rolled back whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from app import cli_ui as ui
from ledger.bulk import BulkResult, EntrySpec

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from ledger.errors import LedgerError

PROJECTION_RULE = "台账投影核对：表中金额须与日记账重算一致（docs/posting-rules.md）"


def _write(factory: sessionmaker[Session], specs: list[EntrySpec], batch: int,
           progress: ui.ProgressCallback | None) -> BulkResult:
    """Append ``specs`` in one transaction; refuse (rolled back) what the database or the projections refuse."""
    from sqlalchemy.exc import DBAPIError

    from ledger import projections
    from ledger.bulk import database_refusal, import_entries
    from ledger.db import transaction
    from ledger.errors import Invalid

    with transaction(factory) as session:
        before = {str(m) for m in projections.check(session)}
        try:
            result = import_entries(session, specs, batch=batch, progress=progress)
        except DBAPIError as exc:
            raise database_refusal(exc, 0, len(specs)) from exc
        new = [m for m in projections.check(session) if str(m) not in before]
        if new:
            raise Invalid(PROJECTION_RULE, f"导入后有 {len(new)} 处表中金额与日记账不符（{new[0]}），已撤销，未导入任何凭证",
                          field="file")
    return result


def _refused(exc: LedgerError, as_json: bool) -> NoReturn:
    """The refusal on stderr (exit 2): each problem of the file on its own line, or JSON under ``--json``."""
    from ledger.bulk_file import EntryFileError
    from ledger.messages import label

    issues = exc.issues if isinstance(exc, EntryFileError) else []
    if as_json:
        payload = {"ok": False, "error": exc.to_dict(),
                   "issues": [{"line": i.line, "field": i.column, "label": label(i.column) if i.column else "",
                               "rule": i.rule, "message": i.message} for i in issues]}
        typer.echo(json.dumps(payload, ensure_ascii=False), err=True)
    elif issues:
        lines = [f"拒绝：导入文件有 {len(issues)} 处问题，未导入任何凭证："]
        lines += [f"  {i.text()}（依据：{i.rule}）" for i in issues]
        typer.echo("\n".join(lines), err=True)
    else:
        named = f"{label(exc.field)}：" if exc.field else ""
        typer.echo(f"拒绝：{named}{exc.message}（依据：{exc.rule}）", err=True)
    raise typer.Exit(2)


def import_entries_file(factory: sessionmaker[Session], file: Path, *, actor: str, batch: int,
                        as_json: bool) -> None:
    """Check ``file`` whole, then append its entries; print what was imported (or why nothing was)."""
    from ledger.bulk_file import read_entries
    from ledger.db import reading
    from ledger.errors import LedgerError

    try:
        with reading(factory) as session:
            specs = read_entries(session, file.read_bytes(), actor=actor)
        with ui.progress_bar("导入凭证") as progress:
            result = _write(factory, specs, batch, progress)
    except LedgerError as exc:
        _refused(exc, as_json)
    if as_json:
        typer.echo(json.dumps({"ok": True, "entries": result.entries, "postings": result.postings,
                               "first_id": result.first_id, "last_id": result.last_id}, ensure_ascii=False))
        return
    typer.echo(f"已导入 {result.entries:,} 张凭证、{result.postings:,} 条分录：第 {result.first_id} 至 "
               f"{result.last_id} 号凭证（{file.name}）")
