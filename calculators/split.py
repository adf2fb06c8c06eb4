"""Who pays (分担): split a payable amount among payers, exact to the fen (细则 第五章; 解读 R-17, R-18)."""

from __future__ import annotations

from datetime import date

from calculators.formats import yuan_grouped
from calculators.money import fen_to_yuan, rate_percent, split_fen
from calculators.results import Share, TraceStep
from calculators.rulesets.model import Options, RuleBook, RuleSet


def payer_shares(
    amount: int, *, jurisdiction: str, rule_set: RuleSet, book: RuleBook, on: date, options: Options
) -> tuple[tuple[Share, ...], TraceStep]:
    """Shares of ``amount`` for the jurisdiction's split class under ``rule_set``.

    Parties: ``city`` (市财政), ``province`` (省财政), ``local`` (the jurisdiction's own finance).
    All but the remainder party get the floor of their share; the remainder party gets the rest.
    """
    j = book.jurisdictions[jurisdiction]
    scheme_p = rule_set.param(f"payer_split.{j.split_class}", on, options)
    schemes = rule_set.param("payer_split.schemes", on, options)
    remainder = rule_set.param("payer_split.remainder_party", on, options)
    shares_def = schemes.value[scheme_p.value]
    titles = rule_set.param("payer_split.scheme_titles", on).value if rule_set.has("payer_split.scheme_titles") else {}
    scheme_name = titles.get(scheme_p.value, scheme_p.value)
    by_level = {p.level: p for p in book.payers.values()}
    payer_of = {"local": book.payers[j.payer], "city": by_level["city"], "province": by_level["province"]}
    parts = split_fen(amount, list(shares_def.items()), str(remainder.value))
    shares = tuple(
        Share(payer=payer_of[party].code, payer_name=payer_of[party].name, party=party, amount=fen)
        for party, fen in parts
    )
    text = "，".join(f"{s.payer_name}{rate_percent(shares_def[s.party])}：{yuan_grouped(s.amount)}元" for s in shares)
    step = TraceStep(
        "split", scheme_p.cite(),
        f"{j.name}（{'市辖区' if j.split_class == 'district' else '县（市）/港区'}）分担方案为“{scheme_name}”：{text}；"
        f"拆分不尽的分由{'区县' if remainder.value == 'local' else remainder.value}承担（{remainder.cite()}）",
        {"scheme": str(scheme_p.value), **{s.payer: fen_to_yuan(s.amount) for s in shares}},
    )
    return shares, step
