"""The 公示 as a Word document (reports/notice_text.py ``as_docx``), read back with python-docx: every
typed string arrives as typed, its control characters (line breaks too) as spaces; the period says when its end
is provisional; the body is in 仿宋 for Chinese text."""

from __future__ import annotations

import io
from datetime import date

from docx import Document
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.notice_text import NoticeLine, NoticeText, as_docx


def _notice(title: str, name: str, *, provisional: bool = False) -> NoticeText:
    return NoticeText(7, title, date(2026, 12, 3), date(2026, 12, 9), 5, provisional,
                      (NoticeLine("SQ2026-000001", name, "南湖区", "市级中试平台奖励", 1_000_000_01),))


def test_control_characters_become_spaces_and_the_period_says_provisional() -> None:
    doc = Document(io.BytesIO(as_docx(_notice("公示\x00\x1b[2J标题", "平台\x07\r\n名称", provisional=True))))
    assert doc.paragraphs[0].text == "公示  [2J标题"
    assert "2026年12月3日至2026年12月9日（截止日暂定）" in doc.paragraphs[1].text
    cells = [c.text for c in doc.tables[0].rows[1].cells]
    assert cells == ["1", "平台   名称", "南湖区", "市级中试平台奖励", "1,000,000.01"]
    run = doc.paragraphs[1].runs[0]
    assert run._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40))
def test_any_platform_name_reads_back_as_typed_without_controls(name: str) -> None:
    doc = Document(io.BytesIO(as_docx(_notice("公示", name))))
    shown = doc.tables[0].rows[1].cells[1].text
    assert shown == "".join(" " if ord(ch) < 0x20 or ch in "\x7f\ufffe\uffff" else ch for ch in name)
