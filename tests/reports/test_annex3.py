"""附件3: the field builder, the blank form's layout and print settings, prefilled and batch workbooks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from reports import annex3 as R
from reports.xlsx import ReportError
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
    assert values["本年度设备投入"] == Decimal("400.000001")  # 4,000,000.01 元: a fen needs 6 decimals of 万元
    assert values["申报奖励资金"] == Decimal("58.5")
    assert values["获批级别"] == "省级"
    assert values["区级经商部门审核意见日期"] == "2026年3月4日"
    assert values["区级财政部门审核意见日期"] == "年    月    日"
    assert R.build(R.Annex3Data(**{**data.__dict__, "requested_fen": 5_000_000_00})).requested_wan == Decimal("500")
    assert str(R.build(R.Annex3Data(**{**data.__dict__, "requested_fen": 1_234_567_00})).requested_wan) == "123.4567"


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
    assert {str(r) for r in ws.merged_cells.ranges} == MERGES
    for ref, text in LABELS.items():
        assert ws[ref].value == text, ref
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
    # A4 portrait, one page, print area, margins
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)
    assert ws.print_area == "'附件3'!$A$1:$E$20"
    m = ws.page_margins
    assert (m.left, m.right, m.top, m.bottom) == (0.75, 0.75, 0.9, 0.8)
    assert ws.print_options.horizontalCentered is True


def test_prefilled_from_the_ledger(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        path = R.write_claim(s, world.n2, tmp_path / "a3.xlsx")
    ws = openpyxl.load_workbook(path)["附件3"]
    assert (ws["C4"].value, ws["C5"].value, ws["E5"].value) == ("嘉善某智能装备有限公司", "王五", "0573-84000000")
    assert (ws["C6"].value, ws["E6"].value, ws["C7"].value) == ("赵六", "13900000000", "嘉善县智能装备中试平台")
    assert ws["C8"].value == "国家级"
    # invoices net of VAT: 1,234,567.89 + 2,000,000.00 + 765,432.13 = 4,000,000.02 元 = 400.000002 万元
    assert _exact(ws["C9"].value) == Decimal("400.000002") and ws["C9"].number_format == "#,##0.000000"
    # requested on the filed invoices: 30% × 4,000,000.02 = 1,200,000.006 → 1,200,000.01 元
    assert _exact(ws["E9"].value) == Decimal("120.000001") and ws["E9"].number_format == "#,##0.000000"
    assert ws["C10"].value == "工信部〔2026〕3号"  # the recognition's document: the claim stated none
    assert (ws["C17"].value, ws["C20"].value) == ("材料齐全，同意上报", "2026年3月5日")
    assert (ws["E17"].value, ws["E20"].value) == ("同意", "2026年3月6日")
    assert ws["B16"].value == "年    月    日"  # signed by hand
    with db.sessions() as s:
        path = R.write_claim(s, world.n3, tmp_path / "a3-audited.xlsx")
    ws = openpyxl.load_workbook(path)["附件3"]
    assert _exact(ws["C9"].value) == Decimal("200") and ws["C9"].number_format == "#,##0"  # audited 2026 investment
    assert ws["C8"].value == "省级" and ws["C10"].value == "浙经信〔2026〕8号"


def test_batch_workbook_one_sheet_per_claim(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        path = R.write_batch(s, "330402", tmp_path / "nh.xlsx")
        with pytest.raises(ReportError, match="no claim"):
            R.write_claim(s, "SQ-none", tmp_path / "x.xlsx")
        with pytest.raises(ReportError, match="no equipment-subsidy claims"):
            R.write_batch(s, "330411", tmp_path / "x.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [world.n1, world.n3]
    for name in wb.sheetnames:
        ws = wb[name]
        assert ws["A2"].value == "国家、省级中试平台补助资金申请表"
        assert {str(r) for r in ws.merged_cells.ranges} == MERGES
        assert ws.print_area == f"'{name}'!$A$1:$E$20"
    assert _exact(wb[world.n1]["E9"].value) == Decimal("60")  # requested 600,000 元 on the filed invoices
    assert _exact(wb[world.n1]["C9"].value) == Decimal("200")  # invoices net 2,000,000 元
