"""Pages for auditors (审计, read-only): the cap reconciliation dashboard (累计上限对账) with its chart and
workbook downloads, the journal explorer (总账凭证), the chain verification (账链校验), the exceptions
between the journal and the records (例外), and the action log (操作日志). Nothing here changes anything:
there are no forms that post, only GET filters and downloads.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from app import actions as do
from app import downloads
from app import schemas as In
from app.actions import Context
from app.deps import PageContext, Paging
from app.pages.common import render
from app.permissions import MATRIX, allowed, authorize
from app.results import Paged
from ledger import accounts as A
from ledger.errors import NotFound
from ledger.models import Claim, JournalEntry, Payer, Platform, Posting
from reports.common import program_title
from reports.reconciliation import Caps, find_exceptions

router = APIRouter(include_in_schema=False)

ACCOUNT_NAMES = {code: name for code, name, _view, _side in A.CHART}
KIND_TITLES = {
    "appropriation": "预算指标", "file": "申报", "review-economic": "区级经信审核", "review-finance": "区级财政审核",
    "reject-economic": "区级经信审核不通过", "reject-finance": "区级财政审核不通过", "audit": "审计认定",
    "approve": "党组会审定", "notice": "公示", "objection": "异议", "dismiss-objection": "异议不成立",
    "reverse-approval": "撤销审定", "issue": "下达资金", "payment": "拨付", "reverse-payment": "冲销拨付",
    "recovery": "追回", "recovery-receipt": "追回款入库", "history-import": "历史凭证导入",
}
OUTCOME_TITLES = {"done": "已办理", "replayed": "重复提交（未重复办理）", "refused": "被拒绝", "forbidden": "无权限"}


def _as_of(value: str | None, field: str = "as_of") -> date:
    return In.parse_day(value, field) if value else date.today()


def _xlsx(d: downloads.Download) -> Response:
    return Response(d.content, media_type=d.media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(d.filename)}"})


# ---------------------------------------------------------------- reads for the pages

def reconciliation_overview(ctx: Context, as_of: date) -> dict[str, Any]:
    """Per platform and program on ``as_of``: the level held and its cap (as the reconciliation workbook
    computes them), and from the journal the cumulative approved (committed + obligated + expended),
    issued and paid, with the headroom left. Amounts in integer fen (the template writes them)."""
    authorize(ctx.who, "report.reconciliation")
    with ctx.read(snapshot=True) as session:  # one state: the journal sums and the claims agree
        names = do.jurisdiction_names(session)
        platforms = session.execute(select(Platform).order_by(Platform.code)).scalars().all()
        sums: dict[tuple[Any, Any], dict[str, int]] = {}
        q = (select(Posting.platform_id, Posting.program, Posting.account_code, func.sum(Posting.amount_fen))
             .join(JournalEntry, JournalEntry.id == Posting.entry_id)
             .where(Posting.account_code.in_(A.COMMITTED_ACCOUNTS), JournalEntry.entry_date <= as_of,
                    Posting.platform_id.is_not(None), Posting.program.is_not(None))
             .group_by(Posting.platform_id, Posting.program, Posting.account_code))
        for pid, program, account, amount in session.execute(q):
            sums.setdefault((pid, program), {})[account] = int(amount or 0)
        pairs = set(sums) | {(pid, prog) for pid, prog in session.execute(
            select(Claim.platform_id, Claim.program).where(Claim.application_date <= as_of).distinct())}
        caps = Caps(session, as_of)
        rows: list[dict[str, Any]] = []
        idle: list[dict[str, Any]] = []
        totals = {"cap": 0, "committed": 0, "issued": 0, "paid": 0, "headroom": 0}
        for p in platforms:
            programs = sorted(prog for pid, prog in pairs if pid == p.id)
            if not programs:
                idle.append({"code": p.code, "name": p.name, "jurisdiction": p.jurisdiction_code})
            for program in programs:
                s = sums.get((p.id, program), {})
                committed = -(s.get(A.COMMITTED, 0) + s.get(A.OBLIGATED, 0) + s.get(A.EXPENDED, 0))
                issued = -(s.get(A.OBLIGATED, 0) + s.get(A.EXPENDED, 0))
                paid = -s.get(A.EXPENDED, 0)
                level, cap, clause = caps.of(p.id, program)
                headroom = None if cap is None else cap - committed
                for k, v in (("committed", committed), ("issued", issued), ("paid", paid)):
                    totals[k] += v
                if cap is not None:
                    totals["cap"] += cap
                    totals["headroom"] += headroom or 0
                rows.append({
                    "platform": p.code, "name": p.name, "jurisdiction": p.jurisdiction_code,
                    "jurisdiction_name": names.get(p.jurisdiction_code, ""), "program": program,
                    "program_title": program_title("", program), "level": level, "clause": clause,
                    "cap": cap, "committed": committed, "issued": issued, "paid": paid, "headroom": headroom,
                    "over": headroom is not None and headroom < 0,
                })
        return {"as_of": as_of.isoformat(), "rows": rows, "idle": idle, "platforms": len(platforms),
                "totals": totals}


def chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Geometry of the horizontal bar chart (inline SVG): per row, the bar is the cap; the filled part is
    the cumulative approved amount and, inside it, what was paid — all as a share of that row's cap,
    computed in integers. A row without a cap shows no bar, only its amount."""
    label_w, bar_x, bar_w, row_h, top = 330, 340, 420, 30, 34
    bars = []
    for i, r in enumerate(rows):
        cap, committed, paid = r["cap"], r["committed"], r["paid"]
        y = top + i * row_h
        if cap:
            committed_w = min(bar_w, max(0, committed) * bar_w // cap)
            paid_w = min(committed_w, max(0, paid) * bar_w // cap)
            pct = max(0, committed) * 100 // cap
        else:
            committed_w = paid_w = pct = 0
        bars.append({"y": y, "label": f"{r['name']} · {r['program_title']}", "committed_w": committed_w,
                     "paid_w": paid_w, "pct": pct, "has_cap": bool(cap), "over": r["over"],
                     "committed": r["committed"], "cap": r["cap"], "platform": r["platform"]})
    return {"bars": bars, "height": top + len(rows) * row_h + 10, "label_w": label_w, "bar_x": bar_x,
            "bar_w": bar_w, "row_h": row_h, "ticks": [{"x": bar_x + bar_w * k // 4, "pct": 25 * k} for k in range(5)]}


def exceptions(ctx: Context, as_of: date | None = None) -> list[dict[str, Any]]:
    """The disagreements between the journal and the claim records (``reports.reconciliation``)."""
    authorize(ctx.who, "report.reconciliation")
    with ctx.read(snapshot=True) as session:  # records and journal compared at one state
        payers = {code: name for code, name in session.execute(select(Payer.code, Payer.name))}
        return [{"check": e.check, "claim": e.claim, "payer": e.payer, "payer_name": payers.get(e.payer, ""),
                 "platform": e.platform,
                 "records": e.records_fen, "journal": e.journal_fen, "difference": e.difference_fen,
                 "note": e.note}
                for e in find_exceptions(session, as_of=as_of)]


# ---------------------------------------------------------------- pages

@router.get("/audit/reconciliation", response_class=HTMLResponse)
def reconciliation_page(request: Request, ctx: PageContext,
                        as_of: Annotated[str | None, Query(max_length=10)] = None) -> HTMLResponse:
    on = _as_of(as_of)
    overview = reconciliation_overview(ctx, on)
    found = exceptions(ctx, on if as_of else None)  # undated, the budget checks run too
    return render(request, "audit_reconciliation.html", overview=overview, chart=chart(overview["rows"]),
                  exception_count=len(found), exceptions_as_of=as_of or "", can_verify=allowed(ctx.who, "ledger.verify"),
                  can_trial=allowed(ctx.who, "report.trial_balance"), year_start=date(on.year, 1, 1).isoformat())


@router.get("/audit/reconciliation.xlsx")
def reconciliation_download(ctx: PageContext, as_of: Annotated[str | None, Query(max_length=10)] = None) -> Response:
    return _xlsx(downloads.reconciliation_workbook(ctx, as_of=_as_of(as_of) if as_of else None))


@router.get("/audit/trial-balance.xlsx")
def trial_balance_download(ctx: PageContext, start: Annotated[str | None, Query(max_length=10)] = None,
                           end: Annotated[str | None, Query(max_length=10)] = None) -> Response:
    until = _as_of(end, "end")
    since = _as_of(start, "start") if start else date(until.year, 1, 1)
    return _xlsx(downloads.trial_balance_workbook(ctx, since, until))


@router.get("/audit/exceptions", response_class=HTMLResponse)
def exceptions_page(request: Request, ctx: PageContext,
                    as_of: Annotated[str | None, Query(max_length=10)] = None) -> HTMLResponse:
    on = _as_of(as_of) if as_of else None
    return render(request, "audit_exceptions.html", items=exceptions(ctx, on),
                  as_of=on.isoformat() if on else "")


@router.get("/audit/journal", response_class=HTMLResponse)
def journal_page(request: Request, ctx: PageContext, paging: Paging,
                 claim: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    claim = (claim or "").strip() or None
    error = ""
    try:
        found = do.journal(ctx, paging, claim=claim)
    except NotFound:
        found = Paged(items=(), page=paging.number, page_size=paging.size, total=0)
        error = f"未找到申请 {claim}"
    trial = do.ledger_trial_balance(ctx)
    return render(request, "audit_journal.html", found=found, claim=claim or "", error=error,
                  accounts=ACCOUNT_NAMES, kinds=KIND_TITLES, trial=trial,
                  pages=found.pages)


@router.get("/audit/verify", response_class=HTMLResponse)
def verify_page(request: Request, ctx: PageContext) -> HTMLResponse:
    return render(request, "audit_verify.html", report=do.verify_chain(ctx))


@router.get("/audit/actions", response_class=HTMLResponse)
def actions_page(request: Request, ctx: PageContext, paging: Paging,
                 username: Annotated[str | None, Query(max_length=64)] = None) -> HTMLResponse:
    username = (username or "").strip() or None
    found = do.action_log(ctx, paging, username=username)
    titles = {k: rule.title for k, rule in MATRIX.items()}
    return render(request, "audit_actions.html", found=found, username=username or "", titles=titles,
                  outcomes=OUTCOME_TITLES, pages=found.pages)
