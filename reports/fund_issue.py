"""资金下达表: what one payer (市财政局, a district's or county's 财政局) has been issued to pay, claim by
claim, with what it has paid and what remains, summed from the journal so the totals are the ledger's.

Per claim (for the payer): the fund-issue document and date (下达文号、日期), the fiscal year, the
approved share (审定份额, from the approval), the amount issued (下达金额 = the claim's postings to
已下达 8103 and 已支出 8104 for this payer, credit side), paid (已拨付 = 8104) and outstanding (未拨付 =
8103). Below the total row, a check block sets each total beside :func:`ledger.queries.balance` over
the same accounts and dimensions, and says whether they agree (they do unless the journal changed
between the two reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from calculators.formats import daxie
from ledger import accounts as A
from ledger.models import Approval, Claim, FundIssue, JournalEntry, Payer, Platform, Posting
from ledger.queries import balance
from reports.anchor import ChainHead, chain_head, put_chain_head
from reports.common import YUAN, Table, Unit, jurisdiction_names, program_title
from reports.xlsx import ReportError, a4, cn_date, font, put, save

P = Posting.__table__
E = JournalEntry.__table__


@dataclass(frozen=True)
class IssueRow:
    claim_number: str
    platform: str
    operator: str
    jurisdiction: str
    program: str
    document_number: str
    issue_date: date | None
    fiscal_year: int | None
    share_fen: int
    issued_fen: int
    paid_fen: int

    @property
    def outstanding_fen(self) -> int:
        return self.issued_fen - self.paid_fen


@dataclass(frozen=True)
class FundIssueTable:
    payer: str
    payer_name: str
    fiscal_year: int | None
    as_of: date | None
    rows: tuple[IssueRow, ...]
    ledger_issued_fen: int
    ledger_paid_fen: int
    ledger_outstanding_fen: int
    head: ChainHead | None = None  # the journal's head when the table was produced

    def total(self, attr: str) -> int:
        return sum(int(getattr(r, attr)) for r in self.rows)


def load(session: Session, payer: str, *, fiscal_year: int | None = None, as_of: date | None = None) -> FundIssueTable:
    row = session.get(Payer, payer)
    if row is None:
        raise ReportError(f"出资方代码 {payer!r} 不存在；请从出资方列表中选择")
    issued = -func.sum(case((P.c.account_code.in_([A.OBLIGATED, A.EXPENDED]), P.c.amount_fen), else_=0))
    paid = -func.sum(case((P.c.account_code == A.EXPENDED, P.c.amount_fen), else_=0))
    q = (select(P.c.claim_id, P.c.fiscal_year, issued, paid)
         .where(P.c.payer_code == payer, P.c.account_code.in_([A.OBLIGATED, A.EXPENDED]),
                P.c.claim_id.is_not(None))
         .group_by(P.c.claim_id, P.c.fiscal_year))
    if fiscal_year is not None:
        q = q.where(P.c.fiscal_year == fiscal_year)
    if as_of is not None:
        q = q.select_from(P.join(E, E.c.id == P.c.entry_id)).where(E.c.entry_date <= as_of)
    juris = jurisdiction_names(session)
    rows = []
    for claim_id, fy, issued_fen, paid_fen in session.execute(q):
        claim = session.get(Claim, claim_id)
        assert claim is not None
        platform = session.get(Platform, claim.platform_id)
        assert platform is not None
        fi = session.execute(select(FundIssue).where(FundIssue.claim_id == claim_id)).scalar_one_or_none()
        approval = session.execute(select(Approval).where(Approval.claim_id == claim_id)
                                   .order_by(Approval.id.desc())).scalars().first()
        rows.append(IssueRow(
            claim_number=claim.number, platform=platform.name, operator=platform.operator,
            jurisdiction=juris.get(platform.jurisdiction_code, platform.jurisdiction_code),
            program=program_title(claim.rule_set, claim.program),
            document_number=fi.document_number if fi else "", issue_date=fi.date if fi else None,
            fiscal_year=fy, share_fen=int((approval.shares or {}).get(payer, 0)) if approval else 0,
            issued_fen=int(issued_fen or 0), paid_fen=int(paid_fen or 0)))
    rows.sort(key=lambda r: (r.issue_date or date.max, r.claim_number))
    dims = {"payer": payer, "fiscal_year": fiscal_year, "as_of": as_of}
    return FundIssueTable(
        payer, row.name, fiscal_year, as_of, tuple(rows),
        ledger_issued_fen=-balance(session, [A.OBLIGATED, A.EXPENDED], **dims),  # type: ignore[arg-type]
        ledger_paid_fen=-balance(session, [A.EXPENDED], **dims),  # type: ignore[arg-type]
        ledger_outstanding_fen=-balance(session, [A.OBLIGATED], **dims),  # type: ignore[arg-type]
        head=chain_head(session),
    )


def workbook(data: FundIssueTable, unit: Unit = YUAN) -> Workbook:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "资金下达"
    scope = []
    if data.fiscal_year is not None:
        scope.append(f"预算年度：{data.fiscal_year}")
    scope.append(f"截至：{cn_date(data.as_of) if data.as_of else '全部凭证'}")
    table = Table(
        title=f"{data.payer_name}中试平台补助资金下达表",
        subtitle=[f"财政：{data.payer_name}（{data.payer}）  " + "  ".join(scope)],
        columns=[("序号", 6, "int"), ("申请编号", 15, "text"), ("平台名称", 26, "text"), ("依托单位", 26, "text"),
                 ("属地", 10, "text"), ("补助项目", 22, "text"), ("下达文号", 20, "text"), ("下达日期", 12, "date"),
                 ("预算年度", 9, "int"), ("审定份额", 15, "amount"), ("下达金额", 15, "amount"),
                 ("已拨付", 15, "amount"), ("未拨付", 15, "amount"), ("下达金额（大写）", 30, "text")],
        unit=unit,
    )
    row = table.start(ws)
    for k, r in enumerate(data.rows, 1):
        table.put_row(ws, row, [k, r.claim_number, r.platform, r.operator, r.jurisdiction, r.program,
                                r.document_number, r.issue_date, r.fiscal_year, unit.amount(r.share_fen),
                                unit.amount(r.issued_fen), unit.amount(r.paid_fen), unit.amount(r.outstanding_fen),
                                daxie(r.issued_fen)])
        row += 1
    table.put_row(ws, row, ["合计", None, f"{len(data.rows)}项", None, None, None, None, None, None,
                            unit.amount(data.total("share_fen")), unit.amount(data.total("issued_fen")),
                            unit.amount(data.total("paid_fen")), unit.amount(data.total("outstanding_fen")),
                            daxie(data.total("issued_fen"))],
                  bold=True)
    last_table_row = row
    row += 2
    checks = [("下达金额", data.total("issued_fen"), data.ledger_issued_fen, "8103+8104"),
              ("已拨付", data.total("paid_fen"), data.ledger_paid_fen, "8104"),
              ("未拨付", data.total("outstanding_fen"), data.ledger_outstanding_fen, "8103")]
    put(ws.cell(row=row, column=2), "台账核对").font = font(11, bold=True)
    for col, heading in ((3, "科目"), (11, "本表合计"), (12, "台账余额"), (13, "结果")):
        put(ws.cell(row=row, column=col), heading).font = font(11, bold=True)
    row += 1
    for label, mine, ledger, accounts in checks:
        put(ws.cell(row=row, column=2), label).font = font(11)
        put(ws.cell(row=row, column=3), accounts).font = font(11)
        for col, fen in ((11, mine), (12, ledger)):
            cell = put(ws.cell(row=row, column=col), unit.amount(fen))
            cell.number_format = unit.fmt(cell.value) or "General"
            cell.font = font(11)
        put(ws.cell(row=row, column=13), "一致" if mine == ledger else "不一致").font = font(11, bold=mine != ledger)
        row += 1
    if data.head is not None:
        row = put_chain_head(ws, row + 1, data.head, table.width)
    a4(ws, landscape=True)
    ws.print_area = f"A1:N{max(last_table_row, row)}"
    return wb


def write(session: Session, payer: str, out: str | Path, *, fiscal_year: int | None = None,
          as_of: date | None = None, unit: Unit = YUAN) -> Path:
    return save(workbook(load(session, payer, fiscal_year=fiscal_year, as_of=as_of), unit), out)
