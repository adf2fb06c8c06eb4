"""1:1 matching of national support for a national platform (国家级制造业中试平台1:1配套支持).

实施方案 二（一）6 (seed 001): 对成功入围国家级制造业中试平台的，按1：1予以配套支持。

- Trigger: the platform's first national recognition (入围国家级); its date picks the rule set.
- Amount: ``national_matching.ratio`` × the national support received (``claims[i].national_support``,
  required), rounded half-up to the fen.
- Once per platform (``national_matching.max_times``): a later claim computes its gross and pays 0.
"""

from __future__ import annotations

from decimal import Decimal

from calculators.errors import InputErrors
from calculators.facts import Facts, Trigger, recognition_key
from calculators.money import apply_rate, rate_percent
from calculators.programs.base import ClaimContext, ProgramOutcome
from calculators.rulesets.model import Options, RuleSet
from calculators.scenario import ClaimInput

PROGRAM = "national-matching"


def find_trigger(facts: Facts, claim: ClaimInput, rs: RuleSet, options: Options) -> Trigger | None:
    found = facts.first_at_level("national", claim.application_date)
    if found is None:
        return None
    i, r = found
    return Trigger(recognition_key(r, i), r.date,
                   f"入围国家级制造业中试平台（{r.document_number or '无文号'}，{r.date}）",
                   rs.programs[PROGRAM].clause)


def compute(ctx: ClaimContext) -> ProgramOutcome:
    ratio = ctx.p("national_matching.ratio")
    support = ctx.claim.national_support
    if support is None:
        raise InputErrors.one(f"{ctx.field}.national_support", ratio.cite(),
                              "国家级配套按已获国家支持资金计算，须填写国家支持资金（national_support）")
    clause = ctx.rule_set.programs[PROGRAM].clause
    if ctx.trigger is None:
        ctx.step("recognition", clause, f"截至{ctx.on}未入围国家级制造业中试平台")
        return ProgramOutcome.ineligible(f"截至申报日{ctx.on}未入围国家级制造业中试平台（{clause}）")
    ctx.step("recognition", ctx.trigger.clause, ctx.trigger.description, date=ctx.trigger.date)

    rate = Decimal(ratio.value)
    gross = apply_rate(support, rate)
    ctx.step("rate", ratio.cite(), f"国家支持资金 × 配套比例{rate_percent(rate)}（四舍五入到分）",
             national_support_fen=support, ratio=ratio.value, gross_fen=gross)

    times = ctx.p("national_matching.max_times")
    earlier = [r for r in ctx.state.prior(PROGRAM) if r.status != "ineligible" and r.entitled > 0]
    if len(earlier) >= int(times.value):
        ctx.step("once", times.cite(), f"已由申请 {earlier[0].claim_id} 获得配套支持，每个平台配套{times.value}次",
                 gross_fen=gross, entitled_fen=0)
        return ProgramOutcome("computed", gross, 0,
                              reasons=(f"国家级配套支持已由申请 {earlier[0].claim_id} 获得（{times.cite()}）",))
    return ProgramOutcome("computed", gross, gross)
