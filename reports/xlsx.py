"""What every workbook of ``reports`` shares: exact amounts, fonts, borders, print settings, how a value
goes into a cell, and a streaming worksheet for sheets whose rows grow with the journal.

Amounts
    The ledger keeps integer fen. A report writes an amount as a ``Decimal`` built from the fen by a
    power-of-ten shift (never through a float): yuan = fen × 10⁻², 万元 = fen × 10⁻⁶. The cell's number
    format shows exactly the decimals that amount needs (:func:`exact_format`), so 58.5 万元 reads
    ``58.5`` and 585,000.01 元 in 万元 reads ``58.500001``. A spreadsheet holds numbers as IEEE doubles
    (15 significant digits); :func:`check_digits` refuses an amount that would not survive that, which
    for fen means more than 10¹³ 元 — far above any amount of this ledger.

Text is text, formulas are the report's own
    Every report puts its values into cells through :func:`put` (or :func:`styled`, or a streamed row):
    a string is always a string cell, shown as it was typed — openpyxl would otherwise make a string that
    starts with ``=`` a live formula and ``#N/A`` an error — and one that begins like a formula (``= + - @``,
    tab, their full-width forms) also gets Excel's quote-prefix style, so that editing the cell keeps it
    text; the visible value has no apostrophe. The only way to write a formula is :class:`Formula`, which
    the reports build from their own cell references, never from what a user typed. :func:`cell_text` is
    the one normalisation of text on its way into a cell (line ends, characters XML cannot hold, length).

Sheets that grow with the journal
    :class:`StreamingWorksheet` wraps an openpyxl write-only worksheet (public API: ``Workbook(write_only=True)``,
    ``create_sheet``, ``append`` of ``WriteOnlyCell``): its header rows, column widths, freeze panes and the
    package are openpyxl's; its data rows are serialised by a small, fast SpreadsheetML writer into a
    temporary file and spliced into the sheet's part of the package when :func:`save` copies it. Memory
    stays flat however many rows are written.
"""

from __future__ import annotations

import os
import re
import tempfile
import weakref
from collections.abc import Iterable, Iterator, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, ClassVar
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
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
        raise ReportError(f"金额 {d} 有 {digits} 位有效数字，电子表格只能精确保存 {MAX_DIGITS} 位；无法写入")
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
DATE_FORMAT = 'yyyy"年"m"月"d"日"'  # 2026年12月3日, as documents write dates
SCORE_FORMAT = "0.##"


def decimal_text(d: Decimal | int) -> str:
    """A number as SpreadsheetML text, exactly (no exponent)."""
    if isinstance(d, int):
        return str(d)
    return format(check_digits(d), "f")


def cn_date(d: date | None) -> str:
    """``2026-03-04`` → ``2026年3月4日``; ``None`` → the blank form's ``年  月  日``."""
    return "年    月    日" if d is None else date_cn(d)


# ---------------------------------------------------------------- cell values: text stays text

MAX_CELL_CHARS = 32_767  # what a spreadsheet cell holds
# What makes Excel, LibreOffice or WPS read typed text as a formula (OWASP "CSV injection"), and the
# full-width forms a Chinese input method types.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Formula:
    """A formula the report builds itself from its own cell references (without the leading ``=``):
    ``Formula("SUM(H4:H9)")``. The one way a report writes a formula; a ``str`` is always text."""

    text: str

    def __post_init__(self) -> None:
        if self.text.startswith("="):
            raise ValueError("a Formula is written without its leading '='")


def cell_text(value: str) -> str:
    """Text as a cell keeps it: line ends as LF (an XML reader turns a CR into LF anyway), the characters
    XML 1.0 cannot hold dropped, at most :data:`MAX_CELL_CHARS` characters."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _NOT_XML.search(value) is not None:
        value = _NOT_XML.sub("", value)
    return value[:MAX_CELL_CHARS]


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would take ``text``, typed into a cell, for a formula."""
    return text.startswith(FORMULA_LEADS)


