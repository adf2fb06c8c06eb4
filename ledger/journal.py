"""The journal (日记账): append-only, balanced, hash-chained entries in integer fen.

Appending takes the chain's head row under lock, so entries get gap-free numbers in commit order
and each carries the hash of its content and of its predecessor. The lock is taken by the ``UPDATE`` that
advances the head, conditional on the head this process last saw (one statement), or, when another
process moved it, by ``SELECT … FOR UPDATE`` first. The database refuses UPDATE and
DELETE of posted rows and unbalanced entries (migration 0002); this module refuses them first
with a clearer message.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Integer,
    String,
    Table,
    bindparam,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from calculators.formats import yuan_grouped
from ledger.accounts import GENESIS_HASH, VIEW_OF
from ledger.errors import JournalIntegrityError
from ledger.models import JournalEntry, JournalHead, Posting

POSTINGS = cast(Table, Posting.__table__)  # a declarative class's __table__ is typed FromClause; it is a Table
ENTRIES = cast(Table, JournalEntry.__table__)


@dataclass(frozen=True)
class Leg:
    """One posting to make: signed fen (debit > 0, credit < 0) and its dimensions."""

    account: str
    amount: int
    payer: str | None = None
    platform_id: int | None = None
    program: str | None = None
    claim_id: int | None = None
    fiscal_year: int | None = None

    def negated(self) -> Leg:
        return Leg(self.account, -self.amount, self.payer, self.platform_id, self.program, self.claim_id,
                   self.fiscal_year)

    def as_list(self) -> list[object]:
        return [self.account, self.amount, self.payer, self.platform_id, self.program, self.claim_id,
                self.fiscal_year]


def debit_credit(debit: str, credit: str, amount: int, **dims: object) -> list[Leg]:
    """A pair of legs: ``amount`` debited to ``debit`` and credited to ``credit`` with the same dimensions."""
    return [Leg(debit, amount, **dims), Leg(credit, -amount, **dims)]  # type: ignore[arg-type]


def entry_hash(prev_hash: str, entry_id: int, entry_date: date, kind: str, claim_id: int | None,
               description: str, reverses_id: int | None, actor: str, legs: Iterable[Leg]) -> str:
    """SHA-256 over the canonical JSON of an entry's content and its predecessor's hash."""
    return _digest(prev_hash, entry_id, entry_date, kind, claim_id, description, reverses_id, actor,
                   [leg.as_list() for leg in legs])


# what json.dumps(..., ensure_ascii=False, sort_keys=True, separators=(",", ":")) builds on every call, built once
_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_bytes(entry_id: int, entry_date: str, kind: str, claim_id: int | None, description: str,
                    reverses_id: int | None, actor: str, legs: Sequence[Sequence[Any]]) -> bytes:
    """The canonical form of an entry's content that the chain hashes (规范化字节): sorted-key compact JSON,
    UTF-8, the date as ISO ``YYYY-MM-DD`` and each leg an array in ``Leg.as_list`` order (a list or a
    tuple: JSON writes both as an array). The one definition: entries are hashed with it when posted
    (``entry_hash``) and when verified."""
    return _CANONICAL_JSON.encode(
        {"id": entry_id, "date": entry_date, "kind": kind, "claim": claim_id, "description": description,
         "reverses": reverses_id, "actor": actor, "legs": legs}).encode("utf-8")


def _digest(prev_hash: str, entry_id: int, entry_date: date, kind: str, claim_id: int | None,
            description: str, reverses_id: int | None, actor: str, legs: Sequence[Sequence[Any]]) -> str:
    body = canonical_bytes(entry_id, entry_date.isoformat(), kind, claim_id, description, reverses_id, actor, legs)
    return hashlib.sha256(prev_hash.encode("utf-8") + body).hexdigest()


DOUBLE_ENTRY = "复式记账：每张凭证至少借、贷两条分录，有借必有贷，借贷必相等"
PARALLEL_VIEWS = "平行记账：预算会计、财务会计和备查簿各自借贷相等"
CHART_RULE = "会计科目表：只记入科目表所列科目"
REVERSAL_RULE = "凭证只增不改：错账以红字冲销更正，每张凭证只冲销一次"
VIEW_WORDS = {"budgetary": "预算会计", "financial": "财务会计", "memorandum": "备查簿"}


def _check(legs: Sequence[Leg]) -> None:
    """Refuse an entry that does not balance, in Chinese, naming the posting (``legs[k].amount``) and the rule."""
    if len(legs) < 2:
        raise JournalIntegrityError(DOUBLE_ENTRY, f"凭证只有 {len(legs)} 条分录；每张凭证至少要有借方、贷方各一条分录",
                                    field="legs")
    for k, leg in enumerate(legs):
        if leg.amount == 0:
            raise JournalIntegrityError(DOUBLE_ENTRY, f"第{k + 1}条分录（科目 {leg.account}）金额为 0；分录金额不得为 0",
                                        field=f"legs[{k}].amount")
        if leg.account not in VIEW_OF:
            raise JournalIntegrityError(CHART_RULE, f"第{k + 1}条分录的科目 {leg.account!r} 不在会计科目表中；"
                                        "请改用科目表所列科目", field=f"legs[{k}].account")
    debit = sum(leg.amount for leg in legs if leg.amount > 0)
    credit = -sum(leg.amount for leg in legs if leg.amount < 0)
    if debit != credit:
        raise JournalIntegrityError(DOUBLE_ENTRY, f"借方合计 {yuan_grouped(debit)} 元与贷方合计 {yuan_grouped(credit)} 元"
                                    "不等；借贷必须相等", field="legs")
    by_view: dict[str, int] = {}
    for leg in legs:
        by_view[VIEW_OF[leg.account]] = by_view.get(VIEW_OF[leg.account], 0) + leg.amount
    unbalanced = [v for v, total in by_view.items() if total != 0]
    if unbalanced:
        view = unbalanced[0]
        raise JournalIntegrityError(PARALLEL_VIEWS, f"凭证的{VIEW_WORDS[view]}分录借贷相差 "
                                    f"{yuan_grouped(abs(by_view[view]))} 元；每一类会计各自借贷相等", field="legs")


_HEAD = cast(Table, JournalHead.__table__)
_known_heads: WeakKeyDictionary[Engine, tuple[int, str]] = WeakKeyDictionary()
"""The head each engine's database had when this process last locked or advanced it (per engine: tests and
tools open several databases). Only a guess, checked by the very ``UPDATE`` that advances the head."""


_ADVANCED = "ledger.journal.advanced"  # in Connection.info: this transaction advanced the head


def _forget_head(conn: Connection, *_args: object) -> None:
    if conn.info.pop(_ADVANCED, False):
        _known_heads.pop(conn.engine, None)


def _committed(conn: Connection) -> None:
    conn.info.pop(_ADVANCED, None)


def _watch(engine: Engine) -> None:
    """A transaction or savepoint that advanced the remembered head and was rolled back: forget the head."""
    if not event.contains(engine, "rollback", _forget_head):
        event.listen(engine, "rollback", _forget_head)
        event.listen(engine, "rollback_savepoint", _forget_head)
        event.listen(engine, "commit", _committed)


_LOCK_HEAD = select(_HEAD.c.last_id, _HEAD.c.last_hash).where(_HEAD.c.id == 1).with_for_update()
_SET_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(last_id=bindparam("new_id"), last_hash=bindparam("new_hash"))
_MOVE_HEAD = _SET_HEAD.where(_HEAD.c.last_id == bindparam("seen_id"), _HEAD.c.last_hash == bindparam("seen_hash"))
_INSERT_POSTINGS = POSTINGS.insert()
_INSERT_ENTRY = ENTRIES.insert()
_LEG_FIELDS = ("account_code", "amount_fen", "payer_code", "platform_id", "program", "claim_id", "fiscal_year")
_LEG_ARRAYS = {"account_code": String, "amount_fen": BigInteger, "payer_code": String, "platform_id": Integer,
               "program": String, "claim_id": Integer, "fiscal_year": Integer}
# PostgreSQL: the head moved (if it is the one remembered) and the postings inserted in one statement; the
# postings are numbered in the legs' order (ORDER BY the ordinality), the order the hash covers
_MOVE_HEAD_AND_POST = text(f"""
    WITH head AS (UPDATE journal_head SET last_id = :new_id, last_hash = :new_hash
                  WHERE id = 1 AND last_id = :seen_id AND last_hash = :seen_hash RETURNING last_id)
    INSERT INTO postings (entry_id, {", ".join(_LEG_FIELDS)})
    SELECT head.last_id, {", ".join(f"leg.{f}" for f in _LEG_FIELDS)}
    FROM head, unnest({", ".join(f":{f}" for f in _LEG_FIELDS)}) WITH ORDINALITY
         AS leg({", ".join(_LEG_FIELDS)}, n)
    ORDER BY leg.n""").bindparams(*(bindparam(f, type_=ARRAY(t)) for f, t in _LEG_ARRAYS.items()))


def lock_head(session: Session) -> tuple[int, str]:
    """Take the chain head's row lock (``SELECT … FOR UPDATE``) and return (last entry number, last hash);
    remembered, so that the next :func:`post` advances the head with a single ``UPDATE``."""
    last_id, last_hash, _ = lock_head_and_read(session, None)
    return last_id, last_hash


_LOCK_HEAD_WITH: dict[Any, Any] = {}
"""The head's lock with a caller's scalar read in the same statement (SQLite), built once per scalar."""


def _lock_head_with(scalar: Any) -> Any:
    built = _LOCK_HEAD_WITH.get(scalar)
    if built is None:
        built = _LOCK_HEAD_WITH[scalar] = _LOCK_HEAD.add_columns(scalar)
    return built


def lock_head_and_read(session: Session, scalar: Any) -> tuple[int, str, Any]:
    """:func:`lock_head`, then the value of ``scalar`` (a scalar subquery, or None) as seen under the lock:
    on SQLite, whose writers hold the database lock from ``BEGIN IMMEDIATE``, in the same statement; on
    PostgreSQL in a second one (a statement that waited for the lock reads other tables as they were when
    it began)."""
    conn = session.connection()
    together = scalar is not None and conn.dialect.name == "sqlite"
    head = conn.execute(_lock_head_with(scalar) if together else _LOCK_HEAD).one()
    _watch(conn.engine)
    _known_heads[conn.engine] = (head[0], head[1])
    if scalar is None:
        return head[0], head[1], None
    return head[0], head[1], head[2] if together else conn.execute(select(scalar)).scalar_one()


def _posting_rows(entry_id: int, legs: Sequence[Leg]) -> list[dict[str, Any]]:
    return [{"entry_id": entry_id, "account_code": leg.account, "amount_fen": leg.amount, "payer_code": leg.payer,
             "platform_id": leg.platform_id, "program": leg.program, "claim_id": leg.claim_id,
             "fiscal_year": leg.fiscal_year} for leg in legs]


def _advance(conn: Connection, legs: Sequence[Leg], digest_of: Callable[[int, str], str]) -> tuple[int, str, str]:
    """Advance the chain head by one entry and insert the entry's postings; return (new entry number,
    predecessor's hash, new hash).

    When the head is the one this process last saw (the usual case: this transaction locked it already, or
    this process posted last), ``UPDATE journal_head … WHERE last_id = :seen AND last_hash = :seen_hash``
    takes the row lock and proves the head unchanged in one step (on PostgreSQL it waits for a concurrent
    poster, then re-checks the row it finds); on PostgreSQL that ``UPDATE`` and the postings' ``INSERT`` are
    one statement. Otherwise (another process posted; a transaction rolled back) the row is locked and read
    (``SELECT … FOR UPDATE``), then updated."""
    engine = conn.engine
    seen = _known_heads.get(engine)
    if seen is not None:
        new_id, digest = seen[0] + 1, digest_of(seen[0] + 1, seen[1])
        head = {"seen_id": seen[0], "seen_hash": seen[1], "new_id": new_id, "new_hash": digest}
        if conn.dialect.name == "postgresql":
            columns = {f: [row[f] for row in _posting_rows(new_id, legs)] for f in _LEG_FIELDS}
            moved = conn.execute(_MOVE_HEAD_AND_POST, head | columns).rowcount == len(legs)
        elif conn.execute(_MOVE_HEAD, head).rowcount == 1:
            conn.execute(_INSERT_POSTINGS, _posting_rows(new_id, legs))
            moved = True
        else:
            moved = False
        if moved:
            conn.info[_ADVANCED] = True
            _known_heads[engine] = (new_id, digest)
            return new_id, seen[1], digest
    _watch(engine)
    last_id, last_hash = conn.execute(_LOCK_HEAD).one()
    new_id, digest = last_id + 1, digest_of(last_id + 1, last_hash)
    conn.execute(_SET_HEAD, {"new_id": new_id, "new_hash": digest})
    conn.info[_ADVANCED] = True
    _known_heads[engine] = (new_id, digest)
    conn.execute(_INSERT_POSTINGS, _posting_rows(new_id, legs))
    return new_id, last_hash, digest


def post(session: Session, *, entry_date: date, kind: str, description: str, legs: Sequence[Leg],
         claim_id: int | None = None, reverses_id: int | None = None, actor: str = "") -> int:
    """Append one balanced entry and return its number. Runs inside the caller's transaction.

    On the session's connection, without an ORM flush (the caller's pending objects are written when it
    flushes, under the claim's lock that covers them): the head advanced and the postings inserted
    (:func:`_advance`: two statements on SQLite, one on PostgreSQL), then the entry, whose insert the
    database checks for balance (migration 0002)."""
    legs = [leg for leg in legs]
    _check(legs)
    conn = session.connection()
    entry_id, prev_hash, digest = _advance(conn, legs, lambda entry_id, prev_hash: entry_hash(
        prev_hash, entry_id, entry_date, kind, claim_id, description, reverses_id, actor, legs))
    conn.execute(_INSERT_ENTRY, {
        "id": entry_id, "entry_date": entry_date, "kind": kind, "claim_id": claim_id, "description": description,
        "reverses_id": reverses_id, "actor": actor, "posted_at": datetime.now(UTC), "prev_hash": prev_hash,
        "hash": digest})
    return entry_id


def legs_of(session: Session, entry_id: int) -> list[Leg]:
    rows = session.execute(select(Posting).where(Posting.entry_id == entry_id).order_by(Posting.id)).scalars()
    return [Leg(p.account_code, p.amount_fen, p.payer_code, p.platform_id, p.program, p.claim_id, p.fiscal_year)
            for p in rows]


def reverse(session: Session, entry_id: int, *, entry_date: date, reason: str, actor: str = "",
            kind: str = "reversal", extra_legs: Sequence[Leg] = ()) -> int:
    """Post the mirror of entry ``entry_id`` (plus ``extra_legs``), naming the entry it reverses."""
    original = session.get(JournalEntry, entry_id)
    if original is None:
        raise JournalIntegrityError(REVERSAL_RULE, f"没有第 {entry_id} 号凭证；请核对凭证号", field="entry_id")
    if original.reverses_id is not None:
        raise JournalIntegrityError(REVERSAL_RULE, f"第 {entry_id} 号凭证本身是冲销凭证，不能再冲销；如需恢复，"
                                    "请重新记一张原凭证", field="entry_id")
    already = session.execute(select(JournalEntry.id).where(JournalEntry.reverses_id == entry_id)).first()
    if already is not None:
        raise JournalIntegrityError(REVERSAL_RULE, f"第 {entry_id} 号凭证已由第 {already[0]} 号凭证冲销，"
                                    "不能重复冲销", field="entry_id")
    legs = [leg.negated() for leg in legs_of(session, entry_id)] + list(extra_legs)
    return post(session, entry_date=entry_date, kind=kind, description=f"冲销第{entry_id}号凭证：{reason}",
                legs=legs, claim_id=original.claim_id, reverses_id=entry_id, actor=actor)


@dataclass(frozen=True)
class Anchor:
    """A head the journal must still extend (锚点): entry ``entry_id`` had hash ``hash`` (or a hash starting
    with it, at least 16 hex digits, as printed on a document). ``source`` names it in messages."""

    entry_id: int
    hash: str
    source: str = "锚点"


@dataclass(frozen=True)
class VerifyReport:
    """The result of recomputing the chain: ``ok`` or the first entry that does not match, and why (in Chinese).

    ``head_id``/``head_hash``: the head the recomputed chain reached; ``anchored``: the highest anchor
    entry the journal was proved to extend (``None`` without anchors)."""

    ok: bool
    entries: int
    postings: int
    first_bad: int | None = None
    problem: str = ""
    head_id: int = 0
    head_hash: str = GENESIS_HASH
    anchored: int | None = None

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


VERIFY_BATCH = 5_000
_E = cast(Table, JournalEntry.__table__)
_P = cast(Table, Posting.__table__)
_ENTRY_COLUMNS = [_E.c[k] for k in ("id", "entry_date", "kind", "claim_id", "description", "reverses_id", "actor",
                                    "prev_hash", "hash")]
# Leg.as_list order, then the entry: a row sliced [:-1] is the leg as canonical_bytes takes it
_LEG_COLUMNS = [_P.c[k] for k in ("account_code", "amount_fen", "payer_code", "platform_id", "program", "claim_id",
                                  "fiscal_year", "entry_id")]


def _entry_rows(session: Session, batch: int) -> Iterator[tuple[Any, list[tuple[Any, ...]]]]:
    """Every entry as a plain row with its legs as tuples (``Leg.as_list`` order), in number order.

    Per ``batch`` entries, one Core select of the entries (by number, from the last one seen) and one of
    their postings (by entry number, then posting id), fetched whole and merged in order, on the
    session's connection: no ORM objects, nothing kept across batches (memory bounded by ``batch``, flat
    at any journal size), and it works in any transaction mode, autocommit included. Postings whose entry
    is missing are skipped here; ``verify`` counts every posting at the end."""
    conn = session.connection()
    last = -1
    while True:
        entries = conn.execute(select(*_ENTRY_COLUMNS).where(_E.c.id > last).order_by(_E.c.id).limit(batch)).all()
        if not entries:
            return
        lo, hi = entries[0][0], entries[-1][0]
        rows = conn.execute(select(*_LEG_COLUMNS).where(_P.c.entry_id >= lo, _P.c.entry_id <= hi)
                            .order_by(_P.c.entry_id, _P.c.id)).all()
        k, n = 0, len(rows)
        for e in entries:
            entry_id = e[0]
            while k < n and rows[k][-1] < entry_id:
                k += 1
            legs = []
            while k < n and rows[k][-1] == entry_id:
                legs.append(rows[k][:-1])
                k += 1
            yield e, legs
        last = hi


# size: one streaming pass over the chain with every check it makes per entry (numbering, predecessor, balance,
# hash, anchors) and the head at the end, each naming the entry in Chinese; split, the pass would be read twice
def verify(session: Session, anchors: Iterable[Anchor] = (), *, batch: int = VERIFY_BATCH,
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
    for (entry_id, day, kind, claim_id, description, reverses_id, actor, prev_hash, stored), legs in _entry_rows(
            session, batch):
        n_entries += 1
        n_postings += len(legs)
        if progress and n_entries % batch == 0:
            progress(n_entries, max(total, n_entries))
        if entry_id != expected_id:
            return bad(expected_id, f"第 {expected_id} 号凭证缺失（凭证号不连续，其后是第 {entry_id} 号）")
        if prev_hash != prev:
            return bad(entry_id, f"第 {entry_id} 号凭证：所记前一凭证的哈希与链不符")
        if len(legs) < 2 or sum([leg[1] for leg in legs]) != 0:
            return bad(entry_id, f"第 {entry_id} 号凭证：分录借贷不平衡或少于两条")
        digest = _digest(prev, entry_id, day, kind, claim_id, description, reverses_id, actor, legs)
        if digest != stored:
            return bad(entry_id, f"第 {entry_id} 号凭证：内容与其哈希不符")
        prev = digest
        expected_id += 1
        while pending and pending[0].entry_id == entry_id:
            a = pending.pop(0)
            if not digest.startswith(a.hash.lower()):
                since = (f"；第 {passed.entry_id} 号凭证处的{passed.source}仍一致，改写发生在第 {passed.entry_id + 1}"
                         f" 至 {entry_id} 号凭证之间" if passed and passed.entry_id else "")
                return bad(entry_id, f"第 {entry_id} 号凭证：哈希与{a.source}不符（该凭证或其前的凭证被改写{since}）")
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
