"""What the faster engine relies on says the same as what it replaced (issue 12): traces written when read,
parameters memoised by span of dates and options, the split and the rate in integers, results filled in
one step. Speed itself is measured in bench/rules.py; the whole output is compared in test_golden.py."""

from __future__ import annotations

import copy
import pickle
from dataclasses import FrozenInstanceError, dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculators.errors import InputErrors
from calculators.money import apply_rate, split_fen
from calculators.results import ClaimResult, Share, TraceStep, quick_init, shown
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import Options
from calculators.split import _resolve_scheme, split_scheme

BOOK = rulebook()
RULES = BOOK.rule_sets["jiaxing-rules-2026"]
DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
RATES = st.decimals(min_value=Decimal(0), max_value=Decimal(3), places=6) | st.sampled_from(
    [Decimal("0.30"), Decimal("0.25"), Decimal("0.5"), Decimal("0.005"), Decimal("0.333333333333"),
     Decimal("0.1234567890123")])


@settings(max_examples=400, deadline=None)
@given(fen=st.integers(min_value=-(10**14), max_value=10**14), rate=RATES)
def test_apply_rate_rounds_as_the_decimal_rule_states(fen: int, rate: Decimal) -> None:
    assert apply_rate(fen, rate) == int((Decimal(fen) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(min_value=-(10**12), max_value=10**12), on=DAYS,
       code=st.sampled_from(sorted(BOOK.jurisdictions)))
def test_the_scheme_splits_as_split_fen(amount: int, on: date, code: str) -> None:
    scheme = split_scheme(code, RULES, BOOK, on, Options())
    assert scheme.split(amount) == split_fen(amount, list(scheme.shares.items()), str(scheme.remainder.value))
    assert sum(fen for _, fen in scheme.split(amount)) == amount


def test_floor_share_is_toward_zero_for_negative_amounts() -> None:
    scheme = split_scheme("330402", RULES, BOOK, date(2026, 3, 1), Options())
    for amount in (-3, -1_000_01, 7, 1_000_01):
        for party, fen in scheme.split(amount):
            if party != scheme.remainder.value:
                assert fen == int((Decimal(amount) * scheme.shares[party]).to_integral_value(rounding=ROUND_DOWN))


def test_the_split_memo_keys_on_the_options_content() -> None:
    on = date(2026, 3, 1)
    county = Options(overrides={"payer_split.county": "city-50-local-50"})
    plain = split_scheme("330481", RULES, BOOK, on, Options())
    assert split_scheme("330481", RULES, BOOK, on, county).scheme.value == "city-50-local-50"
    assert split_scheme("330481", RULES, BOOK, on, Options()) is plain
    assert split_scheme("330481", RULES, BOOK, on, Options(overrides={"payer_split.county": "city-50-local-50"})) \
        .scheme.value == "city-50-local-50"


@settings(max_examples=300, deadline=None)
@given(on=DAYS, name=st.sampled_from(sorted(RULES.parameters)),
       rate=st.none() | st.sampled_from(["0.25", "0.20"]))
def test_a_memoised_parameter_is_the_one_resolved_on_that_day(on: date, name: str, rate: str | None) -> None:
    options = None if rate is None else Options(overrides={"equipment.rate": Decimal(rate)})
    try:
        direct = RULES._resolve(name, on, options)
    except InputErrors:  # no value that day: the memo must refuse the same way
        with pytest.raises(InputErrors):
            RULES.param(name, on, options)
        return
    assert RULES.param(name, on, options) == direct
    assert RULES.param(name, on, options).cite() == direct.cite()


def test_every_day_around_a_boundary_resolves_as_its_own_day() -> None:
    for boundary in RULES._boundaries:
        for on in (boundary - timedelta(days=1), boundary, boundary + timedelta(days=1)):
            for name in RULES.parameters:
                try:
                    direct = RULES._resolve(name, on, None)
                except InputErrors:  # no value that day: the test above checks the memo refuses too
                    continue
                assert RULES.param(name, on) == direct


@settings(max_examples=200, deadline=None)
@given(on=DAYS, code=st.sampled_from(sorted(BOOK.jurisdictions)),
       county=st.sampled_from([None, "city-50-local-50", "local-100"]))
def test_the_split_memo_answers_the_scheme_resolved_on_that_day(on: date, code: str, county: str | None) -> None:
    """Memoised by span of dates (RuleSet.span), the scheme is the one resolved on the day itself."""
    options = Options() if county is None else Options(overrides={"payer_split.county": county})
    try:
        direct = _resolve_scheme(code, RULES, BOOK, on, options)
    except InputErrors:  # no value that day: the memo must refuse the same way
        with pytest.raises(InputErrors):
            split_scheme(code, RULES, BOOK, on, options)
        return
    assert split_scheme(code, RULES, BOOK, on, options) == direct


def test_a_span_of_dates_shares_one_split_scheme() -> None:
    spans = RULES._boundaries
    first, last = spans[-1], spans[-1] + timedelta(days=700)  # after the last change: one span
    assert RULES.span(first) == RULES.span(last) != RULES.span(first - timedelta(days=1))
    assert split_scheme("330402", RULES, BOOK, first, Options()) is split_scheme("330402", RULES, BOOK, last, Options())


def test_defining_answers_a_fresh_list_in_date_order() -> None:
    first = BOOK.defining("equipment-subsidy")
    first.clear()
    again = BOOK.defining("equipment-subsidy")
    assert again and [rs.in_force_from for rs in again] == sorted(rs.in_force_from for rs in again)


def test_a_recorded_step_reads_as_the_step_written_at_once() -> None:
    raw = {"limit_fen": 500_000_000, "level": "provincial", "rate": Decimal("0.30"), "on": date(2026, 3, 1)}
    eager = TraceStep("cap", "细则 第四章（一）(1)", "累计上限", dict(shown(k, v) for k, v in raw.items()))
    lazy = TraceStep.recorded("cap", "细则 第四章（一）(1)", lambda: "累计" + "上限", dict(raw))
    assert lazy.values == {"limit": "5000000.00", "level": "provincial", "rate": "0.30", "on": "2026-03-01"}
    assert lazy == eager and repr(lazy) == repr(eager) and lazy.to_dict() == eager.to_dict()
    for copied in (pickle.loads(pickle.dumps(TraceStep.recorded("cap", "细则 第四章（一）(1)", "累计上限", dict(raw)))),
                   copy.deepcopy(TraceStep.recorded("cap", "细则 第四章（一）(1)", "累计上限", dict(raw)))):
        assert copied == eager
    with pytest.raises(AttributeError):
        lazy.note = "changed"  # type: ignore[misc]  # the point: it is read-only
    with pytest.raises(TypeError):
        hash(lazy)


def test_quick_init_keeps_the_dataclass_contract() -> None:
    @quick_init
    @dataclass(frozen=True, kw_only=True)
    class Sample:
        a: int
        b: str = "b"

    s = Sample(a=1)
    assert (s.a, s.b) == (1, "b") and s == Sample(a=1, b="b") and hash(s) == hash(Sample(a=1))
    assert replace(s, b="c") == Sample(a=1, b="c") and repr(s) == "test_quick_init_keeps_the_dataclass_contract.<locals>.Sample(a=1, b='b')"
    with pytest.raises(FrozenInstanceError):
        s.a = 2  # type: ignore[misc]  # the point: it is frozen
    with pytest.raises(TypeError):
        Sample(1)  # type: ignore[call-arg]  # keyword-only, as declared
    with pytest.raises(TypeError):
        Sample()  # type: ignore[call-arg]  # a is required
    share = Share(payer="330400", payer_name="嘉兴市财政局", party="city", amount=1)
    result = ClaimResult(claim_id="C1", program="p", program_title="t", rule_set="r", rule_set_title="rt",
                         purse="municipal", status="payable", gross=1, cap=None, entitled=1, offset=0, payable=1,
                         shares=(share,), trace=())
    assert result.warnings == () and pickle.loads(pickle.dumps(result)) == result


def test_a_result_with_recorded_steps_round_trips_through_pydantic_and_pickle() -> None:
    from pydantic import TypeAdapter

    step = TraceStep.recorded("cap", "细则 第四章（一）(1)", lambda: "累计上限", {"limit_fen": 500_000_000})
    result = ClaimResult(claim_id="C1", program="p", program_title="t", rule_set="r", rule_set_title="rt",
                         purse="municipal", status="payable", gross=1, cap=None, entitled=1, offset=0, payable=1,
                         shares=(), trace=(step,))
    adapter = TypeAdapter(ClaimResult)
    kept = adapter.dump_python(result, mode="json")
    assert kept["trace"] == [{"step": "cap", "clause": "细则 第四章（一）(1)", "note": "累计上限",
                              "values": {"limit": "5000000.00"}}]
    assert adapter.validate_python(kept) == result == pickle.loads(pickle.dumps(result))
