"""Budget forecast (预算测算): what each payer will owe under each program in each of the next years.

Pure projection from each platform's record (:class:`Subject`) — never a second set of rules: every
amount comes from the claim engines (:func:`batch_engine`, or :func:`per_claim_engine`, the only two
places that call one), run on
the platform's scenario with the future claims this module synthesises (docs/forecast.md):

* **commitments** (已审定未拨付): approved shares not yet paid, from the journal, counted once in the
  first budget year; the decided claims stay in the history with their approved amounts, so caps and the
  higher-of group count them, but they are never projected again;
* **pending claims** (在途申请: filed … audited): computed by the engine as if approved as computed, in
  the first budget year;
* **projected claims** (测算新增): one equipment claim (设备投入补助) per budget year, filed on
  :data:`APPLICATION_DAY` of that year; the investment of a year not yet audited is the platform's
  declared plan, or else extrapolated (解读 R-48); and in the first budget year one claim under each
  award program whose trigger is already on the record and not yet claimed (解读 R-49).

Amounts are integer fen; shares are the engine's (exact to the fen, remainder to the rule set's party).
"""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import Literal, NamedTuple

from calculators.batch_columns import PlatformColumns
from calculators.engine import build_options, evaluate
from calculators.errors import CalculatorError, InputErrors, InputIssue
from calculators.facts import Facts
from calculators.money import parse_yuan
from calculators.programs import PROGRAMS
from calculators.programs.base import ProgramSpec
from calculators.rulesets.loader import parse_rule_set
from calculators.rulesets.model import DatedValue, Options, Parameter, RuleBook, RuleSet
from calculators.scenario import ClaimInput, Investment, PlatformInfo, Scenario

EQUIPMENT = "equipment-subsidy"
AWARDS = ("municipal-award", "pool-award", "provincial-award", "zj-national-upgrade", "zj-excellent")
"""Award programs projected when their trigger is on record (解读 R-49). Not projected: ``national-matching``
and ``zj-new-provincial``, whose amounts others decide (the national support, the province's figure)."""
APPLICATION_DAY = (6, 30)
"""Month and day a projected claim is filed in its budget year (解读 R-48)."""
YEARS = 3
EXTRAPOLATIONS: dict[str, str] = {
    "mean-3": "近三个审计年度的平均数",
    "last": "最近一个审计年度的金额",
    "none": "不外推（只计申报的投资计划）",
}
EXTRAPOLATION_RULE = "解读 R-48：未申报投资计划的年度按审计数外推"
PLAN_RULE = "投资计划文件格式（docs/forecast.md）"
Source = Literal["commitment", "pending", "projected"]
SOURCE_WORDS: dict[str, str] = {"commitment": "已审定未拨付", "pending": "在途申请", "projected": "测算新增"}
PROBE_PREFIX = "测算"


@dataclass(frozen=True)
class Commitment:
    """An approved share not yet paid (已审定未拨付): claim, program, payer and fen outstanding."""

    claim_id: str
    program: str
    payer: str
    payer_name: str
    amount: int


@dataclass(frozen=True)
class Subject:
    """One platform's record for the forecast.

    Attributes:
        scenario: the ledger's history (decided claims carry their approved amounts).
        pending: ids of claims not yet decided (filed … audited), computed in full here.
        commitments: approved shares not yet paid.
        plan: declared equipment investment by year (fen, net of VAT), 投资计划.
    """

    scenario: Scenario
    pending: frozenset[str] = frozenset()
    commitments: tuple[Commitment, ...] = ()
    plan: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class WhatIf:
    """One scenario of the forecast (测算口径): the rules as they are, or changed.

    Attributes:
        title: how the tables name it, e.g. 现行规则 or 假设：比例25%.
        readings / what_if / rule_set: as ``subsidy calc`` takes them (docs/scenarios.md).
        draft: the text of a draft rule set (YAML, docs/adding-a-rule-set.md): it replaces the rule set of its
            id, or joins the book as a new one.
        extrapolation: a key of :data:`EXTRAPOLATIONS` (解读 R-48).
    """

    title: str = "现行规则"
    readings: Mapping[str, str] = field(default_factory=dict)
    what_if: Mapping[str, str] = field(default_factory=dict)
    rule_set: str | None = None
    draft: str | None = None
    extrapolation: str = "mean-3"


