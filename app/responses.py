"""Response models of the JSON API (响应模型): the exact shape of every JSON body ``app/api.py`` returns.

The actions (:mod:`app.actions`) return typed results holding integer fen, dates and states; each
route builds its model here from that result (:meth:`Out.of`, which reads the result's attributes) and
names it as its ``response_model``, so the OpenAPI document describes every response field by field,
FastAPI serialises it in pydantic's Rust JSON path, and schemathesis (``tests/app/test_schemathesis.py``)
checks real responses against it on each engine. These models are where amounts become text.

Conventions:

* money is a decimal string of yuan with two decimals (:data:`Yuan`, ``"1234.56"``; negative only in
  journal postings and balances), never a number — written from integer fen by
  :func:`calculators.formats.yuan`;
* dates are ISO ``YYYY-MM-DD`` (typed :class:`datetime.date`, so the document says ``format: date``);
  instants (``expires_at``, ``at``, ``locked_until``) are ISO strings as stored;
* every field is required — a key the action does not send is a failure, not a default — and no other
  key is allowed (``extra="forbid"``), except ``replayed``, which a write answers only when its
  Idempotency-Key was seen before (the routes serialise with ``response_model_exclude_unset``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

from calculators.formats import yuan
from calculators.rulesets.model import ClaimState as _ClaimState


def _fen_as_yuan(value: object) -> object:
    """An amount in integer fen (what the actions hold) → its yuan string; a yuan string stays as it is."""
    return yuan(value) if isinstance(value, int) and not isinstance(value, bool) else value


Yuan = Annotated[str, BeforeValidator(_fen_as_yuan),
                 Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", description="金额（元，两位小数的十进制字符串）",
                       examples=["1234.56"])]
"""Money as the API carries it: yuan with exactly two decimals, written from integer fen by
:func:`calculators.formats.yuan`."""


def _instant_text(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.datetime) else value


Instant = Annotated[str, BeforeValidator(_instant_text)]
"""A moment as the API carries it: ISO 8601 with its zone (``2026-03-02T08:00:00+00:00``), as stored."""

ClaimState = _ClaimState
"""A claim's state (申请状态), as the procedures declare it once (calculators/rulesets/model.py)."""

Role = Literal["district_econ", "district_finance", "city_bureau", "city_finance", "auditor", "admin"]
"""A user's role (角色) — ``ledger.models.USER_ROLES`` (a check constraint of ``users.role``)."""

ResultStatus = Literal["payable", "capped", "offset", "excluded", "ineligible", "declined", "reversed"]
"""A calculation's outcome (计算结论) — ``calculators.results.STATUSES``."""

Entry = Annotated[int, Field(description="记账凭证号（journal entry id）")]
Replayed = Annotated[bool, Field(description="同一幂等键、同一请求的重放：为 true；首次办理时不出现")]


class Out(BaseModel):
    """响应模型的基类 — every field required, no undeclared key."""

    model_config = ConfigDict(extra="forbid", from_attributes=True, populate_by_name=True)

    @classmethod
    def of(cls, result: object) -> Self:
        """This response from an action's typed result, read attribute by attribute (fen → yuan here)."""
        return cls.model_validate(result, from_attributes=True)


class Done(Out):
    """A write's response: its ``replayed`` field (declared last by each) is sent only when true (the
    routes serialise with ``response_model_exclude_unset``)."""

    @classmethod
    def of(cls, result: object) -> Self:
        fields = {name: getattr(result, name) for name in cls.model_fields if name != "replayed"}
        if getattr(result, "replayed", False):
            fields["replayed"] = True
        return cls.model_validate(fields, from_attributes=True)


T = TypeVar("T", bound=BaseModel)


class PageOut(Out, Generic[T]):
    """分页列表 — one page of a list, with its position and the total count."""

    items: list[T] = Field(description="本页条目")
    page: int = Field(description="页码（从 1 起）")
    page_size: int = Field(description="每页条数")
    total: int = Field(description="符合条件的总条数")


# ---------------------------------------------------------------- sign-in

