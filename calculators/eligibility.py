"""Eligibility (申报条件): who may enter the Jiaxing pool, who may apply as a Shaoxing municipal platform.

* :func:`check_jiaxing_pool_entry` — 细则 第二章 二: equipment original value (设备原值) and team size
  against the rule set, plus conditions 1, 4, 5, 6, 7 as declarations the district confirms.
* :func:`check_shaoxing_municipal_platform` — 绍兴指引 四: registered in Shaoxing and operating one
  full year, independent legal person, ≥ 10 staff, external service revenue ≥ 15% of last year's
  service revenue, site ≥ 500 m², equipment ≥ 1000万 with leased equipment (and leased computing)
  counted at this year's lease amount within the 30% limit, no major incident in three years.

Every check returns an :class:`EligibilityReport` listing *every* criterion, passed or failed, with its
clause, what is required and what was found. Inputs are frozen pydantic models; amounts are decimal
yuan strings held as fen. Every threshold comes from the rule set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, ValidationError
from pydantic_core import PydanticCustomError

from calculators.errors import InputErrors, InputIssue
from calculators.evaluation import add_years
from calculators.formats import yuan_grouped
from calculators.money import AMOUNT_RULE, fen_to_yuan, rate_percent
from calculators.notice import WorkingCalendar, default_calendar, notice_period
from calculators.results import TraceStep
from calculators.rulesets.model import Options, Resolved, RuleBook, RuleSet
from calculators.scenario import ChangeReport, PoolNotice, ReEvaluation, Scenario, Yuan

INPUT_RULE = "认定条件的输入（docs/rules-evaluation.md）"
AREA_RULE = "面积以平方米为单位，写作十进制数字（不接受浮点数）"


def _area(v: Any) -> Decimal:
    if isinstance(v, (bool, float)):
        raise PydanticCustomError("area", f"面积须为不小于0的十进制数字（平方米），收到浮点数 {v!r}；请写成带引号的数字（如 \"1200.5\"）", {"rule": AREA_RULE})
    try:
        d = Decimal(v.strip() if isinstance(v, str) else v)
    except Exception:
        raise PydanticCustomError("area", f"面积须为不小于0的十进制数字（平方米），收到 {v!r}", {"rule": AREA_RULE}) from None
    if not d.is_finite() or d < 0:
        raise PydanticCustomError("area", f"面积须为不小于0的十进制数字（平方米），收到 {v!r}", {"rule": AREA_RULE})
    return d


SquareMetres = Annotated[Decimal, BeforeValidator(_area)]
"""An area in square metres: decimal string, int or Decimal; floats refused."""
Count = Annotated[StrictInt, Field(ge=0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class JiaxingPoolApplication(_Frozen):
    """An application to enter the Jiaxing cultivation pool (入库申报, 细则 第二章 二).

    Attributes:
        application_date: date filed; the rule set's values on this date apply.
        equipment_original_value: 平台设备原值, yuan.
        team_size: 中试服务人才团队人数.
        registered_and_operating / funding_capacity / management / service_record / safety_environment:
            conditions 1, 4, 5, 6, 7 as declared by the applicant and confirmed on review; the rule set's
            ``pool_entry.declarations`` says which are required and cites each.
    """

    application_date: date
    equipment_original_value: Yuan
    team_size: Count
    registered_and_operating: StrictBool
    funding_capacity: StrictBool
    management: StrictBool
    service_record: StrictBool
    safety_environment: StrictBool


class ShaoxingPlatformApplication(_Frozen):
    """An application to be recognised as a Shaoxing municipal platform (绍兴指引 四).

    Attributes:
        application_date: date filed (申报日).
        registered_city: city of registration (注册登记地), e.g. ``绍兴市``.
        registration_date: date registered (注册登记日); operating years run from it to the application.
        independent_legal_person / independent_management / funding_and_plan / good_credit: declared
            conditions (四 1, 3, 5, 6) as listed in ``municipal_platform.declarations``.
        staff: 中试人才队伍人数.
        service_revenue_last_year: 上一年度中试服务总收入, yuan.
        external_service_revenue_last_year: 其中对外中试服务收入, yuan.
        site_area_m2: 中试固定场地及配套设施面积, m².
        owned_equipment_value: 自有设备原值, yuan.
        leased_equipment_this_year: 申报当年租赁设备租赁金额, yuan.
        leased_computing_this_year: 申报当年租赁算力服务金额, yuan (counted as leased equipment).
        major_incidents: dates of major safety or quality accidents or serious environmental violations.
    """

    application_date: date
    registered_city: str
    registration_date: date
    independent_legal_person: StrictBool
    independent_management: StrictBool
    funding_and_plan: StrictBool
    good_credit: StrictBool
    staff: Count
    service_revenue_last_year: Yuan
    external_service_revenue_last_year: Yuan
    site_area_m2: SquareMetres
    owned_equipment_value: Yuan
    leased_equipment_this_year: Yuan = 0
    leased_computing_this_year: Yuan = 0
    major_incidents: list[date] = Field(default_factory=list)


def parse_application(model: type[_Frozen], data: Any) -> Any:
    """Validate ``data`` as ``model`` (an application class of this module); every problem at once."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(application)"
            ctx = err.get("ctx") or {}
            default = AMOUNT_RULE if err["type"] == "amount" else INPUT_RULE
            issues.append(InputIssue(loc, str(ctx.get("rule", default)), err["msg"]))
        raise InputErrors(issues) from None


