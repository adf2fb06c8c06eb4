"""The budget forecast (预算测算) to the fen on small hand-worked cases (docs/forecast.md)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculators.errors import InputErrors
from calculators.facts import Facts
from calculators.forecast import (
    MAY_TRIGGER,
    Commitment,
    Subject,
    WhatIf,
    _triggered,
    _with_evaluation,
    budget_years,
    extrapolate,
    forecast,
    forecasts,
    future_investments,
    parse_plan,
    per_claim_engine,
    projected_claims,
)
from calculators.rulesets.bundled import rulebook
from calculators.scenario import from_data
from tests.calculators.test_properties import histories

BOOK = rulebook()
CITY = "330400"


def _scenario(pid: str, jurisdiction: str, level: str, recognised: str, investments: dict[int, str],
              claims: list[dict[str, object]]) -> dict[str, object]:
    return {"platform": {"id": pid, "name": f"平台{pid}", "jurisdiction": jurisdiction},
            "recognitions": [{"level": level, "date": recognised}],
            "investments": [{"year": y, "amount": a} for y, a in investments.items()],
            "claims": claims}


def district_platform() -> Subject:
    """经开区 (city 50 / 经开区 50), provincial from 2026-02-10; C1 approved 600,000.00 (2023–2025: 30% of
    2,000,000), of which 300,000.00 each still unpaid."""
    s = from_data(_scenario("D1", "JXETDZ", "provincial", "2026-02-10",
                            {2023: "500000.00", 2024: "500000.00", 2025: "1000000.00"},
                            [{"id": "C1", "program": "equipment-subsidy", "application_date": "2026-03-01",
                              "approved_amount": "600000.00"}]))
    owed = (Commitment("C1", "equipment-subsidy", CITY, "嘉兴市财政局", 30_000_000),
            Commitment("C1", "equipment-subsidy", "JXETDZ", "嘉兴经济技术开发区财政局", 30_000_000))
    return Subject(s, commitments=owed)


def county_near_cap() -> Subject:
    """嘉善县 (county: 100% its own), provincial (cap 5,000,000.00); C1 approved 4,900,000.00 and paid;
    plan 2026: 1,000,000.00, 2027: 2,000,000.00."""
    s = from_data(_scenario("K1", "330421", "provincial", "2026-02-10",
                            {2023: "10000000.00", 2024: "6000000.00", 2025: "333333.33"},
                            [{"id": "C1", "program": "equipment-subsidy", "application_date": "2026-03-01",
                              "approved_amount": "4900000.00"}]))
    return Subject(s, plan={2026: 100_000_000, 2027: 200_000_000})


def pending_platform() -> Subject:
    """南湖区 (50/50), national from 2026-02-01; P1 filed 2026-05-01, pending (the ledger gives it an
    approved amount of 0 until decided)."""
    s = from_data(_scenario("N1", "330402", "national", "2026-02-01",
                            {2023: "1000000.00", 2024: "1000000.00", 2025: "1000000.00"},
                            [{"id": "P1", "program": "equipment-subsidy", "application_date": "2026-05-01",
                              "approved_amount": "0.00"}]))
    return Subject(s, pending=frozenset({"P1"}))


def _by(f: object, **match: object) -> int:
    lines = f.lines  # type: ignore[attr-defined]
    return sum(ln.amount for ln in lines if all(getattr(ln, k) == v for k, v in match.items()))


def test_district_commitment_counted_once_and_extrapolated_years() -> None:
    # mean of 2023–2025 = 2,000,000.00 / 3 = 666,666.666… → 666,666.66 (floor to the fen), for 2026–2028;
    # each later claim: 30% × 666,666.66 = 199,999.998 → 200,000.00, split 100,000.00 / 100,000.00
    f = forecast([district_platform()], BOOK, WhatIf(), 2027)
    assert f.years == (2027, 2028, 2029)
    assert _by(f, source="commitment", year=2027, payer=CITY) == 30_000_000
    assert _by(f, source="commitment", year=2027, payer="JXETDZ") == 30_000_000
    assert _by(f, source="commitment") == 60_000_000  # C1 once, never projected again
    assert not [ln for ln in f.lines if ln.claim_id == "C1" and ln.source != "commitment"]
    for y in (2027, 2028, 2029):
        assert _by(f, source="projected", year=y, program="equipment-subsidy", payer=CITY) == 10_000_000
        assert _by(f, source="projected", year=y, program="equipment-subsidy", payer="JXETDZ") == 10_000_000
    assert f.payer_totals() == {CITY: {2027: 40_000_000, 2028: 10_000_000, 2029: 10_000_000},
                                "JXETDZ": {2027: 40_000_000, 2028: 10_000_000, 2029: 10_000_000}}


def test_county_near_cap_pays_up_to_the_cap_then_nothing() -> None:
    # 2027 claim: 30% × plan 2026 1,000,000.00 = 300,000.00, capped at 5,000,000 − 4,900,000 = 100,000.00;
    # 2028 and 2029: no headroom left → nothing. 嘉善县 pays all of it (local-100).
    f = forecast([county_near_cap()], BOOK, WhatIf(), 2027)
    assert _by(f, year=2027, payer="330421") == 10_000_000
    assert _by(f, year=2028) == 0 and _by(f, year=2029) == 0
    assert {ln.payer for ln in f.lines} == {"330421"}


def test_pending_claim_computed_once_in_the_first_year() -> None:
    # P1: 30% × 3,000,000.00 = 900,000.00 → 450,000.00 city, 450,000.00 南湖区, in 2027;
    # 2027's projected claim: 2026 extrapolated 1,000,000.00 → 300,000.00 → 150,000.00 each.
    f = forecast([pending_platform()], BOOK, WhatIf(), 2027)
    assert _by(f, source="pending", payer=CITY) == 45_000_000
    assert _by(f, source="pending", payer="330402", year=2027) == 45_000_000
    assert _by(f, source="projected", year=2027, payer="330402") == 15_000_000


def test_what_if_rate_and_cap() -> None:
    rate = forecast([district_platform()], BOOK, WhatIf("比例25%", what_if={"equipment.rate": "0.25"}), 2027)
    # 25% × 666,666.66 = 166,666.665 → 166,666.67 (half-up) → city floor 83,333.33 (8,333,333), 经开区 8,333,334
    assert _by(rate, source="projected", year=2028, payer=CITY) == 8_333_333
    assert _by(rate, source="projected", year=2028, payer="JXETDZ") == 8_333_334
    cap = forecast([county_near_cap()], BOOK, WhatIf("上限600万", what_if={"equipment.cap.provincial": "6000000"}), 2027)
    # headroom 1,100,000.00: 2027 300,000.00; 2028: 30% × plan 2027 2,000,000.00 = 600,000.00;
    # 2029: 30% × 5,444,444.44 (mean) = 1,633,333.33 capped at the 200,000.00 left
    assert [_by(cap, year=y) for y in (2027, 2028, 2029)] == [30_000_000, 60_000_000, 20_000_000]


def test_reading_county_split_changes_payers() -> None:
    f = forecast([county_near_cap()], BOOK, WhatIf("县市五五", readings={"payer_split.county": "city-50-local-50"}),
                 2027)
    assert _by(f, year=2027, payer=CITY) == 5_000_000
    assert _by(f, year=2027, payer="330421") == 5_000_000


def test_extrapolation_none_projects_only_plans() -> None:
    f = forecast([district_platform()], BOOK, WhatIf("不外推", extrapolation="none"), 2027)
    assert _by(f, source="projected") == 0
    assert _by(f, source="commitment") == 60_000_000


def test_bad_what_if_names_field_and_rule_in_chinese() -> None:
    with pytest.raises(InputErrors) as exc:
        forecast([district_platform()], BOOK, WhatIf(what_if={"equipment.rate": "abc"}), 2027)
    issue = exc.value.issues[0]
    assert issue.field == "what_if.equipment.rate" and "equipment.rate" in issue.rule
    with pytest.raises(InputErrors) as exc2:
        forecast([], BOOK, WhatIf(extrapolation="median"), 2027)
    assert exc2.value.issues[0].field == "extrapolation" and "R-48" in exc2.value.issues[0].rule
    with pytest.raises(InputErrors) as exc3:
        forecast([], BOOK, WhatIf(draft="id: [unclosed"), 2027)
    assert exc3.value.issues[0].field == "draft"


def test_draft_rule_set_replaces_its_namesake() -> None:
    from importlib import resources

    text = (resources.files("calculators.rulesets") / "jiaxing-rules-2026.yaml").read_text(encoding="utf-8")
    draft = text.replace('value: "0.30"', 'value: "0.20"')
    f = forecast([district_platform()], BOOK, WhatIf("草案", draft=draft), 2027)
    # 20% × 666,666.66 = 133,333.332 → 133,333.33 → city 66,666.66, 经开区 66,666.67
    assert _by(f, source="projected", year=2029, payer=CITY) == 6_666_666
    assert _by(f, source="projected", year=2029, payer="JXETDZ") == 6_666_667


def test_extrapolation_rules() -> None:
    assert extrapolate({2023: 100, 2024: 200, 2025: 301}, "mean-3") == 200  # 601 / 3 rounded down
    assert extrapolate({2021: 999, 2023: 100, 2024: 200, 2025: 301}, "mean-3") == 200  # the last three only
    assert extrapolate({2024: 7, 2025: 8}, "last") == 8
    assert extrapolate({2025: 8}, "none") is None
    assert extrapolate({}, "mean-3") is None


def test_plan_never_replaces_an_audited_year() -> None:
    s = county_near_cap().scenario
    got = future_investments(s, {2025: 1, 2026: 2}, "none", 2028)
    assert [(i.year, i.amount) for i in got] == [(2026, 2)]


def test_parse_plan_csv() -> None:
    text = "\ufeff平台编号,年度,计划设备投资（元）\nK1,2026,\"1,000,000.00\"\nK1,2027,2000000\n\n"
    assert parse_plan(text) == {"K1": {2026: 100_000_000, 2027: 200_000_000}}
    with pytest.raises(InputErrors) as exc:
        parse_plan("platform,year,amount\nK1,20x6,1\n,2026,abc\nK1,2026,1.5\nK1,2026,2\n")
    fields = [i.field for i in exc.value.issues]
    assert "plan[1].year" in fields and "plan[2].platform" in fields and "plan[4].year" in fields


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3_000_000_00), min_size=1, max_size=3),
       st.sampled_from(["JXETDZ", "330402", "330421", "330483"]))
def test_lines_add_up_to_the_payables_and_never_pass_the_cap(amounts: list[int], jurisdiction: str) -> None:
    """Every projected fen is a payer's share; cumulative approved plus projected equipment stays within the cap."""
    s = from_data(_scenario("H1", jurisdiction, "provincial", "2026-02-10",
                            {2026 - len(amounts) + k: f"{a // 100}.{a % 100:02d}" for k, a in enumerate(amounts)}, []))
    f = forecast([Subject(s)], BOOK, WhatIf(), 2027)
    assert all(ln.amount > 0 for ln in f.lines)
    assert _by(f, program="equipment-subsidy") <= 500_000_000
    assert sum(sum(v.values()) for v in f.payer_totals().values()) == f.total()


