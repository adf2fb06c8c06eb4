"""What a platform can claim now (可申报项目), program by program, and why not where it cannot.

Nothing here re-implements a rule: each program is *probed* through the calculators exactly as a
试算 would compute a claim filed on the given day with no invoices (the equipment subsidy then
takes every window year not yet claimed), and the probe's status, trigger, cap and reasons decide.
The ledger adds what only it knows: claims still in the procedure, claims already decided, and the
committed cap position (累计上限 net of every commitment, pending ones included).

The results are typed (integer fen, an enum); the pages format them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from calculators.caps import cap_on
from calculators.engine import RULESET_RULE, evaluate
from calculators.errors import CalculatorError, InputErrors
from calculators.results import ClaimResult
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import RuleBook
from calculators.scenario import ClaimInput, Scenario
from ledger import accounts as A
from ledger.history import DECIDED, PENDING, scenario_for
from ledger.models import Claim, Platform
from ledger.queries import balance

PROBE = "PROBE"
FIXED_AWARD_FREE = frozenset({"equipment-subsidy", "national-matching", "zj-new-provincial"})
"""Programs whose amount depends on what the claim brings (invoices, national support): no estimate."""


class Standing(StrEnum):
    """Whether a program can be claimed now, and if not, the kind of reason."""

    CLAIMABLE = "claimable"
    IN_PROGRESS = "in_progress"  # a claim of the program is still in the procedure
    CAP_REACHED = "cap_reached"  # 累计上限 used up
    ALREADY_RECEIVED = "already_received"  # a one-time award received, or the higher-of rule withholds it
    NOT_RECOGNISED = "not_recognised"  # no triggering recognition yet
    OUTSIDE_WINDOW = "outside_window"  # not within the rule set's dates, the year's claim made, no year left
    NOT_ELIGIBLE = "not_eligible"  # another condition fails (institution exclusion, record scope, grade…)


@dataclass(frozen=True)
class ProgramStanding:
    """One program for one platform on one day.

    Attributes:
        program / title: the program id and its Chinese title.
        standing: see :class:`Standing`.
        reason: the calculators' (or the ledger's) own statement with its clause; empty when claimable.
        estimate: what a claim filed now would pay (fen), for fixed awards; ``None`` where the amount
            depends on the claim's invoices or figures.
        headroom: the cap still open (fen) by the ledger's commitments, ``None`` if the program has no cap.
        years: equipment: the investment years a claim now would reach.
        claims: the numbers of the platform's claims under the program (in the procedure or decided).
    """

    program: str
    title: str
    standing: Standing
    reason: str = ""
    estimate: int | None = None
    headroom: int | None = None
    years: tuple[int, ...] = ()
    claims: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlatformStanding:
    platform: str
    name: str
    jurisdiction: str
    on: date
    programs: tuple[ProgramStanding, ...]

    @property
    def claimable(self) -> tuple[ProgramStanding, ...]:
        return tuple(p for p in self.programs if p.standing is Standing.CLAIMABLE)


def program_titles(book: RuleBook) -> dict[str, str]:
    """Every program the rule book defines, with its title (the latest rule set's)."""
    out: dict[str, str] = {}
    for rs in sorted(book.rule_sets.values(), key=lambda r: r.in_force_from):
        for pid, info in rs.programs.items():
            out[pid] = info.title
    return out


def _probe_item(program: str, on: date, scenario: Scenario) -> dict[str, Any]:
    item: dict[str, Any] = {"id": PROBE, "program": program, "application_date": on}
    if program == "national-matching":
        item["national_support"] = "1.00"  # the standing does not depend on the amount
    if program == "zj-new-provincial":
        item["recorded_amount"] = "1.00"  # the province decides the amount
    if program in ("pool-award", "zj-excellent"):
        years = [e.year for e in scenario.evaluations if e.date <= on]
        item["evaluation_year"] = max(years) if years else on.year - 1
    return item


def _probe(scenario: Scenario, book: RuleBook, program: str, on: date) -> ClaimResult | InputErrors | CalculatorError:
    claim = ClaimInput.model_validate(_probe_item(program, on, scenario))
    probe = scenario.model_copy(update={"claims": [*scenario.claims, claim]})
    try:
        return evaluate(probe, book).by_claim()[PROBE]
    except InputErrors as exc:
        return exc
    except CalculatorError as exc:
        return exc


def _from_result(r: ClaimResult, program: str) -> tuple[Standing, str]:
    why = "；".join(r.reasons)
    if r.status == "ineligible":
        # a trigger held, but no rule set defining the program was in force at it: the policy's dates
        refused = bool(r.trace) and r.trace[0].step == "rule-set" and r.trace[0].note in r.reasons
        if refused:
            return Standing.OUTSIDE_WINDOW, why
        return (Standing.NOT_ELIGIBLE if r.trigger else Standing.NOT_RECOGNISED), why
    if r.status == "excluded":
        return Standing.NOT_ELIGIBLE, why
    if r.payable > 0 or (program == "equipment-subsidy" and r.years and r.status != "capped"):
        return Standing.CLAIMABLE, ""
    if r.cap is not None and r.cap.headroom == 0:
        return Standing.CAP_REACHED, why
    if program == "equipment-subsidy" and not r.years:
        return Standing.OUTSIDE_WINDOW, "可申报年度内的设备投资均已申报"
    return Standing.ALREADY_RECEIVED, why


def _from_error(exc: InputErrors | CalculatorError) -> tuple[Standing, str]:
    if isinstance(exc, InputErrors):
        first = exc.issues[0]
        text = "；".join(i.message for i in exc.issues)
        if first.field.endswith("application_date") or first.rule == RULESET_RULE:
            return Standing.OUTSIDE_WINDOW, text
        return Standing.NOT_ELIGIBLE, text
    return Standing.NOT_ELIGIBLE, str(exc)


def _claims_by_program(session: Session, platform: Platform) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    rows = session.execute(select(Claim.program, Claim.number, Claim.state).where(Claim.platform_id == platform.id)
                           .order_by(Claim.application_date, Claim.id)).all()
    for program, number, state in rows:
        out.setdefault(program, []).append((number, state))
    return out


def _headroom(session: Session, platform: Platform, scenario: Scenario, book: RuleBook, program: str,
              on: date) -> int | None:
    """The cap still open by the ledger's commitments (as :func:`ledger.queries.cap_headroom`, on the
    scenario already built); ``None`` for a program without a cap."""
    found = cap_on([(r.level, r.date) for r in scenario.recognitions], book, program, on)
    if found is None:
        return None
    committed = -balance(session, A.COMMITTED_ACCOUNTS, as_of=on, platform_id=platform.id, program=program)
    return found.limit - committed


def _with_ledger(standing: Standing, reason: str, headroom: int | None,
                 claims: Sequence[tuple[str, str]]) -> tuple[Standing, str]:
    """What only the ledger knows: every commitment held against the cap, and claims still in the procedure."""
    if standing is Standing.CLAIMABLE and headroom is not None and headroom <= 0:
        return Standing.CAP_REACHED, "累计上限已被已审定和在办申请全部占用"
    if standing is not Standing.CLAIMABLE and any(s in PENDING for _, s in claims):
        return Standing.IN_PROGRESS, reason
    return standing, reason


def _one(session: Session, platform: Platform, scenario: Scenario, book: RuleBook, program: str, title: str,
         on: date, claims: Sequence[tuple[str, str]]) -> ProgramStanding:
    found = _probe(scenario, book, program, on)
    result: ClaimResult | None = None
    if isinstance(found, ClaimResult):
        result = found
        standing, reason = _from_result(found, program)
    else:
        standing, reason = _from_error(found)
    headroom = _headroom(session, platform, scenario, book, program, on)
    standing, reason = _with_ledger(standing, reason, headroom, claims)
    claimable = standing is Standing.CLAIMABLE
    return ProgramStanding(
        program=program, title=title, standing=standing, reason=reason,
        estimate=result.payable if result is not None and claimable and program not in FIXED_AWARD_FREE else None,
        headroom=None if headroom is None else max(0, headroom),
        years=result.years if result is not None and program == "equipment-subsidy" else (),
        claims=tuple(n for n, s in claims if s in PENDING or s in DECIDED))


def platform_standing(session: Session, platform: Platform, on: date, *, book: RuleBook | None = None,
                      programs: Iterable[str] | None = None) -> PlatformStanding:
    """Every program (or those named) for ``platform`` on ``on``: claimable now, or why not. Writes nothing."""
    book = book or rulebook()
    titles = program_titles(book)
    scenario = scenario_for(session, platform)
    claims = _claims_by_program(session, platform)
    chosen = list(programs) if programs is not None else list(titles)
    return PlatformStanding(
        platform=platform.code, name=platform.name, jurisdiction=platform.jurisdiction_code, on=on,
        programs=tuple(_one(session, platform, scenario, book, p, titles.get(p, p), on, claims.get(p, ()))
                       for p in chosen))
