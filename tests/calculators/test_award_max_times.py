"""The one-time award under a what-if of its number of times (``municipal_award.max_times``, 解读 R-13):
0 pays no award at all (the claim is ineligible, with the reason), a negative number is refused as input
— in the per-claim engine and the batch engine alike (it used to fail with an IndexError)."""

from __future__ import annotations

from typing import Any

import pytest

from calculators.batch import evaluate_population
from calculators.engine import evaluate
from calculators.errors import InputErrors
from calculators.rulesets.bundled import rulebook
from calculators.scenario import Scenario, from_data
from tests.calculators.test_batch import assert_same_as_per_claim, options_of


def award_platform(i: int = 0, **extra: Any) -> Scenario:
    """A pool platform recognised provincial while in the pool (so 嘉兴市中试平台 automatically), claiming the
    award twice and the equipment subsidy once."""
    data: dict[str, Any] = {
        "platform": {"id": f"A{i}", "name": f"奖励平台{i}", "jurisdiction": "330402"},
        "pool": [{"entered": "2025-06-01"}],
        "recognitions": [{"level": "provincial", "date": "2026-02-01"}],
        "investments": [{"year": y, "amount": "2000000.00"} for y in range(2023, 2027)],
        "claims": [{"id": f"A{i}-award", "program": "municipal-award", "application_date": "2026-05-01"},
                   {"id": f"A{i}-award-2", "program": "municipal-award", "application_date": "2027-05-01"},
                   {"id": f"A{i}-equipment", "program": "equipment-subsidy", "application_date": "2027-03-15"}],
    }
    data.update(extra)
    return from_data(data)


def test_zero_times_pays_no_award_and_says_why() -> None:
    book = rulebook()
    options = options_of({"municipal_award.max_times": 0}, {})
    ev = evaluate(award_platform(), book, options)
    award = ev.by_claim()["A0-award"]
    assert (award.status, award.gross, award.entitled, award.payable) == ("ineligible", 0, 0, 0)
    assert award.shares == ()
    assert "嘉兴市中试平台一次性奖励的奖励次数上限为0次，不予奖励" in award.reasons[0]
    assert "假设测算" in award.reasons[0]  # the what-if is named as such
    once = next(t for t in award.trace if t.step == "once")
    assert once.values == {"max_times": "0"}
    # nothing to offset: the equipment claim pays what it pays without any award claim
    without = evaluate(award_platform(claims=[award_platform().model_dump()["claims"][2]]), book, options)
    assert ev.by_claim()["A0-equipment"].payable == without.by_claim()["A0-equipment"].payable > 0
    # the default (once) still pays the first and refuses the second
    default = evaluate(award_platform(), book).by_claim()
    assert default["A0-award"].payable == 100_000_000 and default["A0-award-2"].entitled == 0


def test_the_batch_engine_agrees_on_zero_times() -> None:
    options = options_of({"municipal_award.max_times": 0}, {})
    scenarios = [award_platform(i) for i in range(3)]
    result = evaluate_population(scenarios, rulebook(), options)
    assert_same_as_per_claim(scenarios, result, options)  # claim by claim, to the fen
    assert result.fallbacks == {"claims_per_year or max_times below 1, or a negative award (what-if)": 3}
    assert [row["status"] for row in result.platform(0)] == ["ineligible", "payable", "ineligible"]


def test_a_negative_number_of_times_is_refused_as_input() -> None:
    options = options_of({"municipal_award.max_times": -1}, {})
    with pytest.raises(InputErrors) as info:
        evaluate(award_platform(), rulebook(), options)
    (issue,) = info.value.issues
    assert issue.field == "what_if.municipal_award.max_times"
    assert "奖励次数上限" in issue.message and "不小于0" in issue.message and "-1" in issue.message
    assert "细则 第四章（二）" in issue.rule
    scenarios = [award_platform(i) for i in range(2)]
    result = evaluate_population(scenarios, rulebook(), options)
    assert sorted(result.refused) == ["A0", "A1"] and result.claims == 0
    assert result.refused["A0"].issues == info.value.issues
    assert_same_as_per_claim(scenarios, result, options)


def test_the_2025_plans_awards_allow_zero_times_too() -> None:
    data = {"platform": {"id": "T1", "name": "测试平台", "jurisdiction": "330402"},
            "recognitions": [{"level": "provincial", "date": "2025-09-01"}],
            "claims": [{"id": "P1", "program": "provincial-award", "application_date": "2025-10-01"}]}
    r = evaluate(from_data(data), rulebook(), options_of({"provincial_award.max_times": 0}, {})).by_claim()["P1"]
    assert (r.status, r.payable) == ("ineligible", 0)
    assert "奖励次数上限为0次" in r.reasons[0]


def test_a_reading_set_as_a_what_if_must_be_one_of_its_alternatives() -> None:
    """``equipment.later_claims=bogus`` given as a what-if is refused as input, in Chinese, naming the
    field and listing the alternatives (it used to fail with a KeyError deep in the equipment rule)."""
    data = award_platform().model_dump(mode="json", exclude_defaults=True)
    data["what_if"] = {"equipment.later_claims": "bogus"}
    with pytest.raises(InputErrors) as info:
        evaluate(from_data(data), rulebook())
    (issue,) = {i.field: i for i in info.value.issues}.values()
    assert issue.field == "what_if.equipment.later_claims"
    assert "'bogus'" in issue.message and "不是可选项" in issue.message
    assert "window" in issue.message and "since-last-claim" in issue.message
    data["what_if"] = {"equipment.later_claims": "since-last-claim"}  # an alternative is accepted
    assert evaluate(from_data(data), rulebook()).by_claim()["A0-equipment"].payable > 0


def test_a_split_what_if_without_prefix_leaves_the_zhejiang_rules_alone() -> None:
    """``payer_split.county=local-100`` is a reading of the Jiaxing rules; the Zhejiang rules' split is fixed
    (省财政全额承担) and has no such scheme: the what-if changes the Jiaxing claims only (it used to raise a
    KeyError on a Zhejiang claim)."""
    data: dict[str, Any] = {
        "platform": {"id": "ZC1", "name": "县级平台", "jurisdiction": "330424"},
        "recognitions": [{"id": "R1", "level": "provincial", "date": "2026-02-01"}],
        "evaluations": [{"year": 2026, "grade": "优秀", "date": "2027-03-01", "scheme": "zhejiang"}],
        "investments": [{"year": y, "amount": "2000000.00"} for y in range(2023, 2027)],
        "claims": [{"id": "E1", "program": "zj-excellent", "application_date": "2027-04-01", "evaluation_year": 2026},
                   {"id": "Q1", "program": "equipment-subsidy", "application_date": "2027-03-15"}],
    }
    plain = evaluate(from_data(data), rulebook()).by_claim()
    data["what_if"] = {"payer_split.county": "city-50-local-50"}
    split = evaluate(from_data(data), rulebook()).by_claim()
    assert [(s.payer, s.amount) for s in split["E1"].shares] == [(s.payer, s.amount) for s in plain["E1"].shares]
    assert len(plain["Q1"].shares) == 1 and len(split["Q1"].shares) == 2  # the county claim now split 50/50
    assert sum(s.amount for s in split["Q1"].shares) == plain["Q1"].payable > 0
    data["what_if"] = {"payer_split.county": "nobody-pays"}
    with pytest.raises(InputErrors) as info:
        evaluate(from_data(data), rulebook())
    assert [i.field for i in info.value.issues] == ["what_if.payer_split.county"]
    assert "不是可选项" in info.value.issues[0].message
