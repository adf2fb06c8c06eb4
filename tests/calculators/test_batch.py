"""The batch engine (calculators/batch.py) is the per-claim engine, faster: for generated populations of
platform histories — levels, upgrades (some on a claim day), institutions with agreement support or not,
districts and counties, investments zero, missing, beyond int32 and beyond int64 arithmetic, skipped
years, the award and the higher-of offset — and what-ifs on the rate, the caps, the split and the
readings, every claim, share and cap position equals the per-claim engine's to the fen.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculators.batch import (
    NO_CAP,
    NO_SHARE,
    PopulationResult,
    columns_from_scenarios,
    evaluate_population,
)
from calculators.engine import build_options, evaluate
from calculators.errors import InputErrors
from calculators.forecast import from_day
from calculators.money import fen_to_yuan
from calculators.results import ClaimResult
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import Options, RuleBook
from calculators.scenario import Scenario, from_data
from tests.calculators.test_properties import histories

JURISDICTIONS = ["330402", "330411", "JXETDZ", "330421", "330424", "330481", "330482", "330483", "JXPORT"]
LEADERS = ["enterprise", "enterprise", "university", "research-institute", "public-institution", "third-party"]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

AMOUNT_FEN = st.one_of(
    st.just(0),
    st.integers(0, 100_000_000),  # up to 1,000,000.00 with odd fen
    st.integers(0, 3_000_000_000),  # up to 30,000,000.00: reaches the caps; beyond int32
    st.sampled_from([1_666_666_667, 2**31 + 5, 2**40 + 3]),  # half-fen ties at 30%, beyond int32
)
HUGE_FEN = st.integers(2**53 + 1, 2**70)  # beyond int64 arithmetic: that platform falls back


def _days(lo: date, hi: date) -> st.SearchStrategy[date]:
    return st.dates(min_value=lo, max_value=max(lo, hi))


@st.composite
def _recognitions(draw: st.DrawFn, claim_days: list[date]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    first = draw(st.sampled_from(["provincial", "provincial", "national", "municipal", None]))
    if first is None:
        return out
    d1 = draw(st.one_of(_days(date(2026, 1, 11), date(2027, 6, 30)), _days(date(2025, 6, 1), date(2031, 12, 31))))
    out.append({"id": "R1", "level": first, "date": d1, "document_number": "文号1"})
    if first != "national" and draw(st.booleans()):
        # an upgrade, sometimes on the very day of a claim (the level held on the claim date)
        later = [d for d in claim_days if d >= d1]
        d2 = draw(st.sampled_from(later)) if later and draw(st.booleans()) else draw(_days(d1, date(2032, 12, 31)))
        out.append({"id": "R2", "level": draw(st.sampled_from(["national", "provincial"])), "date": d2})
    return out


@st.composite
def _claims(draw: st.DrawFn) -> list[dict[str, Any]]:
    claims: list[dict[str, Any]] = []
    for y in sorted(draw(st.lists(st.integers(2026, 2032), unique=True, max_size=5))):  # years skipped at random
        claims.append({"program": "equipment-subsidy", "application_date": draw(_days(date(y, 1, 1), date(y, 12, 31)))})
    for _ in range(draw(st.integers(0, 2))):
        claims.append({"program": "municipal-award", "application_date": draw(_days(date(2026, 1, 11), date(2032, 12, 31)))})
    for _ in range(draw(st.integers(0, 2)) // 2 * draw(st.integers(1, 2))):  # the province's upgrade award, evaluated apart
        claims.append({"program": "zj-national-upgrade", "application_date": draw(_days(date(2025, 6, 1), date(2032, 12, 31)))})
    order = draw(st.permutations(range(len(claims))))  # input order is not date order
    claims = [claims[k] for k in order]
    for k, c in enumerate(claims):
        c["id"] = f"C{k + 1}"
    return claims


@st.composite
def platforms(draw: st.DrawFn, index: int = 0) -> dict[str, Any]:
    """One platform's history as scenario data; a few are of the kinds the batch engine leaves to the
    per-claim engine (events, an approved amount, another program)."""
    claims = draw(_claims())
    recognitions = draw(_recognitions([c["application_date"] for c in claims]))
    pool = [{"entered": draw(_days(date(2025, 1, 1), date(2028, 1, 1)))}] if draw(st.integers(0, 3)) == 0 else []
    investments = [
        {"year": y, "amount": fen_to_yuan(draw(AMOUNT_FEN)),
         **({"vat": fen_to_yuan(draw(st.integers(0, 20_000_000)))} if draw(st.booleans()) else {})}
        for y in range(2020, 2033) if draw(st.integers(0, 4)) > 0
    ]
    if investments and draw(st.integers(0, 30)) == 0:
        investments[0]["amount"] = fen_to_yuan(draw(HUGE_FEN))
    data: dict[str, Any] = {
        "platform": {"id": f"P{index}", "name": f"平台{index}", "jurisdiction": draw(st.sampled_from(JURISDICTIONS)),
                     "leader_type": draw(st.sampled_from(LEADERS))},
        "recognitions": recognitions,
        "pool": pool,
        "agreement_support": [{"date": draw(_days(date(2024, 1, 1), date(2032, 12, 31)))}]
        if draw(st.integers(0, 2)) == 0 else [],
        "investments": investments,
        "claims": claims,
    }
    odd = draw(st.integers(0, 19))
    if odd in (0, 3, 4) and claims:
        # an approved amount (党组会审定): below the computed payable, zero, or (refused) above it
        claims[draw(st.integers(0, len(claims) - 1))]["approved_amount"] = draw(st.sampled_from(
            ["0.00", "1.00", "12345.67", "600000.00", "999999.99", "1000000.00", "30000000.00"]))
    elif odd == 5 and claims:
        claims[draw(st.integers(0, len(claims) - 1))]["reversed"] = True
    elif odd == 1:
        data["events"] = [{"kind": "re-evaluation", "date": date(2028, 3, 1), "result": "不通过"}]
    elif odd == 2:
        data["what_if"] = {"equipment.rate": "0.20"}
    return data


WHAT_IFS = st.fixed_dictionaries({}, optional={
    "equipment.rate": st.sampled_from(["0.25", "0.333333", "0", "1", "0.30"]),
    "equipment.cap.national": st.sampled_from(["8000000.00", "0", "10000000.01", "123456.78"]),
    "equipment.cap.provincial": st.sampled_from(["4000000.00", "5000000.00", "999.99"]),
    "payer_split.district": st.sampled_from(["local-100", "city-50-local-50"]),
    "municipal_award.amount": st.sampled_from(["0", "1000000.01", "500000.00"]),
    "municipal_award.max_times": st.sampled_from([1, 2, 0, -1]),  # 0: no award (ineligible); -1: refused
    "equipment.window_years": st.sampled_from([1, 2, 3, 5]),
})
READINGS = st.fixed_dictionaries({}, optional={
    "equipment.window": st.sampled_from(["before-application-year", "ending-with-application-year"]),
    "equipment.later_claims": st.sampled_from(["window", "previous-year", "since-last-claim"]),
    "equipment.vat": st.sampled_from(["net-of-vat", "with-vat"]),
    "payer_split.county": st.sampled_from(["local-100", "city-50-local-50"]),
    "exclusivity.mode": st.sampled_from(["offset", "offset", "exclusive"]),
    "equipment.record_scope": st.sampled_from(["all-recognised-in-jiaxing", "all-recognised-in-jiaxing",
                                               "pool-and-municipal-only"]),
})


def options_of(what_if: dict[str, Any], readings: dict[str, str]) -> Options:
    """What-ifs and readings converted exactly as a scenario's are (``build_options``)."""
    probe = from_data({"platform": {"id": "probe", "name": "probe", "jurisdiction": "330402"},
                       "what_if": what_if, "readings": readings})
    return build_options(probe, rulebook())


