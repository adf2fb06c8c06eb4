"""One-time award on becoming a 嘉兴市中试平台 (嘉兴市中试平台资金奖励, 细则 第四章（二）).

1,000,000 when the platform becomes a 嘉兴市中试平台 — two consecutive 优秀 while in the pool, or
automatically on national/provincial recognition while in the pool (细则 第三章) — at most once
(``municipal_award.max_times``; a what-if of 0 pays no award: the claim is ineligible, 解读 R-13).
"""

from __future__ import annotations

from calculators.facts import Facts, Trigger
from calculators.programs.base import ClaimContext, ProgramOutcome
from calculators.rulesets.model import Options, RuleSet
from calculators.scenario import ClaimInput

PROGRAM = "municipal-award"


def find_trigger(facts: Facts, claim: ClaimInput, rs: RuleSet, options: Options) -> Trigger | None:
    on = claim.application_date
    return facts.municipal_recognition(
        on,
        consecutive_excellent=int(rs.param("recognition.consecutive_excellent", on, options).value),
        auto_levels=tuple(rs.param("recognition.auto_levels", on, options).value),
    )


def compute(ctx: ClaimContext) -> ProgramOutcome:
    amount = ctx.p("municipal_award.amount")
    times = ctx.p("municipal_award.max_times")
    if ctx.trigger is None:
        ctx.step("recognition", "细则 第三章", f"截至{ctx.on}未认定为嘉兴市中试平台")
        return ProgramOutcome.ineligible(
            f"截至申报日{ctx.on}未培育成为嘉兴市中试平台（连续两年优秀或在库期间获评国家级、省级）（细则 第三章）")
    ctx.step("recognition", ctx.trigger.clause, ctx.trigger.description, date=ctx.trigger.date)
    none = ctx.none_allowed(PROGRAM, times)  # max_times = 0 (a what-if): no award at all
    if none is not None:
        return none
    earlier = [r for r in ctx.state.prior(PROGRAM) if r.entitled > 0 or r.status in ("offset", "payable")]
    gross = int(amount.value)
    if len(earlier) >= int(times.value):
        ctx.step("once", times.cite(), f"已由申请 {earlier[0].claim_id} 获得奖励，最多奖励{times.value}次",
                 gross_fen=gross)
        return ProgramOutcome("computed", gross, 0,
                              reasons=(f"一次性奖励已由申请 {earlier[0].claim_id} 获得（{times.cite()}）",))
    ctx.step("amount", amount.cite(), "培育成为嘉兴市中试平台一次性奖励", gross_fen=gross)
    return ProgramOutcome("computed", gross, gross)