class TokenOut(Out):
    """访问令牌 — a bearer token for the API and whose it is."""

    access_token: str = Field(description="令牌（Authorization: Bearer …）")
    token_type: Literal["bearer"]
    expires_at: str = Field(description="失效时间（ISO 8601，带时区）")
    username: str
    role: Role


class MeOut(Out):
    """当前用户 — who is signed in and which actions (可办理事项) the permission matrix allows them."""

    username: str
    display_name: str = Field(description="姓名")
    role: Role
    role_title: str = Field(description="角色名称，如“区县经信部门”")
    jurisdiction: str | None = Field(description="辖区代码（区县用户）")
    payer: str | None = Field(description="付款方代码（财政用户）")
    actions: list[str] = Field(description="可办理事项（权限矩阵的动作名）")


class PingOut(Out):
    """存活检查 — the service answers."""

    ok: bool


# ---------------------------------------------------------------- platforms

class PlatformRowOut(Out):
    """平台 — a pilot platform (中试平台) as listed."""

    code: str = Field(description="平台编号")
    name: str = Field(description="平台名称")
    operator: str = Field(description="运营主体")
    leader_type: str = Field(description="牵头单位类型")
    jurisdiction: str = Field(description="所属辖区代码")
    jurisdiction_name: str = Field(description="所属辖区名称")


class PlatformEventOut(Out):
    """平台事项 — an entry in a platform's history: 入库、认定、评价、协议支持、整改 …."""

    id: int
    kind: str = Field(description="事项：pool-entry 入库、pool-exit 出库、recognition 认定、evaluation 评价、"
                                  "agreement-support 协议支持、rectification 整改")
    date: dt.date = Field(description="日期")
    level: str | None = Field(description="级别（认定）")
    grade: str | None = Field(description="评价等次")
    scheme: str | None = Field(description="评价体系")
    year: int | None = Field(description="评价年度")
    document_number: str = Field(description="文号")
    amount: Yuan | None = Field(description="金额（元）")
    note: str = Field(description="备注")


class ClaimRowOut(Out):
    """申请 — a claim (补助申请) as listed: who, which program, where it stands, its amounts."""

    number: str = Field(description="申请编号")
    platform: str = Field(description="平台编号")
    platform_name: str = Field(description="平台名称")
    jurisdiction: str = Field(description="辖区代码")
    program: str = Field(description="补助项目")
    rule_set: str = Field(description="适用规则")
    application_date: dt.date = Field(description="申报日期")
    state: ClaimState = Field(description="办理状态")
    level: str = Field(description="获批级别")
    requested: Yuan = Field(description="申报金额（元）")
    computed: Yuan = Field(description="计算应付（元）")
    approved: Yuan | None = Field(description="党组会审定金额（元）；审定前为 null")
    filed_by: str = Field(description="申报人")


class CapPositionOut(Out):
    """累计上限位置 — a platform's cap (累计上限), what is committed against it and what is left."""

    program: str = Field(description="补助项目")
    level: str = Field(description="适用上限的级别")
    cap: Yuan | None = Field(description="累计上限（元）；无上限时为 null")
    committed: Yuan = Field(description="已审定占用（元）")
    headroom: Yuan | None = Field(description="剩余额度（元）；无上限时为 null")
    as_of: dt.date = Field(description="截至日期")


class HeadroomOut(Out):
    """剩余额度 — one platform's cap position for one program as of a date."""

    platform: str = Field(description="平台编号")
    program: str = Field(description="补助项目")
    level: str = Field(description="适用上限的级别")
    cap: Yuan | None = Field(description="累计上限（元）；无上限时为 null")
    committed: Yuan = Field(description="已审定占用（元）")
    headroom: Yuan | None = Field(description="剩余额度（元）；无上限时为 null")
    as_of: dt.date = Field(description="截至日期")


class PlatformOut(PlatformRowOut):
    """平台详情 — a platform with its contacts, history, claims and cap positions."""

    head_person: str = Field(description="负责人")
    head_phone: str = Field(description="负责人电话")
    contact_person: str = Field(description="联系人")
    contact_mobile: str = Field(description="联系人手机")
    events: list[PlatformEventOut] = Field(description="平台事项（按日期）")
    claims: list[ClaimRowOut] = Field(description="本平台的申请（按申报日期）")
    caps: list[CapPositionOut] = Field(description="各项目的累计上限位置")


