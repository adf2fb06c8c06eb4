"""Money as integer fen (分), computed with ``Decimal``, exposed as py-moneyed ``Money`` (CNY).

Rules: amounts are integer fen; a float is refused wherever it appears; another
currency is an error; rounding is stated, never implied by the Decimal context.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Final

from moneyed import Money

from calculators.errors import InputErrors
from calculators.formats import FEN_PER_WAN, FEN_PER_YUAN
from calculators.formats import wan as fen_to_wan  # the names the calculators have always used
from calculators.formats import yuan as fen_to_yuan

CURRENCY: Final = "CNY"

AMOUNT_RULE: Final = "金额以元为单位，写作十进制数字，最多两位小数（不接受浮点数）"
AMOUNT_FIX: Final = "须为不小于0的金额，最多两位小数（元），如 1000000.00"

__all__ = [
    "AMOUNT_RULE", "CURRENCY", "FEN_PER_WAN", "FEN_PER_YUAN", "apply_rate", "fen_to_money", "fen_to_wan", "fen_to_yuan",
    "floor_share", "money_to_fen", "parse_yuan", "rate_percent", "split_fen",
]


def _shown(value: object) -> str:
    """The value received, as a message quotes it (text as typed, at most 40 characters)."""
    text = value if isinstance(value, str) else str(value) if isinstance(value, (int, Decimal)) else repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def parse_yuan(value: object, *, field: str, allow_negative: bool = False) -> int:
    """Parse a yuan amount (``"1234.56"``, ``1234``, ``Decimal``) into integer fen.

    Refuses floats (and bools), more than two decimals, non-numbers and, unless
    ``allow_negative``, negative amounts, naming ``field`` in the error.
    """
    if isinstance(value, (bool, float)):
        raise InputErrors.one(field, AMOUNT_RULE, f"{AMOUNT_FIX}；收到浮点数 {value!r}，请写成带引号的十进制数字（如 \"1000000.00\"）")
    if isinstance(value, int):
        dec = Decimal(value)
    elif isinstance(value, Decimal):
        dec = value
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            dec = Decimal(text)
        except InvalidOperation:
            raise InputErrors.one(field, AMOUNT_RULE, f"{AMOUNT_FIX}；收到 {_shown(value)}") from None
    elif isinstance(value, Money):
        return money_to_fen(value, field=field, allow_negative=allow_negative)
    else:
        raise InputErrors.one(field, AMOUNT_RULE, f"{AMOUNT_FIX}；收到的不是金额：{_shown(value)}")
    if not dec.is_finite():
        raise InputErrors.one(field, AMOUNT_RULE, f"{AMOUNT_FIX}；收到 {_shown(value)}")
    fen = dec * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise InputErrors.one(field, AMOUNT_RULE, f"{AMOUNT_FIX}；收到 {_shown(value)}（超过两位小数，即不足1分）")
    if fen < 0 and not allow_negative:
        raise InputErrors.one(field, "金额不为负数", f"{AMOUNT_FIX}；收到 {_shown(value)}")
    return int(fen)


def fen_to_money(fen: int) -> Money:
    return Money(Decimal(fen) / FEN_PER_YUAN, CURRENCY)


def money_to_fen(money: Money, *, field: str = "amount", allow_negative: bool = False) -> int:
    """A ``Money`` in CNY to integer fen; any other currency is refused."""
    code = str(money.currency.code)
    if code != CURRENCY:
        raise InputErrors.one(field, "金额只用人民币", f"币种须为人民币（CNY），收到 {code}")
    return parse_yuan(Decimal(money.amount), field=field, allow_negative=allow_negative)


def apply_rate(fen: int, rate: Decimal) -> int:
    """``fen × rate`` rounded half-up to the fen (解读 R-2: round to 0.01, half-up; a half away from zero).

    In integers where the ``Decimal`` product is exact (an amount below 10¹² fen, a rate of at most 12
    digits: the same figure, faster), else with ``Decimal`` as stated."""
    ratio = _exact_ratio(rate)
    if ratio is None or not -EXACT_FEN < fen < EXACT_FEN:
        return int((Decimal(fen) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    num, den = ratio
    product = fen * num  # the sign is the product's: a negative amount (a reversal) or a negative rate
    whole, rest = divmod(abs(product), den)
    if 2 * rest >= den:
        whole += 1
    return whole if product >= 0 else -whole


EXACT_FEN: Final = 10**12
"""Amounts below this many fen times a rate of at most 12 digits stay far inside ``Decimal``'s 28 digits."""


@lru_cache(maxsize=256)
def _exact_ratio(rate: Decimal) -> tuple[int, int] | None:
    """A rate as an exact fraction (numerator, positive denominator), if it has at most 12 digits."""
    if not rate.is_finite() or len(rate.as_tuple().digits) > 12:
        return None
    return rate.as_integer_ratio()


def floor_share(fen: int, share: Decimal) -> int:
    """``fen × share`` rounded down to the fen: the floor part of a split."""
    return int((Decimal(fen) * share).to_integral_value(rounding=ROUND_DOWN))


def split_fen(total: int, shares: list[tuple[str, Decimal]], remainder_party: str) -> list[tuple[str, int]]:
    """Split ``total`` fen by ``shares``; every party but ``remainder_party`` gets the floor of its
    share and ``remainder_party`` gets the rest, so the parts always sum to ``total``."""
    if sum((s for _, s in shares), Decimal(0)) != 1:
        raise ValueError(f"shares {shares} do not sum to 1")
    if remainder_party not in {p for p, _ in shares}:
        raise ValueError(f"remainder party {remainder_party} takes no share")
    parts = {p: floor_share(total, s) for p, s in shares if p != remainder_party}
    parts[remainder_party] = total - sum(parts.values())
    return [(p, parts[p]) for p, _ in shares]


def rate_percent(rate: Decimal) -> str:
    """``Decimal("0.30")`` → ``"30%"``."""
    return f"{format((rate * 100).normalize(), 'f')}%"
