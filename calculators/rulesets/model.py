"""The in-memory form of a rule set (政策版本): dated, cited parameter values.

A :class:`RuleSet` is immutable. Looking a value up always names the date (``at``), the way
OpenFisca reads "parameters at this date"; a value can be ended (``to`` or a later ``null``).
Readings (解读, docs/readings.md) are parameters whose alternatives are listed in the data and
selected through :class:`Options`, never by editing code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
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

    def cite(self) -> str:
        if not self.overridden:
            return self.clause
        return f"{self.clause}（{OVERRIDE_LABELS.get(self.overridden, self.overridden)}）"


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

    def in_force(self, on: date) -> bool:
        return self.in_force_from <= on and (self.in_force_to is None or on <= self.in_force_to)

    def has(self, name: str) -> bool:
        return name in self.parameters

    def param(self, name: str, on: date, options: Options | None = None) -> Resolved:
        """The value of ``name`` on ``on``, with reading/what-if overrides from ``options`` applied."""
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

    def override_kind(self, key: str, p: Parameter) -> str:
        return "reading" if key in self.readings or p.reading is not None else "what-if"


@dataclass(frozen=True)
class RuleBook:
    """Every loaded rule set plus the jurisdictions (行政区划) and their finance payers."""

    rule_sets: Mapping[str, RuleSet]
    jurisdictions: Mapping[str, Jurisdiction]
    payers: Mapping[str, Payer]

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
        return sorted(
            (rs for rs in self.rule_sets.values() if program in rs.programs), key=lambda r: r.in_force_from
        )

    def in_force_on(self, on: date) -> list[RuleSet]:
        """Funding rule sets (those defining programs) in force on ``on``."""
        return [rs for rs in self.rule_sets.values() if rs.programs and rs.in_force(on)]


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
