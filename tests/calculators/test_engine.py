"""Engine behaviours not easily written as scenario files: options (readings, what-if, rule set),
``evaluate_one``/``as_of``, the result's dictionary shape, JSON/YAML equivalence, and the ``subsidy calc``
command with its JSON error output."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from moneyed import Money
from typer.testing import CliRunner

from app.cli import cli
from calculators.engine import as_of, build_options, evaluate, evaluate_one
from calculators.errors import InputErrors
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import Options
from calculators.scenario import Scenario, from_data, parse_scenario

POLICY_2_3_YAML = """
name: 就高不重复（解读 R-14）
platform: {id: P23, name: 示例平台, jurisdiction: "330402"}
pool: [{entered: 2025-03-01}]
recognitions: [{id: R1, level: provincial, date: 2026-02-10, document_number: 浙经信〔2026〕8号}]
investments:
  - {year: 2023, amount: "800000.00"}
  - {year: 2024, amount: "700000.00"}
  - {year: 2025, amount: "500000.00"}
  - {year: 2026, amount: "4000000.00"}
claims:
  - {id: EQ1, program: equipment-subsidy, application_date: 2026-03-15}
  - {id: AW, program: municipal-award, application_date: 2026-03-15}
  - {id: EQ2, program: equipment-subsidy, application_date: 2027-03-15}
"""

POLICY_2_3_JSON = json.dumps({
    "name": "就高不重复（解读 R-14）",
    "platform": {"id": "P23", "name": "示例平台", "jurisdiction": "330402"},
    "pool": [{"entered": "2025-03-01"}],
    "recognitions": [{"id": "R1", "level": "provincial", "date": "2026-02-10", "document_number": "浙经信〔2026〕8号"}],
    "investments": [{"year": 2023, "amount": "800000.00"}, {"year": 2024, "amount": "700000.00"},
                    {"year": 2025, "amount": "500000.00"}, {"year": 2026, "amount": "4000000.00"}],
    "claims": [{"id": "EQ1", "program": "equipment-subsidy", "application_date": "2026-03-15"},
               {"id": "AW", "program": "municipal-award", "application_date": "2026-03-15"},
               {"id": "EQ2", "program": "equipment-subsidy", "application_date": "2027-03-15"}],
}, ensure_ascii=False)

# 海宁市 (a county-level city): 30% × (400,000 + 350,000 + 250,000) = 300,000.00
HAINING = """
platform: {id: HN, name: 海宁平台, jurisdiction: "330481"}
recognitions: [{level: provincial, date: 2026-02-10}]
investments:
  - {year: 2023, amount: "400000.00"}
  - {year: 2024, amount: "350000.00"}
  - {year: 2025, amount: "250000.00"}
claims:
  - {id: C1, program: equipment-subsidy, application_date: 2026-03-01}
"""


def _scenario(text: str = POLICY_2_3_YAML, **update: Any) -> Scenario:
    data = yaml.safe_load(text)
    data.update(update)
    return from_data(data)


def _payables(scenario: Scenario, options: Options | None = None) -> dict[str, str]:
    return {r["claim"]: r["payable"] for r in evaluate(scenario, rulebook(), options).to_dict()["claims"]}


# --- options: readings, what-if, rule set ---------------------------------------------------------------


def test_an_unprefixed_reading_applies_where_it_is_a_reading_only() -> None:
    """payer_split.county is a reading in the 细则 and the 实施方案 but a plain value (province-100) in the
    provincial rule set: the reading selects both municipal ones and leaves the province's split alone."""
    book = rulebook()
    opts = build_options(_scenario(HAINING, readings={"payer_split.county": "city-50-local-50"}), book)
    assert opts.overrides == {"jiaxing-rules-2026:payer_split.county": "city-50-local-50",
                              "jiaxing-plan-2025:payer_split.county": "city-50-local-50"}
    assert opts.readings == frozenset(opts.overrides)
    on = date(2026, 6, 1)
    assert book.rule_sets["jiaxing-rules-2026"].param("payer_split.county", on, opts).value == "city-50-local-50"
    assert book.rule_sets["zhejiang-2025"].param("payer_split.county", on, opts).value == "province-100"


def test_a_prefixed_reading_applies_to_its_rule_set_only() -> None:
    book = rulebook()
    opts = build_options(_scenario(HAINING, readings={"jiaxing-rules-2026:payer_split.county": "city-50-local-50"}),
                         book)
    on = date(2026, 6, 1)
    assert book.rule_sets["jiaxing-rules-2026"].param("payer_split.county", on, opts).value == "city-50-local-50"
    assert book.rule_sets["jiaxing-plan-2025"].param("payer_split.county", on, opts).value == "local-100"


