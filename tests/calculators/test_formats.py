"""The one formatting module: fen → 元 and 万元 text, exact, signs right, round trips back to fen."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calculators import formats as F
from calculators.money import parse_yuan
from ledger import history

FEN = st.integers(min_value=-(10**15), max_value=10**15)


@pytest.mark.parametrize(("fen", "text"), [
    (0, "0.00"), (1, "0.01"), (-1, "-0.01"), (99, "0.99"), (-99, "-0.99"), (100, "1.00"), (-100, "-1.00"),
    (-101, "-1.01"), (123456, "1234.56"), (-123456, "-1234.56"), (32_000_000, "320000.00"),
])
def test_yuan(fen: int, text: str) -> None:
    assert F.yuan(fen) == text


def test_history_writes_negative_amounts_like_everyone_else() -> None:
    """The bug: ledger.history had its own ``_yuan`` that floored (``-1`` → ``"-1.99"``)."""
    assert history.yuan(-1) == "-0.01" == F.yuan(-1)
    assert history.yuan(-12345) == "-123.45"


@pytest.mark.parametrize(("fen", "grouped"), [
    (0, "0.00"), (-1, "-0.01"), (99_999, "999.99"), (100_000, "1,000.00"), (123456789, "1,234,567.89"),
    (-123456789, "-1,234,567.89"), (100_000_000_000, "1,000,000,000.00"),
])
def test_yuan_grouped(fen: int, grouped: str) -> None:
    assert F.yuan_grouped(fen) == grouped


@pytest.mark.parametrize(("fen", "wan", "grouped"), [
    (0, "0", "0.00"), (1, "0.000001", "0.000001"), (100, "0.0001", "0.0001"), (1_000_000, "1", "1.00"),
    (74_400_015, "74.400015", "74.400015"), (58_500_000, "58.5", "58.50"), (300_000_000, "300", "300.00"),
    (-1_500_000, "-1.5", "-1.50"), (12_345_678_900_000, "12345678.9", "12,345,678.90"),
])
def test_wan_exact_as_the_pages_and_forms_show_it(fen: int, wan: str, grouped: str) -> None:
    assert F.wan(fen) == wan
    assert F.wan_grouped(fen) == grouped
    assert F.wan_decimal(fen) == Decimal(wan)


def test_dates() -> None:
    assert F.date_text(date(2026, 12, 3)) == "2026-12-03"
    at = datetime(2026, 3, 2, 8, 15, 30, 123456, tzinfo=UTC)
    assert F.moment_text(at) == "2026-03-02 08:15:30" == at.isoformat()[:19].replace("T", " ")
    assert F.moment_text(at, seconds=False) == "2026-03-02 08:15"
    assert F.date_cn(date(2026, 3, 4)) == "2026年3月4日"
    assert F.moment_cn(at) == "2026年3月2日 08:15:30" and F.moment_cn(at, seconds=False) == "2026年3月2日 08:15"


@pytest.mark.parametrize("bad", [True, 1.5, Decimal("1"), "100", None])
def test_only_integer_fen_is_formatted(bad: object) -> None:
    with pytest.raises(TypeError):
        F.yuan(bad)  # type: ignore[arg-type]


@given(FEN)
def test_yuan_round_trips_to_fen(fen: int) -> None:
    text = F.yuan(fen)
    assert parse_yuan(text, field="x", allow_negative=True) == fen
    assert F.yuan_decimal(fen) == Decimal(text)
    whole, _, cents = text.lstrip("-").partition(".")
    assert len(cents) == 2 and whole == str(int(whole))  # two decimals, no leading zeros
    assert text.startswith("-") == (fen < 0)


@given(FEN)
def test_grouped_yuan_is_the_same_amount_with_separators(fen: int) -> None:
    grouped = F.yuan_grouped(fen)
    assert grouped.replace(",", "") == F.yuan(fen)
    assert parse_yuan(grouped, field="x", allow_negative=True) == fen
    whole = grouped.lstrip("-").partition(".")[0]
    groups = whole.split(",")
    assert 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


@given(FEN)
def test_wan_is_exact(fen: int) -> None:
    assert Decimal(F.wan(fen)) * F.FEN_PER_WAN == fen
    assert Decimal(F.wan_grouped(fen).replace(",", "")) * F.FEN_PER_WAN == fen
    assert len(F.wan_grouped(fen).partition(".")[2]) >= 2


# ---------------------------------------------------------------- 万元 with a fixed 4 decimals (or 2)


@pytest.mark.parametrize(("fen", "four", "two", "rounded"), [
    (0, "0.0000", "0.00", False), (100, "0.0001", "0.00", False), (50, "0.0001", "0.00", True),  # half up
    (49, "0.0000", "0.00", True), (-50, "-0.0001", "-0.00", True), (-49, "0.0000", "0.00", True),  # no "-0"
    (74_400_015, "74.4000", "74.40", True), (58_500_000, "58.5000", "58.50", False),
    (248_000_050, "248.0001", "248.00", True),  # 2,480,000.50 元: never 248.00005
    (12_345_678_900_000, "12,345,678.9000", "12,345,678.90", False),
])
def test_wan_fixed_rounds_half_up(fen: int, four: str, two: str, rounded: bool) -> None:
    assert F.wan_fixed(fen) == four
    if two != "-0.00":  # -0.005 万元 shows as 0.00 with 2 decimals, never -0.00
        assert F.wan_fixed(fen, 2) == two
    assert F.wan_fixed(-50, 2) == "0.00"
    assert F.wan_rounded(fen) is rounded


def test_wan_text_puts_the_exact_yuan_beside_only_where_rounding_changed_the_figure() -> None:
    assert F.wan_text(58_500_000) == "58.5000 万元"
    assert F.wan_text(74_400_015) == "74.4000 万元（744,000.15 元）"
    assert F.wan_text(74_400_015, exact_beside=False) == "74.4000 万元"
    assert F.wan_text(58_500_000, 2) == "58.50 万元"
    assert F.wan_text(58_512_300, 2) == "58.51 万元（585,123.00 元）"
    with pytest.raises(ValueError):
        F.wan_fixed(1, 6)


@given(FEN, st.sampled_from(F.WAN_DECIMALS_CHOICES))
def test_wan_fixed_is_the_nearest_figure_half_up(fen: int, decimals: int) -> None:
    shown = Decimal(F.wan_fixed(fen, decimals).replace(",", ""))
    exact = Decimal(fen) / F.FEN_PER_WAN
    step = Decimal(1).scaleb(-decimals)
    assert abs(shown - exact) <= step / 2
    if abs(shown - exact) == step / 2:
        assert abs(shown) > abs(exact)  # a half goes away from zero (四舍五入)
    assert F.wan_rounded(fen, decimals) == (shown != exact)
    assert ("元）" in F.wan_text(fen, decimals)) == (shown != exact)


def test_wan_decimals_is_a_reading_of_the_rule_set() -> None:
    from calculators.labels import wan_decimals
    from calculators.rulesets.model import Options

    assert wan_decimals(date(2026, 12, 3)) == 4
    other = Options(overrides={"display.wan_decimals": "2"}, readings=frozenset({"display.wan_decimals"}))
    assert wan_decimals(date(2026, 12, 3), other) == 2


# ---------------------------------------------------------------- 大写金额


@pytest.mark.parametrize(("yuan", "capital"), [
    ("0.05", "伍分"), ("100.05", "壹佰元零伍分"), ("320000", "叁拾贰万元整"), ("10000000.01", "壹仟万元零壹分"),
    ("0", "零元整"), ("0.50", "伍角整"), ("1.50", "壹元伍角整"), ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
    ("10.5", "壹拾元伍角整"), ("1001", "壹仟零壹元整"), ("10010", "壹万零壹拾元整"), ("1000100", "壹佰万零壹佰元整"),
    ("100010000", "壹亿零壹万元整"), ("1000100000000", "壹万零壹亿元整"), ("2480000.50", "贰佰肆拾捌万元伍角整"),
    ("-3.20", "负叁元贰角整"), ("105000.07", "壹拾万伍仟元零柒分"), ("100500", "壹拾万零伍佰元整"),
])
def test_daxie(yuan: str, capital: str) -> None:
    assert F.daxie(parse_yuan(yuan, field="x", allow_negative=True)) == capital


_DIGIT_OF = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_PLACE_OF = {"拾": 10, "佰": 100, "仟": 1000}


def _read_whole(text: str) -> int:
    """Whole 元 in capitals → int, read left to right with running 亿 and 万 sections (not the writer's
    recursion): a digit waits for its place; 万 closes the part below 亿, 亿 closes everything before it."""
    yi = wan = part = digit = 0
    for ch in text:
        if ch in _DIGIT_OF:
            digit = _DIGIT_OF[ch]
        elif ch in _PLACE_OF:
            assert digit, text  # a place always follows a digit (壹拾, never bare 拾)
            part, digit = part + digit * _PLACE_OF[ch], 0
        elif ch == "万":
            wan, part, digit = (part + digit) * 10_000, 0, 0
        elif ch == "亿":
            yi, wan, part, digit = (yi + wan + part + digit) * 100_000_000, 0, 0, 0
        else:
            raise AssertionError(f"{ch!r} in {text!r}")
    return yi + wan + part + digit


def parse_daxie(text: str) -> int:
    """An independent reader of 大写金额 → fen."""
    sign = -1 if text.startswith("负") else 1
    text = text.removeprefix("负")
    text = text.removesuffix("整")
    whole_text, has_yuan, rest = text.partition("元")
    if not has_yuan:
        whole_text, rest = "", whole_text
    fen = _read_whole(whole_text) * 100
    for unit, scale in (("角", 10), ("分", 1)):
        head, found, rest2 = rest.partition(unit)
        if found:
            fen += _DIGIT_OF[head.removeprefix("零")] * scale
            rest = rest2
    assert rest == "", text
    return sign * fen


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_daxie_reads_back_to_the_same_fen(fen: int) -> None:
    text = F.daxie(fen)
    assert parse_daxie(text) == fen
    assert "零零" not in text and not text.startswith("零" if fen else "-")
    assert text.endswith("分") != text.endswith("整")  # 整 exactly where there are no 分
    assert ("元" in text) == (abs(fen) >= 100 or fen == 0)
    assert not any(text.endswith(z) for z in ("零元整", "零分")) or fen == 0


# ---------------------------------------------------------------- one format for an amount everywhere


@pytest.mark.parametrize("fen", [-1, -12345, -100_000_000_01, 123_456_789_012_34, 10**15])
def test_negative_and_large_amounts_format_alike_in_every_layer(fen: int) -> None:
    """The API (responses), the pages' filters, the ledger's history, the reports' cells and the calculators
    write one amount the same way."""
    from app.pages import common as pages
    from app.responses import _fen_as_yuan  # the API's Yuan type writes through it
    from calculators.money import fen_to_yuan
    from reports.xlsx import yuan_number

    plain = F.yuan(fen)
    assert history.yuan(fen) == fen_to_yuan(fen) == _fen_as_yuan(fen) == plain
    assert pages.yuan(fen) == f"{F.yuan_grouped(fen)} 元" and pages.yuan(fen).replace(",", "") == f"{plain} 元"
    assert pages.wan(fen) == F.wan_text(fen, exact_beside=False)
    assert str(yuan_number(fen)) == plain if abs(fen) < 10**15 else True
    assert parse_yuan(pages.yuan(fen).removesuffix(" 元"), field="x", allow_negative=True) == fen
