"""The three reads of ``bench.service`` in process: statements and CPU per read, no HTTP.

    python -m bench.reads                    # PostgreSQL (BENCH_PG_URL or the local server)
    python -m bench.reads --engine sqlite

Seeds a fresh database with ``bench.service.seed`` (12 platforms × 3 claims by default), then calls
``app.actions`` as the API routes do — the claim page, the platform page, a page of the claim list —
each followed by its response model's JSON, ``--reads`` times per kind after one warm-up pass (the
cap-position cache warm, as under a read load), and prints per read: the statements the database saw
(a ``before_cursor_execute`` listener; the route's token lookup, one more statement, is not included:
the principal is given), this process's CPU time and the median wall time. The CPU column is the one to
compare across runs on a shared machine; the wall time includes waiting for PostgreSQL and for the cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from bench.service import DEFAULT_PG, TODAY, fresh_database, seed


def measure(url: str, *, platforms: int = 12, claims_per_platform: int = 3, reads: int = 300
            ) -> dict[str, dict[str, float]]:
    """Seed ``url`` and measure each read kind: {kind: {"statements", "cpu_ms", "wall_ms"}} per read."""
    from app import actions as do
    from app import responses as Out
    from app.main import prepare_database
    from app.permissions import Principal
    from ledger import services as S

    with S.as_of(TODAY):
        seeded = seed(url, platforms=platforms, claims_per_platform=claims_per_platform, writers=0,
                      writer_platforms=0)
    factory = prepare_database(url)
    ctx = do.Context(factory, Principal(username="bench-reader", role="city_bureau", jurisdiction=None,
                                        payer=None, display_name="bench-reader"))
    kinds: dict[str, tuple[list[Any], Callable[[Any], str]]] = {
        "GET /claims/{number}": (seeded.claims, lambda k: Out.ClaimOut.of(do.claim_detail(ctx, k)).model_dump_json()),
        "GET /platforms/{code}": (seeded.platforms,
                                  lambda k: Out.PlatformOut.of(do.platform_detail(ctx, k)).model_dump_json()),
        "GET /claims?page=": ([1], lambda k: Out.ClaimPageOut.of(do.list_claims(ctx, do.Page(k, 50))).model_dump_json()),
    }
    seen: list[str] = []
    engine = factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    out: dict[str, dict[str, float]] = {}
    saved = S.clock
    S.clock = lambda: TODAY
    try:
        for kind, (keys, read) in kinds.items():
            for key in keys:
                read(key)
            seen.clear()
            wall: list[float] = []
            cpu0 = time.process_time()
            while len(wall) < reads:
                for key in keys:
                    t0 = time.perf_counter()
                    read(key)
                    wall.append(time.perf_counter() - t0)
            cpu = time.process_time() - cpu0
            out[kind] = {"statements": len(seen) / len(wall), "cpu_ms": 1000 * cpu / len(wall),
                         "wall_ms": 1000 * statistics.median(wall)}
    finally:
        S.clock = saved
        engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.reads", description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=("sqlite", "postgres"), default="postgres")
    ap.add_argument("--reads", type=int, default=300, help="reads per kind (default 300)")
    ap.add_argument("--pg-url", default=DEFAULT_PG)
    args = ap.parse_args(argv)
    import os

    kind = "sqlite" if args.engine == "sqlite" else "postgresql"
    with fresh_database(kind, os.environ.get("BENCH_PG_URL", args.pg_url)) as url:
        figures = measure(url, reads=args.reads)
    print(f"{'read':<24} {'statements':>10} {'CPU ms':>8} {'wall ms':>8}   ({kind}; load {os.getloadavg()[0]:.1f})")
    for name, f in figures.items():
        print(f"{name:<24} {f['statements']:>10.1f} {f['cpu_ms']:>8.2f} {f['wall_ms']:>8.2f}")
    print("statements: per read, without the route's token lookup (one more)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