@dataclass(frozen=True)
class Criterion:
    """One condition checked.

    Attributes:
        name: stable key, e.g. ``equipment_value``.
        title: the condition in Chinese.
        clause: the document and article it comes from.
        required: what the rule asks, in words and figures.
        actual: what the applicant has.
        passed: whether it is met.
    """

    name: str
    title: str
    clause: str
    required: str
    actual: str
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "clause": self.clause, "required": self.required,
                "actual": self.actual, "passed": self.passed}


@dataclass(frozen=True)
class EligibilityReport:
    """The verdict of an eligibility check: eligible only if every criterion passes.

    Attributes:
        check: ``jiaxing-pool-entry`` | ``shaoxing-municipal-platform``.
        rule_set: the rule set used.
        on: the date whose rule values were used (the application date).
        eligible: every criterion passed.
        criteria: every criterion, in the document's order.
        trace: how figures were counted (e.g. the leased-equipment limit), each step with its clause.
    """

    check: str
    rule_set: str
    on: date
    eligible: bool
    criteria: tuple[Criterion, ...]
    trace: tuple[TraceStep, ...] = ()

    @property
    def failed(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if not c.passed)

    def criterion(self, name: str) -> Criterion:
        for c in self.criteria:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "rule_set": self.rule_set, "on": self.on.isoformat(),
                "eligible": self.eligible, "criteria": [c.to_dict() for c in self.criteria],
                "failed": [c.name for c in self.failed], "trace": [t.to_dict() for t in self.trace]}


def _param(rs: RuleSet, name: str, on: date, options: Options | None) -> Resolved:
    if not rs.has(name):
        raise InputErrors.one("rule_set", f"{rs.short}：参数 {name}",
                              f"规则集 {rs.id} 没有参数 {name}，不能用于这项认定检查；请选择规定了认定条件的规则集")
    return rs.param(name, on, options)


def _yuan(fen: int) -> str:
    return f"{yuan_grouped(fen)} 元"


def _declarations(app: BaseModel, table: Resolved) -> list[Criterion]:
    """One criterion per declaration the rule set requires; its clause is the table's entry."""
    decl: Mapping[str, str] = table.value
    fields = type(app).model_fields
    unknown = [k for k in decl if k not in fields]
    if unknown:
        raise InputErrors.one("rule_set", table.cite(),
                              f"规则集要求的承诺事项 {'、'.join(unknown)} 不在申请表 {type(app).__name__} 中；请核对规则集的 "
                              "declarations")
    out = []
    for key, clause in decl.items():
        ok = getattr(app, key)
        title = clause.partition("：")[2] or clause
        out.append(Criterion(key, title, clause, "是（申报单位声明并经审核确认）", "是" if ok else "否", bool(ok)))
    return out


