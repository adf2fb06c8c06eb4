"""Cumulative caps (累计上限) as of a date, for the ledger's guard and the auditors' reconciliation.

Only the equipment subsidy has a cap that depends on the level held (细则 第四章（一）(1)); a program
without a level cap answers ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from calculators.rulesets.model import Options, RuleBook
from calculators.scenario import LEVEL_RANK

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


def cap_on(recognitions: Iterable[tuple[str, date]], book: RuleBook, program: str, on: date,
           options: Options | None = None) -> Cap | None:
    """The cap of ``program`` on ``on`` for a platform with ``recognitions`` — its (level, date recognised)
    pairs (认定) — by the highest eligible level it holds then."""
    spec = LEVEL_CAPS.get(program)
    if spec is None:
        return None
    levels_param, cap_pattern = spec
    recognised = tuple(recognitions)
    for rs in reversed(book.defining(program)):
        if rs.in_force_from > on:  # not yet in force; one that has ended still decides its own claims' caps
            continue
        eligible = tuple(rs.param(levels_param, on, options).value)
        held = [level for level, when in recognised if when <= on and level in eligible]
        if not held:
            return None
        level = max(held, key=LEVEL_RANK.__getitem__)
        cap = rs.param(cap_pattern.format(level=level), on, options)
        return Cap(program, level, int(cap.value), cap.cite(), rs.id)
    return None