def put(cell: Any, value: Any) -> Any:
    """Put ``value`` into ``cell`` (a worksheet's or a ``WriteOnlyCell``) and return the cell.

    A ``str`` becomes a string cell (``t="inlineStr"``) holding :func:`cell_text` of it — never a formula or
    an error value, whatever it starts with — with the quote-prefix style when it
    :func:`looks_like_formula`; a :class:`Formula` becomes a formula; numbers, dates and ``None`` are set as
    they are."""
    if isinstance(value, str):
        text = cell_text(value)
        cell.value = text
        cell.data_type = "s"  # openpyxl infers "f" for a leading "=" and "e" for "#N/A" and the like
        if looks_like_formula(text):
            cell.quotePrefix = True
    elif isinstance(value, Formula):
        cell.value = "=" + value.text
    else:
        cell.value = value
    return cell


def csv_field(value: object) -> str:
    """A value for a CSV file a person may open in a spreadsheet: text that would be read as a formula
    gets a leading ``'`` (OWASP's advice for CSV). The project writes no CSV today; this is the rule for one."""
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) else text


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
            b = cell.border
            if cell.has_style and any(side is not None and side.style for side in (b.left, b.right, b.top, b.bottom)):
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
    """A write-only workbook (openpyxl's public streaming mode), for :func:`sheet_for` and :func:`styled`."""
    return Workbook(write_only=True)


