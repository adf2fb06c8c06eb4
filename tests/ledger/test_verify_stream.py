"""The streaming verify (issue 12 part 5) finds exactly what the verify before it found.

Random tampering made as the schema owner would make it (the append-only triggers switched off inside a
transaction that is rolled back afterwards): an amount altered, a posting or a whole entry deleted,
two entries or two postings swapped, the tail truncated (with or without the head moved to match), and
optionally every hash recomputed over the tampered rows so that only anchors can tell. Both verifies run
on the same connection and must return the same report field for field (``ok``, counts, first bad entry,
the Chinese message, head reached, anchor passed) and report progress at the same points; the oracle is
the previous verify, frozen in tests/ledger/verify_oracle.py.

And verify's memory does not grow with the journal: the peak of Python allocations (tracemalloc) with
five times the entries stays within a generous bound of the peak with the first fifth.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from ledger import accounts as A
from ledger.accounts import GENESIS_HASH
from ledger.bulk import EntrySpec, import_in_batches
from ledger.journal import Anchor, Leg, debit_credit, entry_hash, post, reverse, verify
from tests.conftest import LedgerDB
from tests.ledger.owner import owner_engine, unguard
from tests.ledger.verify_oracle import old_verify

N_ENTRIES = 14


def _legs(i: int) -> list[Leg]:
    amount = 1_000_00 + 37 * i
    dims: dict[str, Any] = {"program": "equipment-subsidy" if i % 2 else None, "fiscal_year": 2020 + i % 7}
    legs = debit_credit(A.BUDGET_AUTHORITY, A.APPROPRIATION_AVAILABLE, amount, **dims)
    if i % 3 == 0:  # a four-leg entry, as an appropriation with its revenue
        legs += debit_credit(A.TREASURY, A.APPROPRIATION_REVENUE, amount, fiscal_year=2020 + i % 7)
    return legs


def _journal(db: LedgerDB) -> list[tuple[int, str]]:
    """A journal of ``N_ENTRIES`` entries of two and four legs, odd descriptions, one reversal; (id, hash)s."""
    with db.sessions.begin() as s:
        for i in range(N_ENTRIES - 1):
            post(s, entry_date=date(2026, 1 + i % 12, 1 + i), kind="appropriation",
                 description=f'第{i}批预算 "追加" \\ <b>{i}</b>', legs=_legs(i), actor=f"财政{i % 3}")
        reverse(s, 4, entry_date=date(2026, 12, 30), reason="录入有误", actor="复核")
    with db.sessions() as s:
        return [(r[0], r[1]) for r in s.execute(text("SELECT id, hash FROM journal_entries ORDER BY id"))]


@contextmanager
def _tampering(db: LedgerDB) -> Iterator[Connection]:
    """A connection as the schema owner with the journal's guards off, in a transaction rolled back after."""
    with owner_engine(db) as engine, engine.connect() as conn:
        trans = conn.begin()
        try:
            unguard(conn, db.dialect)
            yield conn
        finally:
            trans.rollback()


def _ids(conn: Connection, sql: str, **params: Any) -> list[int]:
    return [int(r[0]) for r in conn.execute(text(sql), params)]


def _swap_entries(conn: Connection, a: int, b: int) -> None:
    """Entries ``a`` and ``b`` change places (their numbers swapped, postings following)."""
    for table, col in (("postings", "entry_id"), ("journal_entries", "id")):
        conn.execute(text(f"UPDATE {table} SET {col} = :t WHERE {col} = :a"), {"t": 10_000 + a, "a": a})
        conn.execute(text(f"UPDATE {table} SET {col} = :a WHERE {col} = :b"), {"a": a, "b": b})
        conn.execute(text(f"UPDATE {table} SET {col} = :b WHERE {col} = :t"), {"b": b, "t": 10_000 + a})


