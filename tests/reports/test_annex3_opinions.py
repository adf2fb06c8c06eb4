"""附件3: review opinions too long for their boxes — a smaller font, else the box's beginning followed by
（续见附页） and the full opinion on the form's 审核意见附页 sheet. Nothing of an opinion may be lost."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.worksheet.worksheet import Worksheet

from reports import annex3 as R
from reports.xlsx import save
from tests.reports.test_annex3 import MERGES, P2_FORM, check_form, check_print_settings

PHRASE = "经审核，该单位申报材料齐全，发票真实有效，设备投入情况属实，符合《细则》第四章（一）规定的补助条件，同意上报。"


def opinion(n: int) -> str:
    """The first ``n`` characters of a plausible opinion, repeated as needed."""
    return (PHRASE * (n // len(PHRASE) + 1))[:n]


def reload(forms: list[R.Annex3Form], *, by_claim: bool = False) -> openpyxl.Workbook:
    buf = io.BytesIO()
    R.workbook(forms, by_claim=by_claim).save(buf)
    buf.seek(0)
    return openpyxl.load_workbook(buf)


def continued(ws: Worksheet) -> dict[str, str]:
    """A continuation sheet read back: department label → the opinion, joined from its rows of text (the
    rows of column B beside the department's merged label, less （盖章） and the date)."""
    found: dict[str, str] = {}
    for merged in sorted(ws.merged_cells.ranges, key=lambda m: m.min_row):
        if merged.min_col != 1 or merged.max_col != 1 or merged.min_row <= R.CONT_HEAD_ROWS:
            continue
        label = str(ws.cell(merged.min_row, 1).value).replace("\n", "")
        assert ws.cell(merged.max_row - 1, 2).value == R.SEAL
        found[label] = "".join(ws.cell(r, 2).value or "" for r in range(merged.min_row, merged.max_row - 1))
    return found


# ---------------------------------------------------------------- the pure parts


def test_display_width() -> None:
    assert R.display_width("") == 0
    assert R.display_width("同意") == 4
    assert R.display_width("OK 1") == 4
    assert R.display_width("（续见附页）") == 12  # fullwidth punctuation
    assert R.display_width("“同意”") == 8  # ambiguous quotes: full width in a Chinese face
    assert R.display_width("e\u0301") == 1  # a combining accent takes no room
    assert R.display_width("同\n意") == 4


def test_wrapped_lines() -> None:
    assert R.wrapped_lines("", 10) == 1
    assert R.wrapped_lines("一二三四五", 10) == 1
    assert R.wrapped_lines("一二三四五六", 10) == 2
    assert R.wrapped_lines("一二\n三", 10) == 2
    assert R.wrapped_lines("一二三四，", 8) == 2  # 禁则: the comma does not start a line, it takes 四 along
    assert R.wrapped_lines("aaaa bbbb", 6) == 2  # Latin words are not broken at a space …
    assert R.wrapped_lines("a" * 13, 6) == 3  # … but a word longer than a line is


def test_the_rule_body_size_then_smaller_then_continued() -> None:
    box = R.OPINION_BOX
    units, lines = box.capacity(R.BODY)
    assert (units, lines) == (18, 8)  # at 12 pt: 9 CJK characters a line, 8 lines
    assert box.capacity(R.FONT_FLOOR) == (28, 13)  # at 8 pt: 14 a line, 13 lines
    short = R.fit_opinion("材料齐全，同意上报。", box)
    assert short == R.Fitted("材料齐全，同意上报。", R.BODY, False)
    medium = R.fit_opinion(opinion(120), box)
    assert not box.fits(opinion(120), R.BODY)
    assert R.FONT_FLOOR <= medium.size < R.BODY and medium.text == opinion(120) and not medium.continued
    assert not box.fits(opinion(120), medium.size + R.SIZE_STEP)  # the largest size that fits
    long = R.fit_opinion(opinion(600), box)
    assert long.continued and long.size == R.BODY and long.text.endswith(R.CONTINUED)
    assert opinion(600).startswith(long.text.removesuffix(R.CONTINUED))
    assert box.fits(long.text, R.BODY)
    assert R.fit_opinion("", box) == R.Fitted("", R.BODY, False)


def test_continuation_titles_are_tied_to_the_form_valid_and_unique() -> None:
    taken = {"附件3"}
    assert R.continuation_title("附件3", taken) == "附件3（审核意见附页）"
    long = "SQ2026-" + "9" * 30
    first = R.continuation_title(long, taken)
    second = R.continuation_title(long, taken)
    assert len(first) <= 31 and len(second) <= 31 and first != second
    assert first.endswith("（审核意见附页）") and long.startswith(first.removesuffix("（审核意见附页）"))


def test_opinion_rows_concatenate_to_the_opinion() -> None:
    text = opinion(2000)
    pieces = R.opinion_rows(text, 56)
    assert "".join(pieces) == text and len(pieces) > 1
    assert all(R.wrapped_lines(p, 56) <= R.CONT_LINES_PER_ROW for p in pieces)
    assert all(p.endswith("。") for p in pieces[:-1])  # cut after a sentence


# ---------------------------------------------------------------- the workbook


def test_a_short_opinion_leaves_the_form_unchanged() -> None:
    wb = reload([P2_FORM])
    assert wb.sheetnames == ["附件3"]
    ws = wb["附件3"]
    check_form(ws, P2_FORM)
    assert ws["C17"].value == "材料齐全，同意上报" and ws["E17"].value == "同意"
    assert ws["C17"].font.sz == ws["E17"].font.sz == R.BODY


def test_a_medium_opinion_gets_a_smaller_font_and_fits() -> None:
    form = replace(P2_FORM, econ_opinion=opinion(120))
    wb = reload([form])
    assert wb.sheetnames == ["附件3"]  # no continuation
    ws = wb["附件3"]
    check_form(ws, form)  # the whole opinion in its cell
    assert R.FONT_FLOOR <= ws["C17"].font.sz < R.BODY
    assert ws["E17"].font.sz == R.BODY  # the other box keeps the body size
    assert ws["C17"].font.name == "仿宋" and ws["C17"].alignment.wrap_text


def test_a_very_long_opinion_is_continued_on_its_own_sheet() -> None:
    full = opinion(600)
    form = replace(P2_FORM, econ_opinion=full, claim_number="SQ2026-000009")
    wb = reload([form])
    assert wb.sheetnames == ["附件3", "附件3（审核意见附页）"]
    ws, cont = wb["附件3"], wb["附件3（审核意见附页）"]
    box = ws["C17"].value
    assert box.endswith("（续见附页）") and full.startswith(box.removesuffix("（续见附页）"))
    assert ws["C17"].font.sz == R.BODY and R.OPINION_BOX.fits(box, R.BODY)
    assert ws["E17"].value == "同意"  # the other opinion fits: untouched, and not continued
    check_print_settings(ws)  # the form: A1:E20 on one A4 page, as before
    assert {str(r) for r in ws.merged_cells.ranges} == MERGES
    # the continuation: the FULL opinion, exactly, with its date, tied to the claim and to the form's sheet
    assert continued(cont) == {"区级经商部门审核意见": full}
    assert cont["A2"].value == "审核意见（附页）"
    assert "工作表“附件3”" in cont["A3"].value and R.TITLE in cont["A3"].value
    assert "申请编号：SQ2026-000009" in cont["A4"].value and "平台名称：嘉善县智能装备中试平台" in cont["A4"].value
    dates = [c.value for c in cont["B"] if c.value == "2026年3月5日"]
    assert dates == ["2026年3月5日"]
    assert cont.page_setup.paperSize == 9 and cont.page_setup.orientation == "portrait"
    assert (cont.page_setup.fitToWidth, cont.page_setup.fitToHeight) == (1, 0)
    assert cont.print_title_rows == "$1:$4" or cont.print_title_rows == "1:4"
    assert max(d.height or 0 for d in cont.row_dimensions.values()) <= 409  # a row's limit in Excel


def test_batch_each_continuation_follows_its_claim() -> None:
    forms = [replace(P2_FORM, claim_number="SQ2026-000001", econ_opinion=opinion(700)),
             replace(P2_FORM, claim_number="SQ2026-000002"),
             replace(P2_FORM, claim_number="SQ2026-000003", econ_opinion=opinion(300), finance_opinion=opinion(900))]
    wb = reload(forms, by_claim=True)
    assert wb.sheetnames == ["SQ2026-000001", "SQ2026-000001（审核意见附页）", "SQ2026-000002",
                             "SQ2026-000003", "SQ2026-000003（审核意见附页）"]
    assert continued(wb["SQ2026-000001（审核意见附页）"]) == {"区级经商部门审核意见": opinion(700)}
    assert continued(wb["SQ2026-000003（审核意见附页）"]) == {"区级经商部门审核意见": opinion(300),
                                                            "区级财政部门审核意见": opinion(900)}
    for number in ("SQ2026-000001", "SQ2026-000003"):
        cont = wb[f"{number}（审核意见附页）"]
        assert f"工作表“{number}”" in cont["A3"].value and f"申请编号：{number}" in cont["A4"].value


# Mixed Chinese and Latin text: ideographs, fullwidth punctuation, ASCII letters, digits, spaces, line breaks.
# (Not "\r": openpyxl, like every XML writer without escaping, turns it into "\n" in any cell.)
ALPHABET = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from(list("，。、；：？！（）《》“”—…")),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from([" ", "\n"]))


