"""One-time provincial subsidy for a newly recognised provincial platform (新认定省级中试平台一次性补助).

浙政办发〔2025〕24号 中试平台方案 四.14 (seed 003): 对新认定的省级中试平台，省财政按其新投入设备等因素给予
一次性补助，最高不超过1000万元。

- Trigger: the platform's first provincial recognition (新认定); its date picks the rule set, so a
  platform first recognised before the 浙江方案 came into force is not newly recognised under it.
- Amount: decided by the province (按其新投入设备等因素), so it is recorded, not derived:
  ``claims[i].recorded_amount`` is required and is capped at ``new_provincial.max``.
- Once (``new_provincial.max_times``). Paid in full by the provincial finance (省财政).
"""

from __future__ import annotations

from calculators.errors import InputErrors
from calculators.facts import Facts, Trigger
from calculators.formats import yuan_grouped
from calculators.programs.base import ClaimContext, ProgramOutcome, first_recognition
from calculators.results import CapInfo
from calculators.rulesets.model import Options, RuleSet
from calculators.scenario import ClaimInput

PROGRAM = "zj-new-provincial"


def find_trigger(facts: Facts, claim: ClaimInput, rs: RuleSet, options: Options) -> Trigger | None:
    return first_recognition(facts, claim, rs, PROGRAM, "provincial", "新认定为省级中试平台")


def compute(ctx: ClaimContext) -> ProgramOutcome:
    top = ctx.p("new_provincial.max")
    recorded = ctx.claim.recorded_amount
    if recorded is None:
        raise InputErrors.one(f"{ctx.field}.recorded_amount", top.cite(),
                              "补助金额由省财政按新投入设备等因素确定，须填写省里确定的金额（recorded_amount）")
    clause = ctx.rule_set.programs[PROGRAM].clause
    if ctx.trigger is None:
        ctx.step("recognition", clause, f"截至{ctx.on}未认定为省级中试平台")
        return ProgramOutcome.ineligible(f"截至申报日{ctx.on}未认定为省级中试平台（{clause}）")
    ctx.step("recognition", ctx.trigger.clause, ctx.trigger.description, date=ctx.trigger.date)

    done = ctx.already_received(PROGRAM, ctx.p("new_provincial.max_times"), recorded,
                                "已由申请 {claim} 获得一次性补助", "一次性补助已由申请 {claim} 获得")
    if done:
        return done
    ctx.step("recorded", clause, "补助金额由省财政按新投入设备等因素确定，按记录金额计（不由本系统推算）",
             recorded_fen=recorded)

    limit = int(top.value)
    entitled = min(recorded, limit)
    ctx.step("cap", top.cite(), "一次性补助最高额", limit_fen=limit, recorded_fen=recorded, entitled_fen=entitled)
    reasons: tuple[str, ...] = ()
    if entitled < recorded:
        reasons = (f"记录金额超过最高额{yuan_grouped(limit)}元，超出部分{yuan_grouped(recorded - entitled)}元不予补助"
                   f"（{top.cite()}）",)
    return ProgramOutcome("computed", recorded, entitled, CapInfo(level="provincial", limit=limit, used=0, headroom=limit, clause=top.cite()), reasons)
