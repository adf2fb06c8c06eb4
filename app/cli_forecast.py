"""``subsidy forecast``: the budget forecast (预算测算) of the ledger at DATABASE_URL (docs/forecast.md).

    subsidy forecast [--from YEAR] [--plan FILE.csv] [--extrapolation mean-3|last|none]
                     [--what-if KEY=VALUE …] [--reading KEY=VALUE …] [--rule-set ID] [--draft FILE.yaml]
                     [--out FILE] [--force] [--json]

Prints, per program and payer, the payables of the next three budget years in 万元 (aligned, Chinese
counting two columns) and writes the workbook (default file ``预算测算_2027-2029年度_截至DATE.xlsx``; an
existing file is never replaced without ``--force``). With any what-if option, a second scenario is
computed beside the current rules and a table per payer shows both and the difference.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.table import Table

from app import cli_ui as ui
from calculators import formats
from calculators.errors import CalculatorError
from calculators.forecast import EXTRAPOLATIONS, Forecast, WhatIf, parse_plan

if TYPE_CHECKING:
    from ledger.forecast import ForecastRun


def _read(path: Path | None, option: str) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"无法读取文件 {path}：{exc}（须为 UTF-8 文本）", param_hint=option) from None


def what_ifs(*, readings: dict[str, str], what_if: dict[str, str], rule_set: str | None, draft: str | None,
             extrapolation: str) -> tuple[WhatIf, ...]:
    """The current rules, and a what-if beside them if any change is asked for."""
    current = WhatIf("现行规则", extrapolation=extrapolation)
    changed = WhatIf("假设测算", readings=readings, what_if=what_if, rule_set=rule_set, draft=draft,
                     extrapolation=extrapolation)
    return (current, changed) if (readings or what_if or rule_set or draft) else (current,)


def table(f: Forecast) -> Table:
    from reports.forecast import summary_rows

    t = Table(title=f"{f.what_if.title}（万元）", title_justify="left", header_style="bold")
    t.add_column("补助项目", overflow="fold")
    t.add_column("出资方", overflow="fold")
    for y in f.years:
        t.add_column(f"{y}年度", justify="right", no_wrap=True)
    t.add_column("合计", justify="right", no_wrap=True)
    for r in summary_rows(f):
        ui.add_row(t, r.program_title, r.payer_name, *(formats.wan_fixed(a) for a in r.amounts), formats.wan_fixed(r.total))
    by_year = [sum(ln.amount for ln in f.lines if ln.year == y) for y in f.years]
    ui.add_row(t, "合计", "", *(formats.wan_fixed(a) for a in by_year), formats.wan_fixed(f.total()), end_section=True)
    return t


def comparison(run: ForecastRun) -> Table:
    """Per payer and year: each scenario and the difference (what-if − current)."""
    from reports.forecast import payer_rows

    base, other = run.forecasts[0], run.forecasts[1]
    t = Table(title="按出资方对比（万元）", title_justify="left", header_style="bold")
    t.add_column("出资方", overflow="fold")
    t.add_column("年度", no_wrap=True)
    for title in (base.what_if.title, other.what_if.title, "差额"):
        t.add_column(title, justify="right", no_wrap=True)
    theirs = other.payer_totals()
    payers = {r.payer: r.payer_name for r in payer_rows(base)} | {r.payer: r.payer_name for r in payer_rows(other)}
    mine = base.payer_totals()
    for payer, name in payers.items():
        for y in base.years:
            a, b = mine.get(payer, {}).get(y, 0), theirs.get(payer, {}).get(y, 0)
            ui.add_row(t, name, f"{y}", formats.wan_fixed(a), formats.wan_fixed(b), formats.wan_fixed(b - a))
    return t


def as_json(run: ForecastRun, path: Path) -> dict[str, object]:
    from reports.forecast import summary_rows, what_if_text

    return {"as_of": run.as_of.isoformat(), "file": str(path), "scenarios": [
        {"title": f.what_if.title, "what_if": what_if_text(f.what_if), "years": list(f.years),
         "rows": [{"program": r.program, "payer": r.payer, "payer_name": r.payer_name,
                   "amounts": {str(y): formats.yuan(a) for y, a in zip(f.years, r.amounts, strict=True)},
                   "total": formats.yuan(r.total)} for r in summary_rows(f)],
         "total": formats.yuan(f.total()), "skipped": [s.__dict__ for s in f.skipped]}
        for f in run.forecasts]}


def _refused(exc: CalculatorError) -> NoReturn:
    """The what-if's or the plan's problems, one Chinese line per field naming it and the rule (exit 2)."""
    from calculators.errors import InputErrors
    from ledger.messages import label

    if not isinstance(exc, InputErrors):
        ui.error(f"无法测算：{exc}")
    lines = [f"测算条件有 {len(exc.issues)} 处问题，未测算："]
    lines += [f"  {label(i.field)}（{i.field}）：{i.message}（依据：{i.rule}）" for i in exc.issues]
    ui.error("\n".join(lines))


# size: a command's options are its parameters, one per line; the body reads, computes, prints, writes
def forecast_command(
    first_year: Annotated[int | None, typer.Option("--from", help="测算的第一个预算年度（默认：明年）",
                                                   min=2000, max=2100)] = None,
    plan: Annotated[Path | None, typer.Option(help="申报的投资计划，CSV：平台编号,年度,计划设备投资（元）",
                                              dir_okay=False)] = None,
    extrapolation: Annotated[str, typer.Option(help="无计划年度的推算方法（解读 R-48）：" + "、".join(EXTRAPOLATIONS))] = "mean-3",
    what_if: Annotated[list[str] | None, typer.Option(help="假设调整一个参数：参数=值")] = None,
    reading: Annotated[list[str] | None, typer.Option(help="选择一种解读：解读=取值")] = None,
    rule_set: Annotated[str | None, typer.Option(help="新增申请按此规则集测算")] = None,
    draft: Annotated[Path | None, typer.Option(help="新增申请按此规则集草案（YAML 文件）测算",
                                               dir_okay=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="写出的 xlsx 文件")] = None,
    force: Annotated[bool, typer.Option("--force", help="文件已存在时覆盖")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="输出 JSON（供程序读取），不打印表格")] = False,
) -> None:
    """预算测算：今后三个预算年度按补助项目、出资方和年度的应付金额，打印表格并写出 xlsx。"""
    from app.cli import _pairs
    from app.cli_reports import _session
    from ledger.errors import LedgerError
    from ledger.forecast import run
    from ledger.services import today
    from reports import forecast as R

    scenarios = what_ifs(readings=_pairs(reading, "--reading"), what_if=_pairs(what_if, "--what-if"),
                         rule_set=rule_set, draft=_read(draft, "--draft"), extrapolation=extrapolation)
    plan_text = _read(plan, "--plan")
    try:
        plans = parse_plan(plan_text) if plan_text is not None else {}
        with _session() as s:
            result = run(s, scenarios, as_of=today(), first_year=first_year, plans=plans)
    except CalculatorError as exc:
        _refused(exc)
    except LedgerError as exc:
        ui.error(f"无法测算：{exc.message}（依据：{exc.rule}）")
    path = out or Path(R.default_name(result))
    ui.refuse_overwrite(path, force)
    R.write(result, path)
    if json_out:
        typer.echo(json.dumps(as_json(result, path), ensure_ascii=False, indent=2))
        return
    for f in result.forecasts:
        ui.print_table(table(f))
    if len(result.forecasts) > 1:
        ui.print_table(comparison(result))
    for line in R.notes(result):
        typer.echo(line)
    for f in result.forecasts:
        for sk in f.skipped:
            typer.echo(f"未能测算（{f.what_if.title}）：{sk.platform} {sk.what}：{sk.reason}")
    typer.echo(str(path))
