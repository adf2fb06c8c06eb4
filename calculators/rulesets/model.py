"""The in-memory form of a rule set (政策版本): dated, cited parameter values.

A :class:`RuleSet` is immutable. Looking a value up always names the date (``at``), the way
OpenFisca reads "parameters at this date"; a value can be ended (``to`` or a later ``null``).
Readings (解读, docs/readings.md) are parameters whose alternatives are listed in the data and
selected through :class:`Options`, never by editing code.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any

from calculators.errors import InputErrors


@dataclass(frozen=True)
class DatedValue:
    """One value of a parameter and the span in which it is in force.

    Attributes:
        start: first day in force.
        end: last day in force, or ``None`` while open-ended.
        value: the converted value (Decimal rate, int fen, str, int, dict, …); ``None`` ends the measure.
        clause: the document and article the value comes from (e.g. ``细则 第四章（一）(1)``).
    """

    start: date
    end: date | None
    value: Any
    clause: str

    def covers(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


@dataclass(frozen=True)
class Reading:
    """An ambiguous clause's chosen reading and its selectable alternatives (解读 R-n in docs/readings.md)."""

    default: str
    alternatives: Mapping[str, str]  # value -> what it means


@dataclass(frozen=True)
class Parameter:
    """A named parameter of a rule set with its dated values.

    Attributes:
        name: dotted key, e.g. ``equipment.rate``.
        kind: ``rate`` | ``amount`` (int fen) | ``integer`` | ``enum`` | ``text`` | ``list`` | ``table``.
        description: what the value means.
        values: dated values in start order.
        reading: set when the parameter is a reading (docs/readings.md).
        item: for tables, the kind of each entry.
    """

    name: str
    kind: str
    description: str
    values: tuple[DatedValue, ...]
    reading: Reading | None = None
    item: str | None = None

    def at(self, on: date) -> DatedValue | None:
        found: DatedValue | None = None
        for dv in self.values:
            if dv.covers(on):
                found = dv
        if found is None or found.value is None:
            return None
        return found


# How a trace marks a value that is not the rule set's default: a reading chosen among the
# alternatives (docs/readings.md), or a parameter changed for a what-if.
OVERRIDE_LABELS: dict[str, str] = {"reading": "按所选解读", "what-if": "假设测算"}


@dataclass(frozen=True)
class Resolved:
    """A parameter value as used in one computation, with its citation."""

    name: str
    value: Any
    clause: str
    overridden: str | None = None  # "reading" or "what-if" when the value was not the default
    _cited: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # written once: a resolved value is memoised (RuleSet.param) and cited by every claim's trace
        cited = (f"{self.clause}（{OVERRIDE_LABELS.get(self.overridden, self.overridden)}）" if self.overridden
                 else self.clause)
        object.__setattr__(self, "_cited", cited)

    def cite(self) -> str:
        return self._cited


@dataclass(frozen=True)
class ProgramInfo:
    """A program a rule set defines (e.g. ``equipment-subsidy``) with its title and clause."""

    id: str
    title: str
    clause: str