def _at_least(name: str, title: str, p: Resolved, actual: int | Decimal, unit: str) -> Criterion:
    minimum = p.value
    if unit == "元":
        return Criterion(name, title, p.cite(), f"≥ {_yuan(int(minimum))}", _yuan(int(actual)), actual >= minimum)
    return Criterion(name, title, p.cite(), f"≥ {minimum} {unit}", f"{actual} {unit}", actual >= minimum)


def check_jiaxing_pool_entry(
    app: JiaxingPoolApplication, rule_set: RuleSet, *, options: Options | None = None
) -> EligibilityReport:
    """Check an application to enter the Jiaxing cultivation pool (细则 第二章 二).

    Criteria, in the document's order: declaration 1; equipment original value ≥
    ``pool_entry.min_equipment_value`` (二 2); team ≥ ``pool_entry.min_team`` (二 3); declarations 4–7.
    """
    on = app.application_date
    decl = _declarations(app, _param(rule_set, "pool_entry.declarations", on, options))
    equipment = _at_least("equipment_value", "平台设备原值",
                          _param(rule_set, "pool_entry.min_equipment_value", on, options),
                          app.equipment_original_value, "元")
    team = _at_least("team_size", "中试服务人才团队人数", _param(rule_set, "pool_entry.min_team", on, options),
                     app.team_size, "人")
    # Document order: 1 (declared), 2 (equipment), 3 (team), then 4–7 (declared).
    first = [c for c in decl if c.name == "registered_and_operating"]
    rest = [c for c in decl if c.name != "registered_and_operating"]
    criteria = (*first, equipment, team, *rest)
    return EligibilityReport("jiaxing-pool-entry", rule_set.id, on, all(c.passed for c in criteria), criteria)


def lease_counted(owned: int, leased: int, share: Decimal, basis: str, threshold: int) -> tuple[int, int]:
    """The leased amount counted towards equipment value, and its limit, in fen (绍兴指引 四 4).

    ``of-total-counted``: L' ≤ share × (owned + L'), i.e. L' ≤ share / (1 − share) × owned, rounded
    down to the fen. ``of-threshold``: L' ≤ share × threshold, rounded down to the fen.
    """
    r = Fraction(share)
    if basis == "of-total-counted":
        limit = int(owned * r / (1 - r)) if r < 1 else leased
    elif basis == "of-threshold":
        limit = int(threshold * r)
    else:
        raise ValueError(f"unknown lease basis {basis!r}")
    return min(leased, limit), limit