def styled(ws: Any, value: Any, *, f: Font | None = None, fmt: str | None = None,
           align: Alignment | None = None, border: Border | None = GRID, fill: PatternFill | None = None) -> Any:
    """A write-only cell holding ``value`` (through :func:`put`) with its style (write-only sheets take
    styles per cell)."""
    cell = put(WriteOnlyCell(ws), value)
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
    """Save ``wb`` to ``out`` (its folder created), splicing in the rows of its :class:`StreamingWorksheet`
    sheets. ``compresslevel`` (zlib 1–9) is for the large streamed workbooks: openpyxl always deflates at
    zlib's default level 6, which for the reconciliation's 170 MB of sheet XML costs about 7 s against
    under 2 s at level 1, for a file about 30% larger."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    streams = wb.__dict__.pop(_STREAMS, [])
    if not streams and compresslevel is None:
        wb.save(path)
        return path
    package = path.with_name(path.name + ".openpyxl")
    try:
        wb.save(package)  # openpyxl writes the package: parts, styles, header rows, widths, panes
        _copy_package(package, path, {ws.title: ws for ws in streams}, compresslevel)
    finally:
        package.unlink(missing_ok=True)
        for ws in streams:
            ws.discard()
    return path


# ---------------------------------------------------------------- streaming worksheet

_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f&<>\ud800-\udfff\ufffe\uffff]")


def _xml_text(s: str) -> str:
    """``s`` as XML element text: :func:`cell_text`, then ``& < >`` escaped."""
    if _SPECIAL.search(s) is None and len(s) <= MAX_CELL_CHARS:  # the usual case: one scan
        return s
    s = cell_text(s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Col:
    """A column of a streamed sheet: its kind and, for numbers and dates, the style id of its format.

    kind: ``int`` (exact integer), ``dec`` (exact Decimal), ``text``, ``date`` (a serial day number
    formatted as a date), ``formula`` (a :class:`Formula`). ``quoted`` is the style id a text cell
    gets when it :func:`looks_like_formula` (the column's style with the quote prefix).
    """

    kind: str
    style: int = 0
    quoted: int = 0


_EPOCH = date(1899, 12, 30)
_STREAMS = "reports_streamed_sheets"  # the attribute of a workbook listing its streamed sheets until saved


def _streams(wb: Workbook) -> list[StreamingWorksheet]:
    found: list[StreamingWorksheet] = wb.__dict__.setdefault(_STREAMS, [])
    return found


class StreamingWorksheet:
    """A worksheet for rows that grow with the journal, over an openpyxl write-only worksheet.

    Header rows go through :meth:`append` (openpyxl's ``append`` of styled ``WriteOnlyCell``); column
    widths, freeze panes and the like are set on the openpyxl sheet (attributes not defined here are
    its). Data rows go through :meth:`add`, serialised straight to SpreadsheetML in a temporary file with
    the markup of each column prepared once, and spliced into ``<sheetData>`` after the header rows when
    :func:`save` copies the package. Memory does not grow with the number of rows.
    """

    def __init__(self, wb: Workbook, title: str, columns: Sequence[tuple[str, str | None]]) -> None:
        ws = wb.create_sheet(title)
        object.__setattr__(self, "ws", ws)
        self.title = ws.title
        self._letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
        self._plan: list[tuple[str, str, tuple[str, str, str, str], str]] = []
        self._columns: tuple[Col, ...] = ()
        fd, self._raw_path = tempfile.mkstemp(prefix="reports-rows.", suffix=".xml")
        self._raw = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self._header_rows = 0
        self.rows_written = 0
        self.stream_columns = tuple(Col(kind, style_id(ws, fmt) if fmt else 0,
                                        style_id(ws, fmt or "General", quote=True) if kind == "text" else 0)
                                    for kind, fmt in columns)
        _streams(wb).append(self)
        # the row file goes when the sheet does, saved or not (a report that failed half way)
        object.__setattr__(self, "_cleanup", weakref.finalize(self, _remove, self._raw, self._raw_path))

    def __getattr__(self, name: str) -> Any:  # column_dimensions, parent, … of the openpyxl sheet
        return getattr(self.__dict__["ws"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("freeze_panes", "print_title_rows", "print_area"):
            setattr(self.ws, name, value)
        else:
            object.__setattr__(self, name, value)

    @property
    def stream_columns(self) -> tuple[Col, ...]:
        return self._columns

    @stream_columns.setter
    def stream_columns(self, columns: tuple[Col, ...]) -> None:
        """The data rows' columns; each gets its markup prepared once: (kind, before the row number, after
        it — plain, with leading or trailing spaces kept, quote-prefixed, both — and after the value)."""
        self._columns = tuple(columns)
        self._plan = []
        for col, letter in zip(self._columns, self._letters, strict=False):
            s = f' s="{col.style}"' if col.style else ""
            q = f' s="{col.quoted}"' if col.quoted else s
            if col.kind == "formula":
                mids = (f'"{s}><f>',) * 4
                end = "</f></c>"
            elif col.kind in ("int", "dec", "date"):
                mids = (f'"{s}><v>',) * 4
                end = "</v></c>"
            else:
                plain, keep = '><is><t>', '><is><t xml:space="preserve">'
                mids = (f'"{s} t="inlineStr"{plain}', f'"{s} t="inlineStr"{keep}',
                        f'"{q} t="inlineStr"{plain}', f'"{q} t="inlineStr"{keep}')
                end = "</t></is></c>"
            self._plan.append((col.kind, f'<c r="{letter}', mids, end))

    def append(self, row: Any) -> None:
        """A header row (styled cells, see :func:`styled`), before any data row."""
        if self.rows_written:
            raise ValueError("header rows come before the streamed rows")
        self.ws.append(row)
        self._header_rows += 1

    @property
    def next_row(self) -> int:
        return self._header_rows + self.rows_written + 1

# size: the inner loop of the streamed sheets (a million rows): each cell's kind written inline, no call per cell
    def add(self, values: Sequence[Any]) -> None:
        """Append one data row; ``None`` or ``""`` leaves a cell empty. A text column's value is always text
        (:func:`cell_text`), a formula column's must be a :class:`Formula`."""
        r = str(self._header_rows + self.rows_written + 1)
        parts = ['<row r="', r, '">']
        for (kind, start, mids, end), v in zip(self._plan, values, strict=False):
            if v is None or v == "":
                continue
            mid = mids[0]
            if kind == "int":
                text = str(v) if type(v) is int else str(int(v))
            elif kind == "dec":
                text = decimal_text(v)
            elif kind == "date":
                text = str((v - _EPOCH).days)
            elif kind == "formula":
                if type(v) is not Formula:
                    raise TypeError(f"a formula column takes a Formula, not {type(v).__name__}")
                text = _xml_text(v.text)
            else:
                text = _xml_text(v if type(v) is str else str(v))
                if text[:1] in _QUOTE_LEADS:
                    mid = mids[3] if text[:1].isspace() or text[-1:].isspace() else mids[2]
                elif text[:1].isspace() or text[-1:].isspace():
                    mid = mids[1]
            parts += (start, r, mid, text, end)
        parts.append("</row>")
        self._raw.write("".join(parts))
        self.rows_written += 1

    def add_many(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.add(row)

    def rows_xml(self) -> Iterator[str]:
        """The data rows' markup, in pieces of about a megabyte (closes the row file)."""
        self._raw.close()
        with open(self._raw_path, encoding="utf-8") as raw:
            while chunk := raw.read(1 << 20):
                yield chunk

    def discard(self) -> None:
        self._cleanup()


def _remove(raw: Any, path: str) -> None:
    raw.close()
    if os.path.exists(path):
        os.remove(path)


_QUOTE_LEADS = frozenset(lead for lead in FORMULA_LEADS if lead != "\r")  # a CR is LF by then


def style_id(ws: Any, fmt: str, *, f: Font | None = None, align: Alignment | None = None,
             border: Border | None = None, quote: bool = False) -> int:
    """Register a cell style in the workbook of ``ws`` and return its index, for :class:`Col`."""
    cell = WriteOnlyCell(ws, value=None)
    cell.number_format = fmt
    cell.font = f or font(10)
    if align is not None:
        cell.alignment = align
    if border is not None:
        cell.border = border
    if quote:
        cell.quotePrefix = True
    return int(cell.style_id)


def streaming_sheet(wb: Workbook, title: str, columns: Sequence[tuple[str, str | None]]) -> StreamingWorksheet:
    """A :class:`StreamingWorksheet` added to ``wb``; ``columns`` are (kind, number format or None)."""
    return StreamingWorksheet(wb, title, columns)


_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _sheet_parts(package: ZipFile) -> dict[str, str]:
    """Sheet name → its part in the package, from the workbook part and its relationships (ECMA-376)."""
    from xml.etree import ElementTree as ET

    rels = ET.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{_PKG_REL_NS}}}Relationship")}
    parts = {}
    for sheet in ET.fromstring(package.read("xl/workbook.xml")).iter(f"{{{_MAIN_NS}}}sheet"):
        t = target[sheet.get(f"{{{_REL_NS}}}id")]
        parts[sheet.get("name", "")] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    return parts