@dataclass(frozen=True)
class RuleSet:
    """One policy document's rules (政策版本) as data.

    Attributes:
        id: e.g. ``jiaxing-rules-2026``.
        title: document title in Chinese.
        short: short name used in citations (e.g. ``细则``).
        document_number: 文号 where the document has one.
        issuer: 发文机关.
        printed: date printed (印发).
        in_force_from / in_force_to: dates in force (inclusive; ``None`` = open).
        purse: who funds it: ``municipal`` | ``provincial`` | ``none``.
        programs: programs the rule set defines, by id.
        parameters: parameters by name.
        source: file the rule set was loaded from (for error messages).
        procedures: the procedures (办理流程) it defines, by id; which one a program follows is the
            parameter ``procedure.<program>`` (a reading where the documents leave it open).
    """

    id: str
    title: str
    short: str
    document_number: str
    issuer: str
    printed: date | None
    in_force_from: date
    in_force_to: date | None
    in_force_clause: str
    purse: str
    programs: Mapping[str, ProgramInfo]
    parameters: Mapping[str, Parameter]
    source: str
    procedures: Mapping[str, Procedure] = field(default_factory=dict)
    _resolved: dict[tuple[int, str | None], dict[str, Resolved]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def in_force(self, on: date) -> bool:
        return self.in_force_from <= on and (self.in_force_to is None or on <= self.in_force_to)

    def has(self, name: str) -> bool:
        return name in self.parameters

    def param(self, name: str, on: date, options: Options | None = None) -> Resolved:
        """The value of ``name`` on ``on``, with reading/what-if overrides from ``options`` applied.

        Resolved once per parameter, date and options (:meth:`resolved_on`): the rule set is immutable, so
        the same question always has the same answer."""
        memo = self.resolved_on(on, options)
        found = memo.get(name)
        if found is None:
            found = memo[name] = self._resolve(name, on, options)
        return found

    def resolved_on(self, on: date, options: Options | None = None) -> dict[str, Resolved]:
        """The parameters already resolved on ``on`` under ``options`` (by their content, :attr:`Options.key`),
        by name: :meth:`param` fills it as parameters are asked for, and a claim's context reads it first.

        Shared by every date between the same two :attr:`_boundaries`, where no parameter changes value."""
        key = (bisect_right(self._boundaries, on), None if options is None else options.key)
        memo = self._resolved.get(key)
        if memo is None:
            if len(self._resolved) >= MEMO_LIMIT:  # a long-lived process asking ever new what-ifs
                self._resolved.clear()
            memo = self._resolved[key] = {}
        return memo

    def span(self, on: date) -> int:
        """Which span of dates ``on`` falls in (numbered in date order): between two :attr:`_boundaries` no
        parameter changes value, so an answer derived from this rule set's parameters alone is the same on
        every day of a span (what :meth:`resolved_on` and the payer split's memo key by)."""
        return bisect_right(self._boundaries, on)

    @cached_property
    def _boundaries(self) -> list[date]:
        """Every day on which some parameter's value may change (a value's first day, the day after its
        last), in order: between two of them every parameter has the same value."""
        days = {dv.start for p in self.parameters.values() for dv in p.values}
        days |= {dv.end + timedelta(days=1) for p in self.parameters.values() for dv in p.values
                 if dv.end is not None and dv.end < date.max}
        return sorted(days)

    def _resolve(self, name: str, on: date, options: Options | None) -> Resolved:
        p = self.parameters.get(name)
        if p is None:
            raise KeyError(f"rule set {self.id} has no parameter {name}")
        dv = p.at(on)
        if dv is None:
            # fall back to the latest value for what-if evaluation outside the dates in force
            dv = p.values[-1] if p.values and p.values[-1].value is not None else None
        if dv is None:
            raise InputErrors.one(
                name, f"{self.short}：施行中的参数", f"规则集 {self.id} 在 {on} 没有参数 {name} 的取值；请核对日期或规则集"
            )
        if options is not None:
            key = f"{self.id}:{name}"
            for k in (key, name):
                if k in options.overrides:
                    return Resolved(name, options.overrides[k], dv.clause, options.override_kind(k, p))
        return Resolved(name, dv.value, dv.clause)


MEMO_LIMIT = 10_000
"""Entries a rule set (spans of dates × options) or rule book keeps of the answers it memoises before starting afresh."""


@dataclass(frozen=True)
class Options:
    """How to evaluate: readings chosen, what-if overrides, a forced rule set.

    Attributes:
        overrides: parameter → value, keyed ``name`` or ``rule-set-id:name``; values already converted.
        readings: the subset of ``overrides`` that select a reading (docs/readings.md).
        rule_set: evaluate every claim under this rule set (what-if), not the one its trigger date picks.
    """

    overrides: Mapping[str, Any] = field(default_factory=dict)
    readings: frozenset[str] = frozenset()
    rule_set: str | None = None

    @cached_property
    def key(self) -> str:
        """The options' content as text, equal for equal options: what memoised answers are keyed by (the
        values are the converted parameter values — Decimal, int, str, date, lists and tables of them — whose
        ``repr`` shows the value)."""
        return repr((sorted(self.overrides.items()), sorted(self.readings), self.rule_set))

    def override_kind(self, key: str, p: Parameter) -> str:
        return "reading" if key in self.readings or p.reading is not None else "what-if"


@dataclass(frozen=True)
class RuleBook:
    """Every loaded rule set plus the jurisdictions (行政区划) and their finance payers."""

    rule_sets: Mapping[str, RuleSet]
    jurisdictions: Mapping[str, Jurisdiction]
    payers: Mapping[str, Payer]
    _defining: dict[str, tuple[RuleSet, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Answers the calculators derive from the book and memoise (the payer split of a jurisdiction under a
    rule set on a date, …), keyed by a tuple whose first item names the asking module; at most
    :data:`MEMO_LIMIT` entries."""

    def get(self, rule_set_id: str, *, field_name: str = "rule_set") -> RuleSet:
        rs = self.rule_sets.get(rule_set_id)
        if rs is None:
            raise InputErrors.one(
                field_name,
                "解读 R-1: rule sets",
                f"规则集 {rule_set_id!r} 不存在；可选：{'、'.join(sorted(self.rule_sets))}",
            )
        return rs

    def defining(self, program: str) -> list[RuleSet]:
        """The rule sets defining ``program``, earliest in force first (sorted once per program)."""
        found = self._defining.get(program)
        if found is None:
            found = tuple(sorted(
                (rs for rs in self.rule_sets.values() if program in rs.programs), key=lambda r: r.in_force_from
            ))
            self._defining[program] = found
        return list(found)

    def defines(self, program: str) -> bool:
        """Whether some rule set defines ``program`` (:meth:`defining`, without the copy)."""
        if program not in self._defining:
            self.defining(program)
        return bool(self._defining[program])

    def procedure(self, procedure_id: str) -> Procedure:
        """The procedure of that id, whichever rule set defines it (ids are unique across the book)."""
        for rs in self.rule_sets.values():
            if procedure_id in rs.procedures:
                return rs.procedures[procedure_id]
        raise KeyError(f"no procedure {procedure_id!r}")

    def procedures(self) -> dict[str, Procedure]:
        return {pid: p for rs in self.rule_sets.values() for pid, p in rs.procedures.items()}

    def procedure_id(self, rule_set_id: str, program: str, on: date, options: Options | None = None) -> str:
        """Which procedure a claim of ``program`` under ``rule_set_id`` follows when filed on ``on``: the rule
        set's parameter ``procedure.<program>`` (a reading, selectable through ``options``)."""
        return str(self.get(rule_set_id).param(f"{PROCEDURE_PARAMETER}{program}", on, options).value)

    def in_force_on(self, on: date) -> list[RuleSet]:
        """Funding rule sets (those defining programs) in force on ``on`` (found once per date)."""
        key = ("in_force_on", on)
        found: tuple[RuleSet, ...] | None = self.memo.get(key)
        if found is None:
            found = tuple(rs for rs in self.rule_sets.values() if rs.programs and rs.in_force(on))
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            self.memo[key] = found
        return list(found)


@dataclass(frozen=True)
class Payer:
    """A finance authority that pays shares (财政): city, district, county or province."""

    code: str
    name: str
    level: str  # province | city | district | county


@dataclass(frozen=True)
class Jurisdiction:
    """A jurisdiction of Jiaxing (区/县/市/港区) with its finance payer and its split class.

    Attributes:
        code: administrative code (GB/T 2260) or the internal code where none exists.
        name: 南湖区 etc.
        kind: ``district`` | ``county`` | ``county-level-city`` | ``development-zone`` | ``port-area``.
        split_class: ``district`` (城区, 50/50 city–district) or ``county`` (参照执行, per reading).
        payer: code of its finance payer.
    """

    code: str
    name: str
    kind: str
    split_class: str
    payer: str


# ---------------------------------------------------------------- procedures (办理流程) as data


PROCEDURE_PARAMETER = "procedure."
"""``procedure.<program>``: the id of the procedure the program's claims follow."""


class ClaimState(StrEnum):
    """A claim's state (申请状态), declared here once: the procedures of the rule sets lead from one to
    another, the ledger stores them (``ledger.models.CLAIM_STATES``) and the pages title them
    (:data:`STATE_TITLES`)."""

    FILED = "filed"
    ECON_REVIEWED = "econ_reviewed"
    DISTRICT_REVIEWED = "district_reviewed"
    AUDITED = "audited"
    APPROVED = "approved"
    IN_NOTICE = "in_notice"
    OBJECTED = "objected"
    ISSUED = "issued"
    PAID = "paid"
    REJECTED = "rejected"
    REVERSED = "reversed"
    RECOVERED = "recovered"
    ALLOCATED = "allocated"
    TRANSFER_RECEIVED = "transfer_received"
    PASSED_ON = "passed_on"


STATE_TITLES: Mapping[str, str] = {
    "filed": "已申报", "econ_reviewed": "区经信已审核", "district_reviewed": "区财政已审核", "audited": "已审计",
    "approved": "已审定", "in_notice": "公示中", "objected": "公示有异议", "issued": "已下达", "paid": "已拨付",
    "rejected": "审核不通过", "reversed": "审定已撤销", "recovered": "已追回",
    "allocated": "省级已下达", "transfer_received": "上级转移支付已到账", "passed_on": "已转拨",
}
PENDING_STATES = ("filed", "econ_reviewed", "district_reviewed", "audited")
"""States before the amount is decided (党组会审定 or 省级下达): the calculators count such a claim as pending."""
DECIDED_STATES = ("approved", "in_notice", "objected", "issued", "paid", "recovered", "allocated",
                  "transfer_received", "passed_on")
"""States after the amount is decided: the claim's decided amount (``approved_fen``) counts as paid out."""
LEVELS = ("district", "city", "payer", "province")
"""Who records a step (办理层级): the platform's district or county, the city, the payer of a share
(city, district or county finance), the province."""


@dataclass(frozen=True)
class Step:
    """One step of a procedure: from which states it may be taken, where it leads, who records it, what it
    needs and which journal entries it posts.

    Attributes:
        id: the step (and the claim event's action), e.g. ``review-economic``.
        title: 办理事项 in Chinese.
        source: the states it may be taken from (empty for filing).
        to: the states it may lead to (empty: the claim stays where it is).
        role: the role that records it (``district_econ``, ``city_bureau``, …).
        level: ``district`` | ``city`` | ``payer`` | ``province`` (:data:`LEVELS`).
        permission: the action of the permission matrix that allows it (``claim.audit``, …).
        needs: the documents, numbers and amounts it records.
        posts: the journal entry kinds it posts (``docs/posting-rules.md``).
        after: the step it must not be dated before (经办流程); ``None``: the claim's latest step.
        not_by: the steps whose recorder may not record this one (经办与复核分离).
        clause: the document and article it comes from.
    """

    id: str
    title: str
    source: tuple[str, ...]
    to: tuple[str, ...]
    role: str
    level: str
    permission: str
    needs: tuple[str, ...] = ()
    posts: tuple[str, ...] = ()
    after: str | None = None
    not_by: tuple[str, ...] = ()
    clause: str = ""

    def leads_to(self, state: str) -> tuple[str, ...]:
        """The states taking the step from ``state`` may lead to (the same state when it moves nothing)."""
        return self.to or (state,)


@dataclass(frozen=True)
class Procedure:
    """A program's procedure (办理流程): its steps, in the order the documents give them."""

    id: str
    title: str
    clause: str
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def allows(self, state: str | None, step_id: str) -> bool:
        """Whether ``step_id`` may be taken from ``state`` (``None``: a claim not yet filed)."""
        step = self.step(step_id)
        return step is not None and (state in step.source if state is not None else not step.source)

    def allows_move(self, state: str | None, step_id: str, to: str) -> bool:
        """Whether taking ``step_id`` from ``state`` may leave the claim in ``to``."""
        step = self.step(step_id)
        return self.allows(state, step_id) and step is not None and to in step.leads_to(state or "")

    def states(self) -> tuple[str, ...]:
        """Every state the procedure declares (reached by some step), in the order of :class:`ClaimState`."""
        reached = {t for s in self.steps for t in s.to} | {f for s in self.steps for f in s.source}
        return tuple(s.value for s in ClaimState if s.value in reached)

    def steps_from(self, state: str) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if state in s.source)