@st.composite
def texts(draw: st.DrawFn) -> str:
    """Lengths spread evenly over 0–2000 (st.text alone draws mostly short strings), so that every case — the
    body size, a smaller size, the continuation — is drawn often."""
    n = draw(st.integers(min_value=0, max_value=2000))
    return draw(st.text(alphabet=ALPHABET, min_size=n, max_size=n))


TEXT = texts()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(econ=TEXT, finance=TEXT)
def test_the_full_opinion_is_always_recoverable(econ: str, finance: str) -> None:
    form = replace(P2_FORM, econ_opinion=econ, finance_opinion=finance, claim_number="SQ/2026:1")
    wb = reload([form], by_claim=True)
    ws = wb.worksheets[0]
    cont = continued(wb.worksheets[1]) if len(wb.worksheets) > 1 else {}
    assert len(wb.worksheets) == (2 if cont else 1)
    for ref, label, full in (("C17", "区级经商部门审核意见", econ), ("E17", "区级财政部门审核意见", finance)):
        box = ws[ref].value or ""
        if box == full:  # the box holds it entirely
            assert label not in cont
            assert R.OPINION_BOX.fits(full, ws[ref].font.sz) or not full
        else:  # the continuation holds it entirely; the box says so
            assert cont[label] == full
            assert box.endswith(R.CONTINUED) and full.startswith(box.removesuffix(R.CONTINUED))
            assert R.OPINION_BOX.fits(box, ws[ref].font.sz)
        assert R.FONT_FLOOR <= ws[ref].font.sz <= R.BODY


