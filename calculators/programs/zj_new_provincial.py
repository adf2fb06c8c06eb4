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
from calculators.facts import Facts, Trigger, recognition_key
from calculators.money import fen_to_yuan
from calculators.programs.base import ClaimContext, ProgramOutcome
from calculators.results import CapInfo
from calculators.rulesets.model import Options, RuleSet
from calculators.scenario import ClaimInput

PROGRAM = "zj-new-provincial"


def find_trigger(facts: Facts, claim: ClaimInput, rs: RuleSet, options: Options) -> Trigger | None:
    found = facts.first_at_level("provincial", claim.application_date)
    if found is None:
        return None
    i, r = found
    return Trigger(recognition_key(r, i), r.date,
                   f"新认定为省级中试平台（{r.document_number or '无文号'}，{r.date}）", rs.programs[PROGRAM].clause)


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

    times = ctx.p("new_provincial.max_times")
    earlier = [r for r in ctx.state.prior(PROGRAM) if r.status != "ineligible" and r.entitled > 0]
    if len(earlier) >= int(times.value):
        ctx.step("once", times.cite(), f"已由申请 {earlier[0].claim_id} 获得一次性补助", gross_fen=recorded,
                 entitled_fen=0)
        return ProgramOutcome("computed", recorded, 0,
                              reasons=(f"一次性补助已由申请 {earlier[0].claim_id} 获得（{times.cite()}）",))
    ctx.step("recorded", clause, "补助金额由省财政按新投入设备等因素确定，按记录金额计（不由本系统推算）",
             recorded_fen=recorded)

    limit = int(top.value)
    entitled = min(recorded, limit)
    ctx.step("cap", top.cite(), "一次性补助最高额", limit_fen=limit, recorded_fen=recorded, entitled_fen=entitled)
    reasons: tuple[str, ...] = ()
    if entitled < recorded:
        reasons = (f"记录金额超过最高额{fen_to_yuan(limit)}元，超出部分{fen_to_yuan(recorded - entitled)}元不予补助"
                   f"（{top.cite()}）",)
    return ProgramOutcome("computed", recorded, entitled, CapInfo("provincial", limit, 0, limit, top.cite()), reasons)