def expected_row(r: ClaimResult) -> dict[str, Any]:
    """The per-claim engine's figures as the batch result's per-platform view gives them."""
    return {
        "claim_id": r.claim_id, "program": r.program, "rule_set": r.rule_set, "status": r.status,
        "gross": r.gross, "entitled": r.entitled, "offset": r.offset, "payable": r.payable,
        "shares": {s.party: s.amount for s in r.shares},
        "cap": None if r.cap is None else {"level": r.cap.level, "limit": r.cap.limit, "before": r.cap.used,
                                           "after": r.cap.used + r.entitled},
    }


def assert_same_as_per_claim(scenarios: list[Scenario], result: PopulationResult, options: Options | None,
                             book: RuleBook | None = None) -> None:
    book = book or rulebook()
    assert result.claim_start[-1] == result.claims
    for i, s in enumerate(scenarios):
        try:
            ev = evaluate(s, book, options)
        except InputErrors as exc:
            assert result.refused[s.platform.id].issues == exc.issues
            assert result.rows_of(i) == slice(int(result.claim_start[i]), int(result.claim_start[i]))
            continue
        if s.platform.id in result.outside_int64:
            assert result.outside_int64[s.platform.id].results == ev.results
            assert result.rows_of(i).start == result.rows_of(i).stop
            continue
        got = result.platform(i)
        for row in got:
            assert row.pop("fallback") in (True, False)
        assert got == [expected_row(r) for r in ev.results], s.platform.id
        rows = result.rows_of(i)
        assert (result.local_payer[rows] == book.jurisdictions[s.platform.jurisdiction].payer).all()
    # shares add up to the payable, to the fen, on every split claim
    shares = sum(result.share(p) for p in ("city", "local", "province"))
    assert (shares[result.eligible] == result.payable[result.eligible]).all()
    assert (result.city[~result.eligible] == NO_SHARE).all()


