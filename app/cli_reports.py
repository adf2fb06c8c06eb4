"""``subsidy report …``: write a report of the ledger at DATABASE_URL as xlsx and print its path.

    subsidy report annex3 CLAIM [--out FILE]
    subsidy report annex3-blank [--out FILE]
    subsidy report annex3-batch --jurisdiction CODE [--year Y] [--state S …] [--out FILE]
    subsidy report notice-list NOTICE_ID [--unit yuan|wan] [--out FILE]
    subsidy report fund-issue --payer CODE [--fiscal-year Y] [--as-of DATE] [--unit yuan|wan] [--out FILE]
    subsidy report reconciliation [--as-of DATE] [--all-postings] [--out FILE]
    subsidy report trial-balance --from DATE --to DATE [--out FILE]
    subsidy report evaluation-sheet PLATFORM YEAR [--out FILE]

Every command also takes ``--force``. Reports only read the ledger. Without ``--out`` the file is named
with its as-of date or period, ISO (``累计上限对账_2026-12-03.xlsx``, ``试算平衡表_2026-01-01_2026-12-31.xlsx``):
ISO dates sort in date order in a file list. An existing file is never replaced unless ``--force`` is
given: the command refuses (exit 2) naming the file. A report that cannot be produced (unknown claim, …)
exits 2 with the reason on stderr; the long ones (annex3-batch, reconciliation) draw a progress bar on
a terminal and nothing when piped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.orm import Session

from app import cli_ui as ui
from app.cli_ui import ChineseGroup

if TYPE_CHECKING:
    from reports.common import Unit

reports_cli = typer.Typer(cls=ChineseGroup, no_args_is_help=True,
                          help="报表：附件3申请表、公示名单、资金下达表、对账、试算平衡、评价表")

Out = Annotated[Path | None, typer.Option("--out", "-o", help="the xlsx file to write (default: named with its date)")]
Force = Annotated[bool, typer.Option("--force", help="replace the file if it exists (else the command refuses)")]


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


def parse_date(text: str | None, option: str) -> date | None:
    """``YYYY-MM-DD`` typed for ``option``, or a Chinese usage error naming the option."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} 不是有效日期；请写成 年-月-日（如 2026-12-03）",
                                 param_hint=option) from None