# size: the six criteria of 绍兴指引 四 1–6 one after another, each reported, in the document's order
def check_shaoxing_municipal_platform(
    app: ShaoxingPlatformApplication, rule_set: RuleSet, *, options: Options | None = None
) -> EligibilityReport:
    """Check an application to be recognised as a Shaoxing municipal platform (绍兴指引 四 1–6).

    Every criterion is reported; the applicant is eligible only if all pass. The external revenue
    share is external / total service revenue of last year (no service revenue: not met).
    """
    on = app.application_date
    issues: list[InputIssue] = []
    if app.external_service_revenue_last_year > app.service_revenue_last_year:
        issues.append(InputIssue("external_service_revenue_last_year", "绍兴指引 四 3",
                                 f"上年度对外服务收入 {_yuan(app.external_service_revenue_last_year)}高于上年度服务总收入 "
                                 f"{_yuan(app.service_revenue_last_year)}；对外服务收入是服务总收入的一部分，请更正"))
    if app.registration_date > on:
        issues.append(InputIssue("registration_date", "绍兴指引 四 1",
                                 f"注册日期 {app.registration_date} 晚于申请日期 {on}；请核对注册日期"))
    if issues:
        raise InputErrors(issues)

    def p(name: str) -> Resolved:
        return _param(rule_set, f"municipal_platform.{name}", on, options)

    decl = {c.name: c for c in _declarations(app, p("declarations"))}
    criteria: list[Criterion] = []
    trace: list[TraceStep] = []

    city = p("registration_city")
    criteria.append(Criterion("registered_city", "在本市注册登记", city.cite(), str(city.value), app.registered_city,
                              app.registered_city.strip() == str(city.value)))
    years = p("min_operating_years")
    since = add_years(app.registration_date, int(years.value))
    criteria.append(Criterion(
        "operating_years", "正常经营年限", f"{years.cite()}（期间按民法典第二百零二条计算）",
        f"注册登记满{years.value}年（{since}起）", f"{app.registration_date}注册，{on}申报", on >= since))
    if "independent_legal_person" in decl:
        criteria.append(decl.pop("independent_legal_person"))

    criteria.append(_at_least("staff", "中试人才队伍人数", p("min_staff"), app.staff, "人"))

    share_p = p("min_external_revenue_share")
    share = Decimal(share_p.value)
    total, external = app.service_revenue_last_year, app.external_service_revenue_last_year
    if total == 0:
        actual, ok = "上一年度无中试服务收入", False
    else:
        ratio = Decimal(external) / Decimal(total)
        actual = (f"{_yuan(external)} / {_yuan(total)} = "
                  f"{format((ratio * 100).quantize(Decimal('0.01')), 'f')}%")
        ok = Decimal(external) >= share * Decimal(total)
    criteria.append(Criterion("external_revenue_share", "上一年度对外中试服务收入占比", share_p.cite(),
                              f"≥ {rate_percent(share)}", actual, ok))
    if "independent_management" in decl:
        criteria.append(decl.pop("independent_management"))

    criteria.append(_at_least("site_area", "中试固定场地及配套设施面积", p("min_site_area"), app.site_area_m2, "平方米"))

    minimum = p("min_equipment_value")
    lease_share = p("lease_max_share")
    basis = p("lease_cap_basis")
    computing = p("leased_computing_counts")
    leased = app.leased_equipment_this_year + (app.leased_computing_this_year if computing.value else 0)
    trace.append(TraceStep(
        "leased", computing.cite(),
        f"申报当年租赁金额：设备{yuan_grouped(app.leased_equipment_this_year)}元"
        + (f" + 算力服务{yuan_grouped(app.leased_computing_this_year)}元" if computing.value else "（算力服务不计入）")
        + f" = {yuan_grouped(leased)}元",
        {"leased": fen_to_yuan(leased)}))
    counted, limit = lease_counted(app.owned_equipment_value, leased, Decimal(lease_share.value), str(basis.value),
                                   int(minimum.value))
    how = ("不超过计入后设备原值总额的" if basis.value == "of-total-counted" else "不超过设备原值门槛的")
    trace.append(TraceStep(
        "lease-limit", f"{lease_share.cite()}；{basis.cite()}",
        f"租赁计入{how}{rate_percent(Decimal(lease_share.value))}：上限{yuan_grouped(limit)}元，计入{yuan_grouped(counted)}元",
        {"limit": fen_to_yuan(limit), "counted": fen_to_yuan(counted), "basis": str(basis.value)}))
    value = app.owned_equipment_value + counted
    criteria.append(Criterion(
        "equipment_value", "设备原值（含计入的租赁设备）", f"{minimum.cite()}；{lease_share.cite()}",
        f"≥ {_yuan(int(minimum.value))}",
        f"自有{_yuan(app.owned_equipment_value)} + 租赁计入{_yuan(counted)}"
        f"（申报当年租赁{_yuan(leased)}，上限{_yuan(limit)}） = {_yuan(value)}",
        value >= int(minimum.value)))
    if "funding_and_plan" in decl:
        criteria.append(decl.pop("funding_and_plan"))

    lookback = p("incident_lookback_years")
    start = add_years(on, -int(lookback.value))
    recent = sorted(d for d in app.major_incidents if start <= d <= on)
    criteria.append(Criterion(
        "no_major_incident", f"近{lookback.value}年未发生重大安全、质量事故或严重环境违法行为", lookback.cite(),
        f"{start}至{on}无", "、".join(str(d) for d in recent) if recent else "无", not recent))
    criteria.extend(decl.values())
    return EligibilityReport("shaoxing-municipal-platform", rule_set.id, on, all(c.passed for c in criteria),
                             tuple(criteria), tuple(trace))


