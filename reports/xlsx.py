"""What every workbook of ``reports`` shares: exact amounts, fonts, borders, print settings, and a
streaming worksheet for sheets whose rows grow with the journal.

Amounts
    The ledger keeps integer fen. A report writes an amount as a ``Decimal`` built from the fen by a
    power-of-ten shift (never through a float): yuan = fen × 10⁻², 万元 = fen × 10⁻⁶. The cell's number
    format shows exactly the decimals that amount needs (:func:`exact_format`), so 58.5 万元 reads
    ``58.5`` and 585,000.01 元 in 万元 reads ``58.500001``. A spreadsheet holds numbers as IEEE doubles
    (15 significant digits); :func:`check_digits` refuses an amount that would not survive that, which
    for fen means more than 10¹³ 元 — far above any amount of this ledger.

Sheets that grow with the journal
    :class:`StreamingWorksheet` is an openpyxl write-only worksheet whose rows are serialised by a
    small, fast SpreadsheetML writer into a temporary file, and spliced into the worksheet part when
    the workbook is saved. Memory stays flat however many rows are written; openpyxl still writes the
    package, the styles, column widths, freeze panes, autofilter and print settings.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from calculators.formats import date_cn, wan_decimal, yuan_decimal

# ---------------------------------------------------------------- amounts

MAX_DIGITS = 15  # what an IEEE double in a spreadsheet keeps exactly


class ReportError(Exception):
    """A report cannot be produced as asked (unknown claim, a claim of another program, …)."""


def check_digits(d: Decimal) -> Decimal:
    digits = len(d.as_tuple().digits)
    if digits > MAX_DIGITS:
        raise ReportError(f"amount {d} has {digits} significant digits; a spreadsheet keeps {MAX_DIGITS}")
    return d


def yuan_number(fen: int) -> Decimal:
    """Integer fen → the exact 元 number a cell holds, two decimals (``58500001`` → ``Decimal('585000.01')``)."""
    return check_digits(yuan_decimal(int(fen)))


def wan_number(fen: int) -> Decimal:
    """Integer fen → the exact 万元 number a cell holds, no trailing zeros (``58500000`` → ``Decimal('58.5')``)."""
    return check_digits(wan_decimal(int(fen)))


def decimals_of(d: Decimal) -> int:
    exp = d.as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def exact_format(d: Decimal | None, *, grouping: bool = True) -> str:
    """The number format that shows ``d`` exactly: as many decimals as it has, no more."""
    places = decimals_of(d) if d is not None else 0
    base = "#,##0" if grouping else "0"
    return base + ("." + "0" * places if places else "")


YUAN_FORMAT = "#,##0.00"
FEN_FORMAT = "0"
DATE_FORMAT = "yyyy-mm-dd"
SCORE_FORMAT = "0.##"


def decimal_text(d: Decimal | int) -> str:
    """A number as SpreadsheetML text, exactly (no exponent)."""
    if isinstance(d, int):
        return str(d)
    return format(check_digits(d), "f")


def cn_date(d: date | None) -> str:
    """``2026-03-04`` → ``2026年3月4日``; ``None`` → the blank form's ``年  月  日``."""
    return "年    月    日" if d is None else date_cn(d)


# ---------------------------------------------------------------- fonts and styles

BODY_FONT = "仿宋"  # FangSong: the body face of government forms
TITLE_FONT = "宋体"  # SimSun
GB2312 = 134  # font charset: a reader lacking the face substitutes a Simplified Chinese one
SERIF = 1  # font family class (roman/serif), the second hint for substitution


@cache
def font(size: float = 12, *, bold: bool = False, name: str = BODY_FONT) -> Font:
    """A shared ``Font`` (openpyxl treats style objects as values: never modify the one returned)."""
    return Font(name=name, size=size, bold=bold, charset=GB2312, family=SERIF)


THIN = Side(style="thin", color="000000")
NO_SIDE = Side(style=None)
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="E7E6E6")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center", wrap_text=True)