class PlatformPageOut(PageOut[PlatformRowOut]):
    """平台列表 — one page of platforms."""


# ---------------------------------------------------------------- the calculation and its trace

class TraceStepOut(Out):
    """计算过程的一步 — what was done, under which clause (依据条款), with which values."""

    step: str = Field(description="步骤")
    clause: str = Field(description="依据条款")
    note: str = Field(description="说明")
    values: dict[str, str] = Field(description="本步的取值（名称 → 值，均为字符串）")


class ResultCapOut(Out):
    """适用的累计上限 — the cap applied to a claim, as it stood before the claim."""

    level: str = Field(description="级别")
    limit: Yuan = Field(description="上限（元）")
    used: Yuan = Field(description="此前已用（元）")
    headroom: Yuan = Field(description="剩余（元）")
    clause: str = Field(description="依据条款")


class ShareOut(Out):
    """分担 — one payer's share of a payable amount."""

    payer: str = Field(description="付款方代码")
    payer_name: str = Field(description="付款方名称")
    party: str = Field(description="分担层级：city 市级、local 区县、province 省级")
    amount: Yuan = Field(description="分担金额（元）")


class ClaimResultOut(Out):
    """计算结果 — what a claim computes to under its rule set, with the clause-by-clause trace."""

    claim: str = Field(validation_alias=AliasChoices("claim", "claim_id"),
                       description="申请编号（试算时为 PREVIEW / WHAT-IF 或情景中的编号）")
    program: str = Field(description="补助项目")
    program_title: str = Field(description="补助项目名称")
    rule_set: str = Field(description="适用规则")
    rule_set_title: str = Field(description="适用规则名称")
    purse: str = Field(description="资金来源：municipal 市级、provincial 省级")
    status: ResultStatus = Field(description="结论")
    trigger: str = Field(description="触发事件（入围、认定、评价）")
    gross: Yuan = Field(description="按项目计算的金额（元），未计上限、排除与冲抵")
    cap: ResultCapOut | None = Field(description="适用的累计上限；项目无上限时为 null")
    entitled: Yuan = Field(description="计上限与排除后（元）")
    offset: Yuan = Field(description="就高不重复冲抵（元）")
    payable: Yuan = Field(description="应付（元），等于各分担之和")
    shares: list[ShareOut] = Field(description="各付款方分担")
    years: list[int] = Field(description="本次使用的设备投资年度")
    invoices: list[str] = Field(description="本次使用的发票（开票单位代码:发票号）")
    reasons: list[str] = Field(description="应付低于计算金额的原因")
    trace: list[TraceStepOut] = Field(description="计算过程，逐步注明依据条款")
    warnings: list[str] = Field(default_factory=list,
                                description="提醒（不改变金额），如附件3承诺事项2（本项目未享受过市级财政专项资金补助）无法如实签署")


class CalculationOut(Out):
    """试算结果 — every claim of a what-if scenario, in evaluation order."""

    platform: str = Field(description="平台编号")
    platform_name: str = Field(description="平台名称")
    claims: list[ClaimResultOut] = Field(description="各申请的计算结果")


# ---------------------------------------------------------------- a claim in full

class InvoiceOut(Out):
    """发票 — an invoice a claim rests on, with the audited amount once audited."""

    issuer_code: str = Field(description="开票单位代码")
    number: str = Field(description="发票号")
    date: dt.date = Field(description="开票日期")
    net: Yuan = Field(description="不含税金额（元）")
    vat: Yuan = Field(description="税额（元）")
    audited: Yuan | None = Field(description="审计认定金额（元）")


class ClaimEventOut(Out):
    """办理记录 — one step of a claim's procedure: from which state to which, by whom, which entry."""

    from_: ClaimState | None = Field(alias="from", description="原状态（申报时为 null）")
    to: ClaimState = Field(description="新状态")
    action: str = Field(description="办理事项")
    date: dt.date = Field(description="日期")
    actor: str = Field(description="办理人")
    entry: int | None = Field(description="记账凭证号")
    note: str = Field(description="意见或说明")


