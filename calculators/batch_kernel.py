"""The batch engine's vectorised programs: the equipment subsidy and the one-time award of 细则, with
the institution exclusion, the higher-of offset and the payer split, over int64 fen arrays.

The per-claim engine's steps (:mod:`calculators.engine`) are followed in the same order, one *claim
slot* at a time: slot ``k`` holds every platform's ``k``-th claim (in the per-claim engine's order), so
a platform's running totals (累计) move exactly as the per-claim engine's :class:`PlatformState` does,
for all platforms at once. What is not vectorised here is named by a fallback reason and left to the
per-claim engine (:mod:`calculators.batch`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from calculators.batch_columns import (
    AWARD,
    CAP_LEVELS,
    EQUIPMENT,
    NO_CAP,
    NO_RECORD,
    NO_SHARE,
    PARTIES,
    PlatformColumns,
    empty_rows,
)
from calculators.errors import InputErrors
from calculators.results import STATUSES
from calculators.rulesets.model import Options, RuleBook, RuleSet

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
INT64_MAX = 2**63 - 1
DECIMAL_DIGITS = 10**28  # the default Decimal context's precision: products below it are exact
S = {s: STATUSES.index(s) for s in STATUSES}


@dataclass(frozen=True)
class KernelOutput:
    """Rows of the vectorised platforms (:func:`~calculators.batch_columns.empty_rows` fields, in platform
    order) and each platform's fallback reason (``""``: vectorised)."""

    rows: dict[str, Any]
    fallback_reason: npt.NDArray[np.object_]


