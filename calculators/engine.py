"""Evaluate every claim of one platform's history: the function the CLI, ledger and API call.

Order of work for each claim, in application-date order (ties keep input order):

1. the trigger (入围/认定/评价) and the rule set it picks (解读 R-1), or the what-if rule set;
2. the program's own amount, window and cap;
3. the institution exclusion (细则 第五章);
4. the higher-of group (就高不重复, 细则 第五章), offset or exclusive reading;
5. the party group's approved amount, if lower than the payable (党组会审定);
6. the payer split, exact to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from types import MappingProxyType
from typing import Any

from calculators.eligibility import PlatformRecord, platform_record
from calculators.errors import InputErrors, InputIssue
from calculators.facts import Facts, Trigger
from calculators.formats import yuan_grouped
from calculators.programs import PROGRAMS
from calculators.programs.base import ClaimContext, PlatformState, ProgramOutcome
from calculators.results import ClaimResult, TraceStep
from calculators.rulesets.loader import convert
from calculators.rulesets.model import Options, RuleBook, RuleSet
from calculators.scenario import ClaimInput, Scenario
from calculators.split import payer_shares

RULESET_RULE = "解读 R-1: the rule set is decided by the date of the triggering recognition"
HIGHER_OF_NOTE = "就高不重复：政策组累计应得取最高者，减去已付，为本次应付"
NO_OPTIONS = Options(overrides=MappingProxyType({}))
"""A scenario without readings, what-ifs or a forced rule set, evaluated as such."""


@dataclass(frozen=True)
class Evaluation:
    """The results of one scenario, in the order the claims were evaluated."""

    scenario: Scenario
    results: tuple[ClaimResult, ...]
    record: PlatformRecord | None = None  # the record's events checked, when the scenario has any

    def by_claim(self) -> dict[str, ClaimResult]:
        return {r.claim_id: r for r in self.results}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "platform": self.scenario.platform.id,
            "platform_name": self.scenario.platform.name,
            "claims": [r.to_dict() for r in self.results],
        }
        if self.record is not None:
            out["record"] = self.record.to_dict()
        return out


def _not_an_alternative(field: str, rs: RuleSet, name: str, value: Any) -> InputIssue | None:
    """The refusal of ``value`` for the reading ``name`` of ``rs`` when it is not one of its alternatives."""
    reading = rs.parameters[name].reading
    assert reading is not None
    if value in reading.alternatives:
        return None
    return InputIssue(field, f"{rs.short}: {name}",
                      f"解读 {value!r} 不是可选项；可选：{'、'.join(sorted(reading.alternatives))}")


def _move_onto(overrides: dict[str, Any], key: str, rule_sets: list[RuleSet], *, keep_prefixed: bool) -> None:
    """Move the what-if ``key``, given without a rule-set prefix, onto the rule sets it fits: it becomes
    ``<rule set>:key`` in each of ``rule_sets`` and is gone unprefixed, so the other rule sets keep their own
    value. ``keep_prefixed``: an override already prefixed for one of them stays (the split's what-ifs, where
    the prefixed one is the more particular); otherwise the moved value replaces it (a reading's what-if)."""
    value = overrides.pop(key)
    for rs in rule_sets:
        prefixed = f"{rs.id}:{key}"
        if not (keep_prefixed and prefixed in overrides):
            overrides[prefixed] = value


def _what_if_on_a_reading(key: str, found: list[tuple[RuleSet, str]], overrides: dict[str, Any],
                          issues: list[InputIssue]) -> None:
    """A what-if on a parameter that is a reading (e.g. ``payer_split.county``) must name one of the
    reading's alternatives; without a rule-set prefix it applies only where the parameter IS a reading, as
    a reading does (the Zhejiang rules' own fixed ``payer_split.county`` is not changed by it)."""
    as_reading = [(rs, name) for rs, name in found if rs.parameters[name].reading is not None]
    if not as_reading:
        return
    value = overrides[key]
    for rs, name in as_reading:
        refusal = _not_an_alternative(f"what_if.{key}", rs, name, value)
        if refusal is not None:
            issues.append(refusal)
            return
    if ":" not in key and len(as_reading) < len(found):
        _move_onto(overrides, key, [rs for rs, _ in as_reading], keep_prefixed=False)


SPLIT_TABLE, SPLIT_CHOICES = "payer_split.schemes", ("payer_split.district", "payer_split.county")


# size: the rule sets' split is checked whole (table × both choices, own or supposed) before any override moves
def _split_what_ifs(book: RuleBook, overrides: dict[str, Any], issues: list[InputIssue]) -> None:
    """A what-if on the split without a rule-set prefix (the scheme table, the districts' or the counties'
    scheme) applies to each rule set whose split it leaves whole — every scheme chosen is in the table —
    and not to the others, which keep their own (``payer_split.district: local-100`` changes the Jiaxing
    split, not the province's, whose only scheme is ``province-100``). Applying nowhere, it is refused."""
    keys = [k for k in (SPLIT_TABLE, *SPLIT_CHOICES) if k in overrides]
    if not keys or any(i.field == f"what_if.{k}" for i in issues for k in keys):
        return  # none, or one already refused (e.g. not an alternative of the reading): said once
    split_sets = [rs for rs in book.rule_sets.values() if rs.has(SPLIT_TABLE)]

    def values(rs: RuleSet, name: str) -> list[Any]:
        for k in (f"{rs.id}:{name}", name):
            if k in overrides:
                return [overrides[k]]
        return [v.value for v in rs.parameters[name].values] if rs.has(name) else []

    whole = [rs for rs in split_sets if all(choice in table for table in values(rs, SPLIT_TABLE)
                                            for name in SPLIT_CHOICES for choice in values(rs, name))]
    if not whole:
        key = keys[-1]
        issues.append(InputIssue(f"what_if.{key}", "参数假设：分担方案",
                                 f"假设的分担方案 {overrides[key]!r} 在任何规则集中都不完整（所选方案须在该规则集的 "
                                 f"{SPLIT_TABLE} 中）；可选：" + "、".join(sorted({str(c) for rs in split_sets
                                                                           for c in values(rs, SPLIT_TABLE)[0]}))))
        return
    if len(whole) < len(split_sets):
        for key in keys:
            _move_onto(overrides, key, whole, keep_prefixed=True)


# size: readings, what-ifs and the forced rule set are each checked where they are read, so every problem is reported at once
def build_options(scenario: Scenario, book: RuleBook, extra: Options | None = None) -> Options:
    """Turn a scenario's ``readings``, ``what_if`` and ``rule_set`` into :class:`Options`."""
    if not scenario.readings and not scenario.what_if and scenario.rule_set is None:
        # nothing to add: ``extra`` as it is (its memoised parameters with it), once its rule set is checked
        if extra is None:
            return NO_OPTIONS
        if (extra.rule_set is None or extra.rule_set in book.rule_sets) and not any(
                k in extra.overrides for k in (SPLIT_TABLE, *SPLIT_CHOICES)):
            return extra
    issues: list[InputIssue] = []
    overrides: dict[str, Any] = dict(extra.overrides) if extra else {}
    readings: set[str] = set(extra.readings) if extra else set()

    def targets(key: str) -> list[tuple[RuleSet, str]]:
        rs_id, _, name = key.rpartition(":")
        sets = [book.rule_sets[rs_id]] if rs_id in book.rule_sets else list(book.rule_sets.values())
        if rs_id and rs_id not in book.rule_sets:
            return []
        return [(rs, name) for rs in sets if rs.has(name)]

    for key, value in scenario.readings.items():
        found = targets(key)
        if not found:
            issues.append(InputIssue(f"readings.{key}", "readings (docs/readings.md)",
                                     f"没有哪个规则集有参数 {key!r}；请核对参数名（可用 subsidy rulesets 查看）"))
            continue
        # A key without a rule-set prefix selects the reading in every rule set where the parameter IS a
        # reading; a rule set with a same-named parameter that is not a reading is left alone.
        as_reading = [(rs, name) for rs, name in found if rs.parameters[name].reading is not None]
        if not as_reading:
            rs, name = found[0]
            issues.append(InputIssue(f"readings.{key}", "readings (docs/readings.md)",
                                     f"{rs.id}:{name} 不是解读选项，不能用解读选项改变；请改用参数假设（what_if）"))
            continue
        for rs, name in as_reading:
            refusal = _not_an_alternative(f"readings.{key}", rs, name, value)
            if refusal is not None:
                issues.append(refusal)
            overrides[f"{rs.id}:{name}"] = value
            readings.add(f"{rs.id}:{name}")
    for key, raw in scenario.what_if.items():
        found = targets(key)
        if not found:
            issues.append(InputIssue(f"what_if.{key}", "参数假设",
                                     f"没有哪个规则集有参数 {key!r}；请核对参数名（可用 subsidy rulesets 查看）"))
            continue
        rs, name = found[0]
        p = rs.parameters[name]
        try:
            overrides[key] = convert(p.kind, raw, "what_if", key, p.item)
        except Exception as exc:
            issues.append(InputIssue(f"what_if.{key}", f"{rs.short}: {name}", str(exc)))
            continue
        _what_if_on_a_reading(key, found, overrides, issues)
    _split_what_ifs(book, overrides, issues)
    rule_set = (extra.rule_set if extra else None) or scenario.rule_set
    if rule_set is not None and rule_set not in book.rule_sets:
        issues.append(InputIssue("rule_set", "解读 R-1", f"规则集 {rule_set!r} 不存在；可选：{'、'.join(sorted(book.rule_sets))}"))
    if issues:
        raise InputErrors(issues)
    return Options(overrides=overrides, readings=frozenset(readings), rule_set=rule_set)


# size: one check per input rule, all problems collected in one list and reported at once
def _validate(scenario: Scenario, book: RuleBook, options: Options) -> None:
    issues: list[InputIssue] = []
    if scenario.platform.jurisdiction not in book.jurisdictions:
        issues.append(InputIssue("platform.jurisdiction", "细则 第五章（解读 R-17）: Jiaxing jurisdictions",
                                 f"所属区县代码 {scenario.platform.jurisdiction!r} 不存在；可选："
                                 + "、".join(f"{j.code} {j.name}" for j in book.jurisdictions.values())))
    seen_ids: set[str] = set()
    seen_invoices: dict[str, str] = {}
    years_seen: set[int] = set()
    for k, y in enumerate(inv.year for inv in scenario.investments):
        if y in years_seen:
            issues.append(InputIssue(f"investments[{k}].year", "细则 第四章（一）(2)：每年一个审计认定金额",
                                     f"{y} 年的设备投资填了两次；每年只填一个金额"))
        years_seen.add(y)
    for i, c in enumerate(scenario.claims):
        f = f"claims[{i}]"
        claim_id, program, rule_set = c.id, c.program, c.rule_set
        if claim_id in seen_ids:
            issues.append(InputIssue(f"{f}.id", "申请编号唯一", f"申请编号 {claim_id!r} 重复；请为每条申请取不同的编号"))
        seen_ids.add(claim_id)
        if program not in PROGRAMS or not book.defines(program):
            issues.append(InputIssue(f"{f}.program", "programs of the rule sets",
                                     f"补助项目 {program!r} 不存在；可选：{'、'.join(sorted(PROGRAMS))}"))
        if rule_set is not None and rule_set not in book.rule_sets:
            issues.append(InputIssue(f"{f}.rule_set", "解读 R-1",
                                     f"规则集 {rule_set!r} 不存在；可选：{'、'.join(sorted(book.rule_sets))}"))
        forced = options.rule_set or rule_set
        if forced is None and not book.in_force_on(c.application_date):
            issues.append(InputIssue(f"{f}.application_date", RULESET_RULE,
                                     f"申报日期 {c.application_date} 不在任何规则集的施行期内；各规则集施行期："
                                     + "；".join(f"{rs.id} {rs.in_force_from}—{rs.in_force_to or ''}"
                                                 for rs in book.rule_sets.values())))
        for k, inv in enumerate(c.invoices):
            key = f"{inv.issuer_code}:{inv.number}"
            if key in seen_invoices and not c.reversed:
                issues.append(InputIssue(f"{f}.invoices[{k}]", "细则 第四章（一）(1)：同一发票只申报一次",
                                         f"发票 {key} 重复（申请 {seen_invoices[key]} 已列入）；请删去重复的发票"))
            elif not c.reversed:
                seen_invoices[key] = claim_id
    if issues:
        raise InputErrors(issues)


def _governing(
    claim: ClaimInput, index: int, facts: Facts, book: RuleBook, options: Options
) -> tuple[RuleSet, Trigger | None, TraceStep, str | None]:
    """The governing rule set, the trigger, the trace step saying why, and a refusal if none governs."""
    program = claim.program
    spec = PROGRAMS[program]
    forced = claim.rule_set or options.rule_set
    if forced is not None:
        rs = book.rule_sets[forced]
        if program not in rs.programs:
            raise InputErrors.one(f"claims[{index}].program", RULESET_RULE,
                                  f"规则集 {rs.id} 没有补助项目 {claim.program}；请选择该规则集规定的项目："
                                  + "、".join(rs.programs))
        trig = spec.find_trigger(facts, claim, rs, options)
        return rs, trig, TraceStep("rule-set", rs.in_force_clause,
                                   f"假设分析：按{rs.title}（{rs.id}）计算", {"rule_set": rs.id}), None
    candidates = book.defining(program)
    for rs in reversed(candidates):
        trig = spec.find_trigger(facts, claim, rs, options)
        if trig is not None and rs.in_force(trig.date):
            return rs, trig, TraceStep.recorded(
                "rule-set", rs.in_force_clause, partial(_governs, trig, rs),
                {"rule_set": rs.id, "trigger_date": trig.date}), None
    # No candidate governs: say which rule set was in force at the trigger, if any.
    latest = candidates[-1]
    trig = spec.find_trigger(facts, claim, latest, options)
    when = trig.date if trig else claim.application_date
    in_force = book.in_force_on(when)
    if not in_force:
        raise InputErrors.one(
            f"claims[{index}]", RULESET_RULE,
            f"触发日期 {when} 不在任何规则集的施行期内；请核对认定日期和申报日期")
    if trig is None:  # no trigger at all: the program itself says what is missing
        return latest, None, TraceStep("rule-set", RULESET_RULE, f"截至{claim.application_date}没有该项政策的触发事件",
                                       {"rule_set": latest.id}), None
    names = "、".join(f"{r.title}（{r.id}）" for r in in_force)
    note = f"触发事件{trig.description}（{when}）时施行的是{names}，其中没有该项政策（{RULESET_RULE}）"
    return latest, None, TraceStep("rule-set", RULESET_RULE, note, {"rule_set": latest.id}), note


def _governs(trigger: Trigger, rs: RuleSet) -> str:
    """The rule-set step's note: the trigger and the rule set in force on its date."""
    return f"触发事件：{trigger.description}（{trigger.date}）；该日施行的是{rs.title}（{rs.id}）"


def evaluate(scenario: Scenario, book: RuleBook, options: Options | None = None) -> Evaluation:
    """Evaluate every claim of ``scenario`` under the rule sets of ``book``.

    Raises :class:`~calculators.errors.InputErrors` (every problem found, each naming its field and
    rule) and computes nothing when the input is bad.
    """
    opts = build_options(scenario, book, options)
    _validate(scenario, book, opts)
    record = platform_record(scenario, book, opts) if scenario.events else None
    facts = Facts(scenario)
    state = PlatformState()
    order = sorted(enumerate(scenario.claims), key=lambda ic: (ic[1].application_date, ic[0]))
    for index, claim in order:
        state.results.append(_evaluate_claim(index, claim, scenario, facts, book, opts, state))
    return Evaluation(scenario, tuple(state.results), record)


def _evaluate_claim(
    index: int, claim: ClaimInput, scenario: Scenario, facts: Facts, book: RuleBook,
    opts: Options, state: PlatformState,
) -> ClaimResult:
    rs, trigger, rs_step, refusal = _governing(claim, index, facts, book, opts)
    program_id = claim.program
    program = PROGRAMS[program_id]
    ctx = ClaimContext(claim, index, scenario, facts, book, rs, opts, state, trigger, [rs_step])
    out = facts.withdrawn_by(claim.application_date)  # a platform out at a level earns nothing at it from that day
    for w in out:
        ctx.step("withdrawn", w.clause, w.note, date=w.date, level=w.level)

    if claim.reversed:
        ctx.step("reversed", "细则 第四章（一）(2)：公示期异议", "公示期异议成立，审批已撤销；本申请不计入累计")
        return _result(ctx, "reversed", ProgramOutcome("reversed", 0, 0), entitled=0, offset=0, payable=0,
                       reasons=("审批已撤销（异议成立）",))
    if refusal is not None or trigger is None:
        # no trigger: the program states what is missing; a refusal says which rule set was in force
        outcome = ProgramOutcome.ineligible(refusal) if refusal else program.compute(ctx)
        if outcome.status != "ineligible":
            outcome = ProgramOutcome.ineligible(f"截至{claim.application_date}没有该项政策的触发事件")
        withdrawn = tuple(f"{w.note}（{w.clause}）" for w in out)
        return _result(ctx, "ineligible", outcome, entitled=0, offset=0, payable=0,
                       reasons=withdrawn + outcome.reasons)

    outcome = program.compute(ctx)
    if outcome.status == "ineligible":
        return _result(ctx, "ineligible", outcome, entitled=0, offset=0, payable=0, reasons=outcome.reasons)
    _consume(state, claim, outcome)
    # the program itself paid less than its gross: a cap reached (累计上限, 最多奖励一次)
    f = _Figures("capped" if outcome.entitled < outcome.gross else "payable", outcome.entitled,
                 list(outcome.reasons))
    _exclude_institution(ctx, f)  # 3.
    state.entitled[program_id] = state.entitled.get(program_id, 0) + f.entitled
    f.payable = f.entitled
    _higher_of(ctx, f)  # 4.
    _approved_amount(ctx, f)  # 5.
    state.paid[program_id] = state.paid.get(program_id, 0) + f.payable
    return _result(ctx, f.status, outcome, entitled=f.entitled, offset=f.offset, payable=f.payable,
                   reasons=tuple(f.reasons))


@dataclass(slots=True)
class _Figures:
    """A computed claim's status and figures (fen) as the steps after its program adjust them."""

    status: str
    entitled: int
    reasons: list[str]
    payable: int = 0
    offset: int = 0
    group: str | None = None  # the key of the higher-of group the claim counts in


def _result(ctx: ClaimContext, status: str, outcome: ProgramOutcome, *, entitled: int, offset: int, payable: int,
            reasons: tuple[str, ...]) -> ClaimResult:
    """The claim's result; a claim that pays (or would) is split between the payers."""
    claim, rs, trigger = ctx.claim, ctx.rule_set, ctx.trigger
    program = claim.program
    title = rs.programs[program].title
    shares: tuple[Any, ...] = ()
    if status not in ("ineligible", "reversed"):
        shares, split_step = payer_shares(payable, jurisdiction=ctx.scenario.platform.jurisdiction,
                                          rule_set=rs, book=ctx.book, on=ctx.on, options=ctx.options)
        ctx.trace.append(split_step)
    return ClaimResult(
        claim_id=claim.id, program=program, program_title=title, rule_set=rs.id, rule_set_title=rs.title,
        purse=rs.purse, status=status, gross=outcome.gross, cap=outcome.cap, entitled=entitled, offset=offset,
        payable=payable, shares=shares, trace=tuple(ctx.trace), reasons=reasons, years=outcome.years,
        invoices=outcome.invoices, trigger=trigger.description if trigger else "",
    )


def _consume(state: PlatformState, claim: ClaimInput, outcome: ProgramOutcome) -> None:
    """A computed claim consumes its years and invoices and its application year."""
    claim_id = claim.id
    for y in outcome.years:
        state.claimed_years[y] = claim_id
    for key in outcome.invoices:
        state.claimed_invoices[key] = claim_id
    state.application_years.setdefault((claim.program, claim.application_date.year), []).append(claim_id)


def _exclude_institution(ctx: ClaimContext, f: _Figures) -> None:
    """Institution exclusion: a platform led by a university, institute or public institution that has had
    the city's agreement support is entitled to nothing."""
    rs, scenario = ctx.rule_set, ctx.scenario
    if not rs.has("institution_exclusion.leader_types"):
        return
    excl = ctx.p("institution_exclusion.leader_types")
    if scenario.platform.leader_type not in excl.value:
        return
    supported = ctx.facts.agreement_support_until(ctx.claim.application_date)
    if supported:
        docs = "、".join(scenario.agreement_support[i].document_number or str(scenario.agreement_support[i].date)
                        for i in supported)
        ctx.step("exclusion", excl.cite(),
                 f"高校院所、事业单位主导的平台已享受市区财政资金协议支持（{docs}），不再享受市级财政资金补助",
                 leader_type=scenario.platform.leader_type, entitled_fen=0)
        f.reasons.append(f"高校院所、事业单位主导且享受过市区财政资金协议支持（{excl.cite()}）")
        f.entitled, f.status = 0, "excluded"


def _higher_of(ctx: ClaimContext, f: _Figures) -> None:
    """The higher-of group (就高不重复): pay the group's highest entitlement less what the group has paid
    (``offset`` mode), or only the program elected for the trigger (``exclusive`` mode)."""
    rs, claim, state = ctx.rule_set, ctx.claim, ctx.state
    if not rs.has("exclusivity.group") or f.status == "excluded":
        return
    group = ctx.p("exclusivity.group")
    if claim.program not in group.value:
        return
    mode = ctx.p("exclusivity.mode")
    f.group = f"{rs.id}:" + "+".join(group.value)
    paid = state.group_paid.get(f.group, 0)
    if mode.value == "offset":
        values: dict[str, int] = {f"{p}_entitled_fen": state.entitled.get(p, 0) for p in group.value}
        highest = max(values.values())
        f.payable = max(0, min(f.entitled, highest - paid))
        f.offset = f.entitled - f.payable
        values.update(highest_fen=highest, group_paid_fen=paid, payable_fen=f.payable)
        # the step recorded with this dict as it is: ``ctx.step(…, **values, …)`` would merge and copy it
        ctx.trace.append(TraceStep.recorded("higher-of", mode.cite(), HIGHER_OF_NOTE, values))
    else:
        _elect(ctx, f, mode.cite())
    state.group_paid[f.group] = paid + f.payable
    if f.offset:
        f.reasons.append(f"就高不重复，扣减{yuan_grouped(f.offset)}元（{mode.cite()}）")
        f.status = "offset" if f.payable < f.entitled else f.status
        if claim.elected is False and mode.value == "exclusive":
            f.status = "declined"


def _elect(ctx: ClaimContext, f: _Figures, clause: str) -> None:
    """Exclusive mode: one program per trigger, the one the platform elects (first elected wins)."""
    claim, state, trigger = ctx.claim, ctx.state, ctx.trigger
    assert trigger is not None
    chosen = state.elections.get(trigger.key)
    if chosen is not None and chosen != claim.program:
        f.payable, f.offset = 0, f.entitled
        ctx.step("exclusive", clause, f"该触发事件已选择{chosen}，本项不再享受")
    elif claim.elected is False:
        f.payable, f.offset = 0, f.entitled
        ctx.step("exclusive", clause, "平台未选择本项政策")
    else:
        state.elections[trigger.key] = claim.program
        ctx.step("exclusive", clause, f"平台就触发事件选择本项政策（{trigger.description}）")


def _approved_amount(ctx: ClaimContext, f: _Figures) -> None:
    """The party group's approved amount (党组会审定): the claim's final payable, never above the computed
    payable; a lower amount also lowers the claim's entitlement, so the cap and the higher-of group count
    what was approved, not what was computed."""
    claim, state = ctx.claim, ctx.state
    if claim.approved_amount is None:
        return
    if claim.approved_amount > f.payable:
        raise InputErrors.one(f"claims[{ctx.index}].approved_amount", "细则 第四章（一）(2)（解读 R-19）: never higher than computed",
                              f"审定金额 {yuan_grouped(claim.approved_amount)} 元高于计算应付数 "
                              f"{yuan_grouped(f.payable)} 元；审定金额不得高于计算应付数")
    if claim.approved_amount < f.payable:
        cut = f.payable - claim.approved_amount
        ctx.step("approved", "细则 第四章（一）(2)：通过党组会审议", "党组会审定金额低于计算金额",
                 computed_fen=f.payable, approved_fen=claim.approved_amount)
        f.reasons.append("党组会审定金额低于计算金额")
        f.entitled -= cut
        state.entitled[claim.program] -= cut
        if f.group is not None:
            state.group_paid[f.group] -= cut
        f.payable = claim.approved_amount


def evaluate_one(scenario: Scenario, book: RuleBook, claim_id: str, options: Options | None = None) -> ClaimResult:
    """The result for one claim (its history up to it is evaluated too)."""
    found = evaluate(scenario, book, options).by_claim().get(claim_id)
    if found is None:
        raise InputErrors.one("claim", "申请以编号区分", f"申请编号 {claim_id!r} 不存在；请核对申请编号")
    return found


def as_of(scenario: Scenario, on: date) -> Scenario:
    """The scenario with only the claims filed on or before ``on``."""
    return scenario.model_copy(update={"claims": [c for c in scenario.claims if c.application_date <= on]})
