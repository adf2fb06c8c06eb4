"""A small evaluator for the arithmetic formulas the reports write (SUMIFS, SUM, cell references, + − /),
exact with ``Fraction``, so the tests check in Python what an auditor's spreadsheet computes."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

from openpyxl.utils.cell import range_boundaries

SUMIFS = re.compile(r"SUMIFS\(([^()]*)\)")
SUM = re.compile(r"SUM\(([^()]*)\)")
REF = re.compile(r"(?:'((?:[^']|'')+)'!)?\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?")


def num(v: Any) -> Fraction:
    """A cell value as an exact number (floats via their shortest repr, which is what was written)."""
    if v is None or v == "":
        return Fraction(0)
    if isinstance(v, float):
        return Fraction(Decimal(repr(v)))
    if isinstance(v, (int, Decimal, Fraction)):
        return Fraction(v)
    raise TypeError(f"not a number: {v!r}")


def lit(x: Fraction) -> str:
    return f"Fraction({x.numerator},{x.denominator})"


class Book:
    def __init__(self, wb: Any) -> None:
        self.wb = wb

    def values(self, here: str, ref: str) -> list[Any]:
        m = REF.fullmatch(ref.strip())
        assert m, ref
        sheet = (m.group(1) or here).replace("''", "'")
        area = f"{m.group(2)}{m.group(3)}" + (f":{m.group(4)}{m.group(5)}" if m.group(4) else "")
        min_col, min_row, max_col, max_row = range_boundaries(area)
        ws = self.wb[sheet]
        return [self.value(sheet, ws.cell(row=r, column=c).coordinate)
                for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]

    def value(self, sheet: str, coord: str) -> Any:
        v = self.wb[sheet][coord].value
        return self.eval(sheet, v[1:]) if isinstance(v, str) and v.startswith("=") else v

    @staticmethod
    def split(args: str) -> list[str]:
        out, cur, quoted = [], "", False
        for ch in args:
            if ch in "'\"":
                quoted = not quoted
            if ch == "," and not quoted:
                out.append(cur)
                cur = ""
            else:
                cur += ch
        return [*out, cur]

    @staticmethod
    def matches(value: Any, crit: Any) -> bool:
        if isinstance(crit, str) and crit[:1] in "<>":
            if not isinstance(value, (int, float, Decimal)):
                return False
            return num(value) > Fraction(crit[1:]) if crit[0] == ">" else num(value) < Fraction(crit[1:])
        if isinstance(crit, (int, float, Decimal)):
            return isinstance(value, (int, float, Decimal)) and num(value) == num(crit)
        return value == crit

    def sumifs(self, here: str, args: str) -> Fraction:
        parts = self.split(args)
        values = self.values(here, parts[0])
        keep = [True] * len(values)
        for rng, crit in zip(parts[1::2], parts[2::2], strict=True):
            crit = crit.strip()
            c: Any
            if crit.startswith('"'):
                c = crit.strip('"')
            elif re.fullmatch(r"-?\d+", crit):
                c = int(crit)
            else:
                c = self.values(here, crit)[0]
            cells = self.values(here, rng)
            assert len(cells) == len(values), "SUMIFS ranges of different sizes"
            keep = [k and self.matches(v, c) for k, v in zip(keep, cells, strict=True)]
        return sum((num(v) for v, k in zip(values, keep, strict=True) if k), Fraction(0))

    def eval(self, here: str, formula: str) -> Fraction:
        f = formula
        while (m := SUMIFS.search(f)) is not None:
            f = f[:m.start()] + lit(self.sumifs(here, m.group(1))) + f[m.end():]
        while (m := SUM.search(f)) is not None:
            total = sum((num(v) for v in self.values(here, m.group(1))), Fraction(0))
            f = f[:m.start()] + lit(total) + f[m.end():]
        f = REF.sub(lambda m: lit(num(self.values(here, m.group(0))[0])), f)
        assert re.fullmatch(r"(?:Fraction\(-?\d+,\d+\)|[\d\s()+\-/])*", f), f"unsupported formula: {formula}"
        return Fraction(eval(f, {"Fraction": Fraction, "__builtins__": {}}))