@SETTINGS
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=6).flatmap(
    lambda ks: st.tuples(*(platforms(index=k) for k in range(len(ks))))), WHAT_IFS, READINGS)
def test_batch_equals_per_claim_to_the_fen(datas: tuple[dict[str, Any], ...], what_if: dict[str, Any],
                                           readings: dict[str, str]) -> None:
    scenarios = [from_data(d) for d in datas]
    options = options_of(what_if, readings)
    assert_same_as_per_claim(scenarios, evaluate_population(scenarios, rulebook(), options), options)


@SETTINGS
@given(st.tuples(*(platforms(index=k) for k in range(4))))
def test_batch_equals_per_claim_under_the_default_rules(datas: tuple[dict[str, Any], ...]) -> None:
    scenarios = [from_data(d) for d in datas]
    assert_same_as_per_claim(scenarios, evaluate_population(scenarios, rulebook()), None)


# ------------------------------------------------------------------ examples: what the fast path covers, fallbacks


def plain(i: int, *, jurisdiction: str = "330402", **extra: Any) -> Scenario:
    """An enterprise-led provincial platform, upgraded to national on its 2028 claim day, claiming yearly."""
    data: dict[str, Any] = {
        "platform": {"id": f"P{i}", "name": f"平台{i}", "jurisdiction": jurisdiction},
        "recognitions": [{"level": "provincial", "date": "2026-02-01"}, {"level": "national", "date": "2028-03-15"}],
        "investments": [{"year": y, "amount": f"{(i + 1) * 7_000_000 + y}.05"} for y in range(2023, 2031)],
        "claims": [{"id": f"P{i}-{y}", "program": "equipment-subsidy",
                    "application_date": f"{y}-03-15"} for y in range(2026, 2031)],
    }
    data.update(extra)
    return from_data(data)


