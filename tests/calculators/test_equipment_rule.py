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

from calculators.eligibility import CL_RE_EVALUATION
from calculators.engine import _evaluate_claim, build_options, evaluate
from calculators.errors import InputErrors
from calculators.facts import Facts
from calculators.programs.base import PlatformState
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


INVESTMENT_SOURCES = PROVINCIAL_2026 + """investments:
  - {year: 2023, amount: "1000000.00", vat: "130000.00", audit_report: 嘉会审〔2026〕7号}
claims:
  - id: C1
    program: equipment-subsidy
    application_date: 2026-03-01
    invoices:
      - {issuer_code: "91330402MA2A", number: "0001", date: 2024-06-01, net: "200000.00", vat: "26000.00"}
      - {issuer_code: "91330402MA2A", number: "0002", date: 2024-07-15, net: "100000.00", vat: "13000.00",
         audited: "90000.00"}
"""


@pytest.mark.parametrize(("vat", "base_2023", "base_2024", "gross"), [
    # the audited year counts its audited figure; the invoiced year its invoices (an audited
    # invoice its audited amount); 2025 has nothing. Net: 30% × (1,000,000 + 200,000 + 90,000) = 387,000.
    ("net-of-vat", "1000000.00", "290000.00", "387000.00"),
    # with VAT: 30% × (1,130,000 + 226,000 + 90,000 + 13,000) = 437,700
    ("with-vat", "1130000.00", "329000.00", "437700.00"),
])
def test_investment_sources_and_vat(vat: str, base_2023: str, base_2024: str, gross: str) -> None:
    got = _run(INVESTMENT_SOURCES + f"readings: {{equipment.vat: {vat}}}\n")["C1"]
    shown = "不含税" if vat == "net-of-vat" else "含税"
    assert _figures(got) == ("payable", gross, gross, "0.00", gross, [2023, 2024, 2025],
                             ["91330402MA2A:0001", "91330402MA2A:0002"], [])
    assert _steps(got, "investment") == [
        (R10 + "（按所选解读）", f"2023年度设备投入：审计确认（嘉会审〔2026〕7号），{shown}",
         {"year": "2023", "amount": base_2023}),
        (R10 + "（按所选解读）", f"2024年度设备投入：发票合计（2张，待审计），{shown}", {"year": "2024", "amount": base_2024}),
        (R10 + "（按所选解读）", f"2025年度设备投入：无设备投入记录，{shown}", {"year": "2025", "amount": "0.00"}),
    ]


def test_an_audited_year_without_a_report_number() -> None:
    got = _run(PROVINCIAL_2026 + """investments: [{year: 2025, amount: "100000.00"}]
claims: [{id: C1, program: equipment-subsidy, application_date: 2026-03-01, years: [2025]}]
""")["C1"]
    assert _figures(got) == ("payable", "30000.00", "30000.00", "0.00", "30000.00", [2025], [], [])
    assert [(n, v) for _, n, v in _steps(got, "investment")] == [
        ("2025年度设备投入：审计确认（审计报告），不含税", {"year": "2025", "amount": "100000.00"})]


def test_invoices_outside_the_years() -> None:
    # an invoice's date must fall in one of the claim's years
    errors = _errors(PROVINCIAL_2026 + """investments: [{year: 2026, amount: "100000.00"}]
claims:
  - {id: C1, program: equipment-subsidy, application_date: 2026-03-01}
  - id: C2
    program: equipment-subsidy
    application_date: 2027-03-01
    invoices:
      - {issuer_code: "91330402MA2A", number: "0001", date: 2024-06-01, net: "200000.00"}
      - {issuer_code: "91330402MA2A", number: "0002", date: 2026-06-01, net: "200000.00"}
      - {issuer_code: "91330402MA2A", number: "0009", date: 2027-01-01, net: "200000.00"}
""")
    later = R8.removesuffix("（按所选解读）")
    assert errors == [
        ("claims[1].invoices[0].date", later, "发票日期 2024-06-01 不在申报年度 [2026] 之内"),
        ("claims[1].invoices[2].date", later, "发票日期 2027-01-01 不在申报年度 [2026] 之内"),
    ]


def test_an_invoice_already_claimed_is_refused_by_the_rule_itself() -> None:
    # The input check (engine._validate) refuses an invoice listed by two claims before computing; the
    # rule's own check (R-9: an invoice counts once) answers where the running state already holds it.
    scenario = parse_scenario(PLATFORM + PROVINCIAL_2026 + """claims:
  - id: C2
    program: equipment-subsidy
    application_date: 2026-03-01
    invoices: [{issuer_code: "91330402MA2A", number: "0001", date: 2024-06-01, net: "200000.00"}]
""", fmt="yaml")
    book = rulebook()
    state = PlatformState()
    state.claimed_invoices["91330402MA2A:0001"] = "C1"
    with pytest.raises(InputErrors) as info:
        _evaluate_claim(0, scenario.claims[0], scenario, Facts(scenario), book, build_options(scenario, book), state)
    assert [(i.field, i.rule, i.message) for i in info.value.issues] == [
        ("claims[0].invoices[0]", "细则 第四章（一）(1)：发票只可申报一次", "发票 91330402MA2A:0001 已由申请 C1 申报")]


