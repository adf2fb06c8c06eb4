"""The service as the benchmark serves it: ``subsidy serve`` whose "today" is the benchmark's own day.

The benchmark's world files one equipment claim per platform and year, 2026 … 2037 (``bench.service``:
``FIRST_YEAR``, ``MAX_CLAIM_YEARS``), so its steps are dated up to 2037 — valid under a clock that reads
the world's last day, not under the calendar (the date rule, docs/rules.md §2a: no step after the day it
is recorded). The product has no switch for this: ``subsidy serve`` always takes the calendar day. Only
this benchmark-only module sets ``ledger.services.clock``, in every worker, to the day passed in
``BENCH_SERVICE_TODAY`` by :func:`bench.service.running_server`; the rule itself is unchanged.

    BENCH_SERVICE_TODAY=2037-12-31 python -m bench.clocked --port 8000 --workers 2
"""

from __future__ import annotations

import argparse
import os
from datetime import date
from typing import Any

ENV = "BENCH_SERVICE_TODAY"


def today() -> date:
    """The benchmark's day, from the environment (set by the benchmark; required)."""
    return date.fromisoformat(os.environ[ENV])


def create_app() -> Any:
    """``app.main.create_app`` with the ledger's clock set to the benchmark's day (uvicorn's factory)."""
    from app.main import create_app as create
    from ledger import services as S

    day = today()
    S.clock = lambda: day
    return create()


def main(argv: list[str] | None = None) -> None:
    """``subsidy serve`` (same database preparation, keep-alive and multi-worker socket option), clocked."""
    import uvicorn

    from app.cli import KEEP_ALIVE_SECONDS, _listen_without_nagle
    from app.main import prepare_database

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args(argv)
    today()  # refuse to start without the day
    prepare_database()
    if args.workers > 1:
        _listen_without_nagle()
        uvicorn.run("bench.clocked:create_app", factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_level="warning", timeout_keep_alive=KEEP_ALIVE_SECONDS)
    else:
        uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info",
                    timeout_keep_alive=KEEP_ALIVE_SECONDS)


if __name__ == "__main__":
    main()
