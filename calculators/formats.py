"""How amounts and dates are written (金额、日期的写法): the one formatting module every layer uses.

Amounts are integer fen (分) everywhere inside; these pure functions (no I/O, no float) turn them
into text or exact ``Decimal`` numbers at the edge — the API's response models, the pages' templates,
the reports and the CLI:

* :func:`yuan` — ``"-1234.56"``: the decimal string the API and the scenarios carry (元, 2 decimals);
* :func:`yuan_grouped` — ``"1,234.56"``: 元 with thousands separators, as pages and documents show it;
* :func:`wan` — ``"123.456789"``: 万元, exact (as many decimals as the amount needs, up to six);
* :func:`wan_grouped` — ``"1,234.56"``: 万元 exact, grouped, at least 2 decimals;
* :func:`wan_fixed` — ``"74.4000"``: 万元 as forms and pages show it (公文写法): a fixed 4 decimals (or 2,
  the reading ``display.wan_decimals``), rounded half up; :func:`wan_rounded` says when that changed the
  figure, and :func:`wan_text` then puts the exact 元 beside it (``74.4000 万元（744,000.15 元）``);
* :func:`daxie` — ``"壹佰元零伍分"``: the amount in Chinese capital numerals (大写金额) that documents
  moving money carry (资金下达, payment vouchers, the claim page);
* :func:`yuan_decimal` / :func:`wan_decimal` — exact ``Decimal`` numbers for spreadsheet cells;
* :func:`date_text` — a date as pages, the API and the CLI show it today (``2026-12-03``);
* :func:`moment_text` — a moment as logs and machine-read output show it (``2026-03-02 08:15:30``);
* :func:`moment_cn` — a moment as pages show it (``2026年3月2日 08:15:30``);
* :func:`date_cn` — a date as pages and documents write it (``2026年3月4日``); inputs and the API stay ISO.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

FEN_PER_YUAN: Final = 100
FEN_PER_WAN: Final = 1_000_000  # 1 万元 = 10,000 元 = 1,000,000 分
WAN_DECIMALS: Final = 4
"""万元 on forms and pages: 4 decimals (to the yuan), the default reading of ``display.wan_decimals``."""
WAN_DECIMALS_CHOICES: Final = (4, 2)
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


def _wan_places(decimals: int) -> int:
    if decimals not in WAN_DECIMALS_CHOICES:
        raise ValueError(f"万元 is shown with {' or '.join(map(str, WAN_DECIMALS_CHOICES))} decimals, not {decimals}")
    return decimals


def wan_fixed_decimal(fen: int, decimals: int = WAN_DECIMALS) -> Decimal:
    """``74400015`` → ``Decimal('74.4000')``: 万元 with exactly ``decimals`` decimals, rounded half up (四舍五入,
    a half away from zero), as a number for a spreadsheet cell."""
    exp = Decimal(1).scaleb(-_wan_places(decimals))
    shown = Decimal(_fen(fen)).scaleb(-6).quantize(exp, rounding=ROUND_HALF_UP)
    return shown.copy_abs() if shown.is_zero() else shown  # never "-0.0000"


def wan_fixed(fen: int, decimals: int = WAN_DECIMALS) -> str:
    """``744000150`` → ``"744.0002"``; ``-1500000`` → ``"-1.5000"``: 万元 with thousands separators and exactly
    ``decimals`` decimals (4, or 2 under the other reading), rounded half up."""
    return f"{wan_fixed_decimal(fen, decimals):,.{_wan_places(decimals)}f}"


def wan_rounded(fen: int, decimals: int = WAN_DECIMALS) -> bool:
    """Whether :func:`wan_fixed` shows a figure other than the exact amount (then the exact 元 goes beside)."""
    return wan_fixed_decimal(fen, decimals) * FEN_PER_WAN != _fen(fen)


def wan_text(fen: int, decimals: int = WAN_DECIMALS, *, exact_beside: bool = True) -> str:
    """``74400015`` → ``"74.4000 万元（744,000.15 元）"``; ``58500000`` → ``"58.5000 万元"``: 万元 with its unit, and
    the exact 元 beside it wherever the rounding changed the figure (unless the caller shows 元 already)."""
    text = f"{wan_fixed(fen, decimals)} 万元"
    return f"{text}（{yuan_grouped(fen)} 元）" if exact_beside and wan_rounded(fen, decimals) else text


_DIGITS: Final = "零壹贰叁肆伍陆柒捌玖"
_PLACES: Final = ((1000, "仟"), (100, "佰"), (10, "拾"), (1, ""))
_GROUPS: Final = ((100_000_000, "亿"), (10_000, "万"))


def _below_wan(n: int) -> str:
    """1 ≤ n < 10000 in capitals: ``1010`` → ``壹仟零壹拾``; one 零 stands for any run of zeros inside."""
    out, gap = "", False
    for place, word in _PLACES:
        digit = n // place % 10
        if digit == 0:
            gap = gap or bool(out)
            continue
        out += ("零" if gap else "") + _DIGITS[digit] + word
        gap = False
    return out


def _whole_capital(n: int) -> str:
    """n ≥ 1 whole 元 in capitals, by 亿 and 万 groups: ``100010000`` → ``壹亿零壹万``."""
    for size, word in _GROUPS:
        if n >= size:
            high, low = divmod(n, size)
            rest = ("零" if low < size // 10 else "") + _whole_capital(low) if low else ""
            return _whole_capital(high) + word + rest
    return _below_wan(n)


def daxie(fen: int) -> str:
    """The amount in Chinese capital numerals (大写金额) as documents moving money write it:
    ``5`` → ``伍分``; ``10005`` → ``壹佰元零伍分``; ``32000000`` → ``叁拾贰万元整``; ``1000000001`` →
    ``壹仟万元零壹分``; ``150`` → ``壹元伍角整``; ``0`` → ``零元整``; a negative amount starts with ``负``.

    整 closes an amount without 分; a 零 stands between 元 and 分 when there are no 角 (壹佰元零伍分)."""
    fen = _fen(fen)
    sign = "负" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    jiao, fen_digit = divmod(cents, 10)
    text = f"{_whole_capital(whole)}元" if whole else ""
    if jiao:
        text += f"{_DIGITS[jiao]}角"
    if fen_digit:
        text += ("零" if text and not jiao else "") + f"{_DIGITS[fen_digit]}分"
    if not text:
        return "零元整"
    return sign + (text if fen_digit else text + "整")


def date_text(on: date) -> str:
    """A date as the API, inputs and machine-read output carry it: ISO ``2026-12-03`` (pages show :func:`date_cn`)."""
    return on.isoformat()


def moment_text(at: datetime, *, seconds: bool = True) -> str:
    """``2026-03-02 08:15:30`` (or ``2026-03-02 08:15`` without seconds): a moment as the pages show it,
    in the zone it carries."""
    return at.isoformat(sep=" ")[:19 if seconds else 16]


def date_cn(on: date) -> str:
    """``2026-03-04`` → ``2026年3月4日``: a date as pages and documents (附件3, 资金下达, 公示) write it."""
    return f"{on.year}年{on.month}月{on.day}日"


def moment_cn(at: datetime, *, seconds: bool = True) -> str:
    """``2026年3月2日 08:15:30`` (or ``2026年3月2日 08:15``): a moment as pages show it, in the zone it carries."""
    return f"{date_cn(at.date())} {at.strftime('%H:%M:%S' if seconds else '%H:%M')}"
