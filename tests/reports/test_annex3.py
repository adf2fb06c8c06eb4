"""附件3: the field builder, the blank form's layout and print settings, prefilled and batch workbooks."""

from __future__ import annotations

import re
import shutil
import subprocess
from copy import copy
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from reports import annex3 as R
from reports.xlsx import ReportError, save
from tests.reports.world import World

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_ba30c5352f980a71.txt"
MERGES = {"A2:E2", "A3:E3", "A4:A10", "C4:E4", "C7:E7", "C8:E8", "C10:E10", "A11:A16", "B11:E11", "B12:E12",
          "B13:E13", "B14:E14", "B15:C15", "D15:E15", "B16:E16", "A17:A20", "B17:B20", "C17:C18", "D17:D20",
          "E17:E18"}
LABELS = {"A1": "附件3", "A2": "国家、省级中试平台补助资金申请表", "A3": "单位：万元", "A4": "申请单位\n基本情况",
          "B4": "申请单位名称", "B5": "负责人", "D5": "电话", "B6": "联系人", "D6": "手机", "B7": "平台名称",
          "B8": "获批级别", "B9": "本年度设备投入", "D9": "申报奖励资金", "B10": "中试平台文件、文号",
          "A11": "申请单位\n负责人承诺", "B11": "1. 本项目未违反国家产业政策、节能政策、环保政策;",
          "B12": "2. 本项目未享受过市级财政专项资金补助;", "B13": "3. 以上填列内容及提供材料真实有效。",
          "D15": "法定代表人签字并盖章：", "A17": "审核情况", "B17": "区级经商部门\n审核意见", "C19": "（盖章）",
          "D17": "区级财政部门\n审核意见", "E19": "（盖章）"}
VALUE_CELLS = ("C4", "C5", "E5", "C6", "E6", "C7", "C8", "C9", "E9", "C10", "C17", "E17")


def _exact(v: object) -> Decimal:
    assert isinstance(v, (int, float)), v
    return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)


def check_form(ws: Worksheet, form: R.Annex3Form) -> None:
    """Read a generated sheet back: every field of ``form`` in its cell (amounts in 万元 with 4 decimals,
    the exact 元 beside where rounding changed them), the fixed text, the merges and the print settings."""
    for _, label, value in form.fields():
        if label not in R.FIELD_CELLS:  # the undertakings and the signature line: fixed text
            assert label in {ws[ref].value for ref in LABELS}, label
            continue
        cell = ws[R.FIELD_CELLS[label]]
        if label == R.L_EQUIPMENT and isinstance(value, str) and form.equipment_years:
            years, total = read_equipment(cell.value)
            assert years == form.equipment_years and total == form.equipment_wan, (years, total)
        elif isinstance(value, Decimal):
            assert _exact(cell.value) == value, label
            assert cell.number_format == "#,##0.0000", label
            assert -value.as_tuple().exponent == 4, label  # type: ignore[operator]
        else:
            assert cell.value == (value or None), label
    for ref, text in LABELS.items():
        assert ws[ref].value == text, ref
    assert {str(r) for r in ws.merged_cells.ranges} == MERGES
    check_print_settings(ws)


LINE = re.compile(r"^(\S+) ([0-9,]+\.[0-9]{4}) 万元(?:（([0-9,]+\.[0-9]{2}) 元）)?$")


def _read_line(line: str) -> tuple[str, Decimal]:
    """``2023年 123.4568 万元（1,234,567.89 元）`` → (``2023年``, the exact 万元): 4 decimals, and the exact
    元 beside exactly when the 4 decimals changed the figure."""
    m = LINE.match(line)
    assert m, line
    shown = Decimal(m[2].replace(",", ""))
    if m[3] is None:
        return m[1], shown
    exact = Decimal(m[3].replace(",", "")) / 10_000
    assert exact != shown and abs(exact - shown) <= Decimal("0.00005"), line
    return m[1], exact


def read_equipment(text: object) -> tuple[tuple[tuple[int, Decimal], ...], Decimal]:
    """本年度设备投入 of a claim covering several years read back: (year, exact 万元) per line and the total."""
    assert isinstance(text, str), text
    *lines, last = text.split("\n")
    years = []
    for line in lines:
        year, amount = _read_line(line)
        assert year.endswith("年"), line
        years.append((int(year[:-1]), amount))
    head, total = _read_line(last)
    assert head == "合计", last
    assert sum(a for _, a in years) == total
    return tuple(years), total


def check_print_settings(ws: Worksheet) -> None:
    """A4 portrait, fitted to one page, centred, its print area and margins."""
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)
    assert ws.print_area == f"'{ws.title}'!$A$1:$E$20"
    m = ws.page_margins
    assert (m.left, m.right, m.top, m.bottom) == (0.75, 0.75, 0.9, 0.8)
    assert ws.print_options.horizontalCentered is True


