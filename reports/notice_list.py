"""公示名单: the public-notice list of one notice batch (细则 第四章（一）(2)：公示5个工作日).

One row per claim of the batch: platform, operator (依托单位), jurisdiction, level, program, the
approved amount and each payer's share (from the approval, exact to the fen), and the notice period:
publication date → end date and the number of working days (the end date marked 暂定 when it lies in a
year whose holiday schedule is not loaded). A total row sums every amount column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import Approval, Claim, Notice, NoticeClaim, Platform
from reports.anchor import ChainHead, chain_head, put_chain_head
from reports.common import (
    YUAN,
    Table,
    Unit,
    jurisdiction_names,
    level_of,
    level_words,
    payer_names,
    payer_sort_key,
    program_title,
)
from reports.xlsx import ReportError, a4, cn_date, save


@dataclass(frozen=True)
class NoticeRow:
    """One claim of the notice (amounts in fen)."""

    claim_number: str
    platform: str
    operator: str
    jurisdiction: str
    level: str
    program: str
    approved_fen: int
    shares: dict[str, int]
    state: str


@dataclass(frozen=True)
class NoticeList:
    notice_id: int
    title: str
    publication_date: date
    end_date: date
    working_days: int
    provisional: bool
    payers: tuple[str, ...]  # payer codes, the share columns in order
    payer_names: dict[str, str]
    rows: tuple[NoticeRow, ...]
    head: ChainHead | None = None  # the journal's head when the list was produced

    @property
    def period(self) -> str:
        mark = "（暂定）" if self.provisional else ""
        return (f"{cn_date(self.publication_date)}—{cn_date(self.end_date)}{mark}"
                f"（{self.working_days}个工作日）")

    def total(self) -> int:
        return sum(r.approved_fen for r in self.rows)

    def share_total(self, payer: str) -> int:
        return sum(r.shares.get(payer, 0) for r in self.rows)


def load(session: Session, notice_id: int) -> NoticeList:
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise ReportError(f"公示第 {notice_id} 号不存在；请核对公示编号")
    claims = session.execute(
        select(Claim).join(NoticeClaim, NoticeClaim.claim_id == Claim.id)
        .where(NoticeClaim.notice_id == notice_id).order_by(Claim.number)
    ).scalars().all()
    juris = jurisdiction_names(session)
    rows = []
    for c in claims:
        platform = session.get(Platform, c.platform_id)
        assert platform is not None
        approval = session.execute(select(Approval).where(Approval.claim_id == c.id)
                                   .order_by(Approval.id.desc())).scalars().first()
        shares = {k: int(v) for k, v in (approval.shares if approval else {}).items() if int(v)}
        rows.append(NoticeRow(
            claim_number=c.number, platform=platform.name, operator=platform.operator,
            jurisdiction=juris.get(platform.jurisdiction_code, platform.jurisdiction_code),
            level=level_words(level_of(session, platform.id, c.level, c.application_date)),
            program=program_title(c.rule_set, c.program),
            approved_fen=int(c.approved_fen or 0), shares=shares, state=c.state))
    order = payer_sort_key(session)
    payers = tuple(sorted({p for r in rows for p in r.shares}, key=order))
    return NoticeList(notice.id, notice.title, notice.publication_date, notice.end_date, notice.working_days,
                      notice.provisional, payers, payer_names(session), tuple(rows), chain_head(session))


def workbook(data: NoticeList, unit: Unit = YUAN) -> Workbook:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "公示名单"
    share_cols = [(f"其中：{data.payer_names.get(p, p)}", 16.0, "amount") for p in data.payers]
    table = Table(
        title=data.title or "中试平台补助资金公示名单",
        subtitle=[f"公示期：{data.period}", f"公示编号：{data.notice_id}"],
        columns=[("序号", 6, "int"), ("申请编号", 15, "text"), ("平台名称", 28, "text"), ("依托单位", 28, "text"),
                 ("属地", 10, "text"), ("获批级别", 9, "text"), ("补助项目", 24, "text"),
                 ("补助金额", 16, "amount"), *share_cols, ("公示期", 34, "text")],
        unit=unit,
    )
    row = table.start(ws)
    for k, r in enumerate(data.rows, 1):
        table.put_row(ws, row, [k, r.claim_number, r.platform, r.operator, r.jurisdiction, r.level, r.program,
                                unit.amount(r.approved_fen), *[unit.amount(r.shares.get(p, 0)) for p in data.payers],
                                data.period])
        row += 1
    table.put_row(ws, row, ["合计", None, f"{len(data.rows)}个平台", None, None, None, None,
                            unit.amount(data.total()), *[unit.amount(data.share_total(p)) for p in data.payers],
                            None], bold=True)
    if data.head is not None:
        row = put_chain_head(ws, row + 2, data.head, table.width)
    a4(ws, landscape=True)
    ws.print_area = f"A1:{ws.cell(row=row, column=table.width).coordinate}"
    return wb


def write(session: Session, notice_id: int, out: str | Path, *, unit: Unit = YUAN) -> Path:
    return save(workbook(load(session, notice_id), unit), out)
