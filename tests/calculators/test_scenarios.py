"""Scenario files as tests: every ``tests/scenarios/*.yaml`` (and ``.json``) is one platform's story.

Each file carries ``expect`` (per claim: any of status, gross, entitled, offset, payable, rule_set,
years, shares {payer: amount}, reasons_contain, cap_headroom) or ``expect_errors`` (field, rule_contains).
Money is compared exactly, as decimal strings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from calculators.engine import evaluate
from calculators.errors import InputErrors
from calculators.rulesets.bundled import rulebook
from calculators.scenario import parse_scenario

SCENARIOS = sorted(p for p in (Path(__file__).parent.parent / "scenarios").glob("*.*")
                   if p.suffix in {".yaml", ".yml", ".json"})


def _load(path: Path):  # type: ignore[no-untyped-def]
    return parse_scenario(path.read_text(encoding="utf-8"), fmt="json" if path.suffix == ".json" else "yaml")


def test_there_are_many_scenarios() -> None:
    assert len(SCENARIOS) >= 45  # every worked example of the readings and at least 40 more


def _expected_errors(path: Path) -> list[dict[str, str]]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(data.get("expect_errors") or [])


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    wanted_errors = _expected_errors(path)
    if wanted_errors:
        with pytest.raises(InputErrors) as info:
            evaluate(_load(path), rulebook())
        found = [(i.field, i.rule, i.message) for i in info.value.issues]
        for want in wanted_errors:
            assert any(
                f == want["field"] and want.get("rule_contains", "") in r and want.get("message_contains", "") in m
                for f, r, m in found
            ), f"expected error {want} not in {found}"
        return
    scenario = _load(path)
    assert scenario.expect, f"{path.name} states no expectation"
    results = evaluate(scenario, rulebook()).by_claim()
    assert scenario.expect is not None
    for want in scenario.expect:
        got = results[want["claim"]].to_dict()
        for key in ("status", "gross", "entitled", "offset", "payable", "rule_set", "years"):
            if key in want:
                assert got[key] == want[key], f"{path.name} {want['claim']}.{key}: {got[key]!r} != {want[key]!r}"
        if "shares" in want:
            shares = {s["payer"]: s["amount"] for s in got["shares"]}
            assert shares == want["shares"], f"{path.name} {want['claim']}.shares: {shares} != {want['shares']}"
        if "cap_headroom" in want:
            assert got["cap"]["headroom"] == want["cap_headroom"]
        for text in want.get("reasons_contain", []):
            assert any(text in r for r in got["reasons"]), f"{path.name} {want['claim']}: {text!r} not in {got['reasons']}"
        if got["status"] not in ("ineligible", "reversed"):
            assert sum(int(s["amount"].replace(".", "")) for s in got["shares"]) == int(got["payable"].replace(".", ""))
        assert all(step["clause"] for step in got["trace"]), "every trace step cites a clause"