def test_fields_in_the_documents_order_with_exact_wan() -> None:
    data = R.Annex3Data(
        claim_number="SQ2026-000009", program="equipment-subsidy", operator="嘉兴某公司", head_person="张三",
        head_phone="0573-1", contact_person="李四", contact_mobile="138", platform_name="某中试平台",
        level="provincial", equipment_fen=4_000_000_01, equipment_source="invoices", requested_fen=58_500_000,
        platform_document="浙经信〔2026〕8号", econ_opinion="同意", econ_date=date(2026, 3, 4))
    form = R.build(data)
    assert [label for _, label, _ in form.fields()][:10] == [
        "申请单位名称", "负责人", "电话", "联系人", "手机", "平台名称", "获批级别", "本年度设备投入", "申报奖励资金",
        "中试平台文件、文号"]
    assert [g for g, _, _ in form.fields()] == ["申请单位基本情况"] * 10 + ["申请单位负责人承诺"] * 5 + ["审核情况"] * 4
    values = {label: v for _, label, v in form.fields()}
    # 4,000,000.01 元 is 400.000001 万元: 4 decimals round it, so the exact 元 stands beneath
    assert values["本年度设备投入"] == "400.0000\n（4,000,000.01 元）"
    assert values["申报奖励资金"] == Decimal("58.5000")
    assert values["获批级别"] == "省级"
    assert values["区级经商部门审核意见日期"] == "2026年3月4日"
    assert values["区级财政部门审核意见日期"] == "年    月    日"
    assert R.build(R.Annex3Data(**{**data.__dict__, "requested_fen": 5_000_000_00})).requested_wan == Decimal("500")
    assert str(R.build(R.Annex3Data(**{**data.__dict__, "requested_fen": 1_234_567_00})).requested_wan) == "123.4567"
    # 2,480,000.50 元 = 248.00005 万元: printed 248.0001 (half up), never 248.00005, the exact 元 beneath
    assert R.build(R.Annex3Data(**{**data.__dict__, "requested_fen": 248_000_050})).printed(
        Decimal("248.00005")) == "248.0001\n（2,480,000.50 元）"


def test_equipment_a_line_per_year_when_the_claim_covers_several(tmp_path: Path) -> None:
    base = R.Annex3Data(
        claim_number="SQ2030-000001", program="equipment-subsidy", operator="嘉兴某公司", head_person="张三",
        head_phone="0573-1", contact_person="李四", contact_mobile="138", platform_name="某中试平台",
        level="national", equipment_fen=120_000_00, equipment_source="audited", requested_fen=36_000_00,
        platform_document="工信部〔2026〕3号", equipment_by_year=((2029, 120_000_00),))
    one = R.build(base)
    assert {label: v for _, label, v in one.fields()}["本年度设备投入"] == Decimal("12.0000")  # one year: the number
    several = R.build(replace(base, equipment_fen=1_234_567_890_12, equipment_by_year=(
        (2027, 1_205_000_00), (2028, 0), (2029, 1_233_362_890_12))))
    printed = {label: v for _, label, v in several.fields()}["本年度设备投入"]
    assert printed == ("2027年 120.5000 万元\n2028年 0.0000 万元\n2029年 123,336.2890 万元（1,233,362,890.12 元）\n"
                       "合计 123,456.7890 万元（1,234,567,890.12 元）")
    assert read_equipment(printed) == (several.equipment_years, Decimal("123456.789012"))
    path = tmp_path / "several.xlsx"
    R.workbook([several]).save(path)
    ws = openpyxl.load_workbook(path).worksheets[0]
    check_form(ws, several)  # every other field where it was, the undertakings unchanged, one A4 page
    lines = R.wrapped_lines(printed, int(R.WIDTHS[2]) - 2)
    assert lines >= 4 and ws.row_dimensions[9].height == R.LINE_PT * lines + 8
    assert ws["B12"].value == "2. 本项目未享受过市级财政专项资金补助;"


def test_the_undertakings_are_verbatim_from_the_seed() -> None:
    if not SEED.exists():
        pytest.skip(f"seed 000 not beside the work tree ({SEED})")
    text = SEED.read_text(encoding="utf-8")
    for line in R.UNDERTAKINGS:
        assert line in text
    for label in ("国家、省级中试平台补助资金申请表", "单位：万元", "法定代表人签字并盖章：", "区级财政部门审核意见"):
        assert label in text