def _swap_postings(conn: Connection, p: int, q: int) -> None:
    """Two postings exchange their account and amount (a leg order or an entry's content changed)."""
    rows = {int(r[0]): (r[1], r[2]) for r in conn.execute(
        text("SELECT id, account_code, amount_fen FROM postings WHERE id IN (:p, :q)"), {"p": p, "q": q})}
    for dst, src in ((p, q), (q, p)):
        conn.execute(text("UPDATE postings SET account_code = :c, amount_fen = :a WHERE id = :i"),
                     {"c": rows[src][0], "a": rows[src][1], "i": dst})


def _apply(conn: Connection, op: tuple[str, int, int]) -> None:
    kind, x, y = op
    entries = _ids(conn, "SELECT id FROM journal_entries ORDER BY id")
    postings = _ids(conn, "SELECT id FROM postings ORDER BY id")
    if not entries or not postings:
        return
    e, p = entries[x % len(entries)], postings[x % len(postings)]
    if kind == "amount":  # one posting: the entry no longer balances
        conn.execute(text("UPDATE postings SET amount_fen = amount_fen + :d WHERE id = :p"), {"d": y + 1, "p": p})
    elif kind == "amount_pair":  # every leg of an entry scaled: still balanced, the hash no longer matches
        conn.execute(text("UPDATE postings SET amount_fen = amount_fen * :k WHERE entry_id = :e"), {"k": y + 2, "e": e})
    elif kind == "description":
        conn.execute(text("UPDATE journal_entries SET description = description || '改' WHERE id = :e"), {"e": e})
    elif kind == "delete_posting":
        conn.execute(text("DELETE FROM postings WHERE id = :p"), {"p": p})
    elif kind == "delete_entry":
        conn.execute(text("UPDATE journal_entries SET reverses_id = NULL WHERE reverses_id = :e"), {"e": e})
        conn.execute(text("DELETE FROM postings WHERE entry_id = :e"), {"e": e})
        conn.execute(text("DELETE FROM journal_entries WHERE id = :e"), {"e": e})
    elif kind == "swap_entries":
        f = entries[y % len(entries)]
        referenced = set(_ids(conn, "SELECT reverses_id FROM journal_entries WHERE reverses_id IS NOT NULL"))
        if e != f and not {e, f} & referenced:
            _swap_entries(conn, e, f)
    elif kind == "swap_postings":
        _swap_postings(conn, p, postings[y % len(postings)])
    elif kind == "truncate":  # the last x % 4 + 1 entries gone; y odd: the head moved to match
        keep = entries[-1] - (x % 4 + 1)
        conn.execute(text("UPDATE journal_entries SET reverses_id = NULL WHERE reverses_id > :k"), {"k": keep})
        conn.execute(text("DELETE FROM postings WHERE entry_id > :k"), {"k": keep})
        conn.execute(text("DELETE FROM journal_entries WHERE id > :k"), {"k": keep})
        if y % 2:
            conn.execute(text("UPDATE journal_head SET last_id = :k, last_hash = COALESCE((SELECT hash FROM "
                              "journal_entries WHERE id = :k), :g)"), {"k": keep, "g": GENESIS_HASH})


def _rehash(conn: Connection) -> None:
    """Every hash recomputed over the rows as they now are, and the head set to match (what an intruder
    who knows the scheme does): only the numbering, the balance and anchors can tell."""
    prev = GENESIS_HASH
    last = 0
    for e in conn.execute(text("SELECT id, entry_date, kind, claim_id, description, reverses_id, actor "
                               "FROM journal_entries ORDER BY id")).all():
        legs = [Leg(*r) for r in conn.execute(text(
            "SELECT account_code, amount_fen, payer_code, platform_id, program, claim_id, fiscal_year "
            "FROM postings WHERE entry_id = :e ORDER BY id"), {"e": e[0]})]
        day = e[1] if isinstance(e[1], date) else date.fromisoformat(e[1])
        digest = entry_hash(prev, e[0], day, e[2], e[3], e[4], e[5], e[6], legs)
        conn.execute(text("UPDATE journal_entries SET prev_hash = :p, hash = :h WHERE id = :i"),
                     {"p": prev, "h": digest, "i": e[0]})
        prev, last = digest, e[0]
    conn.execute(text("UPDATE journal_head SET last_id = :k, last_hash = :h"), {"k": last, "h": prev})


