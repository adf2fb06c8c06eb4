"""Look-ups the reports share (names of payers, jurisdictions, programs; a claim's level) and the
layout of a plain titled table on a normal worksheet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from calculators.formats import wan_fixed, wan_fixed_decimal, wan_rounded, yuan_grouped
from calculators.labels import program_title as _program_title
from calculators.labels import wan_decimals
from ledger.models import Jurisdiction, Payer, PlatformEvent
from reports.xlsx import (
    CENTER,
    DATE_FORMAT,
    GRID,
    HEADER_FILL,
    LEFT,
    RIGHT,
    TITLE_FONT,
    YUAN_FORMAT,
    ReportError,
    check_digits,
    font,
    put,
    yuan_number,
)

LEVEL_WORDS = {"national": "国家级", "provincial": "省级", "municipal": "市级"}
LEVEL_RANK = {"municipal": 1, "provincial": 2, "national": 3}
PAYER_ORDER = {"province": 0, "city": 1, "district": 2, "county": 3}


@dataclass(frozen=True)
class Unit:
    """How a table shows amounts: 元 with two decimals, or 万元 with a fixed 4 decimals (2 under the reading
    ``display.wan_decimals``), rounded half up — a number where that is exact, else a text with the exact
    元 beside it (``50.0000（500,000.01 元）``)."""

    key: str
    label: str

    def amount(self, fen: int) -> Decimal | str:
        if self.key == "yuan":
            return yuan_number(fen)
        decimals = wan_decimals()
        if wan_rounded(fen, decimals):
            return f"{wan_fixed(fen, decimals)}（{yuan_grouped(fen)} 元）"
        return check_digits(wan_fixed_decimal(fen, decimals))

    def fmt(self, value: object) -> str | None:
        if not isinstance(value, Decimal):
            return None
        return YUAN_FORMAT if self.key == "yuan" else "#,##0." + "0" * wan_decimals()


YUAN = Unit("yuan", "元")
WAN = Unit("wan", "万元")
UNITS = {"yuan": YUAN, "wan": WAN}


def unit(key: str) -> Unit:
    if key not in UNITS:
        raise ReportError(f"金额单位须为 yuan（元）或 wan（万元），收到 {key!r}")
    return UNITS[key]


def payer_names(session: Session) -> dict[str, str]:
    return {p.code: p.name for p in session.execute(select(Payer)).scalars()}


def payer_sort_key(session: Session) -> Any:
    levels = {p.code: p.level for p in session.execute(select(Payer)).scalars()}
    return lambda code: (PAYER_ORDER.get(levels.get(code, ""), 9), code)


def jurisdiction_names(session: Session) -> dict[str, str]:
    return {j.code: j.name for j in session.execute(select(Jurisdiction)).scalars()}


def program_title(rule_set: str, program: str) -> str:
    """The program's name (:func:`calculators.labels.program_title`; this argument order kept for callers)."""
    return _program_title(program, rule_set)


def level_of(session: Session, platform_id: int, recorded: str, on: date) -> str:
    """The level recorded on a claim, else the highest recognition held on ``on`` (as a code)."""
    if recorded:
        return recorded
    best = ""
    for lvl in session.execute(select(PlatformEvent.level).where(
            PlatformEvent.platform_id == platform_id, PlatformEvent.kind == "recognition",
            PlatformEvent.date <= on)).scalars():
        if lvl in LEVEL_RANK and (not best or LEVEL_RANK[lvl] > LEVEL_RANK[best]):
            best = lvl
    return best


def level_words(code: str) -> str:
    return LEVEL_WORDS.get(code, code)


# ---------------------------------------------------------------- a titled table on a normal worksheet


@dataclass
class Table:
    """A table laid out under a title: ``columns`` are (heading, width, kind) with kind ``text``,
    ``int``, ``date`` or ``amount``; amounts are ``Decimal`` in ``unit``."""

    title: str
    subtitle: Sequence[str]
    columns: Sequence[tuple[str, float, str]]
    unit: Unit = YUAN

    @property
    def width(self) -> int:
        return len(self.columns)

    def start(self, ws: Worksheet) -> int:
        """Title, subtitle lines and the heading row; returns the first data row."""
        last = get_column_letter(self.width)
        ws.merge_cells(f"A1:{last}1")
        put(ws["A1"], self.title)
        ws["A1"].font = font(16, bold=True, name=TITLE_FONT)
        ws["A1"].alignment = CENTER
        ws.row_dimensions[1].height = 32
        row = 2
        for line in self.subtitle:
            ws.merge_cells(f"A{row}:{last}{row}")
            put(ws[f"A{row}"], line)
            ws[f"A{row}"].font = font(11)
            ws[f"A{row}"].alignment = LEFT
            row += 1
        ws.merge_cells(f"A{row}:{last}{row}")
        put(ws[f"A{row}"], f"单位：{self.unit.label}")
        ws[f"A{row}"].font = font(11)
        ws[f"A{row}"].alignment = RIGHT
        row += 1
        for i, (heading, width, _) in enumerate(self.columns, 1):
            cell = put(ws.cell(row=row, column=i), heading)
            cell.font = font(11, bold=True)
            cell.alignment = CENTER
            cell.border = GRID
            cell.fill = HEADER_FILL
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.row_dimensions[row].height = 30
        ws.freeze_panes = f"A{row + 1}"
        ws.print_title_rows = f"{row}:{row}"
        return row + 1

    def put_row(self, ws: Worksheet, row: int, values: Sequence[Any], *, bold: bool = False) -> None:
        for i, ((_, _, kind), value) in enumerate(zip(self.columns, values, strict=True), 1):
            cell = put(ws.cell(row=row, column=i), value)
            cell.font = font(11, bold=bold)
            cell.border = GRID
            if kind == "amount" and isinstance(value, Decimal):
                cell.number_format = self.unit.fmt(value) or "General"
                cell.alignment = RIGHT
            elif kind == "amount":  # 万元 rounded, the exact 元 beside it
                cell.alignment = RIGHT
            elif kind == "date":
                cell.number_format = DATE_FORMAT
                cell.alignment = CENTER
            elif kind == "int":
                cell.alignment = CENTER
            else:
                cell.alignment = LEFT
