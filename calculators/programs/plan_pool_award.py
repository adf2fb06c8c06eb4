"""Annual award for cultivation-pool platforms (培育库平台年度绩效奖励, 连续三年不超过300万元).

实施方案 二（一）6 (seed 001): 对列入嘉兴市制造业中试平台培育库的，根据年度绩效考核给予连续三年不超过
300万元的奖励。

- Trigger: the pool entry (列入培育库) of the spell the platform was in when the evaluation the claim rests
  on (``claims[i].evaluation_year``, scheme ``jiaxing``) was published; the entry date picks the rule set,
  so a platform listed while the 实施方案 was in force keeps its three years under it.
- Span: ``pool_award.years`` consecutive evaluation years from the entry year (reading
  ``pool_award.first_year``: the entry year, default, or the year after); other years pay nothing.
- Amount: ``pool_award.by_grade`` [grade] — the document gives no per-grade amounts, so the table is
  ``null`` and the program raises :class:`ParameterNotSupplied` unless a what-if supplies it.
- One claim per evaluation year (a second one is refused); the platform's pool awards together never
  exceed ``pool_award.total_cap`` — a claim crossing it is paid up to it, with the reason.
"""

from __future__ import annotations

from typing import get_args

from calculators.errors import InputErrors, InputIssue, ParameterNotSupplied
from calculators.facts import Facts, Trigger
from calculators.formats import yuan_grouped
from calculators.programs.base import ClaimContext, ProgramOutcome
from calculators.results import CapInfo
from calculators.rulesets.model import Options, Resolved, RuleSet
from calculators.scenario import ClaimInput, EvaluationRecord, Grade, PoolSpell

PROGRAM = "pool-award"
SCHEME = "jiaxing"
TABLE = "pool_award.by_grade"


def _evaluation(facts: Facts, claim: ClaimInput) -> EvaluationRecord | None:
    """The latest published evaluation of ``evaluation_year`` (scheme jiaxing) by the application date."""
    found = [e for e in facts.evaluations_until(claim.application_date, SCHEME) if e.year == claim.evaluation_year]
    return max(found, key=lambda e: e.date) if found else None


def _spell(facts: Facts, claim: ClaimInput) -> PoolSpell | None:
    """The pool spell the claim rests on: the one the evaluation was published in, else the latest entered."""
    ev = _evaluation(facts, claim) if claim.evaluation_year is not None else None
    if ev is not None and (spell := facts.pool_spell_on(ev.date)) is not None:
        return spell
    entered = [s for s in facts.scenario.pool if s.entered <= claim.application_date]
    return max(entered, key=lambda s: s.entered) if entered else None


def find_trigger(facts: Facts, claim: ClaimInput, rs: RuleSet, options: Options) -> Trigger | None:
    spell = _spell(facts, claim)
    if spell is None:
        return None
    return Trigger(f"pool:{spell.entered.isoformat()}", spell.entered,
                   f"列入嘉兴市制造业中试平台培育库（{spell.document_number or '无文号'}，{spell.entered}）",
                   rs.programs[PROGRAM].clause)


def grade_table(ctx: ClaimContext) -> Resolved:
    """``pool_award.by_grade`` as supplied by a what-if, or by the rule set if it ever gets a value.

    Raises :class:`ParameterNotSupplied` when neither gives one: the document sets no per-grade amounts.
    """
    rs = ctx.rule_set
    param = rs.parameters.get(TABLE)
    dated = [dv for dv in param.values if dv.covers(ctx.on)] if param else []
    if param and not dated:
        dated = [param.values[-1]]
    clause = dated[-1].clause if dated else rs.programs[PROGRAM].clause
    for key in (f"{rs.id}:{TABLE}", TABLE):
        if key in ctx.options.overrides:
            table = ctx.options.overrides[key]
            allowed = set(get_args(Grade))
            bad = [InputIssue(f"what_if.{key}.{g}", clause, f"{g!r} 不是绩效考核等级；可用：{'、'.join(sorted(allowed))}")
                   for g in table if g not in allowed]
            if bad:
                raise InputErrors(bad)
            return Resolved(TABLE, table, clause, "what-if")
    if dated and dated[-1].value is not None:
        return Resolved(TABLE, dated[-1].value, clause)
    cap = ctx.p("pool_award.total_cap")
    raise ParameterNotSupplied(
        rs.id, TABLE,
        f"培育库奖励各考核等级的金额文件未规定（{clause}），只规定了 {ctx.p('pool_award.years').value} 年合计 "
        f"{yuan_grouped(int(cap.value))} 元；请先以参数假设给出各等级金额再计算，例如 "
        f"what_if: {{\"{TABLE}\": {{\"优秀\": \"1000000.00\", \"良好\": \"500000.00\"}}}}",
    )