class ReviewOut(Out):
    """审核意见 — a district department's review (区级经信/财政部门审核)."""

    department: Literal["economic", "finance"] = Field(description="economic 经信、finance 财政")
    approve: bool = Field(description="是否同意")
    opinion: str = Field(description="意见")
    date: dt.date = Field(description="日期")
    reviewer: str = Field(description="审核人")


class AuditOut(Out):
    """审计认定 — the audit firm's finding on a claim."""

    firm: str = Field(description="会计师事务所")
    report_number: str = Field(description="审计报告号")
    date: dt.date = Field(description="日期")
    audited: Yuan = Field(description="审计认定的设备投资（元）")
    computed: Yuan = Field(description="按审计认定计算的应付（元）")


class ApprovalOut(Out):
    """党组会审定 — the party group's approval of a claim and each payer's share."""

    meeting_date: dt.date = Field(description="会议日期")
    minutes_number: str = Field(description="会议纪要号")
    approved: Yuan = Field(description="审定金额（元）")
    computed: Yuan = Field(description="计算应付（元）")
    reason: str = Field(description="审定低于计算金额的理由")
    fiscal_year: int = Field(description="预算年度")
    shares: dict[str, Yuan] = Field(description="各付款方分担：付款方代码 → 元")


class ClaimNoticeOut(Out):
    """公示 — the public notice a claim was published in."""

    id: int
    title: str = Field(description="公示标题")
    publication_date: dt.date = Field(description="发布日期")
    end_date: dt.date = Field(description="公示截止日（5个工作日，发布当日不计）")
    working_days: int = Field(description="公示工作日数")
    provisional: bool = Field(description="截止日是否为暂定（次年节假日安排未载入）")


class ObjectionOut(Out):
    """异议 — an objection filed during the notice period, and how it was resolved."""

    id: int
    filed: dt.date = Field(description="提出日期")
    objector: str = Field(description="异议人")
    content: str = Field(description="异议内容")
    status: Literal["open", "upheld", "dismissed"] = Field(description="open 待处理、upheld 成立、dismissed 不成立")
    resolution: str = Field(description="处理意见")


class FundIssueOut(Out):
    """资金下达 — the document that issued a claim's funds."""

    document_number: str = Field(description="下达文号")
    date: dt.date = Field(description="日期")


class PaymentOut(Out):
    """拨付 — one payer's payment of (part of) its share."""

    id: int
    payer: str = Field(description="付款方代码")
    voucher_number: str = Field(description="凭证号")
    date: dt.date = Field(description="日期")
    amount: Yuan = Field(description="金额（元）；冲销的拨付仍在此列，另有红字凭证")


class RecoveryOut(Out):
    """追回 — an order to recover money paid on a false claim, and what has come back."""

    id: int
    payer: str = Field(description="付款方代码")
    date: dt.date = Field(description="日期")
    amount: Yuan = Field(description="应追回（元）")
    received: Yuan = Field(description="已缴回国库（元）")
    reason: str = Field(description="原因")


class ExplanationOut(Out):
    """计算依据 — the step at which the claim's calculation was stored and the step that computed it."""

    state: ClaimState = Field(description="保存时申请的状态")
    action: str = Field(description="保存时办理的步骤")
    date: dt.date = Field(description="该步骤的日期")
    basis_action: str = Field(description="计算所在的步骤（申报、审计、党组会审定）")
    basis_date: dt.date = Field(description="计算所在步骤的日期")


