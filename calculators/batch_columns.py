"""The batch engine's columnar input (列式平台档案) and the converter from scenarios.

A :class:`PlatformColumns` holds, for ``n`` platforms, the few facts the vectorised programs read
(dates as ``datetime64[D]``, amounts as int64 fen) and each platform's claims in the per-claim
engine's order; a platform the columns cannot describe carries its fallback reason, and every platform
can be turned back into its :class:`~calculators.scenario.Scenario` (``scenario(i)``) for the per-claim
engine (fallback and traces). Build it with :func:`columns_from_scenarios`, or directly from arrays
(``bench.rules`` does, from its synthetic population).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from calculators.facts import Facts
from calculators.rulesets.model import RuleBook
from calculators.scenario import Scenario

I64 = npt.NDArray[np.int64]
Dates = npt.NDArray[np.datetime64]
NEVER = np.datetime64("NaT", "D")
NO_RECORD = -1
"""In ``investment``: no audited amount for that year (the per-claim engine counts 0)."""
MAX_WINDOW = 12
"""Years kept before the earliest application year: a window (``equipment.window_years``) longer than
this is evaluated by the per-claim engine."""
MAX_AMOUNT = 2**53
"""An amount above this (fen, about 90 trillion yuan) makes the platform fall back: sums stay far inside
int64."""
EQUIPMENT, AWARD = "equipment-subsidy", "municipal-award"
VECTORISED = (EQUIPMENT, AWARD)
SEPARABLE = ("zj-national-upgrade",)
"""Programs whose claims share no running total with the vectorised ones, either way: the province's upgrade
award (浙政办发〔2025〕24号 四.14) under a rule set with no higher-of group and no institution exclusion,
counted only against its own earlier claims (``max_times``), consuming no investment year. A platform with
such claims keeps its vectorised claims in the kernel; the per-claim engine evaluates these claims alone
(:attr:`PlatformColumns.separate`), which gives what it gives them among all the platform's claims."""

PARTIES = ("city", "local", "province")
"""The parties of a split (分担): 市财政, the jurisdiction's own finance (区/县（市）财政), 省财政."""
NO_SHARE = -1
"""In a share array: the party takes no share of that claim (not in its split scheme, or the claim is
ineligible or reversed, which is not split at all)."""
NO_CAP = -1
"""In the cap arrays: the claim has no cap (a program without one, or the claim was not computed)."""
CAP_LEVELS = ("", "municipal", "provincial", "national", "pool")
"""``cap_level`` codes: index into this tuple (0 = no cap; ``pool``: the pool award's total cap, 实施方案)."""
ROW_FIELDS: dict[str, Any] = {
    "claim_platform": np.int64, "claim_id": object, "program": object, "rule_set": object, "local_payer": object,
    "status": np.int8, "gross": np.int64, "entitled": np.int64, "offset": np.int64, "payable": np.int64,
    "city": np.int64, "local": np.int64, "province": np.int64, "cap_level": np.int8, "cap_limit": np.int64,
    "cap_before": np.int64, "cap_after": np.int64, "fallback": np.bool_,
}
"""Every per-claim array of the batch result and its dtype."""


def empty_rows(m: int) -> dict[str, Any]:
    """``m`` rows of every field, zeroed (object fields ``None``)."""
    return {k: np.empty(m, dtype=object) if t is object else np.zeros(m, dtype=t) for k, t in ROW_FIELDS.items()}


