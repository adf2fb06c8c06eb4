"""Ledger benchmark: SQLite and PostgreSQL side by side, and python-accounting on the same engines.

    python -m bench.ledger --engine both --postings 1000000 --json /tmp/bench-ledger.json
    python -m bench.ledger --quick                      # a few seconds, SQLite only
    python -m bench.ledger --only-verify --keep v1m --postings 1000000   # verify vs its limit; history kept
    python -m bench.ledger --try-index "postings(account_code, entry_id, amount_fen)"   # an index's effect
    python -m bench.ledger --life-only --engine both --claims 40   # (a) only, against its ceiling

For each engine, in a fresh database (a SQLite file in a temporary directory; a PostgreSQL database
``bench_<random>`` created on the server and dropped afterwards):

(a) claims taken through the whole life by ``ledger.services``, one transaction per step: file → district
    economic review → district finance review → audit → approval → public notice → fund issue → two
    payments; claims per second, and again (a') once the journal holds N postings; what one claim life sends
    (statements, from a ``before_cursor_execute`` listener, and transactions), and its ceiling in the same
    run: ``SELECT 1`` through a SQLAlchemy session, statements per second (before and after the claims),
    divided by the statements per claim life — the claims/s if every statement cost what ``SELECT 1`` does;
    the ratio ours / ceiling; and the floor of the same work: the statements the claim lives sent, replayed
    on a copy of the database taken before them (same SQL, parameters, transactions and commits, through
    ``exec_driver_sql``, none of the services' Python; its journal head must end where ours did) — the
    ratios floor / ceiling and ours / floor (a few claims run first, untimed: steady state;
    ``--life-only`` stops after this part);
(b) a synthetic history of N postings (historical platforms across every jurisdiction, two programs,
    ten fiscal years, claims taken through the same entries the services post) imported through
    ``ledger.bulk.import_in_batches``; postings per second; then fresh planner statistics
    (``VACUUM (ANALYZE)`` / ``ANALYZE``) and the whole chain verified (``journal.verify``), timed next to
    its limit in the same run (``bench.chain``: the same rows read raw, the same canonical bytes, SHA-256,
    compare), runs alternating, with verify's peak Python memory (tracemalloc);
(c) with N postings in the journal: ``queries.cap_headroom`` for one platform and ``queries.trial_balance``,
    median wall time of several runs, with the plan of every statement they send (EXPLAIN on PostgreSQL,
    EXPLAIN QUERY PLAN on SQLite) reduced to the indexes used or the tables scanned; with ``--try-index``,
    again with an extra index created in the benchmark database only (then dropped);
(d) the first postings of the same history (``--peer-postings``) written through python-accounting in
    its own empty database on the same engine (it commits each ledger row; writing a million rows would
    take hours, hence a prefix); the same prefix is the first slice of (b), timed on its own into an
    equally empty journal, and is posted again through our own ``journal.post``, one entry per
    transaction (into the full journal), for the like-for-like figure; the ratios ours/peer.

Progress goes to stderr; the table to stdout (``--json PATH`` also writes the figures).
"""

from __future__ import annotations

import argparse
import json
import os
import platform as _platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bench import chain
from calculators.formats import yuan
from calculators.rulesets.bundled import rulebook
from ledger import accounts as A
from ledger import services as S
from ledger.bulk import EntrySpec, import_in_batches
from ledger.db import ensure_schema, make_engine, session_factory
from ledger.journal import Leg, debit_credit, post
from ledger.models import Claim, Platform, PlatformEvent, Posting
from ledger.queries import cap_headroom, trial_balance

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PROGRAM = "equipment-subsidy"
PROGRAMS = ("equipment-subsidy", "municipal-award")
HISTORY_YEARS = tuple(range(2019, 2029))  # ten fiscal years
LIVE_YEAR = 2026
AS_OF = date(2028, 12, 31)
CITY = "330400"
RULE_SET = "jiaxing-rules-2026"
AUDITED = {2023: 1_000_000_00, 2024: 700_000_00, 2025: 250_000_00}


