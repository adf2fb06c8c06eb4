"""What every program (补助政策) receives and returns, and the platform's running state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from calculators.errors import InputErrors
from calculators.facts import Facts, Trigger, recognition_key
from calculators.results import CapInfo, ClaimResult, TraceStep, quick_init
from calculators.rulesets.model import Options, Resolved, RuleBook, RuleSet
from calculators.scenario import ClaimInput, Scenario

_record = TraceStep.recorded
"""The classmethod bound once, not on every step a claim records."""


@dataclass
class PlatformState:
    """Running totals over the claims already evaluated, in date order.

    Attributes:
        entitled: cumulative entitlement per program after caps (累计应得).
        paid: cumulative payable per program (累计应付).
        group_paid: cumulative payable per exclusivity group.
        elections: exclusive reading: trigger key → program elected.
        claimed_years: equipment investment year → claim id.
        claimed_invoices: ``issuer:number`` → claim id.
        application_years: (program, application year) → claim ids.
        results: results so far.
    """

    entitled: dict[str, int] = field(default_factory=dict)
    paid: dict[str, int] = field(default_factory=dict)
    group_paid: dict[str, int] = field(default_factory=dict)
    elections: dict[str, str] = field(default_factory=dict)
    claimed_years: dict[int, str] = field(default_factory=dict)
    claimed_invoices: dict[str, str] = field(default_factory=dict)
    application_years: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    results: list[ClaimResult] = field(default_factory=list)

    def prior(self, program: str) -> list[ClaimResult]:
        return [r for r in self.results if r.program == program and r.status != "reversed"]


@dataclass(slots=True)
class ClaimContext:
    """Everything a program may look at to compute one claim."""

    claim: ClaimInput
    index: int
    scenario: Scenario
    facts: Facts
    book: RuleBook
    rule_set: RuleSet
    options: Options
    state: PlatformState
    trigger: Trigger | None
    trace: list[TraceStep] = field(default_factory=list)
    on: date = field(init=False)
    """The application date: the date every parameter is read on."""
    _params: dict[str, Resolved] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.on = self.claim.application_date
        self._params = self.rule_set.resolved_on(self.on, self.options)

    @property
    def field(self) -> str:
        return f"claims[{self.index}]"

    def p(self, name: str) -> Resolved:
        """A parameter of the governing rule set as of the application date (resolved once per rule set,
        date and options, :meth:`RuleSet.resolved_on`)."""
        return self._params.get(name) or self.rule_set.param(name, self.on, self.options)

    def step(self, step: str, clause: str, note: str | Callable[[], str], **values: Any) -> None:
        """Record a trace step: ``*_fen`` values are shown in 元 under the name without ``_fen``, the
        others as text, and a ``note`` given as a function is written — all when the trace is first read
        (:meth:`TraceStep.recorded`)."""
        self.trace.append(_record(step, clause, note, values))

    def none_allowed(self, program: str, times: Resolved) -> ProgramOutcome | None:
        """A one-time award that may be paid no time at all (``max_times`` = 0, a what-if: the award
        abolished): the claim is ineligible, with the reason; a negative number of times is refused as
        input. ``None`` when at least one is allowed."""
        n = int(times.value)
        if n > 0:
            return None
        if n < 0:
            raise InputErrors.one(f"what_if.{times.name}", f"{times.cite()}：奖励次数上限不得小于0",
                                  f"奖励次数上限（{times.name}）须为不小于0的整数，收到 {n}")
        why = f"{self.rule_set.programs[program].title}的奖励次数上限为0次，不予奖励"
        self.step("once", times.cite(), why, max_times=n)
        return ProgramOutcome.ineligible(f"{why}（{times.cite()}）")

    def already_received(self, program: str, times: Resolved, gross: int, note: str,
                         reason: str) -> ProgramOutcome | None:
        """The once-per-platform rule (``max_times``): ``None`` while the platform may still receive
        ``program``; else a traced outcome paying 0 (ineligible when no time at all is allowed:
        :meth:`none_allowed`). ``note`` and ``reason`` are templates over ``{claim}`` (the earlier claim
        that received it) and ``{times}``."""
        none = self.none_allowed(program, times)
        if none is not None:
            return none
        earlier = [r for r in self.state.prior(program) if r.status != "ineligible" and r.entitled > 0]
        if len(earlier) < int(times.value):
            return None
        first = earlier[0].claim_id
        self.step("once", times.cite(), note.format(claim=first, times=times.value), gross_fen=gross,
                  entitled_fen=0)
        return ProgramOutcome("computed", gross, 0,
                              reasons=(f"{reason.format(claim=first, times=times.value)}（{times.cite()}）",))


@quick_init
@dataclass(frozen=True)
class ProgramOutcome:
    """A program's own verdict, before exclusion, approval, offset and split."""

    status: str  # "computed" | "ineligible"
    gross: int
    entitled: int
    cap: CapInfo | None = None
    reasons: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    invoices: tuple[str, ...] = ()

    @staticmethod
    def ineligible(reason: str) -> ProgramOutcome:
        return ProgramOutcome("ineligible", 0, 0, reasons=(reason,))


def first_recognition(facts: Facts, claim: ClaimInput, rs: RuleSet, program: str, level: str,
                      wording: str) -> Trigger | None:
    """The trigger of a program paid on a platform's first recognition at ``level`` (入围/认定) by the
    claim date: that recognition, described as ``wording（文号，日期）``."""
    found = facts.first_at_level(level, claim.application_date)
    if found is None:
        return None
    i, r = found
    return Trigger(recognition_key(r, i), r.date, f"{wording}（{r.document_number or '无文号'}，{r.date}）",
                   rs.programs[program].clause)


TriggerFinder = Callable[[Facts, ClaimInput, RuleSet, Options], Trigger | None]
Computer = Callable[[ClaimContext], ProgramOutcome]


@dataclass(frozen=True)
class ProgramSpec:
    """A program: how to find its trigger and how to compute it."""

    id: str
    find_trigger: TriggerFinder
    compute: Computer
