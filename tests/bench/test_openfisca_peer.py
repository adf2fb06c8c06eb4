"""The OpenFisca peer encodes the rule set's reading of later equipment claims (解读 R-8) and refuses the
readings it does not encode."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

pytest.importorskip("openfisca_core", reason="openfisca-core is the benchmark-only extra `bench`")
import numpy as np

from bench import openfisca_equipment as ofe
from bench import rules as bench_rules
from bench.population import CLAIM_YEARS, generate
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import DatedValue, Parameter, Reading, RuleBook

READINGS = ("window", "previous-year", "since-last-claim")


def _book_with(**changes: Parameter) -> RuleBook:
    """The bundled rule book with parameters of ``jiaxing-rules-2026`` replaced or added."""
    book = rulebook()
    rs = book.rule_sets[ofe.RULE_SET]
    rs = dataclasses.replace(rs, parameters={**rs.parameters, **{p.name: p for p in changes.values()}})
    return dataclasses.replace(book, rule_sets={**book.rule_sets, rs.id: rs})


def _with_default(name: str, value: Any) -> Parameter:
    p = rulebook().rule_sets[ofe.RULE_SET].parameters[name]
    return dataclasses.replace(p, values=(dataclasses.replace(p.values[0], value=value),))


def _later_claims_at(tbs: Any) -> str:
    return str(tbs.parameters("2030-12-31").equipment.later_claims)


def test_p000143_skipped_round_follows_the_reading() -> None:
    """P000143 (20,000 platforms) claims in 2026 and 2030: ``window`` covers 2027–2029 (gross 2,962,383.70),
    ``since-last-claim`` 2026–2029 (3,311,496.42); the peer now equals our engine under both."""
    sub = generate(20_000, bench_rules.DEFAULT_SEED).rows(143, 144)
    assert [y for y, d in zip(CLAIM_YEARS, sub.claim_date[0], strict=True) if not np.isnat(d)] == [2026, 2030]
    for what_if, gross_2030 in ((None, 296_238_370), ({"equipment.later_claims": "since-last-claim"}, 331_149_642)):
        _, ours = bench_rules.run_ours(sub, what_if)
        _, peer = bench_rules.run_openfisca(sub, what_if)
        assert bench_rules.compare(sub, ours, peer, 5) == (0, [])
        assert int(peer.gross[1]) == gross_2030


@pytest.mark.parametrize("reading", READINGS)
def test_every_later_claims_reading_equals_our_engine(reading: str) -> None:
    pop = generate(300, seed=7)
    assert pop.summary()["gaps_in_claim_years"] > 0  # skipped rounds, where the readings differ
    what_if = {"equipment.later_claims": reading, "equipment.rate": "0.25"}
    _, ours = bench_rules.run_ours(pop, what_if)
    _, peer = bench_rules.run_openfisca(pop, what_if)
    n_bad, first = bench_rules.compare(pop, ours, peer, 5)
    assert n_bad == 0, first


def test_the_rule_sets_default_reading_is_the_peers() -> None:
    assert _later_claims_at(ofe.tax_benefit_system(rulebook())) == "window"
    book = _book_with(later=_with_default("equipment.later_claims", "since-last-claim"))
    assert _later_claims_at(ofe.tax_benefit_system(book)) == "since-last-claim"


def test_the_what_if_resolves_as_our_engine_does() -> None:
    book = rulebook()
    tbs = ofe.tax_benefit_system(book)
    # ``rule-set:name`` wins over ``name``; another rule set's key changes nothing here
    both = {"equipment.later_claims": "previous-year", f"{ofe.RULE_SET}:equipment.later_claims": "since-last-claim"}
    assert _later_claims_at(ofe.what_if_reform(tbs, both, book)) == "since-last-claim"
    other = {"jiaxing-plan-2025:equipment.later_claims": "since-last-claim"}
    assert _later_claims_at(ofe.what_if_reform(tbs, other, book)) == "window"


def test_the_peer_refuses_readings_it_does_not_encode() -> None:
    book = rulebook()
    tbs = ofe.tax_benefit_system(book)
    with pytest.raises(NotImplementedError, match=re.escape("equipment.later_claims = window | previous-year | since-last-claim only")):
        ofe.what_if_reform(tbs, {"equipment.later_claims": "every-year-ever"}, book)
    with pytest.raises(NotImplementedError, match=re.escape("no what-if for equipment.vat")):
        ofe.what_if_reform(tbs, {"equipment.vat": "with-vat"}, book)
    with pytest.raises(NotImplementedError, match=re.escape("equipment.window = before-application-year only")):
        ofe.tax_benefit_system(_book_with(w=_with_default("equipment.window", "ending-with-application-year")))
    # a reading added to the rule set after the peer was written is refused, not computed the old way
    new = Parameter("equipment.later_claims_v2", "enum", "a reading the peer has never seen",
                    (DatedValue(book.rule_sets[ofe.RULE_SET].in_force_from, None, "a", "解读 R-99"),),
                    reading=Reading("a", {"a": "one", "b": "another"}))
    with pytest.raises(NotImplementedError, match=re.escape("does not encode: equipment.later_claims_v2")):
        ofe.tax_benefit_system(_book_with(new=new))