# --------------------------------------------------------------------------------------------------
# The platform's record: events that carry a clause's consequence (docs/rules-evaluation.md)
# --------------------------------------------------------------------------------------------------

CL_RE_EVALUATION = "浙江方案 五：“成熟一个、认定一个、两年一复评”……对中试平台实行优胜劣汰动态管理"
CL_POOL_NOTICE = "细则 第二章 三（二）4：公示5个工作日无异议后，形成嘉兴市中试平台培育库名单"
CL_CHANGE_REPORT = "细则 第三章：相关法律手续办理完毕后30日内书面提交变更的申报材料"
RE_EVALUATION_OUT = ("不通过", "未参加")


@dataclass(frozen=True)
class Withdrawal:
    """A recognition ended by an event on the record: the platform is out at ``level`` from ``date``.

    Attributes:
        level: the level lost (``provincial``).
        date: the first day the platform no longer holds it.
        clause: the clause that ends it.
        note: what happened, in Chinese.
        recognitions: indices (in ``Scenario.recognitions``) of the recognitions it ends.
    """

    level: str
    date: date
    clause: str
    note: str
    recognitions: tuple[int, ...]


def withdrawals(scenario: Scenario) -> tuple[Withdrawal, ...]:
    """The recognitions a failed or missed provincial re-evaluation (复评不通过/未参加, 浙江方案 五) ends.

    A re-evaluation ends every provincial recognition dated on or before it and not already ended; a
    later provincial recognition (认定 again) is held again from its own date.
    """
    ended: set[int] = set()
    out: list[Withdrawal] = []
    for e in sorted((e for e in scenario.events if isinstance(e, ReEvaluation)), key=lambda e: e.date):
        if e.result not in RE_EVALUATION_OUT:
            continue
        hit = tuple(i for i, r in enumerate(scenario.recognitions)
                    if r.level == "provincial" and r.date <= e.date and i not in ended)
        if not hit:
            continue
        ended.update(hit)
        doc = f"（{e.document_number}）" if e.document_number else ""
        out.append(Withdrawal("provincial", e.date, CL_RE_EVALUATION,
                              f"省级中试平台复评{e.result}{doc}，自{e.date}起不再是省级中试平台", hit))
    return tuple(out)


@dataclass(frozen=True)
class PlatformRecord:
    """What the record's events say, checked: every step with its clause, and the flags raised.

    Attributes:
        steps: one step per event (and per re-evaluation due), in date order.
        flags: the steps that need attention (a late change report, a re-evaluation overdue).
        withdrawals: recognitions ended, with the day the platform is out.
    """

    steps: tuple[TraceStep, ...]
    flags: tuple[TraceStep, ...]
    withdrawals: tuple[Withdrawal, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [s.to_dict() for s in self.steps], "flags": [s.to_dict() for s in self.flags],
                "withdrawals": [{"level": w.level, "date": w.date.isoformat(), "clause": w.clause, "note": w.note}
                                for w in self.withdrawals]}


def _governing_param(book: RuleBook, name: str, on: date, options: Options | None, field: str) -> Resolved:
    """``name`` from the rule set in force on ``on`` that sets it (the latest one, if several)."""
    found = [rs for rs in sorted(book.rule_sets.values(), key=lambda r: r.in_force_from)
             if rs.has(name) and rs.in_force(on) and rs.parameters[name].at(on) is not None]
    if not found:
        raise InputErrors.one(field, f"参数 {name}", f"{on} 施行的规则集均未规定参数 {name}；请核对日期")
    return found[-1].param(name, on, options)


