"""Boundaries the scenario files do not reach: the days a rule set comes into force and after one has
ended (which cap applies), a what-if on the payer split, and negative ``Money``.

Expected values come from the documents (细则 第四章（一）(1): caps 500万 provincial, 1000万 national;
第五章: 市辖区 50/50), not from the code under test.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moneyed import Money

from calculators.caps import cap_on
from calculators.engine import evaluate
from calculators.errors import InputErrors
from calculators.money import AMOUNT_FIX, money_to_fen, parse_yuan, split_fen
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import DatedValue, Options, Parameter, RuleBook, RuleSet
from calculators.scenario import Scenario, parse_scenario
from calculators.split import payer_shares, split_scheme

RULES = "jiaxing-rules-2026"
PROVINCIAL_CAP = 5_000_000_00  # 500万元
NATIONAL_CAP = 10_000_000_00  # 1000万元
ENDS = date(2027, 6, 30)  # the last day of the (made-up) first rule set
STARTS = ENDS + timedelta(days=1)  # the first day of its (made-up) successor
LATER_CAP = 6_000_000_00  # the successor's provincial cap, 600万元, so the two can be told apart


def _recognitions(scenario: Scenario) -> list[tuple[str, date]]:
    """What :func:`cap_on` needs of a platform: its (level, date recognised) pairs."""
    return [(r.level, r.date) for r in scenario.recognitions]


def _platform(level: str = "provincial", on: str = "2026-02-10") -> Scenario:
    return parse_scenario(f"""
platform: {{id: P, name: 平台, jurisdiction: "330402"}}
recognitions: [{{level: {level}, date: {on}}}]
""")


def _with_value(rs: RuleSet, name: str, value: object) -> RuleSet:
    old = rs.parameters[name]
    dated = (DatedValue(rs.in_force_from, None, value, f"{old.values[-1].clause}（试验）"),)
    return replace(rs, parameters={**rs.parameters, name: Parameter(old.name, old.kind, old.description, dated)})


def _book(*, successor: bool) -> RuleBook:
    """The bundled book with the 细则 ending on ``ENDS`` and, if ``successor``, a second rule set defining
    the equipment subsidy from ``STARTS`` with a 600万 provincial cap."""
    base = rulebook()
    first = replace(base.rule_sets[RULES], in_force_to=ENDS)
    sets: dict[str, RuleSet] = {**base.rule_sets, RULES: first}
    if successor:
        later = replace(first, id="later-rules", in_force_from=STARTS, in_force_to=None)
        sets["later-rules"] = _with_value(later, "equipment.cap.provincial", LATER_CAP)
    return replace(base, rule_sets=sets)


def _cap(book: RuleBook, on: date, scenario: Scenario | None = None) -> tuple[str, int, str] | None:
    found = cap_on(_recognitions(scenario or _platform()), book, "equipment-subsidy", on)
    return None if found is None else (found.level, found.limit, found.rule_set)


def test_the_cap_in_force_on_the_day_a_rule_set_comes_into_force_and_the_day_before() -> None:
    book = _book(successor=True)
    assert _cap(book, STARTS - timedelta(days=1)) == ("provincial", PROVINCIAL_CAP, RULES)
    assert _cap(book, STARTS) == ("provincial", LATER_CAP, "later-rules")
    assert _cap(book, STARTS + timedelta(days=1)) == ("provincial", LATER_CAP, "later-rules")


def test_after_a_rule_set_has_ended_its_cap_still_answers() -> None:
    """No successor: the last cap stands (the reconciliation checks old claims after the rules end)."""
    book = _book(successor=False)
    assert _cap(book, ENDS) == ("provincial", PROVINCIAL_CAP, RULES)
    assert _cap(book, ENDS + timedelta(days=1)) == ("provincial", PROVINCIAL_CAP, RULES)
    assert _cap(book, date(2031, 1, 1)) == ("provincial", PROVINCIAL_CAP, RULES)


def test_before_any_rule_set_is_in_force_there_is_no_cap() -> None:
    book = rulebook()
    scenario = _platform(on="2025-06-01")
    first_day = book.rule_sets[RULES].in_force_from
    assert _cap(book, first_day - timedelta(days=1), scenario) is None
    assert _cap(book, first_day, scenario) == ("provincial", PROVINCIAL_CAP, RULES)


def test_the_cap_follows_the_level_held_on_the_day() -> None:
    book = rulebook()
    upgraded = parse_scenario("""