class Line(NamedTuple):
    """One payer's share of one claim (or commitment) in one budget year (a named tuple: a forecast makes
    one per payer and claim, tens of thousands)."""

    platform: str
    platform_name: str
    claim_id: str
    source: Source
    program: str
    payer: str
    payer_name: str
    year: int
    amount: int


@dataclass(frozen=True)
class Skipped:
    """A platform or claim the forecast could not project, and why (the engine's words)."""

    platform: str
    what: str
    reason: str


@dataclass(frozen=True)
class Forecast:
    """The forecast of one :class:`WhatIf`: lines, and the totals the tables show."""

    what_if: WhatIf
    years: tuple[int, ...]
    lines: tuple[Line, ...]
    skipped: tuple[Skipped, ...]
    platforms: int
    fallbacks: int = 0  # platforms the batch engine handed back to the per-claim engine

    def totals(self) -> dict[tuple[str, str], dict[int, int]]:
        """(program, payer) → year → fen."""
        out: dict[tuple[str, str], dict[int, int]] = {}
        for ln in self.lines:
            row = out.setdefault((ln.program, ln.payer), dict.fromkeys(self.years, 0))
            row[ln.year] += ln.amount
        return dict(sorted(out.items()))

    def payer_totals(self) -> dict[str, dict[int, int]]:
        """payer → year → fen."""
        out: dict[str, dict[int, int]] = {}
        for ln in self.lines:
            row = out.setdefault(ln.payer, dict.fromkeys(self.years, 0))
            row[ln.year] += ln.amount
        return dict(sorted(out.items()))

    def by_source(self) -> dict[str, dict[int, int]]:
        """source → year → fen."""
        out: dict[str, dict[int, int]] = {s: dict.fromkeys(self.years, 0) for s in SOURCE_WORDS}
        for ln in self.lines:
            out[ln.source][ln.year] += ln.amount
        return out

    def total(self) -> int:
        return sum(ln.amount for ln in self.lines)

    def payer_names(self) -> dict[str, str]:
        return {ln.payer: ln.payer_name for ln in self.lines}


# ---------------------------------------------------------------- what-if → rule book and options

DRAFT_SUFFIX = "@草案"


def book_for(what_if: WhatIf, book: RuleBook, start: date) -> tuple[RuleBook, str | None]:
    """The rule book with the draft rule set in it, and the rule set projected claims are forced under (the
    draft's, else ``what_if.rule_set``). A draft keeps its own id unless a bundled rule set has it (then it
    joins as ``<id>@草案``) and is in force from ``start`` at the earliest, so decided and pending claims
    stay under the rule sets they were decided by."""
    if not what_if.draft:
        return book, what_if.rule_set
    try:
        draft = parse_rule_set(what_if.draft, "draft")
    except (CalculatorError, ValueError, TypeError, KeyError) as exc:
        raise InputErrors.one("draft", "规则集文件格式（docs/adding-a-rule-set.md）", f"规则集草案有误：{exc}") from None
    draft = replace(draft, id=draft.id + (DRAFT_SUFFIX if draft.id in book.rule_sets else ""),
                    in_force_from=max(draft.in_force_from, start))
    return (RuleBook(rule_sets={**book.rule_sets, draft.id: draft}, jurisdictions=book.jurisdictions,
                     payers=book.payers), draft.id)


def options_for(what_if: WhatIf, book: RuleBook) -> Options:
    """The engine's options for a what-if, checked once: every bad key or value is an
    :class:`InputErrors` naming the field (``what_if.equipment.rate``) and the rule."""
    if what_if.extrapolation not in EXTRAPOLATIONS:
        raise InputErrors.one("extrapolation", EXTRAPOLATION_RULE,
                              f"外推方法 {what_if.extrapolation!r} 不可选；可选："
                              + "、".join(f"{k}（{v}）" for k, v in EXTRAPOLATIONS.items()))
    probe = Scenario(platform=PlatformInfo(id="-", name="-", jurisdiction=next(iter(book.jurisdictions))),
                     readings=dict(what_if.readings), what_if=dict(what_if.what_if), rule_set=what_if.rule_set)
    return build_options(probe, book)