def platform_record(scenario: Scenario, book: RuleBook, options: Options | None = None,
                    calendar: WorkingCalendar | None = None) -> PlatformRecord:
    """Check the record's events and say what each means (细则 第二章 三（二）4, 第三章; 浙江方案 五).

    * a pool entry may not be dated within the notice period of the pool-entry notice before it;
    * a change report later than ``change_report.days`` after the change is flagged (no consequence
      is stated by the document);
    * a provincial re-evaluation needs a provincial recognition held that day; 不通过/未参加 ends it;
      a claim filed after a re-evaluation fell due with none recorded is flagged.

    Inconsistent records are refused (:class:`InputErrors`), every problem at once.
    """
    issues: list[InputIssue] = []
    steps: list[tuple[date, TraceStep, bool]] = []
    for k, e in enumerate(scenario.events):
        f = f"events[{k}]"
        try:
            if isinstance(e, PoolNotice):
                steps.append(_pool_notice(scenario, e, f, book, options, calendar, issues))
            elif isinstance(e, ChangeReport):
                steps.append(_change_report(e, f, book, options, issues))
        except InputErrors as exc:
            issues.extend(exc.issues)
    out = withdrawals(scenario)
    try:
        steps.extend(_re_evaluations(scenario, book, options, issues))
    except InputErrors as exc:
        issues.extend(exc.issues)
    if issues:
        raise InputErrors(issues)
    steps.sort(key=lambda s: s[0])
    return PlatformRecord(tuple(s for _, s, _ in steps), tuple(s for _, s, flag in steps if flag), out)


def _pool_notice(scenario: Scenario, e: PoolNotice, f: str, book: RuleBook, options: Options | None,
                 calendar: WorkingCalendar | None, issues: list[InputIssue]) -> tuple[date, TraceStep, bool]:
    """The pool-entry notice's period on the claims' working-day calendar; the entry after it must be later."""
    days = _governing_param(book, "pool_entry.notice_working_days", e.date, options, f"{f}.date")
    count = _governing_param(book, "notice.count_from", e.date, options, f"{f}.date")
    period = notice_period(e.date, working_days=int(days.value), count_from=str(count.value),
                           calendar=calendar or default_calendar(), working_days_clause=days.cite(),
                           count_from_clause=count.cite())
    doc = f"（{e.document_number}）" if e.document_number else ""
    entry = next(((k, s) for k, s in enumerate(scenario.pool) if s.entered >= e.date), None)
    provisional = "（截止日暂定：所涉年度节假日安排未载入）" if period.provisional else ""
    values = {"publication": e.date.isoformat(), "end": period.end.isoformat(),
              "provisional": str(period.provisional).lower()}
    if entry is None:
        note = f"入库公示{doc}：{e.date}发布，{period.working_days}个工作日，{period.end}届满{provisional}；尚未入库"
        return e.date, TraceStep("pool-notice", days.cite(), note, values), False
    k, spell = entry
    if spell.entered <= period.end:
        issues.append(InputIssue(f"pool[{k}].entered", days.cite(),
                                 f"入库日期{spell.entered}在入库公示期内（{e.date}发布，{period.end}届满{provisional}）；"
                                 "公示期满无异议后方可入库"))
    note = (f"入库公示{doc}：{e.date}发布，{period.working_days}个工作日，{period.end}届满{provisional}；"
            f"{spell.entered}入库（公示期满后）")
    return e.date, TraceStep("pool-notice", days.cite(), note, values | {"entered": spell.entered.isoformat()}), False


def _change_report(e: ChangeReport, f: str, book: RuleBook, options: Options | None,
                   issues: list[InputIssue]) -> tuple[date, TraceStep, bool]:
    """A change report: on time within ``change_report.days`` days after the change, else flagged."""
    days = _governing_param(book, "change_report.days", e.change_date, options, f"{f}.change_date")
    if e.date < e.change_date:
        issues.append(InputIssue(f"{f}.date", days.cite(), f"报告日期{e.date}早于变更日期{e.change_date}"))
    deadline = e.change_date + timedelta(days=int(days.value))  # 民法典第二百零一条: from the next day
    late = (e.date - deadline).days
    what = f"（{e.change}）" if e.change else ""
    values = {"change_date": e.change_date.isoformat(), "report_date": e.date.isoformat(),
              "deadline": deadline.isoformat(), "late_days": str(max(late, 0))}
    if late > 0:
        note = (f"重大事项变更{what}{e.change_date}办理完毕，报送期限至{deadline}，{e.date}报送，逾期{late}日"
                "（文件未规定逾期后果，仅记录并标注）")
        return e.date, TraceStep("change-report-late", days.cite(), note, values), True
    note = f"重大事项变更{what}{e.change_date}办理完毕，{e.date}书面报送（期限{deadline}）"
    return e.date, TraceStep("change-report", days.cite(), note, values), False


