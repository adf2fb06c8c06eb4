"""Invoice import is bounded before it is read (issue 9, attack: decompression bomb).

A 600,000-row sheet deflated into a few hundred KB, a CSV of 200,000 rows, a sheet past the row limit
but under the size limits, and a sheet whose one data cell sits on row 1,048,576: each is refused in
well under a second with a Chinese message naming the limit, while memory stays far below what the
file would unpack to, and nothing is stored.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app import invoice_import as imp
from ledger.errors import Invalid
from ledger.models import Claim, Invoice
from tests.app.conftest import Service
from tests.app.test_pages_forms import HEADER, claim_form, csrf_of, setup_platform, signed_in

SHEET = "xl/worksheets/sheet1.xml"


def _xlsx_with_sheet(sheet_xml: bytes) -> bytes:
    """A real workbook (made by openpyxl) whose first sheet's XML is replaced by ``sheet_xml``."""
    wb = Workbook()
    wb.active.append(list(imp.IMPORT_COLUMNS))
    template = io.BytesIO()
    wb.save(template)
    out = io.BytesIO()
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, sheet_xml if item.filename == SHEET else src.read(item.filename))
    return out.getvalue()


def _sheet(rows: int, *, first_row: int = 2, same: bool = False) -> bytes:
    """Sheet XML: the header, then ``rows`` invoice rows from ``first_row`` on — each its own invoice, or
    (``same``) one row repeated without row references, which deflates about a thousandfold."""
    head = "".join(f'<c r="{c}1" t="inlineStr"><is><t>{t}</t></is></c>'
                   for c, t in zip("ABCDE", imp.IMPORT_COLUMNS, strict=True))
    if same:
        body = ('<row><c t="inlineStr"><is><t>91330400A</t></is></c><c t="inlineStr"><is><t>00000001</t></is></c>'
                '<c t="inlineStr"><is><t>2025-01-02</t></is></c><c><v>1000</v></c><c><v>130</v></c></row>') * rows
    else:
        body = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>91330400A</t></is></c>'
                       f'<c r="B{n}" t="inlineStr"><is><t>{n:08d}</t></is></c>'
                       f'<c r="C{n}" t="inlineStr"><is><t>2025-01-02</t></is></c>'
                       f'<c r="D{n}"><v>1000</v></c><c r="E{n}"><v>130</v></c></row>'
                       for n in range(first_row, first_row + rows))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            f'<row r="1">{head}</row>{body}</sheetData></worksheet>').encode()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """Like the attack: 600,000 rows, ~110 MB of sheet XML, ~430 KB as sent."""
    content = _xlsx_with_sheet(_sheet(600_000, same=True))
    assert len(content) < 500_000
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        assert z.getinfo(SHEET).file_size > 80_000_000
    return content


def _refused(read: Callable[[], Any], *, memory: bool = False) -> tuple[Invalid, float, int]:
    """Run ``read`` (which must refuse): the refusal, the seconds it took, and — with ``memory`` — the
    peak memory allocated meanwhile, from a second run under tracemalloc (which slows allocation
    several times over, so the time is taken without it)."""
    started = time.perf_counter()
    with pytest.raises(Invalid) as refused:
        read()
    seconds = time.perf_counter() - started
    peak = 0
    if memory:
        tracemalloc.start()
        try:
            with pytest.raises(Invalid):
                read()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return refused.value, seconds, peak