def test_blank_form_layout_and_print_settings(tmp_path: Path) -> None:
    path = R.write_blank(tmp_path / "blank.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["附件3"]
    ws = wb["附件3"]
    check_form(ws, R.blank())
    for ref in VALUE_CELLS:
        assert ws[ref].value is None, ref
    assert ws["B16"].value == ws["C20"].value == ws["E20"].value == "年    月    日"
    # borders: every cell of the table has a thin outline where the table has one
    for ref in ("A4", "C4", "E4", "B9", "E9", "A10", "C10", "E10", "A17", "E20", "B20"):
        b = ws[ref].border
        assert "thin" in {b.left.style, b.right.style, b.top.style, b.bottom.style}, ref
    assert ws["C9"].border.left.style == ws["C9"].border.right.style == "thin"
    assert ws["A4"].border.left.style == "thin" and ws["E20"].border.bottom.style == "thin"
    assert ws["B12"].border.top.style is None  # the undertakings sit in one box, without lines between them
    # fonts: 宋体 title, 仿宋 body, GB2312 charset for substitution
    assert ws["A2"].font.name == "宋体" and ws["A2"].font.b and ws["A2"].font.sz == 18
    assert ws["B4"].font.name == "仿宋" and ws["B4"].font.charset == 134
    assert ws.sheet_view.showGridLines is False


# The expected forms of the world's claims, stated from the story (tests/reports/world.py), not computed.
P1_FORM = dict(applicant="嘉兴某新材料科技有限公司", head_person="张三", head_phone="0573-82000000",
               contact_person="李四", contact_mobile="13800000000", platform_name="嘉兴市新材料中试平台",
               level="省级", platform_document="浙经信〔2026〕8号")
P2_FORM = R.Annex3Form(
    applicant="嘉善某智能装备有限公司", head_person="王五", head_phone="0573-84000000", contact_person="赵六",
    contact_mobile="13900000000", platform_name="嘉善县智能装备中试平台", level="国家级",
    # invoices net of VAT: 1,234,567.89 + 2,000,000.00 + 765,432.13 = 4,000,000.02 元 = 400.000002 万元
    equipment_wan=Decimal("400.000002"),
    # one line per year of the invoices (2023, 2024, 2025), then the total
    equipment_years=((2023, Decimal("123.456789")), (2024, Decimal("200")), (2025, Decimal("76.543213"))),
    # requested on the filed invoices: 30% × 4,000,000.02 = 1,200,000.006 → 1,200,000.01 元
    requested_wan=Decimal("120.000001"),
    platform_document="工信部〔2026〕3号",  # the recognition's document: the claim stated none
    econ_opinion="材料齐全，同意上报", econ_date="2026年3月5日", finance_opinion="同意", finance_date="2026年3月6日")
N1_FORM = R.Annex3Form(**P1_FORM, equipment_wan=Decimal("200"), requested_wan=Decimal("60"),  # invoices 2,000,000 元
                       equipment_years=((2023, Decimal("100")), (2024, Decimal("70")), (2025, Decimal("30"))),
                       econ_opinion="材料齐全，同意上报", econ_date="2026年3月4日", finance_opinion="同意",
                       finance_date="2026年3月5日")
N3_FORM = R.Annex3Form(**P1_FORM, equipment_wan=Decimal("200"),  # no invoices: the audited 2026 investment
                       requested_wan=Decimal("60"), econ_opinion="材料齐全，同意上报", econ_date="2027年3月4日",
                       finance_opinion="同意", finance_date="2027年3月5日")


def test_prefilled_from_the_ledger(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        path = R.write_claim(s, world.n2, tmp_path / "a3.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["附件3"]
    ws = wb["附件3"]
    check_form(ws, P2_FORM)
    assert ws["E9"].value == "120.0000\n（1,200,000.01 元）"  # never 120.000001 with #,##0.000000
    assert ws["C9"].value == ("2023年 123.4568 万元（1,234,567.89 元）\n2024年 200.0000 万元\n"
                              "2025年 76.5432 万元（765,432.13 元）\n合计 400.0000 万元（4,000,000.02 元）")
    assert ws["C9"].alignment.wrap_text is True
    assert ws.row_dimensions[9].height >= 4 * R.LINE_PT  # four lines fit the row
    assert ws["B16"].value == "年    月    日"  # signed by hand
    with db.sessions() as s:
        path = R.write_claim(s, world.n3, tmp_path / "a3-audited.xlsx")
    ws = openpyxl.load_workbook(path)["附件3"]
    check_form(ws, N3_FORM)
    assert ws["C9"].number_format == "#,##0.0000"


def test_batch_workbook_one_sheet_per_claim(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        path = R.write_batch(s, "330402", tmp_path / "nh.xlsx")
        only_2027 = R.write_batch(s, "330402", tmp_path / "nh-2027.xlsx", year=2027)
        both = R.write_batch(s, "330421", tmp_path / "js.xlsx")
        with pytest.raises(ReportError, match="不存在"):
            R.write_claim(s, "SQ-none", tmp_path / "x.xlsx")
        with pytest.raises(ReportError, match="没有 equipment-subsidy"):
            R.write_batch(s, "330411", tmp_path / "x.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [world.n1, world.n3]
    check_form(wb[world.n1], N1_FORM)
    check_form(wb[world.n3], N3_FORM)
    assert openpyxl.load_workbook(only_2027).sheetnames == [world.n3]
    js = openpyxl.load_workbook(both)
    assert js.sheetnames == [world.n2]
    check_form(js[world.n2], P2_FORM)


def test_a_claim_of_another_program_is_refused(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.ledger.world import run_to_audited

    other = run_to_audited(db, program="municipal-award", filed=date(2027, 4, 1), invoices=[],
                           requested_fen=100_000_000)
    with db.sessions() as s, pytest.raises(ReportError, match="是 municipal-award 项目的申请"):
        R.write_claim(s, other, tmp_path / "x.xlsx")


def test_sheet_titles_are_valid_and_unique() -> None:
    taken: set[str] = set()
    assert R.sheet_title("SQ2026/000001", taken) == "SQ2026_000001"
    assert R.sheet_title("SQ2026/000001", taken) == "SQ2026_000001_2"
    assert len(R.sheet_title("x" * 40, taken)) == 31


@pytest.mark.skipif(not all(shutil.which(t) for t in ("soffice", "pdfinfo", "pdftoppm")),
                    reason="LibreOffice (soffice) or poppler-utils (pdfinfo, pdftoppm) is not installed")
def test_libreoffice_prints_each_form_on_one_a4_page(tmp_path: Path) -> None:
    """docs/render_annex3.sh on a workbook of three forms (blank, prefilled, long values): LibreOffice prints
    each sheet on one A4 portrait page (the script checks it with pdfinfo and fails otherwise), and the PNG
    of the first page has A4 proportions."""
    script = Path(__file__).resolve().parents[2] / "docs" / "render_annex3.sh"
    long = R.Annex3Form(applicant="嘉兴" + "某" * 40 + "有限公司", platform_name="中试平台" * 10,
                        platform_document="浙经信〔2026〕8号 " + "关于公布省级中试平台名单的通知" * 3,
                        econ_opinion="同意。" * 40, finance_opinion="同意。" * 40,
                        equipment_wan=Decimal("12345.678901"), requested_wan=Decimal("1000"), claim_number="long")
    save(R.workbook([R.blank(), replace(P2_FORM, claim_number="P2"), long], by_claim=True), tmp_path / "forms.xlsx")
    png = tmp_path / "forms.png"
    run = subprocess.run(["bash", str(script), str(tmp_path / "forms.xlsx"), str(png)], capture_output=True,
                         text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert abs(height / width - 297 / 210) < 0.01


def test_the_render_script_refuses_what_is_not_a_workbook(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parents[2] / "docs" / "render_annex3.sh"
    bad = subprocess.run(["bash", str(script), str(script), str(tmp_path / "x.png")], capture_output=True, text=True,
                         timeout=60)
    if shutil.which("soffice") is None or shutil.which("pdftoppm") is None:
        assert bad.returncode == 3 and "is not installed" in bad.stderr
    else:
        assert bad.returncode == 2 and "not an xlsx workbook" in bad.stderr
    assert not (tmp_path / "x.png").exists()


def test_shared_styles_equal_styles_assigned_cell_by_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The layout assigns each combination of styles once and copies it to the other cells; the result must
    be what assigning every cell its own font, alignment, format and border gives."""
    fast = openpyxl.load_workbook(R.write_blank(tmp_path / "fast.xlsx"))["附件3"]

    def cell_by_cell(self, ws, outlines):  # type: ignore[no-untyped-def]
        for ref, (f, align, fmt) in self.text.items():
            ws[ref].font, ws[ref].alignment = f, align
            if fmt:
                ws[ref].number_format = fmt
        outlines.draw(ws)

    monkeypatch.setattr(R._Styles, "apply", cell_by_cell)
    slow = openpyxl.load_workbook(R.write_blank(tmp_path / "slow.xlsx"))["附件3"]
    assert fast.max_row == slow.max_row and fast.max_column == slow.max_column
    for row in slow.iter_rows():
        for cell in row:
            other = fast[cell.coordinate]
            assert (other.value, other.number_format) == (cell.value, cell.number_format), cell.coordinate
            for attr in ("font", "alignment", "fill", "protection"):  # copy(): the style itself, not its proxy
                assert copy(getattr(other, attr)) == copy(getattr(cell, attr)), (cell.coordinate, attr)
            for side in ("left", "right", "top", "bottom"):
                assert getattr(other.border, side).style == getattr(cell.border, side).style, (cell.coordinate, side)