platform: {id: P, name: 平台, jurisdiction: "330402"}
recognitions: [{level: provincial, date: 2026-02-10}, {level: national, date: 2027-05-01}]
""")
    assert _cap(book, date(2026, 2, 9), upgraded) is None  # nothing held yet
    assert _cap(book, date(2026, 2, 10), upgraded) == ("provincial", PROVINCIAL_CAP, RULES)
    assert _cap(book, date(2027, 4, 30), upgraded) == ("provincial", PROVINCIAL_CAP, RULES)
    assert _cap(book, date(2027, 5, 1), upgraded) == ("national", NATIONAL_CAP, RULES)
    found = cap_on(_recognitions(upgraded), book, "equipment-subsidy", date(2027, 5, 1))
    assert found is not None and found.program == "equipment-subsidy" and "第四章" in found.clause
    assert cap_on(_recognitions(upgraded), book, "municipal-award", date(2027, 5, 1)) is None  # no level cap


def test_a_what_if_cap_is_the_cap() -> None:
    opts = Options(overrides={"equipment.cap.provincial": 123_00})
    found = cap_on(_recognitions(_platform()), rulebook(), "equipment-subsidy", date(2026, 3, 1), opts)
    assert found is not None and (found.limit, found.clause.endswith("（假设测算）")) == (123_00, True)


def test_a_what_if_on_the_eligible_levels_decides_which_cap() -> None:
    """The levels eligible for the equipment subsidy are a parameter too: with national only, a provincial
    platform holds no eligible level, so no cap applies to it (it cannot claim)."""
    provincial = _recognitions(_platform())
    national_only = Options(overrides={"equipment.eligible_levels": ["national"]})
    assert cap_on(provincial, rulebook(), "equipment-subsidy", date(2026, 3, 1)) is not None
    assert cap_on(provincial, rulebook(), "equipment-subsidy", date(2026, 3, 1), national_only) is None


# ---------------------------------------------------------------- who pays

SCHEMES_30_70 = {"city-50-local-50": {"city": Decimal("0.3"), "local": Decimal("0.7")},
                 "local-100": {"local": Decimal("1")}}


def _shares(amount: int, jurisdiction: str, options: Options, *, says: str = "") -> dict[str, int]:
    """Each payer's share; the trace step must say ``says``."""
    book = rulebook()
    shares, step = payer_shares(amount, jurisdiction=jurisdiction, rule_set=book.rule_sets[RULES], book=book,
                                on=date(2026, 3, 1), options=options)
    assert sum(s.amount for s in shares) == amount
    assert says in step.note, step.note
    return {s.payer: s.amount for s in shares}


def test_the_split_by_the_rules() -> None:
    assert _shares(1_000_01, "330402", Options(), says="嘉兴市财政局50%：500.00元，南湖区财政局50%：500.01元"
                   ) == {"330400": 500_00, "330402": 500_01}  # the city takes the floor, 南湖区 the rest
    assert _shares(1_000_01, "330481", Options(), says="分担方案为“区县（市）财政全额承担”") == {"330481": 1_000_01}  # 海宁市 alone


def test_a_what_if_on_the_split_schemes_changes_the_shares() -> None:
    opts = Options(overrides={"payer_split.schemes": SCHEMES_30_70})
    assert _shares(1_000_00, "330402", opts, says="30%：300.00元") == {"330400": 300_00, "330402": 700_00}


def test_a_scheme_without_a_title_is_named_by_its_code() -> None:
    """A what-if adding a scheme the rules give no title (分担方案名称) shows its code as the name, in the
    trace and on the scheme; the titled schemes keep their titles."""
    schemes = {**SCHEMES_30_70, "city-20-local-80": {"city": Decimal("0.2"), "local": Decimal("0.8")}}
    opts = Options(overrides={"payer_split.schemes": schemes, "payer_split.district": "city-20-local-80"})
    assert _shares(1_000_00, "330402", opts, says="分担方案为“city-20-local-80”") == {"330400": 200_00,
                                                                                 "330402": 800_00}
    book = rulebook()
    on, rules = date(2026, 3, 1), book.rule_sets[RULES]
    assert split_scheme("330402", rules, book, on, opts).title == "city-20-local-80"
    assert split_scheme("330481", rules, book, on, opts).title == "区县（市）财政全额承担"


