"""Award for a provincial platform (省级制造业中试平台1000万元奖励).

实施方案 二（一）6 (seed 001): 对成功入围省级制造业中试平台的，给予1000万元奖励。

- Trigger: the platform's first provincial recognition (入围省级); its date picks the rule set.
- Amount: ``provincial_award.amount``, once per platform (``provincial_award.max_times``).
"""

from __future__ import annotations

from calculators.facts import Facts, Trigger, recognition_key
from calculators.programs.base import ClaimContext, ProgramOutcome
from calculators.rulesets.model import Options, RuleSet
from calculators.scenario import ClaimInput

PROGRAM = "provincial-award"


def find_trigger(facts: Facts, claim: ClaimInput, rs: RuleSet, options: Options) -> Trigger | None:
    found = facts.first_at_level("provincial", claim.application_date)
    if found is None:
        return None
    i, r = found
    return Trigger(recognition_key(r, i), r.date,
                   f"入围省级制造业中试平台（{r.document_number or '无文号'}，{r.date}）",
                   rs.programs[PROGRAM].clause)


def compute(ctx: ClaimContext) -> ProgramOutcome:
    amount = ctx.p("provincial_award.amount")
    times = ctx.p("provincial_award.max_times")
    clause = ctx.rule_set.programs[PROGRAM].clause
    if ctx.trigger is None:
        ctx.step("recognition", clause, f"截至{ctx.on}未入围省级制造业中试平台")
        return ProgramOutcome.ineligible(f"截至申报日{ctx.on}未入围省级制造业中试平台（{clause}）")
    ctx.step("recognition", ctx.trigger.clause, ctx.trigger.description, date=ctx.trigger.date)
    gross = int(amount.value)
    earlier = [r for r in ctx.state.prior(PROGRAM) if r.status != "ineligible" and r.entitled > 0]
    if len(earlier) >= int(times.value):
        ctx.step("once", times.cite(), f"已由申请 {earlier[0].claim_id} 获得奖励，每个平台奖励{times.value}次",
                 gross_fen=gross, entitled_fen=0)
        return ProgramOutcome("computed", gross, 0,
                              reasons=(f"省级平台奖励已由申请 {earlier[0].claim_id} 获得（{times.cite()}）",))
    ctx.step("amount", amount.cite(), "入围省级制造业中试平台奖励", gross_fen=gross)
    return ProgramOutcome("computed", gross, gross)