@dataclass(frozen=True)
class PlatformColumns:
    """``n`` platforms as columns; ``m`` claims grouped by platform in evaluation order.

    Attributes:
        platform_ids: (n,) object — platform ids.
        jurisdiction: (n,) object — jurisdiction codes (属地).
        leader_type: (n,) object — 主导类型.
        support_from: (n,) datetime64[D] — first agreement support (市区财政资金协议支持), NaT if none.
        provincial_from / national_from / municipal_from: (n,) datetime64[D] — first recognition at the
            level (入围/认定), NaT if none.
        pool_provincial_from / pool_national_from: (n,) datetime64[D] — first provincial / national
            recognition dated within a pool spell (在库期间获评, 细则 第三章), NaT if none.
        first_year: calendar year of column 0 of the investment arrays.
        investment / investment_vat: (n, years) int64 fen — audited equipment investment net of VAT and
            its VAT per calendar year; ``investment`` is :data:`NO_RECORD` where there is none.
        claim_platform: (m,) int64 — platform index of each claim (non-decreasing).
        claim_id / claim_program: (m,) object.
        claim_date: (m,) datetime64[D] — application date (申报日期); claims sorted by it within a
            platform, ties in input order (the per-claim engine's order).
        fallback: (n,) object — ``""``, or why the platform must go to the per-claim engine.
        scenario: platform index → its scenario (for the per-claim engine).
        claim_approved: (m,) int64 or ``None`` — the party group's approved amount (党组会审定, fen), -1 where
            none (``None``: none at all).
        claim_reversed: (m,) bool or ``None`` — the approval was reversed (异议成立; ``None``: none was).
        own_options: (n,) object or ``None`` — a key per platform whose scenario has its own readings or
            what-ifs (``None`` where it has none): platforms with the same key are evaluated together under
            the options ``build_options`` makes of their scenario (the first one's) and the population's.
        separate: platform index → the positions, in the per-claim engine's order of all its claims, of its
            claims under a :data:`SEPARABLE` program: they are not in the claim columns, and the per-claim
            engine evaluates them apart (``None``: no platform has any).
    """

    platform_ids: npt.NDArray[np.object_]
    jurisdiction: npt.NDArray[np.object_]
    leader_type: npt.NDArray[np.object_]
    support_from: Dates
    provincial_from: Dates
    national_from: Dates
    municipal_from: Dates
    pool_provincial_from: Dates
    pool_national_from: Dates
    first_year: int
    investment: I64
    investment_vat: I64
    claim_platform: I64
    claim_id: npt.NDArray[np.object_]
    claim_program: npt.NDArray[np.object_]
    claim_date: Dates
    fallback: npt.NDArray[np.object_]
    scenario: Callable[[int], Scenario]
    own_options: npt.NDArray[np.object_] | None = None
    claim_approved: I64 | None = None
    claim_reversed: npt.NDArray[np.bool_] | None = None
    separate: dict[int, tuple[int, ...]] | None = None

    @property
    def n(self) -> int:
        return int(self.platform_ids.shape[0])

    def subset(self, platforms: I64) -> PlatformColumns:
        """The platforms ``platforms`` (indices, increasing) as columns of their own."""
        keep = np.zeros(self.n, bool)
        keep[platforms] = True
        claims = keep[self.claim_platform]
        new_index = np.cumsum(keep) - 1
        per_platform = {f: getattr(self, f)[platforms] for f in (
            "platform_ids", "jurisdiction", "leader_type", "support_from", "provincial_from", "national_from",
            "municipal_from", "pool_provincial_from", "pool_national_from", "investment", "investment_vat",
            "fallback")}
        return PlatformColumns(
            **per_platform, first_year=self.first_year, claim_platform=new_index[self.claim_platform[claims]],
            claim_id=self.claim_id[claims], claim_program=self.claim_program[claims],
            claim_date=self.claim_date[claims], scenario=lambda j: self.scenario(int(platforms[j])),
            own_options=None,
            claim_approved=None if self.claim_approved is None else self.claim_approved[claims],
            claim_reversed=None if self.claim_reversed is None else self.claim_reversed[claims],
        )


def _first(dates: list[date]) -> np.datetime64:
    return np.datetime64(min(dates), "D") if dates else NEVER


def fallback_reason(s: Scenario, book: RuleBook) -> str:
    """Why the columns cannot describe scenario ``s`` (``""`` when they can)."""
    return _platform_reason(s, book) or _claims_reason(s)


def _platform_reason(s: Scenario, book: RuleBook) -> str:
    if s.rule_set:
        return "the scenario's own rule set (情形指定规则集)"
    if s.events:
        return "record events (复评、变更等事件)"
    years = [inv.year for inv in s.investments]
    ids = [c.id for c in s.claims]
    if s.platform.jurisdiction not in book.jurisdictions or len(set(years)) < len(years) or len(set(ids)) < len(ids):
        return "input the per-claim engine checks (输入有误)"
    if any(inv.amount + inv.vat > MAX_AMOUNT for inv in s.investments):
        return "amounts beyond int64 arithmetic (金额过大)"
    return ""


def _claims_reason(s: Scenario) -> str:
    for c in s.claims:
        if c.program in SEPARABLE:
            continue
        if c.program not in VECTORISED:
            return f"program {c.program}"
        if c.rule_set or c.invoices or c.years is not None:
            return "claim with a rule set, invoices or chosen years (指定规则集/发票/申报年度)"
        if c.approved_amount is not None and c.approved_amount > MAX_AMOUNT:
            return "amounts beyond int64 arithmetic (金额过大)"
    equipment_years = [c.application_date.year for c in s.claims if c.program == EQUIPMENT]
    if len(set(equipment_years)) < len(equipment_years):
        return "two equipment claims in one application year (每年度一次)"
    if s.evaluations and any(c.program == AWARD for c in s.claims):
        return "award with evaluations (连续优秀认定)"
    return ""