class Outlines:
    """Thin outlines around cell ranges, collected first and drawn once per cell.

    Drawing range by range re-styles a cell once per range that touches it, and openpyxl hashes the
    whole border on every assignment; collecting the sides first and sharing one ``Border`` object per
    combination of sides draws a form's table several times faster. Sides a cell already has are kept.
    """

    _shared: ClassVar[dict[tuple[bool, bool, bool, bool], Border]] = {}

    def __init__(self) -> None:
        self._sides: dict[tuple[int, int], list[bool]] = {}

    def box(self, cell_range: str) -> Outlines:
        from openpyxl.utils.cell import range_boundaries

        min_col, min_row, max_col, max_row = range_boundaries(cell_range)
        assert min_col and min_row and max_col and max_row, f"{cell_range} is not a closed range"
        for row in range(min_row, max_row + 1):
            for col in range(min_col, max_col + 1):
                edges = (col == min_col, col == max_col, row == min_row, row == max_row)
                if any(edges):
                    sides = self._sides.setdefault((row, col), [False] * 4)
                    for k, edge in enumerate(edges):
                        sides[k] = sides[k] or edge
        return self

    @classmethod
    def border(cls, left: bool, right: bool, top: bool, bottom: bool) -> Border:
        key = (left, right, top, bottom)
        if key not in cls._shared:
            cls._shared[key] = Border(left=THIN if left else Side(), right=THIN if right else Side(),
                                      top=THIN if top else Side(), bottom=THIN if bottom else Side())
        return cls._shared[key]

    def borders(self) -> list[tuple[tuple[int, int], Border]]:
        """((row, column), shared border) for every cell on an outline, for a caller that styles cells itself
        (sides a cell already has are not consulted: that is :meth:`draw`)."""
        return [(rc, self.border(*sides)) for rc, sides in self._sides.items()]

    def draw(self, ws: Worksheet) -> None:
        for (row, col), (left, right, top, bottom) in self._sides.items():
            cell = ws.cell(row=row, column=col)
            if cell.has_style and cell._style.borderId:
                b = cell.border
                cell.border = Border(left=THIN if left else b.left, right=THIN if right else b.right,
                                     top=THIN if top else b.top, bottom=THIN if bottom else b.bottom)
            else:
                cell.border = self.border(left, right, top, bottom)


def box(ws: Worksheet, cell_range: str) -> None:
    """Draw a thin outline around ``cell_range`` (keeping the sides already drawn inside it)."""
    Outlines().box(cell_range).draw(ws)


def a4(ws: Any, *, landscape: bool = False, fit_width: int = 1, fit_height: int = 0,
       margins: tuple[float, float, float, float] = (0.7, 0.7, 0.75, 0.75)) -> None:
    """A4, fitted to ``fit_width`` pages wide (and ``fit_height`` tall; 0 = as many as needed), margins in
    inches (left, right, top, bottom), centred horizontally."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = fit_width
    ws.page_setup.fitToHeight = fit_height
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    left, right, top, bottom = margins
    ws.page_margins = PageMargins(left=left, right=right, top=top, bottom=bottom, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True


def new_write_only() -> Workbook:
    wb = Workbook(write_only=True)
    return wb


def styled(ws: Any, value: Any, *, f: Font | None = None, fmt: str | None = None,
           align: Alignment | None = None, border: Border | None = GRID, fill: PatternFill | None = None) -> Any:
    """A write-only cell with its style (write-only sheets take styles per cell)."""
    cell = WriteOnlyCell(ws, value=value)
    cell.font = f or font(11)
    if fmt:
        cell.number_format = fmt
    if align:
        cell.alignment = align
    if border is not None:
        cell.border = border
    if fill is not None:
        cell.fill = fill
    return cell


def header_row(ws: Any, titles: Sequence[str]) -> list[Any]:
    return [styled(ws, t, f=font(11, bold=True), align=CENTER, fill=HEADER_FILL) for t in titles]


def set_widths(ws: Any, widths: Sequence[float]) -> None:
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w


def save(wb: Workbook, out: str | Path, *, compresslevel: int | None = None) -> Path:
    """Save ``wb`` to ``out`` (its folder created). ``compresslevel`` (zlib 1–9) is for the large streamed
    workbooks: openpyxl always deflates at zlib's default level 6, which for the reconciliation's 170 MB of
    sheet XML costs about 7 s against under 2 s at level 1, for a file about 30% larger."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if compresslevel is None:
        wb.save(path)
        return path
    from datetime import UTC, datetime
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter

    if wb.write_only and not wb.worksheets:
        wb.create_sheet()
    wb.properties.modified = datetime.now(tz=UTC).replace(tzinfo=None)  # as openpyxl's save does
    ExcelWriter(wb, ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=compresslevel)).save()
    return path


