"""The equipment subsidy (细则 第四章（一）) compared whole at its boundaries: years, invoices, figures,
reasons and every trace step's note and values, under each reading of ``equipment.window``,
``equipment.later_claims``, ``equipment.vat`` and ``equipment.record_scope`` (docs/readings.md R-6 to R-12).

The expected notes and values are written from the documents (docs/readings.md, docs/rules.md), not read
back from the code; they are the mutation run's kills for calculators/programs/equipment.py
(docs/testing.md "Mutation testing").
"""

from __future__ import annotations

from typing import Any

import pytest

from calculators.engine import evaluate
from calculators.errors import InputErrors
from calculators.rulesets.bundled import rulebook
from calculators.scenario import parse_scenario

R7 = "细则 第四章（一）(1)：近三年（解读 R-7）"
R8 = "细则 第四章（一）(1)：后续有新设备投入的，可根据当年设备投资继续按比例补助（解读 R-8）（按所选解读）"
R10 = "细则 第四章（一）(2)：发票等佐证材料，审计确定（解读 R-10）"
R12_PROVINCIAL = "细则 第四章（一）(1)：补助累计金额最高不超过……500万元（解读 R-12）"
PLATFORM = 'platform: {id: EQ, name: 设备平台, jurisdiction: "330402"}\n'
PROVINCIAL_2026 = "recognitions: [{level: provincial, date: 2026-02-10, document_number: 浙经信技术〔2026〕5号}]\n"


def _run(text: str) -> dict[str, dict[str, Any]]:
    results = evaluate(parse_scenario(PLATFORM + text, fmt="yaml"), rulebook())
    return {r.claim_id: r.to_dict() for r in results.results}


def _errors(text: str) -> list[tuple[str, str, str]]:
    with pytest.raises(InputErrors) as info:
        evaluate(parse_scenario(PLATFORM + text, fmt="yaml"), rulebook())
    return [(i.field, i.rule, i.message) for i in info.value.issues]


def _steps(result: dict[str, Any], name: str) -> list[tuple[str, str, dict[str, str]]]:
    return [(s["clause"], s["note"], s["values"]) for s in result["trace"] if s["step"] == name]


def _figures(result: dict[str, Any]) -> tuple[Any, ...]:
    return (result["status"], result["gross"], result["entitled"], result["offset"], result["payable"],
            result["years"], result["invoices"], result["reasons"])


AUDITED_2023_2027 = """investments:
  - {year: 2023, amount: "1000000.00"}
  - {year: 2024, amount: "2000000.00"}
  - {year: 2025, amount: "3000000.00"}
  - {year: 2026, amount: "4000000.00"}
  - {year: 2027, amount: "5000000.00"}
"""


@pytest.mark.parametrize(("reading", "years", "gross"), [
    # a claim filed in 2026 covers 2023, 2024 and 2025; the other reading 2024–2026
    ("before-application-year", [2023, 2024, 2025], "1800000.00"),
    ("ending-with-application-year", [2024, 2025, 2026], "2700000.00"),
])
def test_first_claim_window_under_each_reading(reading: str, years: list[int], gross: str) -> None:
    got = _run(PROVINCIAL_2026 + AUDITED_2023_2027 + f"readings: {{equipment.window: {reading}}}\n"
               + "claims: [{id: C1, program: equipment-subsidy, application_date: 2026-03-01}]\n")["C1"]
    assert _figures(got) == ("payable", gross, gross, "0.00", gross, years, [], [])
    clause = R7 + "（按所选解读）"  # a reading named in the scenario is cited as chosen, even the default
    assert _steps(got, "window") == [
        (clause, f"首次申报：近3年设备投入，取{years[0]}—{years[-1]}年度",
         {"first_year": str(years[0]), "last_year": str(years[-1]), "reading": reading})]
    assert [(n, v) for _, n, v in _steps(got, "investment")] == [
        (f"{y}年度设备投入：审计确认（审计报告），不含税", {"year": str(y), "amount": f"{y - 2022}000000.00"})
        for y in years]
    base = sum(y - 2022 for y in years)
    assert [(n, v) for _, n, v in _steps(got, "rate")] == [
        ("设备投入合计 × 30%（四舍五入到分）", {"base": f"{base}000000.00", "rate": "0.30", "gross": gross})]
    assert [(n, v) for _, n, v in _steps(got, "record")] == [
        ("平台属市级备案管理范围", {"reading": "all-recognised-in-jiaxing"})]
    assert got["trigger"] == "入围省级中试平台（浙经信技术〔2026〕5号，2026-02-10）"


