"""Money: integer fen, decimal strings in and out, floats refused, rounding stated."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moneyed import Money

from calculators.errors import InputErrors
from calculators.money import (
    FEN_PER_WAN,
    FEN_PER_YUAN,
    apply_rate,
    fen_to_money,
    fen_to_wan,
    fen_to_yuan,
    floor_share,
    money_to_fen,
    parse_yuan,
    rate_percent,
    split_fen,
)


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("1234.56", 123456),
        ("0.01", 1),
        ("0", 0),
        ("-0.00", 0),
        ("1,234,567.89", 123456789),  # thousands separators as clerks write them
        (" 42.1 ", 4210),
        ("1.500", 150),  # trailing zeros are exact, not a third decimal
        (1234, 123400),
        (0, 0),
        (Decimal("99.99"), 9999),
        ("10000000.00", 1_000_000_000),
    ],
)
def test_parse_yuan_gives_exact_fen(value: object, fen: int) -> None:
    assert parse_yuan(value, field="x") == fen


@pytest.mark.parametrize(
    ("value", "rule_part", "message_part"),
    [
        (1.5, "不接受浮点数", "浮点数"),
        (0.1, "不接受浮点数", "浮点数"),
        (100.0, "不接受浮点数", "浮点数"),  # even a whole-number float
        (True, "不接受浮点数", "浮点数"),
        ("1.005", "最多两位小数", "超过两位小数"),
        ("0.001", "最多两位小数", "超过两位小数"),
        ("-1.00", "不为负数", "不小于0"),
        ("abc", "十进制数字", "须为不小于0的金额"),
        ("", "十进制数字", "须为不小于0的金额"),
        ("NaN", "十进制数字", "须为不小于0的金额"),
        ("Infinity", "十进制数字", "须为不小于0的金额"),
        (None, "十进制数字", "不是金额"),
        ([1], "十进制数字", "不是金额"),
    ],
)
def test_parse_yuan_refuses_and_names_the_field(value: object, rule_part: str, message_part: str) -> None:
    with pytest.raises(InputErrors) as info:
        parse_yuan(value, field="claims[0].invoices[1].net")
    (issue,) = info.value.issues
    assert issue.field == "claims[0].invoices[1].net"
    assert rule_part in issue.rule
    assert message_part in issue.message


def test_negative_amounts_when_allowed() -> None:
    assert parse_yuan("-12.34", field="x", allow_negative=True) == -1234


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "0.00"), (5, "0.05"), (50, "0.50"), (100, "1.00"), (123456, "1234.56"), (-5, "-0.05"),
     (-123456, "-1234.56"), (1_000_000_000, "10000000.00")],
)
def test_fen_to_yuan(fen: int, text: str) -> None:
    assert fen_to_yuan(fen) == text


@pytest.mark.parametrize(
    ("fen", "wan"),
    [(0, "0"), (FEN_PER_WAN, "1"), (150 * FEN_PER_WAN, "150"), (1000 * FEN_PER_WAN, "1000"),
     (123_456, "0.123456"), (1, "0.000001"), (60_000_000, "60")],
)
def test_fen_to_wan_is_exact(fen: int, wan: str) -> None:
    """Annex 3 is in 万元; the conversion never rounds (1 万元 = 1,000,000 fen)."""
    assert fen_to_wan(fen) == wan


def test_money_round_trip_and_currency() -> None:
    m = fen_to_money(123456)
    assert m == Money(Decimal("1234.56"), "CNY")
    assert money_to_fen(m) == 123456
    assert parse_yuan(Money("0.07", "CNY"), field="x") == 7
    with pytest.raises(InputErrors) as info:
        money_to_fen(Money("1.00", "USD"), field="amount")
    assert info.value.issues[0].field == "amount"
    assert "人民币" in info.value.issues[0].rule


@pytest.mark.parametrize(
    ("fen", "rate", "result"),
    [
        (33335, "0.30", 10001),   # 10,000.5 fen: exactly half rounds up
        (33331, "0.30", 9999),    # 9,999.3 → down
        (33333, "0.30", 10000),   # 9,999.9 → up
        (5, "0.30", 2),           # 1.5 → 2
        (1, "0.30", 0),           # 0.3 → 0
        (200_000_000, "0.30", 60_000_000),
        (200_000_000, "0.25", 50_000_000),
        (12345, "1", 12345),
        (12345, "0", 0),
    ],
)
def test_apply_rate_rounds_half_up_to_the_fen(fen: int, rate: str, result: int) -> None:
    assert apply_rate(fen, Decimal(rate)) == result


def test_floor_share() -> None:
    assert floor_share(10001, Decimal("0.5")) == 5000
    assert floor_share(9999, Decimal("0.5")) == 4999
    assert floor_share(3, Decimal("0.3333")) == 0


def test_split_fen_city_floor_local_rest() -> None:
    half = Decimal("0.5")
    assert split_fen(10001, [("city", half), ("local", half)], "local") == [("city", 5000), ("local", 5001)]
    assert split_fen(10000, [("city", half), ("local", half)], "local") == [("city", 5000), ("local", 5000)]
    assert split_fen(1, [("city", half), ("local", half)], "local") == [("city", 0), ("local", 1)]
    assert split_fen(0, [("city", half), ("local", half)], "local") == [("city", 0), ("local", 0)]
    assert split_fen(777, [("local", Decimal(1))], "local") == [("local", 777)]
    # the order of the result follows the scheme, whoever takes the remainder
    assert split_fen(10001, [("local", half), ("city", half)], "local") == [("local", 5001), ("city", 5000)]


def test_split_fen_refuses_bad_schemes() -> None:
    with pytest.raises(ValueError, match="do not sum to 1"):
        split_fen(100, [("city", Decimal("0.5")), ("local", Decimal("0.4"))], "local")
    with pytest.raises(ValueError, match="takes no share"):
        split_fen(100, [("city", Decimal("0.5")), ("local", Decimal("0.5"))], "province")


@pytest.mark.parametrize(("rate", "text"), [("0.30", "30%"), ("0.3", "30%"), ("0.5", "50%"), ("1", "100%"),
                                            ("0.255", "25.5%"), ("0", "0%")])
def test_rate_percent(rate: str, text: str) -> None:
    assert rate_percent(Decimal(rate)) == text


def test_units() -> None:
    assert FEN_PER_YUAN == 100
    assert FEN_PER_WAN == 10_000 * FEN_PER_YUAN


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**15))
def test_yuan_text_round_trips(fen: int) -> None:
    assert parse_yuan(fen_to_yuan(fen), field="x") == fen
    assert money_to_fen(fen_to_money(fen)) == fen


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=4),
    st.data(),
)
def test_split_fen_always_adds_up(total: int, weights: list[int], data: st.DataObject) -> None:
    """Any scheme whose shares sum to 1: the parts sum to the total exactly; every floor party is within 1 fen."""
    parties = [f"p{i}" for i in range(len(weights))]
    shares = [Decimal(w) / Decimal(sum(weights)) for w in weights]
    shares[-1] = Decimal(1) - sum(shares[:-1], Decimal(0))  # make the sum exactly 1
    remainder = data.draw(st.sampled_from(parties))
    parts = split_fen(total, list(zip(parties, shares, strict=True)), remainder)
    assert [p for p, _ in parts] == parties
    assert sum(f for _, f in parts) == total
    for (party, fen), share in zip(parts, shares, strict=True):
        if party != remainder:
            assert abs(Decimal(total) * share - fen) < 1


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**13), st.integers(min_value=0, max_value=100))
def test_apply_rate_is_within_half_a_fen(fen: int, percent: int) -> None:
    rate = Decimal(percent) / 100
    exact = Decimal(fen) * rate
    got = apply_rate(fen, rate)
    assert -Decimal("0.5") < got - exact <= Decimal("0.5")


def _rate_oracle(fen: int, rate: Decimal) -> int:
    """解读 R-2 as written: the exact product, rounded to the fen half away from zero."""
    from decimal import ROUND_HALF_UP, localcontext

    with localcontext() as ctx:
        ctx.prec = 60  # wide enough for every product below
        return int((Decimal(fen) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(("fen", "rate", "fen_out"), [
    (5, Decimal("0.1"), 1), (-5, Decimal("0.1"), -1), (25, Decimal("0.1"), 3), (-25, Decimal("0.1"), -3),
    (15, Decimal("0.1"), 2), (4, Decimal("0.1"), 0), (-4, Decimal("0.1"), 0), (1, Decimal("-0.5"), -1),
    # a rate of more than 12 digits and an amount of 10¹² fen or more take the Decimal path: the same rule
    (5, Decimal("0.1000000000000"), 1), (25, Decimal("0.1000000000000"), 3), (-25, Decimal("0.1000000000000"), -3),
    (10**12 + 1, Decimal("0.5"), 500_000_000_001), (-(10**12 + 1), Decimal("0.5"), -500_000_000_001),
    (10**12, Decimal("0.3"), 300_000_000_000), (-(10**12), Decimal("0.3"), -300_000_000_000),
    (10**12 - 1, Decimal("0.5"), 500_000_000_000), (-(10**12 - 1), Decimal("0.5"), -500_000_000_000),
])
def test_a_rate_rounds_half_away_from_zero_on_every_path(fen: int, rate: Decimal, fen_out: int) -> None:
    """The integer path (a rate of at most 12 digits, an amount below 10¹² fen) and the Decimal path give
    the figure 解读 R-2 states, halves included, for negative amounts too (reversals)."""
    assert apply_rate(fen, rate) == fen_out == _rate_oracle(fen, rate)


@given(fen=st.integers(-(10**15), 10**15),
       rate=st.decimals(min_value=Decimal("-2"), max_value=Decimal("2"), places=14, allow_nan=False))
def test_apply_rate_is_the_exact_product_rounded_half_up(fen: int, rate: Decimal) -> None:
    assert apply_rate(fen, rate) == _rate_oracle(fen, rate)


@pytest.mark.parametrize(("value", "message"), [
    (Money("-1.00", "CNY"), "invoices[0].amount: 须为不小于0的金额，最多两位小数（元），如 1000000.00；收到 -1.00 [金额不为负数]"),
    (Money("1.001", "CNY"), "invoices[0].amount: 须为不小于0的金额，最多两位小数（元），如 1000000.00；收到 1.001（超过两位小数，即不足1分） "
                            "[金额以元为单位，写作十进制数字，最多两位小数（不接受浮点数）]"),
    ("NaN", "invoices[0].amount: 须为不小于0的金额，最多两位小数（元），如 1000000.00；收到 NaN "
            "[金额以元为单位，写作十进制数字，最多两位小数（不接受浮点数）]"),
    (Decimal("Infinity"), "invoices[0].amount: 须为不小于0的金额，最多两位小数（元），如 1000000.00；收到 Infinity "
                          "[金额以元为单位，写作十进制数字，最多两位小数（不接受浮点数）]"),
    ("1.234", "invoices[0].amount: 须为不小于0的金额，最多两位小数（元），如 1000000.00；收到 1.234（超过两位小数，即不足1分） "
              "[金额以元为单位，写作十进制数字，最多两位小数（不接受浮点数）]"),
])
def test_a_refused_amount_names_its_field_and_quotes_what_came(value: object, message: str) -> None:
    """Money objects go through money_to_fen with the same field; non-finite and sub-fen text is quoted."""
    with pytest.raises(InputErrors) as refused:
        parse_yuan(value, field="invoices[0].amount")
    assert str(refused.value) == message