def _pool_firsts(s: Scenario) -> tuple[np.datetime64, np.datetime64]:
    if not s.pool:
        return NEVER, NEVER
    facts = Facts(s)
    in_pool = [r for r in s.recognitions if facts.pool_spell_on(r.date) is not None]
    return (_first([r.date for r in in_pool if r.level == "provincial"]),
            _first([r.date for r in in_pool if r.level == "national"]))


def _objects(values: list[Any]) -> npt.NDArray[np.object_]:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _platform_dates(scenarios: Sequence[Scenario], reasons: list[str]) -> dict[str, Dates]:
    """The per-platform date columns of :class:`PlatformColumns`."""
    dates: dict[str, list[np.datetime64]] = {k: [] for k in (
        "support_from", "provincial_from", "national_from", "municipal_from", "pool_provincial_from",
        "pool_national_from")}
    for i, s in enumerate(scenarios):
        dates["support_from"].append(_first([a.date for a in s.agreement_support]))
        for level in ("provincial", "national", "municipal"):
            dates[f"{level}_from"].append(_first([r.date for r in s.recognitions if r.level == level]))
        pool = _pool_firsts(s) if not reasons[i] else (NEVER, NEVER)
        dates["pool_provincial_from"].append(pool[0])
        dates["pool_national_from"].append(pool[1])
    return {k: np.array(v, dtype="datetime64[D]").reshape(len(scenarios)) for k, v in dates.items()}


def _investments(scenarios: Sequence[Scenario], reasons: list[str], first_year: int, width: int) -> tuple[I64, I64]:
    investment = np.full((len(scenarios), width), NO_RECORD, np.int64)
    vat = np.zeros((len(scenarios), width), np.int64)
    for i, s in enumerate(scenarios):
        if reasons[i]:
            continue
        for inv in s.investments:
            if first_year <= inv.year < first_year + width:
                investment[i, inv.year - first_year], vat[i, inv.year - first_year] = inv.amount, inv.vat
    return investment, vat


def _claim_rows(scenarios: Sequence[Scenario], reasons: list[str], separate: dict[int, tuple[int, ...]]
                ) -> list[tuple[int, str, str, date, int, bool]]:
    """(platform, id, program, date, approved amount or -1, reversed) of every claim, in evaluation order;
    the positions of a vectorised platform's :data:`SEPARABLE` claims go to ``separate`` instead."""
    claims: list[tuple[int, str, str, date, int, bool]] = []
    for i, s in enumerate(scenarios):
        order = sorted(enumerate(s.claims), key=lambda ic: (ic[1].application_date, ic[0]))
        if not reasons[i] and any(c.program in SEPARABLE for _, c in order):
            separate[i] = tuple(k for k, (_, c) in enumerate(order) if c.program in SEPARABLE)
            order = [ic for ic in order if ic[1].program not in SEPARABLE]
        claims.extend((i, c.id, c.program, c.application_date,
                       -1 if c.approved_amount is None or reasons[i] else c.approved_amount,
                       c.reversed) for _, c in order)
    return claims


def columns_from_scenarios(scenarios: Sequence[Scenario], book: RuleBook) -> PlatformColumns:
    """The columns of ``scenarios`` (one per platform); claims sorted as the per-claim engine sorts them."""
    reasons = [fallback_reason(s, book) for s in scenarios]
    separate: dict[int, tuple[int, ...]] = {}
    claims = _claim_rows(scenarios, reasons, separate)
    app_years = [c[3].year for c in claims] or [2026]
    first_year = min(app_years) - MAX_WINDOW - 1
    investment, vat = _investments(scenarios, reasons, first_year, max(app_years) - first_year + 1)
    return PlatformColumns(
        platform_ids=_objects([s.platform.id for s in scenarios]),
        jurisdiction=_objects([s.platform.jurisdiction for s in scenarios]),
        leader_type=_objects([s.platform.leader_type for s in scenarios]),
        **_platform_dates(scenarios, reasons),
        first_year=first_year, investment=investment, investment_vat=vat,
        claim_platform=np.array([c[0] for c in claims], dtype=np.int64),
        claim_id=_objects([c[1] for c in claims]), claim_program=_objects([c[2] for c in claims]),
        claim_date=np.array([c[3] for c in claims], dtype="datetime64[D]").reshape(len(claims)),
        fallback=_objects(reasons), scenario=scenarios.__getitem__,
        own_options=_objects([_options_key(s) for s in scenarios]),
        claim_approved=np.array([c[4] for c in claims], dtype=np.int64).reshape(len(claims)),
        claim_reversed=np.array([c[5] for c in claims], dtype=bool).reshape(len(claims)),
        separate=separate or None,
    )


def _options_key(s: Scenario) -> tuple[str, str] | None:
    """A key equal for scenarios with the same readings and what-ifs (``None``: it has none)."""
    if not s.readings and not s.what_if:
        return None
    return repr(sorted(s.readings.items())), repr(sorted(s.what_if.items()))
