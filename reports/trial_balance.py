"""试算平衡表 for a date range, and a summary per jurisdiction (属地) and payer (财政).

``试算平衡表``: every account of the chart with its opening balance (the day before ``start``), the
period's debits and credits, and the closing balance (``end``); totals per view (预算会计 / 财务会计 /
备查) and overall, with the checks that debits equal credits and that each view balances to zero.

``属地财政汇总``: per jurisdiction of the platform and payer, the period's movements — appropriations
(8001 debits), net approvals (−Δ 8102+8103+8104), net issues (−Δ 8103+8104), payments (−Δ 8104),
recoveries (1201 debits) and recoveries received (1201 credits) — and the closing amounts issued but
unpaid (−8103) and payable (−2001). Appropriations carry no platform: they appear under 预算指标（不分属地）.
All amounts in 元, exact to the fen.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ledger import accounts as A
from ledger.models import JournalEntry, Platform, Posting
from ledger.queries import TrialBalanceRow, trial_balance
from reports.common import YUAN, Table, jurisdiction_names, payer_names, payer_sort_key
from reports.xlsx import ReportError, a4, cn_date, put, save

P = Posting.__table__
E = JournalEntry.__table__
PL = Platform.__table__
VIEW_WORDS = {"budgetary": "预算会计", "financial": "财务会计", "memorandum": "备查"}
NO_JURISDICTION = "预算指标（不分属地）"


@dataclass(frozen=True)
class AccountLine:
    account: str
    name: str
    view: str
    opening: int
    debit: int
    credit: int

    @property
    def closing(self) -> int:
        return self.opening + self.debit - self.credit


@dataclass(frozen=True)
class SummaryLine:
    jurisdiction: str
    payer: str
    appropriated: int
    approved: int
    issued: int
    paid: int
    recovered: int
    received: int
    issued_unpaid: int
    payable: int

    FIELDS = ("appropriated", "approved", "issued", "paid", "recovered", "received", "issued_unpaid", "payable")


@dataclass(frozen=True)
class TrialBalance:
    start: date
    end: date
    accounts: tuple[AccountLine, ...]
    summary: tuple[SummaryLine, ...]

    def total(self, attr: str, view: str | None = None) -> int:
        return sum(int(getattr(a, attr)) for a in self.accounts if view is None or a.view == view)


def load(session: Session, start: date, end: date) -> TrialBalance:
    if end < start:
        raise ReportError(f"结束日期 {end} 早于开始日期 {start}；请更正日期区间")
    opening = {r.account: r.balance for r in trial_balance(session, as_of=start - timedelta(days=1))}
    period: list[TrialBalanceRow] = trial_balance(session, start=start, as_of=end)
    accounts = tuple(AccountLine(r.account, r.name, r.view, opening.get(r.account, 0), r.debit, r.credit)
                     for r in period)
    debit = func.coalesce(func.sum(case((P.c.amount_fen > 0, P.c.amount_fen), else_=0)), 0)
    credit = func.coalesce(func.sum(case((P.c.amount_fen < 0, -P.c.amount_fen), else_=0)), 0)
    base = P.join(E, E.c.id == P.c.entry_id).outerjoin(PL, PL.c.id == P.c.platform_id)
    moves: dict[tuple[str, str], dict[str, tuple[int, int]]] = defaultdict(dict)
    for jur, payer, account, d, c in session.execute(
        select(PL.c.jurisdiction_code, P.c.payer_code, P.c.account_code, debit, credit).select_from(base)
        .where(E.c.entry_date >= start, E.c.entry_date <= end, P.c.payer_code.is_not(None))
        .group_by(PL.c.jurisdiction_code, P.c.payer_code, P.c.account_code)
    ):
        moves[(jur or "", payer)][account] = (int(d), int(c))
    closing: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for jur, payer, account, total in session.execute(
        select(PL.c.jurisdiction_code, P.c.payer_code, P.c.account_code, func.sum(P.c.amount_fen)).select_from(base)
        .where(E.c.entry_date <= end, P.c.payer_code.is_not(None),
               P.c.account_code.in_([A.OBLIGATED, A.SUBSIDY_PAYABLE]))
        .group_by(PL.c.jurisdiction_code, P.c.payer_code, P.c.account_code)
    ):
        closing[(jur or "", payer)][account] = int(total or 0)
    juris = jurisdiction_names(session)
    order = payer_sort_key(session)
    lines = []
    for key in sorted(set(moves) | set(closing), key=lambda k: (k[0] == "", k[0], order(k[1]))):
        m, cl = moves.get(key, {}), closing.get(key, {})

        def net(*accounts: str, m: dict[str, tuple[int, int]] = m) -> int:
            return sum(m.get(a, (0, 0))[0] - m.get(a, (0, 0))[1] for a in accounts)

        line = SummaryLine(
            jurisdiction=juris.get(key[0], key[0]) if key[0] else NO_JURISDICTION, payer=key[1],
            appropriated=m.get(A.BUDGET_AUTHORITY, (0, 0))[0],
            approved=-net(*A.COMMITTED_ACCOUNTS), issued=-net(A.OBLIGATED, A.EXPENDED), paid=-net(A.EXPENDED),
            recovered=m.get(A.RECOVERY_RECEIVABLE, (0, 0))[0], received=m.get(A.RECOVERY_RECEIVABLE, (0, 0))[1],
            issued_unpaid=-cl.get(A.OBLIGATED, 0), payable=-cl.get(A.SUBSIDY_PAYABLE, 0))
        if any(getattr(line, f) for f in SummaryLine.FIELDS):
            lines.append(line)
    return TrialBalance(start, end, accounts, tuple(lines))


# size: lays out the trial balance's two sheets top to bottom; cell positions read in order
def workbook(data: TrialBalance, session: Session | None = None) -> Workbook:
    names = payer_names(session) if session is not None else {}
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "试算平衡表"
    period = f"期间：{cn_date(data.start)} 至 {cn_date(data.end)}"
    table = Table(title="试算平衡表", subtitle=[period + "；余额借方为正、贷方为负"], unit=YUAN,
                  columns=[("科目编码", 10, "text"), ("科目名称", 26, "text"), ("类别", 10, "text"),
                           ("期初余额", 18, "amount"), ("本期借方", 18, "amount"), ("本期贷方", 18, "amount"),
                           ("期末余额", 18, "amount")])
    row = table.start(ws)
    y = YUAN.amount
    for view in ("budgetary", "financial", "memorandum"):
        for a in (a for a in data.accounts if a.view == view):
            table.put_row(ws, row, [a.account, a.name, VIEW_WORDS[a.view], y(a.opening), y(a.debit), y(a.credit),
                                    y(a.closing)])
            row += 1
        table.put_row(ws, row, ["", f"{VIEW_WORDS[view]}小计", "", y(data.total("opening", view)),
                                y(data.total("debit", view)), y(data.total("credit", view)),
                                y(data.total("closing", view))], bold=True)
        row += 1
    table.put_row(ws, row, ["", "合计", "", y(data.total("opening")), y(data.total("debit")), y(data.total("credit")),
                            y(data.total("closing"))], bold=True)
    row += 1
    balanced = data.total("debit") == data.total("credit") and all(
        data.total("closing", v) == 0 for v in VIEW_WORDS)
    table.put_row(ws, row, ["", "平衡检查", "", None, None, None,
                            None], bold=True)
    put(ws.cell(row=row, column=4), "借贷相等、各类别余额为零" if balanced else "不平衡")
    a4(ws)
    ws.print_area = f"A1:G{row}"

    ws2 = wb.create_sheet("属地财政汇总")
    t2 = Table(title="中试平台补助资金按属地和财政汇总", subtitle=[period], unit=YUAN,
               columns=[("属地", 22, "text"), ("财政", 24, "text"), ("预算批复", 16, "amount"),
                        ("审定（净额）", 16, "amount"), ("下达（净额）", 16, "amount"), ("拨付", 16, "amount"),
                        ("追回", 14, "amount"), ("追回到账", 14, "amount"), ("期末已下达未拨付", 16, "amount"),
                        ("期末应付补助款", 16, "amount")])
    row = t2.start(ws2)
    current = None
    for line in data.summary:
        if current is not None and line.jurisdiction != current:
            row = _subtotal(t2, ws2, row, current, [x for x in data.summary if x.jurisdiction == current])
        current = line.jurisdiction
        t2.put_row(ws2, row, [line.jurisdiction, names.get(line.payer, line.payer),
                              *[y(getattr(line, f)) for f in SummaryLine.FIELDS]])
        row += 1
    if current is not None:
        row = _subtotal(t2, ws2, row, current, [x for x in data.summary if x.jurisdiction == current])
    t2.put_row(ws2, row, ["合计", "", *[y(sum(getattr(x, f) for x in data.summary)) for f in SummaryLine.FIELDS]],
               bold=True)
    a4(ws2, landscape=True)
    ws2.print_area = f"A1:J{row}"
    return wb


def _subtotal(t: Table, ws: object, row: int, jurisdiction: str, lines: list[SummaryLine]) -> int:
    t.put_row(ws, row, [f"{jurisdiction} 小计", "", *[YUAN.amount(sum(getattr(x, f) for x in lines))  # type: ignore[arg-type]
                                                    for f in SummaryLine.FIELDS]], bold=True)
    return row + 1


def write(session: Session, start: date, end: date, out: str | Path) -> Path:
    return save(workbook(load(session, start, end), session), out)