@given(st.integers(min_value=1, max_value=10**15))
def test_a_negative_amount_splits_as_the_mirror_of_the_positive_one(amount: int) -> None:
    """A reversal's split (a negative amount) is the positive split negated, share by share, for the 50/50
    district, the county alone and a 30/70 what-if — and equal to ``split_fen``'s Decimal reference."""
    book = rulebook()
    rules, on = book.rule_sets[RULES], date(2026, 3, 1)
    for jurisdiction, options in (("330402", Options()), ("330481", Options()),
                                  ("330402", Options(overrides={"payer_split.schemes": SCHEMES_30_70}))):
        scheme = split_scheme(jurisdiction, rules, book, on, options)
        positive, negative = scheme.split(amount), scheme.split(-amount)
        assert negative == [(party, -part) for party, part in positive]
        assert negative == split_fen(-amount, list(scheme.shares.items()), str(scheme.remainder.value))


def test_the_split_sentence_names_the_jurisdiction_class() -> None:
    """The trace's sentence, whole: a district reads 市辖区, a county 县（市）/港区."""
    book = rulebook()
    rules, on = book.rule_sets[RULES], date(2026, 3, 1)
    _, district = payer_shares(1_000_01, jurisdiction="330402", rule_set=rules, book=book, on=on, options=Options())
    _, county = payer_shares(1_000_01, jurisdiction="330481", rule_set=rules, book=book, on=on, options=Options())
    assert district.note.startswith("南湖区（市辖区）分担方案为“市、区两级财政各承担50%”：嘉兴市财政局50%：500.00元，"
                                    "南湖区财政局50%：500.01元；拆分不尽的分由区县承担（")
    assert county.note.startswith("海宁市（县（市）/港区）分担方案为“区县（市）财政全额承担”：海宁市财政局100%：1,000.01元；"
                                  "拆分不尽的分由区县承担（")
    assert (district.values["scheme"], county.values["scheme"]) == ("city-50-local-50", "local-100")


def test_a_what_if_on_the_scheme_choice_and_the_remainder_party() -> None:
    county_half = Options(overrides={"payer_split.county": "city-50-local-50"})
    assert _shares(1_000_01, "330481", county_half) == {"330400": 500_00, "330481": 500_01}
    city_rest = Options(overrides={"payer_split.remainder_party": "city"})
    assert _shares(1_000_01, "330402", city_rest, says="拆分不尽的分由嘉兴市财政局承担（") == {"330400": 500_01,
                                                                                "330402": 500_00}


def test_a_what_if_on_the_split_schemes_through_the_engine() -> None:
    scenario = parse_scenario("""
platform: {id: P, name: 平台, jurisdiction: "330402"}
recognitions: [{level: provincial, date: 2026-02-10}]
investments: [{year: 2025, amount: "1000000.00"}]
claims: [{id: C, program: equipment-subsidy, application_date: 2026-03-15}]
""")  # a scenario file's what_if takes scalars and lists; a table comes in as Options (the API's way)
    (result,) = evaluate(scenario, rulebook(), Options(overrides={"payer_split.schemes": SCHEMES_30_70})).results
    assert result.payable == 300_000_00  # 30% of 1,000,000
    assert {s.payer: s.amount for s in result.shares} == {"330400": 90_000_00, "330402": 210_000_00}


def test_a_what_if_on_the_split_leaves_a_rule_set_it_does_not_fit() -> None:
    """``payer_split.district: local-100`` (or a 30/70 table) without a rule-set prefix changes the Jiaxing
    split; the Zhejiang rules' only scheme is the province's, so a provincial claim keeps it (it used to fail
    with KeyError 'local-100'); a scheme no rule set has is refused, naming the field."""
    scenario = parse_scenario("""
platform: {id: P, name: 平台, jurisdiction: "330402"}
recognitions: [{level: provincial, date: 2026-02-10}]
investments: [{year: 2025, amount: "1000000.00"}]
claims:
  - {id: C, program: equipment-subsidy, application_date: 2026-03-15}
  - {id: Z, program: zj-new-provincial, application_date: 2026-03-15, recorded_amount: "500000.00"}
what_if: {payer_split.district: local-100}
""")
    shares = [{s.payer: s.amount for s in r.shares} for r in evaluate(scenario, rulebook()).results]
    assert shares == [{"330402": 300_000_00}, {"330000": 500_000_00}]
    plain = scenario.model_copy(update={"what_if": {}})
    shares = [{s.payer: s.amount for s in r.shares} for r in evaluate(
        plain, rulebook(), Options(overrides={"payer_split.schemes": SCHEMES_30_70})).results]
    assert shares == [{"330400": 90_000_00, "330402": 210_000_00}, {"330000": 500_000_00}]
    with pytest.raises(InputErrors) as refused:
        evaluate(scenario.model_copy(update={"what_if": {"payer_split.district": "nonesuch"}}), rulebook())
    (issue,) = refused.value.issues
    assert (issue.field, issue.rule) == ("what_if.payer_split.district", "参数假设：分担方案")
    assert issue.message == ("假设的分担方案 'nonesuch' 在任何规则集中都不完整（所选方案须在该规则集的 payer_split.schemes "
                             "中）；可选：city-50-local-50、local-100、province-100")


