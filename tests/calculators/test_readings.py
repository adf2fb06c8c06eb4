"""The project's record of its readings (docs/readings.md) and what users are shown instead of POLICY.md.

No user-visible text may name POLICY.md (a file outside the repository that no user has): not the rule
sets, not a string literal of the code that builds traces, pages, reports and messages, not a trace
or an error the calculator gives on any scenario, under any reading. Every "解读 R-n" cited anywhere
must be an entry of docs/readings.md, and every reading a rule set offers must be described there.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from calculators.engine import evaluate
from calculators.errors import CalculatorError, InputErrors
from calculators.rulesets.bundled import rulebook
from calculators.scenario import Scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
READINGS = ROOT / "docs" / "readings.md"
CODE_DIRS = ("calculators", "ledger", "reports", "app")
SCENARIOS = sorted(p for p in (ROOT / "tests" / "scenarios").glob("*.*") if p.suffix in {".yaml", ".yml", ".json"})
TEXT_SUFFIXES = {".yaml", ".yml", ".json", ".html", ".j2", ".txt", ".js", ".css", ".md", ".csv", ".svg"}
# A user must never be sent to the English restatement kept outside the repository.
FORBIDDEN = re.compile(r"POLICY\.md|POLICY \d|\.\./shared|shared/POLICY", re.IGNORECASE)
CITED = re.compile(r"解读\s*(R-\d+(?:\s*[、,，和及]\s*R-\d+)*)")


def cited_readings(text: str) -> set[int]:
    """Every n of "解读 R-n" (also "解读 R-17、R-31") in ``text``."""
    return {int(n) for group in CITED.findall(text) for n in re.findall(r"R-(\d+)", group)}


def anchors() -> list[int]:
    return [int(n) for n in re.findall(r'<a id="r-(\d+)"></a>', READINGS.read_text(encoding="utf-8"))]


def assert_clean(text: str, where: str) -> None:
    found = FORBIDDEN.search(text)
    assert found is None, f"{where} names {found.group(0)!r}: …{text[max(0, found.start() - 80):found.end() + 80]}…"
    missing = cited_readings(text) - set(anchors())
    assert not missing, f"{where} cites 解读 {sorted(missing)}, not entries of docs/readings.md"


def source_files() -> Iterator[Path]:
    for d in CODE_DIRS:
        for p in sorted((ROOT / d).rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                yield p


def string_literals(path: Path) -> Iterator[tuple[int, str]]:
    """Every string constant of a module (docstrings and f-string parts included), never its comments."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def test_the_record_is_numbered_one_to_n_each_with_its_parts() -> None:
    text = READINGS.read_text(encoding="utf-8")
    numbers = anchors()
    assert sorted(numbers) == list(range(1, len(numbers) + 1)) and len(numbers) >= 40, numbers
    assert numbers == sorted(numbers), "entries appear in number order"
    for n in numbers:
        entry = text.split(f'<a id="r-{n}"></a>', 1)[1].split("<a id=", 1)[0]
        assert entry.lstrip().startswith(f"### R-{n} "), f"R-{n}: heading"
        for part in ("**条款**", "**解读**", "**其他理解**", "**如何选用**"):
            assert part in entry, f"R-{n} lacks {part}"
        assert f"| [R-{n}](#r-{n}) |" in text, f"R-{n} is missing from the summary table"
    assert_clean(text, "docs/readings.md")


def test_every_reading_of_every_rule_set_is_in_the_record_with_its_alternatives() -> None:
    text = READINGS.read_text(encoding="utf-8")
    known = set(anchors())
    for rs in rulebook().rule_sets.values():
        for p in rs.parameters.values():
            if p.reading is None:
                continue
            assert f"`{p.name}`" in text, f"{rs.id}:{p.name} is a reading not described in docs/readings.md"
            for alternative in p.reading.alternatives:
                assert f"`{alternative}`" in text, f"{rs.id}:{p.name} = {alternative} not in docs/readings.md"
            for dv in p.values:
                cited = cited_readings(dv.clause)
                assert cited and cited <= known, f"{rs.id}:{p.name} cites no entry of docs/readings.md: {dv.clause}"


@pytest.mark.parametrize("path", sorted((ROOT / "calculators" / "rulesets").glob("*.yaml")), ids=lambda p: p.name)
def test_rule_set_files_cite_the_documents_and_the_record(path: Path) -> None:
    assert_clean(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))


def test_no_string_of_the_code_and_no_page_or_data_file_names_policy_md() -> None:
    checked = 0
    for path in source_files():
        where = str(path.relative_to(ROOT))
        if path.suffix == ".py":
            for line, value in string_literals(path):
                assert_clean(value, f"{where}:{line}")
            checked += 1
        elif path.suffix in TEXT_SUFFIXES:
            assert_clean(path.read_text(encoding="utf-8"), where)
            checked += 1
    assert checked > 100


def test_docs_point_at_the_record_not_at_policy_md() -> None:
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        assert_clean(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))


def _outputs(scenario: Scenario) -> str:
    """What a user is shown for ``scenario``: the results with their traces and reasons, or the errors."""
    try:
        return json.dumps(evaluate(scenario, rulebook()).to_dict(), ensure_ascii=False, default=str)
    except InputErrors as exc:
        return json.dumps([[i.field, i.rule, i.message] for i in exc.issues], ensure_ascii=False)
    except CalculatorError as exc:
        return str(exc)


def _load(path: Path) -> Scenario:
    return parse_scenario(path.read_text(encoding="utf-8"), fmt="json" if path.suffix == ".json" else "yaml")


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_no_trace_or_message_of_a_scenario_names_policy_md(path: Path) -> None:
    try:
        scenario = _load(path)
    except InputErrors as exc:  # refused while reading the file: the errors are what the user sees
        assert_clean(json.dumps([[i.field, i.rule, i.message] for i in exc.issues], ensure_ascii=False), path.name)
        return
    assert_clean(_outputs(scenario), path.name)


def test_traces_under_every_alternative_reading_cite_the_record() -> None:
    """Each alternative of each reading, on a scenario that exercises it: the trace marks the choice in
    Chinese and still cites the documents and docs/readings.md only."""
    base = {p.name: p for p in SCENARIOS}
    scenario = _load(base["policy-2-3-offset-example.yaml"])
    seen = 0
    for rs in rulebook().rule_sets.values():
        for p in rs.parameters.values():
            if p.reading is None:
                continue
            for alternative in p.reading.alternatives:
                chosen = scenario.model_validate({**scenario.model_dump(), "readings": {f"{rs.id}:{p.name}": alternative}})
                out = _outputs(chosen)
                assert_clean(out, f"{rs.id}:{p.name}={alternative}")
                seen += 1
    assert seen >= 20
    out = _outputs(scenario.model_validate({**scenario.model_dump(), "readings": {"exclusivity.mode": "exclusive"}}))
    assert "按所选解读" in out and "解读 R-14" in out and "reading）" not in out
