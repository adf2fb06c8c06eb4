"""The claim pages every role uses, and the city bureau's (市经信局) own pages.

``/claims`` (list with a state filter) and ``/claims/{number}``: summary, amounts in 元 and 万元, the
calculation trace, the procedure so far — and only the forms the signed-in user may use now (the
permission matrix and the claim's state decide). Each form posts to ``/claims/{number}/<step>``
with the session's CSRF token, calls :mod:`app.actions` and redirects back with a message; a refusal
re-renders the claim page with the message next to the form (nothing changed).

``/bureau/queue``: claims awaiting audit, approval, the notice and fund issue, and the notices due for
fund issue (公示期满待下达). ``/bureau/notices``: approved claims to publish in a notice batch (end date
computed on the official calendar), and the past batches with their claims, objections, how each
stands today (公示中 / 公示期满 / 待下达 / 截止日暂定) and any end date a loaded holiday notice moved.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app import actions as do
from app import schemas as In
from app.actions import Context, Page
from app.deps import PageContext
from app.pages.common import STATE_TITLES, back, render
from app.pages.district import CSRF, Form, Refusal, failure, money, optional, text, validated
from app.permissions import CITY_PAYER, Forbidden, allowed
from app.results import ClaimView, NoticeRow
from calculators.formats import date_cn, yuan_grouped
from calculators.results import ClaimResult
from calculators.rulesets.bundled import rulebook
from ledger.errors import Invalid
from ledger.outcomes import NoticePublished, PaymentMade

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20

DEPARTMENTS = {"economic": "区县经信部门", "finance": "区县财政部门"}
ACTIONS = {"file": "申报", "review-economic": "经信部门审核通过", "reject-economic": "经信部门审核不通过",
           "review-finance": "财政部门审核通过", "reject-finance": "财政部门审核不通过", "audit": "审计",
           "approve": "党组会审定", "notice": "公示", "object": "公示期异议", "uphold-objection": "异议成立，撤销审定",
           "dismiss-objection": "异议不成立", "issue": "资金下达",
           "prepare-payment": "拨付制单", "pay": "拨付（复核记账）", "reverse-payment": "冲销拨付",
           "withdraw-payment": "作废制单", "recover": "追回",
           "receive-recovery": "追回款到账", "allocate": "省级下达", "receive-transfer": "上级转移支付到账",
           "pass-on": "转拨区县"}


# ---------------------------------------------------------------- the claim list

@router.get("/claims", response_class=HTMLResponse)
def claims(request: Request, ctx: PageContext, state: Annotated[str, Query(max_length=200)] = "",
           platform: Annotated[str, Query(max_length=40)] = "",
           page: Annotated[int, Query(ge=1, le=100000)] = 1) -> HTMLResponse:
    states = ",".join(s for s in state.split(",") if s in STATE_TITLES)
    found = do.list_claims(ctx, Page(page, PAGE_SIZE), state=states or None, platform=platform or None)
    return render(request, "claim_list.html", found=found, pg=found, state=states, platform=platform,
                  states=STATE_TITLES, can_batch=allowed(ctx.who, "report.annex3") and bool(ctx.who.jurisdiction))


# ---------------------------------------------------------------- the claim page

def _can(ctx: Context, c: ClaimView) -> dict[str, Any]:
    """The forms the signed-in user may use now on this claim: the steps the claim's procedure allows from
    its state (``c.next_steps``, the one transition table), each if the permission matrix lets this user
    record it (the step's ``permission``)."""
    who, j = ctx.who, c.jurisdiction
    procedure = rulebook().procedure(c.procedure)

    def may(step_id: str, payer: str | None = None) -> bool:
        step = procedure.step(step_id)
        return (step_id in c.next_steps and step is not None
                and allowed(who, step.permission, jurisdiction=j, payer=payer))

    shares = c.approval.shares if c.approval else {}
    pending = [pm for pm in c.payments if pm.pending] if "pay" in c.next_steps else []
    preparable = {p: owed - sum(pm.amount for pm in pending if pm.payer == p) for p, owed in c.outstanding.items()}
    pay_payers = [p for p, owed in preparable.items() if owed > 0 and may("prepare-payment", p)
                  and (who.payer is None or p == who.payer)]
    paid_payers = sorted({pm.payer for pm in c.payments if pm.confirmed})
    return {
        "review_econ": may("review-economic"),
        "review_fin": may("review-finance"),
        "audit": may("audit"),
        "approve": may("approve"),
        "publish": may("notice"),
        "object": may("object"),
        "resolve": [o for o in c.objections if o.status == "open"] if may("uphold-objection") else [],
        "issue": may("issue"),
        "pay": pay_payers,
        "preparable": preparable,
        # 制单/复核: a prepared payment is confirmed by another finance user of its payer; its preparer is
        # told so (and where the payer's other users find it: the finance queue)
        "confirm": [pm for pm in pending if pm.prepared_by != who.username and may("pay", pm.payer)],
        "own_pending": [pm for pm in pending if pm.prepared_by and pm.prepared_by == who.username],
        # 作废制单: the preparer or another finance user of the payer, while unconfirmed
        "withdraw": [pm for pm in pending if allowed(who, "payment.withdraw", jurisdiction=j, payer=pm.payer)],
        "reverse": [pm for pm in c.payments if pm.confirmed and may("reverse-payment", pm.payer)],
        "recover": paid_payers if may("recover") else [],
        "receive": [r for r in c.recoveries if r.received < r.amount and may("receive-recovery", r.payer)],
        "allocate": may("allocate"),
        "receive_transfer": may("receive-transfer"),
        "pass_on": may("pass-on"),
        "annex3": allowed(who, "report.annex3", jurisdiction=j),
        "shares": shares,
    }


def _visible(can: dict[str, Any]) -> set[str]:
    """The step ids of the forms the claim page shows (a refusal of any other step is shown on top)."""
    out = {name for key, name in (("review_econ", "review-economic"), ("review_fin", "review-finance"),
                                  ("audit", "audit"), ("approve", "approve"), ("publish", "notice"),
                                  ("object", "objection"), ("issue", "issue"), ("pay", "pay"),
                                  ("recover", "recover"), ("allocate", "allocate"),
                                  ("receive_transfer", "receive-transfer"), ("pass_on", "pass-on")) if can[key]}
    out |= {f"resolve-{o.id}" for o in can["resolve"]} | {f"reverse-{p.id}" for p in can["reverse"]}
    out |= {f"confirm-{p.id}" for p in can["confirm"]}
    return out | {f"receive-{r.id}" for r in can["receive"]}


def _today() -> date:
    """Today, read at display time (a notice's 公示期满 comes from it, nobody touching the notice)."""
    return date.today()


def notice_tags(n: NoticeRow, today: date, waiting: bool) -> list[str]:
    """How a notice stands today: 截止日暂定, 公示中, or 公示期满 (and 待下达 while a claim ``waiting``)."""
    if n.provisional:
        return ["截止日暂定"]
    if today <= n.end_date:
        return ["公示中"]
    return ["公示期满", "待下达"] if waiting else ["公示期满"]


def claim_page(request: Request, ctx: Context, number: str, *, step: str | None = None,
               error: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    c = do.claim_detail(ctx, number, today_too=True)
    can = _can(ctx, c)
    if error is not None:
        error = {**error, "step": step if step in _visible(can) else None}
    today = _today()
    tags = notice_tags(c.notice, today, c.state == "in_notice") if c.notice else []
    return render(request, "claim_detail.html", status=error["status"] if error else 200, c=c, can=can,
                  error=error, step=step, v=values or {}, today=today.isoformat(), notice_tags=tags,
                  departments=DEPARTMENTS, today_differs=_today_differs(c),
                  actions=ACTIONS, payer_names=_payer_names(ctx), city_payer=CITY_PAYER)


def _today_differs(c: ClaimView) -> ClaimResult | None:
    """Today's computation when its amounts differ from the stored explanation the claim's steps were based
    on (a rule set, reading or the platform's history changed since); else None."""
    def amounts(r: ClaimResult) -> tuple[object, ...]:
        return (r.rule_set, r.status, r.gross, r.entitled, r.offset, r.payable,
                tuple((s.payer, s.amount) for s in r.shares))

    if c.explanation is None or c.today is None:
        return None
    return c.today if amounts(c.today) != amounts(c.explanation.result) else None


def _payer_names(ctx: Context) -> dict[str, str]:
    from sqlalchemy import select

    from ledger.models import Payer

    with ctx.read() as session:
        return dict(session.execute(select(Payer.code, Payer.name)).all())


@router.get("/claims/{number}", response_class=HTMLResponse)
def claim(request: Request, ctx: PageContext, number: str) -> HTMLResponse:
    return claim_page(request, ctx, number)


def _step(request: Request, ctx: Context, number: str, step: str, form: Any, run: Any, message: str) -> Response:
    values = {k: v for k, v in form.items() if k != "csrf" and isinstance(v, str)}
    try:
        run()
    except Refusal as exc:
        return claim_page(request, ctx, number, step=step, error=failure(exc), values=values)
    return back(f"/claims/{number}", message)


@router.post("/claims/{number}/review", dependencies=CSRF)
def review(request: Request, ctx: PageContext, number: str, form: Form) -> Response:
    department = text(form, "department")
    verdict = text(form, "approve")

    def run() -> None:
        if verdict not in ("yes", "no"):
            raise Invalid("Annex 3 审核情况", "请选择同意或不同意", field="approve")
        do.review(ctx, number, validated(In.ReviewIn, {
            "department": department, "approve": verdict == "yes", "opinion": text(form, "opinion"),
            "on": text(form, "on")}))
    title = DEPARTMENTS.get(department, "")
    return _step(request, ctx, number, f"review-{department}", form, run,
                 f"已记录{title}审核意见：{'同意' if verdict == 'yes' else '不同意'}")


@router.post("/claims/{number}/audit", dependencies=CSRF)
def audit(request: Request, ctx: PageContext, number: str, form: Form) -> Response:
    def run() -> None:
        years = {k.removeprefix("year_"): money(v) for k, v in form.items()
                 if k.startswith("year_") and isinstance(v, str) and v.strip()}
        invoices = {k.removeprefix("inv_"): money(v) for k, v in form.items()
                    if k.startswith("inv_") and isinstance(v, str) and v.strip()}
        do.record_audit(ctx, number, validated(In.AuditIn, {
            "firm": text(form, "firm"), "report_number": text(form, "report_number"), "on": text(form, "on"),
            "years": years or None, "invoices": invoices or None}))
    return _step(request, ctx, number, "audit", form, run, "已录入审计结果，已按审计数重新计算")


@router.post("/claims/{number}/approve", dependencies=CSRF)
def approve(request: Request, ctx: PageContext, number: str, form: Form) -> Response:
    def run() -> None:
        amount = optional(form, "approved_amount")
        do.approve(ctx, number, validated(In.ApprovalIn, {
            "meeting_date": text(form, "meeting_date"), "minutes_number": text(form, "minutes_number"),
            "approved_amount": money(amount) if amount else None, "reason": text(form, "reason")}))
    return _step(request, ctx, number, "approve", form, run, "已记录党组会审定")


@router.post("/claims/{number}/notice", dependencies=CSRF)
def notice_one(request: Request, ctx: PageContext, number: str, form: Form) -> Response:
    out: list[NoticePublished] = []

    def run() -> None:
        out.append(do.publish_notice(ctx, validated(In.NoticeIn, {
            "claims": [number], "publication_date": text(form, "publication_date"), "title": text(form, "title")})))
    response = _step(request, ctx, number, "notice", form, run, "")
    if out:
        return back(f"/claims/{number}", f"已公示，公示期至 {date_cn(out[0].end_date)}"
                    + ("（节假日安排未公布，截止日暂定）" if out[0].provisional else ""))
    return response


@router.post("/claims/{number}/objection", dependencies=CSRF)
def objection(request: Request, ctx: PageContext, number: str, form: Form) -> Response:
    def run() -> None:
        do.file_objection(ctx, number, validated(In.ObjectionIn, {
            "filed": text(form, "filed"), "objector": text(form, "objector"), "content": text(form, "content")}))
    return _step(request, ctx, number, "objection", form, run, "已登记异议")


@router.post("/claims/{number}/objections/{objection_id}/resolve", dependencies=CSRF)
def resolve(request: Request, ctx: PageContext, number: str, objection_id: int, form: Form) -> Response:
    verdict = text(form, "upheld")

    def run() -> None:
        if verdict not in ("yes", "no"):
            raise Invalid("异议处理", "请选择异议成立或不成立", field="upheld")
        do.resolve_objection(ctx, objection_id, validated(In.ResolutionIn, {
            "upheld": verdict == "yes", "on": text(form, "on"), "resolution": text(form, "resolution")}))
    return _step(request, ctx, number, f"resolve-{objection_id}", form, run,
                 "已处理异议：" + ("异议成立，审定撤销" if verdict == "yes" else "异议不成立"))


@router.post("/claims/{number}/issue", dependencies=CSRF)
def issue(request: Request, ctx: PageContext, number: str, form: Form) -> Response:
    def run() -> None:
        do.issue_funds(ctx, number, validated(In.FundIssueIn, {
            "document_number": text(form, "document_number"), "on": text(form, "on")}))
    return _step(request, ctx, number, "issue", form, run, "已下达资金")


@router.post("/claims/{number}/allocate", dependencies=CSRF)
def allocate(request: Request, ctx: PageContext, number: str, form: Form) -> Response:
    def run() -> None:
        do.allocate(ctx, number, validated(In.AllocationIn, {
            "document_number": text(form, "document_number"), "on": text(form, "on"),
            "amount": money(text(form, "amount"))}))
    return _step(request, ctx, number, "allocate", form, run, "已录入省级下达")


@router.post("/claims/{number}/receive-transfer", dependencies=CSRF)
def receive_transfer(request: Request, ctx: PageContext, number: str, form: Form) -> Response:
    def run() -> None:
        do.receive_transfer(ctx, number, validated(In.TransferIn, {
            "document_number": text(form, "document_number"), "on": text(form, "on")}))
    return _step(request, ctx, number, "receive-transfer", form, run, "已记录上级转移支付到账")


@router.post("/claims/{number}/pass-on", dependencies=CSRF)
def pass_on(request: Request, ctx: PageContext, number: str, form: Form) -> Response:
    def run() -> None:
        do.pass_on(ctx, number, validated(In.TransferIn, {
            "document_number": text(form, "document_number"), "on": text(form, "on")}))
    return _step(request, ctx, number, "pass-on", form, run, "已转拨区县（市）财政")


@router.post("/claims/{number}/pay", dependencies=CSRF)
def pay(request: Request, ctx: PageContext, number: str, form: Form) -> Response:
    out: list[PaymentMade] = []

    def run() -> None:
        out.append(do.pay(ctx, number, validated(In.PaymentIn, {
            "payer": text(form, "payer"), "voucher_number": text(form, "voucher_number"), "on": text(form, "on"),
            "amount": money(text(form, "amount"))})))
    response = _step(request, ctx, number, "pay", form, run, "")
    if out and not out[0].confirmed:
        return back(f"/claims/{number}", f"已制单（{text(form, 'voucher_number')}），待本级财政另一名用户复核后"
                    "计入拨付（经办与复核分离）")
    return _paid(number, f"已拨付（{text(form, 'voucher_number')}）", out[0]) if out else response


def _paid(number: str, what: str, done: PaymentMade) -> Response:
    return back(f"/claims/{number}", f"{what}，"
                + ("全部份额已拨付完毕" if done.state == "paid" else f"尚余 {yuan_grouped(done.remaining)} 元未拨付"))


@router.post("/claims/{number}/payments/{payment_id}/confirm", dependencies=CSRF)
def confirm(request: Request, ctx: PageContext, number: str, payment_id: int, form: Form) -> Response:
    """拨付复核 on the claim page: a second finance user of the payer confirms a prepared payment."""
    out: list[PaymentMade] = []

    def run() -> None:
        out.append(do.confirm_payment(ctx, payment_id, validated(In.ConfirmationIn, {"on": text(form, "on")})))
    response = _step(request, ctx, number, f"confirm-{payment_id}", form, run, "")
    return _paid(number, f"已复核拨付#{payment_id}，计入拨付", out[0]) if out else response


@router.post("/claims/{number}/payments/{payment_id}/withdraw", dependencies=CSRF)
def withdraw(request: Request, ctx: PageContext, number: str, payment_id: int, form: Form) -> Response:
    """作废制单 on the claim page: a prepared, unconfirmed payment withdrawn; its amount can be prepared again."""
    def run() -> None:
        do.withdraw_payment(ctx, payment_id, validated(In.WithdrawalIn, {
            "on": text(form, "on"), "reason": text(form, "reason")}))
    return _step(request, ctx, number, f"withdraw-{payment_id}", form, run,
                 f"已作废制单（拨付#{payment_id}），该金额可重新制单")


@router.post("/claims/{number}/payments/{payment_id}/reverse", dependencies=CSRF)
def reverse(request: Request, ctx: PageContext, number: str, payment_id: int, form: Form) -> Response:
    def run() -> None:
        do.reverse_payment(ctx, payment_id, validated(In.ReversalIn, {
            "on": text(form, "on"), "reason": text(form, "reason")}))
    return _step(request, ctx, number, f"reverse-{payment_id}", form, run, "已冲销该笔拨付")


@router.post("/claims/{number}/recover", dependencies=CSRF)
def recover(request: Request, ctx: PageContext, number: str, form: Form) -> Response:
    def run() -> None:
        do.order_recovery(ctx, number, validated(In.RecoveryIn, {
            "payer": text(form, "payer"), "amount": money(text(form, "amount")), "on": text(form, "on"),
            "document_number": text(form, "document_number"), "reason": text(form, "reason")}))
    return _step(request, ctx, number, "recover", form, run, "已下达追回")


@router.post("/claims/{number}/recoveries/{recovery_id}/receive", dependencies=CSRF)
def receive(request: Request, ctx: PageContext, number: str, recovery_id: int, form: Form) -> Response:
    def run() -> None:
        do.receive_recovery(ctx, recovery_id, validated(In.ReceiptIn, {
            "amount": money(text(form, "amount")), "on": text(form, "on")}))
    return _step(request, ctx, number, f"receive-{recovery_id}", form, run, "已记录追回款到账")


# ---------------------------------------------------------------- the bureau's queue and notices

QUEUE = (("district_reviewed", "待审计（区级审核已完成）"), ("audited", "待党组会审定"), ("approved", "待公示"),
         ("in_notice,objected", "公示中（期满且无异议后下达）"), ("issued", "已下达待拨付"))


@router.get("/bureau/queue", response_class=HTMLResponse)
def queue(request: Request, ctx: PageContext) -> HTMLResponse:
    if not allowed(ctx.who, "claim.audit"):
        raise Forbidden("claim.audit", f"{ctx.who.role_title}无权使用审核队列")
    sections = []
    for states, title in QUEUE:
        found = do.list_claims(ctx, Page(1, 50), state=states)
        sections.append({"states": states, "title": title, "total": found.total, "claims": found.items})
    return render(request, "bureau_queue.html", sections=sections, due=do.notices_due(ctx, _today()))


def _notice_end(ctx: Context, on: date) -> dict[str, Any]:
    from calculators.rulesets.bundled import rulebook
    from ledger.calendar import notice_period

    with ctx.read() as session:
        period = notice_period(session, on, rulebook().rule_sets["jiaxing-rules-2026"])
        return {"publication": on.isoformat(), "end": period.end.isoformat(), "provisional": period.provisional,
                "working_days": len(period.working_days_counted)}


def _notices_page(request: Request, ctx: Context, *, page: int = 1, on: str = "", error: dict[str, Any] | None = None,
                  values: dict[str, Any] | None = None) -> HTMLResponse:
    approved = do.list_claims(ctx, Page(1, 200), state="approved")
    past = do.list_notices(ctx, Page(page, 10))
    batches = []
    for n in past.items:
        claims: list[dict[str, Any]] = []
        for number in n.claims:  # only those the user may read (do.list_notices keeps to their scope)
            d = do.claim_detail(ctx, number)
            claims.append({"number": number, "platform_name": d.platform_name, "state": d.state,
                           "approved": d.approved, "objections": d.objections})
        waiting = any(c["state"] == "in_notice" for c in claims)
        batches.append({"notice": n, "claim_rows": claims, "tags": notice_tags(n, _today(), waiting)})
    preview = None
    if on:
        try:
            preview = _notice_end(ctx, In.parse_day(on, "publication_date"))
        except Refusal as exc:
            error = failure(exc)
    return render(request, "bureau_notices.html", status=error["status"] if error else 200, approved=approved,
                  batches=batches, pg=past, preview=preview, error=error, v=values or {"publication_date": on},
                  can_publish=allowed(ctx.who, "notice.publish"), today=_today().isoformat())


@router.get("/bureau/notices", response_class=HTMLResponse)
def notices(request: Request, ctx: PageContext, page: Annotated[int, Query(ge=1, le=100000)] = 1,
            on: Annotated[str, Query(max_length=10)] = "") -> HTMLResponse:
    return _notices_page(request, ctx, page=page, on=on)


@router.post("/bureau/notices", dependencies=CSRF)
def publish(request: Request, ctx: PageContext, form: Form) -> Response:
    numbers = [n for n in form.getlist("claims") if isinstance(n, str) and n]
    values = {"title": text(form, "title"), "publication_date": text(form, "publication_date"), "claims": numbers}
    try:
        if not numbers:
            raise Invalid("公示名单", "请至少勾选一项已审定的申请", field="claims")
        out = do.publish_notice(ctx, validated(In.NoticeIn, values))
    except Refusal as exc:
        return _notices_page(request, ctx, error=failure(exc), values=values)
    return back("/bureau/notices", f"已发布公示（{len(out.claims)} 项），公示期至 {date_cn(out.end_date)}"
                + ("（节假日安排未公布，截止日暂定）" if out.provisional else ""))
