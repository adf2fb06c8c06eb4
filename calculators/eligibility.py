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
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, ValidationError
from pydantic_core import PydanticCustomError

from calculators.errors import InputErrors, InputIssue
from calculators.evaluation import add_years
from calculators.money import AMOUNT_RULE, fen_to_yuan, rate_percent
from calculators.results import TraceStep
from calculators.rulesets.model import Options, Resolved, RuleSet
from calculators.scenario import Yuan

INPUT_RULE = "eligibility input (docs/rules-evaluation.md)"
AREA_RULE = "areas are decimal square metres (str, int or Decimal), never floats"


def _area(v: Any) -> Decimal:
    if isinstance(v, (bool, float)):
        raise PydanticCustomError("area", f"area {v!r} is a float; write it as a decimal string", {"rule": AREA_RULE})
    try:
        d = Decimal(v.strip() if isinstance(v, str) else v)
    except Exception:
        raise PydanticCustomError("area", f"{v!r} is not a decimal area", {"rule": AREA_RULE}) from None
    if not d.is_finite() or d < 0:
        raise PydanticCustomError("area", f"{v!r} is not a non-negative area", {"rule": AREA_RULE})
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
        raise InputErrors.one("rule_set", f"{rs.short}: parameter {name}",
                              f"rule set {rs.id} has no parameter {name}; it cannot be used for this check")
    return rs.param(name, on, options)


def _yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen)} 元"


def _declarations(app: BaseModel, table: Resolved) -> list[Criterion]:
    """One criterion per declaration the rule set requires; its clause is the table's entry."""
    decl: Mapping[str, str] = table.value
    fields = type(app).model_fields
    unknown = [k for k in decl if k not in fields]
    if unknown:
        raise InputErrors.one("rule_set", table.cite(),
                              f"declarations {', '.join(unknown)} required by the rule set are not fields of "
                              f"{type(app).__name__}")
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
                                 "external service revenue is part of total service revenue and cannot exceed it"))
    if app.registration_date > on:
        issues.append(InputIssue("registration_date", "绍兴指引 四 1",
                                 f"registered on {app.registration_date}, after the application date {on}"))
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
        f"申报当年租赁金额：设备{fen_to_yuan(app.leased_equipment_this_year)}元"
        + (f" + 算力服务{fen_to_yuan(app.leased_computing_this_year)}元" if computing.value else "（算力服务不计入）")
        + f" = {fen_to_yuan(leased)}元",
        {"leased": fen_to_yuan(leased)}))
    counted, limit = lease_counted(app.owned_equipment_value, leased, Decimal(lease_share.value), str(basis.value),
                                   int(minimum.value))
    how = ("不超过计入后设备原值总额的" if basis.value == "of-total-counted" else "不超过设备原值门槛的")
    trace.append(TraceStep(
        "lease-limit", f"{lease_share.cite()}；{basis.cite()}",
        f"租赁计入{how}{rate_percent(Decimal(lease_share.value))}：上限{fen_to_yuan(limit)}元，计入{fen_to_yuan(counted)}元",
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
