"""Who pays (分担): split a payable amount among payers, exact to the fen (细则 第五章; 解读 R-17, R-18)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial

from calculators.formats import yuan_grouped
from calculators.money import rate_percent, split_fen
from calculators.results import Share, TraceStep
from calculators.rulesets.model import MEMO_LIMIT, Jurisdiction, Options, Payer, Resolved, RuleBook, RuleSet


@dataclass(frozen=True)
class SplitScheme:
    """A jurisdiction's split class under a rule set on a date (and options): the scheme, its shares, the
    remainder party and who each party is — resolved once, then applied to any amount.

    Attributes:
        jurisdiction: the jurisdiction (区/县/市/港区).
        scheme: the parameter ``payer_split.<split class>`` (the scheme's name).
        remainder: the parameter ``payer_split.remainder_party``.
        title: the scheme's title (``payer_split.scheme_titles``, else its name).
        shares: party → share of the scheme, in the scheme's order.
        ratios: party → the share as an exact fraction (numerator, denominator).
        payers: party → the payer (市财政, the jurisdiction's finance, 省财政).
        shown_as: party → the name its share is recorded under in the trace step's values (the payer's
            code and ``_fen``: shown in 元 under the payer's code).
    """

    jurisdiction: Jurisdiction
    scheme: Resolved
    remainder: Resolved
    title: str
    shares: Mapping[str, Decimal]
    ratios: Mapping[str, tuple[int, int]]
    payers: Mapping[str, Payer]
    shown_as: Mapping[str, str]

    @property
    def scheme_name(self) -> str:
        return str(self.scheme.value)

    @property
    def clause(self) -> str:
        return self.scheme.cite()

    def split(self, amount: int) -> list[tuple[str, int]]:
        """:func:`calculators.money.split_fen` of ``amount`` by the scheme, in integers: every party but the
        remainder party gets its share rounded toward zero (``floor_share``), the remainder party the rest."""
        rest = str(self.remainder.value)
        parts: dict[str, int] = {}
        for party, (num, den) in self.ratios.items():
            if party != rest:
                part = abs(amount) * num // den
                parts[party] = part if amount >= 0 else -part
        parts[rest] = amount - sum(parts.values())
        return [(p, parts[p]) for p in self.ratios]

    def note(self, shares: tuple[Share, ...]) -> str:
        """The trace's sentence: the scheme, each payer's share and who takes the odd fen."""
        j, remainder = self.jurisdiction, self.remainder
        text = "，".join(f"{s.payer_name}{rate_percent(self.shares[s.party])}：{yuan_grouped(s.amount)}元" for s in shares)
        return (f"{j.name}（{'市辖区' if j.split_class == 'district' else '县（市）/港区'}）分担方案为“{self.title}”：{text}；"
                f"拆分不尽的分由{'区县' if remainder.value == 'local' else self.payers[str(remainder.value)].name}承担"
                f"（{remainder.cite()}）")


def split_scheme(jurisdiction: str, rule_set: RuleSet, book: RuleBook, on: date, options: Options) -> SplitScheme:
    """The jurisdiction's :class:`SplitScheme` under ``rule_set`` on ``on``, memoised in the book by the span of
    dates ``on`` falls in (:meth:`RuleSet.span`: the scheme is read from the rule set's parameters alone)."""
    key = ("split", id(rule_set), jurisdiction, rule_set.span(on), options.key)
    found = book.memo.get(key)
    if found is not None and found[0] is rule_set:
        scheme: SplitScheme = found[1]
        return scheme
    scheme = _resolve_scheme(jurisdiction, rule_set, book, on, options)
    if len(book.memo) >= MEMO_LIMIT:
        book.memo.clear()
    book.memo[key] = (rule_set, scheme)  # the rule set kept: its id is not reused while the entry lives
    return scheme


def _resolve_scheme(jurisdiction: str, rule_set: RuleSet, book: RuleBook, on: date, options: Options) -> SplitScheme:
    j = book.jurisdictions[jurisdiction]
    scheme_p = rule_set.param(f"payer_split.{j.split_class}", on, options)
    schemes = rule_set.param("payer_split.schemes", on, options)
    remainder = rule_set.param("payer_split.remainder_party", on, options)
    shares_def: Mapping[str, Decimal] = schemes.value[scheme_p.value]
    split_fen(0, list(shares_def.items()), str(remainder.value))  # refuses a scheme not summing to 1, …
    titles = rule_set.param("payer_split.scheme_titles", on).value if rule_set.has("payer_split.scheme_titles") else {}
    by_level = {p.level: p for p in book.payers.values()}
    payer_of = {"local": book.payers[j.payer], "city": by_level["city"], "province": by_level["province"]}
    return SplitScheme(
        jurisdiction=j, scheme=scheme_p, remainder=remainder, title=titles.get(scheme_p.value, scheme_p.value),
        shares=dict(shares_def), ratios={party: Decimal(s).as_integer_ratio() for party, s in shares_def.items()},
        payers={party: payer_of[party] for party in shares_def},
        shown_as={party: f"{payer_of[party].code}_fen" for party in shares_def},
    )


def payer_shares(
    amount: int, *, jurisdiction: str, rule_set: RuleSet, book: RuleBook, on: date, options: Options
) -> tuple[tuple[Share, ...], TraceStep]:
    """Shares of ``amount`` for the jurisdiction's split class under ``rule_set``.

    Parties: ``city`` (市财政), ``province`` (省财政), ``local`` (the jurisdiction's own finance).
    All but the remainder party get the floor of their share; the remainder party gets the rest.
    """
    s = split_scheme(jurisdiction, rule_set, book, on, options)
    values: dict[str, object] = {"scheme": s.scheme_name}
    shares: list[Share] = []
    payers, shown_as = s.payers, s.shown_as
    for party, fen in s.split(amount):
        payer = payers[party]
        shares.append(Share(payer=payer.code, payer_name=payer.name, party=party, amount=fen))
        values[shown_as[party]] = fen
    done = tuple(shares)
    return done, TraceStep.recorded("split", s.clause, partial(s.note, done), values)