def test_batch_and_per_claim_engines_agree_to_the_fen() -> None:
    from calculators.forecast import batch_engine, per_claim_engine

    subjects = [district_platform(), county_near_cap(), pending_platform()]
    for w in (WhatIf(), WhatIf("比例25%", what_if={"equipment.rate": "0.25"})):
        a = forecast(subjects, BOOK, w, 2027, run=batch_engine)
        b = forecast(subjects, BOOK, w, 2027, run=per_claim_engine)
        assert a.lines == b.lines and a.skipped == b.skipped


def test_a_what_if_from_the_first_budget_year_stays_on_the_batch_engine() -> None:
    """The what-if applies from 1 January of the first budget year, after the platforms' earlier claims: the
    batch engine takes each claim's parameters on its date, so nothing goes to the per-claim engine."""
    subjects = [district_platform(), county_near_cap(), pending_platform()]
    w = WhatIf("比例25%、省级上限600万", what_if={"equipment.rate": "0.25", "equipment.cap.provincial": "6000000"})
    f = forecast(subjects, BOOK, w, 2027)
    assert f.fallbacks == 0
    assert f.lines == forecast(subjects, BOOK, w, 2027, run=per_claim_engine).lines



def test_forecasts_share_the_projection_and_equal_one_forecast_each() -> None:
    """:func:`forecasts` builds the future claims once for what-ifs that project the same ones (rate, caps) and
    apart for one that moves an award trigger (recognition.auto_levels); each equals its own forecast."""
    subjects = [district_platform(), county_near_cap(), pending_platform()]
    what_ifs = (WhatIf(), WhatIf("比例25%", what_if={"equipment.rate": "0.25"}),
                WhatIf("仅国家级自动", what_if={"recognition.auto_levels": ["national"]}))
    together = forecasts(subjects, BOOK, what_ifs, 2027)
    for w, f in zip(what_ifs, together, strict=True):
        alone = forecast(subjects, BOOK, w, 2027)
        assert f.lines == alone.lines and f.skipped == alone.skipped and f.what_if == w


@settings(max_examples=150, deadline=None)
@given(histories(), st.integers(2026, 2031))
def test_an_award_is_never_skipped_that_could_be_triggered(data: dict[str, object], first_year: int) -> None:
    """:data:`MAY_TRIGGER` only skips the trigger check of an award its record cannot trigger: wherever the
    full check (:func:`_triggered`) finds a trigger, the shortcut says it may."""
    s = from_data(data)
    facts = Facts(s)
    for c in projected_claims(budget_years(first_year)):
        if c.program != "equipment-subsidy" and _triggered(facts, _with_evaluation(c, s), BOOK, None):
            assert MAY_TRIGGER[c.program](s), c.program


def test_the_collector_is_restored_as_it_was() -> None:
    import gc

    assert gc.isenabled()
    forecast([district_platform()], BOOK, WhatIf(), 2027)
    assert gc.isenabled()
    gc.disable()
    try:
        forecast([district_platform()], BOOK, WhatIf(), 2027)
        assert not gc.isenabled()
    finally:
        gc.enable()
