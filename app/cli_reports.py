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
from app.cli_ui import ChineseTyper

if TYPE_CHECKING:
    from reports.common import Unit

reports_cli = ChineseTyper(no_args_is_help=True,
                          help="报表：附件3申请表、公示名单、资金下达表、对账、试算平衡、评价表")

Out = Annotated[Path | None, typer.Option("--out", "-o", metavar="文件", help="要写入的 xlsx 文件（默认以日期命名）")]
AS_OF_HELP = "截至日期 YYYY-MM-DD（含当日）"
Force = Annotated[bool, typer.Option("--force", help="文件已存在时覆盖（否则拒绝）")]


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
def annex3(claim: Annotated[str, typer.Argument(metavar="申请编号", help="申请编号，如 SQ2026-000001")], out: Out = None,
           force: Force = False) -> None:
    """附件3申请表，按一条申请预填。

    附件3 国家、省级中试平台补助资金申请表。默认文件：附件3_申请编号_日期.xlsx（日期为读取当天）。"""
    from reports import annex3 as R

    _run(_named(out, f"附件3_{_name_part(claim)}", _today()), lambda s, p, _: R.write_claim(s, claim, p), force)


@reports_cli.command("annex3-blank")
def annex3_blank(out: Out = None, force: Force = False) -> None:
    """附件3空白申请表。

    默认文件：附件3_空白.xlsx。"""
    from reports import annex3 as R

    path = ui.report_path(out, "附件3_空白", dated=None)
    ui.refuse_overwrite(path, force)
    typer.echo(str(R.write_blank(path)))


@reports_cli.command("annex3-batch")
def annex3_batch(
    jurisdiction: Annotated[str, typer.Option(metavar="区县代码", help="区县代码，如 330402（南湖区）")],
    year: Annotated[int | None, typer.Option(metavar="年份", help="只含该年申报的申请")] = None,
    state: Annotated[list[str] | None, typer.Option(
        metavar="状态", help="只含处于该状态的申请（可重复），如 district_reviewed")] = None,
    out: Out = None,
    force: Force = False,
) -> None:
    """一个区县各平台全部申请的附件3。

    一个工作簿，每条申请一张表；在终端上显示进度条。默认文件：附件3_区县代码[_年份年]_日期.xlsx。"""
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
    notice_id: Annotated[int, typer.Argument(metavar="公示编号", help="公示批次的编号")],
    unit: Annotated[str, typer.Option(metavar="单位", help="金额单位：yuan（元，2 位小数）或 wan（万元）")] = "yuan",
    out: Out = None,
    force: Force = False,
) -> None:
    """一个公示批次的公示名单。

    默认文件：公示名单_编号_日期.xlsx。"""
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
    payer: Annotated[str, typer.Option(metavar="财政代码", help="拨付单位（财政）代码，如 330400（嘉兴市财政局）")],
    fiscal_year: Annotated[int | None, typer.Option(metavar="年度", help="只含该预算年度")] = None,
    as_of: Annotated[str | None, typer.Option(metavar="日期", help=AS_OF_HELP)] = None,
    unit: Annotated[str, typer.Option(metavar="单位", help="金额单位：yuan（元）或 wan（万元）")] = "yuan",
    out: Out = None,
    force: Force = False,
) -> None:
    """一个拨付单位的资金下达表。

    合计取自日记账。默认文件：资金下达_财政代码[_年度年度]_日期.xlsx（日期为 --as-of，否则为读取当天）。"""
    from reports import fund_issue as R

    on, u = parse_date(as_of, "--as-of"), _unit(unit)
    stem = f"资金下达_{_name_part(payer)}" + (f"_{fiscal_year}年度" if fiscal_year else "")
    _run(_named(out, stem, (on.isoformat() if on else _today())),
         lambda s, p, _: R.write(s, payer, p, fiscal_year=fiscal_year, as_of=on, unit=u), force)


@reports_cli.command("reconciliation")
def reconciliation(
    as_of: Annotated[str | None, typer.Option(metavar="日期", help=AS_OF_HELP)] = None,
    all_postings: Annotated[bool, typer.Option(help="列出全部分录，而不只是构成各项金额的分录")] = False,
    out: Out = None,
    force: Force = False,
) -> None:
    """供审计用的累计上限对账工作簿。

    流式写出，日记账多大都可；在终端上显示进度条。默认文件：累计上限对账_日期.xlsx（日期为工作簿所载的截至日：--as-of，否则为最后一张凭证的日期）。"""
    from reports import reconciliation as R

    on = parse_date(as_of, "--as-of")
    _run(lambda s: ui.report_path(out, "累计上限对账", dated=R.report_date(s, on).isoformat()),
         lambda s, p, progress: R.write(s, p, as_of=on, all_postings=all_postings, progress=progress),
         force, "累计上限对账")


@reports_cli.command("trial-balance")
def trial_balance(
    start: Annotated[str, typer.Option("--from", metavar="日期", help="起始日 YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", metavar="日期", help="截止日 YYYY-MM-DD")],
    out: Out = None,
    force: Force = False,
) -> None:
    """一段期间的试算平衡表。

    附按区县、拨付单位的汇总。默认文件：试算平衡表_起始日_截止日.xlsx。"""
    from reports import trial_balance as R

    d0, d1 = parse_date(start, "--from"), parse_date(end, "--to")
    assert d0 is not None and d1 is not None
    if d1 < d0:
        raise typer.BadParameter(f"截止日 {d1} 早于起始日 --from {d0}", param_hint="--to")
    _run(_named(out, "试算平衡表", f"{d0}_{d1}"), lambda s, p, _: R.write(s, d0, d1, p), force)


@reports_cli.command("evaluation-sheet")
def evaluation_sheet(
    platform: Annotated[str, typer.Argument(metavar="平台编码", help="平台编码")],
    year: Annotated[int, typer.Argument(metavar="年度", help="评价年度")],
    out: Out = None,
    force: Force = False,
) -> None:
    """一个平台某年度的附件2年度绩效评价表。

    默认文件：绩效评价_平台编码_年度年度.xlsx。"""
    from reports import evaluation_sheet as R

    _run(_named(out, f"绩效评价_{_name_part(platform)}", f"{year}年度"), lambda s, p, _: R.write(s, platform, year, p),
         force)


if __name__ == "__main__":
    reports_cli(prog_name="subsidy report")