# ---------------------------------------------------------------- printed by LibreOffice

HAVE_TOOLS = all(shutil.which(t) for t in ("soffice", "pdfinfo", "pdftoppm", "pdftotext"))
FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <alias binding="same"><family>仿宋</family><accept><family>Noto Serif CJK SC</family></accept></alias>
  <alias binding="same"><family>宋体</family><accept><family>Noto Serif CJK SC</family></accept></alias>
</fontconfig>
"""


@pytest.mark.skipif(not HAVE_TOOLS, reason="LibreOffice (soffice) or poppler-utils is not installed")
def test_libreoffice_the_form_on_one_page_and_its_continuation(tmp_path: Path) -> None:
    """docs/render_annex3.sh (the one-page check: every sheet on exactly one A4 portrait page) on a form with
    one long opinion and its one-page continuation."""
    script = Path(__file__).resolve().parents[2] / "docs" / "render_annex3.sh"
    form = replace(P2_FORM, econ_opinion=opinion(600), claim_number="SQ2026-000009")
    save(R.workbook([form], by_claim=True), tmp_path / "one.xlsx")
    run = subprocess.run(["bash", str(script), str(tmp_path / "one.xlsx"), str(tmp_path / "one.png")],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr


@pytest.mark.skipif(not HAVE_TOOLS, reason="LibreOffice (soffice) or poppler-utils is not installed")
def test_libreoffice_prints_every_character_of_two_long_opinions(tmp_path: Path) -> None:
    """Two 600-character opinions: LibreOffice prints the form on page 1 alone (ending with the box's
    （续见附页）) and the continuation on the pages after it, on A4, with the full text of both opinions."""
    econ, finance = opinion(600), "审核意见：" + opinion(595)
    form = replace(P2_FORM, econ_opinion=econ, finance_opinion=finance, claim_number="SQ2026-000009")
    save(R.workbook([form], by_claim=True), tmp_path / "two.xlsx")
    (tmp_path / "fonts.conf").write_text(FONTS, encoding="utf-8")
    env = {**os.environ, "FONTCONFIG_FILE": str(tmp_path / "fonts.conf")}
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "two.xlsx")],
                   capture_output=True, env=env, timeout=180, check=True)
    pdf = tmp_path / "two.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Page size: +595(\.\d+)? x 841(\.\d+)? pts", info, re.M), info
    pages = int(re.search(r"^Pages: +(\d+)", info, re.M).group(1))  # type: ignore[union-attr]

    def text(first: int, last: int) -> str:
        out = subprocess.run(["pdftotext", "-f", str(first), "-l", str(last), str(pdf), "-"], capture_output=True,
                             text=True, check=True).stdout
        return re.sub(r"\s+", "", out)

    page1 = text(1, 1)
    assert R.TITLE in page1 and "区级财政部门审核意见" in page1 and page1.count("（续见附页）") == 2
    assert "审核意见（附页）" not in page1  # the form alone on its page
    rest = text(2, pages)
    assert rest.startswith("附件3附页审核意见（附页）")
    rest = re.sub(r"第\d+页，共\d+页|区级经商部门审核意见|区级财政部门审核意见", "", rest)  # footer, column A
    rest = re.sub(r"附件3附页审核意见（附页）.*?申请单位：嘉善某智能装备有限公司", "", rest)  # the head, on every page
    for full in (econ, finance):
        assert re.sub(r"\s+", "", full) in rest