# size: every re-evaluation checked against the recognitions held, then the due dates flagged for claims
def _re_evaluations(scenario: Scenario, book: RuleBook, options: Options | None,
                    issues: list[InputIssue]) -> list[tuple[date, TraceStep, bool]]:
    """Each re-evaluation of a provincial platform, and each claim filed after one fell due unrecorded."""
    out: list[tuple[date, TraceStep, bool]] = []
    ended = {i: w for w in withdrawals(scenario) for i in w.recognitions}
    provincial = sorted((r.date, i) for i, r in enumerate(scenario.recognitions) if r.level == "provincial")
    events = sorted(((k, e) for k, e in enumerate(scenario.events) if isinstance(e, ReEvaluation)),
                    key=lambda ke: (ke[1].date, ke[0]))
    timeline: list[tuple[date, str, int]] = [(d, "recognition", i) for d, i in provincial]
    timeline += [(e.date, "re-evaluation", k) for k, e in events]
    timeline.sort(key=lambda t: (t[0], t[1] != "recognition"))
    held = False
    for on, what, idx in timeline:
        if what == "recognition":
            held = True
            continue
        e = scenario.events[idx]
        assert isinstance(e, ReEvaluation)
        interval = _governing_param(book, "re_evaluation.interval_years", on, options, f"events[{idx}].date")
        if not held:
            issues.append(InputIssue(f"events[{idx}]", interval.cite(), f"{on}不是省级中试平台，无从复评"))
            continue
        values = {"date": on.isoformat(), "result": e.result}
        if e.result in RE_EVALUATION_OUT:
            held = False
            out.append((on, TraceStep("re-evaluation", CL_RE_EVALUATION,
                                      f"省级中试平台复评{e.result}，自{on}起不再是省级中试平台，"
                                      "此后申报的省级平台补助不予支持", values), False))
            continue
        due = add_years(on, int(interval.value))
        out.append((on, TraceStep("re-evaluation", interval.cite(), f"省级中试平台复评通过，下次复评期限至{due}",
                                  values | {"next_due": due.isoformat()}), False))
    out.extend(_overdue(scenario, book, options, ended))
    return out


def _provincial_held(scenario: Scenario, on: date, ended: Mapping[int, Withdrawal]) -> list[date]:
    """The dates of the provincial recognitions still held on ``on`` (none withdrawn by then)."""
    return [r.date for i, r in enumerate(scenario.recognitions)
            if r.level == "provincial" and r.date <= on and not (i in ended and ended[i].date <= on)]


def _overdue(scenario: Scenario, book: RuleBook, options: Options | None,
             ended: Mapping[int, Withdrawal]) -> list[tuple[date, TraceStep, bool]]:
    """A claim filed while the provincial platform's re-evaluation is overdue (none recorded): flagged only."""
    out: list[tuple[date, TraceStep, bool]] = []
    passes = sorted(e.date for e in scenario.events if isinstance(e, ReEvaluation) and e.result == "通过")
    for c in sorted(scenario.claims, key=lambda c: c.application_date):
        on = c.application_date
        held = _provincial_held(scenario, on, ended)
        if not held:
            continue
        since = max([min(held), *(d for d in passes if d <= on)])
        try:
            interval = _governing_param(book, "re_evaluation.interval_years", since, options, "events")
        except InputErrors:
            continue  # recognised before the provincial plan: no re-evaluation cycle to count
        due = add_years(since, int(interval.value))
        if on > due:
            out.append((on, TraceStep("re-evaluation-overdue", interval.cite(),
                                      f"申请{c.id}（{on}）：省级中试平台复评期限至{due}，未见复评记录（仅标注，"
                                      "复评结果记录后按结果处理）", {"claim": c.id, "due": due.isoformat()}), True))
    return out