def say(msg: str) -> None:
    print(f"[bench.ledger {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- databases

@contextmanager
def fresh_database(kind: str, pg_admin: str, tag: str) -> Iterator[str]:
    """A new empty database on ``kind`` ("sqlite" | "postgresql"), removed afterwards."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix=f"bench_{tag}_")
        try:
            yield f"sqlite:///{folder}/{tag}.db"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    with _pg_database(pg_admin, f"bench_{tag}_{uuid.uuid4().hex[:10]}") as url:
        yield url


@contextmanager
def _pg_database(pg_admin: str, name: str, template: str | None = None) -> Iterator[str]:
    """The PostgreSQL database ``name`` on ``pg_admin``'s server, created for the block (a copy of
    ``template`` when given) and dropped after it; yields its URL."""
    admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield make_url(pg_admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def kept_database(kind: str, pg_admin: str, name: str) -> Iterator[str]:
    """A database kept between runs (``--keep NAME``): the SQLite file ``bench_keep_NAME.db`` in the
    temporary directory, or the PostgreSQL database ``bench_keep_NAME``; created if absent, never dropped
    (remove it yourself: ``rm`` / ``DROP DATABASE``)."""
    if kind == "sqlite":
        yield f"sqlite:///{tempfile.gettempdir()}/bench_keep_{name}.db"
        return
    db = f"bench_keep_{name}"
    admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": db}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{db}"'))
    finally:
        admin.dispose()
    yield make_url(pg_admin).set(database=db).render_as_string(hide_password=False)


def payers_of(jurisdiction: str, split_class: str) -> tuple[str, ...]:
    return (CITY, jurisdiction) if split_class == "district" else (jurisdiction,)


# ---------------------------------------------------------------- (a) claims through the whole life

def live_invoices(i: int) -> list[S.InvoiceIn]:
    issuer = f"9133{i:06d}A"
    return [S.InvoiceIn(issuer, f"{i:06d}01", date(2023, 5, 10), 1_000_000_00, 130_000_00),
            S.InvoiceIn(issuer, f"{i:06d}02", date(2024, 6, 1), 700_000_00, 91_000_00),
            S.InvoiceIn(issuer, f"{i:06d}03", date(2025, 7, 1), 300_000_00, 39_000_00)]


def setup_live(factory: sessionmaker[Session], codes: list[str], jurisdictions: list[tuple[str, str]]) -> None:
    """Platforms for the live claims, recognised provincial, and ample 2026 budgets for every payer."""
    with factory.begin() as s:
        for k, code in enumerate(codes):
            jur = jurisdictions[k % len(jurisdictions)][0]
            S.create_platform(s, code=code, name=f"嘉兴中试平台{code}", jurisdiction=jur, operator=f"{code} 有限公司")
            S.add_platform_event(s, code, kind="pool-entry", on=date(2025, 3, 1), document_number="嘉经信〔2025〕12号")
            S.add_platform_event(s, code, kind="recognition", on=date(2026, 2, 10), level="provincial",
                                 document_number="浙经信〔2026〕8号")
        payers = sorted({p for j, cls in jurisdictions for p in payers_of(j, cls)})
        for payer in payers:
            S.appropriate(s, payer=payer, fiscal_year=LIVE_YEAR, program=PROGRAM, amount_fen=10**12,
                          on=date(LIVE_YEAR, 1, 5), document_number=f"{LIVE_YEAR}预算（基准测试）")


WARM_CLAIMS = 3
"""Claims taken through their life before (a) is timed (each statement compiled and cached once)."""

STEPS = ("file", "review-economic", "review-finance", "audit", "approve", "notice", "issue", "pay-1", "pay-2")


@dataclass
class Statements:
    """What an engine was sent while :func:`counting` it: statements (``before_cursor_execute``: one per
    ``execute``/``executemany`` call, SQLite's ``BEGIN IMMEDIATE`` included), by first word, the seconds
    spent inside the driver's execute (``before_cursor_execute`` to ``after_cursor_execute``: sending, the
    server's work, the wait for the reply), and transactions committed."""

    statements: int = 0
    transactions: int = 0
    by_verb: Counter[str] = field(default_factory=Counter)
    execute_seconds: float = 0.0

    def snapshot(self) -> tuple[int, int]:
        return self.statements, self.transactions


@contextmanager
def counting(engine: Engine) -> Iterator[Statements]:
    """Count the statements and the commits sent through ``engine`` inside the block."""
    seen = Statements()
    started = [0.0]

    def on_statement(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                     executemany: bool) -> None:
        seen.statements += 1
        seen.by_verb[statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"] += 1
        started[0] = time.perf_counter()

    def on_executed(*_args: Any) -> None:
        seen.execute_seconds += time.perf_counter() - started[0]

    def on_commit(conn: Any) -> None:
        seen.transactions += 1

    with _listening(engine, {"before_cursor_execute": on_statement, "after_cursor_execute": on_executed,
                             "commit": on_commit}):
        yield seen


@contextmanager
def _listening(engine: Engine, listeners: dict[str, Callable[..., None]]) -> Iterator[None]:
    """``engine``'s events (name → listener) listened to inside the block, and no longer after it."""
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        yield
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)


def session_statements_per_s(factory: sessionmaker[Session], n: int = 2000) -> float:
    """The limit a claim life is measured against: ``SELECT 1`` through a SQLAlchemy ``Session`` inside one
    transaction, statements per second (the cheapest statement the ORM session can send and read back)."""
    stmt = text("SELECT 1")
    with factory.begin() as s:
        for _ in range(50):  # warm: the connection, the compiled-statement cache
            s.execute(stmt).scalar()
        t0 = time.perf_counter()
        for _ in range(n):
            s.execute(stmt).scalar()
        return n / (time.perf_counter() - t0)


def run_claims(factory: sessionmaker[Session], codes: list[str], first: int) -> dict[str, Any]:
    """Take one claim per platform in ``codes`` through the whole life; one transaction per step.

    Also counts what each claim life sends to the database (statements and transactions per claim, and
    statements per step, from a ``before_cursor_execute`` listener on the factory's engine), and splits each
    step's time: inside the driver's execute (``step_execute_ms``), the commit with its flush
    (``step_commit_ms``: from the step's work returning to the transaction's end), and the rest — Python:
    services, rules, SQLAlchemy building and reading the statements."""
    if not codes:
        return {"claims": 0}
    per_step: dict[str, float] = dict.fromkeys(STEPS, 0.0)
    step_statements: dict[str, int] = dict.fromkeys(STEPS, 0)
    step_execute: dict[str, float] = dict.fromkeys(STEPS, 0.0)
    step_commit: dict[str, float] = dict.fromkeys(STEPS, 0.0)
    per_claim: list[float] = []
    engine = factory.kw["bind"]

    with counting(engine) as seen:
        def step(name: str, fn: Callable[[Session], Any]) -> Any:
            n0, e0 = seen.statements, seen.execute_seconds
            t0 = time.perf_counter()
            with factory.begin() as s:
                out = fn(s)
                t1 = time.perf_counter()
            t2 = time.perf_counter()
            per_step[name] += t2 - t0
            step_commit[name] += t2 - t1
            step_statements[name] += seen.statements - n0
            step_execute[name] += seen.execute_seconds - e0
            return out

        start = time.perf_counter()
        for k, code in enumerate(codes):
            t0 = time.perf_counter()
            _one_claim_life(step, code, first + k)
            per_claim.append(time.perf_counter() - t0)
        seconds = time.perf_counter() - start
    n = len(codes)
    return {"claims": n, "seconds": seconds, "claims_per_s": n / seconds,
            "claim_ms_median": 1000 * statistics.median(per_claim),
            "step_ms_mean": {k: 1000 * v / n for k, v in per_step.items()},
            "statements_per_claim": seen.statements / n, "transactions_per_claim": seen.transactions / n,
            "statements_by_verb": {k: v / n for k, v in seen.by_verb.most_common()},
            "step_statements": {k: v / n for k, v in step_statements.items()},
            "step_execute_ms": {k: 1000 * v / n for k, v in step_execute.items()},
            "step_commit_ms": {k: 1000 * v / n for k, v in step_commit.items()}}


def _one_claim_life(step: Callable[[str, Callable[[Session], Any]], Any], code: str, i: int) -> None:
    """File → reviews → audit → approval → notice → fund issue → each payment prepared and confirmed."""
    number = step("file", lambda s: S.file_claim(
        s, platform_code=code, program=PROGRAM, application_date=date(2026, 3, 2), invoices=live_invoices(i),
        actor="clerk")).claim
    step("review-economic", lambda s: S.review(
        s, claim_number=number, department="economic", approve=True, opinion="材料齐全，同意上报",
        on=date(2026, 3, 4), actor="district-econ"))
    step("review-finance", lambda s: S.review(
        s, claim_number=number, department="finance", approve=True, opinion="同意", on=date(2026, 3, 5),
        actor="district-fin"))
    step("audit", lambda s: S.record_audit(
        s, claim_number=number, firm="嘉兴某会计师事务所", report_number=f"审{number}", on=date(2026, 3, 20),
        years=AUDITED, actor="bureau"))
    shares = step("approve", lambda s: S.approve(
        s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="党组会〔2026〕5号",
        actor="party-group")).shares
    step("notice", lambda s: S.publish_notice(
        s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="2026年中试平台补助公示",
        actor="bureau"))
    step("issue", lambda s: S.issue_funds(
        s, claim_number=number, document_number="嘉经信〔2026〕30号", on=date(2026, 4, 10), actor="city-finance"))
    for j, (payer, amount, on) in enumerate(_two_payments(dict(shares)), 1):
        step(f"pay-{j}", lambda s, payer=payer, amount=amount, on=on, j=j: S.confirm_payment(
            s, payment_id=S.pay(s, claim_number=number, payer=payer, voucher_number=f"{number}-{j}", on=on,
                                amount_fen=amount, actor="finance").payment, on=on, actor="finance-checker"))


def claim_life_against_ceiling(factory: sessionmaker[Session], codes: list[str], first: int,
                               select_n: int, *, warm: list[str] | None = None,
                               replay_on: str | None = None) -> dict[str, Any]:
    """(a) and its limits in the same run. The ceiling: the session-statement rate measured just before and
    just after the claims (their mean), divided by the statements one claim life sends, is the claims/s a
    claim life would reach if every statement were a ``SELECT 1``; ``ratio`` is ours over that ceiling.

    ``warm``: platforms whose claims are taken through their life first, untimed (SQLAlchemy compiles and
    caches each statement the first time it runs: steady state is what a service sees). ``replay_on``: a
    copy of the database as it was before the warm claims; the statements ours sent are replayed there
    (:func:`replay`), the floor of the same work without the services' Python."""
    engine = factory.kw["bind"]
    with recording(engine) as warm_sent:
        run_claims(factory, warm or [], 900_000)
    before = session_statements_per_s(factory, select_n)
    with recording(engine) as sent:
        out = run_claims(factory, codes, first)
    if not out["claims"]:
        return out
    after = session_statements_per_s(factory, select_n)
    rate = (before + after) / 2
    ceiling = rate / out["statements_per_claim"]
    out = {**out, "select1_per_s": rate, "select1_per_s_before_after": (before, after),
           "ceiling_claims_per_s": ceiling, "ratio_to_ceiling": out["claims_per_s"] / ceiling}
    if replay_on is not None:
        floor = replay(replay_on, warm_sent, sent)
        with engine.connect() as conn:
            ours_head = tuple(conn.execute(_HEAD).one())
        if floor["head"] != ours_head:
            raise RuntimeError(f"the replay ended at journal head {floor['head']}, ours at {ours_head}")
        floor_rate = out["claims"] / floor["seconds"]
        if len(floor["transaction_seconds"]) == len(STEPS) * out["claims"]:  # a transaction per step, in order
            out["step_floor_ms"] = {step: 1000 * sum(floor["transaction_seconds"][k::len(STEPS)]) / out["claims"]
                                    for k, step in enumerate(STEPS)}
        out.update({"floor_claims_per_s": floor_rate, "floor_ms_per_claim": 1000 / floor_rate,
                    "ratio_floor_to_ceiling": floor_rate / ceiling, "ratio_to_floor": out["claims_per_s"] / floor_rate})
    return out


# ---------------------------------------------------------------- (a) the same statements replayed: the floor

Sent = list[list[tuple[str, Any]]]
"""What a run sent, by transaction: each statement as the driver received it (SQL, parameters)."""


@contextmanager
def recording(engine: Engine) -> Iterator[Sent]:
    """Record each statement sent through ``engine`` inside the block, as the driver got it, grouped by
    transaction (each commit closes one); SQLite's ``BEGIN IMMEDIATE`` is left out, the replay's own
    transactions send it."""
    sent: Sent = [[]]

    def on_statement(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                     executemany: bool) -> None:
        if not statement.startswith("BEGIN"):
            sent[-1].append((statement, parameters))

    def on_commit(conn: Any) -> None:
        sent.append([])

    try:
        with _listening(engine, {"before_cursor_execute": on_statement, "commit": on_commit}):
            yield sent
    finally:
        if not sent[-1]:
            sent.pop()


@contextmanager
def copy_of(kind: str, url: str, pg_admin: str, engine: Engine) -> Iterator[str]:
    """A copy of the database at ``url`` as it is now (SQLite: ``VACUUM INTO`` a file beside it; PostgreSQL:
    ``CREATE DATABASE … TEMPLATE``, after ``engine``'s connections are closed), removed afterwards."""
    if kind == "sqlite":
        import sqlite3

        path = url.split("///", 1)[1]
        target = f"{path}.copy"
        src = sqlite3.connect(path)
        try:
            src.execute("VACUUM INTO ?", (target,))
        finally:
            src.close()
        try:
            yield f"sqlite:///{target}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(target + suffix):
                    os.remove(target + suffix)
        return
    engine.dispose()
    source = make_url(url).database
    with _pg_database(pg_admin, f"{source}_copy", template=source) as copy:
        yield copy


_HEAD = text("SELECT last_id, last_hash FROM journal_head")


def replay(url: str, warm: Sent, timed: Sent) -> dict[str, Any]:
    """The floor of a claim life on this engine: the statements the services sent, replayed on a copy of
    the database as it was before them — the same SQL and parameters, the same transactions and commits,
    through SQLAlchemy's thinnest path (``Connection.exec_driver_sql``, rows fetched), on an engine with the
    ledger's settings (``ledger.db.make_engine``: WAL, ``BEGIN IMMEDIATE``, its listeners) — and none of the
    services' Python. ``warm`` is replayed first, untimed (the claims ours ran before timing); the copy's
    journal head must end where ours did (checked by the caller)."""
    engine = make_engine(url)

    per_transaction: list[float] = []

    def run(sent: Sent) -> None:
        for statements in sent:
            t0 = time.perf_counter()
            with engine.begin() as conn:
                for sql, params in statements:
                    result = conn.exec_driver_sql(sql, params)
                    if result.returns_rows:
                        result.all()
            per_transaction.append(time.perf_counter() - t0)

    try:
        run(warm)
        per_transaction.clear()
        start = time.perf_counter()
        run(timed)
        seconds = time.perf_counter() - start
        with engine.connect() as conn:
            head = tuple(conn.execute(_HEAD).one())
    finally:
        engine.dispose()
    return {"seconds": seconds, "transactions": len(timed), "statements": sum(len(t) for t in timed),
            "head": head, "transaction_seconds": per_transaction}


def _two_payments(shares: dict[str, int]) -> list[tuple[str, int, date]]:
    """Two payments: one per payer where there are two, else the single payer's share in two parts."""
    items = sorted((p, a) for p, a in shares.items() if a)
    if len(items) >= 2:
        return [(p, a, date(2026, 4, 15 + 5 * k)) for k, (p, a) in enumerate(items)]
    payer, amount = items[0]
    return [(payer, amount // 2, date(2026, 4, 15)), (payer, amount - amount // 2, date(2026, 4, 20))]


# ---------------------------------------------------------------- (b) a synthetic history

@dataclass
class History:
    entries: list[EntrySpec]
    postings: int
    platforms: int
    claims: int
    busiest_platform: str
    dims: dict[str, int] = field(default_factory=dict)


def _claim_legs(payers: int) -> int:
    # file 2, reviews 2+2, audit 3, approve 2+2p, notice 2, issue 2+4p, payments 8
    return 2 + 2 + 2 + 3 + (2 + 2 * payers) + 2 + (2 + 4 * payers) + 8


def build_history(factory: sessionmaker[Session], target: int, jurisdictions: list[tuple[str, str]],
                  seed: int = 20261122) -> History:
    """Platforms and claim rows for a history of about ``target`` postings, and its entries in date order."""
    rng = random.Random(seed)
    n_platforms = max(10, target // 500)
    with factory.begin() as s:
        rows = [{"code": f"H{k:05d}", "name": f"历史中试平台{k:05d}", "operator": f"历史平台{k:05d}有限公司",
                 "leader_type": "enterprise", "jurisdiction_code": jurisdictions[k % len(jurisdictions)][0],
                 "contact_person": "", "contact_mobile": "", "head_person": "", "head_phone": ""}
                for k in range(n_platforms)]
        ids = list(s.scalars(insert(Platform).returning(Platform.id, sort_by_parameter_order=True), rows))
        s.execute(insert(PlatformEvent), [
            {"platform_id": pid, "kind": "recognition", "date": date(2018, 6, 1), "level": "provincial",
             "document_number": "浙经信〔2018〕1号", "note": ""} for pid in ids])
    platforms = [(pid, f"H{k:05d}", payers_of(*jurisdictions[k % len(jurisdictions)])) for k, pid in enumerate(ids)]
    all_payers = sorted({p for _, _, ps in platforms for p in ps})
    approp_legs = 4 * len(all_payers) * len(PROGRAMS) * len(HISTORY_YEARS)
    plan: list[dict[str, Any]] = []
    legs = approp_legs
    while legs < target:
        pid, code, payers = rng.choice(platforms)
        year = HISTORY_YEARS[len(plan) % len(HISTORY_YEARS)]
        program = PROGRAMS[0] if rng.random() < 0.8 else PROGRAMS[1]
        filed = date(year, 1, 15) + timedelta(days=rng.randrange(0, 280))
        amount = rng.randrange(50_000_00, 300_000_00) if program == PROGRAMS[0] else 1_000_000_00
        plan.append({"platform_id": pid, "code": code, "payers": payers, "program": program, "filed": filed,
                     "amount": amount})
        legs += _claim_legs(len(payers))
    with factory.begin() as s:
        claim_ids = list(s.scalars(insert(Claim).returning(Claim.id, sort_by_parameter_order=True), [
            {"number": f"H{c['filed'].year}-{k:07d}", "platform_id": c["platform_id"], "program": c["program"],
             "rule_set": RULE_SET, "application_date": c["filed"], "state": "paid", "years": None,
             "requested_fen": c["amount"], "computed_fen": c["amount"], "approved_fen": c["amount"],
             "platform_document": "", "level": "provincial", "filed_by": "import"}
            for k, c in enumerate(plan)]))
    dated: list[tuple[date, int, EntrySpec]] = []
    seq = 0

    def add(on: date, spec: EntrySpec) -> None:
        nonlocal seq
        seq += 1
        dated.append((on, seq, spec))

    for c, cid in zip(plan, claim_ids, strict=True):
        memo = {"platform_id": c["platform_id"], "program": c["program"], "claim_id": cid}
        amount, filed, number = c["amount"], c["filed"], f"H{c['filed'].year}-{cid}"
        audited = amount - rng.randrange(0, 5_000_00)
        meeting = filed + timedelta(days=23)
        fy = meeting.year

        def e(on: date, kind: str, desc: str, legs: list[Leg], cid: int = cid) -> None:
            add(on, EntrySpec(on, kind, desc, legs, claim_id=cid, actor="import"))

        e(filed, "file", f"{c['code']} 申报 {number}", debit_credit(A.MEMO_FILED, A.MEMO_CONTRA, amount, **memo))
        e(filed + timedelta(days=2), "review-economic", f"{number} 区级经信审核：同意",
          [Leg(A.MEMO_FILED, -amount, **memo), Leg(A.MEMO_ECON_REVIEWED, amount, **memo)])
        e(filed + timedelta(days=3), "review-finance", f"{number} 区级财政审核：同意",
          [Leg(A.MEMO_ECON_REVIEWED, -amount, **memo), Leg(A.MEMO_DISTRICT_REVIEWED, amount, **memo)])
        audit_legs = [Leg(A.MEMO_DISTRICT_REVIEWED, -amount, **memo), Leg(A.MEMO_AUDITED, audited, **memo)]
        if audited != amount:
            audit_legs.append(Leg(A.MEMO_CONTRA, amount - audited, **memo))
        e(filed + timedelta(days=18), "audit", f"{number} 审计：核定", audit_legs)
        # approval: the audited figure is approved (split among the payers)
        split = [audited // 2, audited - audited // 2] if len(c["payers"]) == 2 else [audited]
        shares = list(zip(c["payers"], split, strict=True))
        approve_legs = debit_credit(A.MEMO_CONTRA, A.MEMO_AUDITED, audited, **memo)
        issue_legs = debit_credit(A.MEMO_CONTRA, A.MEMO_IN_NOTICE, audited, **memo)
        for payer, share in shares:
            dims = {**memo, "payer": payer, "fiscal_year": fy}
            approve_legs += debit_credit(A.APPROPRIATION_AVAILABLE, A.COMMITTED, share, **dims)
            issue_legs += debit_credit(A.COMMITTED, A.OBLIGATED, share, **dims)
            issue_legs += debit_credit(A.SUBSIDY_EXPENSE, A.SUBSIDY_PAYABLE, share, **dims)
        e(meeting, "approve", f"{number} 党组会审定", approve_legs)
        e(meeting + timedelta(days=7), "notice", f"{number} 公示",
          debit_credit(A.MEMO_IN_NOTICE, A.MEMO_CONTRA, audited, **memo))
        e(meeting + timedelta(days=16), "issue", f"{number} 下达资金", issue_legs)
        pays = [(p, a) for p, a in shares] if len(shares) == 2 else \
            [(shares[0][0], audited // 2), (shares[0][0], audited - audited // 2)]
        for j, (payer, part) in enumerate(pays):
            dims = {**memo, "payer": payer, "fiscal_year": fy}
            e(meeting + timedelta(days=21 + 5 * j), "payment", f"{number} {payer} 拨付",
              debit_credit(A.OBLIGATED, A.EXPENDED, part, **dims) + debit_credit(A.SUBSIDY_PAYABLE, A.TREASURY, part,
                                                                                  **dims))
    # appropriations: each payer, program and year, sized to what the history commits
    committed: Counter[tuple[str, str, int]] = Counter()
    for _, _, spec in dated:
        for leg in spec.legs:
            if leg.account == A.COMMITTED and leg.amount < 0:
                committed[(leg.payer or "", leg.program or "", leg.fiscal_year or 0)] -= leg.amount
    for year in (*HISTORY_YEARS, max(HISTORY_YEARS) + 1):
        for payer in all_payers:
            for program in PROGRAMS:
                amount = committed[(payer, program, year)] + 10_000_000_00
                dims = {"payer": payer, "program": program, "fiscal_year": year}
                add(date(year, 1, 5), EntrySpec(date(year, 1, 5), "appropriation", f"{year}年度{program}预算指标",
                                                debit_credit(A.BUDGET_AUTHORITY, A.APPROPRIATION_AVAILABLE, amount,
                                                             **dims)
                                                + debit_credit(A.TREASURY, A.APPROPRIATION_REVENUE, amount,
                                                               payer=payer, fiscal_year=year), actor="import"))
    dated.sort(key=lambda t: (t[0], t[1]))
    entries = [spec for _, _, spec in dated]
    per_platform = Counter(c["code"] for c in plan)
    return History(entries, sum(len(e.legs) for e in entries), n_platforms, len(plan),
                   per_platform.most_common(1)[0][0],
                   {"payers": len(all_payers), "platforms": n_platforms, "programs": len(PROGRAMS),
                    "fiscal_years": len(HISTORY_YEARS) + 1, "claims": len(plan)})


def timed_import(factory: sessionmaker[Session], entries: list[EntrySpec], batch: int, prefix: int
                 ) -> dict[str, Any]:
    """Import in slices so that progress shows; the first slice is exactly the entries of
    :func:`prefix_of` ``prefix`` (those python-accounting writes in (d)), timed on its own, so that the
    bulk rate over the very same postings into an equally empty journal is known."""
    head = prefix_of(entries, prefix)
    slices = [head] + [entries[k:k + batch * 20] for k in range(len(head), len(entries), batch * 20)]
    done_postings = 0
    prefix_postings, prefix_seconds = 0, 0.0
    start = time.perf_counter()
    last_report = start
    for n, part in enumerate(slices):
        t0 = time.perf_counter()
        out = import_in_batches(factory, part, batch=batch)
        done_postings += out.postings
        now = time.perf_counter()
        if n == 0:
            prefix_postings, prefix_seconds = out.postings, now - t0
        if now - last_report > 15:
            say(f"  imported {done_postings:,} postings ({done_postings / (now - start):,.0f}/s)")
            last_report = now
    seconds = time.perf_counter() - start
    return {"postings": done_postings, "entries": len(entries), "seconds": seconds,
            "postings_per_s": done_postings / seconds, "batch": batch,
            "prefix_postings": prefix_postings,
            "prefix_postings_per_s": prefix_postings / prefix_seconds if prefix_seconds else 0.0}


# ---------------------------------------------------------------- (c) queries and their plans

@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if "postings" in statement and not executemany:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", grab)


def plan_summary(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    """What each statement's plan reads: ``index X on T`` or ``SCAN T`` (the whole table)."""
    found: list[str] = []
    with engine.connect() as conn:
        for statement, params in statements:
            if engine.dialect.name == "postgresql":
                lines = [r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, params)]
                for line in lines:
                    if m := re.search(r"(Index Only Scan|Index Scan|Bitmap Index Scan) (?:Backward )?(?:using|on) "
                                      r"(\w+)(?: on (\w+))?", line):
                        found.append(f"{m.group(1).lower()} {m.group(2)}")
                    elif m := re.search(r"(Parallel )?Seq Scan on (\w+)", line):
                        found.append(f"seq scan {m.group(2)}")
            else:
                for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params):
                    detail = str(row[-1])
                    if m := re.search(r"(SEARCH|SCAN) (\w+)(?: AS \w+)? USING (?:COVERING )?(INDEX|INTEGER PRIMARY KEY)"
                                      r"\s*(\w+)?", detail):
                        found.append(f"{m.group(1).lower()} {m.group(2)} via {m.group(4) or 'rowid'}")
                    elif m := re.search(r"SCAN (\w+)", detail):
                        found.append(f"scan {m.group(1)} (whole table)")
    return list(dict.fromkeys(found))


def time_query(factory: sessionmaker[Session], engine: Engine, fn: Callable[[Session], Any], runs: int
               ) -> dict[str, Any]:
    with factory() as s, captured(engine) as statements:  # warm-up, and the statements it sends
        result = fn(s)
    times = []
    for _ in range(runs):
        with factory() as s:
            t0 = time.perf_counter()
            fn(s)
            times.append(time.perf_counter() - t0)
    return {"ms_median": 1000 * statistics.median(times), "ms_min": 1000 * min(times), "ms_max": 1000 * max(times),
            "runs": runs, "plan": plan_summary(engine, statements), "result": result}


def analyze(engine: Engine) -> None:
    """Fresh planner statistics after the import: ``VACUUM (ANALYZE)`` on PostgreSQL (as after any bulk
    load; it also sets the visibility map that index-only scans rely on), ``ANALYZE`` on SQLite."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


INDEX_SPEC = re.compile(r"^\s*(\w+)\s*\(\s*(\w+(?:\s*,\s*\w+)*)\s*\)\s*$")


def parse_index(spec: str) -> tuple[str, list[str]]:
    """``"postings(account_code, entry_id)"`` → ``("postings", ["account_code", "entry_id"])``."""
    m = INDEX_SPEC.match(spec)
    if not m:
        raise argparse.ArgumentTypeError(f"not TABLE(COLUMN, ...): {spec!r}")
    return m.group(1), [c.strip() for c in m.group(2).split(",")]


def with_index(engine: Engine, factory: sessionmaker[Session], spec: str,
               queries: dict[str, Callable[[Session], Any]], runs: int) -> dict[str, Any]:
    """Create an extra index (in the benchmark's own database only, never a migration), refresh the
    statistics, time ``queries`` again with their plans, and drop the index."""
    table_name, columns = parse_index(spec)
    name = "bench_try_" + "_".join([table_name, *columns])[:40]
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE INDEX {name} ON {table_name} ({', '.join(columns)})")
    created = time.perf_counter() - t0
    try:
        analyze(engine)
        timed = {q: time_query(factory, engine, fn, runs) for q, fn in queries.items()}
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP INDEX {name}")
    return {"index": f"{table_name}({', '.join(columns)})", "create_s": created, "queries": timed}


# ---------------------------------------------------------------- (d) like for like: post() and python-accounting

def prefix_of(entries: list[EntrySpec], postings: int) -> list[EntrySpec]:
    out, n = [], 0
    for spec in entries:
        if n >= postings:
            break
        out.append(spec)
        n += len(spec.legs)
    return out


def timed_posts(factory: sessionmaker[Session], entries: list[EntrySpec]) -> dict[str, Any]:
    n = sum(len(e.legs) for e in entries)
    start = time.perf_counter()
    for spec in entries:
        with factory.begin() as s:
            post(s, entry_date=spec.entry_date, kind=spec.kind, description=spec.description, legs=spec.legs,
                 claim_id=spec.claim_id, reverses_id=spec.reverses_id, actor=spec.actor)
    seconds = time.perf_counter() - start
    return {"postings": n, "entries": len(entries), "seconds": seconds, "postings_per_s": n / seconds}


def run_peer(kind: str, pg_admin: str, entries: list[EntrySpec]) -> dict[str, Any]:
    """The same entries through python-accounting, in a child process (it hooks every SQLAlchemy session)."""
    from bench.ledger_peer import available, write_in_child

    why = available()
    if why:
        return {"skipped": why}
    workdir = tempfile.mkdtemp(prefix="bench_peer_entries_")
    try:
        with fresh_database(kind, pg_admin, "peer") as url:
            return write_in_child(url, entries, (*HISTORY_YEARS, max(HISTORY_YEARS) + 1), workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------- one engine

def run_engine(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    res: dict[str, Any] = {"engine": kind, "loadavg_start": os.getloadavg()[0], "started": time.strftime("%H:%M:%S")}
    if args.only_verify:
        return run_verify_only(kind, args, res)
    with fresh_database(kind, args.pg_url, "ledger") as url:
        engine = make_engine(url)
        try:
            res["server"] = _server_version(engine)
            say(f"{kind}: migrating a fresh database")
            ensure_schema(engine)
            factory = session_factory(engine)
            with factory.begin() as s:
                S.sync_reference_data(s)
            book = rulebook()
            jurisdictions = [(j.code, j.split_class) for j in book.jurisdictions.values()]
            before = [f"L{k:05d}" for k in range(args.claims)]
            after = [f"M{k:05d}" for k in range(args.claims_after)]
            warm = [f"W{k:05d}" for k in range(WARM_CLAIMS)] if before else []
            setup_live(factory, before + after + warm, jurisdictions)
            say(f"{kind}: (a) {args.claims} claims through the whole life (after {len(warm)} untimed)")
            with copy_of(kind, url, args.pg_url, engine) as copy_url:
                res["claims"] = claim_life_against_ceiling(factory, before, 0, args.select_n, warm=warm,
                                                           replay_on=copy_url if before else None)
            if before:
                c = res["claims"]
                say(f"{kind}:     {c['claims_per_s']:.1f} claims/s, {c['statements_per_claim']:.1f} statements and "
                    f"{c['transactions_per_claim']:.1f} transactions per claim; ceiling "
                    f"{c['ceiling_claims_per_s']:.1f} claims/s ({c['ratio_to_ceiling']:.0%}); the same statements "
                    f"replayed {c['floor_claims_per_s']:.1f} claims/s ({c['ratio_floor_to_ceiling']:.0%} of the "
                    f"ceiling; ours {c['ratio_to_floor']:.0%} of it)")
            if args.life_only:
                return _finish(res)
            say(f"{kind}: (b) building a history of {args.postings:,} postings")
            history = build_history(factory, args.postings, jurisdictions)
            res["history"] = {"postings": history.postings, "entries": len(history.entries), **history.dims}
            say(f"{kind}:     {history.postings:,} postings in {len(history.entries):,} entries; importing")
            res["bulk"] = timed_import(factory, history.entries, args.batch, args.peer_postings)
            say(f"{kind}:     {res['bulk']['postings_per_s']:,.0f} postings/s")
            t0 = time.perf_counter()
            analyze(engine)
            res["analyze_s"] = time.perf_counter() - t0
            with factory() as s:
                res["journal_postings"] = s.execute(select(func.count()).select_from(Posting)).scalar_one()
            if not args.no_verify:
                say(f"{kind}:     verifying the chain ({args.verify_runs} runs, and the limit as often)")
                res["verify"] = chain.compare(engine, factory, args.verify_runs)
            say(f"{kind}: (c) queries with {res['journal_postings']:,} postings in the journal")
            queries: dict[str, Callable[[Session], Any]] = {}
            if before:
                queries["cap_headroom (live platform)"] = lambda s: _headroom(
                    cap_headroom(s, before[0], PROGRAM, AS_OF))
            queries["cap_headroom (busiest platform)"] = lambda s: _headroom(
                cap_headroom(s, history.busiest_platform, PROGRAM, AS_OF))
            queries["trial_balance"] = _tb(None)
            queries[f"trial_balance as of {LIVE_YEAR}-12-31"] = _tb(date(LIVE_YEAR, 12, 31))
            res["queries"] = {name: time_query(factory, engine, fn, args.runs) for name, fn in queries.items()}
            res["try_index"] = []
            for spec in args.try_index:
                say(f"{kind}: (c+) the queries again with an extra index {spec}")
                res["try_index"].append(with_index(engine, factory, spec, queries, args.runs))
            if after:
                say(f"{kind}: (a') {len(after)} claims with the journal full")
                res["claims_full"] = run_claims(factory, after, len(before))
            sample = prefix_of(history.entries, args.peer_postings)
            say(f"{kind}: (d) {sum(len(e.legs) for e in sample):,} postings by journal.post, one entry per transaction")
            res["post_each"] = timed_posts(factory, sample)
        finally:
            engine.dispose()
    if args.no_peer:
        res["peer"] = {"skipped": "--no-peer"}
    else:
        say(f"{kind}: (d) the same postings through python-accounting")
        res["peer"] = run_peer(kind, args.pg_url, sample)
    return _finish(res)


def _finish(res: dict[str, Any]) -> dict[str, Any]:
    res["loadavg_end"], res["ended"] = os.getloadavg()[0], time.strftime("%H:%M:%S")
    return res


def run_verify_only(kind: str, args: argparse.Namespace, res: dict[str, Any]) -> dict[str, Any]:
    """``--only-verify``: the history of (b) (built once and reused with ``--keep``), then verify and its limit."""
    place = kept_database(kind, args.pg_url, args.keep) if args.keep else fresh_database(kind, args.pg_url, "ledger")
    with place as url:
        engine = make_engine(url)
        try:
            res["server"] = _server_version(engine)
            ensure_schema(engine)
            factory = session_factory(engine)
            with factory() as s:
                res["journal_postings"] = s.execute(select(func.count()).select_from(Posting)).scalar_one()
            if res["journal_postings"] == 0:
                with factory.begin() as s:
                    S.sync_reference_data(s)
                jurisdictions = [(j.code, j.split_class) for j in rulebook().jurisdictions.values()]
                say(f"{kind}: (b) building a history of {args.postings:,} postings in {url}")
                history = build_history(factory, args.postings, jurisdictions)
                res["history"] = {"postings": history.postings, "entries": len(history.entries), **history.dims}
                res["bulk"] = timed_import(factory, history.entries, args.batch, args.peer_postings)
                analyze(engine)
                with factory() as s:
                    res["journal_postings"] = s.execute(select(func.count()).select_from(Posting)).scalar_one()
            else:
                say(f"{kind}: reusing the {res['journal_postings']:,} postings kept in {url}")
            say(f"{kind}: verifying the chain ({args.verify_runs} runs, and the limit as often)")
            res["verify"] = chain.compare(engine, factory, args.verify_runs)
        finally:
            engine.dispose()
    res["loadavg_end"], res["ended"] = os.getloadavg()[0], time.strftime("%H:%M:%S")
    return res


def _headroom(h: Any) -> str:
    return f"cap {yuan(h.cap) if h.cap is not None else '-'}, committed {yuan(h.committed)}"


def _tb(as_of: date | None) -> Callable[[Session], str]:
    def run(s: Session) -> str:
        rows = trial_balance(s, as_of=as_of)
        d, c = sum(r.debit for r in rows), sum(r.credit for r in rows)
        return f"debits {yuan(d)} = credits {yuan(c)}" if d == c else f"UNBALANCED {d} != {c}"
    return run


def _server_version(engine: Engine) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return "PostgreSQL " + str(conn.exec_driver_sql("SHOW server_version").scalar())
        return "SQLite " + str(conn.exec_driver_sql("SELECT sqlite_version()").scalar())


# ---------------------------------------------------------------- the table

def _split(c: dict[str, Any]) -> tuple[float, float, float]:
    """A claim life's mean ms inside the driver's execute, in the commits, and the rest (Python)."""
    execute, commit = sum(c["step_execute_ms"].values()), sum(c["step_commit_ms"].values())
    return execute, commit, sum(c["step_ms_mean"].values()) - execute - commit


def _n(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def table(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    cols = [r["engine"] for r in results]
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, fn: Callable[[dict[str, Any]], str]) -> None:
        vals = []
        for r in results:
            try:
                vals.append(fn(r))
            except (KeyError, TypeError, ZeroDivisionError):
                vals.append("-")
        rows.append((label, vals))

    row("server", lambda r: r["server"])
    row("wall clock; 1-min load average start/end", lambda r: f"{r['started']}–{r['ended']}; "
        f"{r['loadavg_start']:.2f}/{r['loadavg_end']:.2f}")
    row("(a) full-life claims/s, empty journal", lambda r: _n(r["claims"]["claims_per_s"], 1))
    row("    ms per claim (median)", lambda r: _n(r["claims"]["claim_ms_median"], 1))
    for step in STEPS:
        row(f"      {step} ms (mean), statements; floor ms", lambda r, step=step: _n(
            r["claims"]["step_ms_mean"][step], 1) + f", {_n(r['claims']['step_statements'][step])}; "
            + _n(r["claims"].get("step_floor_ms", {}).get(step, float("nan")), 1))
    row("    ms per claim (mean): execute / commit / Python", lambda r: " / ".join(_n(x, 1) for x in _split(r["claims"])))
    row("    statements per claim life", lambda r: _n(r["claims"]["statements_per_claim"], 1))
    row("      by first word", lambda r: " ".join(f"{k}:{_n(v)}" for k, v in r["claims"]["statements_by_verb"].items()))
    row("    transactions per claim life", lambda r: _n(r["claims"]["transactions_per_claim"], 1))
    row("    session SELECT 1 per s (before/after)", lambda r: _n(r["claims"]["select1_per_s"]) + " ("
        + "/".join(_n(x) for x in r["claims"]["select1_per_s_before_after"]) + ")")
    row("    ceiling claims/s (SELECT 1 per s ÷ statements)", lambda r: _n(r["claims"]["ceiling_claims_per_s"], 1))
    row("    ratio ours / ceiling", lambda r: f"{r['claims']['ratio_to_ceiling']:.0%}")
    row("    floor: the same statements replayed, claims/s", lambda r: _n(r["claims"]["floor_claims_per_s"], 1)
        + f" ({_n(r['claims']['floor_ms_per_claim'], 1)} ms per claim)")
    row("      ratio floor / ceiling; ours / floor", lambda r: f"{r['claims']['ratio_floor_to_ceiling']:.0%}; "
        f"{r['claims']['ratio_to_floor']:.0%}")
    row("(a') full-life claims/s, journal full", lambda r: _n(r["claims_full"]["claims_per_s"], 1)
        + f" ({r['claims_full']['claims']})")
    row("(b) bulk import postings/s", lambda r: _n(r["bulk"]["postings_per_s"]))
    row("    postings, entries", lambda r: f"{_n(r['bulk']['postings'])}, {_n(r['bulk']['entries'])}")
    row("    seconds (batch of entries)", lambda r: f"{_n(r['bulk']['seconds'], 1)} ({r['bulk']['batch']})")
    row("    verify whole chain, s", lambda r: _n(r["verify"]["seconds"], 2) + (" ok" if r["verify"]["ok"] else " FAIL"))
    row("    limit: read raw + canonical bytes + sha256, s", lambda r: _n(r["verify"]["limit_seconds"], 2)
        + (" ok" if r["verify"]["limit_ok"] else " FAIL"))
    row("    ratio verify / limit", lambda r: _n(r["verify"]["ratio"], 2) + "×")
    row("    verify peak Python memory, MiB", lambda r: _n(r["verify"]["memory"]["peak_mib"], 1))
    row("(c) postings in journal", lambda r: _n(r["journal_postings"]))
    names = list(dict.fromkeys(n for r in results for n in r.get("queries", {})))
    for name in names:
        row(f"    {name} ms (median)", lambda r, name=name: _n(r["queries"][name]["ms_median"], 2)
            + f" [{_n(r['queries'][name]['ms_min'], 2)}–{_n(r['queries'][name]['ms_max'], 2)}]")
    specs = list(dict.fromkeys(t["index"] for r in results for t in r.get("try_index", [])))
    for spec in specs:
        def tried(r: dict[str, Any], spec: str = spec) -> dict[str, Any]:
            return next(t for t in r["try_index"] if t["index"] == spec)
        row(f"(c+) with an extra index {spec}: create s", lambda r, tried=tried: _n(tried(r)["create_s"], 1))
        for name in names:
            row(f"    {name} ms (median)", lambda r, name=name, tried=tried: _n(
                tried(r)["queries"][name]["ms_median"], 2) + f" [{_n(tried(r)['queries'][name]['ms_min'], 2)}–"
                f"{_n(tried(r)['queries'][name]['ms_max'], 2)}]")
    row("(d) same first postings, bulk import postings/s", lambda r: _n(r["bulk"]["prefix_postings_per_s"])
        + f" ({_n(r['bulk']['prefix_postings'])})")
    row("    journal.post, one entry per txn, postings/s", lambda r: _n(r["post_each"]["postings_per_s"]))
    row("    python-accounting postings/s", lambda r: _n(r["peer"]["postings_per_s"])
        if "postings_per_s" in r["peer"] else "skipped")
    row("    python-accounting postings, ledger rows", lambda r: f"{_n(r['peer']['postings'])}, "
        f"{_n(r['peer']['ledger_rows'])}")
    row("    ratio bulk import / python-accounting", lambda r: _n(r["bulk"]["prefix_postings_per_s"]
                                                              / r["peer"]["postings_per_s"], 1) + "×")
    row("    ratio journal.post / python-accounting", lambda r: _n(r["post_each"]["postings_per_s"]
                                                                / r["peer"]["postings_per_s"], 1) + "×")
    rows = [(label, vals) for label, vals in rows if any(v != "-" for v in vals)]  # e.g. after --life-only
    width = max(len(label) for label, _ in rows)
    colw = [max(len(c), *(len(v[k]) for _, v in rows)) for k, c in enumerate(cols)]
    lines = [f"Ledger benchmark — {time.strftime('%Y-%m-%d %H:%M %Z')}, {_platform.python_implementation()} "
             f"{_platform.python_version()}, {os.cpu_count()} CPUs",
             f"command: python -m bench.ledger {' '.join(args.argv)}",
             "",
             f"{'':<{width}}  " + "  ".join(f"{c:>{colw[k]}}" for k, c in enumerate(cols)),
             f"{'':<{width}}  " + "  ".join("-" * colw[k] for k in range(len(cols)))]
    lines += [f"{label:<{width}}  " + "  ".join(f"{v:>{colw[k]}}" for k, v in enumerate(vals)) for label, vals in rows]
    lines.append("")
    for r in results:
        for name, q in r.get("queries", {}).items():
            lines.append(f"{r['engine']}: {name}: {q['result']}; plan: {'; '.join(q['plan']) or '-'}")
        for t in r.get("try_index", []):
            for name, q in t["queries"].items():
                lines.append(f"{r['engine']}: with {t['index']}: {name}: {q['result']}; "
                             f"plan: {'; '.join(q['plan']) or '-'}")
        if "skipped" in r.get("peer", {}):
            lines.append(f"{r['engine']}: python-accounting skipped: {r['peer']['skipped']}")
        elif "chunk_postings_per_s" in r.get("peer", {}):
            lines.append(f"{r['engine']}: python-accounting postings/s by fifth of its run: "
                         f"{r['peer']['chunk_postings_per_s']}; its hash check: "
                         f"{'ok' if r['peer']['hashes_verified'] else 'FAIL'}")
        if "history" in r:
            h = r["history"]
            lines.append(f"{r['engine']}: history dimensions: {h['payers']} payers, {h['platforms']} platforms, "
                         f"{h['programs']} programs, {h['fiscal_years']} fiscal years, {h['claims']:,} claims")
    return "\n".join(lines)


def _index_arg(spec: str) -> str:
    parse_index(spec)
    return spec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ledger", description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=("sqlite", "postgres", "both"), default=None,
                    help="engines to run (both; sqlite with --quick)")
    ap.add_argument("--postings", type=int, default=None, help="postings in the journal for (b) and (c) (1,000,000)")
    ap.add_argument("--claims", type=int, default=None, help="claims through the whole life for (a) (200)")
    ap.add_argument("--claims-after", type=int, default=None, help="claims again with the journal full (claims/4)")
    ap.add_argument("--peer-postings", type=int, default=None,
                    help="postings written through python-accounting and through journal.post (20,000)")
    ap.add_argument("--runs", type=int, default=None, help="timed runs of each query, median reported (7)")
    ap.add_argument("--batch", type=int, default=2000, help="entries per bulk-import transaction")
    ap.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
                    or DEFAULT_PG, help="a PostgreSQL database to connect to for creating bench_* databases")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    ap.add_argument("--no-peer", action="store_true", help="skip python-accounting")
    ap.add_argument("--no-verify", action="store_true", help="skip verifying the whole chain after the import")
    ap.add_argument("--verify-runs", type=int, default=None,
                    help="timed runs of verify and of its limit, alternating, median reported (3; 1 with --quick)")
    ap.add_argument("--only-verify", action="store_true",
                    help="only the history of (b) and the verify figures (with its limit and memory)")
    ap.add_argument("--keep", metavar="NAME",
                    help="with --only-verify: build the history into a database kept under NAME, or reuse it "
                         "if it already holds one (SQLite: bench_keep_NAME.db in the temporary directory; "
                         "PostgreSQL: database bench_keep_NAME)")
    ap.add_argument("--try-index", action="append", default=[], metavar="TABLE(COL,...)", type=_index_arg,
                    help="after (c), create this extra index in the benchmark database, time the queries again, "
                         "drop it (repeatable)")
    ap.add_argument("--life-only", action="store_true",
                    help="only (a): claims through the whole life, their statements and the session-statement "
                         "ceiling; nothing after")
    ap.add_argument("--select-n", type=int, default=None,
                    help="SELECT 1 statements timed for the ceiling, before and after (a) (3,000)")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.engine is None:
        args.engine = "sqlite" if args.quick else "both"
    if args.keep and not args.only_verify:
        ap.error("--keep needs --only-verify (the other figures need a fresh database)")
    sizes = {"postings": (1_000_000, 3_000), "claims": (200, 3), "peer_postings": (20_000, 300), "runs": (7, 3),
             "verify_runs": (3, 1), "select_n": (3_000, 500)}
    for name, (full, quick) in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    if args.claims_after is None:
        args.claims_after = 2 if args.quick else max(2, args.claims // 4)
    if args.pg_url.startswith("postgresql://"):
        args.pg_url = "postgresql+psycopg://" + args.pg_url[len("postgresql://"):]
    kinds = {"sqlite": ["sqlite"], "postgres": ["postgresql"], "both": ["sqlite", "postgresql"]}[args.engine]
    results = [run_engine(kind, args) for kind in kinds]
    out = table(results, args)
    print(out, flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"argv": args.argv, "date": time.strftime("%Y-%m-%d"), "results": results}, f,
                      ensure_ascii=False, indent=2, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
