"""The budget forecast (预算测算) at the edge: the request, the response and the one action the API route
and the page call (``forecast.read``: the city bureau and city finance; docs/service.md).

Writes nothing. A bad what-if, plan or draft is refused (422) in Chinese naming the field and the rule,
before anything is computed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from app.actions import Context, _parsed
from app.permissions import authorize
from app.responses import Out, Yuan
from app.schemas import Body
from app.schemas import Yuan as YuanIn
from calculators.forecast import Forecast, WhatIf, parse_plan
from calculators.money import parse_yuan
from ledger.forecast import ForecastRun

ACTION = "forecast.read"
Key = Annotated[str, StringConstraints(min_length=1, max_length=80)]
Value = Annotated[str, StringConstraints(max_length=200)]


class PlanItemIn(Body):
    """One year of a platform's declared equipment investment (投资计划)."""

    platform: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(description="平台编号")
    year: int = Field(ge=2000, le=2100, description="年度")
    amount: YuanIn = Field(description="计划设备投资（元，不含税）")


class ScenarioIn(Body):
    """A what-if (假设测算): parameters, readings, a forced rule set or a draft rule set (YAML text)."""

    title: Annotated[str, StringConstraints(min_length=1, max_length=40)] = "假设测算"
    what_if: dict[Key, Value] = Field(default_factory=dict, description="参数假设，如 equipment.rate: 0.25")
    readings: dict[Key, Value] = Field(default_factory=dict, description="解读选项（docs/readings.md）")
    rule_set: Annotated[str, StringConstraints(max_length=40)] | None = Field(None, description="新增申请适用的规则集")
    draft: Annotated[str, StringConstraints(max_length=200_000)] | None = Field(None, description="规则集草案（YAML）")


class ForecastIn(Body):
    """预算测算的条件: first budget year, the plans, the extrapolation (解读 R-48) and an optional what-if."""

    first_year: int | None = Field(None, ge=2000, le=2100, description="第一个预算年度（默认：明年）")
    extrapolation: Literal["mean-3", "last", "none"] = Field("mean-3", description="未申报投资计划年度的外推方法")
    plan: list[PlanItemIn] = Field(default_factory=list, max_length=100_000, description="投资计划")
    what_if: ScenarioIn | None = Field(None, description="与现行规则对比的假设")


class ForecastRowOut(Out):
    """测算行 — one program and payer: the payables per budget year."""

    program: str = Field(description="补助项目代码")
    program_title: str = Field(description="补助项目")
    payer: str = Field(description="出资方代码")
    payer_name: str = Field(description="出资方")
    amounts: list[Yuan] = Field(description="各预算年度金额（元），与 years 对应")
    total: Yuan = Field(description="合计（元）")


class SkippedOut(Out):
    """未能测算 — a projected claim (or a platform) the engine refused, with its reason."""

    platform: str = Field(description="平台编号")
    what: str = Field(description="未能测算的申请（或平台）")
    reason: str = Field(description="原因")


class ForecastScenarioOut(Out):
    """测算口径 — one scenario's forecast."""

    title: str = Field(description="测算口径")
    description: str = Field(description="口径说明")
    years: list[int] = Field(description="预算年度")
    rows: list[ForecastRowOut] = Field(description="按补助项目和出资方")
    payers: list[ForecastRowOut] = Field(description="按出资方（各项目合计）")
    by_source: dict[str, list[Yuan]] = Field(description="按来源：已审定未拨付、在途申请、测算新增")
    total: Yuan = Field(description="合计（元）")
    platforms: int = Field(description="平台数")
    fallbacks: int = Field(description="批量引擎交由逐项引擎计算的平台次数")
    skipped: list[SkippedOut] = Field(description="未能测算的申请")


class ForecastOut(Out):
    """预算测算 — the current rules and, if asked, a what-if beside them."""

    as_of: str = Field(description="台账截至日期")
    first_year: int = Field(description="第一个预算年度")
    notes: list[str] = Field(description="测算规则")
    scenarios: list[ForecastScenarioOut] = Field(description="测算口径：现行规则在前")

    @classmethod
    def of_run(cls, run: ForecastRun) -> ForecastOut:
        from reports.forecast import notes

        return cls(as_of=run.as_of.isoformat(), first_year=run.first_year, notes=notes(run),
                   scenarios=[scenario_out(f) for f in run.forecasts])


def scenario_out(f: Forecast) -> ForecastScenarioOut:
    from reports.forecast import payer_rows, summary_rows, what_if_text

    def row(r: object) -> ForecastRowOut:
        return ForecastRowOut.model_validate(r, from_attributes=True)

    return ForecastScenarioOut(
        title=f.what_if.title, description=what_if_text(f.what_if), years=list(f.years),
        rows=[row(r) for r in summary_rows(f)], payers=[row(r) for r in payer_rows(f)],
        by_source={k: [str(v) for v in by_year.values()] for k, by_year in _yuan_by_source(f).items()},
        total=str(_yuan(f.total())), platforms=f.platforms, fallbacks=f.fallbacks,
        skipped=[SkippedOut(platform=s.platform, what=s.what, reason=s.reason) for s in f.skipped])


def _yuan(fen: int) -> str:
    from calculators.formats import yuan

    return yuan(fen)


def _yuan_by_source(f: Forecast) -> dict[str, dict[int, str]]:
    from calculators.forecast import SOURCE_WORDS

    return {SOURCE_WORDS[k]: {y: _yuan(v) for y, v in by_year.items()} for k, by_year in f.by_source().items()}


def what_ifs(body: ForecastIn) -> tuple[WhatIf, ...]:
    current = WhatIf("现行规则", extrapolation=body.extrapolation)
    w = body.what_if
    if w is None or not (w.what_if or w.readings or w.rule_set or w.draft):
        return (current,)
    return current, WhatIf(w.title, readings=w.readings, what_if=w.what_if, rule_set=w.rule_set or None,
                           draft=w.draft or None, extrapolation=body.extrapolation)


def plans_of(body: ForecastIn) -> dict[str, dict[int, int]]:
    out: dict[str, dict[int, int]] = {}
    for k, item in enumerate(body.plan):
        out.setdefault(item.platform, {})[item.year] = parse_yuan(item.amount, field=f"plan[{k}].amount")
    return out


def forecast(ctx: Context, body: ForecastIn, *, plan_csv: str | None = None) -> ForecastRun:
    """预算测算 of the whole ledger (``forecast.read``); ``plan_csv``: a plan file uploaded on the page."""
    from ledger.forecast import run
    from ledger.services import today

    authorize(ctx.who, ACTION)
    plans = _parsed(lambda: parse_plan(plan_csv)) if plan_csv else _parsed(lambda: plans_of(body))
    scenarios = what_ifs(body)
    with ctx.read(snapshot=True) as session:
        return _parsed(lambda: run(session, scenarios, as_of=today(), first_year=body.first_year, plans=plans))


__all__ = ["ACTION", "ForecastIn", "ForecastOut", "forecast"]
