"""Bulk import of journal entries (历史凭证批量导入) that keeps every guarantee of :func:`ledger.journal.post`.

Each entry is checked in Python exactly as ``post`` checks it (at least two legs, no zero amount, known
accounts, every view balanced) and hashed with :func:`ledger.journal.entry_hash`, continuing the chain
from the head. A batch is written in three statements: its postings (``executemany``; ``COPY`` on
PostgreSQL, which fires the same row triggers and checks the same constraints, about 40% faster), then
its entries rows (so the database's balance trigger sees each entry's postings, and the postings' own
trigger sees no entry yet), then the head. The database triggers fire for every row as they do for
``post``.

A batch is all or nothing: every entry of it is checked before anything of it is written, and the
database refusing a row aborts the statement. :func:`import_entries` runs inside the caller's
transaction; :func:`import_in_batches` commits each batch in its own transaction (taking the head lock
once per batch), so normal posting can go on between batches and a refused batch leaves the batches
before it committed and nothing of itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice

from sqlalchemy import Table, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from ledger.errors import JournalIntegrityError
from ledger.journal import ENTRIES, POSTINGS, Leg, _check, entry_hash
from ledger.models import JournalHead


@dataclass(frozen=True)
class EntrySpec:
    """One entry to import: the arguments of :func:`ledger.journal.post`.

    Attributes:
        entry_date: the entry's accounting date (记账日期).
        kind: the kind of entry (``appropriation``, ``approve``, ``payment`` …).
        description: the entry's narration (摘要).
        legs: its postings, signed fen (debit > 0, credit < 0) with their dimensions.
        claim_id: the claim it belongs to, if any.
        reverses_id: the entry it reverses, if any.
        actor: who posted it.
    """

    entry_date: date
    kind: str
    description: str
    legs: Sequence[Leg]
    claim_id: int | None = None
    reverses_id: int | None = None
    actor: str = ""


@dataclass(frozen=True)
class BulkResult:
    """What an import wrote: entries and postings, and the range of entry numbers they received."""

    entries: int = 0
    postings: int = 0
    first_id: int | None = None
    last_id: int | None = None
    batches: int = 0

    def plus(self, other: BulkResult) -> BulkResult:
        if other.entries == 0:
            return BulkResult(self.entries, self.postings, self.first_id, self.last_id,
                              self.batches + other.batches)
        return BulkResult(self.entries + other.entries, self.postings + other.postings,
                          self.first_id if self.first_id is not None else other.first_id, other.last_id,
                          self.batches + other.batches)


class BulkImportError(JournalIntegrityError):
    """A batch was refused; ``written`` is what earlier batches committed (nothing of the refused batch)."""

    def __init__(self, cause: JournalIntegrityError, written: BulkResult) -> None:
        super().__init__(cause.rule, cause.message, field=cause.field, **cause.details)
        self.written = written


def _chunks(entries: Iterable[EntrySpec], size: int) -> Iterator[list[EntrySpec]]:
    it = iter(entries)
    while chunk := list(islice(it, size)):
        yield chunk


def _write_batch(session: Session, chunk: Sequence[EntrySpec], offset: int) -> BulkResult:
    """Check, hash and write one batch under the head lock, inside the session's transaction."""
    legs_of = [list(spec.legs) for spec in chunk]
    for k, legs in enumerate(legs_of):  # nothing is written unless every entry of the batch passes
        try:
            _check(legs)
        except JournalIntegrityError as exc:
            where = f"entries[{offset + k}]"
            raise JournalIntegrityError(exc.rule, f"导入的第{offset + k + 1}张凭证：{exc.message}",
                                        field=f"{where}.{exc.field}" if exc.field else where) from None
    head = session.execute(
        select(JournalHead.last_id, JournalHead.last_hash).where(JournalHead.id == 1).with_for_update()
    ).one()
    prev, next_id = head.last_hash, head.last_id + 1
    posted_at = datetime.now(UTC)
    postings: list[dict[str, object]] = []
    rows: list[dict[str, object]] = []
    for spec, legs in zip(chunk, legs_of, strict=True):
        digest = entry_hash(prev, next_id, spec.entry_date, spec.kind, spec.claim_id, spec.description,
                            spec.reverses_id, spec.actor, legs)
        postings.extend(
            {"entry_id": next_id, "account_code": leg.account, "amount_fen": leg.amount, "payer_code": leg.payer,
             "platform_id": leg.platform_id, "program": leg.program, "claim_id": leg.claim_id,
             "fiscal_year": leg.fiscal_year} for leg in legs)
        rows.append({"id": next_id, "entry_date": spec.entry_date, "kind": spec.kind, "claim_id": spec.claim_id,
                     "description": spec.description, "reverses_id": spec.reverses_id, "actor": spec.actor,
                     "posted_at": posted_at, "prev_hash": prev, "hash": digest})
        prev, next_id = digest, next_id + 1
    _insert(session, POSTINGS, postings)
    _insert(session, ENTRIES, rows)
    session.execute(update(JournalHead).where(JournalHead.id == 1).values(last_id=next_id - 1, last_hash=prev))
    return BulkResult(len(rows), len(postings), head.last_id + 1, next_id - 1, 1)


