"""Facts about a platform as of a date: level held, pool membership, municipal recognition.

Every query takes the date it is asked for and ignores anything dated later, so adding a later
event never changes an earlier answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from calculators.eligibility import Withdrawal, withdrawals
from calculators.results import quick_init
from calculators.scenario import LEVEL_RANK, EvaluationRecord, PoolSpell, Recognition, Scenario


@quick_init
@dataclass(frozen=True)
class Trigger:
    """The event that triggers a claim (入围/认定/评价) and so picks its rule set (解读 R-1)."""

    key: str  # stable id, e.g. "recognition:R2" or "excellent:2027"
    date: date
    description: str
    clause: str = ""


def recognition_key(r: Recognition, index: int) -> str:
    return f"recognition:{r.id or index}"


class Facts:
    """Read-only questions over one scenario's history."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._recognitions = sorted(
            enumerate(scenario.recognitions), key=lambda ir: (ir[1].date, ir[0])
        )
        self._evaluations = sorted(scenario.evaluations, key=lambda e: (e.year, e.date))
        self.withdrawals = withdrawals(scenario)
        self._ended = {i: w.date for w in self.withdrawals for i in w.recognitions}
        self._highest: dict[tuple[date, tuple[str, ...] | None], tuple[int, Recognition] | None] = {}
        self.investments_by_year = {inv.year: inv for inv in scenario.investments}
        """The audited equipment investment (设备投入) by year."""
        self.memo: dict[tuple[Any, ...], Any] = {}
        """Answers the programs derive from these facts and keep for the platform's later claims (the
        trigger a recognition makes, …), keyed by a tuple whose first item names the program."""

    def recognitions_until(self, on: date) -> list[tuple[int, Recognition]]:
        return [(i, r) for i, r in self._recognitions if r.date <= on]

    def held_on(self, on: date) -> list[tuple[int, Recognition]]:
        """The recognitions held on ``on``: made by then and not ended by a withdrawal on or before it."""
        return [(i, r) for i, r in self.recognitions_until(on) if not (i in self._ended and self._ended[i] <= on)]

    def withdrawn_by(self, on: date) -> list[Withdrawal]:
        """Withdrawals on or before ``on`` whose level the platform has not been recognised at again since."""
        if not self.withdrawals:
            return []
        return [w for w in self.withdrawals if w.date <= on
                and not any(r.level == w.level and r.date > w.date for _, r in self.recognitions_until(on))]

    def highest_level(self, on: date, levels: tuple[str, ...] | None = None) -> tuple[int, Recognition] | None:
        """The highest recognition held on ``on`` (first reached, if several at that level); answered once
        per date and levels (a claim's trigger, cap and checks ask the same)."""
        key = (on, levels)
        if key in self._highest:
            return self._highest[key]
        self._highest[key] = best = self._highest_level(on, levels)
        return best

    def _highest_level(self, on: date, levels: tuple[str, ...] | None) -> tuple[int, Recognition] | None:
        best: tuple[int, Recognition] | None = None
        best_rank = 0
        for i, r in self._recognitions:  # held_on(on), read in one pass
            if r.date > on:
                break  # in date order: none later is held yet
            level = r.level
            if (levels is not None and level not in levels) or (i in self._ended and self._ended[i] <= on):
                continue
            if LEVEL_RANK[level] > best_rank:
                best, best_rank = (i, r), LEVEL_RANK[level]
        return best

    def first_at_level(self, level: str, on: date) -> tuple[int, Recognition] | None:
        for i, r in self.held_on(on):
            if r.level == level:
                return i, r
        return None

    def pool_spell_on(self, on: date) -> PoolSpell | None:
        for spell in self.scenario.pool:
            if spell.entered <= on and (spell.left is None or on < spell.left):
                return spell
        return None

    def evaluations_until(self, on: date, scheme: str) -> list[EvaluationRecord]:
        return [e for e in self._evaluations if e.scheme == scheme and e.date <= on]

    def agreement_support_until(self, on: date) -> list[int]:
        return [i for i, a in enumerate(self.scenario.agreement_support) if a.date <= on]

    # size: the three ways of becoming a 嘉兴市中试平台 (细则 第三章) side by side; the earliest wins
    def municipal_recognition(
        self, on: date, *, consecutive_excellent: int, auto_levels: tuple[str, ...]
    ) -> Trigger | None:
        """When (if by ``on``) the platform became a 嘉兴市中试平台 (细则 第三章).

        The earliest of: a municipal recognition document; a national/provincial recognition while
        in the pool (自动认定); the ``consecutive_excellent``-th consecutive 优秀 while in the pool.
        """
        found: list[Trigger] = []
        for i, r in self.recognitions_until(on):
            if r.level == "municipal":
                found.append(Trigger(recognition_key(r, i), r.date,
                                     f"认定为嘉兴市中试平台（{r.document_number or '无文号'}）", "细则 第三章"))
            elif r.level in auto_levels and self.pool_spell_on(r.date) is not None:
                found.append(Trigger(
                    recognition_key(r, i), r.date,
                    f"在库期间获评{'国家级' if r.level == 'national' else '省级'}中试平台，自动认定为嘉兴市中试平台"
                    f"（{r.document_number or '无文号'}）",
                    "细则 第三章：期间获评国家级、省级中试平台的自动认定为嘉兴市中试平台",
                ))
        # consecutive 优秀 within one pool spell: a platform removed from the pool (退库) restarts (细则 第三章（二）)
        run: list[EvaluationRecord] = []
        run_spell: PoolSpell | None = None
        for e in self.evaluations_until(on, "jiaxing"):
            spell = self.pool_spell_on(e.date)
            if e.grade == "优秀" and spell is not None and run and run_spell is spell and run[-1].year == e.year - 1:
                run.append(e)
            elif e.grade == "优秀" and spell is not None:
                run, run_spell = [e], spell
            else:
                run, run_spell = [], None
            if len(run) >= consecutive_excellent:
                years = "、".join(str(x.year) for x in run[-consecutive_excellent:])
                found.append(Trigger(f"excellent:{e.year}", e.date,
                                     f"在库期间{years}年度连续获评优秀，认定为嘉兴市中试平台",
                                     "细则 第三章：两年连续获评“优秀”的……列为嘉兴市中试平台"))
                break
        return min(found, key=lambda t: t.date) if found else None