SKIPPED_2024 = PROVINCIAL_2026 + AUDITED_2023_2027 + """  - {year: 2028, amount: "600000.00"}
claims:
  - {id: C1, program: equipment-subsidy, application_date: 2026-03-01, years: [2023, 2025]}
  - {id: C2, program: equipment-subsidy, application_date: 2029-03-01}
"""
LATER = {
    "window": "近三年窗口内尚未申报的年度",
    "previous-year": "仅上一年度",
    "since-last-claim": "上次申报之后的各年度",
}


@pytest.mark.parametrize(("reading", "years", "gross"), [
    # the first claim named 2023 and 2025 (R-9 lets it), leaving 2024 unclaimed; the next claim is 2029
    # 30% × (4,000,000 + 5,000,000 + 600,000) = 2,880,000; 30% × 600,000 = 180,000
    ("window", [2026, 2027, 2028], "2880000.00"),  # 2026–2028, the window before 2029; 2024 has lapsed
    ("previous-year", [2028], "180000.00"),
    ("since-last-claim", [2026, 2027, 2028], "2880000.00"),  # every year after the last claimed (2025)
])
def test_later_claim_under_each_reading(reading: str, years: list[int], gross: str) -> None:
    got = _run(SKIPPED_2024 + f"readings: {{equipment.later_claims: {reading}}}\n")
    first, later = got["C1"], got["C2"]
    assert _figures(first) == ("payable", "1200000.00", "1200000.00", "0.00", "1200000.00", [2023, 2025], [], [])
    assert _figures(later) == ("payable", gross, gross, "0.00", gross, years, [], [])
    assert _steps(later, "window") == [
        (R8, f"后续申报（{LATER[reading]}）：已申报至2025年度，本次可申报{'、'.join(map(str, years))}年度",
         {"last_claimed_year": "2025", "reading": reading, "window_reading": "before-application-year"})]
    assert [(n, v) for _, n, v in _steps(later, "cap")] == [
        ("按申报日所获最高级别（省级）累计上限；已累计1,200,000.00元，剩余额度",
         {"limit": "5000000.00", "used": "1200000.00", "headroom": "3800000.00", "entitled": gross})]


def test_since_last_claim_reaches_back_to_the_year_after_the_last_claimed() -> None:
    # the last claimed year is 2025 (not 2023, the first): a claim in 2027 reaches 2026 only, not 2024
    got = _run(PROVINCIAL_2026 + AUDITED_2023_2027 + """claims:
  - {id: C1, program: equipment-subsidy, application_date: 2026-03-01, years: [2023, 2025]}
  - {id: C2, program: equipment-subsidy, application_date: 2027-03-01}
readings: {equipment.later_claims: since-last-claim}
""")["C2"]
    assert _figures(got) == ("payable", "1200000.00", "1200000.00", "0.00", "1200000.00", [2026], [], [])
    assert [n for _, n, _ in _steps(got, "window")] == ["后续申报（上次申报之后的各年度）：已申报至2025年度，本次可申报2026年度"]


def test_a_second_claim_in_the_same_year_has_no_year_left() -> None:
    # with two claims a year allowed (R-9's other reading), the second finds every year of the window claimed
    text = PROVINCIAL_2026 + AUDITED_2023_2027 + """what_if: {equipment.claims_per_year: 2}
claims:
  - {id: C1, program: equipment-subsidy, application_date: 2026-03-01}
  - {id: C2, program: equipment-subsidy, application_date: 2026-09-01}
"""
    got = _run(text)["C2"]
    assert _figures(got) == ("payable", "0.00", "0.00", "0.00", "0.00", [], [], [])
    assert [(n, v) for _, n, v in _steps(got, "window")] == [
        ("后续申报（近三年窗口内尚未申报的年度）：已申报至2025年度，本次可申报的年度没有（无新的年度可申报）",
         {"last_claimed_year": "2025", "reading": "window", "window_reading": "before-application-year"})]
    assert _steps(got, "investment") == []
    # naming a year then: none is allowed
    errors = _errors(text.replace("application_date: 2026-09-01}", "application_date: 2026-09-01, years: [2026]}"))
    assert errors == [("claims[1].years[0]", R8.removesuffix("（按所选解读）"),
                       "申报年度（years）中的2026年度不可申报：本次可申报的年度为无")]
