"""The batch engine (批量测算): every claim of a whole population of platforms as numpy int64 fen arrays.

An optimisation of :func:`calculators.engine.evaluate`, never a second truth: for every claim it gives
the per-claim engine's status, gross, entitled, offset, payable, payer shares and cap position, to the
fen (tests/calculators/test_batch.py asserts it on generated histories; ``bench.rules`` on its whole
population). What it computes with arrays (:mod:`calculators.batch_kernel`):

- the equipment subsidy (设备投入补助, 细则 第四章（一）): 30% (``equipment.rate``) of the three-year window
  (``equipment.window`` / ``equipment.window_years``) on the first claim, the later claims' years under
  every reading of ``equipment.later_claims``, audited investment net of or with VAT (``equipment.vat``),
  the cumulative cap (累计上限) of the highest level held on the claim date, upgrades included;
- the one-time award (嘉兴市中试平台一次性奖励, 细则 第四章（二）) triggered by a recognition (municipal, or
  national/provincial while in the pool), at most ``municipal_award.max_times`` times;
- the institution exclusion (细则 第五章), the higher-of offset (就高不重复, ``exclusivity.mode`` =
  ``offset``) and the payer split (分担) of each jurisdiction's split class, under any what-if of those
  parameters.

Rounding, exactly as the per-claim engine's (:mod:`calculators.money`): ``gross = base × rate`` rounded
half-up to the fen, done in integers as ``(2·base·p + q) // (2q)`` for ``rate = p/q`` in lowest terms
(``base ≥ 0``); a split gives every party but the remainder party ``floor(amount · p/q)`` =
``amount·p // q``, and the remainder party the rest, so the shares always sum to the payable.

Parameters are taken on each claim's own date, as the per-claim engine takes them: a rule set whose values
change between claim dates (a dated value, or a what-if from a day on, as the budget forecast applies one) is
vectorised with each claim under the values of its date.

A scenario's own readings and what-ifs are honoured: platforms bringing the same ones are evaluated
together under the options :func:`calculators.engine.build_options` makes of them (on top of ``options``).

The province's upgrade award (升级为国家级奖励, :data:`~calculators.batch_columns.SEPARABLE`) shares no
running total with the vectorised programs: its claims alone go to the per-claim engine (rows marked
``fallback``) and the platform's other claims stay vectorised.

Everything else is evaluated by the per-claim engine *for that platform*, and
:attr:`PopulationResult.fallbacks` counts those platforms by reason: other programs (the 2025 plan's,
Zhejiang's others), a forced rule set, the exclusive reading of 就高不重复, a higher-of group naming other
programs, the narrow record scope, invoices or chosen years on a claim, record events (复评), an award with
evaluations (连续优秀), two equipment claims in one year, dates before the rule set, amounts beyond exact
int64 arithmetic, and input the per-claim engine refuses
(:attr:`PopulationResult.refused`, with its Chinese messages). :meth:`PopulationResult.trace` gives any
platform's full explanation (计算过程) from the per-claim engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from calculators.batch_columns import (
    CAP_LEVELS,
    NO_CAP,
    NO_SHARE,
    PARTIES,
    ROW_FIELDS,
    SEPARABLE,
    PlatformColumns,
    columns_from_scenarios,
    empty_rows,
)
from calculators.batch_kernel import KernelOutput, run_kernel
from calculators.engine import Evaluation, build_options, evaluate
from calculators.errors import CalculatorError, InputErrors
from calculators.results import STATUSES, ClaimResult
from calculators.rulesets.model import Options, RuleBook
from calculators.scenario import Scenario

__all__ = [
    "NO_SHARE", "PARTIES", "STATUSES", "PlatformColumns", "PopulationResult", "columns_from_scenarios",
    "evaluate_population",
]

I64 = npt.NDArray[np.int64]
@dataclass(frozen=True)
class PopulationResult:
    """Every claim of a population, one row per claim, as arrays (amounts int64 fen).

    Rows are grouped by platform, platforms in input order, and within a platform in the per-claim
    engine's order (application date, then input order): platform ``i``'s claims are rows
    ``claim_start[i]:claim_start[i + 1]``. A platform whose input the per-claim engine refuses has no
    rows and its :class:`~calculators.errors.InputErrors` in :attr:`refused`; a platform whose figures do
    not fit int64 fen (beyond 92 trillion yuan) has no rows either and its evaluation in :attr:`outside_int64`.

    Attributes:
        platform_ids: (platforms,) object — each platform's id.
        claim_start: (platforms + 1,) int64 — row offsets per platform.
        claim_platform: (claims,) int64 — the platform index of each row.
        claim_id / program / rule_set: (claims,) object — the claim's id, program id and governing rule set.
        local_payer: (claims,) object — payer code (GB/T 2260) of the platform's jurisdiction's finance.
        status: (claims,) int8 — index into :data:`~calculators.results.STATUSES`.
        gross / entitled / offset / payable: (claims,) int64 fen — as :class:`~calculators.results.ClaimResult`.
        city / local / province: (claims,) int64 fen — each party's share of ``payable``; :data:`NO_SHARE`
            (-1) where the party takes none. Shares of an eligible claim sum to ``payable``.
        cap_level: (claims,) int8 — index into :data:`CAP_LEVELS`, the level whose cap applied (0: none).
        cap_limit / cap_before / cap_after: (claims,) int64 fen — the cumulative cap (累计上限), the
            program's cumulative entitlement before the claim (``CapInfo.used``) and after it
            (before + the claim's entitled); :data:`NO_CAP` (-1) where no cap applied.
        fallback: (claims,) bool — the row came from the per-claim engine.
        fallbacks: platforms evaluated by the per-claim engine, counted by reason.
        refused: platform id → the input errors of a platform the per-claim engine refused.
        outside_int64: platform id → the per-claim engine's evaluation of a platform whose figures do not
            fit int64.
        payer_codes: party → payer code for ``city`` and ``province`` (the local payer is per row).

    Derived: :attr:`eligible` (status neither ``ineligible`` nor ``reversed``: the claim is split),
    :meth:`share` (a party's shares with -1 read as 0), :meth:`platform` (one platform's rows as dicts),
    :meth:`trace` (one platform's full evaluation with traces, from the per-claim engine).
    """

    platform_ids: npt.NDArray[np.object_]
    claim_start: I64
    claim_platform: I64
    claim_id: npt.NDArray[np.object_]
    program: npt.NDArray[np.object_]
    rule_set: npt.NDArray[np.object_]
    local_payer: npt.NDArray[np.object_]
    status: npt.NDArray[np.int8]
    gross: I64
    entitled: I64
    offset: I64
    payable: I64
    city: I64
    local: I64
    province: I64
    cap_level: npt.NDArray[np.int8]
    cap_limit: I64
    cap_before: I64
    cap_after: I64
    fallback: npt.NDArray[np.bool_]
    fallbacks: dict[str, int]
    refused: dict[str, InputErrors]
    outside_int64: dict[str, Evaluation]
    payer_codes: dict[str, str]
    _trace: Callable[[int], Evaluation] = field(repr=False, compare=False)

    @property
    def claims(self) -> int:
        return int(self.claim_id.shape[0])

    @property
    def eligible(self) -> npt.NDArray[np.bool_]:
        out: npt.NDArray[np.bool_] = ~np.isin(self.status, (STATUSES.index("ineligible"), STATUSES.index("reversed")))
        return out

    def share(self, party: str) -> I64:
        """``party``'s share of every claim with :data:`NO_SHARE` read as 0 (for sums by payer)."""
        a: I64 = getattr(self, party)
        return np.where(a < 0, 0, a)

    def statuses(self) -> npt.NDArray[np.object_]:
        """The status of every row as its name."""
        return np.array(STATUSES, dtype=object)[self.status]

    def index_of(self, platform: int | str) -> int:
        if isinstance(platform, int):
            return platform
        found = np.nonzero(self.platform_ids == platform)[0]
        if not found.size:
            raise KeyError(platform)
        return int(found[0])

    def rows_of(self, platform: int | str) -> slice:
        """The rows of one platform (by index or id)."""
        i = self.index_of(platform)
        return slice(int(self.claim_start[i]), int(self.claim_start[i + 1]))

    def platform(self, platform: int | str) -> list[dict[str, Any]]:
        """One platform's claims as plain dicts (the per-platform view), amounts in fen."""
        out = []
        for k in range(self.claims)[self.rows_of(platform)]:
            row: dict[str, Any] = {
                "claim_id": self.claim_id[k], "program": self.program[k], "rule_set": self.rule_set[k],
                "status": STATUSES[self.status[k]], "fallback": bool(self.fallback[k]),
                **{f: int(getattr(self, f)[k]) for f in ("gross", "entitled", "offset", "payable")},
                "shares": {p: int(getattr(self, p)[k]) for p in PARTIES if getattr(self, p)[k] != NO_SHARE},
                "cap": None if self.cap_level[k] == 0 else {
                    "level": CAP_LEVELS[self.cap_level[k]], "limit": int(self.cap_limit[k]),
                    "before": int(self.cap_before[k]), "after": int(self.cap_after[k])},
            }
            out.append(row)
        return out

    def trace(self, platform: int | str) -> Evaluation:
        """The per-claim engine's evaluation of one platform, every claim with its trace (计算过程)."""
        return self._trace(self.index_of(platform))


def evaluate_population(population: Sequence[Scenario] | PlatformColumns, book: RuleBook,
                        options: Options | None = None) -> PopulationResult:
    """Evaluate every claim of every platform under ``book`` and ``options`` (readings, what-ifs).

    ``population`` is a list of scenarios (one per platform) or their columnar form
    (:func:`columns_from_scenarios`, or built directly from arrays). The result equals, claim by claim,
    ``calculators.engine.evaluate(scenario, book, options)`` for each platform.
    """
    cols = population if isinstance(population, PlatformColumns) else columns_from_scenarios(population, book)
    opts = options or Options()
    return _assemble(cols, book, opts, _with_apart(cols, book, opts, _run_groups(cols, book, opts)))


def _separable(book: RuleBook, opts: Options) -> bool:
    """The :data:`~calculators.batch_columns.SEPARABLE` programs share no running total with the vectorised
    ones under ``book`` and ``opts``: no rule set defining them has a higher-of group or an institution
    exclusion, and no higher-of group (dated value or what-if) names them."""
    for program in SEPARABLE:
        if any(rs.has("exclusivity.group") or rs.has("institution_exclusion.leader_types")
               for rs in book.defining(program)):
            return False
    groups = [dv.value for rs in book.rule_sets.values() if rs.has("exclusivity.group")
              for dv in rs.parameters["exclusivity.group"].values]
    groups += [v for k, v in opts.overrides.items() if k.endswith("exclusivity.group")]
    return not any(program in (g or ()) for g in groups for program in SEPARABLE)


def _with_apart(cols: PlatformColumns, book: RuleBook, opts: Options, kernel: KernelOutput) -> KernelOutput:
    """The kernel's rows with each vectorised platform's separable claims (:attr:`PlatformColumns.separate`)
    evaluated apart by the per-claim engine and put in their places; a platform whose claims cannot be
    (refused, beyond int64, or the programs not separable here) goes to the per-claim engine whole."""
    if not cols.separate:
        return kernel
    reasons = kernel.fallback_reason.copy()
    ok = _separable(book, opts)
    evaluations: dict[int, Evaluation | None] = {}
    for i in cols.separate:
        if reasons[i]:
            continue
        ev = _apart(cols.scenario(i), book, opts) if ok else None
        if ev is None:
            reasons[i] = "program " + "/".join(SEPARABLE)
        else:
            evaluations[i] = ev
    kept = reasons[kernel.rows["claim_platform"]] == ""
    rows = {k: v[kept] for k, v in kernel.rows.items()}
    position = _positions(rows["claim_platform"], cols.separate, evaluations)
    apart = _Rows().from_evaluations(evaluations, cols, book)
    apart_position = np.array([k for i in evaluations for k in cols.separate[i]], dtype=np.int64).reshape(-1)
    order = np.lexsort((np.concatenate([position, apart_position]),
                        np.concatenate([rows["claim_platform"], apart["claim_platform"]])))
    return KernelOutput({k: np.concatenate([rows[k], apart[k]])[order] for k in ROW_FIELDS}, reasons)


def _apart(s: Scenario, book: RuleBook, opts: Options) -> Evaluation | None:
    """The per-claim engine's evaluation of the separable claims of ``s`` alone; ``None`` when the platform
    must go to the per-claim engine whole (refused, beyond int64, or its own what-if on the higher-of group)."""
    if any(k.endswith("exclusivity.group") for k in s.what_if):
        return None
    try:
        ev = evaluate(s.model_copy(update={"claims": [c for c in s.claims if c.program in SEPARABLE]}), book, opts)
    except CalculatorError:  # InputErrors too
        return None
    return ev if _fits_int64(ev) else None


def _positions(claim_platform: I64, separate: dict[int, tuple[int, ...]], apart: dict[int, Any]) -> I64:
    """Each kernel row's position among all its platform's claims (the per-claim engine's order), given the
    positions of the claims evaluated apart."""
    m = claim_platform.size
    new = np.r_[True, claim_platform[1:] != claim_platform[:-1]] if m else np.zeros(0, bool)
    position: I64 = np.arange(m) - np.maximum.accumulate(np.where(new, np.arange(m), 0)) if m else np.zeros(0, np.int64)
    starts = np.searchsorted(claim_platform, list(apart), side="left")
    for start, i in zip(starts.tolist(), apart, strict=True):
        taken = set(separate[i])
        count = int(np.searchsorted(claim_platform, i, side="right")) - start
        position[start:start + count] = [k for k in range(count + len(taken)) if k not in taken][:count]
    return position


def _run_groups(cols: PlatformColumns, book: RuleBook, opts: Options) -> KernelOutput:
    """The kernel over the whole population, or over each group of platforms whose scenarios bring the same
    readings and what-ifs, under the options the per-claim engine would build for them."""
    keys = cols.own_options
    if keys is None or all(k is None for k in keys.tolist()):
        return run_kernel(cols, book, opts)
    groups: dict[Any, list[int]] = {}
    for i, key in enumerate(keys.tolist()):
        groups.setdefault(key, []).append(i)
    reasons = np.empty(cols.n, dtype=object)
    parts = []
    for key, members in groups.items():
        idx = np.array(members, dtype=np.int64)
        try:
            group_opts = opts if key is None else build_options(cols.scenario(members[0]), book, opts)
        except InputErrors:
            reasons[idx] = "input the per-claim engine checks (输入有误)"
            continue
        out = run_kernel(cols.subset(idx), book, group_opts)
        reasons[idx] = out.fallback_reason
        out.rows["claim_platform"] = idx[out.rows["claim_platform"]]
        parts.append(out.rows)
    rows = {k: np.concatenate([p[k] for p in parts]) if parts else empty_rows(0)[k] for k in ROW_FIELDS}
    order = np.argsort(rows["claim_platform"], kind="stable")
    return KernelOutput({k: v[order] for k, v in rows.items()}, reasons)


def _assemble(cols: PlatformColumns, book: RuleBook, opts: Options, kernel: KernelOutput) -> PopulationResult:
    """Kernel rows for the vectorised platforms, per-claim engine rows for the others, in platform order."""
    n = cols.n
    parts = _Rows()
    refused: dict[str, InputErrors] = {}
    slow = np.nonzero(kernel.fallback_reason != "")[0] if n else np.zeros(0, np.int64)
    fast_rows = kernel.rows  # rows of the vectorised platforms, in platform order, with claim_platform
    evaluations: dict[int, Evaluation | None] = {}
    for i in slow.tolist():
        try:
            evaluations[i] = evaluate(cols.scenario(i), book, opts)
        except InputErrors as exc:
            refused[str(cols.platform_ids[i])] = exc
            evaluations[i] = None
    outside = {i: ev for i, ev in evaluations.items() if ev is not None and not _fits_int64(ev)}
    for i in outside:
        evaluations[i] = None
    slow_rows = parts.from_evaluations(evaluations, cols, book)
    merged = _merge(fast_rows, slow_rows, n)
    counts: dict[str, int] = {}
    for reason in kernel.fallback_reason[slow].tolist():
        counts[reason] = counts.get(reason, 0) + 1
    city = next(p.code for p in book.payers.values() if p.level == "city")
    province = next(p.code for p in book.payers.values() if p.level == "province")
    return PopulationResult(
        platform_ids=cols.platform_ids, claim_start=_starts(merged["claim_platform"], n), **merged,
        fallbacks=counts, refused=refused, outside_int64={str(cols.platform_ids[i]): ev for i, ev in outside.items()},
        payer_codes={"city": city, "province": province},
        _trace=lambda i: evaluate(cols.scenario(i), book, opts),
    )


class _Rows:
    """Rows built from the per-claim engine's results."""

    def from_evaluations(self, evaluations: dict[int, Evaluation | None], cols: PlatformColumns,
                         book: RuleBook) -> dict[str, Any]:
        results = [(i, r) for i, ev in evaluations.items() if ev is not None for r in ev.results]
        rows = empty_rows(len(results))
        for k, (i, r) in enumerate(results):
            rows["claim_platform"][k] = i
            rows["local_payer"][k] = book.jurisdictions[str(cols.jurisdiction[i])].payer
            self.fill(rows, k, r)
        rows["fallback"][:] = True
        return rows

    @staticmethod
    def fill(rows: dict[str, Any], k: int, r: ClaimResult) -> None:
        rows["claim_id"][k], rows["program"][k], rows["rule_set"][k] = r.claim_id, r.program, r.rule_set
        rows["status"][k] = STATUSES.index(r.status)
        for f in ("gross", "entitled", "offset", "payable"):
            rows[f][k] = getattr(r, f)
        for p in PARTIES:
            rows[p][k] = NO_SHARE
        for s in r.shares:
            rows[s.party][k] = s.amount
        if r.cap is None:
            rows["cap_limit"][k] = rows["cap_before"][k] = rows["cap_after"][k] = NO_CAP
        else:
            rows["cap_level"][k] = CAP_LEVELS.index(r.cap.level)
            rows["cap_limit"][k], rows["cap_before"][k] = r.cap.limit, r.cap.used
            rows["cap_after"][k] = r.cap.used + r.entitled


def _fits_int64(ev: Evaluation) -> bool:
    """Every figure of the evaluation fits an int64 array."""
    top = max([max(r.gross, r.entitled, r.payable, r.cap.limit + r.cap.used + r.entitled if r.cap else 0)
               for r in ev.results], default=0)
    return top < 2**63


def _merge(a: dict[str, Any], b: dict[str, Any], n: int) -> dict[str, Any]:
    """Both row sets in platform order (stable: each platform's rows keep their order)."""
    if not len(b["claim_platform"]):
        return a
    order = np.argsort(np.concatenate([a["claim_platform"], b["claim_platform"]]), kind="stable")
    return {k: np.concatenate([a[k], b[k]])[order] for k in ROW_FIELDS}


def _starts(claim_platform: I64, n: int) -> I64:
    counts = np.bincount(claim_platform, minlength=n) if claim_platform.size else np.zeros(n, np.int64)
    out = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=out[1:])
    return out
