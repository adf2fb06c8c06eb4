"""The oracle for the verify tests: ``ledger.journal.verify`` as it was before issue 12 part 5 (main at
2d00980), copied verbatim with its own canonical JSON and row reader, so that the streaming verify can be
compared with it finding for finding (tests/ledger/test_verify_stream.py). Never change it to follow the
new code: it is the old semantics."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from ledger.accounts import GENESIS_HASH
from ledger.journal import Anchor, VerifyReport
from ledger.models import JournalEntry, JournalHead, Posting


def _digest(prev_hash: str, entry_id: int, entry_date: date, kind: str, claim_id: int | None,
            description: str, reverses_id: int | None, actor: str, legs: list[list[Any]]) -> str:
    body = json.dumps(
        {"id": entry_id, "date": entry_date.isoformat(), "kind": kind, "claim": claim_id,
         "description": description, "reverses": reverses_id, "actor": actor, "legs": legs},
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


VERIFY_BATCH = 10_000
_E = cast(Table, JournalEntry.__table__)
_P = cast(Table, Posting.__table__)
_ENTRY_COLUMNS = [_E.c[k] for k in ("id", "entry_date", "kind", "claim_id", "description", "reverses_id", "actor",
                                    "prev_hash", "hash")]
_LEG_COLUMNS = [_P.c[k] for k in ("entry_id", "account_code", "amount_fen", "payer_code", "platform_id", "program",
                                  "claim_id", "fiscal_year")]


def _entry_rows(session: Session, batch: int) -> Iterator[tuple[Any, list[list[Any]]]]:
    """Every entry as a plain row with its legs as lists (``Leg.as_list`` order), in number order: one
    Core select of entries and one of their postings per ``batch`` entries, on the session's connection
    (no ORM objects), so memory stays flat."""
    conn = session.connection()
    last = -1
    while True:
        entries = conn.execute(select(*_ENTRY_COLUMNS).where(_E.c.id > last).order_by(_E.c.id).limit(batch)).all()
        if not entries:
            return
        lo, hi = entries[0].id, entries[-1].id
        legs: dict[int, list[list[Any]]] = {}
        for p in conn.execute(select(*_LEG_COLUMNS).where(_P.c.entry_id >= lo, _P.c.entry_id <= hi)
                              .order_by(_P.c.entry_id, _P.c.id)):
            legs.setdefault(p[0], []).append(list(p[1:]))
        for e in entries:
            yield e, legs.pop(e.id, [])
        last = hi


# size: one streaming pass over the chain with every check it makes per entry (numbering, predecessor, balance,
# hash, anchors) and the head at the end, each naming the entry in Chinese; split, the pass would be read twice
def old_verify(session: Session, anchors: Iterable[Anchor] = (), *, batch: int = VERIFY_BATCH,
           progress: Callable[[int, int], None] | None = None) -> VerifyReport:
    """Recompute every entry's hash in order and report the first entry that does not match.

    With ``anchors``, also prove the journal still extends each of them: the entry is there (nothing
    removed), and the recomputed hash at that entry is the anchor's (nothing before it rewritten, even
    with every later hash recomputed). Reads plain rows in batches: memory stays flat at any size.
    ``progress(done, total)`` is called after each batch (``total``: the head's entry number)."""
    pending = sorted(anchors, key=lambda a: a.entry_id)
    for a in pending:
        if a.entry_id < 0 or len(a.hash) < 16:
            raise ValueError(f"an anchor needs an entry number and at least 16 hex digits: {a}")
    passed: Anchor | None = None
    prev = GENESIS_HASH
    expected_id = 1
    n_entries = n_postings = 0

    def bad(entry_id: int | None, problem: str) -> VerifyReport:
        return VerifyReport(False, n_entries, n_postings, entry_id, problem, expected_id - 1, prev,
                            passed.entry_id if passed else None)

    while pending and pending[0].entry_id == 0:  # the empty journal's head
        if pending[0].hash.lower() != GENESIS_HASH[:len(pending[0].hash)]:
            return bad(0, f"{pending[0].source}记录的链头不是空账本的链头")
        passed = pending.pop(0)
    total = (session.execute(select(JournalHead.last_id).where(JournalHead.id == 1)).scalar() or 0) if progress else 0
    for entry, legs in _entry_rows(session, batch):
        n_entries += 1
        n_postings += len(legs)
        if progress and n_entries % batch == 0:
            progress(n_entries, max(total, n_entries))
        if entry.id != expected_id:
            return bad(expected_id, f"第 {expected_id} 号凭证缺失（凭证号不连续，其后是第 {entry.id} 号）")
        if entry.prev_hash != prev:
            return bad(entry.id, f"第 {entry.id} 号凭证：所记前一凭证的哈希与链不符")
        if len(legs) < 2 or sum(leg[1] for leg in legs) != 0:
            return bad(entry.id, f"第 {entry.id} 号凭证：分录借贷不平衡或少于两条")
        digest = _digest(prev, entry.id, entry.entry_date, entry.kind, entry.claim_id, entry.description,
                         entry.reverses_id, entry.actor, legs)
        if digest != entry.hash:
            return bad(entry.id, f"第 {entry.id} 号凭证：内容与其哈希不符")
        prev = digest
        expected_id += 1
        while pending and pending[0].entry_id == entry.id:
            a = pending.pop(0)
            if not digest.startswith(a.hash.lower()):
                since = (f"；第 {passed.entry_id} 号凭证处的{passed.source}仍一致，改写发生在第 {passed.entry_id + 1}"
                         f" 至 {entry.id} 号凭证之间" if passed and passed.entry_id else "")
                return bad(entry.id, f"第 {entry.id} 号凭证：哈希与{a.source}不符（该凭证或其前的凭证被改写{since}）")
            passed = a
    last = expected_id - 1
    if pending:
        a = pending[-1]
        return bad(last + 1, f"第 {last + 1} 号凭证缺失：{a.source}止于第 {a.entry_id} 号凭证，"
                             f"账本只到第 {last} 号（其后的凭证被删除）")
    head = session.execute(select(JournalHead.last_id, JournalHead.last_hash).where(JournalHead.id == 1)).one()
    if head.last_id != last or head.last_hash != prev:
        return bad(last or None, f"链头记录（第 {head.last_id} 号凭证）与最后一张凭证（第 {last} 号）不符")
    if progress:
        progress(n_entries, n_entries)
    all_postings = session.execute(select(func.count()).select_from(Posting)).scalar_one()
    if all_postings != n_postings:
        return bad(None, f"有 {all_postings - n_postings} 条分录不属于任何凭证")
    return VerifyReport(True, n_entries, n_postings, None, "", last, prev, passed.entry_id if passed else None)