def test_an_unprefixed_split_what_if_leaves_a_prefixed_one_in_place() -> None:
    """``payer_split.district: local-100`` fits both Jiaxing rule sets, not the province's (only province-100):
    it moves onto the two, except where a what-if prefixed for that rule set already stands, which is kept."""
    opts = build_options(_scenario(HAINING, what_if={"jiaxing-rules-2026:payer_split.district": "city-50-local-50",
                                                     "payer_split.district": "local-100"}), rulebook())
    assert opts.overrides == {"jiaxing-rules-2026:payer_split.district": "city-50-local-50",
                              "jiaxing-plan-2025:payer_split.district": "local-100"}


def test_an_unprefixed_what_if_on_a_reading_replaces_a_reading_chosen_for_one_rule_set() -> None:
    """A what-if on ``payer_split.county`` (a reading in the Jiaxing rule sets only) moves onto the rule sets
    where it is a reading and there replaces the reading chosen for one of them (as the engine stands; the
    split's own what-ifs keep a prefixed value instead, the test above)."""
    opts = build_options(_scenario(HAINING, readings={"jiaxing-rules-2026:payer_split.county": "city-50-local-50"},
                                   what_if={"payer_split.county": "local-100"}), rulebook())
    assert opts.overrides == {"jiaxing-rules-2026:payer_split.county": "local-100",
                              "jiaxing-plan-2025:payer_split.county": "local-100"}


def test_the_county_reading_moves_half_to_the_city() -> None:
    assert _payables(_scenario(HAINING)) == {"C1": "300000.00"}
    local = evaluate(_scenario(HAINING), rulebook()).results[0]
    assert [(s.payer, s.amount) for s in local.shares] == [("330481", 30_000_000)]
    half = evaluate(_scenario(HAINING, readings={"payer_split.county": "city-50-local-50"}), rulebook()).results[0]
    assert [(s.payer, s.party, s.amount) for s in half.shares] == [
        ("330400", "city", 15_000_000), ("330481", "local", 15_000_000)]


def test_what_if_values_are_converted_to_their_kind() -> None:
    opts = build_options(_scenario(what_if={"equipment.rate": "0.25", "equipment.cap.provincial": "600000.00"}),
                         rulebook())
    assert opts.overrides == {"equipment.rate": Decimal("0.25"), "equipment.cap.provincial": 60_000_000}
    assert opts.readings == frozenset()


def test_what_if_rate_changes_the_computation() -> None:
    # 25% × 2,000,000 = 500,000 (EQ1); the award 1,000,000 is then 500,000 above what was paid.
    # EQ2: 25% × 4,000,000 = 1,000,000 → equipment cumulative 1,500,000 − paid 1,000,000 = 500,000.
    got = _payables(_scenario(what_if={"equipment.rate": "0.25"}))
    assert got == {"EQ1": "500000.00", "AW": "500000.00", "EQ2": "500000.00"}


def test_extra_options_merge_with_the_scenario() -> None:
    extra = Options(overrides={"equipment.rate": Decimal("0.1")}, rule_set="jiaxing-rules-2026")
    opts = build_options(_scenario(readings={"exclusivity.mode": "exclusive"}), rulebook(), extra)
    assert opts.overrides["equipment.rate"] == Decimal("0.1")
    assert opts.overrides["jiaxing-rules-2026:exclusivity.mode"] == "exclusive"
    assert opts.rule_set == "jiaxing-rules-2026"
    assert build_options(_scenario(rule_set="jiaxing-rules-2026"), rulebook()).rule_set == "jiaxing-rules-2026"


def test_bad_options_are_all_reported_at_once() -> None:
    scenario = _scenario(readings={"equipment.window": "last-36-months", "equipment.rate": "0.3", "no.such": "x"},
                         what_if={"equipment.rate": "2", "nothing.here": "1"}, rule_set="jiaxing-rules-1999")
    with pytest.raises(InputErrors) as info:
        build_options(scenario, rulebook())
    fields = [i.field for i in info.value.issues]
    assert fields == ["readings.equipment.window", "readings.equipment.rate", "readings.no.such",
                      "what_if.equipment.rate", "what_if.nothing.here", "rule_set"]


