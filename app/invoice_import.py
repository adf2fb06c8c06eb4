"""Invoice import (发票导入): the rows of an uploaded xlsx or CSV, read within fixed bounds.

An upload is refused, with a Chinese message naming the limit, before it can cost much time or
memory: the file's bytes are read up to :data:`MAX_IMPORT_BYTES`; an xlsx (a zip archive) has every
member's uncompressed size and compression ratio checked from the zip directory *before* openpyxl
parses anything (zipfile never inflates a member beyond its declared size, so the declared sizes are a
real bound); rows are streamed and reading stops at the first row past :data:`MAX_SCANNED_ROWS` or the
first data row past :data:`MAX_IMPORT_ROWS`, never after reading everything. See docs/security.md.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from typing import Any

from ledger.errors import Invalid

IMPORT_COLUMNS = ("开票单位代码", "发票号码", "开票日期", "金额(不含税)", "税额")
IMPORT_FIELDS = ("issuer_code", "number", "date", "net", "vat")

MAX_IMPORT_BYTES = 5_000_000
"""The uploaded file as sent (an xlsx compressed): at most 5 MB."""
MAX_IMPORT_ROWS = 2000
"""Invoice lines (non-blank data rows) in one import: at most 2,000."""
MAX_SCANNED_ROWS = 2 * MAX_IMPORT_ROWS + 1
"""Rows read from the sheet, blank ones included (a sheet whose one cell sits on row 1,048,576 would
otherwise make openpyxl hand over a million empty rows): at most 4,001."""
MAX_IMPORT_COLUMNS = 50
"""Columns read per row (the header must lie within them): a sheet that declares 16,384 columns is
read no wider than this."""
MAX_MEMBER_BYTES = 10_000_000
"""Any one part of an xlsx (a sheet's XML, the shared strings …) once uncompressed: at most 10 MB —
a 2,000-row invoice sheet is about 0.3 MB. (The shared strings and styles are parsed whole, at a few
MB a second: this bounds the time an accepted file can take.)"""
MAX_UNCOMPRESSED_BYTES = 30_000_000
"""All parts of an xlsx together once uncompressed: at most 30 MB."""
MAX_RATIO = 100
"""Uncompressed ÷ compressed size of a part larger than :data:`RATIO_FROM_BYTES`: at most 100
(ordinary sheet XML deflates 5–20×; the 340 KB file holding 88 MB of XML was 260×)."""
RATIO_FROM_BYTES = 1_000_000
MAX_MEMBERS = 1000
"""Parts in one xlsx archive."""


def _mb(n: int) -> str:
    return f"{n / 1_000_000:,.0f} MB" if n >= 1_000_000 else f"{n / 1000:,.0f} KB"


def refuse(message: str) -> Invalid:
    return Invalid("发票导入：文件上限", message, field="file")


def too_many_rows() -> Invalid:
    return refuse(f"行数超过上限 {MAX_IMPORT_ROWS:,} 行（读到超出的一行即停止读取，请分批导入）")


def check_archive(content: bytes) -> None:
    """Refuse an xlsx whose zip directory declares too much: too many parts, a part or the whole too
    large once uncompressed, or a part compressed suspiciously well. Nothing is inflated here."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise Invalid("发票导入", "无法读取该 xlsx 文件（不是有效的 xlsx）", field="file") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise refuse(f"导入文件过大：包含 {len(members):,} 个部件，超过上限 {MAX_MEMBERS:,} 个")
        total = 0
        for m in members:
            total += m.file_size
            what = "工作表" if m.filename.startswith("xl/worksheets/") else f"部件 {m.filename[:60]}"
            if m.file_size > MAX_MEMBER_BYTES:
                raise refuse(f"导入文件过大：{what}解压后 {_mb(m.file_size)}，超过上限 {_mb(MAX_MEMBER_BYTES)}")
            if m.file_size > RATIO_FROM_BYTES and m.file_size > MAX_RATIO * max(m.compress_size, 1):
                raise refuse(f"导入文件异常：{what}压缩比 {m.file_size // max(m.compress_size, 1):,} 倍，"
                             f"超过上限 {MAX_RATIO} 倍（疑似压缩炸弹）")
        if total > MAX_UNCOMPRESSED_BYTES:
            raise refuse(f"导入文件过大：解压后共 {_mb(total)}，超过上限 {_mb(MAX_UNCOMPRESSED_BYTES)}")


ROW_TAG = re.compile(rb"<row[\s/>]")
PREFIXED_ROW_TAG = re.compile(rb"<[A-Za-z_][\w.\-]{0,40}:row[\s/>]")  # <x:row>, rare: searched only if present


def count_rows(archive: zipfile.ZipFile, name: str) -> int:
    """The ``<row>`` elements of a sheet's XML, counted by scanning the inflated bytes (tens of MB a
    second; the member's size is already bounded) before any row is parsed."""
    count, tail = 0, b""
    with archive.open(name) as src:
        while chunk := src.read(1 << 20):
            data = tail + chunk
            for tag in (ROW_TAG, PREFIXED_ROW_TAG) if b":row" in data else (ROW_TAG,):
                count += sum(1 for m in tag.finditer(data) if m.end() > len(tail))  # not counted before
            tail = data[-64:]
    return count


def _xlsx_rows(content: bytes) -> Generator[list[Any], None, None]:
    """The first worksheet's rows, streamed (gaps filled with blank rows, one at a time).

    Not ``load_workbook(read_only=True)``: that scans every sheet to its end at load when the sheet
    declares no ``<dimension>`` (openpyxl's ``ReadOnlyWorksheet._get_size``), which takes seconds on a
    sheet of a few MB. openpyxl's own reader parts are used instead — the workbook, shared strings and
    styles (for dates), then :class:`WorkSheetParser` on the first sheet only, stopped when the caller
    stops."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import WorkSheetParser

    check_archive(content)
    try:
        reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        sheets = [rel for _sheet, rel in reader.parser.find_sheets() if "chartsheet" not in rel.Type]
        if not sheets:
            raise Invalid("发票导入", "该 xlsx 文件没有工作表", field="file")
        wb = reader.wb
        rows = count_rows(reader.archive, sheets[0].target)
        if rows > MAX_SCANNED_ROWS:
            raise refuse(f"行数超过上限 {MAX_IMPORT_ROWS:,} 行：工作表有 {rows:,} 行（请分批导入）")
        with reader.archive.open(sheets[0].target) as src:
            # apply_stylesheet sets these two on the workbook; openpyxl's stubs do not declare them
            date_formats = wb._date_formats  # type: ignore[attr-defined]
            timedelta_formats = wb._timedelta_formats  # type: ignore[attr-defined]
            parser = WorkSheetParser(src, reader.shared_strings, data_only=True, epoch=wb.epoch,
                                     date_formats=date_formats, timedelta_formats=timedelta_formats)
            expected = 1
            for number, cells in parser.parse():
                while expected < number:  # rows the sheet skips
                    expected += 1
                    yield []
                row: list[Any] = [None] * MAX_IMPORT_COLUMNS
                for cell in cells:
                    if 1 <= cell["column"] <= MAX_IMPORT_COLUMNS:
                        row[cell["column"] - 1] = cell["value"]
                expected = number + 1
                yield row
    except Invalid:
        raise
    except Exception:
        raise Invalid("发票导入", "无法读取该 xlsx 文件", field="file") from None


def _lines(text: str) -> Iterator[str]:
    """The text's lines, one at a time (``io.StringIO`` would hold a second, four-bytes-a-character
    copy of the whole text; ``splitlines`` a list of every line)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _csv_rows(content: bytes) -> Generator[list[Any], None, None]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            decoded = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Invalid("发票导入", "CSV 文件编码无法识别（请用 UTF-8 或 GBK）", field="file")
    try:
        for row in csv.reader(_lines(decoded)):
            yield row[:MAX_IMPORT_COLUMNS]
    except csv.Error as exc:
        raise Invalid("发票导入", f"CSV 文件格式有误：{exc}", field="file") from None