def _insert(session: Session, table: Table, rows: list[dict[str, object]]) -> None:
    """Insert ``rows`` in order: ``COPY … FROM STDIN`` on PostgreSQL with psycopg (row triggers and
    constraints apply to COPY exactly as to INSERT), ``executemany`` elsewhere."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        columns = list(rows[0])
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        raw = conn.connection.driver_connection
        dbapi_error = conn.dialect.loaded_dbapi.Error
        try:
            with raw.cursor() as cur, cur.copy(statement) as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        except dbapi_error as exc:  # as SQLAlchemy would have raised it for an INSERT
            raise DBAPIError.instance(statement, None, exc, dbapi_error) from exc
        return
    session.execute(table.insert(), rows)


def check_entry(spec: EntrySpec) -> None:
    """Refuse ``spec`` as :func:`ledger.journal.post` would (:class:`JournalIntegrityError`, in Chinese, the
    field ``legs[k].amount`` …), without writing: a file is checked whole before any of it is imported."""
    _check(list(spec.legs))


def import_entries(session: Session, entries: Iterable[EntrySpec], *, batch: int = 1000,
                   progress: Callable[[int, int], None] | None = None) -> BulkResult:
    """Append ``entries`` in order inside the caller's transaction, ``batch`` entries per round trip.

    Raises :class:`JournalIntegrityError` naming the first entry that does not balance; nothing of its
    batch is written (and the caller's transaction should be rolled back, as for ``post``).
    ``progress(done, total)`` is called after each batch (``total``: ``len(entries)`` when it has one, else 0).
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    expected = len(entries) if isinstance(entries, Sized) else 0
    total = BulkResult()
    for chunk in _chunks(entries, batch):
        total = total.plus(_write_batch(session, chunk, total.entries))
        if progress:
            progress(total.entries, expected)
    return total


def import_in_batches(factory: sessionmaker[Session], entries: Iterable[EntrySpec], *,
                      batch: int = 1000, progress: Callable[[int, int], None] | None = None) -> BulkResult:
    """Append ``entries`` in order, one transaction per batch of ``batch`` entries.

    A refused batch raises :class:`BulkImportError`, whose ``written`` tells what the batches before it
    committed; nothing of the refused batch or after it is written. ``progress(done, total)`` is called
    after each committed batch with the entries written so far (``total`` 0: ``entries`` may be a stream
    of unknown length; its ``len`` when it has one).
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    expected = len(entries) if isinstance(entries, Sized) else 0
    total = BulkResult()
    for chunk in _chunks(entries, batch):
        try:
            with factory() as session, session.begin():
                result = _write_batch(session, chunk, total.entries)
        except JournalIntegrityError as exc:
            raise BulkImportError(exc, total) from exc
        except DBAPIError as exc:  # a trigger or a constraint refused a row of the batch
            raise BulkImportError(database_refusal(exc, total.entries, len(chunk)), total) from exc
        total = total.plus(result)
        if progress:
            progress(total.entries, expected)
    return total


DATABASE_RULE = "台账数据库的约束：外键、唯一性、凭证只增不改、借贷平衡"
_COLUMNS = {"payer_code": ("payer", "出资方"), "platform_id": ("platform_id", "平台"), "claim_id": ("claim_id", "申请"),
            "account_code": ("account", "科目"), "reverses_id": ("reverses_id", "所冲销的凭证"),
            "entry_id": ("entry_id", "凭证号")}
_KNOWN = (("append-only", "台账只增不改，已记账的凭证和分录不能修改或删除"),
          ("unbalanced journal entry", "凭证借贷不平衡"),
          ("already posted", "凭证已记账，不能再追加分录"))


def database_refusal(exc: DBAPIError, offset: int, size: int) -> JournalIntegrityError:
    """What the database refused in a batch (entries ``offset + 1`` to ``offset + size`` of the import), in
    Chinese, naming the field where the database says which (PostgreSQL's ``Key (payer_code)=(X)``; SQLite
    names only the kind of constraint). Nothing of the batch was written."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    span = f"导入的第{offset + 1}张凭证" if size == 1 else f"导入的第{offset + 1}–{offset + size}张凭证（同一批）"
    key = re.search(r"Key \((\w+)\)=\((.*?)\)", text) or re.search(r"UNIQUE constraint failed: \w+\.(\w+)()", text)
    column, value = (key.group(1), key.group(2)) if key else ("", "")
    field, named = _COLUMNS.get(column, (column, column))
    shown = f" {value!r} " if value else ""
    if "foreign key" in text.lower():
        what = (f"{named}{shown}在台账中不存在" if column else
                "分录引用了台账中不存在的平台、申请、出资方、科目或凭证") + "；请先登记，或改正导入文件"
    elif "unique" in text.lower() or "duplicate key" in text:
        if column == "reverses_id":
            what = f"{f'第 {value} 号凭证' if value else '所冲销的凭证'}已被冲销，不能重复冲销；请删去重复的冲销行"
        else:
            what = f"{named}{shown}与台账中已有的记录重复；请删去重复的行"
    else:
        what = next((words for english, words in _KNOWN if english in text), "数据库拒绝写入") + "；请改正导入文件"
    return JournalIntegrityError(DATABASE_RULE, f"{span}：{what}。本批未写入任何内容", field=field)