def test_options_passed_to_evaluate_force_a_rule_set() -> None:
    # recognised 2025-09-01: by its trigger date the 实施方案 governs (no equipment subsidy) …
    text = HAINING.replace("2026-02-10", "2025-09-01")
    assert evaluate(_scenario(text), rulebook()).results[0].status == "ineligible"
    # … as a what-if under the 细则: 300,000.00, with the what-if named in the trace
    forced = evaluate(_scenario(text), rulebook(), Options(rule_set="jiaxing-rules-2026")).results[0]
    assert (forced.status, forced.payable, forced.rule_set) == ("payable", 30_000_000, "jiaxing-rules-2026")
    assert forced.trace[0].step == "rule-set" and "假设分析" in forced.trace[0].note


def test_a_reading_is_cited_as_such_in_the_trace() -> None:
    result = evaluate(_scenario(readings={"equipment.window": "ending-with-application-year"}), rulebook()).results[0]
    window = next(t for t in result.trace if t.step == "window")
    assert window.clause.endswith("（按所选解读）")
    assert window.values["reading"] == "ending-with-application-year"
    assert result.years == (2024, 2025, 2026)


# --- evaluate_one, as_of, order ------------------------------------------------------------------------


def test_evaluate_one_uses_the_history_before_the_claim() -> None:
    aw = evaluate_one(_scenario(), rulebook(), "AW")
    assert (aw.claim_id, aw.payable, aw.offset) == ("AW", 40_000_000, 60_000_000)
    with pytest.raises(InputErrors) as info:
        evaluate_one(_scenario(), rulebook(), "ZZ")
    assert info.value.issues[0].field == "claim"


def test_as_of_keeps_claims_filed_by_the_date() -> None:
    scenario = as_of(_scenario(), date(2026, 12, 31))
    assert [c.id for c in scenario.claims] == ["EQ1", "AW"]
    assert _payables(scenario) == {"EQ1": "600000.00", "AW": "400000.00"}


def test_claims_are_evaluated_in_date_order_whatever_the_input_order() -> None:
    data = yaml.safe_load(POLICY_2_3_YAML)
    data["claims"] = [data["claims"][2], data["claims"][0], data["claims"][1]]
    ev = evaluate(from_data(data), rulebook())
    assert [r.claim_id for r in ev.results] == ["EQ1", "AW", "EQ2"]
    assert {r.claim_id: r.payable for r in ev.results} == {"EQ1": 60_000_000, "AW": 40_000_000, "EQ2": 80_000_000}


def test_same_day_claims_keep_input_order() -> None:
    data = yaml.safe_load(POLICY_2_3_YAML)
    data["claims"] = [data["claims"][1], data["claims"][0], data["claims"][2]]
    ev = evaluate(from_data(data), rulebook())
    assert [r.claim_id for r in ev.results] == ["AW", "EQ1", "EQ2"]
    # award first: 1,000,000 paid; EQ1 600,000 fully offset; EQ2 800,000
    assert [r.payable for r in ev.results] == [100_000_000, 0, 80_000_000]


# --- the result's shape -----------------------------------------------------------------------------------

CLAIM_KEYS = {"claim", "program", "program_title", "rule_set", "rule_set_title", "purse", "status", "trigger",
              "gross", "cap", "entitled", "offset", "payable", "shares", "years", "invoices", "reasons", "trace"}
AMOUNT = re.compile(r"^-?\d+\.\d\d$")


def test_to_dict_shape() -> None:
    out = evaluate(_scenario(), rulebook()).to_dict()
    assert set(out) == {"platform", "platform_name", "claims"}
    assert (out["platform"], out["platform_name"]) == ("P23", "示例平台")
    eq1, aw, eq2 = out["claims"]
    for c in out["claims"]:
        assert set(c) == CLAIM_KEYS
        for key in ("gross", "entitled", "offset", "payable"):
            assert AMOUNT.match(c[key]), (key, c[key])
        for share in c["shares"]:
            assert set(share) == {"payer", "payer_name", "party", "amount"}
            assert AMOUNT.match(share["amount"])
        for step in c["trace"]:
            assert set(step) == {"step", "clause", "note", "values"}
            assert step["clause"] and all(isinstance(v, str) for v in step["values"].values())
        assert c["trace"][0]["step"] == "rule-set" and c["trace"][-1]["step"] == "split"
        assert json.loads(json.dumps(c, ensure_ascii=False)) == c  # plain JSON: no floats, no Decimals
    assert eq1["cap"] == {"level": "provincial", "limit": "5000000.00", "used": "0.00", "headroom": "5000000.00",
                          "clause": "细则 第四章（一）(1)：补助累计金额最高不超过……500万元（解读 R-12）"}
    assert aw["cap"] is None
    assert eq1["years"] == [2023, 2024, 2025] and eq2["years"] == [2026]
    assert eq1["rule_set"] == "jiaxing-rules-2026" and eq1["purse"] == "municipal"
    assert eq1["trigger"].startswith("入围省级中试平台（浙经信〔2026〕8号")
    assert aw["shares"] == [
        {"payer": "330400", "payer_name": "嘉兴市财政局", "party": "city", "amount": "200000.00"},
        {"payer": "330402", "payer_name": "南湖区财政局", "party": "local", "amount": "200000.00"}]
    assert [t["step"] for t in eq1["trace"]] == ["rule-set", "record", "window", "investment", "investment",
                                                  "investment", "rate", "cap", "higher-of", "split"]
    rate = next(t for t in eq1["trace"] if t["step"] == "rate")
    assert rate["values"] == {"base": "2000000.00", "rate": "0.30", "gross": "600000.00"}


