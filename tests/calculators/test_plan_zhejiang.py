"""The 实施方案 (seed 001) and 浙江方案 (seed 003) programs: unit tests beyond the scenario files.

Amounts are compared exactly, in fen or as decimal yuan strings.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from app.cli import cli
from calculators.engine import Evaluation, evaluate
from calculators.errors import InputErrors, ParameterNotSupplied
from calculators.programs import PROGRAMS
from calculators.rulesets.bundled import rulebook
from calculators.scenario import from_data, parse_scenario

PLAN_PROGRAMS = {"national-matching", "provincial-award", "pool-award"}
ZJ_PROGRAMS = {"zj-new-provincial", "zj-national-upgrade", "zj-excellent"}
TABLE = {"优秀": "1000000.00", "良好": "600000.00", "合格": "300000.00"}


def run(**data: Any) -> Evaluation:
    data.setdefault("platform", {"id": "T1", "name": "测试平台", "jurisdiction": "330402"})
    return evaluate(from_data(data), rulebook())


def pool_scenario(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "pool": [{"entered": "2025-03-01"}],
        "evaluations": [{"year": 2025, "grade": "优秀", "date": "2026-03-10", "scheme": "jiaxing"}],
        "claims": [{"id": "PA1", "program": "pool-award", "application_date": "2026-04-01", "evaluation_year": 2025}],
    }
    base.update(extra)
    return base


# --- registry and rule sets ------------------------------------------------------------------------------


def test_six_programs_registered_and_defined_by_their_rule_sets() -> None:
    book = rulebook()
    assert set(PROGRAMS) >= PLAN_PROGRAMS | ZJ_PROGRAMS
    assert set(book.rule_sets["jiaxing-plan-2025"].programs) == PLAN_PROGRAMS
    assert set(book.rule_sets["zhejiang-2025"].programs) == ZJ_PROGRAMS
    for rs in book.rule_sets.values():  # every program a rule set names can be computed
        assert set(rs.programs) <= set(PROGRAMS), rs.id


def test_pool_award_table_is_left_open_in_the_rule_set() -> None:
    plan = rulebook().rule_sets["jiaxing-plan-2025"]
    param = plan.parameters["pool_award.by_grade"]
    assert param.kind == "table" and param.item == "amount"
    assert all(dv.value is None for dv in param.values)
    assert "金额未规定" in param.values[-1].clause


# --- pool-award: the per-grade table ---------------------------------------------------------------------


def test_pool_award_without_the_table_raises_parameter_not_supplied() -> None:
    with pytest.raises(ParameterNotSupplied) as info:
        run(**pool_scenario())
    exc = info.value
    assert exc.rule_set == "jiaxing-plan-2025"
    assert exc.parameter == "pool_award.by_grade"
    msg = str(exc)
    assert msg.startswith("规则集 jiaxing-plan-2025 未规定参数 pool_award.by_grade，无法计算：")
    assert "培育库奖励各考核等级的金额文件未规定" in msg
    assert "实施方案 二（一）6" in msg  # the clause
    assert "3 年合计 3,000,000.00 元" in msg  # what the document does say
    assert 'what_if: {"pool_award.by_grade": {"优秀": "1000000.00"' in msg  # how to supply it


def test_pool_award_without_the_table_still_answers_when_the_table_is_not_needed() -> None:
    # 2028 is outside the span 2025—2027: ineligible, no table needed, no error
    data = pool_scenario(
        evaluations=[{"year": 2028, "grade": "优秀", "date": "2029-03-10", "scheme": "jiaxing"}],
        claims=[{"id": "PA1", "program": "pool-award", "application_date": "2029-04-01", "evaluation_year": 2028}],
    )
    r = run(**data).by_claim()["PA1"]
    assert r.status == "ineligible" and r.payable == 0
    assert "2028年度不在入库后连续3年（2025—2027年度）之内" in r.reasons[0]


def test_pool_award_the_cli_reports_the_missing_table_as_an_error() -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.yaml"
        path.write_text(yaml.safe_dump({**pool_scenario(), "platform": {
            "id": "T1", "name": "测试平台", "jurisdiction": "330402"}}, allow_unicode=True), encoding="utf-8")
        out = CliRunner().invoke(cli, ["calc", str(path)])
    assert out.exit_code == 2
    assert "规则集" in out.output and "pool_award.by_grade" in out.output


@pytest.mark.parametrize("key", ["pool_award.by_grade", "jiaxing-plan-2025:pool_award.by_grade"])
def test_pool_award_table_as_what_if_with_or_without_rule_set_prefix(key: str) -> None:
    r = run(**pool_scenario(what_if={key: TABLE})).by_claim()["PA1"]
    assert (r.status, r.gross, r.entitled, r.payable) == ("payable", 100_000_000, 100_000_000, 100_000_000)
    assert {s.payer: s.amount for s in r.shares} == {"330400": 50_000_000, "330402": 50_000_000}
    grade_step = next(t for t in r.trace if t.step == "grade")
    assert grade_step.clause.endswith("（假设测算）")


def test_pool_award_what_if_table_converts_amounts_exactly_and_refuses_floats() -> None:
    r = run(**pool_scenario(what_if={"pool_award.by_grade": {"优秀": "1234567.89"}})).by_claim()["PA1"]
    assert r.payable == 123_456_789
    assert {s.payer: s.amount for s in r.shares} == {"330400": 61_728_394, "330402": 61_728_395}
    with pytest.raises(InputErrors) as info:
        parse_scenario("""