@dataclass(frozen=True)
class Ratio:
    """A rate or share ``p/q`` in lowest terms, and the Decimal's own coefficient (for the exactness bound)."""

    p: int
    q: int
    coefficient: int

    @staticmethod
    def of(d: Decimal) -> Ratio:
        p, q = d.as_integer_ratio()
        return Ratio(p, q, int("".join(map(str, d.as_tuple().digits))) or 1)

    def bound(self, twice: bool) -> int:
        """The largest amount ``x`` for which ``x·p`` (``2x·p + q`` when ``twice``) stays in int64 and
        ``x × Decimal`` stays exact in the Decimal context."""
        in_int64 = (INT64_MAX - self.q) // (2 * self.p) if twice and self.p else INT64_MAX // max(self.p, 1)
        return min(in_int64, (DECIMAL_DIGITS - 1) // self.coefficient)


@dataclass(frozen=True)
class Split:
    """One split class's scheme: each party's share and the remainder party (拆分不尽的分)."""

    shares: tuple[tuple[str, Ratio], ...]
    remainder: str


@dataclass(frozen=True)
class Params:
    """The governing rule set's parameters the kernel reads, resolved with the options (readings, what-ifs)."""

    rate: Ratio
    window_years: int
    window_ends_before: bool  # equipment.window = before-application-year
    later_claims: str
    levels: frozenset[str]
    caps: dict[str, int]
    with_vat: bool
    award_amount: int
    award_times: int
    auto_levels: frozenset[str]
    group: tuple[str, ...]  # the higher-of group (就高不重复), empty when the rule set has none
    excluded_types: frozenset[str]  # institution exclusion (细则 第五章), empty when none
    splits: dict[str, Split]  # split class → scheme


# ------------------------------------------------------------------ parameters and fallbacks


def _governing(book: RuleBook, options: Options) -> RuleSet | str:
    """The one rule set that defines both vectorised programs, or why there is none to vectorise."""
    if options.rule_set is not None:
        return "a forced rule set (假设分析：指定规则集)"
    sets = {rs.id: rs for p in (EQUIPMENT, AWARD) for rs in book.defining(p)}
    if len(sets) != 1:
        return "several rule sets define the programs"
    return next(iter(sets.values()))


def _split(rs: RuleSet, split_class: str, on: date, options: Options) -> Split:
    scheme = rs.param(f"payer_split.{split_class}", on, options).value
    shares = rs.param("payer_split.schemes", on, options).value[scheme]
    remainder = str(rs.param("payer_split.remainder_party", on, options).value)
    return Split(tuple((str(party), Ratio.of(Decimal(s))) for party, s in shares.items()), remainder)


def _resolve(rs: RuleSet, on: date, options: Options, classes: tuple[str, ...]) -> Params:
    def v(name: str) -> Any:
        return rs.param(name, on, options).value

    return Params(
        rate=Ratio.of(Decimal(v("equipment.rate"))), window_years=int(v("equipment.window_years")),
        window_ends_before=v("equipment.window") == "before-application-year",
        later_claims=str(v("equipment.later_claims")), levels=frozenset(v("equipment.eligible_levels")),
        caps={lv: int(v(f"equipment.cap.{lv}")) for lv in ("national", "provincial")},
        with_vat=v("equipment.vat") == "with-vat", award_amount=int(v("municipal_award.amount")),
        award_times=int(v("municipal_award.max_times")), auto_levels=frozenset(v("recognition.auto_levels")),
        group=tuple(v("exclusivity.group")) if rs.has("exclusivity.group") else (),
        excluded_types=frozenset(v("institution_exclusion.leader_types"))
        if rs.has("institution_exclusion.leader_types") else frozenset(),
        splits={c: _split(rs, c, on, options) for c in classes},
    )


# size: one check per reading or parameter value the kernel does not vectorise, each with its reason
def _unsupported(rs: RuleSet, on: date, options: Options, p: Params) -> str:
    """Why parameters resolved as ``p`` cannot be vectorised (``""``: they can)."""
    def v(name: str) -> Any:
        return rs.param(name, on, options).value

    if v("equipment.record_scope") != "all-recognised-in-jiaxing":
        return "reading equipment.record_scope (市级备案管理，窄读)"
    if rs.has("exclusivity.mode") and v("exclusivity.mode") != "offset":
        return "reading exclusivity.mode = exclusive (择一)"
    if not set(p.group) <= {EQUIPMENT, AWARD}:
        return "a higher-of group naming other programs (what-if)"
    if not p.levels <= {"national", "provincial"} or not p.auto_levels <= {"national", "provincial"}:
        return "levels other than national and provincial (what-if)"
    if p.window_years < 0 or p.later_claims not in ("window", "previous-year", "since-last-claim"):
        return "a negative window_years or an unknown reading (what-if)"
    if int(v("equipment.claims_per_year")) < 1 or p.award_amount < 0 or p.award_times < 1:
        return "claims_per_year or max_times below 1, or a negative award (what-if)"
    for s in p.splits.values():
        parties = {party for party, _ in s.shares}
        if not parties <= set(PARTIES) or s.remainder not in parties or sum(Fraction(r.p, r.q) for _, r in s.shares) != 1:
            return "a split scheme the per-claim engine refuses (分担方案)"
    if p.award_amount > min(r.bound(False) for s in p.splits.values() for _, r in s.shares):
        return "amounts beyond int64 arithmetic (金额过大)"
    return ""


def _changes(rs: RuleSet) -> npt.NDArray[np.datetime64]:
    """The days on which some parameter of ``rs`` starts or stops having a value, sorted: between two of them
    (a *stretch*) no parameter changes value."""
    days = sorted({d for p in rs.parameters.values() for dv in p.values
                   for d in (dv.start, *((dv.end + timedelta(days=1),) if dv.end else ()))})
    return np.array(days, dtype="datetime64[D]").reshape(len(days))


@dataclass(frozen=True)
class Periods:
    """The parameters on every claim date (参数按申报日取值): the distinct :class:`Params` in force on the
    claim dates, and which of them each stretch between two changes of ``rs`` (:func:`_changes`) has.

    A row's parameters are ``params[period_of(dates)[row]]``: a what-if from a day on, or a rule set whose
    values change between claim dates, is evaluated with each claim's own values, as the per-claim engine
    resolves them on the claim date."""

    changes: npt.NDArray[np.datetime64]
    stretch_period: I64  # stretch index → index into ``params`` (-1: no claim date in that stretch)
    params: tuple[Params, ...]

    def period_of(self, dates: npt.NDArray[np.datetime64]) -> I64:
        out: I64 = self.stretch_period[np.searchsorted(self.changes, dates, side="right")]
        return out


def _params(rs: RuleSet, dates: npt.NDArray[np.datetime64], options: Options, book: RuleBook) -> Periods | str:
    """The parameters on every claim date of the population, per stretch of time in which none changes."""
    classes = tuple(sorted({j.split_class for j in book.jurisdictions.values()}))
    changes = _changes(rs)
    stretch = np.searchsorted(changes, dates, side="right")
    stretch_period = np.full(changes.size + 1, -1, np.int64)
    found: list[Params] = []
    present = np.nonzero(np.bincount(stretch))[0] if dates.size else np.zeros(1, np.int64)
    for k in present.tolist():
        d = dates[int(np.argmax(stretch == k))].item() if dates.size else rs.in_force_from
        try:
            p = _resolve(rs, d, options, classes)
            why = _unsupported(rs, d, options, p)
        except (InputErrors, KeyError, ValueError, TypeError, ArithmeticError):
            return "parameters the per-claim engine refuses (参数有误)"
        if why:
            return why
        if p not in found:
            found.append(p)
        stretch_period[k] = found.index(p)
    return Periods(changes, stretch_period, tuple(found))


def _amounts(cols: PlatformColumns, at: I64, with_vat: bool) -> I64:
    """The investment of the cells ``at`` (flat indices into the investment arrays) as the per-claim engine
    counts it: the audited amount (with its VAT under that reading), 0 where there is no record."""
    raw = cols.investment.ravel()[at]
    recorded = raw != NO_RECORD
    out: I64 = np.where(recorded, raw, 0)
    if with_vat:
        out = out + np.where(recorded, cols.investment_vat.ravel()[at], 0)
    return out


def _platform_reasons(cols: PlatformColumns, rs: RuleSet, p: Params, reasons: npt.NDArray[np.object_]) -> None:
    """Platforms with dates outside the rule set or amounts too large for exact int64 arithmetic fall back."""
    start = np.datetime64(rs.in_force_from, "D")
    early = np.zeros(cols.n, bool)
    for d in (cols.provincial_from, cols.national_from, cols.municipal_from):
        early |= d < start
    claim_out = cols.claim_date < start
    if rs.in_force_to is not None:
        claim_out |= cols.claim_date > np.datetime64(rs.in_force_to, "D")
    early[cols.claim_platform[claim_out]] = True
    reasons[(reasons == "") & early] = "dates before the rule set is in force (施行前)"
    limit = min([p.rate.bound(True)] + [r.bound(False) for s in p.splits.values() for _, r in s.shares])
    if not cols.investment.size:
        return
    largest = max(int(cols.investment.max()), 0) + (max(int(cols.investment_vat.max()), 0) if p.with_vat else 0)
    if largest * cols.investment.shape[1] <= limit:  # no platform can reach the bound
        return
    recorded = cols.investment != NO_RECORD
    amounts = np.where(recorded, cols.investment, 0) + (np.where(recorded, cols.investment_vat, 0) if p.with_vat else 0)
    big = amounts.sum(axis=1) > limit
    reasons[(reasons == "") & big] = "amounts beyond int64 arithmetic (金额过大)"


# ------------------------------------------------------------------ the claim slots


@dataclass
class _State:
    """Every platform's running totals, as the per-claim engine's ``PlatformState`` keeps them."""

    n: int
    width: int
    equipment: I64 = field(init=False)  # 累计应得, equipment
    award: I64 = field(init=False)  # 累计应得, award
    group_paid: I64 = field(init=False)
    awards: I64 = field(init=False)  # award claims counted by 最多奖励一次
    claimed: I64 = field(init=False)  # investment years claimed: bit k = column k of the investment arrays
    last_claimed: I64 = field(init=False)  # column of the latest investment year claimed (read once one is)

    def __post_init__(self) -> None:
        self.equipment, self.award, self.group_paid, self.awards, self.last_claimed, self.claimed = (
            np.zeros(self.n, np.int64) for _ in range(6))


@dataclass(frozen=True)
class _Slot:
    """The claims of one slot: row positions, platforms, dates and years."""

    pos: I64
    plat: I64
    when: npt.NDArray[np.datetime64]
    year: I64

    def take(self, mask: Bools) -> _Slot:
        return _Slot(self.pos[mask], self.plat[mask], self.when[mask], self.year[mask])


@dataclass(frozen=True)
class _Population:
    cols: PlatformColumns
    params: Params
    award_trigger: npt.NDArray[np.datetime64]  # (n,) the day the platform became a 嘉兴市中试平台, NaT: never
    excluded_type: Bools  # (n,) leader type subject to the institution exclusion, with agreement support
    payer: npt.NDArray[np.object_]  # (n,) the jurisdiction's payer code
    split_class: I64  # (n,) index into ``params.splits`` of the jurisdiction's split class
    approved: I64 = field(default_factory=lambda: np.zeros(0, np.int64))  # (rows,) approved amount, -1: none
    refused: Bools = field(default_factory=lambda: np.zeros(0, bool))  # (n,) input the per-claim engine refuses


def _equipment(pop: _Population, st: _State, rows: dict[str, Any], s: _Slot) -> _Slot:
    """The equipment subsidy of one slot's equipment claims; returns the claims computed (trigger held)."""
    cols, p = pop.cols, pop.params
    national = ("national" in p.levels) & (cols.national_from[s.plat] <= s.when)
    held = national | (("provincial" in p.levels) & (cols.provincial_from[s.plat] <= s.when))
    s, national = s.take(held), national[held]
    last = s.year - cols.first_year - (1 if p.window_ends_before else 0)  # column of the window's last year
    claimed = st.claimed[s.plat]
    later = {"window": last - p.window_years + 1, "previous-year": last,
             "since-last-claim": st.last_claimed[s.plat] + 1}[p.later_claims]
    low = np.where(claimed == 0, last - p.window_years + 1, later)
    base = np.zeros(s.pos.shape, np.int64)
    flat = s.plat * st.width
    for j in range(int((last - low).max()) + 1 if s.pos.size else 0):  # the years of the window, one at a time
        col = low + j
        take = (col <= last) & ((claimed >> np.minimum(col, 62)) & 1 == 0)
        base += np.where(take, _amounts(cols, flat + np.minimum(col, last), p.with_vat), 0)
        claimed |= take.astype(np.int64) << np.minimum(col, 62)
        st.last_claimed[s.plat] = np.where(take, np.maximum(col, st.last_claimed[s.plat]), st.last_claimed[s.plat])
    st.claimed[s.plat] = claimed
    gross = (2 * base * p.rate.p + p.rate.q) // (2 * p.rate.q)  # half-up to the fen (解读 R-2)
    limit = np.where(national, p.caps["national"], p.caps["provincial"])
    used = st.equipment[s.plat]
    entitled = np.minimum(gross, np.maximum(0, limit - used))
    rows["gross"][s.pos], rows["entitled"][s.pos] = gross, entitled
    rows["status"][s.pos] = np.where(entitled < gross, S["capped"], S["payable"])
    rows["cap_level"][s.pos] = np.where(national, CAP_LEVELS.index("national"), CAP_LEVELS.index("provincial"))
    rows["cap_limit"][s.pos], rows["cap_before"][s.pos] = limit, used
    return s


def _award(pop: _Population, st: _State, rows: dict[str, Any], s: _Slot) -> _Slot:
    """The one-time award of one slot's award claims; returns the claims computed (trigger reached)."""
    p = pop.params
    s = s.take(pop.award_trigger[s.plat] <= s.when)
    gross = np.full(s.pos.shape, p.award_amount, np.int64)
    entitled = np.where(st.awards[s.plat] >= p.award_times, 0, gross)
    rows["gross"][s.pos], rows["entitled"][s.pos] = gross, entitled
    rows["status"][s.pos] = np.where(entitled < gross, S["capped"], S["payable"])
    return s


def _after_program(pop: _Population, st: _State, rows: dict[str, Any], eq: _Slot, aw: _Slot) -> None:
    """Exclusion, running entitlement, higher-of offset and approved amount (engine steps 3 to 5) for one
    slot's computed claims."""
    p, cols = pop.params, pop.cols
    s = _Slot(*(np.concatenate([getattr(eq, f), getattr(aw, f)]) for f in ("pos", "plat", "when", "year")))
    is_eq = np.arange(s.pos.size) < eq.pos.size
    excluded = pop.excluded_type[s.plat] & (cols.support_from[s.plat] <= s.when)
    entitled = np.where(excluded, 0, rows["entitled"][s.pos])
    rows["status"][s.pos] = np.where(excluded, S["excluded"], rows["status"][s.pos])
    st.equipment[eq.plat] += entitled[is_eq]
    st.award[aw.plat] += entitled[~is_eq]
    totals = {EQUIPMENT: st.equipment[s.plat], AWARD: st.award[s.plat]}
    in_group = ~excluded & np.where(is_eq, EQUIPMENT in p.group, AWARD in p.group)
    highest = np.max([totals[g] for g in p.group], axis=0) if p.group else np.zeros(s.pos.size, np.int64)
    paid = st.group_paid[s.plat]
    payable = np.where(in_group, np.maximum(0, np.minimum(entitled, highest - paid)), entitled)
    st.group_paid[s.plat] = np.where(in_group, paid + payable, paid)
    offset = entitled - payable
    status = np.where(offset > 0, S["offset"], rows["status"][s.pos])
    cut = _approved(pop, st, s, is_eq, in_group, payable)
    entitled, payable = entitled - cut, payable - cut
    rows["entitled"][s.pos], rows["payable"][s.pos], rows["offset"][s.pos], rows["status"][s.pos] = (
        entitled, payable, offset, status)
    counted = (entitled > 0) | (status == S["offset"]) | (status == S["payable"])
    st.awards[aw.plat] += counted[~is_eq]
    rows["cap_after"][eq.pos] = rows["cap_before"][eq.pos] + entitled[is_eq]


def _approved(pop: _Population, st: _State, s: _Slot, is_eq: Bools, in_group: Bools, payable: I64) -> I64:
    """The party group's approved amount (党组会审定, engine step 5): the cut below the computed payable, taken
    off the running entitlement and the group's paid too; an amount above the payable refuses the platform's
    input in the per-claim engine, so the platform is marked to fall back."""
    approved = pop.approved[s.pos]
    given = approved >= 0
    pop.refused[s.plat[given & (approved > payable)]] = True
    cut = np.where(given & (approved < payable), payable - approved, 0)
    st.equipment[s.plat[is_eq]] -= cut[is_eq]
    st.award[s.plat[~is_eq]] -= cut[~is_eq]
    st.group_paid[s.plat] -= np.where(in_group, cut, 0)
    out: I64 = cut
    return out


def _shares(pop: _Population, rows: dict[str, Any], mine: Bools) -> None:
    """Each party's share of the split claims among rows ``mine`` (all under ``pop``'s parameters): floors
    for all but the remainder party (解读 R-18)."""
    split = mine & (rows["status"] != S["ineligible"]) & (rows["status"] != S["reversed"])
    row_class = pop.split_class[rows["claim_platform"]]
    payable = rows["payable"]
    for k, scheme in enumerate(pop.params.splits.values()):
        these = split & (row_class == k)
        amount = payable[these]
        taken = np.zeros(amount.shape, np.int64)
        for party, r in scheme.shares:
            if party != scheme.remainder:
                part = amount * r.p // r.q
                rows[party][these] = part
                taken += part
        rows[scheme.remainder][these] = amount - taken


def _population(cols: PlatformColumns, p: Params, book: RuleBook) -> _Population:
    trigger = cols.municipal_from.copy()
    for level, first in (("provincial", cols.pool_provincial_from), ("national", cols.pool_national_from)):
        if level in p.auto_levels:
            trigger = np.where(np.isnat(trigger) | (first < trigger), first, trigger)
    supported = np.nonzero(~np.isnat(cols.support_from))[0]  # only these can be excluded
    excluded = np.zeros(cols.n, bool)
    excluded[supported] = [t in p.excluded_types for t in cols.leader_type[supported].tolist()]
    classes = {name: k for k, name in enumerate(p.splits)}
    by_code = {code: (j.payer, classes[j.split_class]) for code, j in book.jurisdictions.items()}
    found = [by_code.get(code, (None, -1)) for code in cols.jurisdiction.tolist()]
    payer = np.empty(cols.n, dtype=object)
    payer[:] = [f[0] for f in found]
    split_class = np.array([f[1] for f in found], dtype=np.int64).reshape(cols.n)
    return _Population(cols, p, trigger, excluded, payer, split_class)


def _years(when: npt.NDArray[np.datetime64]) -> I64:
    """The calendar year of each date, through a table of the days spanned (faster than datetime64[Y])."""
    if not when.size:
        return np.zeros(0, np.int64)
    days = when.astype(np.int64)
    first = int(days.min())
    table = np.arange(first, int(days.max()) + 1).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
    out: I64 = table[days - first] + 1970
    return out


def _blank_rows(cols: PlatformColumns, idx: Any, payer: npt.NDArray[np.object_], rs: RuleSet) -> dict[str, Any]:
    """The rows of the claims ``idx``: ids and payers filled, every claim ineligible until computed."""
    plat = cols.claim_platform[idx]
    rows = empty_rows(plat.size)
    rows["claim_platform"], rows["claim_id"], rows["program"] = plat, cols.claim_id[idx], cols.claim_program[idx]
    rows["rule_set"][:] = rs.id
    rows["local_payer"] = payer[plat]
    rows["status"][:] = S["ineligible"]
    for f in ("cap_limit", "cap_before", "cap_after", *PARTIES):
        rows[f][:] = NO_CAP if f.startswith("cap") else NO_SHARE
    return rows


def _evaluate(pops: tuple[_Population, ...], periods: Periods, rs: RuleSet, fast: Bools
              ) -> tuple[dict[str, Any], Bools]:
    """Every claim of the platforms marked ``fast``, slot by slot, each claim under the parameters of its
    period (``pops[k]`` holds period ``k``'s); rows in the columns' claim order, and the platforms whose
    input the per-claim engine would refuse (their rows left out)."""
    cols = pops[0].cols
    claim_mask = fast[cols.claim_platform]
    idx = slice(None) if bool(claim_mask.all()) else np.nonzero(claim_mask)[0]
    rows = _blank_rows(cols, idx, pops[0].payer, rs)
    plat = rows["claim_platform"]
    m = plat.size
    when = cols.claim_date[idx]
    year, period = _years(when), periods.period_of(when)
    new = np.r_[True, plat[1:] != plat[:-1]] if m else np.zeros(0, bool)
    ordinal = np.arange(m) - np.maximum.accumulate(np.where(new, np.arange(m), 0)) if m else np.zeros(0, np.int64)
    st = _State(cols.n, cols.investment.shape[1])
    approved = cols.claim_approved[idx] if cols.claim_approved is not None else np.full(m, -1)
    refused = np.zeros(cols.n, bool)
    pops = tuple(replace(pop, approved=approved, refused=refused) for pop in pops)
    reversed_ = cols.claim_reversed[idx] if cols.claim_reversed is not None else np.zeros(m, bool)
    rows["status"][reversed_] = S["reversed"]  # counts for nothing (异议成立); not split
    is_eq = rows["program"] == EQUIPMENT
    for k in range(int(ordinal.max()) + 1 if m else 0):
        in_slot = (ordinal == k) & ~reversed_
        for j, pop in enumerate(pops):  # a platform has one claim per slot: its periods never interact
            at = np.nonzero(in_slot & (period == j))[0] if len(pops) > 1 else np.nonzero(in_slot)[0]
            slot = _Slot(at, plat[at], when[at], year[at])
            eq = _equipment(pop, st, rows, slot.take(is_eq[at]))
            aw = _award(pop, st, rows, slot.take(~is_eq[at]))
            _after_program(pop, st, rows, eq, aw)
    for j, pop in enumerate(pops):
        _shares(pop, rows, period == j)
    return _without(rows, refused), refused


def _without(rows: dict[str, Any], refused: Bools) -> dict[str, Any]:
    """The rows of the platforms not marked ``refused``."""
    if not refused.any():
        return rows
    keep = ~refused[rows["claim_platform"]]
    return {k: v[keep] for k, v in rows.items()}


def _columns_cover(cols: PlatformColumns, periods: Periods, fast_claims: Bools) -> bool:
    """The investment columns reach from the earliest window's first year to the latest claim's year (and
    are few enough for the claimed years' bitmask), under every period's parameters."""
    if not fast_claims.any():
        return True
    years = _years(cols.claim_date[fast_claims])
    width = cols.investment.shape[1]
    for p in periods.params:
        earliest = int(years.min()) - (1 if p.window_ends_before else 0) - p.window_years + 1
        if not (cols.first_year <= earliest and int(years.max()) < cols.first_year + width and width <= 62):
            return False
    return True


def run_kernel(cols: PlatformColumns, book: RuleBook, options: Options) -> KernelOutput:
    """Evaluate every platform the kernel can; the others get their fallback reason."""
    reasons = cols.fallback.copy()
    rs = _governing(book, options)
    if isinstance(rs, str):
        reasons[reasons == ""] = rs
        return KernelOutput(empty_rows(0), reasons)
    fast_claims = (reasons == "")[cols.claim_platform]
    periods = _params(rs, cols.claim_date[fast_claims], options, book)
    if isinstance(periods, str) or not _columns_cover(cols, periods, fast_claims):
        reasons[reasons == ""] = periods if isinstance(periods, str) else "a window longer than the columns hold"
        return KernelOutput(empty_rows(0), reasons)
    for p in periods.params:
        _platform_reasons(cols, rs, p, reasons)
    pops = tuple(_population(cols, p, book) for p in periods.params)
    rows, refused = _evaluate(pops, periods, rs, reasons == "")
    reasons[refused] = "input the per-claim engine checks (输入有误)"
    return KernelOutput(rows, reasons)
