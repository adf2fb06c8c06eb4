"""Service benchmark: the running service (``subsidy serve``, uvicorn) under concurrent HTTP clients.

    python -m bench.service --engine both --duration 20 --json /tmp/bench-service.json
    python -m bench.service --quick                     # a few seconds, SQLite only

For each engine, in a fresh database (a SQLite file in a temporary directory; a PostgreSQL database
``bench_service_<random>`` created on the server and dropped afterwards):

1. seed it through ``ledger.services``: platforms across every jurisdiction, each with its pool entry and
   provincial recognition and a run of yearly equipment-subsidy claims (one transaction per platform);
   separate platforms for the filing scenario, several per filing client; users (one ``city_bureau``
   reader, one ``district_econ`` filer per jurisdiction) with random passwords;
2. start ``subsidy serve --workers W`` on a free local port as a child process (``DATABASE_URL`` set to
   the benchmark database; through ``bench.clocked``, whose "today" is the benchmark's own day ``TODAY``,
   2037-12-31, since its claims run to 2037 and no step may be dated after today) and wait for
   ``GET /api/v1/ping``;
3. every client signs in once (``POST /api/v1/auth/token``) and then sends its requests back to back
   (closed loop, asyncio + one ``httpx.AsyncClient`` — one keep-alive connection — per client), after a
   short unmeasured warm-up:

   (a) reads at ``--concurrency`` clients, in turn: a random page of ``GET /api/v1/claims``, a random
       ``GET /api/v1/claims/{number}``, a random ``GET /api/v1/platforms/{code}``; once back to back
       (closed loop: the saturation throughput, where latency is queueing behind 49 other clients),
       then for each ``--think`` time with every client pausing a random think time (exponential,
       that mean) before each request, as officials at their screens do (interactive clients: the
       offered load is about clients / (think + latency) requests a second);
   (b) claim filing at ``--write-concurrency`` clients: ``POST /api/v1/claims``, each client on its own
       platforms (so caps and investment years never collide), round robin over them, one claim year
       after another, a fresh ``Idempotency-Key`` on every request;
   (c) the ceiling: ``GET /api/v1/ping`` (no database, no sign-in) at ``--concurrency`` clients on the
       same server; reads throughput / ping throughput is printed.

Any response that is not 2xx, and any transport error, counts as an error; the first few are printed
with their bodies. With ``--workers`` above 1, uvicorn (0.54) leaves Nagle's algorithm on for every
connection and each keep-alive response waits ~40 ms for the client's delayed ACK; ``subsidy serve``
works around it (``app.cli._listen_without_nagle``; the first figures in docs/benchmarks.md predate
that and came with an opt-in flag of this benchmark, since removed). Latency is measured in
the client, from sending the request to having read the whole response; the clients run in this one
process on the same machine as the server, so they take CPU from it (the table shows how much).

Progress goes to stderr; the table to stdout (``--json PATH`` also writes the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform as _platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from calculators.formats import yuan
from ledger import services as S

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PROGRAM = "equipment-subsidy"
FIRST_YEAR = 2026  # recognition 2026-02-10; the first claim is filed in 2026 on 2023–2025 investment
MAX_CLAIM_YEARS = 12  # one equipment claim per platform and year: 2026 … 2037
TODAY = date(FIRST_YEAR + MAX_CLAIM_YEARS - 1, 12, 31)
"""The benchmark's own "today" (经办流程: no step dated after it): the last day of its world, so that every
claim year is valid. The seed records as of this day and the server is told it (``bench.clocked``)."""
SHOWN_ERRORS = 5


def say(msg: str) -> None:
    print(f"[bench.service {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- databases

def fresh_database(kind: str, pg_admin: str) -> AbstractContextManager[str]:
    """A new empty database on ``kind`` ("sqlite" | "postgresql"), removed afterwards (bench.ledger's)."""
    from bench.ledger import fresh_database as fresh

    return fresh(kind, pg_admin, "service")


# ---------------------------------------------------------------- seeding

@dataclass
class Seed:
    """What the clients need to know about the seeded database."""

    claims: list[str]
    platforms: list[str]
    reader: tuple[str, str]  # username, password
    filers: dict[str, tuple[str, str]]  # jurisdiction → (username, password)
    writer_platforms: list[tuple[str, list[str]]]  # per filing client: jurisdiction, its platform codes
    seconds: float = 0.0


def claim_invoices(issuer: str, k: int) -> list[S.InvoiceIn]:
    """The invoices of a platform's k-th yearly claim (filed in FIRST_YEAR + k)."""
    year = FIRST_YEAR - 1 + k
    return [S.InvoiceIn(issuer, f"{k:02d}01", date(year, 5, 10), 400_000_00, 52_000_00),
            S.InvoiceIn(issuer, f"{k:02d}02", date(year, 9, 20), 250_000_00, 32_500_00)]


def _new_platform(s: Any, code: str, jurisdiction: str) -> None:
    S.create_platform(s, code=code, name=f"嘉兴中试平台{code}", jurisdiction=jurisdiction, operator=f"{code} 有限公司")
    S.add_platform_event(s, code, kind="pool-entry", on=date(2025, 3, 1), document_number="嘉经信〔2025〕12号")
    S.add_platform_event(s, code, kind="recognition", on=date(2026, 2, 10), level="provincial",
                         document_number="浙经信〔2026〕8号")


def seed(url: str, *, platforms: int, claims_per_platform: int, writers: int, writer_platforms: int) -> Seed:
    from app.main import prepare_database
    from app.security import create_user
    from ledger.models import Jurisdiction

    start = time.perf_counter()
    factory = prepare_database(url)
    with factory() as s:
        jurisdictions = sorted(s.execute(select(Jurisdiction.code)).scalars())
    codes: list[str] = []
    numbers: list[str] = []
    for i in range(platforms):
        code = f"R{i:05d}"
        with factory.begin() as s, S.as_of(TODAY):
            _new_platform(s, code, jurisdictions[i % len(jurisdictions)])
            for k in range(claims_per_platform):
                out = S.file_claim(s, platform_code=code, program=PROGRAM,
                                   application_date=date(FIRST_YEAR + k, 3, 2),
                                   invoices=claim_invoices(f"91330R{i:05d}", k), actor="bench-seed")
                numbers.append(out.claim)
        codes.append(code)
        if (i + 1) % 100 == 0:
            say(f"  seeded {i + 1}/{platforms} platforms, {len(numbers)} claims")
    plan: list[tuple[str, list[str]]] = []
    with factory.begin() as s:
        for w in range(writers):
            jur = jurisdictions[w % len(jurisdictions)]
            own = [f"W{w:03d}-{j:04d}" for j in range(writer_platforms)]
            for code in own:
                _new_platform(s, code, jur)
            plan.append((jur, own))
    reader = ("bench-reader", secrets.token_urlsafe(18))
    filers = {j: (f"bench-econ-{j}", secrets.token_urlsafe(18)) for j in sorted({j for j, _ in plan})}
    with factory.begin() as s:
        create_user(s, username=reader[0], password=reader[1], role="city_bureau")
        for j, (name, password) in filers.items():
            create_user(s, username=name, password=password, role="district_econ", jurisdiction=j)
    factory.kw["bind"].dispose()
    return Seed(numbers, codes, reader, filers, plan, time.perf_counter() - start)


# ---------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(url: str, workers: int, log_path: Path) -> Iterator[str]:
    """``subsidy serve`` on ``url`` as a child process, its today the benchmark's (``bench.clocked``); yields
    its base URL; stopped afterwards."""
    from bench.clocked import ENV

    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1", ENV: TODAY.isoformat()}
    serve = ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    cmd = [sys.executable, "-m", "bench.clocked", *serve]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited ({proc.returncode}):\n{log_path.read_text(errors='replace')}")
            try:
                if httpx.get(f"{base}/api/v1/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer in 90 s:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.2)
        yield base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # its own session: the server and its workers only
                proc.wait(timeout=10)


# ---------------------------------------------------------------- load

@dataclass
class Stats:
    """One scenario's (or one request kind's) measurements."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    client_cpu: float = 0.0  # CPU seconds of this (client) process per second of the window
    load: float = 0.0  # the machine's 1-minute load average at the end of the window

    def add(self, seconds: float, status: int | None, body: str, what: str) -> None:
        self.latencies.append(seconds)
        self.statuses[str(status) if status is not None else "transport"] += 1
        if status is None or not 200 <= status < 300:
            self.errors += 1
            if len(self.samples) < SHOWN_ERRORS:
                self.samples.append(f"{what} → {status if status is not None else 'transport error'}: "
                                    f"{body[:400]}")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0–100) of ``values``; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


class Exhausted(Exception):
    """A client has nothing left to send (a filing client whose platforms have a claim in every year)."""


Request = Callable[[httpx.AsyncClient, int], Awaitable[tuple[str, httpx.Response]]]


async def _token(client: httpx.AsyncClient, username: str, password: str) -> str:
    r = await client.post("/api/v1/auth/token", json={"username": username, "password": password})
    if r.status_code != 200:
        raise RuntimeError(f"sign-in of {username} failed: {r.status_code} {r.text[:300]}")
    return str(r.json()["access_token"])


async def _drive(base: str, clients: int, warmup: float, duration: float,
                 make: Callable[[int], tuple[tuple[str, str] | None, Request]],
                 think: float = 0.0) -> tuple[dict[str, Stats], float]:
    """Run ``clients`` clients; ``make(k)`` gives client k its credentials and request maker.

    With ``think`` 0 each client sends its next request as soon as it has the last response (closed
    loop: the saturation throughput). With ``think`` > 0 each client first waits a random think time
    (exponential, mean ``think`` seconds), as a person at a screen does between clicks; the load offered
    is then about ``clients / (think + latency)`` requests a second.

    Returns stats per request kind (plus ``*`` for all) for requests that completed inside the measured
    window, and the measured seconds."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    timeout = httpx.Timeout(60.0)
    sessions = [httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) for _ in range(clients)]
    plans = [make(k) for k in range(clients)]
    try:
        # sign in once per client (a few at a time: Argon2 is deliberately slow)
        gate = asyncio.Semaphore(4)

        async def sign_in(k: int) -> None:
            creds = plans[k][0]
            if creds is not None:
                async with gate:
                    sessions[k].headers["Authorization"] = f"Bearer {await _token(sessions[k], *creds)}"

        await asyncio.gather(*(sign_in(k) for k in range(clients)))
        stats: dict[str, Stats] = {"*": Stats()}
        loop = asyncio.get_running_loop()
        t_start = loop.time() + warmup
        t_end = t_start + duration
        stop = False

        async def client(k: int) -> None:
            n = 0
            request = plans[k][1]
            pause = random.Random(7000 + k)
            while not stop:
                if think > 0:
                    await asyncio.sleep(min(pause.expovariate(1 / think), max(0.0, t_end - loop.time())))
                    if stop or loop.time() >= t_end:
                        return
                t0 = loop.time()
                what = "?"
                try:
                    what, response = await request(sessions[k], n)
                    status: int | None = response.status_code
                    body = response.text if not 200 <= response.status_code < 300 else ""
                except Exhausted:
                    return
                except httpx.HTTPError as exc:
                    status, body = None, repr(exc)
                t1 = loop.time()
                n += 1
                if t0 >= t_start and t1 <= t_end:
                    for key in ("*", what):
                        stats.setdefault(key, Stats()).add(t1 - t0, status, body, what)
                if t1 >= t_end:
                    return

        tasks = [asyncio.create_task(client(k)) for k in range(clients)]
        await asyncio.sleep(max(0.0, t_start - loop.time()))
        cpu0 = time.process_time()
        await asyncio.sleep(max(0.0, t_end - loop.time()))
        stats["*"].client_cpu = (time.process_time() - cpu0) / duration
        stats["*"].load = os.getloadavg()[0]
        stop = True
        await asyncio.gather(*tasks)
        return stats, duration
    finally:
        await asyncio.gather(*(s.aclose() for s in sessions))


def reads_plan(seed: Seed, page_size: int) -> Callable[[int], tuple[tuple[str, str] | None, Request]]:
    pages = max(1, math.ceil(len(seed.claims) / page_size))

    def make(k: int) -> tuple[tuple[str, str] | None, Request]:
        rng = random.Random(1000 + k)

        async def request(client: httpx.AsyncClient, n: int) -> tuple[str, httpx.Response]:
            kind = (n + k) % 3
            if kind == 0:
                return "GET /claims?page=", await client.get(
                    "/api/v1/claims", params={"page": rng.randint(1, pages), "page_size": page_size})
            if kind == 1:
                return "GET /claims/{number}", await client.get(f"/api/v1/claims/{rng.choice(seed.claims)}")
            return "GET /platforms/{code}", await client.get(f"/api/v1/platforms/{rng.choice(seed.platforms)}")
        return seed.reader, request
    return make


def ping_plan() -> Callable[[int], tuple[tuple[str, str] | None, Request]]:
    def make(k: int) -> tuple[tuple[str, str] | None, Request]:
        async def request(client: httpx.AsyncClient, n: int) -> tuple[str, httpx.Response]:
            return "GET /ping", await client.get("/api/v1/ping")
        return None, request
    return make


def filing_plan(seed: Seed, used: Counter[int]) -> Callable[[int], tuple[tuple[str, str] | None, Request]]:
    def make(k: int) -> tuple[tuple[str, str] | None, Request]:
        jurisdiction, own = seed.writer_platforms[k]

        async def request(client: httpx.AsyncClient, n: int) -> tuple[str, httpx.Response]:
            year_index, which = divmod(n, len(own))
            if year_index >= MAX_CLAIM_YEARS:
                raise Exhausted  # this client's platforms have a claim in every year: it stops
            used[k] = n + 1
            code = own[which]
            body = {
                "platform": code, "program": PROGRAM,
                "application_date": date(FIRST_YEAR + year_index, 3, 2).isoformat(),
                "invoices": [{"issuer_code": inv.issuer_code, "number": inv.number, "date": inv.date.isoformat(),
                              "net": yuan(inv.net_fen), "vat": yuan(inv.vat_fen)}
                             for inv in claim_invoices(f"91330{code}", year_index)],
            }
            return "POST /claims", await client.post("/api/v1/claims", json=body,
                                                     headers={"Idempotency-Key": uuid.uuid4().hex})
        return seed.filers[jurisdiction], request
    return make


# ---------------------------------------------------------------- one engine

@dataclass
class Options:
    engines: list[str]
    duration: float
    warmup: float
    concurrency: int
    write_concurrency: int
    workers: int
    platforms: int
    claims_per_platform: int
    writer_platforms: int
    page_size: int
    pg_url: str
    think: list[float] = field(default_factory=lambda: [0.0])


def row(engine: str, scenario: str, clients: int, st: Stats, seconds: float) -> dict[str, Any]:
    n = len(st.latencies)
    return {"engine": engine, "scenario": scenario, "concurrency": clients, "requests": n,
            "throughput": n / seconds if seconds else 0.0, "p50_ms": 1000 * percentile(st.latencies, 50),
            "p99_ms": 1000 * percentile(st.latencies, 99), "errors": st.errors, "statuses": dict(st.statuses),
            "client_cpu": st.client_cpu, "load_avg": st.load,
            "error_samples": st.samples}


def run_engine(kind: str, opts: Options) -> dict[str, Any]:
    engine = "sqlite" if kind == "sqlite" else "postgresql"
    with fresh_database(kind, opts.pg_url) as url:
        say(f"{engine}: seeding {opts.platforms} platforms × {opts.claims_per_platform} claims, "
            f"{opts.write_concurrency} × {opts.writer_platforms} filing platforms")
        seeded = seed(url, platforms=opts.platforms, claims_per_platform=opts.claims_per_platform,
                      writers=opts.write_concurrency, writer_platforms=opts.writer_platforms)
        say(f"{engine}: seeded {len(seeded.claims)} claims in {seeded.seconds:.1f} s; starting "
            f"subsidy serve --workers {opts.workers}")
        rows: list[dict[str, Any]] = []
        log_dir = Path(tempfile.mkdtemp(prefix="bench_service_log_"))
        try:
            with running_server(url, opts.workers, log_dir / "server.log") as base:
                for think in opts.think:
                    name = "reads" if think == 0 else f"reads, think {think:g} s"
                    say(f"{engine}: (a) {name} at {opts.concurrency} clients for {opts.duration:g} s")
                    stats, secs = asyncio.run(_drive(base, opts.concurrency, opts.warmup, opts.duration,
                                                     reads_plan(seeded, opts.page_size), think=think))
                    rows.append(row(engine, name, opts.concurrency, stats.pop("*"), secs))
                    rows += [row(engine, f"  {what}", opts.concurrency, st, secs)
                             for what, st in sorted(stats.items())]
                say(f"{engine}: (c) ping at {opts.concurrency} clients for {opts.duration:g} s")
                stats, secs = asyncio.run(_drive(base, opts.concurrency, opts.warmup, opts.duration, ping_plan()))
                rows.append(row(engine, "ping (ceiling)", opts.concurrency, stats["*"], secs))
                say(f"{engine}: (b) claim filing at {opts.write_concurrency} clients for {opts.duration:g} s")
                used: Counter[int] = Counter()
                stats, secs = asyncio.run(_drive(base, opts.write_concurrency, 0.0, opts.duration,
                                                 filing_plan(seeded, used)))
                rows.insert(len(rows) - 1, row(engine, "claim filing", opts.write_concurrency, stats["*"], secs))
                capacity = opts.writer_platforms * MAX_CLAIM_YEARS
                exhausted = sum(1 for k in range(opts.write_concurrency) if used[k] >= capacity)
        finally:
            shutil.rmtree(log_dir, ignore_errors=True)
    reads = next(r for r in rows if r["scenario"].startswith("reads"))
    ping = next(r for r in rows if r["scenario"] == "ping (ceiling)")
    return {"engine": engine, "rows": rows, "seed": {"platforms": len(seeded.platforms), "claims": len(seeded.claims),
                                                     "seconds": seeded.seconds},
            "reads_scenario": reads["scenario"],
            "reads_over_ping": reads["throughput"] / ping["throughput"] if ping["throughput"] else 0.0,
            "filing_clients_exhausted": exhausted}


# ---------------------------------------------------------------- output

def print_table(results: list[dict[str, Any]], opts: Options) -> None:
    head = (f"{'engine':<11} {'scenario':<24} {'conc':>5} {'requests':>9} {'req/s':>9} {'p50 ms':>8} "
            f"{'p99 ms':>8} {'errors':>7} {'client CPU':>10} {'load':>5}")
    print(f"service benchmark: subsidy serve --workers {opts.workers}, {opts.duration:g} s per scenario "
          f"(after {opts.warmup:g} s warm-up for the reads and ping), clients in one process; "
          "'think' = mean pause before each request, none = closed loop")
    print(head)
    print("-" * len(head))
    for res in results:
        for r in res["rows"]:
            print(f"{r['engine']:<11} {r['scenario']:<24} {r['concurrency']:>5} {r['requests']:>9,} "
                  f"{r['throughput']:>9,.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['errors']:>7}"
                  + (f" {100 * r['client_cpu']:>9.0f}% {r['load_avg']:>5.1f}" if not r["scenario"].startswith("  ")
                     else ""))
    print()
    for res in results:
        seeded = res["seed"]
        print(f"{res['engine']}: ratio {res['reads_scenario']} / ping throughput {res['reads_over_ping']:.2f} "
              f"(seeded {seeded['platforms']} platforms, {seeded['claims']:,} claims in {seeded['seconds']:.1f} s)")
        if res["filing_clients_exhausted"]:
            print(f"{res['engine']}: {res['filing_clients_exhausted']} filing client(s) ran out of platform years "
                  "before the end (raise --writer-platforms)")
        for r in res["rows"]:
            if r["errors"] and not r["scenario"].startswith("  "):
                print(f"{res['engine']} {r['scenario']}: {r['errors']} error(s), statuses {r['statuses']}")
                for sample in r["error_samples"]:
                    print(f"    {sample}")
    errors = sum(r["errors"] for res in results for r in res["rows"] if not r["scenario"].startswith("  "))
    print(f"errors (non-2xx or transport) in all: {errors}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.service", description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--duration", type=float, default=None, help="measured seconds per scenario (default 20)")
    ap.add_argument("--warmup", type=float, default=None, help="unmeasured seconds before reads and ping (default 2)")
    ap.add_argument("--concurrency", type=int, default=None, help="clients for reads and ping (default 50)")
    ap.add_argument("--write-concurrency", type=int, default=None, help="clients filing claims (default 16)")
    ap.add_argument("--workers", type=int, default=None, help="uvicorn worker processes (default 2)")
    ap.add_argument("--platforms", type=int, default=None, help="seeded platforms with claims (default 400)")
    ap.add_argument("--claims-per-platform", type=int, default=None, help="yearly claims each (default 5)")
    ap.add_argument("--writer-platforms", type=int, default=None,
                    help="platforms per filing client; each takes 12 yearly claims (default 2 + duration × 1.5)")
    ap.add_argument("--think", default=None,
                    help="reads: mean think time(s) in seconds between a client's requests, comma-separated; "
                         "0 = closed loop, back to back (default 0,1,0.5,0.25)")
    ap.add_argument("--page-size", type=int, default=50, help="page size of the claim list (default 50)")
    ap.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG),
                    help="PostgreSQL server (a database on it is created and dropped)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    ap.add_argument("--quick", action="store_true", help="tiny: a few seconds, for the smoke test")
    args = ap.parse_args(argv)

    q = args.quick

    def pick(value: Any, normal: Any, quick: Any) -> Any:
        return value if value is not None else (quick if q else normal)

    duration = float(pick(args.duration, 20.0, 1.0))
    opts = Options(
        engines={"sqlite": ["sqlite"], "postgres": ["postgresql"], "both": ["postgresql", "sqlite"]}[args.engine]
        if not (q and args.engine == "both") else ["sqlite"],
        duration=duration, warmup=float(pick(args.warmup, 2.0, 0.2)),
        concurrency=int(pick(args.concurrency, 50, 4)), write_concurrency=int(pick(args.write_concurrency, 16, 2)),
        workers=int(pick(args.workers, 2, 1)), platforms=int(pick(args.platforms, 400, 8)),
        claims_per_platform=min(MAX_CLAIM_YEARS, int(pick(args.claims_per_platform, 5, 2))),
        writer_platforms=int(pick(args.writer_platforms, 2 + math.ceil(duration * 1.5), 2)),
        page_size=args.page_size, pg_url=args.pg_url,
        think=[float(t) for t in str(pick(args.think, "0,1,0.5,0.25", "0")).split(",")])
    results = [run_engine(kind, opts) for kind in opts.engines]
    print_table(results, opts)
    if args.json:
        args.json.write_text(json.dumps({
            "argv": list(argv) if argv is not None else sys.argv[1:],
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": _platform.platform()},
            "options": opts.__dict__, "results": results}, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