R6 = "细则 第四章 序言：对纳入市级备案管理的中试平台（解读 R-6）（按所选解读）"
POOL_ONLY = "readings: {equipment.record_scope: pool-and-municipal-only}\n"
ONE_YEAR = """investments: [{year: 2025, amount: "1000000.00"}]
claims: [{id: C1, program: equipment-subsidy, application_date: 2026-03-01}]
"""


def test_outside_the_record_under_the_narrow_reading() -> None:
    # R-6 pool-and-municipal-only: a provincial platform never in the pool, not a 嘉兴市中试平台, is refused
    got = _run(PROVINCIAL_2026 + POOL_ONLY + ONE_YEAR)["C1"]
    assert _figures(got) == ("ineligible", "0.00", "0.00", "0.00", "0.00", [], [], [f"未纳入市级备案管理（{R6}）"])
    assert _steps(got, "record") == [(R6, "平台不在培育库且非嘉兴市中试平台，不属市级备案管理", {})]
    assert [s["step"] for s in got["trace"]] == ["rule-set", "record"]


@pytest.mark.parametrize("history", [
    # in the pool on the application date, though recognised provincial before entering it (no 自动认定)
    "pool: [{entered: 2026-02-20}]\n",
    # a 嘉兴市中试平台 by its municipal document, never in the pool
    "recognitions: [{level: municipal, date: 2025-06-01}, {level: provincial, date: 2026-02-10}]\n",
    # a 嘉兴市中试平台 by two consecutive 优秀 while in the pool, which it has left
    """pool: [{entered: 2023-01-01, left: 2025-12-31}]
evaluations:
  - {year: 2023, grade: 优秀, date: 2024-03-01}
  - {year: 2024, grade: 优秀, date: 2025-03-01}
""",
], ids=["in-pool", "municipal-document", "municipal-by-excellence"])
def test_inside_the_record_under_the_narrow_reading(history: str) -> None:
    recognitions = "" if history.startswith("recognitions") else "recognitions: [{level: provincial, date: 2026-02-10}]\n"
    got = _run(recognitions + history + POOL_ONLY + ONE_YEAR)["C1"]
    assert _figures(got) == ("payable", "300000.00", "300000.00", "0.00", "300000.00", [2023, 2024, 2025], [], [])
    assert _steps(got, "record") == [(R6, "平台属市级备案管理范围", {"reading": "pool-and-municipal-only"})]


CAP_EXACT = PROVINCIAL_2026 + """investments:
  - {year: 2025, amount: "16666666.67"}
  - {year: 2026, amount: "0.03"}
claims:
  - {id: C1, program: equipment-subsidy, application_date: 2026-03-01, years: [2025]}
  - {id: C2, program: equipment-subsidy, application_date: 2027-03-01, years: [2026]}
"""


def test_the_cap_reached_exactly_then_crossed_by_one_fen() -> None:
    # 30% × 16,666,666.67 = 5,000,000.001 → 5,000,000.00, the provincial cap exactly: paid whole, no
    # reason. The next claim, 30% × 0.03 = 0.009 → 0.01, crosses it by one fen: paid up to it (0.00), with the
    # reason.
    got = _run(CAP_EXACT)
    assert _figures(got["C1"]) == ("payable", "5000000.00", "5000000.00", "0.00", "5000000.00", [2025], [], [])
    assert _steps(got["C1"], "cap") == [(R12_PROVINCIAL, "按申报日所获最高级别（省级）累计上限；已累计0.00元，剩余额度",
                                        {"limit": "5000000.00", "used": "0.00", "headroom": "5000000.00",
                                         "entitled": "5000000.00"})]
    assert got["C1"]["cap"] == {"level": "provincial", "limit": "5000000.00", "used": "0.00",
                                "headroom": "5000000.00", "clause": R12_PROVINCIAL}
    assert _figures(got["C2"]) == ("capped", "0.01", "0.00", "0.00", "0.00", [2026], [], [
        f"累计补助达到省级上限5,000,000.00元，超出部分0.01元不予补助（{R12_PROVINCIAL}）"])
    assert _steps(got["C2"], "cap") == [(R12_PROVINCIAL, "按申报日所获最高级别（省级）累计上限；已累计5,000,000.00元，剩余额度",
                                        {"limit": "5000000.00", "used": "5000000.00", "headroom": "0.00",
                                         "entitled": "0.00"})]