def from_day(book: RuleBook, options: Options, start: date) -> RuleBook:
    """The rule book with each reading and what-if of ``options`` in force from ``start`` on: a dated value
    added after the parameter's own, so claims filed before ``start`` (decided and pending) keep the rules
    they were decided by and only the budget years' claims are computed under the what-if."""
    changed: dict[str, dict[str, Parameter]] = {}
    for key, value in options.overrides.items():
        rs_id, _, name = key.rpartition(":")
        for rs in ([book.rule_sets[rs_id]] if rs_id else list(book.rule_sets.values())):
            if not rs.has(name):
                continue
            p = changed.get(rs.id, {}).get(name) or rs.parameters[name]
            note = f"假设测算：自{start.isoformat()}起 {name} = {value}（{p.values[-1].clause if p.values else ''}）"
            changed.setdefault(rs.id, {})[name] = replace(p, values=(*p.values, DatedValue(start, None, value, note)))
    if not changed:
        return book
    sets = {rid: replace(rs, parameters={**rs.parameters, **changed.get(rid, {})}) if rid in changed else rs
            for rid, rs in book.rule_sets.items()}
    return RuleBook(rule_sets=sets, jurisdictions=book.jurisdictions, payers=book.payers)


# ---------------------------------------------------------------- investment plan and extrapolation

def extrapolate(audited: Mapping[int, int], method: str) -> int | None:
    """The yearly investment assumed after the last audited year (解读 R-48), or None (nothing assumed).

    ``mean-3``: the mean of the last three audited years (fewer if fewer), rounded down to the fen;
    ``last``: the last audited year's; ``none``: nothing."""
    if method == "none" or not audited:
        return None
    years = sorted(audited)
    if method == "last":
        return audited[years[-1]]
    last3 = [audited[y] for y in years[-3:]]
    return sum(last3) // len(last3)


def future_investments(scenario: Scenario, plan: Mapping[int, int], method: str, until: int) -> list[Investment]:
    """The investments of the years after the last audited one up to ``until``: declared, else extrapolated.
    An audited year is never replaced by a plan (审计数为准)."""
    audited = {i.year: i.amount for i in scenario.investments}
    vat = {i.year: i.vat for i in scenario.investments}
    start = (max(audited) + 1) if audited else (min(plan) if plan else until + 1)
    guess, guess_vat = extrapolate(audited, method), extrapolate(vat, method)
    out: list[Investment] = []
    # built without validation (model_construct): every value here is already an int fen or a year
    for y in range(start, until + 1):
        if y in plan:
            out.append(Investment.model_construct(year=y, amount=plan[y], vat=0, audit_report="投资计划"))
        elif guess is not None:
            out.append(Investment.model_construct(year=y, amount=guess, vat=guess_vat or 0,
                                                  audit_report=f"外推（{EXTRAPOLATIONS[method]}）"))
    return out


