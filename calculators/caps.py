"""Cumulative caps (累计上限) as of a date, for the ledger's guard and the auditors' reconciliation.

Only the equipment subsidy has a cap that depends on the level held (细则 第四章（一）(1)); a program
without a level cap answers ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from calculators.facts import Facts
from calculators.rulesets.model import Options, RuleBook
from calculators.scenario import Scenario

LEVEL_CAPS: dict[str, tuple[str, str]] = {
    # program: (parameter listing the eligible levels, parameter name pattern of the cap per level)
    "equipment-subsidy": ("equipment.eligible_levels", "equipment.cap.{level}"),
}


@dataclass(frozen=True)
class Cap:
    """The cap that applies on a date: the level held, the limit in fen, and its clause."""

    program: str
    level: str
    limit: int
    clause: str
    rule_set: str


def cap_on(scenario: Scenario, book: RuleBook, program: str, on: date, options: Options | None = None) -> Cap | None:
    """The cap of ``program`` for the platform of ``scenario`` on ``on``, by the highest level held then."""
    spec = LEVEL_CAPS.get(program)
    if spec is None:
        return None
    levels_param, cap_pattern = spec
    facts = Facts(scenario)
    for rs in reversed(book.defining(program)):
        if not rs.in_force(on) and rs.in_force_from > on:
            continue
        held = facts.highest_level(on, tuple(rs.param(levels_param, on, options).value))
        if held is None:
            return None
        level = held[1].level
        cap = rs.param(cap_pattern.format(level=level), on, options)
        return Cap(program, level, int(cap.value), cap.cite(), rs.id)
    return None