def test_ineligible_and_reversed_results_have_no_shares() -> None:
    data = yaml.safe_load(POLICY_2_3_YAML)
    data["pool"] = []  # not in the pool: no automatic recognition, the award is ineligible
    data["claims"][0]["reversed"] = True
    out = {c["claim"]: c for c in evaluate(from_data(data), rulebook()).to_dict()["claims"]}
    assert (out["EQ1"]["status"], out["EQ1"]["shares"], out["EQ1"]["payable"]) == ("reversed", [], "0.00")
    assert (out["AW"]["status"], out["AW"]["shares"]) == ("ineligible", [])
    # the reversed claim consumed no years: EQ2 is the first claim, 2024–2026 → 30% × 5,200,000 = 1,560,000
    assert (out["EQ2"]["years"], out["EQ2"]["payable"]) == ([2024, 2025, 2026], "1560000.00")


def test_payable_money() -> None:
    aw = evaluate_one(_scenario(), rulebook(), "AW")
    assert aw.payable_money == Money("400000.00", "CNY")


# --- parsing: JSON and YAML are the same scenario ----------------------------------------------------------


def test_json_and_yaml_parse_to_the_same_scenario_and_results() -> None:
    from_yaml = parse_scenario(POLICY_2_3_YAML, fmt="yaml")
    from_json = parse_scenario(POLICY_2_3_JSON, fmt="json")
    assert from_yaml == from_json
    assert evaluate(from_yaml, rulebook()).to_dict() == evaluate(from_json, rulebook()).to_dict()


def test_a_scenario_dumps_and_parses_back_unchanged() -> None:
    """Amounts are written back as yuan strings, so dumping never multiplies them by 100."""
    scenario = _scenario()
    dumped = scenario.model_dump()
    assert dumped["investments"][0]["amount"] == "800000.00"
    assert Scenario.model_validate(dumped) == scenario
    assert parse_scenario(scenario.model_dump_json(), fmt="json") == scenario


@pytest.mark.parametrize(("text", "fmt"), [
    ("platform: [unclosed", "yaml"),
    ("{\"platform\": ", "json"),
    ("recognitions: [{level: provincial, date: 2026-02-30}]", "yaml"),  # YAML's own date type: no such day
])
def test_unparseable_text(text: str, fmt: str) -> None:
    with pytest.raises(InputErrors) as info:
        parse_scenario(text, fmt=fmt)
    (issue,) = info.value.issues
    assert issue.field == "(file)"
    assert f"不是有效的 {fmt.upper()}" in issue.message


def test_every_format_problem_is_reported_with_its_field() -> None:
    text = """
platform: {id: X, name: X, jurisdiction: "330402", leader_type: charity}
recognitions: [{level: city, date: "2026-02-30"}]
investments: [{year: 2023, amount: 12.5, colour: red}]
claims: [{id: C1, program: equipment-subsidy}]
"""
    with pytest.raises(InputErrors) as info:
        parse_scenario(text)
    fields = {i.field for i in info.value.issues}
    assert fields == {"platform.leader_type", "recognitions[0].level", "recognitions[0].date",
                      "investments[0].amount", "investments[0].colour", "claims[0].application_date"}
    by_field = {i.field: i for i in info.value.issues}
    assert "不接受浮点数" in by_field["investments[0].amount"].rule
    assert "试算情形文件格式" in by_field["investments[0].colour"].rule


