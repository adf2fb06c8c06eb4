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
