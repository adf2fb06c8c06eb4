"""The ready-to-publish 公示 text of a notice batch (公示文本), as the bureau publishes it: title, the
period, the list of platforms with their district, program and approved amount, and how to object.

Two forms: :func:`as_text`, plain text lines, and :func:`as_docx`, a Word document (python-docx) laid
out as the bureau's notices are: the title centred, the body in 仿宋 三号, the list as a ruled table
with its total, the objection channel, then the issuer and the date on the right. Amounts through
:mod:`calculators.formats`. Every user-typed string (title, platform names) is kept as text: the HTML
page escapes it, the text file carries no markup and no formula, the document holds it as the words of
a run (python-docx escapes the XML; control characters, line breaks included, become spaces).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from calculators.formats import date_cn, yuan_grouped
from ledger.models import Claim, Jurisdiction, Notice, NoticeClaim, Platform
from reports.xlsx import csv_field

ISSUER = "嘉兴市经济和信息化局"
OBJECTION = ("公示期间，任何单位和个人对公示对象有异议的，请以书面形式向{issuer}反映，写明异议的事实和理由，"
             "并署真实姓名（单位加盖公章）和联系方式。匿名或无事实依据的异议不予受理。")


@dataclass(frozen=True)
class NoticeLine:
    claim: str
    platform: str
    jurisdiction: str
    program: str
    amount: int  # fen


@dataclass(frozen=True)
class NoticeText:
    id: int
    title: str
    publication: date
    end: date
    working_days: int
    provisional: bool
    lines: tuple[NoticeLine, ...]

    @property
    def total(self) -> int:
        return sum(x.amount for x in self.lines)


def notice_text(session: Session, notice_id: int, program_titles: dict[str, str],
                jurisdiction: str | None = None) -> NoticeText | None:
    n = session.get(Notice, notice_id)
    if n is None:
        return None
    q = (select(Claim.number, Platform.name, Jurisdiction.name, Claim.program, Claim.approved_fen)
         .join(NoticeClaim, NoticeClaim.claim_id == Claim.id).join(Platform, Platform.id == Claim.platform_id)
         .join(Jurisdiction, Jurisdiction.code == Platform.jurisdiction_code)
         .where(NoticeClaim.notice_id == notice_id).order_by(Claim.number))
    if jurisdiction is not None:
        q = q.where(Platform.jurisdiction_code == jurisdiction)
    lines = tuple(NoticeLine(c, p, j, program_titles.get(prog, prog), a or 0)
                  for c, p, j, prog, a in session.execute(q).all())
    return NoticeText(n.id, n.title, n.publication_date, n.end_date, n.working_days, n.provisional, lines)


def _field(value: str) -> str:
    """A typed string as one tab-separated field: control characters become spaces (no forged lines or
    columns) and a leading ``=``/``+``/``-``/``@`` gets a ``'`` (a spreadsheet opening the file reads no formula)."""
    return csv_field(re.sub(r"[\x00-\x1f\x7f]", " ", value))


HEADINGS = ("序号", "平台名称", "所属区县", "补助项目", "拟补助金额（元）")


def _intro(t: NoticeText) -> str:
    period = f"{date_cn(t.publication)}至{date_cn(t.end)}" + ("（截止日暂定）" if t.provisional else "")
    return (f"根据《嘉兴市中试平台建设管理细则》和相关资金管理规定，现将拟补助的中试平台名单及金额予以公示。"
            f"公示期为{t.working_days}个工作日：{period}。")


def as_text(t: NoticeText) -> str:
    """The notice as the bureau publishes it (UTF-8 text, CRLF so Windows editors show the lines)."""
    out = [_field(t.title), "", _intro(t), "", "\t".join(HEADINGS)]
    for k, x in enumerate(t.lines, 1):
        out.append(f"{k}\t{_field(x.platform)}\t{_field(x.jurisdiction)}\t{x.program}\t{yuan_grouped(x.amount)}")
    out += [f"合计\t\t\t\t{yuan_grouped(t.total)}", "", OBJECTION.format(issuer=ISSUER), "",
            ISSUER, date_cn(t.publication)]
    return "\r\n".join(out) + "\r\n"


# ---------------------------------------------------------------- the Word document

BODY_FONT, TITLE_FONT = "仿宋", "黑体"
BODY_PT, TITLE_PT, TABLE_PT = 16, 22, 12  # 三号, 二号, 小四: the sizes of the bureau's notices


def _words(value: str) -> str:
    """A typed string as the words of one line: control characters (most of which XML 1.0 cannot hold;
    tabs and line breaks, which would break a name across lines or columns) become spaces."""
    return re.sub(r"[\x00-\x1f\x7f\ufffe\uffff]", " ", value)


def _run(paragraph: Any, text: str, *, size: int = BODY_PT, font: str = BODY_FONT, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run = paragraph.add_run(_words(text))
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)  # Chinese text's font


def _paragraph(doc: Any, text: str, *, align: str = "justify", indent: bool = False, **run: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    p.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                   "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]
    if indent:
        p.paragraph_format.first_line_indent = Pt(2 * run.get("size", BODY_PT))  # 首行缩进两字
    _run(p, text, **run)


def _cell(table: Any, r: int, c: int, text: str, align: str, *, bold: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph = table.cell(r, c).paragraphs[0]
    paragraph.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                           "left": WD_ALIGN_PARAGRAPH.LEFT}[align]
    _run(paragraph, text, size=TABLE_PT, bold=bold)


def _table(doc: Any, t: NoticeText) -> None:
    """序号, 平台名称, 所属区县, 补助项目, 拟补助金额（元）: one row per platform, then 合计 across the first four."""
    table = doc.add_table(rows=len(t.lines) + 2, cols=len(HEADINGS))
    table.style = "Table Grid"
    for c, heading in enumerate(HEADINGS):
        _cell(table, 0, c, heading, "center", bold=True)
    for r, x in enumerate(t.lines, 1):
        for c, (value, align) in enumerate(((str(r), "center"), (x.platform, "left"), (x.jurisdiction, "left"),
                                            (x.program, "left"), (yuan_grouped(x.amount), "right"))):
            _cell(table, r, c, value, align)
    last = len(t.lines) + 1
    table.cell(last, 0).merge(table.cell(last, 3))
    _cell(table, last, 0, "合计", "center", bold=True)
    _cell(table, last, 4, yuan_grouped(t.total), "right", bold=True)


def as_docx(t: NoticeText) -> bytes:
    """The notice as a Word document (.docx), as the bureau publishes it: title, period, the list as a
    table with its total, the objection channel, the issuer and the date."""
    from docx import Document

    doc = Document()
    doc.core_properties.title = _words(t.title)
    doc.core_properties.author = ISSUER
    _paragraph(doc, t.title, align="center", size=TITLE_PT, font=TITLE_FONT)
    _paragraph(doc, _intro(t), indent=True)
    _table(doc, t)
    _paragraph(doc, OBJECTION.format(issuer=ISSUER), indent=True)
    _paragraph(doc, ISSUER, align="right")
    _paragraph(doc, date_cn(t.publication), align="right")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
