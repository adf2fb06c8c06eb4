"""Provincial award for upgrading to a national platform (升级为国家级中试平台奖励).

浙政办发〔2025〕24号 中试平台方案 四.14 (seed 003): 升级为国家级中试平台的，省财政给予3000万元奖励。

- Trigger: the first national recognition dated strictly after a provincial one (升级); its date picks
  the rule set. A platform recognised national without having been provincial first is not upgraded.
- Amount: ``national_upgrade.amount``, once (``national_upgrade.max_times``), paid by the province.
"""

from __future__ import annotations

from calculators.facts import Facts, Trigger, recognition_key
from calculators.programs.base import ClaimContext, ProgramOutcome
from calculators.rulesets.model import Options, RuleSet
from calculators.scenario import ClaimInput

PROGRAM = "zj-national-upgrade"


def find_trigger(facts: Facts, claim: ClaimInput, rs: RuleSet, options: Options) -> Trigger | None:
    on = claim.application_date
    provincial = facts.first_at_level("provincial", on)
    if provincial is None:
        return None
    _, p = provincial
    for i, r in facts.recognitions_until(on):
        if r.level == "national" and r.date > p.date:
            return Trigger(recognition_key(r, i), r.date,
                           f"由省级中试平台（{p.document_number or '无文号'}，{p.date}）升级为国家级中试平台"
                           f"（{r.document_number or '无文号'}，{r.date}）", rs.programs[PROGRAM].clause)
    return None


def compute(ctx: ClaimContext) -> ProgramOutcome:
    amount = ctx.p("national_upgrade.amount")
    times = ctx.p("national_upgrade.max_times")
    clause = ctx.rule_set.programs[PROGRAM].clause
    if ctx.trigger is None:
        national = ctx.facts.first_at_level("national", ctx.on)
        if national is None:
            why = f"截至申报日{ctx.on}未升级为国家级中试平台"
        else:
            why = f"认定为国家级中试平台（{national[1].date}）之前不是省级中试平台，不属于由省级升级"
        ctx.step("upgrade", clause, why)
        return ProgramOutcome.ineligible(f"{why}（{clause}）")
    ctx.step("upgrade", ctx.trigger.clause, ctx.trigger.description, date=ctx.trigger.date)
    gross = int(amount.value)
    done = ctx.already_received(PROGRAM, times, gross, "已由申请 {claim} 获得升级奖励",
                                "升级为国家级奖励已由申请 {claim} 获得")
    if done:
        return done
    ctx.step("amount", amount.cite(), "升级为国家级中试平台奖励", gross_fen=gross)
    return ProgramOutcome("computed", gross, gross)