class ClaimOut(ClaimRowOut):
    """申请详情 — a claim with its steps, trace and payments."""

    platform_document: str = Field(description="中试平台文件、文号")
    years: list[int] | None = Field(description="申报的设备投资年度")
    invoices: list[InvoiceOut] = Field(description="发票")
    events: list[ClaimEventOut] = Field(description="办理记录")
    reviews: list[ReviewOut] = Field(description="区级审核意见")
    audits: list[AuditOut] = Field(description="审计认定")
    approval: ApprovalOut | None = Field(description="党组会审定（最新一次）")
    notice: ClaimNoticeOut | None = Field(description="公示（最新一批）")
    objections: list[ObjectionOut] = Field(description="异议")
    fund_issue: FundIssueOut | None = Field(description="资金下达")
    payments: list[PaymentOut] = Field(description="拨付")
    outstanding: dict[str, Yuan] = Field(description="各付款方尚未拨付：付款方代码 → 元")
    recoveries: list[RecoveryOut] = Field(description="追回")
    procedure: str = Field(description="适用的办理流程（规则集 procedures 的编号，docs/procedures.md）")
    next_steps: list[str] = Field(description="按办理流程，申请当前状态下可办理的步骤（不含权限判断）")
    result: ClaimResultOut | None = Field(
        description="审批所依据的计算：申请最近一次状态变更时保存的结果与计算过程（explanation 说明保存于哪一步）；"
                    "保存计算依据之前办理的申请为按平台当前历史的重算，无法重算时为 null")
    explanation: ExplanationOut | None = Field(
        default=None, description="result 保存于哪一步、由哪一步计算；null 表示 result 为当前重算")


class ClaimPageOut(PageOut[ClaimRowOut]):
    """申请列表 — one page of claims, in filing order."""


# ---------------------------------------------------------------- writes (each may be a replay)

class PlatformCreatedOut(Done):
    """登记平台的结果 — the new platform's code."""

    platform: str = Field(description="平台编号")
    replayed: Replayed = False


class PlatformEventCreatedOut(Done):
    """登记平台事项的结果 — the platform and the new event's id."""

    platform: str = Field(description="平台编号")
    event: int = Field(description="事项 id")
    replayed: Replayed = False


class ClaimComputedOut(Done):
    """申报或审计认定的结果 — the claim's new state, its entry and what it now computes to."""

    claim: str = Field(description="申请编号")
    state: ClaimState = Field(description="新状态")
    entry: Entry
    computed: Yuan = Field(description="计算应付（元）")
    result: ClaimResultOut = Field(description="计算结果与计算过程")
    replayed: Replayed = False


class ClaimStepOut(Done):
    """办理结果 — the claim's new state after a step (审核、冲销、追回) and the entry it posted."""

    claim: str = Field(description="申请编号")
    state: ClaimState = Field(description="新状态")
    entry: Entry
    replayed: Replayed = False


class ApprovedOut(Done):
    """审定结果 — the approved amount and each payer's share."""

    claim: str = Field(description="申请编号")
    state: ClaimState = Field(description="新状态")
    entry: Entry
    approved: Yuan = Field(description="审定金额（元）")
    shares: dict[str, Yuan] = Field(description="各付款方分担：付款方代码 → 元")
    replayed: Replayed = False


class NoticePublishedOut(Done):
    """发布公示的结果 — the notice, its end date on the working-day calendar, its claims and entries."""

    notice: int = Field(description="公示批次 id")
    end_date: dt.date = Field(description="公示截止日（5个工作日，发布当日不计）")
    provisional: bool = Field(description="截止日是否为暂定（次年节假日安排未载入）")
    claims: list[str] = Field(description="公示的申请编号")
    entries: list[int] = Field(description="各申请的记账凭证号")
    replayed: Replayed = False


class ObjectionStepOut(Done):
    """异议登记或处理的结果 — the objection, its claim's state and the entry (if one was posted)."""

    objection: int = Field(description="异议 id")
    claim: str = Field(description="申请编号")
    state: ClaimState = Field(description="申请的状态")
    entry: int | None = Field(description="记账凭证号；状态未变时为 null")
    replayed: Replayed = False


class FundsIssuedOut(Done):
    """资金下达的结果 — the claim's state and each payer's share to pay."""

    claim: str = Field(description="申请编号")
    state: ClaimState = Field(description="新状态")
    entry: Entry
    shares: dict[str, Yuan] = Field(description="各付款方分担：付款方代码 → 元")
    replayed: Replayed = False


