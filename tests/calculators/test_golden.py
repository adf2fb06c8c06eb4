"""The engine's whole output, byte for byte, against golden files (issue 12: the engine made faster must say
exactly what it said before).

For every scenario file (``tests/scenarios/*``, ``app/examples/*.yaml``) and two variants — as written, and
under a what-if (``equipment.rate`` 0.25, ``equipment.cap.provincial`` 4,000,000.00, the bench's) — the text
``subsidy calc --json`` prints (``Evaluation.to_dict`` as ``json.dumps(..., ensure_ascii=False, indent=2)``;
for a refused scenario, its issues) is compared with ``tests/calculators/golden/<scenario>.<variant>.json``.
The bench's synthetic population (the first 300 platforms, both variants) is compared by the sha256 of the
same text, in ``golden/bench-population.sha256``.

The golden files were generated from main's engine before it was optimised; to regenerate them on purpose
(an intended change of output), run ``GOLDEN_WRITE=1 pytest tests/calculators/test_golden.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from calculators.engine import build_options, evaluate
from calculators.errors import InputErrors
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import Options
from calculators.scenario import Scenario, from_data, parse_scenario

ROOT = Path(__file__).resolve().parent.parent.parent
GOLDEN = Path(__file__).parent / "golden"
WRITE = os.environ.get("GOLDEN_WRITE") == "1"
WHAT_IF = {"equipment.rate": "0.25", "equipment.cap.provincial": "4000000.00"}
VARIANTS = ("default", "what-if")
BENCH_PLATFORMS = 300
SCENARIOS = sorted(
    [p for p in (ROOT / "tests" / "scenarios").glob("*.*") if p.suffix in {".yaml", ".yml", ".json"}]
    + [p for p in (ROOT / "app" / "examples").glob("*.*") if p.suffix in {".yaml", ".yml", ".json"}]
)


def _scenario(path: Path, variant: str) -> Scenario:
    scenario = parse_scenario(path.read_text(encoding="utf-8"), fmt="json" if path.suffix == ".json" else "yaml")
    if variant == "what-if":  # the way ``subsidy calc --what-if`` adds to the scenario's own what-ifs
        scenario = scenario.model_validate({**scenario.model_dump(), "what_if": {**scenario.what_if, **WHAT_IF}})
    return scenario


def _output(scenario: Callable[..., Scenario], options: Options | None = None) -> str:
    """What ``subsidy calc --json`` prints: the evaluation, or the refusal's issues (the input's or the
    engine's)."""
    payload: Any
    try:
        payload = evaluate(scenario(), rulebook(), options).to_dict()
    except InputErrors as exc:
        payload = {"errors": [{"field": i.field, "rule": i.rule, "message": i.message} for i in exc.issues]}
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def _check(path: Path, text: str) -> None:
    if WRITE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{path.name}: the engine's output changed"


def test_every_scenario_has_a_golden_file() -> None:
    assert len(SCENARIOS) >= 140
    assert len(list(GOLDEN.glob("*.json"))) == len(SCENARIOS) * len(VARIANTS)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_output_is_unchanged(path: Path, variant: str) -> None:
    _check(GOLDEN / f"{path.stem}.{variant}.json", _output(lambda: _scenario(path, variant)))


def test_bench_population_output_is_unchanged() -> None:
    from bench.population import generate

    pop = generate(BENCH_PLATFORMS)
    book = rulebook()
    probe = from_data({"platform": {"id": "what-if", "name": "what-if", "jurisdiction": pop.codes[0]},
                       "what_if": dict(WHAT_IF)})
    digest = hashlib.sha256()
    for options in (None, build_options(probe, book)):
        for i in range(pop.n):
            digest.update(_output(lambda i=i: from_data(pop.scenario_data(i)), options).encode("utf-8"))
    _check(GOLDEN / "bench-population.sha256", digest.hexdigest() + "\n")
