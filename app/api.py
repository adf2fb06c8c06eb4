"""The JSON API (``/api/v1``): thin routes over :mod:`app.actions` and :mod:`app.downloads`.

Errors are JSON ``{"error": {"field", "rule", "message"}}`` with a 4xx status (see :mod:`app.errors`);
writes take an ``Idempotency-Key`` header; lists take ``page`` and ``page_size``. Every JSON route names
its response model in :mod:`app.responses`, so the OpenAPI document describes each response exactly.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app import actions as do
from app import downloads
from app import responses as Out
from app import schemas as In
from app.deps import ApiContext, IdempotencyKey, Paging, factory
from app.forecast import ForecastIn, ForecastOut, forecast
from app.permissions import MATRIX, ROLE_TITLES
from app.responses import TokenOut
from app.security import login


class ErrorDetail(BaseModel):
    field: str
    rule: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in ((400, "请求格式错误"), (401, "未登录或令牌无效"), (403, "角色或辖区无权办理"),
                       (404, "对象不存在"), (409, "违反办理程序、上限或预算规则"), (422, "字段不合规则"))
}



async def refuse_nul(request: Request) -> None:
    """A path or query value with a NUL character is refused (422) before any lookup: no code, number or
    search text has one, and PostgreSQL cannot even compare one. ``async``: no I/O, and FastAPI runs a
    plain ``def`` dependency in a worker thread — a thread hop on every request for a string scan."""
    for where, values in (("path", list(request.path_params.items())),
                          ("query", request.query_params.multi_items())):
        for name, value in values:
            if "\x00" in str(value):
                raise RequestValidationError([{"loc": (where, name), "type": "value_error",
                                               "msg": "must not contain the NUL character (\\u0000)"}])


router = APIRouter(prefix="/api/v1", responses=ERRORS, dependencies=[Depends(refuse_nul)])

# Every JSON read route is ``async`` and does its database work in one worker thread
# (``run_in_threadpool``): for a plain ``def`` route FastAPI validates the returned model in a second trip
# to the thread pool, which under load waits behind other requests' database work (docs/benchmarks.md,
# "Reads: one trip to the thread pool"). The downloads (a ``Response``, no model) take one trip as they are.

Number = Annotated[str, Path(min_length=1, max_length=40, description="申请编号")]
PlatformCode = Annotated[str, Path(min_length=1, max_length=40, description="平台编号")]
ObjectId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # the id columns are 32-bit integers
AsOf = Annotated[In.Day | None, Query(description="截至日期")]
XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {downloads.XLSX: {"schema": {"type": "string", "format": "binary"}}},
          "description": "xlsx 工作簿"}}


def _file(d: downloads.Download) -> Response:
    from urllib.parse import quote

    return Response(d.content, media_type=d.media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(d.filename)}"})


# ---------------------------------------------------------------- sign-in

@router.post("/auth/token", tags=["登录"], summary="用户名和密码换取令牌")
def token(request: Request, body: In.TokenIn) -> TokenOut:
    s = login(factory(request), body.username, body.password, kind="api")
    return TokenOut(access_token=s.secret, token_type="bearer", expires_at=s.expires_at.isoformat(),
                    username=s.principal.username, role=s.principal.role)


@router.get("/me", response_model=Out.MeOut, tags=["登录"], summary="当前用户与可办理事项")
async def me(ctx: ApiContext) -> dict[str, Any]:
    from app.permissions import allowed

    w = await run_in_threadpool(lambda: ctx.who)
    return {"username": w.username, "display_name": w.display_name, "role": w.role,
            "role_title": ROLE_TITLES[w.role], "jurisdiction": w.jurisdiction, "payer": w.payer,
            "actions": sorted(a for a in MATRIX if allowed(w, a))}


# ---------------------------------------------------------------- platforms

@router.get("/platforms", response_model=Out.PlatformPageOut, tags=["平台"], summary="平台列表（区县用户只见本辖区）")
async def platforms(ctx: ApiContext, paging: Paging,
                    search: Annotated[str | None, Query(max_length=100)] = None,
                    jurisdiction: Annotated[str | None, Query(max_length=16)] = None) -> Out.PlatformPageOut:
    return await run_in_threadpool(lambda: Out.PlatformPageOut.of(
        do.list_platforms(ctx, paging, search=search, jurisdiction=jurisdiction)))


@router.post("/platforms", response_model=Out.PlatformCreatedOut,
             response_model_exclude_unset=True, status_code=201, tags=["平台"], summary="登记平台")
def create_platform(ctx: ApiContext, body: In.PlatformIn, key: IdempotencyKey = None) -> Out.PlatformCreatedOut:
    return Out.PlatformCreatedOut.of(do.create_platform(ctx, body, key=key))


@router.get("/platforms/{code}", response_model=Out.PlatformOut, tags=["平台"], summary="平台详情：历史、申请、累计上限")
async def platform(ctx: ApiContext, code: PlatformCode, as_of: AsOf = None) -> Out.PlatformOut:
    return await run_in_threadpool(lambda: Out.PlatformOut.of(do.platform_detail(ctx, code, as_of=as_of)))


@router.post("/platforms/{code}/events", response_model=Out.PlatformEventCreatedOut,
             response_model_exclude_unset=True, status_code=201, tags=["平台"], summary="登记入库、认定、评价等事项")
def platform_event(ctx: ApiContext, code: PlatformCode, body: In.PlatformEventIn,
                   key: IdempotencyKey = None) -> Out.PlatformEventCreatedOut:
    return Out.PlatformEventCreatedOut.of(do.add_platform_event(ctx, code, body, key=key))


@router.get("/platforms/{code}/headroom", response_model=Out.HeadroomOut,
            tags=["平台"], summary="累计上限剩余额度（截至某日）")
async def headroom(ctx: ApiContext, code: PlatformCode,
                   program: Annotated[str, Query(min_length=1, max_length=40)] = "equipment-subsidy",
                   as_of: AsOf = None) -> Out.HeadroomOut:
    return await run_in_threadpool(lambda: Out.HeadroomOut.of(do.cap_position(ctx, code, program,
                                                                               as_of or date.today())))


# ---------------------------------------------------------------- claims and their procedure

@router.get("/claims", response_model=Out.ClaimPageOut, tags=["申请"], summary="申请列表")
async def claims(ctx: ApiContext, paging: Paging,
                 state: Annotated[str | None, Query(max_length=200, description="状态，逗号分隔")] = None,
                 platform: Annotated[str | None, Query(max_length=40)] = None,
                 jurisdiction: Annotated[str | None, Query(max_length=16)] = None,
                 program: Annotated[str | None, Query(max_length=40)] = None) -> Out.ClaimPageOut:
    return await run_in_threadpool(lambda: Out.ClaimPageOut.of(do.list_claims(
        ctx, paging, state=state, platform=platform, jurisdiction=jurisdiction, program=program)))


@router.post("/claims", response_model=Out.ClaimComputedOut,
             response_model_exclude_unset=True, status_code=201, tags=["申请"], summary="申报（区县经信部门）")
def file_claim(ctx: ApiContext, body: In.ClaimIn, key: IdempotencyKey = None) -> Out.ClaimComputedOut:
    return Out.ClaimComputedOut.of(do.file_claim(ctx, body, key=key))


@router.post("/claims/preview", response_model=Out.ClaimResultOut, tags=["申请"], summary="申报前试算：金额与逐条依据，不写入")
def preview_claim(ctx: ApiContext, body: In.ClaimIn) -> Out.ClaimResultOut:
    return Out.ClaimResultOut.of(do.preview_claim(ctx, body))


@router.get("/claims/{number}", response_model=Out.ClaimOut, tags=["申请"], summary="申请详情：办理记录、计算依据、拨付")
async def claim(ctx: ApiContext, number: Number) -> Out.ClaimOut:
    return await run_in_threadpool(lambda: Out.ClaimOut.of(do.claim_detail(ctx, number)))


@router.post("/claims/{number}/reviews", response_model=Out.ClaimStepOut, response_model_exclude_unset=True,
             tags=["办理"], summary="区级经信/财政部门审核意见")
def review(ctx: ApiContext, number: Number, body: In.ReviewIn, key: IdempotencyKey = None) -> Out.ClaimStepOut:
    return Out.ClaimStepOut.of(do.review(ctx, number, body, key=key))


@router.post("/claims/{number}/audit", response_model=Out.ClaimComputedOut, response_model_exclude_unset=True,
             tags=["办理"], summary="录入审计认定金额（市经信局）")
def audit(ctx: ApiContext, number: Number, body: In.AuditIn, key: IdempotencyKey = None) -> Out.ClaimComputedOut:
    return Out.ClaimComputedOut.of(do.record_audit(ctx, number, body, key=key))


@router.post("/claims/{number}/approval", response_model=Out.ApprovedOut, response_model_exclude_unset=True,
             tags=["办理"], summary="党组会审定（市经信局）")
def approval(ctx: ApiContext, number: Number, body: In.ApprovalIn, key: IdempotencyKey = None) -> Out.ApprovedOut:
    return Out.ApprovedOut.of(do.approve(ctx, number, body, key=key))


@router.post("/claims/{number}/objections", response_model=Out.ObjectionStepOut,
             response_model_exclude_unset=True, status_code=201, tags=["公示"], summary="登记公示期异议")
def objection(ctx: ApiContext, number: Number, body: In.ObjectionIn, key: IdempotencyKey = None) -> Out.ObjectionStepOut:
    return Out.ObjectionStepOut.of(do.file_objection(ctx, number, body, key=key))


@router.post("/objections/{objection_id}/resolution", response_model=Out.ObjectionStepOut,
             response_model_exclude_unset=True, tags=["公示"], summary="异议处理：成立或不成立")
def resolution(ctx: ApiContext, objection_id: ObjectId, body: In.ResolutionIn,
               key: IdempotencyKey = None) -> Out.ObjectionStepOut:
    return Out.ObjectionStepOut.of(do.resolve_objection(ctx, objection_id, body, key=key))


@router.post("/claims/{number}/fund-issue", response_model=Out.FundsIssuedOut,
             response_model_exclude_unset=True, tags=["资金"], summary="下达资金")
def fund_issue(ctx: ApiContext, number: Number, body: In.FundIssueIn, key: IdempotencyKey = None) -> Out.FundsIssuedOut:
    return Out.FundsIssuedOut.of(do.issue_funds(ctx, number, body, key=key))


@router.post("/claims/{number}/payments", response_model=Out.PaymentMadeOut,
             response_model_exclude_unset=True, status_code=201, tags=["资金"], summary="拨付制单（本级财政份额；复核后方计拨付）")
def payment(ctx: ApiContext, number: Number, body: In.PaymentIn, key: IdempotencyKey = None) -> Out.PaymentMadeOut:
    return Out.PaymentMadeOut.of(do.pay(ctx, number, body, key=key))


@router.post("/claims/{number}/allocation", response_model=Out.ClaimStepOut, response_model_exclude_unset=True,
             tags=["省级资金"], summary="省级下达：省级下达文件号、日期、金额（市财政局）")
def allocation(ctx: ApiContext, number: Number, body: In.AllocationIn, key: IdempotencyKey = None) -> Out.ClaimStepOut:
    return Out.ClaimStepOut.of(do.allocate(ctx, number, body, key=key))


@router.post("/claims/{number}/transfer-receipt", response_model=Out.ClaimStepOut,
             response_model_exclude_unset=True, tags=["省级资金"], summary="上级转移支付到账（市财政局）")
def transfer_receipt(ctx: ApiContext, number: Number, body: In.TransferIn,
                     key: IdempotencyKey = None) -> Out.ClaimStepOut:
    return Out.ClaimStepOut.of(do.receive_transfer(ctx, number, body, key=key))


@router.post("/claims/{number}/pass-on", response_model=Out.ClaimStepOut, response_model_exclude_unset=True,
             tags=["省级资金"], summary="转拨区县（市）财政（市财政局）")
def pass_on(ctx: ApiContext, number: Number, body: In.TransferIn, key: IdempotencyKey = None) -> Out.ClaimStepOut:
    return Out.ClaimStepOut.of(do.pass_on(ctx, number, body, key=key))
@router.post("/payments/{payment_id}/confirmation", response_model=Out.PaymentMadeOut,
             response_model_exclude_unset=True, tags=["资金"], summary="拨付复核（本级财政另一名用户确认后方计拨付）")
def confirmation(ctx: ApiContext, payment_id: ObjectId, body: In.ConfirmationIn,
                 key: IdempotencyKey = None) -> Out.PaymentMadeOut:
    return Out.PaymentMadeOut.of(do.confirm_payment(ctx, payment_id, body, key=key))


@router.post("/payments/{payment_id}/withdrawal", response_model=Out.PaymentWithdrawnOut,
             response_model_exclude_unset=True, tags=["资金"], summary="作废制单（未复核的拨付，须说明原因）")
def withdrawal(ctx: ApiContext, payment_id: ObjectId, body: In.WithdrawalIn,
               key: IdempotencyKey = None) -> Out.PaymentWithdrawnOut:
    return Out.PaymentWithdrawnOut.of(do.withdraw_payment(ctx, payment_id, body, key=key))


@router.post("/payments/{payment_id}/reversal", response_model=Out.ClaimStepOut,
             response_model_exclude_unset=True, tags=["资金"], summary="冲销错误拨付（红字冲销）")
def reversal(ctx: ApiContext, payment_id: ObjectId, body: In.ReversalIn, key: IdempotencyKey = None) -> Out.ClaimStepOut:
    return Out.ClaimStepOut.of(do.reverse_payment(ctx, payment_id, body, key=key))


@router.post("/claims/{number}/recoveries", response_model=Out.ClaimStepOut,
             response_model_exclude_unset=True, status_code=201, tags=["资金"], summary="追回（弄虚作假骗取资金）")
def recovery(ctx: ApiContext, number: Number, body: In.RecoveryIn, key: IdempotencyKey = None) -> Out.ClaimStepOut:
    return Out.ClaimStepOut.of(do.order_recovery(ctx, number, body, key=key))


@router.post("/recoveries/{recovery_id}/receipts", response_model=Out.ReceiptOut,
             response_model_exclude_unset=True, tags=["资金"], summary="追回款缴回国库")
def receipt(ctx: ApiContext, recovery_id: ObjectId, body: In.ReceiptIn, key: IdempotencyKey = None) -> Out.ReceiptOut:
    return Out.ReceiptOut.of(do.receive_recovery(ctx, recovery_id, body, key=key))


# ---------------------------------------------------------------- notices, budgets

@router.get("/notices", response_model=Out.NoticePageOut, tags=["公示"], summary="公示批次")
async def notices(ctx: ApiContext, paging: Paging) -> Out.NoticePageOut:
    return await run_in_threadpool(lambda: Out.NoticePageOut.of(do.list_notices(ctx, paging)))


@router.post("/notices", response_model=Out.NoticePublishedOut,
             response_model_exclude_unset=True, status_code=201, tags=["公示"], summary="发布公示（5个工作日，发布当日不计）")
def publish(ctx: ApiContext, body: In.NoticeIn, key: IdempotencyKey = None) -> Out.NoticePublishedOut:
    return Out.NoticePublishedOut.of(do.publish_notice(ctx, body, key=key))


@router.get("/budgets", response_model=list[Out.BudgetOut], tags=["资金"], summary="预算指标与可用额度")
async def budgets(ctx: ApiContext) -> list[Out.BudgetOut]:
    return await run_in_threadpool(lambda: [Out.BudgetOut.of(row) for row in do.list_budgets(ctx)])


@router.post("/budgets", response_model=Out.AppropriationOut,
             response_model_exclude_unset=True, status_code=201, tags=["资金"], summary="录入预算指标（本级财政）")
def appropriate(ctx: ApiContext, body: In.AppropriationIn, key: IdempotencyKey = None) -> Out.AppropriationOut:
    return Out.AppropriationOut.of(do.appropriate(ctx, body, key=key))


# ---------------------------------------------------------------- calculations

@router.post("/calculations", response_model=Out.CalculationOut,
             tags=["试算"], summary="试算（what-if）：改变口径或参数，逐条依据")
def calculation(ctx: ApiContext, body: In.CalculationIn) -> Out.CalculationOut:
    return Out.CalculationOut.of(do.calculate(ctx, body))


@router.post("/forecasts", response_model=ForecastOut, tags=["试算"],
             summary="预算测算：未来三个预算年度按补助项目、出资方的应付（可与假设对比），不写入")
def forecasts(ctx: ApiContext, body: ForecastIn) -> ForecastOut:
    return ForecastOut.of_run(forecast(ctx, body))


# ---------------------------------------------------------------- the journal

@router.get("/ledger/balances", response_model=Out.BalancesOut, tags=["总账"], summary="各环节余额（截至某日，按付款方、平台、项目）")
async def balances(ctx: ApiContext, as_of: AsOf = None, payer: Annotated[str | None, Query(max_length=16)] = None,
                   platform: Annotated[str | None, Query(max_length=40)] = None,
                   program: Annotated[str | None, Query(max_length=40)] = None) -> Out.BalancesOut:
    return await run_in_threadpool(lambda: Out.BalancesOut.of(
        do.ledger_balances(ctx, as_of=as_of, payer=payer, platform=platform, program=program)))


@router.get("/ledger/trial-balance", response_model=Out.TrialBalanceOut, tags=["总账"], summary="试算平衡表")
async def trial(ctx: ApiContext, as_of: AsOf = None,
                start: Annotated[In.Day | None, Query(description="开始日期")] = None) -> Out.TrialBalanceOut:
    return await run_in_threadpool(lambda: Out.TrialBalanceOut.of(do.ledger_trial_balance(ctx, as_of=as_of,
                                                                                           start=start)))


@router.get("/ledger/journal", response_model=Out.JournalPageOut, tags=["总账"], summary="记账凭证（最新在前）")
async def journal(ctx: ApiContext, paging: Paging,
                  claim: Annotated[str | None, Query(max_length=40)] = None) -> Out.JournalPageOut:
    return await run_in_threadpool(lambda: Out.JournalPageOut.of(do.journal(ctx, paging, claim=claim)))


@router.get("/ledger/verify", response_model=Out.VerifyOut, tags=["总账"], summary="重算哈希链，报告第一笔不符的凭证")
async def verify(ctx: ApiContext) -> Out.VerifyOut:
    return await run_in_threadpool(lambda: Out.VerifyOut.of(do.verify_chain(ctx)))


@router.get("/actions", response_model=Out.ActionPageOut, tags=["审计"], summary="操作日志（谁、何时、办理了什么）")
async def action_log(ctx: ApiContext, paging: Paging,
                     username: Annotated[str | None, Query(max_length=64)] = None) -> Out.ActionPageOut:
    return await run_in_threadpool(lambda: Out.ActionPageOut.of(do.action_log(ctx, paging, username=username)))


# ---------------------------------------------------------------- administration

@router.get("/users", response_model=list[Out.UserOut], tags=["管理"], summary="用户列表")
async def users(ctx: ApiContext) -> list[Out.UserOut]:
    return await run_in_threadpool(lambda: [Out.UserOut.of(row) for row in do.list_users(ctx)])


@router.post("/users", response_model=Out.UserAddedOut, response_model_exclude_unset=True, status_code=201,
             tags=["管理"], summary="新增用户")
def add_user(ctx: ApiContext, body: In.UserIn, key: IdempotencyKey = None) -> Out.UserAddedOut:
    return Out.UserAddedOut.of(do.add_user(ctx, body, key=key))


@router.post("/holiday-notices", response_model=Out.HolidayNoticeOut,
             response_model_exclude_unset=True, status_code=201, tags=["管理"], summary="载入国务院办公厅节假日安排")
def holidays(ctx: ApiContext, body: In.HolidayNoticeIn, key: IdempotencyKey = None) -> Out.HolidayNoticeOut:
    return Out.HolidayNoticeOut.of(do.load_holidays(ctx, body, key=key))


# ---------------------------------------------------------------- reports

@router.get("/reports/annex3/blank", tags=["报表"], summary="附件3 空白申请表", responses=XLSX_RESPONSE,
            response_class=Response)
def annex3_blank(ctx: ApiContext) -> Response:
    return _file(downloads.annex3_blank(ctx))


@router.get("/reports/annex3/claims/{number}", tags=["报表"], summary="附件3 申请表（按申请预填）",
            responses=XLSX_RESPONSE, response_class=Response)
def annex3_claim(ctx: ApiContext, number: Number) -> Response:
    return _file(downloads.annex3_claim(ctx, number))


@router.get("/reports/annex3/jurisdictions/{jurisdiction}", tags=["报表"], summary="附件3 本辖区批量申请表",
            responses=XLSX_RESPONSE, response_class=Response)
def annex3_batch(ctx: ApiContext, jurisdiction: Annotated[str, Path(min_length=1, max_length=16)],
                 year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> Response:
    return _file(downloads.annex3_batch(ctx, jurisdiction, year))


Unit = Annotated[str, Query(pattern="^(yuan|wan)$", description="yuan 元 或 wan 万元")]


@router.get("/reports/notices/{notice_id}", tags=["报表"], summary="公示名单", responses=XLSX_RESPONSE,
            response_class=Response)
def notice_list(ctx: ApiContext, notice_id: ObjectId, unit: Unit = "yuan") -> Response:
    return _file(downloads.notice(ctx, notice_id, unit))


@router.get("/reports/fund-issue/{payer}", tags=["报表"], summary="资金下达表（按付款方）",
            responses=XLSX_RESPONSE, response_class=Response)
def fund_issue_table(ctx: ApiContext, payer: Annotated[str, Path(min_length=1, max_length=16)],
                     fiscal_year: Annotated[int | None, Query(ge=2000, le=2100)] = None, as_of: AsOf = None,
                     unit: Unit = "yuan") -> Response:
    return _file(downloads.funds(ctx, payer, fiscal_year=fiscal_year, as_of=as_of, unit_key=unit))


@router.get("/reports/reconciliation", tags=["报表"], summary="累计上限对账表（审计）", responses=XLSX_RESPONSE,
            response_class=Response)
def reconciliation(ctx: ApiContext, as_of: AsOf = None) -> Response:
    return _file(downloads.reconciliation_workbook(ctx, as_of=as_of))


@router.get("/reports/trial-balance", tags=["报表"], summary="试算平衡表及按辖区、付款方汇总",
            responses=XLSX_RESPONSE, response_class=Response)
def trial_balance(ctx: ApiContext, start: Annotated[In.Day, Query(description="开始日期")],
                  end: Annotated[In.Day, Query(description="结束日期")]) -> Response:
    return _file(downloads.trial_balance_workbook(ctx, start, end))


@router.get("/reports/evaluation/{code}/{year}", tags=["报表"], summary="附件2 年度评价评分表",
            responses=XLSX_RESPONSE, response_class=Response)
def evaluation(ctx: ApiContext, code: PlatformCode, year: Annotated[int, Path(ge=2000, le=2100)]) -> Response:
    return _file(downloads.evaluation(ctx, code, year))
