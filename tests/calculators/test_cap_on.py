"""``cap_on``: the cumulative cap (累计上限) from the levels a platform holds, with nothing but its
recognitions (level, date) — the figures are 细则 第四章（一）(1)'s: 1000万元 national, 500万元 provincial."""

from __future__ import annotations

from datetime import date

from calculators.caps import cap_on
from calculators.rulesets.bundled import rulebook

ON = date(2026, 6, 1)


def test_the_highest_eligible_level_held_on_the_day_sets_the_cap() -> None:
    held = [("municipal", date(2026, 2, 1)), ("provincial", date(2026, 3, 1)), ("national", date(2026, 6, 2))]
    cap = cap_on(held, rulebook(), "equipment-subsidy", ON)
    assert cap is not None
    assert (cap.level, cap.limit, cap.rule_set) == ("provincial", 500_000_000, "jiaxing-rules-2026")
    assert "500万元" in cap.clause
    later = cap_on(held, rulebook(), "equipment-subsidy", date(2026, 6, 2))
    assert later is not None and (later.level, later.limit) == ("national", 1_000_000_000)


def test_no_eligible_level_or_no_level_cap_gives_none() -> None:
    assert cap_on([("municipal", date(2026, 2, 1))], rulebook(), "equipment-subsidy", ON) is None
    assert cap_on([], rulebook(), "equipment-subsidy", ON) is None
    assert cap_on([("national", date(2026, 2, 1))], rulebook(), "municipal-award", ON) is None