platform: {id: T1, name: x, jurisdiction: "330402"}
what_if: {pool_award.by_grade: {优秀: 1000000.5}}
""")
    assert info.value.issues[0].field.startswith("what_if")


def test_pool_award_reversed_claim_can_be_refiled_for_the_same_year() -> None:
    data = pool_scenario(what_if={"pool_award.by_grade": TABLE}, claims=[
        {"id": "PA1", "program": "pool-award", "application_date": "2026-04-01", "evaluation_year": 2025,
         "reversed": True},
        {"id": "PA2", "program": "pool-award", "application_date": "2026-05-01", "evaluation_year": 2025},
    ])
    res = run(**data).by_claim()
    assert res["PA1"].status == "reversed" and res["PA1"].payable == 0
    assert res["PA2"].status == "payable" and res["PA2"].payable == 100_000_000


def test_pool_award_cap_counts_what_was_approved() -> None:
    # the party group approves 500,000 of the first 1,300,000: the cap counts 500,000
    data = pool_scenario(
        what_if={"pool_award.by_grade": {"优秀": "1300000.00"}},
        evaluations=[{"year": y, "grade": "优秀", "date": f"{y + 1}-03-10", "scheme": "jiaxing"}
                     for y in (2025, 2026, 2027)],
        claims=[
            {"id": "PA1", "program": "pool-award", "application_date": "2026-04-01", "evaluation_year": 2025,
             "approved_amount": "500000.00"},
            {"id": "PA2", "program": "pool-award", "application_date": "2027-04-01", "evaluation_year": 2026},
            {"id": "PA3", "program": "pool-award", "application_date": "2028-04-01", "evaluation_year": 2027},
        ],
    )
    res = run(**data).by_claim()
    assert [res[c].payable for c in ("PA1", "PA2", "PA3")] == [50_000_000, 130_000_000, 120_000_000]
    assert res["PA3"].status == "capped"
    assert res["PA3"].cap is not None and res["PA3"].cap.headroom == 120_000_000


def test_pool_award_evaluation_published_after_leaving_the_pool_is_ineligible() -> None:
    data = pool_scenario(what_if={"pool_award.by_grade": TABLE}, pool=[{"entered": "2025-03-01", "left": "2026-01-31"}])
    r = run(**data).by_claim()["PA1"]
    assert r.status == "ineligible"
    assert "考核结果公布时（2026-03-10）平台不在培育库" in r.reasons[0]


def test_pool_award_no_pool_is_ineligible() -> None:
    data = pool_scenario(pool=[])
    r = run(**data).by_claim()["PA1"]
    assert r.status == "ineligible" and "未列入嘉兴市制造业中试平台培育库" in r.reasons[0]


# --- national-matching and provincial-award ------------------------------------------------------------


def test_national_matching_rounds_half_up_under_a_what_if_ratio() -> None:
    r = run(
        recognitions=[{"level": "national", "date": "2025-09-01"}],
        what_if={"national_matching.ratio": "0.5"},
        claims=[{"id": "N1", "program": "national-matching", "application_date": "2025-10-01",
                 "national_support": "3000000.01"}],
    ).by_claim()["N1"]
    assert r.gross == 150_000_001  # 300,000,001 fen × 0.5 = 150,000,000.5 → half-up
    assert r.payable == 150_000_001 and r.purse == "municipal"
    assert {s.payer: s.amount for s in r.shares} == {"330400": 75_000_000, "330402": 75_000_001}


def test_national_matching_without_national_recognition_is_ineligible_but_still_needs_the_support() -> None:
    r = run(
        recognitions=[{"level": "provincial", "date": "2025-09-01"}],
        claims=[{"id": "N1", "program": "national-matching", "application_date": "2025-10-01",
                 "national_support": "100.00"}],
    ).by_claim()["N1"]
    assert r.status == "ineligible" and "未入围国家级制造业中试平台" in r.reasons[0]
    with pytest.raises(InputErrors) as info:
        run(recognitions=[], claims=[{"id": "N1", "program": "national-matching", "application_date": "2025-10-01"}])
    assert info.value.issues[0].field == "claims[0].national_support"


def test_provincial_award_every_step_cites_a_clause_and_notes_in_chinese() -> None:
    r = run(
        recognitions=[{"level": "provincial", "date": "2025-09-01"}],
        claims=[{"id": "P1", "program": "provincial-award", "application_date": "2025-10-01"}],
    ).by_claim()["P1"]
    assert r.payable == 1_000_000_000
    assert [t.step for t in r.trace] == ["rule-set", "recognition", "amount", "split"]
    assert all(t.clause and t.note for t in r.trace)


# --- zhejiang ------------------------------------------------------------------------------------------


def test_zj_new_provincial_exactly_at_the_maximum_is_not_capped() -> None:
    r = run(
        recognitions=[{"level": "provincial", "date": "2025-09-01"}],
        claims=[{"id": "Z1", "program": "zj-new-provincial", "application_date": "2025-10-01",
                 "recorded_amount": "10000000.00"}],
    ).by_claim()["Z1"]
    assert (r.status, r.payable, r.purse) == ("payable", 1_000_000_000, "provincial")
    assert [(s.payer, s.payer_name, s.party, s.amount) for s in r.shares] == [
        ("330000", "浙江省财政厅", "province", 1_000_000_000)]


@pytest.mark.parametrize("jurisdiction", ["330402", "330411", "JXETDZ", "330421", "330481", "JXPORT"])
def test_zj_money_is_paid_by_the_province_wherever_the_platform_is(jurisdiction: str) -> None:
    r = run(
        platform={"id": "T", "name": "x", "jurisdiction": jurisdiction},
        readings={"payer_split.county": "city-50-local-50"},  # a municipal reading changes nothing here
        recognitions=[{"level": "provincial", "date": "2025-09-01"}, {"level": "national", "date": "2026-09-01"}],
        claims=[{"id": "U1", "program": "zj-national-upgrade", "application_date": "2026-10-01"}],
    ).by_claim()["U1"]
    assert {s.payer: s.amount for s in r.shares} == {"330000": 3_000_000_000}


def test_zj_national_upgrade_same_day_is_not_an_upgrade() -> None:
    r = run(
        recognitions=[{"level": "provincial", "date": "2025-09-01"}, {"level": "national", "date": "2025-09-01"}],
        claims=[{"id": "U1", "program": "zj-national-upgrade", "application_date": "2025-10-01"}],
    ).by_claim()["U1"]
    assert r.status == "ineligible" and "不属于由省级升级" in r.reasons[0]


def _excellent(years: list[int], order: list[int] | None = None) -> dict[str, int]:
    """Payable (fen) per evaluation year, claims filed in ``order`` (default: year order)."""
    order = order or years
    res = run(
        recognitions=[{"level": "provincial", "date": "2025-09-01"}],
        evaluations=[{"year": y, "grade": "优秀", "date": f"{y + 1}-03-01", "scheme": "zhejiang"} for y in years],
        claims=[{"id": f"E{y}", "program": "zj-excellent", "application_date": f"{2040 + k}-04-01",
                 "evaluation_year": y} for k, y in enumerate(order)],
    ).by_claim()
    return {y: res[f"E{y}"].payable for y in years}


@pytest.mark.parametrize(("years", "paid"), [
    ([2026, 2028], [2026]),
    ([2026, 2029], [2026, 2029]),
    ([2026, 2027, 2028, 2029], [2026, 2029]),
    ([2026, 2027, 2029, 2030, 2032], [2026, 2029, 2032]),
    ([2026, 2028, 2030], [2026, 2030]),  # 2028 was not paid, so it blocks nothing
])
def test_zj_excellent_at_most_once_in_any_three_years(years: list[int], paid: list[int]) -> None:
    assert _excellent(years) == {y: (100_000_000 if y in paid else 0) for y in years}


def test_zj_excellent_spacing_is_symmetric_for_a_late_filed_earlier_year() -> None:
    # 2028 filed first and paid; 2026, filed later, is within 3 years of it → 0
    assert _excellent([2026, 2028], order=[2028, 2026]) == {2026: 0, 2028: 100_000_000}


def test_zj_excellent_municipal_only_platform_is_not_provincial() -> None:
    r = run(
        recognitions=[{"level": "municipal", "date": "2025-09-01"}],
        evaluations=[{"year": 2026, "grade": "优秀", "date": "2027-03-01", "scheme": "zhejiang"}],
        claims=[{"id": "E1", "program": "zj-excellent", "application_date": "2027-04-01", "evaluation_year": 2026}],
    ).by_claim()["E1"]
    assert r.status == "ineligible" and "不是省级中试平台" in r.reasons[0]


def test_zj_excellent_ignores_a_jiaxing_evaluation_of_the_same_year() -> None:
    r = run(
        recognitions=[{"level": "provincial", "date": "2025-09-01"}],
        evaluations=[{"year": 2026, "grade": "优秀", "date": "2027-03-01", "scheme": "jiaxing"}],
        claims=[{"id": "E1", "program": "zj-excellent", "application_date": "2027-04-01", "evaluation_year": 2026}],
    ).by_claim()["E1"]
    assert r.status == "ineligible" and "无2026年度省级中试平台绩效考核结果" in r.reasons[0]


def test_zj_programs_are_not_offset_against_the_municipal_group() -> None:
    res = run(
        pool=[{"entered": "2025-06-01"}],
        recognitions=[{"level": "provincial", "date": "2026-02-10"}],
        claims=[
            {"id": "AW", "program": "municipal-award", "application_date": "2026-03-01"},
            {"id": "Z1", "program": "zj-new-provincial", "application_date": "2026-03-01",
             "recorded_amount": "7000000.00"},
        ],
    ).by_claim()
    assert res["AW"].payable == 100_000_000 and res["AW"].rule_set == "jiaxing-rules-2026"
    assert res["Z1"].payable == 700_000_000 and res["Z1"].offset == 0
    assert not any(t.step == "higher-of" for t in res["Z1"].trace)