def test_a_decompression_bomb_is_refused_from_the_zip_directory(bomb: bytes,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    def never(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("openpyxl was asked to parse the bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    exc, seconds, peak = _refused(lambda: imp.read_rows("发票.xlsx", bomb), memory=True)
    assert exc.field == "file" and exc.status == 422
    assert exc.message.startswith("导入文件过大：工作表解压后 ") and "超过上限 10 MB" in exc.message, exc.message
    assert seconds < 1, seconds
    assert peak < 5_000_000, peak  # the sheet would unpack to ~110 MB


def test_a_part_compressed_suspiciously_well_is_refused() -> None:
    sheet = _sheet(40_000, same=True)  # ~6 MB: under the size limit, but pure repetition
    exc, seconds, _ = _refused(lambda: imp.read_rows("发票.xlsx", _xlsx_with_sheet(sheet)))
    assert "压缩比" in exc.message and f"超过上限 {imp.MAX_RATIO} 倍" in exc.message, exc.message
    assert seconds < 1


def test_rows_are_counted_before_and_while_streaming(monkeypatch: pytest.MonkeyPatch) -> None:
    # an xlsx under every size limit but with 10,000 rows: its row elements are counted before parsing
    xlsx = _xlsx_with_sheet(_sheet(10_000))
    exc, seconds, peak = _refused(lambda: imp.read_rows("发票.xlsx", xlsx), memory=True)
    assert exc.message == "行数超过上限 2,000 行：工作表有 10,001 行（请分批导入）", exc.message
    assert seconds < 1 and peak < 5_000_000, (seconds, peak)
    # one cell on the sheet's last row: openpyxl would hand over a million empty rows before it
    far = _xlsx_with_sheet(_sheet(1, first_row=1_048_576))
    exc, seconds, _ = _refused(lambda: imp.read_rows("发票.xlsx", far))
    assert exc.message.startswith("行数超过上限 2,000 行（读到超出的一行即停止读取"), exc.message
    assert seconds < 1, seconds
    # 2,500 rows (under the count of all rows a sheet may have): the stream stops at the 2,001st data row
    pulled: list[int] = []
    stream = imp._xlsx_rows

    def counted(content: bytes) -> Any:
        for row in stream(content):
            pulled.append(1)
            yield row

    monkeypatch.setattr(imp, "_xlsx_rows", counted)
    exc, seconds, _ = _refused(lambda: imp.read_rows("发票.xlsx", _xlsx_with_sheet(_sheet(2_500))))
    assert exc.message.startswith("行数超过上限 2,000 行（"), exc.message
    assert len(pulled) == 1 + imp.MAX_IMPORT_ROWS + 1, len(pulled)  # the header, 2,000 rows, and one more
    assert seconds < 3, seconds  # 2,001 rows parsed: about 0.3 s, a loaded machine allowing
    # a CSV of 200,000 rows (~8 MB of text within the 5 MB upload: cut to the byte limit, still too many)
    lines = "".join(f"9133A,{n:08d},2025-01-02,1000.00,130.00\n" for n in range(200_000)).encode()
    csv_bytes = (HEADER.encode() + lines)[: imp.MAX_IMPORT_BYTES]
    exc, seconds, peak = _refused(lambda: imp.read_rows("发票.csv", csv_bytes), memory=True)
    assert exc.message.startswith("行数超过上限 2,000 行") and seconds < 1, (exc.message, seconds)
    # the decoded text (two bytes a character: the header is Chinese), not ~125,000 parsed rows (~60 MB)
    assert peak < 4 * imp.MAX_IMPORT_BYTES, peak
    # more bytes than the limit are refused before any decoding
    exc, _, _ = _refused(lambda: imp.read_rows("发票.csv", HEADER.encode() + lines))
    assert exc.message == "导入文件过大：8 MB，超过上限 5 MB", exc.message
    # a field larger than the csv module allows is a refusal, not a 500
    exc, _, _ = _refused(lambda: imp.read_rows("发票.csv", HEADER.encode() + b'"' + b"x" * 200_000 + b'"\n'))
    assert exc.message.startswith("CSV 文件格式有误")
    # and the limits leave an ordinary file alone: exactly MAX_IMPORT_ROWS rows is fine
    ok = (HEADER + "".join(f"9133A,{n:08d},2025-01-02,1000.00,130.00\n"
                           for n in range(imp.MAX_IMPORT_ROWS))).encode()
    assert len(imp.read_rows("发票.csv", ok)) == imp.MAX_IMPORT_ROWS
    assert len(imp.read_rows("发票.xlsx", _xlsx_with_sheet(_sheet(imp.MAX_IMPORT_ROWS)))) == imp.MAX_IMPORT_ROWS


def _stored(service: Service) -> tuple[int, int]:
    with service.db.sessions() as s:
        return (s.execute(select(func.count(Claim.id))).scalar_one(),
                s.execute(select(func.count(Invoice.id))).scalar_one())


def test_the_import_page_refuses_the_bomb_and_stores_nothing(service: Service, bomb: bytes) -> None:
    setup_platform(service)
    clerk = signed_in(service, "nanhu-econ")
    csrf = csrf_of(clerk, "/claims/new?platform=P1")
    for name, content, message in (
            ("bomb.xlsx", bomb, "超过上限 10 MB"),
            ("many.csv", (HEADER + "9133A,1,2025-01-02,1.00,0\n" * 100_000).encode(), "行数超过上限 2,000 行")):
        started = time.perf_counter()
        r = clerk.post("/claims/import", data=claim_form(csrf, []),
                       files={"file": (name, content, "application/octet-stream")}, follow_redirects=False)
        seconds = time.perf_counter() - started
        assert r.status_code == 422 and message in r.text, (name, r.status_code, r.text[-2000:])
        assert seconds < 2, (name, seconds)  # the whole request; the refusal itself is timed above
        assert _stored(service) == (0, 0)