def parse_plan(text: str) -> dict[str, dict[int, int]]:
    """A declared investment plan (投资计划) as CSV: ``平台编号,年度,计划设备投资（元）`` (header in Chinese or
    ``platform,year,amount``), UTF-8 with or without BOM. Returns platform → year → fen; every bad row is
    reported at once, naming its row and column."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        return {}
    issues: list[InputIssue] = []
    out: dict[str, dict[int, int]] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        _plan_row(n, row, out, issues)
    if issues:
        raise InputErrors(issues)
    return out


def _plan_row(n: int, row: Sequence[str], out: dict[str, dict[int, int]], issues: list[InputIssue]) -> None:
    if len(row) < 3:
        issues.append(InputIssue(f"plan[{n - 1}]", PLAN_RULE, f"第{n}行应有三列：平台编号、年度、计划设备投资（元）"))
        return
    code, year_text, amount_text = (c.strip() for c in row[:3])
    if not code:
        issues.append(InputIssue(f"plan[{n - 1}].platform", PLAN_RULE, f"第{n}行没有平台编号"))
    if not (year_text.isdigit() and 2000 <= int(year_text) <= 2100):
        issues.append(InputIssue(f"plan[{n - 1}].year", PLAN_RULE, f"第{n}行年度 {year_text!r} 不是 2000—2100 之间的年份"))
        return
    try:
        fen = parse_yuan(amount_text.replace(",", ""), field=f"plan[{n - 1}].amount")
    except InputErrors as exc:
        issues.extend(exc.issues)
        return
    if int(year_text) in out.get(code, {}):
        issues.append(InputIssue(f"plan[{n - 1}].year", PLAN_RULE, f"第{n}行：平台 {code} 的 {year_text} 年计划填了两次"))
    out.setdefault(code, {})[int(year_text)] = fen


# ---------------------------------------------------------------- synthesising the future claims

def budget_years(first: int, count: int = YEARS) -> tuple[int, ...]:
    return tuple(range(first, first + count))


@cache
def projected_claims(years: tuple[int, ...], rule_set: str | None = None) -> tuple[ClaimInput, ...]:
    """The claims the forecast adds to every platform: an equipment claim per year, the awards in the first;
    under ``rule_set`` if the what-if forces one. Frozen models, built once and shared by every platform."""
    month, day = APPLICATION_DAY
    out = [ClaimInput(id=f"{PROBE_PREFIX}{y}-{EQUIPMENT}", program=EQUIPMENT, application_date=date(y, month, day),
                      rule_set=rule_set) for y in years]
    first = date(years[0], month, day)
    out += [ClaimInput(id=f"{PROBE_PREFIX}{years[0]}-{p}", program=p, application_date=first, rule_set=rule_set)
            for p in AWARDS]
    return tuple(out)


def future_scenario(subject: Subject, years: tuple[int, ...], what_if: WhatIf, book: RuleBook,
                    forced: str | None = None) -> Scenario:
    """The platform's scenario with its pending claims undecided, its future investments and the projected
    claims (awards only under programs the rule book defines and the platform has not claimed)."""
    s = subject.scenario
    claimed = {c.program for c in s.claims if not c.reversed}
    claims = [c.model_copy(update={"approved_amount": None}) if c.id in subject.pending else c for c in s.claims]
    facts: Facts | None = None
    for c in projected_claims(years, forced):
        if c.program == EQUIPMENT:
            claims.append(c)
        elif c.program not in claimed and (forced is not None or MAY_TRIGGER[c.program](s)):
            facts = facts or Facts(s)
            award = _with_evaluation(c, s)
            if _triggered(facts, award, book, forced):
                claims.append(award)
    investments = [*s.investments, *future_investments(s, subject.plan, what_if.extrapolation, years[-1])]
    return s.model_copy(update={"claims": claims, "investments": investments})


def _levels(s: Scenario) -> set[str]:
    return {r.level for r in s.recognitions}


MAY_TRIGGER: dict[str, Callable[[Scenario], bool]] = {
    "municipal-award": lambda s: bool(s.pool) or "municipal" in _levels(s),
    "pool-award": lambda s: bool(s.pool),
    "provincial-award": lambda s: "provincial" in _levels(s),
    "zj-national-upgrade": lambda s: {"provincial", "national"} <= _levels(s),
    "zj-excellent": lambda s: bool(s.evaluations),
}
"""For each award of :data:`AWARDS`, what its trigger cannot do without (each program's ``find_trigger``): a
municipal recognition or a pool spell (嘉兴市中试平台, 细则 第三章), a pool spell, a provincial recognition, a
provincial and a national one (升级), an evaluation. A platform without it has no trigger, so the full check
(:func:`_triggered`) is skipped; tests/calculators/test_forecast.py holds it to that on generated histories."""


EVALUATION_AWARDS = ("pool-award", "zj-excellent")
"""Awards that rest on an evaluation (评价): projected on the latest one published by the claim's date."""


def _with_evaluation(claim: ClaimInput, scenario: Scenario) -> ClaimInput:
    if claim.program not in EVALUATION_AWARDS:
        return claim
    years = [e.year for e in scenario.evaluations if e.date <= claim.application_date]
    return claim.model_copy(update={"evaluation_year": max(years) if years else claim.application_date.year - 1})


def _triggered(facts: Facts, claim: ClaimInput, book: RuleBook, forced: str | None) -> bool:
    """Whether an award's trigger is on the record by the claim's date under some rule set defining it: a
    claim without one is ineligible and changes nothing, so it is not added (the batch engine then keeps
    the platform vectorised)."""
    spec = PROGRAMS[claim.program]
    if forced is not None and forced in book.rule_sets:
        rs = book.rule_sets[forced]
        return claim.program not in rs.programs or _trigger_in_force(spec, facts, claim, rs, forced=True)
    return any(_trigger_in_force(spec, facts, claim, rs, forced=False) for rs in book.defining(claim.program))


def _trigger_in_force(spec: ProgramSpec, facts: Facts, claim: ClaimInput, rs: RuleSet, *, forced: bool) -> bool:
    """As the engine picks the governing rule set (解读 R-1): a trigger on record, dated while ``rs`` is in
    force (any date under a forced rule set). Without one the claim is ineligible."""
    try:
        trig = spec.find_trigger(facts, claim, rs, Options())
    except CalculatorError:  # let the engine say why, naming the field
        return True
    return trig is not None and (forced or rs.in_force(trig.date))


def _claim_index(field_name: str) -> int | None:
    """``claims[3].years`` → 3."""
    if not field_name.startswith("claims["):
        return None
    end = field_name.find("]")
    text = field_name[len("claims["):end]
    return int(text) if text.isdigit() else None


def _refused_claims(scenario: Scenario, exc: InputErrors) -> tuple[set[int], InputErrors]:
    """The indexes of the claims a refusal names; a refusal naming no claim (a rule set that cannot be
    applied) is laid on every projected award."""
    bad = {i for i in (_claim_index(x.field) for x in exc.issues) if i is not None}
    if bad or not all(x.field == "claims" for x in exc.issues):
        return bad, exc
    bad = {i for i, c in enumerate(scenario.claims) if c.id.startswith(PROBE_PREFIX) and c.program != EQUIPMENT}
    return bad, InputErrors([InputIssue(f"claims[{i}]", x.rule, x.message) for i in bad for x in exc.issues])


def _drop_refused(scenario: Scenario, exc: InputErrors) -> tuple[Scenario, list[Skipped]] | None:
    """Drop the projected claims the engine refused (an award whose own rules refuse it); None if the
    refusal is about the record itself."""
    bad, exc = _refused_claims(scenario, exc)
    if not bad or any(not scenario.claims[i].id.startswith(PROBE_PREFIX) for i in bad):
        return None
    skipped = [Skipped(scenario.platform.id, scenario.claims[i].id, "；".join(
        x.message for x in exc.issues if _claim_index(x.field) == i)) for i in sorted(bad)]
    keep = [c for i, c in enumerate(scenario.claims) if i not in bad]
    return scenario.model_copy(update={"claims": keep}), skipped


# ---------------------------------------------------------------- evaluation (the one call into an engine)

class Paid(NamedTuple):
    """What the forecast reads of one evaluated claim: its id, program and each payer's share (fen)."""

    claim_id: str
    program: str
    shares: tuple[tuple[str, int], ...]


Evaluator = Callable[[Sequence[Scenario], RuleBook, Options], tuple[list[list[Paid] | InputErrors], int]]
"""Evaluates every scenario: per platform its claims (or the engine's refusal), and how many platforms the
batch engine handed to the per-claim engine."""


def per_claim_engine(scenarios: Sequence[Scenario], book: RuleBook,
                     options: Options) -> tuple[list[list[Paid] | InputErrors], int]:
    """The per-claim engine (:func:`calculators.engine.evaluate`), one platform at a time: the reference
    the batch engine must equal, and the bench's peer."""
    out: list[list[Paid] | InputErrors] = []
    for s in scenarios:
        try:
            ev = evaluate(s, book, options)
        except InputErrors as exc:
            out.append(exc)
            continue
        except CalculatorError as exc:  # a rule the rule set leaves open (e.g. 解读 R-35): no claim named
            out.append(InputErrors.one("claims", "规则集", str(exc)))
            continue
        out.append([Paid(r.claim_id, r.program, tuple((x.payer, x.amount) for x in r.shares)) for r in ev.results])
    return out, len(scenarios)


def batch_engine(scenarios: Sequence[Scenario], book: RuleBook, options: Options,
                 columns: PlatformColumns | None = None) -> tuple[list[list[Paid] | InputErrors], int]:
    """The batch engine (:func:`calculators.batch.evaluate_population`): the same claims and shares, to the
    fen, from its int64 arrays; the number of platforms it evaluated with the per-claim engine. ``columns``:
    the scenarios already as columns (built once for several what-ifs)."""
    from calculators.batch import evaluate_population

    try:
        res = evaluate_population(scenarios if columns is None else columns, book, options)
    except CalculatorError:  # one platform's rules cannot be applied: the per-claim engine says which
        return per_claim_engine(scenarios, book, options)
    city, province = res.payer_codes["city"], res.payer_codes["province"]
    paid = [Paid(claim_id, program, tuple((payer, fen) for payer, fen in ((city, c), (local, x), (province, p)) if fen > 0))
            for claim_id, program, local, c, x, p in zip(res.claim_id.tolist(), res.program.tolist(),
                                                         res.local_payer.tolist(), res.city.tolist(),
                                                         res.local.tolist(), res.province.tolist(), strict=True)]
    starts = res.claim_start.tolist()
    out: list[list[Paid] | InputErrors] = []
    for i, s in enumerate(scenarios):
        refused = res.refused.get(s.platform.id)
        out.append(refused if refused is not None else paid[starts[i]:starts[i + 1]])
    return out, sum(res.fallbacks.values())


def _settle(scenarios: list[Scenario], book: RuleBook, options: Options, run: Evaluator,
            skipped: list[Skipped]) -> tuple[list[list[Paid] | None], int]:
    """Evaluate, dropping refused projected claims and trying again (at most once per projected claim)."""
    results: list[list[Paid] | None] = [None] * len(scenarios)
    todo = list(range(len(scenarios)))
    fallbacks = 0
    for _ in range(len(AWARDS) + YEARS + 1):
        if not todo:
            break
        retry: list[int] = []
        got_all, slow = run([scenarios[i] for i in todo], book, options)
        fallbacks += slow
        for i, got in zip(todo, got_all, strict=True):
            if not isinstance(got, InputErrors):
                results[i] = got
                continue
            dropped = _drop_refused(scenarios[i], got)
            if dropped is None:
                skipped.append(Skipped(scenarios[i].platform.id, "平台", "；".join(x.message for x in got.issues)))
                continue
            scenarios[i], more = dropped
            skipped.extend(more)
            retry.append(i)
        todo = retry
    return results, fallbacks


def _commitment_lines(subject: Subject, year: int) -> list[Line]:
    p = subject.scenario.platform
    return [Line(p.id, p.name, c.claim_id, "commitment", c.program, c.payer, c.payer_name, year, c.amount)
            for c in subject.commitments if c.amount]


def _lines_of(paid: list[Paid], subject: Subject, years: Sequence[int], names: Mapping[str, str]) -> list[Line]:
    p = subject.scenario.platform
    out = _commitment_lines(subject, years[0])
    for r in paid:
        if r.claim_id.startswith(PROBE_PREFIX):
            source: Source = "projected"
            year = claim_year(r.claim_id, years)
        elif r.claim_id in subject.pending:
            source, year = "pending", years[0]
        else:
            continue
        out += [Line(p.id, p.name, r.claim_id, source, r.program, payer, names.get(payer, payer), year, fen)
                for payer, fen in r.shares if fen]
    return out


def claim_year(claim_id: str, years: Sequence[int]) -> int:
    """A projected claim's budget year (from its id, ``测算2027-…``)."""
    y = int(claim_id[len(PROBE_PREFIX):len(PROBE_PREFIX) + 4])
    return y if y in years else years[0]


def _engine_for(scenarios: Sequence[Scenario], *, forced: bool, start: date) -> Evaluator:
    """The batch engine, unless the what-if forces a rule set (a draft) and some platform has claims before
    ``start``: the projected claims then carry that rule set, which the batch engine leaves to the per-claim
    engine platform by platform, slower than calling it directly. A what-if from ``start`` on is vectorised
    (each claim under the parameters of its date). Both engines give the same fen."""
    if forced and any(c.application_date < start for s in scenarios for c in s.claims):
        return per_claim_engine
    return batch_engine


def forecast(subjects: Sequence[Subject], book: RuleBook, what_if: WhatIf, first_year: int, *,
             years: int = YEARS, run: Evaluator | None = None) -> Forecast:
    """Project every subject's payables for ``years`` budget years from ``first_year`` under ``what_if``.

    Raises :class:`InputErrors` (nothing computed) when the what-if itself is bad."""
    return forecasts(subjects, book, (what_if,), first_year, years=years, run=run)[0]


TRIGGER_FREE = ("equipment.", "payer_split.", "exclusivity.", "institution_exclusion.", "municipal_award.amount",
                "municipal_award.max_times")
"""Parameters no award trigger reads (``find_trigger`` of :data:`AWARDS`): what-ifs that change only these
project the same future claims, so :func:`forecasts` builds them once for all of them."""


@dataclass(frozen=True)
class _Prepared:
    """One what-if made ready: its rule book (draft in, what-if from the first budget day on), the forced rule
    set, and the key of the future claims it projects (what-ifs with equal keys project the same)."""

    what_if: WhatIf
    book: RuleBook
    forced: str | None
    projection: object


def _prepare(what_if: WhatIf, book: RuleBook, start: date) -> _Prepared:
    drafted, forced = book_for(what_if, book, start)
    options = options_for(what_if, drafted)
    dated = from_day(drafted, options, start)
    moving = sorted((k, repr(v)) for k, v in options.overrides.items()
                    if not k.rpartition(":")[2].startswith(TRIGGER_FREE))
    key: object = object() if what_if.draft or forced else (what_if.extrapolation, tuple(moving))
    return _Prepared(what_if, dated, forced, key)


def forecasts(subjects: Sequence[Subject], book: RuleBook, what_ifs: Sequence[WhatIf], first_year: int, *,
              years: int = YEARS, run: Evaluator | None = None) -> tuple[Forecast, ...]:
    """:func:`forecast` of each what-if on the same subjects; the future claims (and the batch engine's columns
    of them) are built once for the what-ifs that project the same ones (:data:`TRIGGER_FREE`).

    Raises :class:`InputErrors` (nothing computed) when a what-if is bad."""
    start = date(first_year, 1, 1)
    span = budget_years(first_year, years)
    prepared = [_prepare(w, book, start) for w in what_ifs]
    with collector_paused():
        return tuple(_forecasts(subjects, prepared, span, start, run))


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused (and restored as it was): a forecast allocates hundreds of
    thousands of short-lived, acyclic objects, and each full collection they trigger walks every live object,
    the subjects' models included — at 10,000 platforms, as long as the forecast itself (``./dev bench
    forecast``). Reference counting still frees everything; cycles wait for the next collection."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _forecasts(subjects: Sequence[Subject], prepared: list[_Prepared], span: tuple[int, ...], start: date,
               run: Evaluator | None) -> list[Forecast]:
    projected: dict[object, tuple[list[Scenario], Evaluator]] = {}
    out = []
    for prep in prepared:
        if prep.projection not in projected:
            scenarios = [future_scenario(s, span, prep.what_if, prep.book, prep.forced) for s in subjects]
            engine = run or _engine_for(scenarios, forced=prep.forced is not None, start=start)
            projected[prep.projection] = scenarios, _on_columns(engine, scenarios, prep.book)
        scenarios, engine = projected[prep.projection]
        out.append(_forecast_of(subjects, list(scenarios), prep, span, engine))
    return out


