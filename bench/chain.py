"""Chain verification against its limit (bench.ledger's verify figure).

``journal.verify`` is timed next to the floor any verifier of this chain has to pay, in the same run:
:func:`chain_limit` reads the same rows through the driver's own cursor (a server-side cursor on
PostgreSQL), builds the same canonical JSON bytes with ``ledger.journal``'s own function, hashes them
with SHA-256 and compares — and does nothing else (no numbering, balance, anchor or head checks, no
error messages). Runs alternate ours / limit so that a change of load hits both; medians reported.

:func:`verify_memory` runs ``journal.verify`` once more under ``tracemalloc`` (untimed: tracing slows
it) and reports the peak of Python allocations during the call.
"""

from __future__ import annotations

import hashlib
import statistics
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ledger.accounts import GENESIS_HASH
from ledger.journal import canonical_bytes, verify

ENTRY_SQL = ("SELECT id, entry_date, kind, claim_id, description, reverses_id, actor, prev_hash, hash "
             "FROM journal_entries ORDER BY id")
LEG_SQL = ("SELECT entry_id, account_code, amount_fen, payer_code, platform_id, program, claim_id, fiscal_year "
           "FROM postings ORDER BY entry_id, id")
FETCH = 10_000


def _rows(cursor: Any) -> Iterator[Any]:
    while True:
        chunk = cursor.fetchmany(FETCH)
        if not chunk:
            return
        yield from chunk


def chain_limit(engine: Engine) -> dict[str, Any]:
    """Read every entry and its postings raw, rebuild the canonical bytes, SHA-256, compare: the floor."""
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        assert dbapi is not None
        pg = engine.dialect.name == "postgresql"
        entries = dbapi.cursor(name="bench_limit_entries") if pg else dbapi.cursor()
        legs = dbapi.cursor(name="bench_limit_legs") if pg else dbapi.cursor()
        t0 = time.perf_counter()
        entries.execute(ENTRY_SQL)
        legs.execute(LEG_SQL)
        leg_rows = _rows(legs)
        nxt = next(leg_rows, None)
        prev, n_entries, n_postings, ok = GENESIS_HASH, 0, 0, True
        for e in _rows(entries):
            body: list[list[Any]] = []
            while nxt is not None and nxt[0] == e[0]:
                body.append(list(nxt[1:]))
                nxt = next(leg_rows, None)
            day = e[1] if isinstance(e[1], str) else e[1].isoformat()
            digest = hashlib.sha256(prev.encode() + canonical_bytes(e[0], day, e[2], e[3], e[4], e[5], e[6], body)
                                    ).hexdigest()
            ok = ok and digest == e[8] and e[7] == prev
            prev = digest
            n_entries += 1
            n_postings += len(body)
        seconds = time.perf_counter() - t0
        entries.close()
        legs.close()
        raw.rollback()
    finally:
        raw.close()
    return {"seconds": seconds, "entries": n_entries, "postings": n_postings, "ok": ok}


def timed_verify(factory: sessionmaker[Session]) -> dict[str, Any]:
    t0 = time.perf_counter()
    with factory() as s:
        report = verify(s)
    return {"seconds": time.perf_counter() - t0, "ok": report.ok, "entries": report.entries,
            "postings": report.postings, "problem": report.problem}


def verify_memory(factory: sessionmaker[Session]) -> dict[str, Any]:
    """Peak Python allocations (tracemalloc) during one ``journal.verify`` of the whole chain."""
    with factory() as s:
        s.connection()  # connect before tracing: the pool and the driver's first allocations are not verify's
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            report = verify(s)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return {"peak_mib": (peak - base) / 2**20, "ok": report.ok, "postings": report.postings}


def compare(engine: Engine, factory: sessionmaker[Session], runs: int) -> dict[str, Any]:
    """``runs`` of ours and of the limit, alternating; medians, their ratio, and verify's memory peak."""
    ours, limit = [], []
    for _ in range(runs):
        ours.append(timed_verify(factory))
        limit.append(chain_limit(engine))
    o = statistics.median(r["seconds"] for r in ours)
    lim = statistics.median(r["seconds"] for r in limit)
    return {"seconds": o, "seconds_all": [r["seconds"] for r in ours], "ok": all(r["ok"] for r in ours),
            "entries": ours[0]["entries"], "postings": ours[0]["postings"], "problem": ours[0]["problem"],
            "limit_seconds": lim, "limit_seconds_all": [r["seconds"] for r in limit],
            "limit_ok": all(r["ok"] for r in limit), "ratio": o / lim, "runs": runs,
            "memory": verify_memory(factory)}
