"""What every program (补助政策) receives and returns, and the platform's running state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from calculators.facts import Facts, Trigger
from calculators.money import fen_to_yuan
from calculators.results import CapInfo, ClaimResult, TraceStep
from calculators.rulesets.model import Options, Resolved, RuleBook, RuleSet
from calculators.scenario import ClaimInput, Scenario


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


@dataclass
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

    @property
    def on(self) -> date:
        return self.claim.application_date

    @property
    def field(self) -> str:
        return f"claims[{self.index}]"

    def p(self, name: str) -> Resolved:
        """A parameter of the governing rule set as of the application date."""
        return self.rule_set.param(name, self.on, self.options)

    def step(self, step: str, clause: str, note: str, **values: Any) -> None:
        shown = {k: (fen_to_yuan(v) if k.endswith("_fen") else str(v)) for k, v in values.items()}
        shown = {(k[:-4] if k.endswith("_fen") else k): v for k, v in shown.items()}
        self.trace.append(TraceStep(step, clause, note, shown))


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


TriggerFinder = Callable[[Facts, ClaimInput, RuleSet, Options], Trigger | None]
Computer = Callable[[ClaimContext], ProgramOutcome]


@dataclass(frozen=True)
class ProgramSpec:
    """A program: how to find its trigger and how to compute it."""

    id: str
    find_trigger: TriggerFinder
    compute: Computer
