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
from calculators.facts import Facts, Trigger
from calculators.money import apply_rate, rate_percent
from calculators.programs.base import ClaimContext, ProgramOutcome, first_recognition
from calculators.rulesets.model import Options, RuleSet
from calculators.scenario import ClaimInput

PROGRAM = "national-matching"


def find_trigger(facts: Facts, claim: ClaimInput, rs: RuleSet, options: Options) -> Trigger | None:
    return first_recognition(facts, claim, rs, PROGRAM, "national", "入围国家级制造业中试平台")


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

    done = ctx.already_received(PROGRAM, ctx.p("national_matching.max_times"), gross,
                                "已由申请 {claim} 获得配套支持，每个平台配套{times}次",
                                "国家级配套支持已由申请 {claim} 获得")
    return done or ProgramOutcome("computed", gross, gross)