# ---------------------------------------------------------------- negative Money

def test_negative_money_is_refused_naming_the_field() -> None:
    with pytest.raises(InputErrors) as info:
        money_to_fen(Money("-0.01", "CNY"), field="claims[0].recorded_amount")
    (issue,) = info.value.issues
    assert (issue.field, issue.rule) == ("claims[0].recorded_amount", "金额不为负数")
    with pytest.raises(InputErrors) as info:
        money_to_fen(Money("-5", "CNY"))
    assert info.value.issues[0].field == "amount"
    with pytest.raises(InputErrors, match="不为负数"):
        parse_yuan(Money("-1.00", "CNY"), field="x")


def test_negative_money_when_allowed() -> None:
    assert money_to_fen(Money("-12.34", "CNY"), allow_negative=True) == -1234
    assert parse_yuan(Money("-12.34", "CNY"), field="x", allow_negative=True) == -1234
    assert money_to_fen(Money("0", "CNY")) == 0


def test_money_in_another_currency_is_refused_even_when_negative_is_allowed() -> None:
    with pytest.raises(InputErrors) as info:
        money_to_fen(Money("-1.00", "USD"), field="f", allow_negative=True)
    (issue,) = info.value.issues
    assert (issue.field, issue.rule, issue.message) == ("f", "金额只用人民币", "币种须为人民币（CNY），收到 USD")


@pytest.mark.parametrize(("value", "shown"), [
    ("壹佰元", "壹佰元"),  # text as typed, not its repr
    (Decimal("-1.5"), "-1.5"),  # a number as written, not Decimal('-1.5')
    ("1" * 39 + "x", "1" * 39 + "x"),  # 40 characters: quoted whole
    ("1" * 40 + "x", "1" * 40 + "…"),  # 41: the first 40 and an ellipsis
])
def test_a_refused_amount_is_quoted_as_received(value: object, shown: str) -> None:
    with pytest.raises(InputErrors) as info:
        parse_yuan(value, field="amount")
    (issue,) = info.value.issues
    assert issue.field == "amount"
    assert issue.message == f"{AMOUNT_FIX}；收到 {shown}"


def test_what_is_not_an_amount_is_quoted_as_python_writes_it() -> None:
    with pytest.raises(InputErrors) as info:
        parse_yuan(date(2026, 12, 3), field="amount")
    assert info.value.issues[0].message == f"{AMOUNT_FIX}；收到的不是金额：datetime.date(2026, 12, 3)"


def test_a_later_claim_since_the_last_one_starts_after_the_last_claimed_year_not_before() -> None:
    """``equipment.later_claims=since-last-claim``: after a claim of 2023 and 2025 (2024 left out), a claim
    filed in 2028 reaches the years after 2025 (2026, 2027), not 2024 that lies before the last one claimed."""
    from calculators.scenario import from_data

    data = {
        "platform": {"id": "L1", "name": "平台", "jurisdiction": "330402"},
        "pool": [{"entered": "2025-06-01"}],
        "recognitions": [{"level": "provincial", "date": "2026-02-01"}],
        "investments": [{"year": y, "amount": "2000000.00"} for y in range(2023, 2028)],
        "claims": [{"id": "E1", "program": "equipment-subsidy", "application_date": "2026-03-15", "years": [2023, 2025]},
                   {"id": "E2", "program": "equipment-subsidy", "application_date": "2028-03-15"}],
        "what_if": {"equipment.later_claims": "since-last-claim"},
    }
    claims = evaluate(from_data(data), rulebook()).by_claim()
    assert [(c.status, c.years, c.payable) for c in (claims["E1"], claims["E2"])] == [
        ("payable", (2023, 2025), 1_200_000_00), ("payable", (2026, 2027), 1_200_000_00)]