class PaymentMadeOut(Done):
    """拨付制单或复核的结果 — the payment, whether it counts yet, what remains to pay on the claim and for
    this payer."""

    claim: str = Field(description="申请编号")
    state: ClaimState = Field(description="新状态（全部拨付后为 paid）")
    payment: int = Field(description="拨付 id")
    confirmed: bool = Field(description="已复核（复核后方记账、计入拨付）")
    entry: Entry | None = Field(description="记账凭证号（journal entry id）；制单未复核时为 null")
    remaining: Yuan = Field(description="本申请尚未拨付（元）")
    outstanding_for_payer: Yuan = Field(description="本付款方尚未拨付（元）")
    replayed: Replayed = False


class PaymentWithdrawnOut(Done):
    """作废制单的结果 — the withdrawn payment (it stays on record, nothing was posted) and what this payer may
    prepare now."""

    claim: str = Field(description="申请编号")
    state: ClaimState = Field(description="状态（不变）")
    payment: int = Field(description="作废的拨付 id")
    outstanding_for_payer: Yuan = Field(description="本付款方可再制单（元）")
    replayed: Replayed = False


class ReceiptOut(Done):
    """追回款入库的结果 — how much of the recovery has come back."""

    recovery: int = Field(description="追回 id")
    received: Yuan = Field(description="累计已缴回（元）")
    entry: Entry
    replayed: Replayed = False


class AppropriationOut(Done):
    """录入预算指标的结果 — the budget line and its appropriation after this one."""

    budget: int = Field(description="预算指标 id")
    entry: Entry
    appropriation: Yuan = Field(description="累计批复（元）")
    replayed: Replayed = False


class UserAddedOut(Done):
    """新增用户的结果 — the new user's name, role and jurisdiction."""

    user: str = Field(description="用户名")
    role: Role
    jurisdiction: str | None = Field(description="辖区代码（区县用户）")
    replayed: Replayed = False


class HolidayNoticeOut(Done):
    """载入节假日安排的结果 — which year's State Council notice was loaded, from where."""

    year: int = Field(description="年度")
    source: str = Field(description="来源")
    replayed: Replayed = False


# ---------------------------------------------------------------- notices, budgets, users

class NoticeRowOut(Out):
    """公示批次 — a public notice and the claims it lists."""

    id: int
    title: str = Field(description="公示标题")
    publication_date: dt.date = Field(description="发布日期")
    working_days: int = Field(description="公示工作日数")
    end_date: dt.date = Field(description="公示截止日")
    provisional: bool = Field(description="截止日是否为暂定")
    claims: list[str] = Field(description="申请编号")


class NoticePageOut(PageOut[NoticeRowOut]):
    """公示列表 — one page of notices, newest first."""


class BudgetOut(Out):
    """预算指标 — a payer's appropriation for a year and program, and what is still available."""

    payer: str = Field(description="付款方代码")
    payer_name: str = Field(description="付款方名称")
    fiscal_year: int = Field(description="预算年度")
    program: str = Field(description="补助项目")
    appropriation: Yuan = Field(description="批复（元）")
    available: Yuan = Field(description="可用额度（元）")
    document_number: str = Field(description="文号")


class UserOut(Out):
    """用户 — a person who signs in, their role and whether they may."""

    username: str
    display_name: str = Field(description="姓名")
    role: Role
    jurisdiction: str | None = Field(description="辖区代码（区县用户）")
    active: bool = Field(description="是否启用")
    locked_until: Instant | None = Field(description="锁定至（ISO 8601）；未锁定时为 null")


# ---------------------------------------------------------------- the journal, the action log

class StageBalancesOut(Out):
    """各环节余额 — the amount standing in each stage of the procedure (``ledger.queries.STATE_ACCOUNTS``)."""

    filed: Yuan = Field(description="已申报（备查）")
    econ_reviewed: Yuan = Field(description="区级经信部门已审核（备查）")
    district_reviewed: Yuan = Field(description="区级财政部门已审核（备查）")
    audited: Yuan = Field(description="已审计（备查）")
    in_notice: Yuan = Field(description="公示中（备查）")
    objected: Yuan = Field(description="公示期有异议（备查）")
    committed: Yuan = Field(description="已承诺预算（党组会审定）")
    obligated: Yuan = Field(description="已下达预算")
    expended: Yuan = Field(description="已支出预算")
    appropriation_available: Yuan = Field(description="可用预算指标")
    recovery_receivable: Yuan = Field(description="应收追回款")


