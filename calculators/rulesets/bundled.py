"""The rule sets shipped with the code, read once from this package's own data files.

This is the one place in :mod:`calculators` that reads bytes, and only the package's own data
(the way a module is imported); computations receive the parsed :class:`RuleBook`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from calculators.rulesets.loader import check_procedures, parse_jurisdictions, parse_rule_set
from calculators.rulesets.model import RuleBook, RuleSet

JURISDICTIONS_FILE = "jurisdictions.yaml"


def _texts() -> list[tuple[str, str]]:
    folder = resources.files("calculators.rulesets")
    return sorted(
        (f"calculators/rulesets/{p.name}", p.read_text(encoding="utf-8"))
        for p in folder.iterdir()
        if p.name.endswith(".yaml")
    )


@cache
def rulebook() -> RuleBook:
    """Every bundled rule set, the Jiaxing jurisdictions and their payers."""
    rule_sets: dict[str, RuleSet] = {}
    juris_text = ""
    for source, text in _texts():
        if source.endswith(JURISDICTIONS_FILE):
            juris_text = text
            continue
        rs = parse_rule_set(text, source)
        rule_sets[rs.id] = rs
    jurisdictions, payers = parse_jurisdictions(juris_text, f"calculators/rulesets/{JURISDICTIONS_FILE}")
    book = RuleBook(rule_sets=rule_sets, jurisdictions=jurisdictions, payers=payers)
    check_procedures(book)
    return book
