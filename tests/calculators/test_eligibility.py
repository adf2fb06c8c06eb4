"""Eligibility (申报条件): Jiaxing pool entry (细则 第二章 二) and Shaoxing municipal platform (绍兴指引 四).
Every failed criterion is listed with its clause; worked examples use literal figures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculators.eligibility import (
    EligibilityReport,
    JiaxingPoolApplication,
    ShaoxingPlatformApplication,
    check_jiaxing_pool_entry,
    check_shaoxing_municipal_platform,
    lease_counted,
    parse_application,
)
from calculators.errors import InputErrors
from calculators.money import fen_to_yuan
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import Options

JX = rulebook().get("jiaxing-rules-2026")
SX = rulebook().get("shaoxing-guidance-2025")

POOL_OK: dict[str, Any] = {
    "application_date": "2026-04-01",
    "equipment_original_value": "3000000.00",
    "team_size": 5,
    "registered_and_operating": True,
    "funding_capacity": True,
    "management": True,
    "service_record": True,
    "safety_environment": True,
}

SX_OK: dict[str, Any] = {
    "application_date": "2026-03-01",
    "registered_city": "绍兴市",
    "registration_date": "2025-03-01",
    "independent_legal_person": True,
    "independent_management": True,
    "funding_and_plan": True,
    "good_credit": True,
    "staff": 10,
    "service_revenue_last_year": "1000000.00",
    "external_service_revenue_last_year": "150000.00",
    "site_area_m2": "500",
    "owned_equipment_value": "7000000.00",
    "leased_equipment_this_year": "2500000.00",
    "leased_computing_this_year": "1000000.00",
}


def pool(**changes: Any) -> EligibilityReport:
    return check_jiaxing_pool_entry(parse_application(JiaxingPoolApplication, POOL_OK | changes), JX)


def shaoxing(options: Options | None = None, **changes: Any) -> EligibilityReport:
    app = parse_application(ShaoxingPlatformApplication, SX_OK | changes)
    return check_shaoxing_municipal_platform(app, SX, options=options)


# ---------------------------------------------------------------- Jiaxing pool entry


def test_pool_entry_at_the_thresholds_is_eligible() -> None:
    r = pool()
    assert r.eligible and r.failed == ()
    assert [c.name for c in r.criteria] == ["registered_and_operating", "equipment_value", "team_size",
                                            "funding_capacity", "management", "service_record", "safety_environment"]
    eq = r.criterion("equipment_value")
    assert (eq.required, eq.actual) == ("≥ 3,000,000.00 元", "3,000,000.00 元")
    assert eq.clause == "细则 第二章 二 2：平台设备原值一般不低于300万元（解读 R-29）"
    assert r.criterion("team_size").clause == "细则 第二章 二 3：原则上不少于5人（解读 R-29）"


def test_pool_entry_lists_every_failed_criterion_with_its_clause() -> None:
    r = pool(equipment_original_value="2999999.99", team_size=4, management=False, safety_environment=False)
    assert not r.eligible
    assert {c.name: c.clause.split("：")[0] for c in r.failed} == {
        "equipment_value": "细则 第二章 二 2",
        "team_size": "细则 第二章 二 3",
        "management": "细则 第二章 二 5",
        "safety_environment": "细则 第二章 二 7",
    }
    assert r.criterion("equipment_value").actual == "2,999,999.99 元"
    assert r.criterion("team_size").actual == "4 人"
    assert r.to_dict()["failed"] == ["equipment_value", "team_size", "management", "safety_environment"]


def test_pool_entry_thresholds_are_rule_data() -> None:
    app = parse_application(JiaxingPoolApplication, POOL_OK)
    r = check_jiaxing_pool_entry(app, JX, options=Options(overrides={"pool_entry.min_team": 6}))
    assert [c.name for c in r.failed] == ["team_size"]
    assert "（假设测算）" in r.failed[0].clause


def test_pool_entry_input_refuses_floats_and_strings_for_counts_and_flags() -> None:
    with pytest.raises(InputErrors) as exc:
        parse_application(JiaxingPoolApplication, POOL_OK | {"equipment_original_value": 3000000.0,
                                                             "team_size": "5", "management": "yes"})
    found = {i.field: i.rule for i in exc.value.issues}
    assert set(found) == {"equipment_original_value", "team_size", "management"}
    assert "不接受浮点数" in found["equipment_original_value"]


def test_a_rule_set_without_pool_entry_rules_is_refused() -> None:
    app = parse_application(JiaxingPoolApplication, POOL_OK)
    with pytest.raises(InputErrors) as exc:
        check_jiaxing_pool_entry(app, SX)
    assert exc.value.issues[0].field == "rule_set"


# ---------------------------------------------------------------- Shaoxing municipal platform


def test_shaoxing_worked_example_at_every_threshold() -> None:
    r = shaoxing()
    assert r.eligible, [c for c in r.failed]
    assert [c.name for c in r.criteria] == [
        "registered_city", "operating_years", "independent_legal_person", "staff", "external_revenue_share",
        "independent_management", "site_area", "equipment_value", "funding_and_plan", "no_major_incident",
        "good_credit"]
    eq = r.criterion("equipment_value")
    # leased 2,500,000 + computing 1,000,000 = 3,500,000; limit 3/7 × 7,000,000 = 3,000,000
    assert eq.actual == ("自有7,000,000.00 元 + 租赁计入3,000,000.00 元（申报当年租赁3,500,000.00 元，上限3,000,000.00 元）"
                         " = 10,000,000.00 元")
    assert r.criterion("external_revenue_share").actual == "150,000.00 元 / 1,000,000.00 元 = 15.00%"
    assert r.criterion("operating_years").required == "注册登记满1年（2026-03-01起）"
    assert r.trace[1].values == {"limit": "3000000.00", "counted": "3000000.00", "basis": "of-total-counted"}


def test_shaoxing_lists_every_failure_with_its_clause() -> None:
    r = shaoxing(registered_city="杭州市", registration_date="2025-03-02", independent_legal_person=False,
                 staff=9, external_service_revenue_last_year="149999.99", independent_management=False,
                 site_area_m2="499.5", owned_equipment_value="6999999.99", funding_and_plan=False,
                 major_incidents=["2023-03-01", "2021-05-05"], good_credit=False)
    assert not r.eligible
    assert {c.name: c.clause.split("：")[0] for c in r.failed} == {
        "registered_city": "绍兴指引 四 1",
        "operating_years": "绍兴指引 四 1",
        "independent_legal_person": "绍兴指引 四 1",
        "staff": "绍兴指引 四 2",
        "external_revenue_share": "绍兴指引 四 3",
        "independent_management": "绍兴指引 四 3",
        "site_area": "绍兴指引 四 4",
        "equipment_value": "绍兴指引 四 4",
        "funding_and_plan": "绍兴指引 四 5",
        "no_major_incident": "绍兴指引 四 6",
        "good_credit": "绍兴指引 四 6",
    }
    assert r.criterion("no_major_incident").actual == "2023-03-01"  # 2021 is outside the three years
    assert r.criterion("site_area").actual == "499.5 平方米"
    # 3/7 × 6,999,999.99 = 2,999,999.9957… → 2,999,999.99 (down to the fen)
    assert "租赁计入2,999,999.99 元" in r.criterion("equipment_value").actual
    assert "= 9,999,999.98 元" in r.criterion("equipment_value").actual


def test_shaoxing_lease_basis_reading_changes_the_amount_counted() -> None:
    changes = {"owned_equipment_value": "8000000.00", "leased_equipment_this_year": "5000000.00",
               "leased_computing_this_year": "0"}
    default = shaoxing(**changes)
    assert default.trace[1].values["counted"] == "3428571.42"  # 3/7 × 8,000,000, down to the fen
    assert default.criterion("equipment_value").actual.endswith("= 11,428,571.42 元")
    key = "municipal_platform.lease_cap_basis"
    alt = shaoxing(Options(overrides={key: "of-threshold"}, readings=frozenset({key})), **changes)
    assert alt.trace[1].values["counted"] == "3000000.00"  # 30% × 10,000,000
    assert alt.criterion("equipment_value").actual.endswith("= 11,000,000.00 元")
    assert "（按所选解读）" in alt.trace[1].clause


def test_shaoxing_leased_computing_can_be_excluded_by_rule_data() -> None:
    opts = Options(overrides={"municipal_platform.leased_computing_counts": False})
    r = shaoxing(opts)
    assert not r.eligible
    assert [c.name for c in r.failed] == ["equipment_value"]
    assert r.trace[0].values == {"leased": "2500000.00"}


def test_operating_year_from_29_february() -> None:
    assert shaoxing(registration_date="2024-02-29", application_date="2025-02-28").criterion(
        "operating_years").passed
    assert not shaoxing(registration_date="2024-02-29", application_date="2025-02-27").criterion(
        "operating_years").passed


def test_no_service_revenue_fails_the_share() -> None:
    c = shaoxing(service_revenue_last_year="0", external_service_revenue_last_year="0").criterion(
        "external_revenue_share")
    assert (c.passed, c.actual) == (False, "上一年度无中试服务收入")


def test_shaoxing_inconsistent_input_is_refused() -> None:
    with pytest.raises(InputErrors) as exc:
        shaoxing(external_service_revenue_last_year="1000000.01", registration_date="2026-03-02")
    assert {i.field for i in exc.value.issues} == {"external_service_revenue_last_year", "registration_date"}


def test_shaoxing_input_refuses_float_area_and_amounts() -> None:
    with pytest.raises(InputErrors) as exc:
        parse_application(ShaoxingPlatformApplication, SX_OK | {"site_area_m2": 500.0,
                                                                "leased_equipment_this_year": 1.5})
    found = {i.field: i.rule for i in exc.value.issues}
    assert set(found) == {"site_area_m2", "leased_equipment_this_year"}
    assert "不接受浮点数" in found["site_area_m2"]


@pytest.mark.parametrize(("owned", "leased", "basis", "counted", "limit"), [
    (700_000_000, 350_000_000, "of-total-counted", 300_000_000, 300_000_000),
    (100, 100, "of-total-counted", 42, 42),  # 3/7 × 100 fen = 42.86 → 42
    (100, 100, "of-threshold", 100, 300_000_000),
    (800_000_000, 0, "of-total-counted", 0, 342_857_142),
])
def test_lease_counted(owned: int, leased: int, basis: str, counted: int, limit: int) -> None:
    assert lease_counted(owned, leased, Decimal("0.30"), basis, 1_000_000_000) == (counted, limit)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2_000_000_000), st.integers(0, 1_000_000_000))
def test_lease_limit_properties(owned: int, leased: int) -> None:
    share, threshold = Decimal("0.30"), 1_000_000_000
    counted, _ = lease_counted(owned, leased, share, "of-total-counted", threshold)
    assert 0 <= counted <= leased
    assert Decimal(counted) <= share * (owned + counted)  # never more than 30% of the total counted
    if counted < leased:  # one more fen would break the limit
        assert Decimal(counted + 1) > share * (owned + counted + 1)
    alt, _ = lease_counted(owned, leased, share, "of-threshold", threshold)
    assert alt == min(leased, 300_000_000)
    # At 30% of a 1000万 threshold the two readings count different amounts but never disagree on the verdict.
    assert (owned + counted >= threshold) == (owned + alt >= threshold)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 20), st.integers(0, 1_000_000), st.integers(0, 1_000_000))
def test_every_failed_criterion_is_reported(staff: int, total: int, external: int) -> None:
    total, external = max(total, external), min(total, external)
    r = shaoxing(staff=staff, service_revenue_last_year=fen_to_yuan(total),
                 external_service_revenue_last_year=fen_to_yuan(external))
    expect_fail = {n for n, bad in (("staff", staff < 10),
                                    ("external_revenue_share", total == 0 or external * 100 < 15 * total)) if bad}
    assert {c.name for c in r.failed} == expect_fail
    assert r.eligible == (not expect_fail)
    assert all(c.clause.startswith("绍兴指引 四") for c in r.criteria)
