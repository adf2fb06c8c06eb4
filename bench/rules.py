"""Rules benchmark: the equipment subsidy over a large synthetic population, ours and OpenFisca's.

    python -m bench.rules                       # 100,000 platforms (~466,000 platform-years)
    python -m bench.rules --platforms 20000
    python -m bench.rules --quick               # 2,000 platforms, a few seconds
    python -m bench.rules --what-if equipment.rate=0.20 --what-if equipment.cap.national=8000000.00
    python -m bench.rules --profile 3000        # cProfile of our engine on 3,000 platforms, nothing else

Five phases on the same population (:mod:`bench.population`, seeded):

1. our engine (``calculators.engine.evaluate``, one scenario per platform, every claim with its trace)
   under the default rule set;
2. our engine under a what-if (default: ``equipment.rate`` 0.25 and ``equipment.cap.provincial``
   4,000,000.00), passed as :class:`~calculators.rulesets.model.Options` exactly as a scenario's
   ``what_if`` would be;
3. and 4. the same rule written for OpenFisca (:mod:`bench.openfisca_equipment`) on the same inputs,
   one vectorised simulation of every platform, baseline and the what-if as an OpenFisca reform;
5. OpenFisca again, baseline, one simulation per platform for the first ``--per-platform`` platforms
   (2,000): the way our engine is called, one scenario at a time;
6. and 7. our batch engine (``calculators.batch.evaluate_population``, int64 fen arrays), default and
   what-if, on columns built straight from the population's arrays (as OpenFisca's inputs are); every
   claim is checked against our per-claim engine's results of phases 1 and 2 and against OpenFisca's,
   and the platforms it left to the per-claim engine are counted by reason.

Each phase runs in a fresh Python process (unless ``--in-process``), so its peak memory is its own:
the table shows the process's peak RSS (``ru_maxrss``) and its RSS when the timed work began (imports
and the population already loaded). With ``--in-process`` memory is the ``tracemalloc`` peak of the
phase, and the timings include tracemalloc's overhead.

Timed separately: *setup* (imports, rule book or tax-benefit system, options or reform), *inputs*
(ours: each platform's data validated into a ``Scenario`` by ``from_data``; OpenFisca: the simulation
built and every input array set) and *compute* (ours: ``evaluate``; OpenFisca: ``calculate`` of every
output for every year). Platform-years = claims evaluated. The ratio is ours ÷ OpenFisca in
platform-years per second (below 1: ours is slower).

Exactness: for every claim, eligibility, gross, entitled, payable, the city's share and the
jurisdiction's share must be equal, to the fen, between our engine and OpenFisca, for the default, the
what-if and the per-platform run. Any difference is printed (the first ``--show``) and the exit status is 1.

Progress goes to stderr; the table to stdout (``--json PATH`` also writes the figures).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from bench.population import CLAIM_YEARS, Population, generate

DEFAULT_PLATFORMS = 100_000
QUICK_PLATFORMS = 2_000
DEFAULT_SEED = 20260111
DEFAULT_WHAT_IF = {"equipment.rate": "0.25", "equipment.cap.provincial": "4000000.00"}
PHASES = ("ours:default", "ours:what-if", "batch:default", "batch:what-if", "openfisca:default", "openfisca:what-if",
          "openfisca:per-platform")
DEFAULT_PER_PLATFORM = 2_000
WHAT_IF_KEYS = ("equipment.rate", "equipment.cap.national", "equipment.cap.provincial", "equipment.later_claims")
FIELDS = ("eligible", "gross", "entitled", "payable", "city", "local")
ROOT = Path(__file__).resolve().parent.parent


def say(msg: str) -> None:
    print(f"[bench.rules {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass
class Results:
    """Per-claim results in the population's flat claim order; ``-1`` = no such share."""

    eligible: np.ndarray
    gross: np.ndarray
    entitled: np.ndarray
    payable: np.ndarray
    city: np.ndarray
    local: np.ndarray
    base: np.ndarray | None = None  # OpenFisca only: the investment the claim covers

    def head(self, m: int) -> Results:
        """The first ``m`` claims."""
        return Results(*(None if v is None else v[:m] for v in asdict(self).values()))

    @classmethod
    def empty(cls, n: int) -> Results:
        return cls(np.zeros(n, bool), *(np.full(n, -1, np.int64) for _ in range(5)))