def test_plain_platforms_are_vectorised_and_exact() -> None:
    scenarios = [plain(i, jurisdiction=JURISDICTIONS[i % 9]) for i in range(12)]
    result = evaluate_population(scenarios, rulebook())
    assert result.fallbacks == {} and not result.fallback.any()
    assert_same_as_per_claim(scenarios, result, None)
    statuses = set(result.statuses())
    assert {"payable", "capped"} <= statuses  # the caps were reached
    assert (result.cap_level > 0).all() and (result.cap_after <= result.cap_limit).all()


def test_award_offset_and_exclusion_are_vectorised() -> None:
    book = rulebook()
    award = {"id": "A1", "program": "municipal-award", "application_date": "2027-05-01"}
    pool = [{"entered": "2025-06-01"}]
    scenarios = [
        plain(0, pool=pool, claims=[*plain(0).model_dump()["claims"], award]),  # award offset by equipment
        plain(1, pool=pool, claims=[award]),  # the award alone, then nothing to offset
        plain(2, platform={"id": "P2", "name": "高校平台", "jurisdiction": "330421", "leader_type": "university"},
              agreement_support=[{"date": "2027-01-01"}]),  # excluded from 2027
    ]
    result = evaluate_population(scenarios, book)
    assert result.fallbacks == {}
    assert_same_as_per_claim(scenarios, result, None)
    assert {"offset", "excluded"} <= set(result.statuses())


def test_fallbacks_are_counted_by_reason() -> None:
    scenarios = [
        plain(0),
        plain(1, events=[{"kind": "re-evaluation", "date": "2028-01-05", "result": "不通过"}]),
        plain(2, events=[{"kind": "re-evaluation", "date": "2028-01-05", "result": "未参加"}]),
        plain(3, what_if={"equipment.rate": "0.2"}),
        plain(4, recognitions=[{"level": "provincial", "date": "2025-05-01"}]),
        plain(5, claims=[{"id": "X", "program": "national-matching", "application_date": "2025-06-01",
                           "national_support": "3000000.00"}]),
        plain(6, investments=[{"year": 2025, "amount": "1"}, {"year": 2025, "amount": "2"}]),
    ]
    result = evaluate_population(scenarios, rulebook())
    assert result.fallbacks == {
        "record events (复评、变更等事件)": 2,
        "dates before the rule set is in force (施行前)": 1,
        "program national-matching": 1,
        "input the per-claim engine checks (输入有误)": 1,
    }
    assert not result.fallback[result.rows_of(3)].any()  # its own what-if: vectorised under it
    assert list(result.refused) == ["P6"]  # two amounts for 2025: refused, with the per-claim engine's message
    assert not result.fallback[result.rows_of(0)].any() and result.fallback[result.rows_of(1)].all()
    assert_same_as_per_claim(scenarios, result, None)


def test_a_reading_the_kernel_leaves_alone_falls_back_for_everyone() -> None:
    scenarios = [plain(i) for i in range(3)]
    options = options_of({}, {"exclusivity.mode": "exclusive"})
    result = evaluate_population(scenarios, rulebook(), options)
    assert result.fallbacks == {"reading exclusivity.mode = exclusive (择一)": 3}
    assert_same_as_per_claim(scenarios, result, options)


def test_a_higher_of_group_naming_other_programs_falls_back() -> None:
    scenarios = [plain(0), plain(1, claims=[{"id": "U", "program": "zj-national-upgrade", "application_date": "2028-06-01"}])]
    options = options_of({"exclusivity.group": ["equipment-subsidy", "municipal-award", "zj-national-upgrade"]}, {})
    result = evaluate_population(scenarios, rulebook(), options)
    assert result.fallbacks == {"a higher-of group naming other programs (what-if)": 2}
    assert_same_as_per_claim(scenarios, result, options)


def test_forced_rule_set_falls_back() -> None:
    result = evaluate_population([plain(0)], rulebook(), Options(rule_set="jiaxing-rules-2026"))
    assert result.fallbacks == {"a forced rule set (假设分析：指定规则集)": 1}


