"""Award for a provincial platform (省级制造业中试平台1000万元奖励).

实施方案 二（一）6 (seed 001): 对成功入围省级制造业中试平台的，给予1000万元奖励。

- Trigger: the platform's first provincial recognition (入围省级); its date picks the rule set.
- Amount: ``provincial_award.amount``, once per platform (``provincial_award.max_times``).
"""

from __future__ import annotations

from calculators.facts import Facts, Trigger
from calculators.programs.base import ClaimContext, ProgramOutcome, first_recognition
from calculators.rulesets.model import Options, RuleSet
from calculators.scenario import ClaimInput

PROGRAM = "provincial-award"


def find_trigger(facts: Facts, claim: ClaimInput, rs: RuleSet, options: Options) -> Trigger | None:
    return first_recognition(facts, claim, rs, PROGRAM, "provincial", "入围省级制造业中试平台")


def compute(ctx: ClaimContext) -> ProgramOutcome:
    amount = ctx.p("provincial_award.amount")
    times = ctx.p("provincial_award.max_times")
    clause = ctx.rule_set.programs[PROGRAM].clause
    if ctx.trigger is None:
        ctx.step("recognition", clause, f"截至{ctx.on}未入围省级制造业中试平台")
        return ProgramOutcome.ineligible(f"截至申报日{ctx.on}未入围省级制造业中试平台（{clause}）")
    ctx.step("recognition", ctx.trigger.clause, ctx.trigger.description, date=ctx.trigger.date)
    gross = int(amount.value)
    done = ctx.already_received(PROGRAM, times, gross, "已由申请 {claim} 获得奖励，每个平台奖励{times}次",
                                "省级平台奖励已由申请 {claim} 获得")
    if done:
        return done
    ctx.step("amount", amount.cite(), "入围省级制造业中试平台奖励", gross_fen=gross)
    return ProgramOutcome("computed", gross, gross)
