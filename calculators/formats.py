"""How amounts and dates are written (金额、日期的写法): the one formatting module every layer uses.

Amounts are integer fen (分) everywhere inside; these pure functions (no I/O, no float) turn them
into text or exact ``Decimal`` numbers at the edge — the API's response models, the pages' templates,
the reports and the CLI:

* :func:`yuan` — ``"-1234.56"``: the decimal string the API and the scenarios carry (元, 2 decimals);
* :func:`yuan_grouped` — ``"1,234.56"``: 元 with thousands separators, as pages and documents show it;
* :func:`wan` — ``"123.456789"``: 万元, exact (as many decimals as the amount needs, up to six);
* :func:`wan_grouped` — ``"1,234.56"``: 万元 as the pages show it (exact, grouped, at least 2 decimals);
* :func:`yuan_decimal` / :func:`wan_decimal` — exact ``Decimal`` numbers for spreadsheet cells;
* :func:`date_text` — a date as pages, the API and the CLI show it today (``2026-12-03``);
* :func:`moment_text` — a moment as the pages show it (``2026-03-02 08:15:30``);
* :func:`date_cn` — a date as the forms write it (``2026年3月4日``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Final

FEN_PER_YUAN: Final = 100
FEN_PER_WAN: Final = 1_000_000  # 1 万元 = 10,000 元 = 1,000,000 分
NONE_SHOWN: Final = "—"
"""What a page shows where there is no amount (no cap, not yet approved)."""


def _fen(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"an amount in fen is an int, not {type(value).__name__} ({value!r})")
    return value


def yuan(fen: int) -> str:
    """``123456`` → ``"1234.56"``; ``-1`` → ``"-0.01"``: 元 with exactly two decimals, no separators."""
    fen = _fen(fen)
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}"


def yuan_or_none(fen: int | None) -> str | None:
    """:func:`yuan`, with ``None`` (no amount) kept as ``None``."""
    return None if fen is None else yuan(fen)


def yuan_decimal(fen: int) -> Decimal:
    """``58500001`` → ``Decimal('585000.01')``: exact 元 with two decimals, as a number."""
    return Decimal(_fen(fen)).scaleb(-2)


def yuan_grouped(fen: int) -> str:
    """``123456789`` → ``"1,234,567.89"``: 元 with thousands separators and two decimals (documents, pages)."""
    return f"{yuan_decimal(fen):,.2f}"


def wan_decimal(fen: int) -> Decimal:
    """``58500000`` → ``Decimal('58.5')``; ``300000000`` → ``Decimal('300')``: exact 万元, no trailing zeros.

    Whole yuan need at most 4 decimals in 万元 (1 元 = 0.0001 万元); an amount with fen needs 6."""
    d = Decimal(_fen(fen)).scaleb(-6)
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def wan(fen: int) -> str:
    """``74400015`` → ``"74.400015"``: 万元, exact, as many decimals as the amount needs (none for whole 万元)."""
    return format(wan_decimal(fen), "f")


def wan_grouped(fen: int) -> str:
    """``744000150`` → ``"744.00015"``; ``300000000`` → ``"300.00"``: 万元 as the pages show it — exact, with
    thousands separators and at least two decimals."""
    text = f"{Decimal(_fen(fen)).scaleb(-6):,.6f}".rstrip("0")
    decimals = len(text.partition(".")[2])
    return text + "0" * max(0, 2 - decimals)


def date_text(on: date) -> str:
    """A date as pages, the API and the CLI show it today: ISO ``2026-12-03``."""
    return on.isoformat()


def moment_text(at: datetime, *, seconds: bool = True) -> str:
    """``2026-03-02 08:15:30`` (or ``2026-03-02 08:15`` without seconds): a moment as the pages show it,
    in the zone it carries."""
    return at.isoformat(sep=" ")[:19 if seconds else 16]


def date_cn(on: date) -> str:
    """``2026-03-04`` → ``2026年3月4日``: a date as the forms (附件3) write it."""
    return f"{on.year}年{on.month}月{on.day}日"
