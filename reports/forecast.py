"""预算测算表: the budget forecast as an xlsx workbook, and the rows the command line and the page show.

Sheets: 汇总 (per program and payer, one column per budget year and the total, for each scenario side by
side), 按出资方 (per payer and year, each scenario and the difference), 明细 (every payer's share of every
commitment, pending and projected claim), 说明 (as-of date, budget years, the rules of the projection, each
scenario's what-ifs, skipped claims). Amounts are 万元 numbers (exact, up to six decimals) in the sheets and
万元 with four decimals where printed; every typed string goes through :func:`reports.xlsx.put`, so a
platform name starting with ``=`` stays text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from calculators.forecast import APPLICATION_DAY, EXTRAPOLATIONS, SOURCE_WORDS, Forecast, WhatIf
from calculators.formats import date_cn
from calculators.labels import program_title
from ledger.forecast import ForecastRun
from reports.xlsx import font, put, save, set_widths, wan_number

WAN_FORMAT = "#,##0.0000"


@dataclass(frozen=True)
class Row:
    """One row of the summary: a program and payer, fen per budget year."""

    program: str
    program_title: str
    payer: str
    payer_name: str
    amounts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.amounts)


def summary_rows(f: Forecast) -> list[Row]:
    """Per program and payer (payers: province, city, then districts and counties by code)."""
    names = f.payer_names()
    rows = [Row(program, program_title(program), payer, names.get(payer, payer), tuple(by_year[y] for y in f.years))
            for (program, payer), by_year in f.totals().items()]
    return sorted(rows, key=lambda r: (r.program, _payer_key(r.payer)))


def _payer_key(code: str) -> tuple[int, str]:
    return ({"330000": 0, "330400": 1}.get(code, 2), code)


def payer_rows(f: Forecast) -> list[Row]:
    """Per payer, every program together."""
    names = f.payer_names()
    return [Row("", "", payer, names.get(payer, payer), tuple(by_year[y] for y in f.years))
            for payer, by_year in sorted(f.payer_totals().items(), key=lambda kv: _payer_key(kv[0]))]


def what_if_text(w: WhatIf) -> str:
    """A scenario's changes in words (现行规则 when none)."""
    parts = [f"参数 {k} = {v}" for k, v in w.what_if.items()]
    parts += [f"解读 {k} = {v}" for k, v in w.readings.items()]
    if w.rule_set:
        parts.append(f"规则集 {w.rule_set}")
    if w.draft:
        parts.append("规则集草案")
    parts.append(f"外推：{EXTRAPOLATIONS.get(w.extrapolation, w.extrapolation)}")
    return "；".join(parts)


def default_name(run: ForecastRun) -> str:
    """``预算测算_2027-2029年度_截至2026-12-04.xlsx``: budget years and the as-of date (ISO, sorts by date)."""
    years = run.forecasts[0].years
    return f"预算测算_{years[0]}-{years[-1]}年度_截至{run.as_of.isoformat()}.xlsx"


def workbook(run: ForecastRun) -> Workbook:
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = "汇总"
    _summary_sheet(ws, run)
    _payer_sheet(wb.create_sheet("按出资方"), run)
    _detail_sheet(wb.create_sheet("明细"), run)
    _notes_sheet(wb.create_sheet("说明"), run)
    return wb


def write(run: ForecastRun, out: Path) -> Path:
    return save(workbook(run), out)