# ------------------------------------------------------------------ memory

def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ------------------------------------------------------------------ our engine

def run_ours(pop: Population, what_if: dict[str, str] | None, clock: Callable[[], float] = time.perf_counter
             ) -> tuple[dict[str, Any], Results]:
    t0 = clock()
    from calculators.engine import build_options, evaluate
    from calculators.rulesets.bundled import rulebook
    from calculators.scenario import from_data

    book = rulebook()
    options = None
    if what_if:
        # the what-if converted once, the way build_options converts a scenario's ``what_if``
        probe = from_data({"platform": {"id": "what-if", "name": "what-if", "jurisdiction": pop.codes[0]},
                           "what_if": dict(what_if)})
        options = build_options(probe, book)
    city_code = next(p.code for p in book.payers.values() if p.level == "city")
    local_codes = [book.jurisdictions[c].payer for c in pop.codes]
    setup = clock() - t0

    res = Results.empty(pop.claims)
    build_s = eval_s = 0.0
    pos = 0
    statuses: dict[str, int] = {}
    report_every = max(1, pop.n // 10)
    for i in range(pop.n):
        data = pop.scenario_data(i)
        t1 = clock()
        scenario = from_data(data)
        t2 = clock()
        evaluation = evaluate(scenario, book, options)
        t3 = clock()
        build_s += t2 - t1
        eval_s += t3 - t2
        expected = [c["id"] for c in data["claims"]]
        got = [r.claim_id for r in evaluation.results]
        if got != expected:
            raise AssertionError(f"{pop.platform_id(i)}: results in order {got}, expected {expected}")
        local_code = local_codes[pop.jurisdiction[i]]
        for r in evaluation.results:
            statuses[r.status] = statuses.get(r.status, 0) + 1
            res.eligible[pos] = r.status != "ineligible"
            res.gross[pos], res.entitled[pos], res.payable[pos] = r.gross, r.entitled, r.payable
            for share in r.shares:
                if share.payer == city_code and res.city[pos] == -1:
                    res.city[pos] = share.amount
                elif share.payer == local_code and res.local[pos] == -1:
                    res.local[pos] = share.amount
                else:
                    raise AssertionError(f"{r.claim_id}: unexpected share {share}")
            pos += 1
        if (i + 1) % report_every == 0:
            say(f"  ours: {i + 1:,}/{pop.n:,} platforms, {pos:,} claims, {eval_s:.1f}s in evaluate")
    assert pos == pop.claims
    return {"setup_s": setup, "inputs_s": build_s, "compute_s": eval_s, "statuses": statuses}, res


# ------------------------------------------------------------------ our batch engine

def what_if_options(pop: Population, what_if: dict[str, str] | None, book: Any) -> Any:
    """The what-if as :class:`~calculators.rulesets.model.Options`, converted once the way ``build_options``
    converts a scenario's ``what_if`` (``None`` without a what-if)."""
    from calculators.engine import build_options
    from calculators.scenario import from_data

    if not what_if:
        return None
    probe = from_data({"platform": {"id": "what-if", "name": "what-if", "jurisdiction": pop.codes[0]},
                       "what_if": dict(what_if)})
    return build_options(probe, book)


def batch_columns(pop: Population, book: Any) -> Any:
    """The population as :class:`calculators.batch.PlatformColumns`, straight from its arrays; a platform's
    scenario (for a fallback or a trace) is built on demand from :meth:`Population.scenario_data`."""
    from bench.population import INVESTMENT_YEARS, NO_RECORD
    from calculators.batch import PlatformColumns
    from calculators.batch_columns import MAX_WINDOW
    from calculators.scenario import from_data

    n = pop.n
    first_year = min(INVESTMENT_YEARS[0], CLAIM_YEARS[0] - MAX_WINDOW - 1)
    width = max(INVESTMENT_YEARS[-1], CLAIM_YEARS[-1]) - first_year + 1
    investment = np.full((n, width), NO_RECORD, np.int64)
    lo = INVESTMENT_YEARS[0] - first_year
    investment[:, lo:lo + len(INVESTMENT_YEARS)] = pop.investment
    rows, cols = pop.claim_index()
    ids = np.array([f"P{i:06d}" for i in range(n)], dtype=object)
    years = np.array([f"-{y}" for y in CLAIM_YEARS], dtype=object)
    never = np.full(n, np.datetime64("NaT", "D"))
    return PlatformColumns(
        platform_ids=ids, jurisdiction=np.array(pop.codes, dtype=object)[pop.jurisdiction],
        leader_type=np.full(n, "enterprise", dtype=object), support_from=never,
        provincial_from=pop.provincial.astype("datetime64[D]"), national_from=pop.national.astype("datetime64[D]"),
        municipal_from=never, pool_provincial_from=never, pool_national_from=never,
        first_year=first_year, investment=investment, investment_vat=np.zeros_like(investment),
        claim_platform=rows.astype(np.int64), claim_id=ids[rows] + years[cols],
        claim_program=np.full(rows.size, "equipment-subsidy", dtype=object),
        claim_date=pop.claim_date[rows, cols].astype("datetime64[D]"), fallback=np.full(n, "", dtype=object),
        scenario=lambda i: from_data(pop.scenario_data(i)),
    )


def run_batch(pop: Population, what_if: dict[str, str] | None, clock: Callable[[], float] = time.perf_counter
              ) -> tuple[dict[str, Any], Results]:
    """Our batch engine on the whole population: setup (imports, rule book, options), inputs (the columns
    from the population's arrays), compute (``evaluate_population``)."""
    t0 = clock()
    from calculators.batch import evaluate_population
    from calculators.rulesets.bundled import rulebook

    book = rulebook()
    options = what_if_options(pop, what_if, book)
    t1 = clock()
    columns = batch_columns(pop, book)
    t2 = clock()
    out = evaluate_population(columns, book, options)
    t3 = clock()
    if out.claims != pop.claims or out.refused or out.outside_int64:
        raise AssertionError(f"batch: {out.claims} rows for {pop.claims} claims, refused {list(out.refused)[:5]}")
    res = Results(out.eligible, out.gross, out.entitled, out.payable, out.city.copy(), out.local.copy())
    statuses = dict(zip(*np.unique(out.statuses().astype(str), return_counts=True), strict=True))
    return {"setup_s": t1 - t0, "inputs_s": t2 - t1, "compute_s": t3 - t2, "fallbacks": out.fallbacks,
            "statuses": {str(k): int(v) for k, v in statuses.items()}}, res


# ------------------------------------------------------------------ OpenFisca

def run_openfisca(pop: Population, what_if: dict[str, str] | None, *, per_platform: bool = False,
                  clock: Callable[[], float] = time.perf_counter) -> tuple[dict[str, Any], Results]:
    """The whole population as one vectorised simulation, or (``per_platform``) one simulation per
    platform, the way our engine is called (one scenario at a time)."""
    t0 = clock()
    from bench import openfisca_equipment as ofe
    from calculators.rulesets.bundled import rulebook

    book = rulebook()
    tbs = ofe.tax_benefit_system(book)
    if what_if:
        tbs = ofe.what_if_reform(tbs, what_if, book)
    setup = clock() - t0
    inputs_s = compute_s = 0.0
    parts: list[Results] = []
    for sub in ([pop.rows(i, i + 1) for i in range(pop.n)] if per_platform else [pop]):
        t1 = clock()
        sim = ofe.build_simulation(tbs, sub, book)
        t2 = clock()
        raw = ofe.compute(sim)
        t3 = clock()
        inputs_s += t2 - t1
        compute_s += t3 - t2
        if sim.invalidated_caches:
            raise AssertionError(f"OpenFisca hit its spiral guard: {sim.invalidated_caches}")
        out = ofe.flatten(sub, raw)
        parts.append(Results(out.eligible, out.gross, out.entitled, out.payable, out.city, out.local, out.base))
    res = Results(*(np.concatenate([getattr(r, f) for r in parts]) for f in (*FIELDS, "base")))
    return {"setup_s": setup, "inputs_s": inputs_s, "compute_s": compute_s}, res


# ------------------------------------------------------------------ phases

def run_phase(phase: str, pop: Population, what_if: dict[str, str], *, trace_memory: bool,
              per_platform: int = DEFAULT_PER_PLATFORM) -> tuple[dict[str, Any], Results]:
    """One phase on ``pop``; ``openfisca:per-platform`` runs on the first ``per_platform`` platforms."""
    engine, variant = phase.split(":")
    digest = pop.digest()
    start_rss = rss_mib()
    if trace_memory:
        tracemalloc.start()
    try:
        if engine == "ours":
            figures, res = run_ours(pop, what_if if variant == "what-if" else None)
        elif engine == "batch":
            figures, res = run_batch(pop, what_if if variant == "what-if" else None)
        elif variant == "per-platform":
            pop = pop.rows(0, per_platform)
            figures, res = run_openfisca(pop, None, per_platform=True)
        else:
            figures, res = run_openfisca(pop, what_if if variant == "what-if" else None)
        if trace_memory:
            figures["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        if trace_memory:
            tracemalloc.stop()
    figures.update(phase=phase, engine=engine, variant=variant, claims=pop.claims, platforms=pop.n,
                   rss_start_mib=start_rss, peak_rss_mib=peak_rss_mib(), population=digest)
    return figures, res


def save(path: Path, figures: dict[str, Any], res: Results) -> None:
    arrays = {k: v for k, v in asdict(res).items() if v is not None}
    np.savez(path.with_suffix(".npz"), **arrays)
    path.with_suffix(".json").write_text(json.dumps(figures), encoding="utf-8")


def load(path: Path) -> tuple[dict[str, Any], Results]:
    figures = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    with np.load(path.with_suffix(".npz")) as z:
        res = Results(**{k: z[k] for k in z.files})
    return figures, res


def phase_in_child(phase: str, args: argparse.Namespace, what_if: dict[str, str], out: Path) -> tuple[
        dict[str, Any], Results]:
    cmd = [sys.executable, "-m", "bench.rules", "--phase", phase, "--out", str(out),
           "--platforms", str(args.platforms), "--seed", str(args.seed), "--per-platform", str(args.per_platform)]
    for k, v in what_if.items():
        cmd += ["--what-if", f"{k}={v}"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)
    return load(out)


# ------------------------------------------------------------------ comparison and report

def compare(pop: Population, ours: Results, peer: Results, show: int, names: tuple[str, str] = ("ours", "OpenFisca")
            ) -> tuple[int, list[str]]:
    """Claims that differ in any field, and the first ``show`` differences described."""
    differs = np.zeros(pop.claims, bool)
    for f in FIELDS:
        differs |= getattr(ours, f) != getattr(peer, f)
    rows, cols = pop.claim_index()
    lines = []
    for k in np.nonzero(differs)[0][:show]:
        year = CLAIM_YEARS[cols[k]]
        diffs = ", ".join(f"{f}: {names[0]} {getattr(ours, f)[k]} vs {names[1]} {getattr(peer, f)[k]}"
                          for f in FIELDS if getattr(ours, f)[k] != getattr(peer, f)[k])
        lines.append(f"{pop.platform_id(int(rows[k]))}-{year}: {diffs}")
    return int(differs.sum()), lines


def shares_add_up(res: Results) -> int:
    """Eligible claims whose shares do not sum to the payable."""
    city = np.where(res.city < 0, 0, res.city)
    return int((res.eligible & (city + res.local != res.payable)).sum())


def rate_of(variant: str, what_if: dict[str, str]) -> Decimal:
    if variant == "what-if":
        for k, v in what_if.items():
            if k.rpartition(":")[2] == "equipment.rate":
                return Decimal(v)
    from calculators.rulesets.bundled import rulebook
    return Decimal(rulebook().rule_sets["jiaxing-rules-2026"].parameters["equipment.rate"].values[0].value)


def exercise(res: Results, base: np.ndarray | None, rate: Decimal) -> dict[str, int]:
    """What the population exercised under one variant."""
    out = {
        "ineligible": int((~res.eligible).sum()),
        "capped (paid less than gross)": int((res.eligible & (res.entitled < res.gross)).sum()),
        "paid 0 at the cap": int((res.eligible & (res.entitled == 0) & (res.gross > 0)).sum()),
        "payable total, yuan": int(res.payable.sum()) // 100,
    }
    if base is not None:
        num, den = rate.as_integer_ratio()
        out["half-fen ties rounded up"] = int((res.eligible & ((base * num) % den * 2 == den)).sum())
    return out


def fmt_num(x: float, decimals: int = 0) -> str:
    return f"{x:,.{decimals}f}"


VARIANTS = {"default": "openfisca:default", "what-if": "openfisca:what-if", "per-platform": "openfisca:per-platform"}


def table(pop: Population, figures: dict[str, dict[str, Any]], checks: dict[str, dict[str, Any]],
          args: argparse.Namespace, what_if: dict[str, str]) -> str:
    mem = "tracemalloc peak MiB" if args.in_process else "peak RSS MiB"
    lines = [
        f"rules benchmark — equipment subsidy (细则 第四章（一）), {pop.n:,} platforms, {pop.claims:,} platform-years "
        f"(seed {pop.seed}, population {pop.digest()})",
        "what-if: " + ", ".join(f"{k} = {v}" for k, v in what_if.items()),
        ("phases in this process; memory = tracemalloc peak of the phase (timings include its overhead)"
         if args.in_process else
         "each phase in a fresh process; memory = its peak RSS (ru_maxrss), and its RSS when the timed work began"),
        "",
        f"{'phase':<26}{'platforms':>10}{'setup s':>9}{'inputs s':>10}{'compute s':>11}{'platform-years/s':>18}"
        f"{'end-to-end py/s':>17}{mem:>22}{'RSS at start MiB':>18}",
    ]
    for f in figures.values():
        name = {"ours": "ours", "batch": "ours, batch"}.get(f["engine"], "OpenFisca") + f" ({f['variant']})"
        memory = f["tracemalloc_peak_mib"] if args.in_process else f["peak_rss_mib"]
        lines.append(
            f"{name:<26}{f['platforms']:>10,}{f['setup_s']:>9.2f}{f['inputs_s']:>10.2f}{f['compute_s']:>11.2f}"
            f"{fmt_num(f['py_per_s']):>18}{fmt_num(f['py_per_s_end_to_end']):>17}{memory:>22.1f}"
            f"{f['rss_start_mib']:>18.1f}")
    lines.append("")
    for variant, c in checks.items():
        against = ("ours (default) vs OpenFisca one simulation per platform" if variant == "per-platform"
                   else f"ours vs OpenFisca ({variant})")
        faster = (f"OpenFisca {1 / c['ratio_compute']:,.1f}× faster" if c["ratio_compute"] < 1
                  else f"ours {c['ratio_compute']:,.1f}× faster")
        lines.append(f"{f'ratio ours/OpenFisca, platform-years/s, compute ({variant})':<66}{c['ratio_compute']:.4f}×"
                     f"   ({faster}; {against})")
        lines.append(f"{f'ratio ours/OpenFisca, platform-years/s, end-to-end ({variant})':<66}"
                     f"{c['ratio_end_to_end']:.4f}×")
    lines.append("")
    for variant, c in checks.items():
        verdict = "EXACT" if c["mismatches"] == 0 else "MISMATCH"
        lines.append(f"{f'claims equal to the fen ({variant})':<40}{c['claims'] - c['mismatches']:,} of {c['claims']:,} "
                     f"{verdict} (eligible, gross, entitled, payable, city share, local share)")
        if c["shares_not_adding_up"]:
            lines.append(f"  shares not adding up to the payable ({variant}): {c['shares_not_adding_up']}")
        for line in c["first_mismatches"]:
            lines.append(f"  {line}")
    lines.append("")
    summary = pop.summary()
    lines.append("population: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in summary.items()))
    for variant in ("default", "what-if"):
        lines.append(f"exercised ({variant}): " + ", ".join(f"{k} {v:,}" for k, v in checks[variant]["exercised"].items()))
    statuses = figures["ours:default"].get("statuses", {})
    lines.append("our statuses (default): " + ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items())))
    return "\n".join(lines)


def batch_checks(pop: Population, figures: dict[str, dict[str, Any]], results: dict[str, Results], show: int
                 ) -> dict[str, dict[str, Any]]:
    """The batch engine against our per-claim engine and OpenFisca, claim by claim, and its speed ratios."""
    out: dict[str, dict[str, Any]] = {}
    for variant in ("default", "what-if"):
        phase = f"batch:{variant}"
        if phase not in results:
            continue
        fb = figures[phase]
        entry: dict[str, Any] = {"py_per_s": fb["py_per_s"], "fallbacks": fb.get("fallbacks", {}), "against": {}}
        for peer_phase, name in ((f"ours:{variant}", "per-claim"), (f"openfisca:{variant}", "OpenFisca")):
            if peer_phase not in results:
                continue
            n_bad, first = compare(pop, results[phase], results[peer_phase], show, ("batch", name))
            fp = figures[peer_phase]
            entry["against"][name] = {
                "claims": pop.claims, "mismatches": n_bad, "first_mismatches": first,
                "ratio_compute": fb["py_per_s"] / fp["py_per_s"],
                "ratio_end_to_end": fb["py_per_s_end_to_end"] / fp["py_per_s_end_to_end"],
            }
        entry["shares_not_adding_up"] = shares_add_up(results[phase])
        out[variant] = entry
    return out


def batch_table(batch: dict[str, dict[str, Any]]) -> str:
    lines = ["", "batch engine (calculators.batch, int64 fen arrays), in the same run:"]
    for variant, b in batch.items():
        for name, c in b["against"].items():
            verdict = "EXACT" if c["mismatches"] == 0 else "MISMATCH"
            lines.append(f"  {variant:<8} vs {name:<10} claims equal to the fen {c['claims'] - c['mismatches']:,} of "
                         f"{c['claims']:,} {verdict}; platform-years/s ratio batch/{name} {c['ratio_compute']:,.2f}× "
                         f"compute, {c['ratio_end_to_end']:,.2f}× end-to-end")
            lines.extend(f"    {line}" for line in c["first_mismatches"])
        fallbacks = ", ".join(f"{k}: {v:,}" for k, v in b["fallbacks"].items()) or "none"
        lines.append(f"  {variant:<8} platforms left to the per-claim engine: {fallbacks}; "
                     f"shares not adding up: {b['shares_not_adding_up']}")
    return "\n".join(lines)


def profile(n: int, seed: int, top: int) -> None:
    import cProfile
    import pstats

    pop = generate(n, seed)
    run_ours(pop, None)  # warm the imports and the rule book
    prof = cProfile.Profile()
    prof.enable()
    run_ours(pop, None)
    prof.disable()
    stats = pstats.Stats(prof, stream=sys.stdout)
    print(f"cProfile of our engine, default rule set, {n:,} platforms, {pop.claims:,} claims")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def parse_what_if(items: list[str] | None) -> dict[str, str]:
    if not items:
        return dict(DEFAULT_WHAT_IF)
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--what-if takes KEY=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    for key in out:
        if key.rpartition(":")[2] not in WHAT_IF_KEYS:
            raise SystemExit(f"--what-if {key}: the OpenFisca peer models only {', '.join(WHAT_IF_KEYS)}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.rules", description=__doc__.split("\n\n")[0])
    ap.add_argument("--platforms", type=int, default=None, help=f"platforms in the population ({DEFAULT_PLATFORMS:,})")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_PLATFORMS:,} platforms, for a smoke test")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--what-if", action="append", metavar="KEY=VALUE",
                    help="what-if parameter (repeatable); default " + ", ".join(f"{k}={v}" for k, v in DEFAULT_WHAT_IF.items()))
    ap.add_argument("--in-process", action="store_true",
                    help="run the phases in this process (memory by tracemalloc) instead of one process each")
    ap.add_argument("--per-platform", type=int, default=DEFAULT_PER_PLATFORM, metavar="K",
                    help="also run OpenFisca one simulation per platform on the first K platforms, as our engine "
                         f"is called ({DEFAULT_PER_PLATFORM:,}; 0 = skip)")
    ap.add_argument("--show", type=int, default=5, help="mismatches to print")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--profile", type=int, metavar="N", help="only profile our engine on N platforms (cProfile)")
    ap.add_argument("--top", type=int, default=25, help="functions shown by --profile")
    ap.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)  # internal: one phase in a child
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.platforms = args.platforms or (QUICK_PLATFORMS if args.quick else DEFAULT_PLATFORMS)
    args.per_platform = max(0, min(args.per_platform, args.platforms))
    what_if = parse_what_if(args.what_if)

    if args.profile:
        profile(args.profile, args.seed, args.top)
        return 0

    if args.phase:  # child: one phase, results to --out
        pop = generate(args.platforms, args.seed)
        child_figures, res = run_phase(args.phase, pop, what_if, trace_memory=False, per_platform=args.per_platform)
        save(Path(args.out), child_figures, res)
        return 0

    pop = generate(args.platforms, args.seed)
    say(f"population: {pop.n:,} platforms, {pop.claims:,} platform-years ({pop.digest()})")
    load_start = os.getloadavg()[0]
    figures: dict[str, dict[str, Any]] = {}
    results: dict[str, Results] = {}
    phases = [p for p in PHASES if args.per_platform or p != "openfisca:per-platform"]
    with tempfile.TemporaryDirectory(prefix="bench_rules_") as tmp:
        for phase in phases:
            say(f"phase {phase} …")
            if args.in_process:
                f, r = run_phase(phase, pop, what_if, trace_memory=True, per_platform=args.per_platform)
            else:
                f, r = phase_in_child(phase, args, what_if, Path(tmp) / phase.replace(":", "_"))
            if f["population"] != pop.digest():
                raise AssertionError(f"phase {phase} built another population ({f['population']})")
            f["py_per_s"] = f["claims"] / f["compute_s"] if f["compute_s"] else float("inf")
            f["py_per_s_end_to_end"] = f["claims"] / (f["inputs_s"] + f["compute_s"])
            figures[phase], results[phase] = f, r
            say(f"phase {phase}: compute {f['compute_s']:.2f}s, {f['py_per_s']:,.0f} platform-years/s")

    load_end = os.getloadavg()[0]
    checks: dict[str, dict[str, Any]] = {}
    for variant, peer_phase in VARIANTS.items():
        if peer_phase not in results:
            continue
        ours_phase = "ours:default" if variant == "per-platform" else f"ours:{variant}"
        peer, fo, fp = results[peer_phase], figures[ours_phase], figures[peer_phase]
        sub = pop.rows(0, fp["platforms"])
        ours = results[ours_phase].head(sub.claims)
        n_bad, first = compare(sub, ours, peer, args.show)
        checks[variant] = {
            "claims": sub.claims,
            "mismatches": n_bad,
            "first_mismatches": first,
            "shares_not_adding_up": shares_add_up(ours) + shares_add_up(peer),
            "ratio_compute": fo["py_per_s"] / fp["py_per_s"],
            "ratio_end_to_end": fo["py_per_s_end_to_end"] / fp["py_per_s_end_to_end"],
            "exercised": exercise(ours, peer.base, rate_of("default" if variant == "per-platform" else variant,
                                                             what_if)),
        }
    batch = batch_checks(pop, figures, results, args.show)
    print(table(pop, figures, checks, args, what_if))
    print(batch_table(batch))
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; 1-minute load average "
          f"{load_start:.2f} at the start, {load_end:.2f} at the end (above ~1 another process shared the CPUs)")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "date": time.strftime("%Y-%m-%d"), "argv": sys.argv if argv is None else ["bench.rules", *argv],
            "what_if": what_if, "population": pop.summary() | {"seed": pop.seed, "digest": pop.digest()},
            "phases": figures, "checks": checks, "batch_checks": batch,
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                        "load_average_start": load_start, "load_average_end": load_end},
        }, ensure_ascii=False, indent=2), encoding="utf-8")
    ok = all(c["mismatches"] == 0 and c["shares_not_adding_up"] == 0 for c in checks.values()) and all(
        c["mismatches"] == 0 for b in batch.values() for c in b["against"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