def header_key(cell: Any) -> str:
    return re.sub(r"\s+", "", str(cell or "")).replace("（", "(").replace("）", ")")


def _data_rows(rows: Iterable[list[Any]]) -> list[tuple[int, list[Any]]]:
    """The header found in the first row, then each non-blank row's cells in IMPORT_COLUMNS order with
    its row number; stops reading at the first row past a limit."""
    it = iter(rows)
    first = next(it, None)
    if first is None:
        raise Invalid("发票导入", "文件是空的", field="file")
    header = [header_key(c) for c in first]
    missing = [c for c in IMPORT_COLUMNS[:4] if header_key(c) not in header]
    if missing:
        raise Invalid("发票导入：列名", f"缺少列：{'、'.join(missing)}（第 1 行应为列名：{'、'.join(IMPORT_COLUMNS)}）",
                      field="file")
    index = [header.index(header_key(c)) if header_key(c) in header else None for c in IMPORT_COLUMNS]
    out: list[tuple[int, list[Any]]] = []
    for n, row in enumerate(it, start=2):
        if n > MAX_SCANNED_ROWS:
            raise too_many_rows()
        cells = [row[i] if i is not None and i < len(row) else None for i in index]
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        if len(out) == MAX_IMPORT_ROWS:
            raise too_many_rows()
        out.append((n, cells))
    return out


def read_rows(filename: str, content: bytes) -> list[tuple[int, list[Any]]]:
    """The data rows of an uploaded xlsx or CSV (with their row numbers), columns in IMPORT_COLUMNS order.

    Raises :class:`ledger.errors.Invalid` for a file that is not a table with those columns or is past
    a limit of this module."""
    if len(content) > MAX_IMPORT_BYTES:
        raise refuse(f"导入文件过大：{_mb(len(content))}，超过上限 {_mb(MAX_IMPORT_BYTES)}")
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(content)
    elif name.endswith(".csv") or name.endswith(".txt"):
        rows = _csv_rows(content)
    else:
        raise Invalid("发票导入", "只接受 .xlsx 或 .csv 文件", field="file")
    with closing(rows):  # stopping early closes the workbook at once
        return _data_rows(rows)
