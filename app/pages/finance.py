"""Pages for finance (市财政局 / 区县财政): claims awaiting fund issue (资金下达), the payment queue of
the user's payer (拨付队列) with its totals, the budgets (预算指标) with the appropriation form, and the
fund issue table download. The per-claim forms live on ``/claims/{number}``; these are queues with
totals and batch-style actions. Every read and write goes through :mod:`app.actions`.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from app import actions as do
from app import downloads
from app import schemas as In
from app.actions import Context, Page
from app.deps import PageContext, check_csrf
from app.pages.common import back, render
from app.permissions import FINANCE_ROLES, allowed, authorize
from app.results import BudgetRow, ClaimRow
from calculators.formats import date_cn, yuan_grouped
from calculators.labels import payer_name
from calculators.money import parse_yuan
from calculators.rulesets.bundled import rulebook
from ledger.errors import Invalid, LedgerError
from ledger.models import Payer
from reports.common import program_title

router = APIRouter(include_in_schema=False)

BATCH = 200  # claims read per page while building a queue


def _key() -> str:
    """An idempotency key per rendered form: a double-submitted form is done once."""
    return secrets.token_hex(12)


def _all_claims(ctx: Context, state: str) -> list[ClaimRow]:
    out: list[ClaimRow] = []
    number = 1
    while True:
        found = do.list_claims(ctx, Page(number, BATCH), state=state)
        out.extend(found.items)
        if number * BATCH >= found.total:
            return out
        number += 1


def _payer_names(ctx: Context) -> dict[str, str]:
    from sqlalchemy import select

    with ctx.read() as session:
        return {code: name for code, name in session.execute(select(Payer.code, Payer.name))}


def _programs() -> list[tuple[str, str]]:
    codes = sorted({p for rs in rulebook().rule_sets.values() for p in rs.programs})
    return [(code, program_title("", code)) for code in codes]


def _on(value: str | None, today: date) -> date:
    return In.parse_day(value, "as_of") if value else today


# ---------------------------------------------------------------- reads for the pages

def issue_queue(ctx: Context, as_of: date) -> dict[str, Any]:
    """Claims in notice: those whose notice ended before ``as_of`` (fund issue may proceed; no open
    objection, since an objected claim leaves ``in_notice``) and those still waiting."""
    ready: list[dict[str, Any]] = []
    waiting: list[dict[str, Any]] = []
    for row in _all_claims(ctx, "in_notice"):
        detail = do.claim_detail(ctx, row.number)
        notice = detail.notice
        item = {**asdict(row), "notice": notice, "shares": detail.approval.shares if detail.approval else {},
                "program_title": program_title(row.rule_set, row.program)}
        if notice is not None and notice.end_date < as_of and not notice.provisional:
            ready.append(item)
        else:
            item["why"] = ("公示结束日期为暂定（节假日安排未载入）" if notice is not None and notice.provisional
                           else f"公示至 {date_cn(notice.end_date) if notice else '—'}，次日起可下达")
            waiting.append(item)
    total = sum(c["approved"] or 0 for c in ready)
    by_payer: dict[str, int] = {}
    for c in ready:
        for payer, amount in c["shares"].items():
            by_payer[payer] = by_payer.get(payer, 0) + amount
    return {"ready": ready, "waiting": waiting, "total": total, "by_payer": dict(sorted(by_payer.items()))}


def payment_queue(ctx: Context, payer: str | None) -> dict[str, Any]:
    """Issued claims with a share still outstanding — for ``payer`` only, or for every payer when None —
    with the totals per payer in exact fen; and the payments prepared and awaiting confirmation (待复核).
    A prepared payment is not paid yet, but it is taken out of what is left to prepare."""
    rows: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    totals: dict[str, int] = {}
    counts: dict[str, int] = {}
    for claim in _all_claims(ctx, "issued"):
        detail = do.claim_detail(ctx, claim.number)
        shares = detail.approval.shares if detail.approval else {}
        paid: dict[str, int] = {}
        prepared: dict[str, int] = {}
        for pm in detail.payments:
            if pm.confirmed:
                paid[pm.payer] = paid.get(pm.payer, 0) + pm.amount
            elif pm.pending and (payer is None or pm.payer == payer):
                prepared[pm.payer] = prepared.get(pm.payer, 0) + pm.amount
                pending.append({"id": pm.id, "number": claim.number, "platform_name": claim.platform_name,
                                "payer": pm.payer, "voucher_number": pm.voucher_number, "date": pm.date,
                                "amount": pm.amount, "prepared_by": pm.prepared_by})
        for share_payer, owed in sorted(detail.outstanding.items()):
            fen = owed - prepared.get(share_payer, 0)
            if fen <= 0 or (payer is not None and share_payer != payer):
                continue
            rows.append({**asdict(claim), "payer": share_payer, "share": shares.get(share_payer),
                         "paid": paid.get(share_payer, 0), "outstanding": fen, "fund_issue": detail.fund_issue,
                         "program_title": program_title(claim.rule_set, claim.program)})
            totals[share_payer] = totals.get(share_payer, 0) + fen
            counts[share_payer] = counts.get(share_payer, 0) + 1
    return {"rows": rows, "totals": [{"payer": p, "count": counts[p], "outstanding": v}
                                     for p, v in sorted(totals.items())],
            "total": sum(totals.values()), "pending": pending}


def _budget_totals(budgets: list[BudgetRow]) -> dict[str, int]:
    return {"appropriation": sum(b.appropriation for b in budgets),
            "available": sum(b.available for b in budgets)}


def _own_payer(ctx: Context) -> str | None:
    return ctx.who.payer if ctx.who.role in FINANCE_ROLES else None


# ---------------------------------------------------------------- 资金下达

@router.get("/finance/issue", response_class=HTMLResponse)
def issue_page(request: Request, ctx: PageContext,
               as_of: Annotated[str | None, Query(max_length=10)] = None) -> HTMLResponse:
    today = _on(as_of, date.today())
    queue = issue_queue(ctx, today)
    return render(request, "finance_issue.html", queue=queue, today=today.isoformat(),
                  can_issue=allowed(ctx.who, "funds.issue"), payer_names=_payer_names(ctx), key=_key())


@router.post("/finance/issue/{number}", dependencies=[Depends(check_csrf)])
def issue_one(ctx: PageContext, number: str, document_number: Annotated[str, Form(max_length=100)],
              on: Annotated[In.Day, Form()], key: Annotated[str, Form(max_length=64)] = "") -> Response:
    do.issue_funds(ctx, number, In.FundIssueIn(document_number=document_number, on=on), key=key or None)
    return back("/finance/issue", f"已下达资金：{number}（{document_number}）")


@router.post("/finance/issue", dependencies=[Depends(check_csrf)])
def issue_batch(ctx: PageContext, document_number: Annotated[str, Form(max_length=100)],
                on: Annotated[In.Day, Form()], numbers: Annotated[list[str] | None, Form()] = None,
                key: Annotated[str, Form(max_length=64)] = "") -> Response:
    """One fund issue document for the ticked claims; each claim is issued in its own transaction."""
    chosen = [n for n in (numbers or []) if n]
    if not chosen:
        raise Invalid("资金下达", "请勾选要下达的申请", field="numbers")
    body = In.FundIssueIn(document_number=document_number, on=on)
    done, failed = [], []
    for n in chosen:
        try:
            do.issue_funds(ctx, n, body, key=f"{key}:{n}" if key else None)
            done.append(n)
        except LedgerError as exc:
            failed.append(f"{n}（{exc.to_dict().get('message', '')}）")
    message = f"已下达 {len(done)} 件（{document_number}）" + (f"；未能下达：{'；'.join(failed)}" if failed else "")
    return back("/finance/issue", message)


# ---------------------------------------------------------------- 拨付队列与预算指标

@router.get("/finance/queue", response_class=HTMLResponse)
def queue_page(request: Request, ctx: PageContext,
               all_budgets: Annotated[bool, Query(alias="all")] = False) -> HTMLResponse:
    payer = _own_payer(ctx)
    queue = payment_queue(ctx, payer)
    budgets = do.list_budgets(ctx) if allowed(ctx.who, "budget.read") else []
    if payer is not None and not all_budgets:
        budgets = [b for b in budgets if b.payer == payer]
    return render(request, "finance_queue.html", queue=queue, payer=payer, payer_names=_payer_names(ctx),
                  budgets=budgets, all_budgets=all_budgets, budget_totals=_budget_totals(budgets),
                  can_pay={r["payer"]: allowed(ctx.who, "payment.pay", payer=r["payer"]) for r in queue["rows"]},
                  can_confirm={p["id"]: allowed(ctx.who, "payment.confirm", payer=p["payer"])
                               and p["prepared_by"] != ctx.who.username for p in queue["pending"]},
                  can_withdraw={p["id"]: allowed(ctx.who, "payment.withdraw", payer=p["payer"])
                                for p in queue["pending"]},
                  can_appropriate=payer is not None and allowed(ctx.who, "budget.appropriate", payer=payer),
                  can_download=allowed(ctx.who, "report.fund_issue", payer=payer),
                  programs=_programs(), program_titles=dict(_programs()), today=date.today().isoformat(), year=date.today().year, key=_key())


@router.post("/finance/pay/{number}", dependencies=[Depends(check_csrf)])
def pay_one(ctx: PageContext, number: str, payer: Annotated[str, Form(max_length=40)],
            voucher_number: Annotated[str, Form(max_length=100)], on: Annotated[In.Day, Form()],
            amount: Annotated[str, Form(max_length=20)], key: Annotated[str, Form(max_length=64)] = "") -> Response:
    body = In.PaymentIn(payer=payer, voucher_number=voucher_number, on=on, amount=amount.replace(",", "").strip())
    out = do.pay(ctx, number, body, key=key or None)
    if not out.confirmed:
        return back("/finance/queue", f"已制单 {number}：{yuan_grouped(parse_yuan(body.amount, field='amount'))} 元"
                                      f"（{payer_name(payer)}，凭证号 {voucher_number}），"
                                      "待本级财政另一名用户复核后计入拨付")
    return back("/finance/queue", f"已拨付 {number}：{yuan_grouped(parse_yuan(body.amount, field='amount'))} 元（{payer_name(payer)}）"
                + (f"，尚余 {yuan_grouped(out.remaining)} 元" if out.remaining else ""))


@router.post("/finance/confirm/{payment_id}", dependencies=[Depends(check_csrf)])
def confirm_one(ctx: PageContext, payment_id: int, on: Annotated[In.Day, Form()],
                key: Annotated[str, Form(max_length=64)] = "") -> Response:
    """拨付复核: a second finance user of the payer confirms a prepared payment; then it counts."""
    out = do.confirm_payment(ctx, payment_id, In.ConfirmationIn(on=on), key=key or None)
    return back("/finance/queue", f"已复核拨付 {out.claim}（拨付#{payment_id}）"
                + (f"，尚余 {yuan_grouped(out.remaining)} 元" if out.remaining else "，已全部拨付"))


@router.post("/finance/withdraw/{payment_id}", dependencies=[Depends(check_csrf)])
def withdraw_one(ctx: PageContext, payment_id: int, on: Annotated[In.Day, Form()],
                 reason: Annotated[str, Form(max_length=500)] = "",
                 key: Annotated[str, Form(max_length=64)] = "") -> Response:
    """作废制单: a finance user of the payer withdraws a prepared, unconfirmed payment."""
    if not reason.strip():
        raise Invalid("作废制单：须说明原因", "作废原因必填：作废制单须说明原因", field="reason")
    out = do.withdraw_payment(ctx, payment_id, In.WithdrawalIn(on=on, reason=reason), key=key or None)
    return back("/finance/queue", f"已作废制单 {out.claim}（拨付#{payment_id}），"
                                  f"本级可重新制单 {yuan_grouped(out.outstanding_for_payer)} 元")


@router.post("/finance/budgets", dependencies=[Depends(check_csrf)])
def appropriate(ctx: PageContext, fiscal_year: Annotated[int, Form()], program: Annotated[str, Form(max_length=40)],
                amount: Annotated[str, Form(max_length=20)], on: Annotated[In.Day, Form()],
                document_number: Annotated[str, Form(max_length=100)] = "",
                key: Annotated[str, Form(max_length=64)] = "") -> Response:
    if not ctx.who.payer:
        authorize(ctx.who, "budget.appropriate")  # only finance users, for their own payer
    payer = ctx.who.payer or ""
    body = In.AppropriationIn(payer=payer, fiscal_year=fiscal_year, program=program,
                              amount=amount.replace(",", "").strip(), on=on, document_number=document_number)
    do.appropriate(ctx, body, key=key or None)
    return back("/finance/queue", f"已录入预算指标：{payer_name(payer)} {fiscal_year} 年 {program_title('', program)} "
                                  f"{yuan_grouped(parse_yuan(body.amount, field='amount'))} 元")


@router.get("/finance/funds.xlsx")
def funds_download(ctx: PageContext, payer: Annotated[str | None, Query(max_length=40)] = None,
                   fiscal_year: Annotated[str | None, Query(pattern=r"^(\d{4})?$")] = None,
                   unit: Annotated[str, Query(pattern="^(yuan|wan)$")] = "yuan") -> Response:
    """The fund issue table (资金下达表) of the user's payer (a city-level reader names the payer)."""
    chosen = payer or _own_payer(ctx)
    if not chosen:
        raise Invalid("资金下达表", "请指定财政（payer）", field="payer")
    d = downloads.funds(ctx, chosen, fiscal_year=int(fiscal_year) if fiscal_year else None, unit_key=unit)
    return Response(d.content, media_type=d.media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(d.filename)}"})
