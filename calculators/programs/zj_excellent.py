"""Provincial award for a provincial platform graded 优秀 (省级中试平台年度绩效优秀奖励).

浙政办发〔2025〕24号 中试平台方案 四.14 (seed 003): 对年度绩效考核结果为优秀的省级中试平台，省财政给予每个
100万元奖励，3年内最多奖励一次。

- Trigger: the provincial annual evaluation (scheme ``zhejiang``) of ``claims[i].evaluation_year``
  (required), published by the application date; its date picks the rule set.
- Eligible: grade ``excellent.grade`` (优秀), and on the evaluation's date the platform's highest level is
  provincial (reading ``excellent.level_scope``; the alternative also admits a platform upgraded to national).
- At most once in any ``excellent.once_in_years`` (3) evaluation years: a claim pays only if no award was
  paid for an evaluation year less than 3 years away — 2026 and 2028 → only 2026 pays; 2026 and 2029 → both.
- One claim per evaluation year; a second is refused.
"""

from __future__ import annotations

from calculators.errors import InputErrors
from calculators.facts import Facts, Trigger
from calculators.programs.base import ClaimContext, ProgramOutcome
from calculators.rulesets.model import Options, RuleSet
from calculators.scenario import ClaimInput, EvaluationRecord

PROGRAM = "zj-excellent"
SCHEME = "zhejiang"
LEVEL_NAMES = {"national": "国家级", "provincial": "省级", "municipal": "市级"}


def _evaluation(facts: Facts, claim: ClaimInput) -> EvaluationRecord | None:
    found = [e for e in facts.evaluations_until(claim.application_date, SCHEME) if e.year == claim.evaluation_year]
    return max(found, key=lambda e: e.date) if found else None


def find_trigger(facts: Facts, claim: ClaimInput, rs: RuleSet, options: Options) -> Trigger | None:
    if claim.evaluation_year is None:
        return None
    ev = _evaluation(facts, claim)
    if ev is None:
        return None
    return Trigger(f"zj-evaluation:{ev.year}", ev.date,
                   f"{ev.year}年度省级中试平台绩效考核结果：{ev.grade}（{ev.date}公布）", rs.programs[PROGRAM].clause)


# size: the award's conditions in the order of the provincial document (year, grade, level, once only), each traced
def compute(ctx: ClaimContext) -> ProgramOutcome:
    claim, clause = ctx.claim, ctx.rule_set.programs[PROGRAM].clause
    year = claim.evaluation_year
    if year is None:
        raise InputErrors.one(f"{ctx.field}.evaluation_year", clause,
                              "优秀奖励按省级年度绩效考核结果发放，须填写所依据的考核年度（evaluation_year）")
    ev = _evaluation(ctx.facts, claim)
    if ctx.trigger is None or ev is None:
        ctx.step("evaluation", clause, f"截至{ctx.on}无{year}年度省级绩效考核结果")
        return ProgramOutcome.ineligible(f"截至申报日{ctx.on}无{year}年度省级中试平台绩效考核结果（{clause}）")
    ctx.step("evaluation", ctx.trigger.clause, ctx.trigger.description, year=year, grade=ev.grade)

    grade = ctx.p("excellent.grade")
    ctx.step("grade", grade.cite(), f"考核结果“{ev.grade}”" + ("符合" if ev.grade == grade.value else "不是")
             + f"获奖等级“{grade.value}”", grade=ev.grade)
    if ev.grade != grade.value:
        return ProgramOutcome.ineligible(f"{year}年度考核结果为“{ev.grade}”，不是“{grade.value}”（{grade.cite()}）")

    scope = ctx.p("excellent.level_scope")
    held = ctx.facts.highest_level(ev.date)
    level = held[1].level if held else None
    allowed = ("provincial", "national") if scope.value == "provincial-or-national" else ("provincial",)
    ctx.step("level", scope.cite(), f"考核结果公布之日平台最高级别：{LEVEL_NAMES.get(level or '', '无')}",
             level=level or "", reading=scope.value)
    if level not in allowed:
        why = "已升级为国家级中试平台，不再作为省级中试平台获此奖励" if level == "national" else "不是省级中试平台"
        return ProgramOutcome.ineligible(f"{year}年度考核结果公布时（{ev.date}）{why}（{scope.cite()}）")

    by_id = {c.id: c for c in ctx.scenario.claims}
    counted = [r for r in ctx.state.prior(PROGRAM) if r.status != "ineligible"]
    same = [r.claim_id for r in counted if by_id[r.claim_id].evaluation_year == year]
    window = ctx.p("excellent.once_in_years")
    if same:
        raise InputErrors.one(f"{ctx.field}.evaluation_year", window.cite(),
                              f"{year}年度优秀奖励已由申请 {same[0]} 申报，同一年度不得重复申报")

    amount = ctx.p("excellent.amount")
    gross = int(amount.value)
    n = int(window.value)
    near = [(r.claim_id, y) for r in counted if r.entitled > 0
            and (y := by_id[r.claim_id].evaluation_year) is not None and abs(y - year) < n]
    if near:
        cid, y = near[0]
        ctx.step("once-in-years", window.cite(),
                 f"{y}年度已由申请 {cid} 获得优秀奖励，与{year}年度相距不足{n}年，{n}年内最多奖励一次",
                 gross_fen=gross, entitled_fen=0)
        return ProgramOutcome("computed", gross, 0,
                              reasons=(f"{n}年内最多奖励一次：{y}年度已由申请 {cid} 获得奖励（{window.cite()}）",))
    ctx.step("once-in-years", window.cite(), f"相距{n}年之内没有已获奖励的考核年度")
    ctx.step("amount", amount.cite(), "年度绩效考核优秀奖励", gross_fen=gross)
    return ProgramOutcome("computed", gross, gross)