def test_columns_and_scenarios_give_the_same_result_and_traces_come_from_the_engine() -> None:
    book = rulebook()
    scenarios = [plain(i, jurisdiction=JURISDICTIONS[i % 9]) for i in range(5)]
    a = evaluate_population(scenarios, book)
    b = evaluate_population(columns_from_scenarios(scenarios, book), book)
    for f in ("status", "gross", "entitled", "offset", "payable", "city", "local", "province", "cap_before"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    ev = a.trace("P3")
    assert ev.results == evaluate(scenarios[3], book).results
    assert any(step.step == "cap" for r in ev.results for step in r.trace)


def test_a_platform_with_no_claims_and_an_empty_population() -> None:
    book = rulebook()
    result = evaluate_population([plain(0, claims=[]), plain(1)], book)
    assert result.rows_of(0) == slice(0, 0) and result.rows_of("P1") == slice(0, 5)
    empty = evaluate_population([], book)
    assert empty.claims == 0 and empty.fallbacks == {}
    assert (result.cap_limit[result.cap_level == 0] == NO_CAP).all()


def test_int64_bounds_fall_back_rather_than_overflow() -> None:
    huge = plain(0, investments=[{"year": 2025, "amount": str(2**62)}])
    big = plain(1, investments=[{"year": 2025, "amount": str(2**40)}])  # beyond int32 in fen, inside the bound
    result = evaluate_population([huge, big], rulebook())
    assert result.fallbacks == {"amounts beyond int64 arithmetic (金额过大)": 1}
    assert_same_as_per_claim([huge, big], result, None)


@pytest.mark.parametrize("days", [0, 1])
def test_upgrade_on_the_claim_day_applies_the_national_cap(days: int) -> None:
    upgrade = date(2027, 3, 15) + timedelta(days=days)
    s = plain(9, recognitions=[{"level": "provincial", "date": "2026-02-01"},
                               {"level": "national", "date": upgrade.isoformat()}])
    result = evaluate_population([s], rulebook())
    assert result.fallbacks == {}
    row = result.platform(0)[1]  # the 2027 claim, filed 2027-03-15
    assert row["cap"]["level"] == ("national" if days == 0 else "provincial")
    assert_same_as_per_claim([s], result, None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(histories(), min_size=1, max_size=4))
def test_batch_equals_per_claim_on_the_property_suites_histories(datas: list[dict[str, Any]]) -> None:
    """The histories of tests/calculators/test_properties.py (pool spells, evaluations, each with its own
    readings): grouped by their readings, vectorised where they can be, equal to the per-claim engine."""
    scenarios = [from_data({**d, "platform": {**d["platform"], "id": f"H{k}"}}) for k, d in enumerate(datas)]
    assert_same_as_per_claim(scenarios, evaluate_population(scenarios, rulebook()), None)


def test_parameters_changing_between_claim_dates_are_vectorised() -> None:
    """A rule set whose rate changes on 2028-01-01 (a dated value): each claim is computed under the rate on
    its own claim date, vectorised, equal to the per-claim engine."""
    book = rulebook()
    rs = book.rule_sets["jiaxing-rules-2026"]
    rate = rs.parameters["equipment.rate"]
    old = replace(rate.values[0], end=date(2027, 12, 31))
    new = replace(rate.values[0], start=date(2028, 1, 1), value=Decimal("0.20"))
    changed = replace(rs, parameters={**rs.parameters, "equipment.rate": replace(rate, values=(old, new))})
    dated = replace(book, rule_sets={**book.rule_sets, rs.id: changed})
    scenarios = [plain(i) for i in range(3)]
    result = evaluate_population(scenarios, dated)
    assert result.fallbacks == {} and not result.fallback.any()
    assert_same_as_per_claim(scenarios, result, None, dated)
    undated = evaluate_population(scenarios, book)
    assert (undated.gross[result.rows_of(0)][:2] == result.gross[result.rows_of(0)][:2]).all()  # before 2028
    assert (undated.gross[result.rows_of(0)][2:] != result.gross[result.rows_of(0)][2:]).all()  # 30% → 20%


def test_a_what_if_from_a_day_is_vectorised() -> None:
    """The forecast's what-if (rate 25%, provincial cap 600万 from 2028-01-01, :func:`from_day`): claims
    before the day under the rules, after it under the what-if, no fallback, equal to the per-claim engine."""
    book = rulebook()
    options = options_of({"equipment.rate": "0.25", "equipment.cap.provincial": "6000000"}, {})
    dated = from_day(book, options, date(2028, 1, 1))
    scenarios = [plain(i, jurisdiction=JURISDICTIONS[i % 9]) for i in range(6)]
    result = evaluate_population(scenarios, dated)
    assert result.fallbacks == {}
    assert_same_as_per_claim(scenarios, result, None, dated)


@SETTINGS
@given(st.tuples(*(platforms(index=k) for k in range(4))), WHAT_IFS, READINGS,
       _days(date(2026, 1, 1), date(2033, 1, 1)))
def test_batch_equals_per_claim_when_a_what_if_starts_on_a_day(
        datas: tuple[dict[str, Any], ...], what_if: dict[str, Any], readings: dict[str, str], start: date) -> None:
    """What-ifs and readings in force from ``start`` on (as the forecast applies them): the parameters change
    between claim dates, each claim takes those of its own date, to the fen as the per-claim engine."""
    scenarios = [from_data(d) for d in datas]
    dated = from_day(rulebook(), options_of(what_if, readings), start)
    assert_same_as_per_claim(scenarios, evaluate_population(scenarios, dated), None, dated)


def test_the_upgrade_award_is_evaluated_apart_and_the_rest_vectorised() -> None:
    """A platform upgraded from provincial to national claims the province's upgrade award (zj-national-upgrade)
    between its equipment claims, twice (the second pays 0): its equipment claims stay vectorised, the award
    claims come from the per-claim engine evaluated alone, in their places, equal to the whole platform's
    per-claim evaluation."""
    upgrade = [{"id": f"U{k}", "program": "zj-national-upgrade", "application_date": d}
               for k, d in enumerate(("2028-06-01", "2026-02-01", "2030-01-01"))]
    scenarios = [plain(0, claims=[*plain(0).model_dump(mode="json")["claims"], *upgrade]), plain(1),
                 plain(2, claims=upgrade[:1], events=[{"kind": "re-evaluation", "date": "2028-03-01", "result": "不通过"}])]
    result = evaluate_population(scenarios, rulebook())
    assert result.fallbacks == {"record events (复评、变更等事件)": 1}
    rows = result.platform(0)
    assert [r["fallback"] for r in rows] == [r["program"] == "zj-national-upgrade" for r in rows]
    assert [r["payable"] for r in rows if r["program"] == "zj-national-upgrade"] == [0, 3_000_000_000, 0]
    assert_same_as_per_claim(scenarios, result, None)


def test_approved_amounts_and_reversals_are_vectorised() -> None:
    """党组会审定 below the computed payable lowers the entitlement the cap and the group count; a reversed
    approval (异议成立) counts for nothing; an approved amount above the payable is refused, as the per-claim
    engine refuses it."""
    claims = plain(0).model_dump(mode="json")["claims"]
    claims[0]["approved_amount"] = "100000.00"
    claims[2]["reversed"] = True
    award = {"id": "A1", "program": "municipal-award", "application_date": "2027-05-01", "approved_amount": "0.00"}
    above = [dict(claims[0], approved_amount="99999999.00")]
    scenarios = [plain(0, claims=claims), plain(1, claims=[*claims, award], pool=[{"entered": "2025-06-01"}]),
                 plain(2, claims=above)]
    result = evaluate_population(scenarios, rulebook())
    assert result.fallbacks == {"input the per-claim engine checks (输入有误)": 1}
    assert list(result.refused) == ["P2"]
    assert not result.fallback.any()
    assert "reversed" in set(result.statuses())
    assert_same_as_per_claim(scenarios, result, None)