def _on_columns(engine: Evaluator, scenarios: list[Scenario], book: RuleBook) -> Evaluator:
    """The batch engine with the columns of ``scenarios`` built once (for every what-if projecting them);
    any other engine as it is."""
    if engine is not batch_engine:
        return engine
    from calculators.batch import columns_from_scenarios

    cols = columns_from_scenarios(scenarios, book)

    def on_columns(todo: Sequence[Scenario], b: RuleBook, options: Options) -> tuple[list[list[Paid] | InputErrors], int]:
        same = len(todo) == len(scenarios) and all(x is y for x, y in zip(todo, scenarios, strict=True))
        return batch_engine(todo, b, options, cols if same else None)

    return on_columns


def _forecast_of(subjects: Sequence[Subject], scenarios: list[Scenario], prep: _Prepared, span: tuple[int, ...],
                 engine: Evaluator) -> Forecast:
    skipped: list[Skipped] = []
    results, fallbacks = _settle(scenarios, prep.book, Options(), engine, skipped)
    names = {code: p.name for code, p in prep.book.payers.items()}
    lines: list[Line] = []
    for subject, paid in zip(subjects, results, strict=True):
        # a record the engine refused: its commitments still stand
        lines += _lines_of(paid, subject, span, names) if paid is not None else _commitment_lines(subject, span[0])
    return Forecast(prep.what_if, span, tuple(lines), tuple(skipped), len(subjects), fallbacks)