def workbook_bytes(run: ForecastRun) -> bytes:
    """The workbook as a download's bytes."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="subsidy-forecast-") as tmp:
        return write(run, Path(tmp) / "forecast.xlsx").read_bytes()


def _amount(ws: Worksheet, row: int, col: int, fen: int) -> None:
    cell = put(ws.cell(row, col), wan_number(fen))
    cell.number_format = WAN_FORMAT


def _title(ws: Worksheet, text: str, run: ForecastRun) -> int:
    put(ws.cell(1, 1), text).font = font(14, bold=True)
    put(ws.cell(2, 1), f"截至 {date_cn(run.as_of)}；单位：万元")
    return 4


def _summary_sheet(ws: Worksheet, run: ForecastRun) -> None:
    r = _title(ws, "中试平台补助资金预算测算（按项目和出资方）", run)
    for f in run.forecasts:
        put(ws.cell(r, 1), f"测算口径：{f.what_if.title}（{what_if_text(f.what_if)}）").font = font(12, bold=True)
        r += 1
        for c, title in enumerate(["补助项目", "出资方", *[f"{y}年度" for y in f.years], "合计"], 1):
            put(ws.cell(r, c), title).font = font(11, bold=True)
        r += 1
        for row in summary_rows(f):
            put(ws.cell(r, 1), row.program_title)
            put(ws.cell(r, 2), row.payer_name)
            for k, fen in enumerate((*row.amounts, row.total), 3):
                _amount(ws, r, k, fen)
            r += 1
        put(ws.cell(r, 1), "合计").font = font(11, bold=True)
        by_year = [sum(ln.amount for ln in f.lines if ln.year == y) for y in f.years]
        for k, fen in enumerate((*by_year, f.total()), 3):
            _amount(ws, r, k, fen)
        r += 2
    set_widths(ws, [34, 30, 16, 16, 16, 18])


def _payer_sheet(ws: Worksheet, run: ForecastRun) -> None:
    r = _title(ws, "中试平台补助资金预算测算（按出资方）", run)
    base = run.forecasts[0]
    titles = ["出资方", "年度", *[f.what_if.title for f in run.forecasts]]
    if len(run.forecasts) > 1:
        titles.append("差额")
    for c, title in enumerate(titles, 1):
        put(ws.cell(r, c), title).font = font(11, bold=True)
    r += 1
    totals = [f.payer_totals() for f in run.forecasts]
    names: dict[str, str] = {}
    for f in run.forecasts:
        names.update(f.payer_names())
    for payer in sorted(names, key=_payer_key):
        for y in base.years:
            put(ws.cell(r, 1), names[payer])
            put(ws.cell(r, 2), f"{y}年度")
            got = [t.get(payer, {}).get(y, 0) for t in totals]
            for k, fen in enumerate(got, 3):
                _amount(ws, r, k, fen)
            if len(got) > 1:
                _amount(ws, r, 3 + len(got), got[1] - got[0])
            r += 1
    set_widths(ws, [30, 10, 18, 18, 18])


def _detail_sheet(ws: Worksheet, run: ForecastRun) -> None:
    titles = ["测算口径", "平台编号", "平台名称", "申请", "来源", "补助项目", "出资方", "年度", "金额（万元）"]
    for c, title in enumerate(titles, 1):
        put(ws.cell(1, c), title).font = font(11, bold=True)
    r = 2
    for f in run.forecasts:
        for ln in f.lines:
            for c, v in enumerate((f.what_if.title, ln.platform, ln.platform_name, ln.claim_id,
                                   SOURCE_WORDS[ln.source], program_title(ln.program), ln.payer_name), 1):
                put(ws.cell(r, c), v)
            put(ws.cell(r, 8), ln.year)
            _amount(ws, r, 9, ln.amount)
            r += 1
    set_widths(ws, [20, 14, 30, 26, 12, 30, 28, 8, 16])


def notes(run: ForecastRun) -> list[str]:
    """The projection's rules, as the workbook, the page and the command line state them."""
    month, day = APPLICATION_DAY
    years = run.forecasts[0].years
    out = [
        f"截至 {date_cn(run.as_of)} 的台账记录；测算 {years[0]}—{years[-1]} 年度。",
        f"{SOURCE_WORDS['commitment']}：党组会审定、尚未拨付的分担额（备查账 8102 已承诺、8103 已下达的余额），"
        f"计入 {years[0]} 年度，只计一次；这些申请不再重新测算。",
        f"在途申请：已申报、尚未审定的申请，按现行规则计算，计入 {years[0]} 年度。",
        f"测算新增：每个预算年度 {month}月{day}日 申报一次设备投入补助，按规则确定可申报年度；尚未审计的年度取申报的投资计划，"
        "没有计划的按解读 R-48 外推；已有触发事件、尚未申请的一次性奖励计入第一年度（解读 R-49）。",
        "假设与规则集草案自第一个预算年度1月1日起适用；已审定和在途的申请仍按原规则。累计上限、就高不重复按含已审定申请在内的全部历史计算。",
    ]
    return out


def _notes_sheet(ws: Worksheet, run: ForecastRun) -> None:
    r = 1
    for line in notes(run):
        put(ws.cell(r, 1), line)
        r += 1
    r += 1
    for f in run.forecasts:
        put(ws.cell(r, 1), f"{f.what_if.title}：{what_if_text(f.what_if)}；平台 {f.platforms} 个，"
                           f"未能测算 {len(f.skipped)} 项")
        r += 1
        for s in f.skipped:
            put(ws.cell(r, 1), f"  {s.platform} {s.what}：{s.reason}")
            r += 1
    set_widths(ws, [140])