def compute(ctx: ClaimContext) -> ProgramOutcome:
    claim, clause = ctx.claim, ctx.rule_set.programs[PROGRAM].clause
    year = claim.evaluation_year
    if year is None:
        raise InputErrors.one(f"{ctx.field}.evaluation_year", clause,
                              "培育库奖励按年度绩效考核发放，须填写所依据的考核年度（evaluation_year）")
    if ctx.trigger is None:
        ctx.step("pool", clause, f"截至{ctx.on}未列入培育库")
        return ProgramOutcome.ineligible(f"截至申报日{ctx.on}未列入嘉兴市制造业中试平台培育库（{clause}）")
    ctx.step("pool", ctx.trigger.clause, ctx.trigger.description, entered=ctx.trigger.date)

    ev = _evaluation(ctx.facts, claim)
    if ev is None:
        ctx.step("evaluation", clause, f"截至{ctx.on}无{year}年度绩效考核结果")
        return ProgramOutcome.ineligible(f"截至申报日{ctx.on}无{year}年度培育库绩效考核结果（{clause}）")
    spell = ctx.facts.pool_spell_on(ev.date)
    if spell is None:
        ctx.step("evaluation", clause, f"{year}年度考核结果公布时（{ev.date}）平台不在培育库")
        return ProgramOutcome.ineligible(f"{year}年度考核结果公布时（{ev.date}）平台不在培育库（{clause}）")
    ctx.step("evaluation", clause, f"{year}年度绩效考核结果：{ev.grade}（{ev.date}公布）",
             year=year, grade=ev.grade, score=ev.score or "")

    n = ctx.p("pool_award.years")
    first = ctx.p("pool_award.first_year")
    start = spell.entered.year + (1 if first.value == "year-after-entry" else 0)
    span = list(range(start, start + int(n.value)))
    ctx.step("span", first.cite(), f"{spell.entered}入库，连续{n.value}年为{span[0]}—{span[-1]}年度",
             first_year=span[0], last_year=span[-1], reading=first.value)
    if year not in span:
        return ProgramOutcome.ineligible(
            f"{year}年度不在入库后连续{n.value}年（{span[0]}—{span[-1]}年度）之内（{n.cite()}）")

    by_id = {c.id: c for c in ctx.scenario.claims}
    same = [r.claim_id for r in ctx.state.prior(PROGRAM)
            if r.status != "ineligible" and by_id[r.claim_id].evaluation_year == year]
    if same:
        raise InputErrors.one(f"{ctx.field}.evaluation_year", f"{clause}：根据年度绩效考核（每个考核年度奖励一次）",
                              f"{year}年度绩效考核奖励已由申请 {same[0]} 申报，同一年度不得重复申报")

    table = grade_table(ctx)
    if ev.grade not in table.value:
        ctx.step("grade", table.cite(), f"奖励表中没有“{ev.grade}”等级，不予奖励",
                 grades="、".join(table.value))
        return ProgramOutcome.ineligible(f"{year}年度考核等级“{ev.grade}”无奖励（{table.cite()}）")
    gross = int(table.value[ev.grade])
    ctx.step("grade", table.cite(), f"按考核等级“{ev.grade}”确定年度奖励", grade=ev.grade, gross_fen=gross)

    cap_p = ctx.p("pool_award.total_cap")
    limit = int(cap_p.value)
    used = ctx.state.entitled.get(PROGRAM, 0)
    headroom = max(0, limit - used)
    entitled = min(gross, headroom)
    ctx.step("cap", cap_p.cite(), f"连续{n.value}年奖励累计上限；已累计{yuan_grouped(used)}元，剩余额度",
             limit_fen=limit, used_fen=used, headroom_fen=headroom, entitled_fen=entitled)
    reasons: tuple[str, ...] = ()
    if entitled < gross:
        reasons = (f"培育库奖励累计达到上限{yuan_grouped(limit)}元，超出部分{yuan_grouped(gross - entitled)}元不予奖励"
                   f"（{cap_p.cite()}）",)
    return ProgramOutcome("computed", gross, entitled, CapInfo(level="pool", limit=limit, used=used, headroom=headroom, clause=cap_p.cite()), reasons)