def _copy_package(source: Path, out: Path, streams: dict[str, StreamingWorksheet], level: int | None) -> None:
    """Copy the package ``source`` to ``out``, member by member in order, each streamed sheet's rows
    spliced into its part after the header rows."""
    with ZipFile(source) as src:
        parts = {part: streams[name] for name, part in _sheet_parts(src).items() if name in streams}
        with ZipFile(out, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=level) as dst:
            for info in src.infolist():  # members named, not ZipInfo: a ZipInfo would ignore the level
                member = info.filename
                ws = parts.get(member)
                if ws is None:
                    dst.writestr(member, src.read(member))
                    continue
                xml = src.read(member).decode("utf-8")  # small: the header rows only
                empty = re.search(r"<sheetData\s*/>", xml)
                if empty:
                    head, tail = xml[:empty.start()] + "<sheetData>", "</sheetData>" + xml[empty.end():]
                else:
                    at = xml.index("</sheetData>")
                    head, tail = xml[:at], xml[at:]
                with dst.open(member, "w", force_zip64=True) as f:
                    f.write(head.encode("utf-8"))
                    for chunk in ws.rows_xml():
                        f.write(chunk.encode("utf-8"))
                    f.write(tail.encode("utf-8"))


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
                cell = self.ws.cell(row=r, column=i)
                cell.value = item.value
                cell.data_type = item.data_type  # as put() left it
                for attr in ("font", "fill", "border", "number_format", "protection", "alignment", "quotePrefix"):
                    setattr(cell, attr, copy(getattr(item, attr)))
            elif item is not None:
                put(self.ws.cell(row=r, column=i), item)
        self._header_rows += 1

    @property
    def next_row(self) -> int:
        return self._header_rows + self.rows_written + 1

    def add(self, values: Sequence[Any]) -> None:
        r = self.next_row
        for i, (col, fmt, v) in enumerate(zip(self.stream_columns, self._formats, values, strict=False), 1):
            if v is None or v == "":
                continue
            if col.kind == "formula" and type(v) is not Formula:
                raise TypeError(f"a formula column takes a Formula, not {type(v).__name__}")
            cell = put(self.ws.cell(row=r, column=i), v)
            if fmt:
                cell.number_format = fmt
        self.rows_written += 1


def sheet_for(wb: Workbook, title: str, columns: Sequence[tuple[str, str | None]], *,
              plain: bool = False) -> Any:
    return PlainSheet(wb, title, columns) if plain else streaming_sheet(wb, title, columns)