def test_the_eligible_levels_decide_the_trigger_and_the_cap() -> None:
    # a what-if naming only the national level: a provincial platform has no trigger
    got = _run(PROVINCIAL_2026 + "what_if: {equipment.eligible_levels: [national]}\n" + ONE_YEAR)["C1"]
    assert _figures(got) == ("ineligible", "0.00", "0.00", "0.00", "0.00", [], [], [
        "申报日2026-03-01未入围国家级或省级中试平台（细则 第四章（一）(1)）"])
    # only the provincial level counting, a platform also national takes the provincial trigger and cap
    got = _run("""recognitions: [{level: provincial, date: 2026-02-10}, {level: national, date: 2026-02-20}]
what_if: {equipment.eligible_levels: [provincial]}
""" + ONE_YEAR)["C1"]
    assert got["trigger"] == "入围省级中试平台（无文号，2026-02-10）"
    assert got["cap"]["level"] == "provincial" and got["cap"]["limit"] == "5000000.00"


def test_exclusive_election_holds_for_a_recognition_without_an_id() -> None:
    # core-exclusive-elect-award with a recognition that has no id: the equipment claims and the award share
    # its trigger (the recognition), so the award elected for it leaves EQ2 nothing (offset)
    got = _run("""pool: [{entered: 2025-03-01}]
recognitions: [{level: provincial, date: 2026-02-10}]
investments:
  - {year: 2023, amount: "1000000.00"}
  - {year: 2024, amount: "500000.00"}
  - {year: 2025, amount: "500000.00"}
  - {year: 2026, amount: "1000000.00"}
readings: {exclusivity.mode: exclusive}
claims:
  - {id: EQ1, program: equipment-subsidy, application_date: 2026-03-01, elected: false}
  - {id: AW, program: municipal-award, application_date: 2026-03-02, elected: true}
  - {id: EQ2, program: equipment-subsidy, application_date: 2027-03-01}
""")
    assert [(got[c]["status"], got[c]["entitled"], got[c]["offset"], got[c]["payable"]) for c in ("EQ1", "AW", "EQ2")] == [
        ("declined", "600000.00", "600000.00", "0.00"), ("payable", "1000000.00", "0.00", "1000000.00"),
        ("offset", "300000.00", "300000.00", "0.00")]


def test_a_reversed_claim_counts_for_nothing() -> None:
    # 细则 第四章（一）(2) 公示期异议成立: status reversed, every figure 0, no shares, the reason; the claim
    # takes no year and no invoice (docs/readings.md R-9), so the next claim is a first claim
    got = _run(PROVINCIAL_2026 + """investments: [{year: 2025, amount: "1000000.00"}]
claims:
  - {id: C1, program: equipment-subsidy, application_date: 2026-03-01, reversed: true}
  - {id: C2, program: equipment-subsidy, application_date: 2027-03-01}
""")
    assert _figures(got["C1"]) == ("reversed", "0.00", "0.00", "0.00", "0.00", [], [], ["审批已撤销（异议成立）"])
    assert got["C1"]["shares"] == [] and got["C1"]["cap"] is None
    assert [s["step"] for s in got["C1"]["trace"]] == ["rule-set", "reversed"]
    assert _steps(got["C1"], "reversed") == [("细则 第四章（一）(2)：公示期异议", "公示期异议成立，审批已撤销；本申请不计入累计", {})]
    assert _figures(got["C2"]) == ("payable", "300000.00", "300000.00", "0.00", "300000.00", [2024, 2025, 2026], [], [])
    assert [n for _, n, _ in _steps(got["C2"], "window")] == ["首次申报：近3年设备投入，取2024—2026年度"]


def test_a_failed_re_evaluation_withdraws_the_level() -> None:
    # clauses-re-evaluation-failed whole: from the failed re-evaluation (浙江方案 五) the platform is no longer
    # provincial; the claim after it is ineligible, with the withdrawal as its step and its reason
    got = _run("""recognitions: [{id: R1, level: provincial, date: 2026-02-10, document_number: 浙经信〔2026〕8号}]
events: [{kind: re-evaluation, date: 2028-02-10, result: 不通过, document_number: 浙经信〔2028〕3号}]
investments: [{year: 2027, amount: "1000000.00"}]
claims: [{id: C3, program: equipment-subsidy, application_date: 2028-03-01}]
""")["C3"]
    note = "省级中试平台复评不通过（浙经信〔2028〕3号），自2028-02-10起不再是省级中试平台"
    assert _figures(got) == ("ineligible", "0.00", "0.00", "0.00", "0.00", [], [], [
        f"{note}（{CL_RE_EVALUATION}）", "申报日2028-03-01未入围国家级或省级中试平台（细则 第四章（一）(1)）"])
    assert _steps(got, "withdrawn") == [(CL_RE_EVALUATION, note, {"date": "2028-02-10", "level": "provincial"})]
    assert [s["step"] for s in got["trace"]] == ["rule-set", "withdrawn"]
