"""The ready-to-publish 公示 text of a notice batch (公示文本), as the bureau publishes it: title, the
period, the list of platforms with their district, program and approved amount, and how to object.

Plain text lines; amounts through :mod:`calculators.formats`. Every user-typed string (title, platform
names) is kept as text: the HTML page escapes it and the text file carries no markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

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


def as_text(t: NoticeText) -> str:
    """The notice as the bureau publishes it (UTF-8 text, CRLF so Windows editors show the lines)."""
    period = f"{date_cn(t.publication)}至{date_cn(t.end)}" + ("（截止日暂定）" if t.provisional else "")
    out = [_field(t.title), "",
           f"根据《嘉兴市中试平台建设管理细则》和相关资金管理规定，现将拟补助的中试平台名单及金额予以公示。"
           f"公示期为{t.working_days}个工作日：{period}。", "",
           "序号\t平台名称\t所属区县\t补助项目\t拟补助金额（元）"]
    for k, x in enumerate(t.lines, 1):
        out.append(f"{k}\t{_field(x.platform)}\t{_field(x.jurisdiction)}\t{x.program}\t{yuan_grouped(x.amount)}")
    out += [f"合计\t\t\t\t{yuan_grouped(t.total)}", "", OBJECTION.format(issuer=ISSUER), "",
            ISSUER, date_cn(t.publication)]
    return "\r\n".join(out) + "\r\n"