# ---------------------------------------------------------------- streaming worksheet

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SPECIAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f&<>]")


def _xml_text(s: str) -> str:
    """``s`` as XML element text: control characters XML cannot hold dropped, ``& < >`` escaped."""
    if _SPECIAL.search(s) is None:  # the usual case: one scan
        return s
    s = _ILLEGAL.sub("", s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Col:
    """A column of a streamed sheet: its kind and, for numbers and dates, the style id of its format.

    kind: ``int`` (exact integer), ``dec`` (exact Decimal), ``text``, ``date`` (a serial day number
    formatted as a date), ``formula`` (text without the leading ``=``).
    """

    kind: str
    style: int = 0


_EPOCH = date(1899, 12, 30)


class StreamingWorksheet(WriteOnlyWorksheet):  # type: ignore[misc]
    """A write-only worksheet for rows that grow with the journal.

    Header rows go through openpyxl's ``append`` (styled cells); data rows go through :meth:`add`,
    serialised straight to SpreadsheetML in a temporary file and spliced into ``<sheetData>`` when
    the workbook is saved. Memory does not grow with the number of rows.
    """

    def __init__(self, parent: Workbook, title: str) -> None:
        super().__init__(parent, title)
        self._letters: list[str] = []
        self._plan: list[tuple[str, str, str, str, str]] = []
        self._columns: tuple[Col, ...] = ()
        fd, self._raw_path = tempfile.mkstemp(prefix="reports-rows.", suffix=".xml")
        self._raw = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self._header_rows = 0
        self.rows_written = 0

    @property
    def stream_columns(self) -> tuple[Col, ...]:
        return self._columns

    @stream_columns.setter
    def stream_columns(self, columns: tuple[Col, ...]) -> None:
        """The data rows' columns; each gets its markup prepared once: (kind, before the row number,
        after it, after it when the text keeps leading or trailing spaces, after the value)."""
        self._columns = tuple(columns)
        self._plan = []
        for col, letter in zip(self._columns, self._letters, strict=False):
            s = f' s="{col.style}"' if col.style else ""
            if col.kind == "formula":
                mid = mid_space = f'"{s}><f>'
                end = "</f></c>"
            elif col.kind in ("int", "dec", "date"):
                mid = mid_space = f'"{s}><v>'
                end = "</v></c>"
            else:
                mid, mid_space = f'"{s} t="inlineStr"><is><t>', f'"{s} t="inlineStr"><is><t xml:space="preserve">'
                end = "</t></is></c>"
            self._plan.append((col.kind, f'<c r="{letter}', mid, mid_space, end))

    def append(self, row: Any) -> None:  # header rows, written by openpyxl
        if self.rows_written:
            raise ValueError("header rows come before the streamed rows")
        super().append(row)
        self._header_rows += 1

    @property
    def next_row(self) -> int:
        return self._header_rows + self.rows_written + 1

    def add(self, values: Sequence[Any]) -> None:
        """Append one data row; ``None`` leaves a cell empty."""
        r = str(self._header_rows + self.rows_written + 1)
        parts = ['<row r="', r, '">']
        for (kind, start, mid, mid_space, end), v in zip(self._plan, values, strict=False):
            if v is None or v == "":
                continue
            if kind == "int":
                text = str(v) if type(v) is int else str(int(v))
            elif kind == "dec":
                text = decimal_text(v)
            elif kind == "date":
                text = str((v - _EPOCH).days)
            else:
                text = _xml_text(v if type(v) is str else str(v))
                if kind != "formula" and (text[:1].isspace() or text[-1:].isspace()):
                    mid = mid_space
            parts += (start, r, mid, text, end)
        parts.append("</row>")
        self._raw.write("".join(parts))
        self.rows_written += 1

    def add_many(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.add(row)

    def close(self) -> None:
        super().close()  # openpyxl writes the sheet part with the header rows and everything after them
        self._raw.close()
        writer = self._writer
        with open(writer.out, encoding="utf-8") as f:
            xml = f.read()  # small: no data rows in it
        empty = re.search(r"<sheetData\s*/>", xml)
        if empty:
            head, tail = xml[:empty.start()] + "<sheetData>", "</sheetData>" + xml[empty.end():]
        else:
            at = xml.index("</sheetData>")
            head, tail = xml[:at], xml[at:]
        with open(writer.out, "w", encoding="utf-8", newline="") as out, \
                open(self._raw_path, encoding="utf-8") as raw:
            out.write(head)
            while chunk := raw.read(1 << 20):
                out.write(chunk)
            out.write(tail)
        os.remove(self._raw_path)


def style_id(ws: Any, fmt: str, *, f: Font | None = None, align: Alignment | None = None,
             border: Border | None = None) -> int:
    """Register a cell style in the workbook of ``ws`` and return its index, for :class:`Col`."""
    cell = WriteOnlyCell(ws, value=None)
    cell.number_format = fmt
    cell.font = f or font(10)
    if align is not None:
        cell.alignment = align
    if border is not None:
        cell.border = border
    return int(cell.style_id)


def streaming_sheet(wb: Workbook, title: str, columns: Sequence[tuple[str, str | None]]) -> StreamingWorksheet:
    """A :class:`StreamingWorksheet` added to ``wb``; ``columns`` are (kind, number format or None)."""
    ws = StreamingWorksheet(wb, title)
    wb._add_sheet(ws)
    ws._letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
    ws.stream_columns = tuple(Col(kind, style_id(ws, fmt) if fmt else 0) for kind, fmt in columns)
    return ws


class PlainSheet:
    """The same interface as :class:`StreamingWorksheet` over a normal (in-memory) openpyxl worksheet:
    the benchmark's plain-openpyxl baseline writes the very same cells through it."""

    def __init__(self, wb: Workbook, title: str, columns: Sequence[tuple[str, str | None]]) -> None:
        self.ws = wb.create_sheet(title)
        self.title = title
        self.stream_columns = tuple(Col(kind, 0) for kind, _ in columns)
        self._formats = [fmt for _, fmt in columns]
        self._header_rows = 0
        self.rows_written = 0

    def __getattr__(self, name: str) -> Any:  # column_dimensions, freeze_panes …
        return getattr(self.ws, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("freeze_panes",):
            setattr(self.ws, name, value)
        else:
            super().__setattr__(name, value)

    def append(self, row: Any) -> None:
        r = self.next_row
        for i, item in enumerate(row, 1):
            if isinstance(item, Cell):
                cell = self.ws.cell(row=r, column=i, value=item.value)
                cell._style = copy(item._style)
            elif item is not None:
                self.ws.cell(row=r, column=i, value=item)
        self._header_rows += 1

    @property
    def next_row(self) -> int:
        return self._header_rows + self.rows_written + 1

    def add(self, values: Sequence[Any]) -> None:
        r = self.next_row
        for i, (col, fmt, v) in enumerate(zip(self.stream_columns, self._formats, values, strict=False), 1):
            if v is None or v == "":
                continue
            cell = self.ws.cell(row=r, column=i, value=("=" + str(v)) if col.kind == "formula" else v)
            if fmt:
                cell.number_format = fmt
        self.rows_written += 1


def sheet_for(wb: Workbook, title: str, columns: Sequence[tuple[str, str | None]], *,
              plain: bool = False) -> Any:
    return PlainSheet(wb, title, columns) if plain else streaming_sheet(wb, title, columns)
