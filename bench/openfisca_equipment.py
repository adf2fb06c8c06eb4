"""The Jiaxing equipment subsidy (细则 第四章（一）and 第五章; docs/readings.md) written for OpenFisca.

The benchmark's peer: a minimal OpenFisca tax-benefit system with one entity, ``platform``, per-year
periods (the application year), parameters read from our own rule set (so both sides use the same
numbers) and formulas written independently of :mod:`calculators.programs.equipment`:

* the first eligible claim covers the audited investment of the three calendar years before the
  application year (``before-application-year`` reading of 近三年, 解读 R-7); a later claim the years
  its rule set's reading of ``equipment.later_claims`` (解读 R-8) reaches that no earlier claim took —
  ``window`` (the default): the unclaimed years of the same three-year window, so a platform that
  skipped a round loses the years before it; ``previous-year``: the year before the application year
  only; ``since-last-claim``: every year from the previous claim's application year on. The reading is
  an OpenFisca parameter (a string), so a what-if selects it through the same reform as a rate;
* gross = rate × that investment, rounded half-up to the fen;
* cumulative cap by the highest level held on the claim date (national if the national recognition
  is dated on or before it), entitled = min(gross, cap − entitled so far, floored at 0): a claim that
  crosses the cap is clipped to it, later ones pay 0, an upgrade raises the cap and what was already
  entitled counts towards it;
* a claim filed before any recognition is ineligible, pays 0 and consumes no year;
* split: the city's share is the floor of payable × its share (50% in districts, none in counties
  under ``local-100``), the jurisdiction's own finance takes the rest.

Exact to the fen — how. OpenFisca stores ``value_type = int`` as numpy int32 and ``value_type = float``
as **float32**, not float64: float32 holds integers exactly only up to 2**24 fen (167,772.16 yuan), and
int32 only up to 2**31 − 1 fen (21,474,836.47 yuan), while one year's investment in the population goes
up to ~36,000,000 yuan and a three-year window to over 100,000,000 yuan. So the money variables here
declare ``value_type = int`` and widen their storage dtype to numpy **int64** after OpenFisca builds them
(:class:`_Int64`); OpenFisca casts every input and formula result to the variable's dtype, so every fen
amount is an exact int64 from input to output, with no float anywhere in the money path. Rates and
shares come from the parameters as Python floats (OpenFisca's parameter type); they are turned into
exact integers of millionths (``0.30`` → 300000) and the builder refuses any rate that is not a whole
number of millionths. Rounding is then integer arithmetic on int64:
half-up ``(2·base·p + q) // (2·q)`` and floor ``payable·s // q`` with ``q = 10**6``, each computed as
``(x // q)·p + (x % q)·p / q`` so that no intermediate exceeds ~2·10**12 beyond ``x`` itself. Caps are
parameters in yuan (OpenFisca's convention for currency) and become fen by ``round(yuan × 100)``, exact
for any amount with at most two decimals below 2**53 / 100.

Parameter values are read at the last day of the application year. The rule set's values begin on
2026-01-11 and do not change afterwards; every claim of the benchmark population is dated on or after
2026-01-11, so the value at the end of the year is the value in force on the claim date (the builder
refuses a rule set whose values change after the first one). What-ifs (e.g. rate 25%, or
``equipment.later_claims = since-last-claim``) are OpenFisca reforms (:func:`what_if_reform`) built from
the same ``what_if`` mapping our engine takes, each value resolved as our engine resolves it
(:meth:`RuleSet.param` over :class:`Options`: ``rule-set:name`` before ``name``).

Readings. The peer encodes the readings in :data:`ENCODED_READINGS` and nothing else: the builder and the
reform refuse any other value, and refuse a rule set with a reading of the equipment subsidy or the
payer split (``equipment.*``, ``payer_split.*``) that the peer does not list at all — a reading added to
the rule set later must fail loudly here, not be computed under the peer's old assumption (which is
how ``equipment.later_claims``, added after the peer was written, once went unnoticed).

Years are requested in increasing order, so each year's cumulative figures read the previous year's
from OpenFisca's cache; ``max_spiral_loops`` is raised anyway so that a recursion over the years never
hits OpenFisca's "quasicircular definition" guard, which would silently return zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.indexed_enums import Enum
from openfisca_core.parameters import ParameterNode
from openfisca_core.periods import DateUnit, period
from openfisca_core.reforms import Reform
from openfisca_core.simulations import Simulation, SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

from bench.population import CLAIM_YEARS, INVESTMENT_YEARS, NO_RECORD, Population
from calculators.rulesets.loader import convert
from calculators.rulesets.model import Options, RuleBook, RuleSet

RULE_SET = "jiaxing-rules-2026"
Q = 1_000_000  # rates and shares in millionths
# The readings (解读, docs/readings.md) the peer encodes, by parameter: any other value is refused.
ENCODED_READINGS: dict[str, tuple[str, ...]] = {
    "equipment.window": ("before-application-year",),
    "equipment.later_claims": ("window", "previous-year", "since-last-claim"),
    "equipment.record_scope": ("all-recognised-in-jiaxing",),
    "equipment.vat": ("net-of-vat",),
    "payer_split.county": ("local-100",),
}
# Parameters that are not readings but that the peer encodes at one value only.
FIXED_VALUES: dict[str, Any] = {"payer_split.remainder_party": "local", "equipment.claims_per_year": 1}
# Every reading of these families must be in ENCODED_READINGS, or the builder refuses the rule set.
READING_SCOPE = ("equipment.", "payer_split.")
# What-ifs the reform applies (any other is refused).
WHAT_IF_PARAMETERS = ("equipment.rate", "equipment.cap.national", "equipment.cap.provincial",
                      "equipment.later_claims")
FAR_FUTURE = np.datetime64("9999-12-31", "D")

Platform = build_entity(
    key="platform",
    plural="platforms",
    label="中试平台 (pilot platform)",
    doc="One R&D pilot platform of Jiaxing.",
    is_person=True,
)


class SplitClass(Enum):
    district = "市辖区（含经开区）：市区两级财政各承担50%"
    county = "县（市）、嘉兴港区：参照执行"


class _Int64:
    """Mixin: an ``int`` variable stored as numpy int64 (OpenFisca's own int is int32)."""

    def __init__(self, baseline_variable: Any = None) -> None:
        super().__init__(baseline_variable)  # type: ignore[call-arg]
        self.dtype = np.int64


def _year(p: Any) -> int:
    return int(p.start.year)


def _ppm(x: float, what: str) -> int:
    m = round(float(x) * Q)
    if abs(m / Q - float(x)) > 1e-12:
        raise ValueError(f"{what} {x} is not a whole number of millionths")
    return m


def _params(parameters: Any, p: Any) -> Any:
    return parameters(p.stop)


def _later_claims_reach(reading: str, n: int) -> int:
    """How many years before the application year a later claim may reach (解读 R-8,
    ``equipment.later_claims``); the years an earlier claim took are excluded by the caller."""
    if reading == "window":
        return n
    if reading == "previous-year":
        return 1
    if reading == "since-last-claim":
        return 10_000  # every year since the last claim
    raise NotImplementedError(f"the OpenFisca peer does not encode equipment.later_claims = {reading!r}")


# ------------------------------------------------------------------ inputs

class split_class(Variable):
    value_type = Enum
    possible_values = SplitClass
    default_value = SplitClass.county
    entity = Platform
    definition_period = DateUnit.ETERNITY
    label = "分担类别：市辖区 50/50，县（市）参照执行"


class provincial_since(Variable):
    value_type = date
    entity = Platform
    definition_period = DateUnit.ETERNITY
    label = "入围省级中试平台日期 (9999-12-31 = never)"


class national_since(Variable):
    value_type = date
    entity = Platform
    definition_period = DateUnit.ETERNITY
    label = "入围国家级中试平台日期 (9999-12-31 = never)"


class equipment_investment(_Int64, Variable):
    value_type = int
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "审计确认的当年设备投入（不含税），分"


class claim_filed(Variable):
    value_type = bool
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "当年提出设备补助申请"


class claim_date(Variable):
    value_type = date
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "申报日期"


# ------------------------------------------------------------------ formulas

class national_on_claim_date(Variable):
    value_type = bool
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "申报日已入围国家级"

    def formula(platform, p, parameters):  # type: ignore[no-untyped-def]
        return platform("national_since", p) <= platform("claim_date", p)


class equipment_eligible(Variable):
    value_type = bool
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "申请成立：已提出申请且申报日已入围省级或国家级"

    def formula(platform, p, parameters):  # type: ignore[no-untyped-def]
        on = platform("claim_date", p)
        recognised = (platform("provincial_since", p) <= on) | platform("national_on_claim_date", p)
        return platform("claim_filed", p) & recognised


class equipment_last_claim_year(Variable):
    value_type = int
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "此前最近一次成立申请的申报年度（0 = 无）"

    def formula(platform, p, parameters):  # type: ignore[no-untyped-def]
        y = _year(p)
        if y <= CLAIM_YEARS[0]:
            return np.zeros(platform.count, dtype=np.int32)
        last = p.last_year
        return np.where(platform("equipment_eligible", last), y - 1, platform("equipment_last_claim_year", last))


class equipment_base(_Int64, Variable):
    value_type = int
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "本次申请计入的设备投入合计，分"

    def formula(platform, p, parameters):  # type: ignore[no-untyped-def]
        y = _year(p)
        equipment = _params(parameters, p).equipment
        n = int(equipment.window_years)
        last = platform("equipment_last_claim_year", p)
        # first claim: the n years before the application year; a later one: from the last claim's year
        # on (the years before it are taken), no further back than the reading reaches
        start = np.where(last > 0, np.maximum(last, y - _later_claims_reach(str(equipment.later_claims), n)), y - n)
        total = np.zeros(start.shape, dtype=np.int64)
        for t in range(min(int(start.min()), y - n), y):
            total += np.where(start <= t, platform("equipment_investment", period(str(t))), 0)
        return np.where(platform("equipment_eligible", p), total, 0)


class equipment_gross(_Int64, Variable):
    value_type = int
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "设备投入 × 比例，四舍五入到分"

    def formula(platform, p, parameters):  # type: ignore[no-untyped-def]
        rate = _ppm(_params(parameters, p).equipment.rate, "equipment.rate")
        base = platform("equipment_base", p)
        whole, part = np.divmod(base, Q)
        return whole * rate + (2 * part * rate + Q) // (2 * Q)


class equipment_cap(_Int64, Variable):
    value_type = int
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "按申报日所获最高级别的累计上限，分"

    def formula(platform, p, parameters):  # type: ignore[no-untyped-def]
        cap = _params(parameters, p).equipment.cap
        national, provincial = round(float(cap.national) * 100), round(float(cap.provincial) * 100)
        return np.where(platform("national_on_claim_date", p), national, provincial).astype(np.int64)


class equipment_entitled_before(_Int64, Variable):
    value_type = int
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "此前各年度累计应得，分"

    def formula(platform, p, parameters):  # type: ignore[no-untyped-def]
        if _year(p) <= CLAIM_YEARS[0]:
            return np.zeros(platform.count, dtype=np.int64)
        last = p.last_year
        return platform("equipment_entitled_before", last) + platform("equipment_entitled", last)


class equipment_entitled(_Int64, Variable):
    value_type = int
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "本次应得：不超过累计上限的剩余额度，分"

    def formula(platform, p, parameters):  # type: ignore[no-untyped-def]
        headroom = np.maximum(platform("equipment_cap", p) - platform("equipment_entitled_before", p), 0)
        return np.where(platform("equipment_eligible", p), np.minimum(platform("equipment_gross", p), headroom), 0)


class equipment_payable(_Int64, Variable):
    value_type = int
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "本次应付，分（本基准人群无其他政策、无排除：等于应得）"

    def formula(platform, p, parameters):  # type: ignore[no-untyped-def]
        return platform("equipment_entitled", p)


class city_pays(Variable):
    value_type = bool
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "市财政分担（分担方案含市级）"

    def formula(platform, p, parameters):  # type: ignore[no-untyped-def]
        shares = _params(parameters, p).payer_split.city_share[platform("split_class", p)]
        return shares > 0


class city_share(_Int64, Variable):
    value_type = int
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "市财政分担，分：应付 × 市级比例，向下取整"

    def formula(platform, p, parameters):  # type: ignore[no-untyped-def]
        shares = _params(parameters, p).payer_split.city_share[platform("split_class", p)]
        ppm = np.rint(np.asarray(shares, dtype=np.float64) * Q).astype(np.int64)
        whole, part = np.divmod(platform("equipment_payable", p), Q)
        return whole * ppm + (part * ppm) // Q


class local_share(_Int64, Variable):
    value_type = int
    entity = Platform
    definition_period = DateUnit.YEAR
    label = "属地（区、县（市）、港区）财政分担，分：应付减市级分担"

    def formula(platform, p, parameters):  # type: ignore[no-untyped-def]
        return platform("equipment_payable", p) - platform("city_share", p)


VARIABLES = (
    split_class, provincial_since, national_since, equipment_investment, claim_filed, claim_date,
    national_on_claim_date, equipment_eligible, equipment_last_claim_year, equipment_base, equipment_gross,
    equipment_cap, equipment_entitled_before, equipment_entitled, equipment_payable, city_pays, city_share,
    local_share,
)
OUTPUTS = ("equipment_eligible", "equipment_base", "equipment_gross", "equipment_entitled", "equipment_payable",
           "city_pays", "city_share", "local_share")


# ------------------------------------------------------------------ parameters from our rule set

def _single(rs: RuleSet, name: str) -> tuple[date, Any, str]:
    p = rs.parameters[name]
    if len(p.values) != 1 or p.values[0].end is not None:
        raise NotImplementedError(f"{rs.id}:{name} changes over time; the OpenFisca peer reads one value a year")
    dv = p.values[0]
    return dv.start, dv.value, dv.clause


def _leaf(start: date, value: float | int, clause: str, unit: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"reference": clause}
    if unit:
        meta["unit"] = unit
    return {"values": {start.isoformat(): {"value": value}}, "metadata": meta}


def check_readings(rs: RuleSet) -> None:
    """Refuse a rule set the peer does not encode: a reading of the equipment subsidy or the split that
    :data:`ENCODED_READINGS` does not list, a value of an encoded reading outside it, or a fixed value
    (:data:`FIXED_VALUES`) other than the peer's."""
    unknown = sorted(name for name, p in rs.parameters.items()
                     if p.reading is not None and name.startswith(READING_SCOPE) and name not in ENCODED_READINGS)
    if unknown:
        raise NotImplementedError(f"{rs.id} has readings the OpenFisca peer does not encode: {', '.join(unknown)}")
    for name in ENCODED_READINGS:
        _encoded(name, _single(rs, name)[1])
    for name, expected in FIXED_VALUES.items():
        if _single(rs, name)[1] != expected:
            raise NotImplementedError(f"the OpenFisca peer encodes {name} = {expected!r} only")


def _encoded(name: str, value: Any) -> None:
    if value not in ENCODED_READINGS[name]:
        raise NotImplementedError(f"the OpenFisca peer encodes {name} = "
                                  f"{' | '.join(ENCODED_READINGS[name])} only, not {value!r}")


def parameters_from_rule_set(book: RuleBook, rule_set: str = RULE_SET) -> dict[str, Any]:
    """The OpenFisca parameter tree (as data) of the rule set's equipment subsidy and payer split."""
    rs = book.rule_sets[rule_set]
    check_readings(rs)
    start, rate, rate_clause = _single(rs, "equipment.rate")
    _ppm(float(rate), "equipment.rate")
    if Decimal(rate) * Q != int(Decimal(rate) * Q):
        raise ValueError(f"equipment.rate {rate} is not a whole number of millionths")
    _, years, years_clause = _single(rs, "equipment.window_years")
    later_start, later, later_clause = _single(rs, "equipment.later_claims")
    caps = {level: _single(rs, f"equipment.cap.{level}") for level in ("national", "provincial")}
    _, schemes, schemes_clause = _single(rs, "payer_split.schemes")
    city_share: dict[str, Any] = {}
    for cls in ("district", "county"):
        s_start, scheme, clause = _single(rs, f"payer_split.{cls}")
        city_share[cls] = _leaf(s_start, float(schemes[scheme].get("city", Decimal(0))), f"{clause}; {schemes_clause}")
    return {
        "equipment": {
            "rate": _leaf(start, float(rate), rate_clause, "/1"),
            "window_years": _leaf(start, int(years), years_clause, "year"),
            "later_claims": _leaf(later_start, str(later), later_clause),
            "cap": {level: _leaf(c[0], c[1] / 100, c[2], "currency-CNY") for level, c in caps.items()},
        },
        "payer_split": {"city_share": city_share},
    }


def tax_benefit_system(book: RuleBook, rule_set: str = RULE_SET) -> TaxBenefitSystem:
    tbs = TaxBenefitSystem([Platform])
    tbs.parameters = ParameterNode("", data=parameters_from_rule_set(book, rule_set))
    tbs.add_variables(*VARIABLES)
    return tbs


def what_if_reform(tbs: TaxBenefitSystem, what_if: dict[str, str], book: RuleBook,
                   rule_set: str = RULE_SET) -> TaxBenefitSystem:
    """An OpenFisca reform setting ``equipment.rate``, ``equipment.cap.{level}`` and the reading
    ``equipment.later_claims`` as our what-if does: each key (``name`` or ``rule-set:name``) converted by the
    rule set's own converter and resolved by :meth:`RuleSet.param`, so a ``rule-set:name`` key wins over
    ``name`` and a key for another rule set changes nothing here, exactly as in our engine."""
    rs = book.rule_sets[rule_set]
    overrides: dict[str, Any] = {}
    for key, raw in what_if.items():
        name = key.rpartition(":")[2]
        if name not in WHAT_IF_PARAMETERS:
            raise NotImplementedError(f"the OpenFisca peer has no what-if for {key}")
        overrides[key] = convert(rs.parameters[name].kind, raw, "what_if", key, rs.parameters[name].item)
    options = Options(overrides=overrides)
    changes: list[tuple[str, Any, date]] = []
    for name in WHAT_IF_PARAMETERS:
        start = rs.parameters[name].values[0].start
        resolved = rs.param(name, start, options)
        if not resolved.overridden:
            continue
        if name == "equipment.rate":
            _ppm(float(resolved.value), name)
            changes.append((name, float(resolved.value), start))
        elif name == "equipment.later_claims":
            _encoded(name, resolved.value)
            changes.append((name, str(resolved.value), start))
        else:  # a cap: the converter gives fen, the parameter is in yuan
            changes.append((name, int(resolved.value) / 100, start))

    def modify(parameters: ParameterNode) -> ParameterNode:
        for name, value, start in changes:
            node: Any = parameters
            for part in name.split("."):
                node = node.children[part]
            node.update(start=period(f"day:{start.isoformat()}").start, value=value)
        return parameters

    class WhatIf(Reform):  # type: ignore[misc]
        name = "what-if: " + ", ".join(f"{k}={v}" for k, v in what_if.items())

        def apply(self) -> None:
            self.modify_parameters(modifier_function=modify)

    return WhatIf(tbs)


# ------------------------------------------------------------------ running it on a population

@dataclass
class Outputs:
    """Per-claim results in the population's flat claim order (platform, then year)."""

    eligible: np.ndarray
    base: np.ndarray
    gross: np.ndarray
    entitled: np.ndarray
    payable: np.ndarray
    city: np.ndarray  # -1 where the city takes no share (or the claim is ineligible)
    local: np.ndarray  # -1 where the claim is ineligible


def build_simulation(tbs: TaxBenefitSystem, pop: Population, book: RuleBook) -> Simulation:
    """A simulation of ``pop.n`` platforms with every input set."""
    sim = SimulationBuilder().build_default_simulation(tbs, pop.n)
    sim.max_spiral_loops = 4 * len(CLAIM_YEARS)
    district = np.array([book.jurisdictions[c].split_class == "district" for c in pop.codes])
    classes = np.where(district[pop.jurisdiction], SplitClass.district.index, SplitClass.county.index)
    sim.set_input("split_class", "eternity", SplitClass.encode(classes.astype(np.int16)))
    sim.set_input("provincial_since", "eternity", pop.provincial)
    sim.set_input("national_since", "eternity", np.where(np.isnat(pop.national), FAR_FUTURE, pop.national))
    for k, y in enumerate(INVESTMENT_YEARS):
        sim.set_input("equipment_investment", str(y), np.where(pop.investment[:, k] == NO_RECORD, 0,
                                                                 pop.investment[:, k]))
    filed = pop.filed
    for k, y in enumerate(CLAIM_YEARS):
        sim.set_input("claim_filed", str(y), filed[:, k])
        sim.set_input("claim_date", str(y), np.where(filed[:, k], pop.claim_date[:, k],
                                                     np.datetime64("1970-01-01", "D")))
    return sim


def compute(sim: Simulation) -> dict[str, list[np.ndarray]]:
    """Every output for every claim year, years in increasing order."""
    out: dict[str, list[np.ndarray]] = {v: [] for v in OUTPUTS}
    for y in CLAIM_YEARS:
        for v in OUTPUTS:
            out[v].append(sim.calculate(v, str(y)))
    return out


def flatten(pop: Population, raw: dict[str, list[np.ndarray]]) -> Outputs:
    rows, cols = pop.claim_index()

    def col(v: str) -> np.ndarray:
        return np.stack(raw[v], axis=1)[rows, cols]

    eligible = col("equipment_eligible").astype(bool)
    return Outputs(
        eligible=eligible,
        base=col("equipment_base").astype(np.int64),
        gross=col("equipment_gross").astype(np.int64),
        entitled=col("equipment_entitled").astype(np.int64),
        payable=col("equipment_payable").astype(np.int64),
        city=np.where(eligible & col("city_pays").astype(bool), col("city_share"), -1).astype(np.int64),
        local=np.where(eligible, col("local_share"), -1).astype(np.int64),
    )
