"""Budget forecast bench (预算测算): N platforms × 3 budget years under two scenarios (``./dev bench forecast``).

Ours: :func:`calculators.forecast.forecast` with the engine it picks (the batch engine,
:func:`calculators.forecast.batch_engine`, which takes each claim's parameters on its own date, so a what-if
from the first budget year on is vectorised too); the peer, in the same run on the same subjects: the same forecast on the per-claim engine
(:func:`calculators.forecast.per_claim_engine`). Both forecasts must agree line by line, to the fen, or
the bench fails. The goal (issue 12): 10,000 platforms under two scenarios in under 2 s.

The subjects come from :mod:`bench.population` as of 2026-12-31: audited investment up to 2025, the 2026
claim pending on even platforms and decided (as computed, with half of it unpaid) on odd ones, a declared
plan (2026–2028) on every fifth; budget years 2027–2029. Scenario 2 is a what-if: rate 25% and the
provincial cap 600万.

    ./dev bench forecast [--platforms 10000] [--seed 20260111] [--skip-peer]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

from bench.population import INVESTMENT_YEARS, NO_RECORD, Population, generate
from calculators.forecast import (
    Commitment,
    Evaluator,
    Forecast,
    Subject,
    WhatIf,
    forecast,
    forecasts,
    per_claim_engine,
)
from calculators.rulesets.bundled import rulebook
from calculators.scenario import from_data

FIRST_YEAR = 2027
WHAT_IFS = (WhatIf(), WhatIf("比例25%、省级上限600万", what_if={"equipment.rate": "0.25",
                                                          "equipment.cap.provincial": "6000000"}))


def subject(pop: Population, i: int) -> Subject:
    """Platform ``i`` of the population as a forecast subject (see the module's docstring)."""
    data = pop.scenario_data(i)
    data["investments"] = [x for x in data["investments"] if x["year"] <= 2025]
    data["claims"] = [c for c in data["claims"] if c["application_date"].year <= 2026]
    s = from_data(data)
    pending = frozenset(c.id for c in s.claims) if i % 2 == 0 else frozenset()
    owed: tuple[Commitment, ...] = ()
    if i % 2 and s.claims:
        owed = (Commitment(s.claims[0].id, "equipment-subsidy", "330400", "嘉兴市财政局", 1_000_000 + i),)
    plan: dict[int, int] = {}
    if i % 5 == 0:
        row = pop.investment[i].tolist()
        plan = {y: int(row[INVESTMENT_YEARS.index(y)]) for y in (2026, 2027, 2028)
                if row[INVESTMENT_YEARS.index(y)] != NO_RECORD}
    return Subject(s, pending, owed, plan)


def subjects(n: int, seed: int) -> list[Subject]:
    pop = generate(n, seed)
    return [subject(pop, i) for i in range(n)]


def timed(subs: list[Subject], run: Evaluator | None, clock: Callable[[], float] = time.perf_counter,
          alone: bool = True) -> tuple[float, list[Forecast], list[float]]:
    """Seconds to forecast every what-if of :data:`WHAT_IFS` for ``subs`` with ``run`` (None: the engine the
    forecast picks itself) in one :func:`~calculators.forecast.forecasts` call (the future claims and their
    columns built once for both), the forecasts, and (``alone``) the seconds of each what-if alone
    (:func:`~calculators.forecast.forecast`, each building its own)."""
    book = rulebook()
    t0 = clock()
    out = list(forecasts(subs, book, WHAT_IFS, FIRST_YEAR, run=run))
    total = clock() - t0
    each = []
    for w in WHAT_IFS if alone else ():
        t1 = clock()
        forecast(subs, book, w, FIRST_YEAR, run=run)
        each.append(clock() - t1)
    return total, out, each


def no_engine(scenarios: Any, book: Any, options: Any) -> tuple[list[Any], int]:
    """An evaluator that computes nothing: what the projection itself costs (building the future scenarios)."""
    return [[] for _ in scenarios], 0


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def summary(fs: list[Forecast]) -> dict[str, Any]:
    return {w.what_if.title: {"total_fen": w.total(), "lines": len(w.lines), "skipped": len(w.skipped),
                              "fallbacks": w.fallbacks} for w in fs}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--platforms", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=20260111)
    ap.add_argument("--skip-peer", action="store_true", help="only ours (the peer takes tens of seconds)")
    args = ap.parse_args(argv)
    print(f"load average before: {load_average()}  (2 cores, shared)")
    t0 = time.perf_counter()
    subs = subjects(args.platforms, args.seed)
    print(f"subjects: {len(subs):,} platforms built in {time.perf_counter() - t0:.2f} s (not timed below)")
    ours_s, ours, each = timed(subs, None)
    print(f"ours  (forecast's engine): {ours_s:7.2f} s for {len(subs):,} platforms × 3 years × {len(WHAT_IFS)} scenarios"
          f"  (goal < 2 s: {'met' if ours_s < 2 else 'NOT met'})")
    for (title, fig), secs in zip(summary(ours).items(), each, strict=True):
        print(f"      {title}: {secs:.2f} s alone; total {fig['total_fen'] / 100:,.2f} 元, {fig['lines']:,} lines, "
              f"{fig['skipped']} claims skipped, {fig['fallbacks']:,} platform evaluations on the per-claim engine")
    bare_s = timed(subs, no_engine, alone=False)[0]
    print(f"      of which the projection without any engine (building the future scenarios once): {bare_s:.2f} s")
    if not args.skip_peer:
        peer_s, peer, _ = timed(subs, per_claim_engine, alone=False)
        same = all(a.lines == b.lines and a.skipped == b.skipped for a, b in zip(ours, peer, strict=True))
        print(f"peer  (per-claim engine): {peer_s:7.2f} s  — same forecast to the fen: {'yes' if same else 'NO'}")
        print(f"ratio peer / ours: {peer_s / ours_s:.2f}×")
        if not same:
            return 1
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