def _name_part(text: str) -> str:
    """A typed code as part of a file name: only letters, digits, ``-`` and ``_`` (no path, no dot-dot)."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:40] or "_"


def _today() -> str:
    return date.today().isoformat()


Writer = Callable[[Session, Path, ui.ProgressCallback | None], Path]


def _run(name: Callable[[Session], Path], write: Writer, force: bool, label: str | None = None) -> None:
    """Name the file (from ``--out`` or with its date), refuse to replace an existing one unless ``force``,
    write it (with a progress bar labelled ``label`` on a terminal) and print its path."""
    from reports.xlsx import ReportError

    try:
        with _session() as s:
            path = name(s)
            ui.refuse_overwrite(path, force)
            with ui.progress_bar(label) if label else nullcontext() as progress:
                written = write(s, path, progress)
    except ReportError as exc:
        ui.error(f"无法生成报表：{exc}")
    typer.echo(str(written))


def _named(out: Path | None, stem: str, dated: str | None) -> Callable[[Session], Path]:
    return lambda _: ui.report_path(out, stem, dated=dated)


@reports_cli.command("annex3")
def annex3(claim: Annotated[str, typer.Argument(help="claim number, e.g. SQ2026-000001")], out: Out = None,
           force: Force = False) -> None:
    """附件3 国家、省级中试平台补助资金申请表, prefilled from a claim (default file: 附件3_CLAIM_DATE.xlsx, the
    date it was read)."""
    from reports import annex3 as R

    _run(_named(out, f"附件3_{_name_part(claim)}", _today()), lambda s, p, _: R.write_claim(s, claim, p), force)


@reports_cli.command("annex3-blank")
def annex3_blank(out: Out = None, force: Force = False) -> None:
    """附件3, the blank form (default file: 附件3_空白.xlsx)."""
    from reports import annex3 as R

    path = ui.report_path(out, "附件3_空白", dated=None)
    ui.refuse_overwrite(path, force)
    typer.echo(str(R.write_blank(path)))


@reports_cli.command("annex3-batch")
def annex3_batch(
    jurisdiction: Annotated[str, typer.Option(help="jurisdiction code, e.g. 330402 南湖区")],
    year: Annotated[int | None, typer.Option(help="only claims filed in this year")] = None,
    state: Annotated[list[str] | None, typer.Option(
        help="only claims in this state (repeatable), e.g. district_reviewed")] = None,
    out: Out = None,
    force: Force = False,
) -> None:
    """附件3 for every claim of a jurisdiction's platforms: one workbook, one sheet per claim (default file:
    附件3_JURISDICTION[_YEAR年]_DATE.xlsx), with a progress bar on a terminal."""
    from ledger.models import CLAIM_STATES
    from reports import annex3 as R

    for st in state or []:
        if st not in CLAIM_STATES:
            raise typer.BadParameter(f"{st!r} 不是申请状态；可选：{'、'.join(CLAIM_STATES)}", param_hint="--state")
    stem = f"附件3_{_name_part(jurisdiction)}" + (f"_{year}年" if year else "")
    _run(_named(out, stem, _today()),
         lambda s, p, progress: R.write_batch(s, jurisdiction, p, year=year, states=state or None, progress=progress),
         force, "生成附件3")


@reports_cli.command("notice-list")
def notice_list(
    notice_id: Annotated[int, typer.Argument(help="the notice batch's id")],
    unit: Annotated[str, typer.Option(help="yuan (元, 2 decimals) or wan (万元)")] = "yuan",
    out: Out = None,
    force: Force = False,
) -> None:
    """公示名单 of a notice batch (default file: 公示名单_ID_DATE.xlsx)."""
    from reports import notice_list as R

    u = _unit(unit)
    _run(_named(out, f"公示名单_{notice_id}", _today()), lambda s, p, _: R.write(s, notice_id, p, unit=u), force)


def _unit(text: str) -> Unit:
    from reports.common import UNITS

    if text in UNITS:
        return UNITS[text]
    raise typer.BadParameter(f"{text!r} 不是金额单位；可选：yuan（元）、wan（万元）", param_hint="--unit") from None


@reports_cli.command("fund-issue")
def fund_issue(
    payer: Annotated[str, typer.Option(help="payer code, e.g. 330400 嘉兴市财政局")],
    fiscal_year: Annotated[int | None, typer.Option(help="only this budget year")] = None,
    as_of: Annotated[str | None, typer.Option(help="entries dated up to YYYY-MM-DD")] = None,
    unit: Annotated[str, typer.Option(help="yuan or wan")] = "yuan",
    out: Out = None,
    force: Force = False,
) -> None:
    """资金下达表 of one payer, totals from the journal (default file: 资金下达_PAYER[_YEAR年度]_ASOF.xlsx, ASOF
    the --as-of date or the date it was read)."""
    from reports import fund_issue as R

    on, u = parse_date(as_of, "--as-of"), _unit(unit)
    stem = f"资金下达_{_name_part(payer)}" + (f"_{fiscal_year}年度" if fiscal_year else "")
    _run(_named(out, stem, (on.isoformat() if on else _today())),
         lambda s, p, _: R.write(s, payer, p, fiscal_year=fiscal_year, as_of=on, unit=u), force)


@reports_cli.command("reconciliation")
def reconciliation(
    as_of: Annotated[str | None, typer.Option(help="entries dated up to YYYY-MM-DD")] = None,
    all_postings: Annotated[bool, typer.Option(help="list every posting, not only those behind the figures")] = False,
    out: Out = None,
    force: Force = False,
) -> None:
    """累计上限对账工作簿 for auditors (streams; any journal size; a progress bar on a terminal). Default file:
    累计上限对账_DATE.xlsx, DATE the as-of date the workbook states (--as-of, else the latest entry's)."""
    from reports import reconciliation as R

    on = parse_date(as_of, "--as-of")
    _run(lambda s: ui.report_path(out, "累计上限对账", dated=R.report_date(s, on).isoformat()),
         lambda s, p, progress: R.write(s, p, as_of=on, all_postings=all_postings, progress=progress),
         force, "累计上限对账")


@reports_cli.command("trial-balance")
def trial_balance(
    start: Annotated[str, typer.Option("--from", help="YYYY-MM-DD, first day")],
    end: Annotated[str, typer.Option("--to", help="YYYY-MM-DD, last day")],
    out: Out = None,
    force: Force = False,
) -> None:
    """试算平衡表 and the summary per jurisdiction and payer for a date range (default file:
    试算平衡表_FROM_TO.xlsx)."""
    from reports import trial_balance as R

    d0, d1 = parse_date(start, "--from"), parse_date(end, "--to")
    assert d0 is not None and d1 is not None
    if d1 < d0:
        raise typer.BadParameter(f"截止日 {d1} 早于起始日 --from {d0}", param_hint="--to")
    _run(_named(out, "试算平衡表", f"{d0}_{d1}"), lambda s, p, _: R.write(s, d0, d1, p), force)


@reports_cli.command("evaluation-sheet")
def evaluation_sheet(
    platform: Annotated[str, typer.Argument(help="platform code")],
    year: Annotated[int, typer.Argument(help="the year evaluated")],
    out: Out = None,
    force: Force = False,
) -> None:
    """附件2 年度绩效评价表 of a platform's year (default file: 绩效评价_PLATFORM_YEAR年度.xlsx)."""
    from reports import evaluation_sheet as R

    _run(_named(out, f"绩效评价_{_name_part(platform)}", f"{year}年度"), lambda s, p, _: R.write(s, platform, year, p),
         force)


if __name__ == "__main__":
    reports_cli(prog_name="subsidy report")
