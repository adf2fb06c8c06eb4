"""``subsidy report …``: write a report of the ledger at DATABASE_URL as xlsx and print its path.

    subsidy report annex3 CLAIM [--out FILE]
    subsidy report annex3-blank [--out FILE]
    subsidy report annex3-batch --jurisdiction CODE [--year Y] [--state S …] [--out FILE]
    subsidy report notice-list NOTICE_ID [--unit yuan|wan] [--out FILE]
    subsidy report fund-issue --payer CODE [--fiscal-year Y] [--as-of DATE] [--unit yuan|wan] [--out FILE]
    subsidy report reconciliation [--as-of DATE] [--all-postings] [--out FILE]
    subsidy report trial-balance --from DATE --to DATE [--out FILE]
    subsidy report evaluation-sheet PLATFORM YEAR [--out FILE]

Reports only read the ledger. A report that cannot be produced (unknown claim, …) exits 2 with the
reason on stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

reports_cli = typer.Typer(no_args_is_help=True, help="报表：附件3申请表、公示名单、资金下达表、对账、试算平衡、评价表")

Out = Annotated[Path | None, typer.Option("--out", "-o", help="the xlsx file to write")]


@contextmanager
def _session() -> Iterator[Session]:
    from ledger.db import ensure_schema, make_engine, reading, session_factory

    engine = make_engine()
    ensure_schema(engine)
    try:
        # read-only (never holds SQLite's write lock), and one snapshot: the report's totals add up
        with reading(session_factory(engine), snapshot=True) as session:
            yield session
    finally:
        engine.dispose()


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} 不是日期；请写成 年-月-日（如 2026-12-03）", param_hint=option) from None


def _run(fn: Callable[[Session], Path]) -> None:
    from reports.xlsx import ReportError

    try:
        with _session() as s:
            path = fn(s)
    except ReportError as exc:
        sys.stderr.write(f"无法生成报表：{exc}\n")
        raise typer.Exit(2) from None
    typer.echo(str(path))


def _out(out: Path | None, default: str) -> Path:
    return out if out is not None else Path(default)


@reports_cli.command("annex3")
def annex3(claim: Annotated[str, typer.Argument(help="claim number, e.g. SQ2026-000001")], out: Out = None) -> None:
    """附件3 国家、省级中试平台补助资金申请表, prefilled from a claim."""
    from reports import annex3 as R

    _run(lambda s: R.write_claim(s, claim, _out(out, f"附件3_{claim}.xlsx")))


@reports_cli.command("annex3-blank")
def annex3_blank(out: Out = None) -> None:
    """附件3, the blank form."""
    from reports import annex3 as R

    path = R.write_blank(_out(out, "附件3_空白.xlsx"))
    typer.echo(str(path))


@reports_cli.command("annex3-batch")
def annex3_batch(
    jurisdiction: Annotated[str, typer.Option(help="jurisdiction code, e.g. 330402 南湖区")],
    year: Annotated[int | None, typer.Option(help="only claims filed in this year")] = None,
    state: Annotated[list[str] | None, typer.Option(
        help="only claims in this state (repeatable), e.g. district_reviewed")] = None,
    out: Out = None,
) -> None:
    """附件3 for every claim of a jurisdiction's platforms: one workbook, one sheet per claim."""
    from ledger.models import CLAIM_STATES
    from reports import annex3 as R

    for st in state or []:
        if st not in CLAIM_STATES:
            raise typer.BadParameter(f"{st!r} 不是申请状态；可选：{'、'.join(CLAIM_STATES)}", param_hint="--state")

    _run(lambda s: R.write_batch(s, jurisdiction, _out(out, f"附件3_{jurisdiction}.xlsx"), year=year,
                                 states=state or None))


@reports_cli.command("notice-list")
def notice_list(
    notice_id: Annotated[int, typer.Argument(help="the notice batch's id")],
    unit: Annotated[str, typer.Option(help="yuan (元, 2 decimals) or wan (万元, exact)")] = "yuan",
    out: Out = None,
) -> None:
    """公示名单 of a notice batch."""
    from reports import notice_list as R
    from reports.common import unit as unit_of

    _run(lambda s: R.write(s, notice_id, _out(out, f"公示名单_{notice_id}.xlsx"), unit=unit_of(unit)))


@reports_cli.command("fund-issue")
def fund_issue(
    payer: Annotated[str, typer.Option(help="payer code, e.g. 330400 嘉兴市财政局")],
    fiscal_year: Annotated[int | None, typer.Option(help="only this budget year")] = None,
    as_of: Annotated[str | None, typer.Option(help="entries dated up to YYYY-MM-DD")] = None,
    unit: Annotated[str, typer.Option(help="yuan or wan")] = "yuan",
    out: Out = None,
) -> None:
    """资金下达表 of one payer, totals from the journal."""
    from reports import fund_issue as R
    from reports.common import unit as unit_of

    on = _date(as_of, "--as-of")
    _run(lambda s: R.write(s, payer, _out(out, f"资金下达_{payer}.xlsx"), fiscal_year=fiscal_year, as_of=on,
                           unit=unit_of(unit)))


@reports_cli.command("reconciliation")
def reconciliation(
    as_of: Annotated[str | None, typer.Option(help="entries dated up to YYYY-MM-DD")] = None,
    all_postings: Annotated[bool, typer.Option(help="list every posting, not only those behind the figures")] = False,
    out: Out = None,
) -> None:
    """累计上限对账工作簿 for auditors (streams; any journal size)."""
    from reports import reconciliation as R

    on = _date(as_of, "--as-of")
    _run(lambda s: R.write(s, _out(out, "累计上限对账.xlsx"), as_of=on, all_postings=all_postings))


@reports_cli.command("trial-balance")
def trial_balance(
    start: Annotated[str, typer.Option("--from", help="YYYY-MM-DD, first day")],
    end: Annotated[str, typer.Option("--to", help="YYYY-MM-DD, last day")],
    out: Out = None,
) -> None:
    """试算平衡表 and the summary per jurisdiction and payer for a date range."""
    from reports import trial_balance as R

    d0, d1 = _date(start, "--from"), _date(end, "--to")
    assert d0 is not None and d1 is not None
    _run(lambda s: R.write(s, d0, d1, _out(out, f"试算平衡表_{d0}_{d1}.xlsx")))


@reports_cli.command("evaluation-sheet")
def evaluation_sheet(
    platform: Annotated[str, typer.Argument(help="platform code")],
    year: Annotated[int, typer.Argument(help="the year evaluated")],
    out: Out = None,
) -> None:
    """附件2 年度绩效评价表 of a platform's year."""
    from reports import evaluation_sheet as R

    _run(lambda s: R.write(s, platform, year, _out(out, f"绩效评价_{platform}_{year}.xlsx")))


if __name__ == "__main__":
    reports_cli(prog_name="subsidy report")