class BalancesOut(Out):
    """余额 — the stage balances as of a date, for the filters given."""

    as_of: dt.date | None = Field(description="截至日期；不限时为 null")
    payer: str | None = Field(description="付款方筛选")
    platform: str | None = Field(description="平台筛选")
    program: str | None = Field(description="项目筛选")
    balances: StageBalancesOut


class TrialBalanceRowOut(Out):
    """试算平衡表的一行 — one account's debits, credits and balance."""

    account: str = Field(description="科目代码")
    name: str = Field(description="科目名称")
    view: str = Field(description="financial 财务会计、budgetary 预算会计、memorandum 备查")
    debit: Yuan = Field(description="借方（元）")
    credit: Yuan = Field(description="贷方（元）")
    balance: Yuan = Field(description="余额（元，借方为正）")


class TrialBalanceOut(Out):
    """试算平衡表 — every account's debits, credits and balance, and the totals."""

    as_of: dt.date | None = Field(description="截至日期；不限时为 null")
    start: dt.date | None = Field(description="起始日期；不限时为 null")
    rows: list[TrialBalanceRowOut]
    total_debit: Yuan = Field(description="借方合计（元）")
    total_credit: Yuan = Field(description="贷方合计（元）")


class PostingOut(Out):
    """分录 — one leg of a journal entry."""

    account: str = Field(description="科目代码")
    amount: Yuan = Field(description="金额（元，借方为正、贷方为负）")
    payer: str | None = Field(description="付款方代码")
    program: str | None = Field(description="补助项目")
    fiscal_year: int | None = Field(description="预算年度")


class JournalEntryOut(Out):
    """记账凭证 — a balanced, hash-chained journal entry and its legs."""

    id: int
    date: dt.date = Field(description="记账日期")
    kind: str = Field(description="凭证类型")
    claim: str | None = Field(description="申请编号")
    description: str = Field(description="摘要")
    reverses: int | None = Field(description="冲销的凭证号")
    actor: str = Field(description="记账人")
    hash: str = Field(description="本凭证哈希（SHA-256）")
    prev_hash: str = Field(description="上一凭证哈希")
    postings: list[PostingOut] = Field(description="分录")


class JournalPageOut(PageOut[JournalEntryOut]):
    """记账凭证列表 — one page of journal entries, newest first."""


class ProjectionMismatchOut(Out):
    """投影不符 — an amount kept in a table that differs from the journal's (fen)."""

    table: str = Field(description="表")
    row_id: int | None = Field(description="行号（无记录时为空）")
    key: str = Field(description="业务键：申请编号、财政与凭证号等")
    field: str = Field(description="字段")
    journal_fen: int | None = Field(description="日记账重算值（分）")
    table_fen: int | None = Field(description="表中值（分）")
    text: str = Field(description="说明")


class VerifyOut(Out):
    """账链校验 — the hash chain recomputed: sound, or the first entry that does not match."""

    ok: bool = Field(description="账链是否完好")
    entries: int = Field(description="校验的凭证数")
    postings: int = Field(description="校验的分录数")
    first_bad: int | None = Field(description="第一笔不符的凭证号")
    problem: str = Field(description="不符之处")
    against: str = Field(description="校验依据：已签名的检查点，或没有检查点")
    projections: list[ProjectionMismatchOut] = Field(description="表中金额与日记账重算不符之处")


class ActionRecordOut(Out):
    """操作日志 — who did what, when, and how it ended (done, replayed, refused, forbidden …)."""

    id: int
    at: Instant = Field(description="时间（ISO 8601）")
    username: str = Field(description="用户名")
    role: str = Field(description="角色（登录失败时为空）")
    action: str = Field(description="事项")
    target: str = Field(description="对象")
    outcome: str = Field(description="结果：done、replayed、refused、forbidden …")
    detail: dict[str, Any] = Field(description="请求、错误或凭证号等细节（格式随事项而定）")


class ActionPageOut(PageOut[ActionRecordOut]):
    """操作日志列表 — one page of the action log, newest first."""