# --- the command line -------------------------------------------------------------------------------------


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _claims(output: str) -> dict[str, dict[str, Any]]:
    return {c["claim"]: c for c in json.loads(output)["claims"]}


def test_cli_calc_yaml_and_json(runner: CliRunner, tmp_path: Path) -> None:
    for name, text in (("s.yaml", POLICY_2_3_YAML), ("s.json", POLICY_2_3_JSON)):
        result = runner.invoke(cli, ["calc", _write(tmp_path, name, text), "--json"])
        assert result.exit_code == 0, result.output
        claims = _claims(result.stdout)
        assert {k: c["payable"] for k, c in claims.items()} == {"EQ1": "600000.00", "AW": "400000.00",
                                                                "EQ2": "800000.00"}
        assert "示例平台" in result.stdout  # Chinese is written as is, not \\u-escaped


def test_cli_reading_keeps_amounts_exact(runner: CliRunner, tmp_path: Path) -> None:
    """Regression: options on the command line once re-parsed the fen amounts as yuan (×100)."""
    path = _write(tmp_path, "s.yaml", POLICY_2_3_YAML)
    result = runner.invoke(cli, ["calc", path, "--json", "--reading", "equipment.window=before-application-year"])
    assert result.exit_code == 0, result.output
    assert {k: c["payable"] for k, c in _claims(result.stdout).items()} == {
        "EQ1": "600000.00", "AW": "400000.00", "EQ2": "800000.00"}


def test_cli_county_reading_and_what_if(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, "hn.yaml", HAINING)
    result = runner.invoke(cli, ["calc", path, "--json", "--reading", "payer_split.county=city-50-local-50"])
    assert result.exit_code == 0, result.output
    assert _claims(result.stdout)["C1"]["shares"] == [
        {"payer": "330400", "payer_name": "嘉兴市财政局", "party": "city", "amount": "150000.00"},
        {"payer": "330481", "payer_name": "海宁市财政局", "party": "local", "amount": "150000.00"}]
    # 25% × 1,000,000 = 250,000.00
    result = runner.invoke(cli, ["calc", path, "--json", "--what-if", "equipment.rate=0.25"])
    assert result.exit_code == 0, result.output
    assert _claims(result.stdout)["C1"]["payable"] == "250000.00"


def test_cli_rule_set(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, "old.yaml", HAINING.replace("2026-02-10", "2025-09-01"))
    result = runner.invoke(cli, ["calc", path, "--json"])
    assert _claims(result.stdout)["C1"]["status"] == "ineligible"
    result = runner.invoke(cli, ["calc", path, "--json", "--rule-set", "jiaxing-rules-2026"])
    assert result.exit_code == 0, result.output
    assert _claims(result.stdout)["C1"]["payable"] == "300000.00"


def test_cli_errors_are_json_on_stderr(runner: CliRunner, tmp_path: Path) -> None:
    bad = HAINING.replace('"330481"', '"999999"').replace('"400000.00"', "400000.5")
    result = runner.invoke(cli, ["calc", _write(tmp_path, "bad.yaml", bad), "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    errors = json.loads(result.stderr)["errors"]
    assert errors == [{"field": "investments[0].amount", "label": "第1项设备投资的金额",
                       "rule": "金额以元为单位，写作十进制数字，最多两位小数（不接受浮点数）",
                       "message": "须为不小于0的金额，最多两位小数（元），如 1000000.00；收到浮点数 400000.5，"
                                  "请写成带引号的十进制数字（如 \"1000000.00\"）"}]
    # once the format is right, the rules' own checks report with their clauses
    result = runner.invoke(cli, ["calc", _write(tmp_path, "bad2.yaml", HAINING.replace('"330481"', '"999999"')), "--json"])
    assert result.exit_code == 2
    (error,) = json.loads(result.stderr)["errors"]
    assert error["field"] == "platform.jurisdiction" and "细则 第五章" in error["rule"]


def test_cli_bad_reading_is_a_json_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["calc", _write(tmp_path, "hn.yaml", HAINING), "--json", "--reading",
                                 "equipment.window=soon"])
    assert result.exit_code == 2
    (error,) = json.loads(result.stderr)["errors"]
    assert error["field"] == "readings.equipment.window"


def test_cli_usage_errors(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["calc", str(tmp_path / "missing.yaml")]).exit_code == 2
    result = runner.invoke(cli, ["calc", _write(tmp_path, "hn.yaml", HAINING), "--reading", "no-equals-sign"])
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output