def _run(fn: Any, conn: Connection, anchors: list[Anchor], batch: int) -> tuple[dict[str, object], list[Any]]:
    calls: list[Any] = []
    with Session(bind=conn) as s:
        report = fn(s, anchors, batch=batch, progress=lambda done, total: calls.append((done, total)))
    return report.to_dict(), calls


OPS = st.tuples(st.sampled_from(["amount", "amount_pair", "description", "delete_posting", "delete_entry",
                                 "swap_entries", "swap_postings", "truncate"]),
                st.integers(0, 60), st.integers(0, 60))
_BUILT: dict[str, list[tuple[int, str]]] = {}
ALWAYS_SEEN = {"amount", "amount_pair", "description", "delete_posting", "delete_entry"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, max_size=3), rehash=st.booleans(), batch=st.sampled_from([1, 2, 3, 5, 5_000]),
       picks=st.lists(st.tuples(st.integers(0, N_ENTRIES), st.integers(16, 64)), max_size=3),
       beyond=st.booleans())
def test_tampering_is_found_exactly_as_before(db: LedgerDB, ops: list[tuple[str, int, int]], rehash: bool,
                                              batch: int, picks: list[tuple[int, int]], beyond: bool) -> None:
    if db.url not in _BUILT:  # hypothesis runs every example on the same database: build its journal once
        _BUILT[db.url] = _journal(db)
    chain = _BUILT[db.url]
    heads = [(0, GENESIS_HASH), *chain]
    anchors = [Anchor(heads[k][0], heads[k][1][:n], f"检查点{k}") for k, n in picks]
    if beyond:  # a checkpoint past the end, as after a truncation
        anchors.append(Anchor(chain[-1][0] + 2, "ab" * 8, "档案"))
    with _tampering(db) as conn:
        for op in ops:
            _apply(conn, op)
        if rehash:
            _rehash(conn)
        old = _run(old_verify, conn, anchors, batch)
        new = _run(verify, conn, anchors, batch)
    assert new == old
    if any(kind in ALWAYS_SEEN for kind, _, _ in ops) and not rehash:
        assert old[0]["ok"] is False


def test_untampered_journal_reports_the_same(db: LedgerDB) -> None:
    chain = _journal(db)
    anchors = [Anchor(0, GENESIS_HASH[:16]), Anchor(5, chain[4][1][:20], "文件"), Anchor(chain[-1][0], chain[-1][1])]
    with db.sessions() as s:
        new = verify(s, anchors).to_dict()
        old = old_verify(s, anchors).to_dict()
    assert new == old
    assert new["ok"] is True and new["entries"] == N_ENTRIES and new["anchored"] == chain[-1][0]
    assert new["head_hash"] == chain[-1][1]


def _bulk(db: LedgerDB, n: int, first: int) -> None:
    specs = [EntrySpec(date(2026, 1, 1 + k % 28), "appropriation", f"第{k}号批量预算", _legs(k), actor="import")
             for k in range(first, first + n)]
    import_in_batches(db.sessions, specs, batch=500)


def _verify_peak(db: LedgerDB, batch: int) -> tuple[int, int]:
    with db.sessions() as s:
        verify(s, batch=batch)  # statements compiled and cached, the driver warmed: not part of the peak
    with db.sessions() as s:
        s.connection()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            report = verify(s, batch=batch)
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
    assert report.ok
    return peak, report.entries


@pytest.mark.parametrize("batch", [50])
def test_verify_memory_does_not_grow_with_the_journal(db: LedgerDB, batch: int) -> None:
    _bulk(db, 400, 0)
    small, n_small = _verify_peak(db, batch)
    _bulk(db, 1_600, 400)
    large, n_large = _verify_peak(db, batch)
    assert n_large == 5 * n_small
    # holding every entry would make the second peak about five times the first; a batch at a time keeps it level
    assert large < 1.5 * small + 64 * 1024, (small, large)
