"""The journal (日记账): append-only, balanced, hash-chained entries in integer fen.

Appending takes the chain's head row under lock, so entries get gap-free numbers in commit order
and each carries the hash of its content and of its predecessor. The database refuses UPDATE and
DELETE of posted rows and unbalanced entries (migration 0002); this module refuses them first
with a clearer message.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

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
    body = json.dumps(
        {"id": entry_id, "date": entry_date.isoformat(), "kind": kind, "claim": claim_id,
         "description": description, "reverses": reverses_id, "actor": actor,
         "legs": [leg.as_list() for leg in legs]},
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _check(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise JournalIntegrityError("double entry", "an entry needs at least two postings")
    for leg in legs:
        if leg.amount == 0:
            raise JournalIntegrityError("double entry", f"a posting to {leg.account} has no amount")
        if leg.account not in VIEW_OF:
            raise JournalIntegrityError("chart of accounts", f"unknown account {leg.account}")
    if sum(leg.amount for leg in legs) != 0:
        raise JournalIntegrityError("double entry", "debits and credits differ")
    by_view: dict[str, int] = {}
    for leg in legs:
        by_view[VIEW_OF[leg.account]] = by_view.get(VIEW_OF[leg.account], 0) + leg.amount
    unbalanced = [v for v, total in by_view.items() if total != 0]
    if unbalanced:
        raise JournalIntegrityError("double entry", f"the {unbalanced[0]} view of the entry does not balance")


def post(session: Session, *, entry_date: date, kind: str, description: str, legs: Sequence[Leg],
         claim_id: int | None = None, reverses_id: int | None = None, actor: str = "") -> int:
    """Append one balanced entry and return its number. Runs inside the caller's transaction."""
    legs = [leg for leg in legs]
    _check(legs)
    last_id, last_hash = session.execute(
        select(JournalHead.last_id, JournalHead.last_hash).where(JournalHead.id == 1).with_for_update()
    ).one()
    entry_id = last_id + 1
    digest = entry_hash(last_hash, entry_id, entry_date, kind, claim_id, description, reverses_id,
                        actor, legs)
    session.execute(
        POSTINGS.insert(),
        [{"entry_id": entry_id, "account_code": leg.account, "amount_fen": leg.amount, "payer_code": leg.payer,
          "platform_id": leg.platform_id, "program": leg.program, "claim_id": leg.claim_id,
          "fiscal_year": leg.fiscal_year} for leg in legs],
    )
    session.execute(ENTRIES.insert().values(
        id=entry_id, entry_date=entry_date, kind=kind, claim_id=claim_id, description=description,
        reverses_id=reverses_id, actor=actor, posted_at=datetime.now(UTC), prev_hash=last_hash,
        hash=digest,
    ))
    session.execute(update(JournalHead).where(JournalHead.id == 1).values(last_id=entry_id, last_hash=digest))
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
        raise JournalIntegrityError("reversal", f"no journal entry {entry_id}", field="entry_id")
    if original.reverses_id is not None:
        raise JournalIntegrityError("reversal", f"entry {entry_id} is itself a reversal; post the entry again instead",
                                    field="entry_id")
    already = session.execute(select(JournalEntry.id).where(JournalEntry.reverses_id == entry_id)).first()
    if already is not None:
        raise JournalIntegrityError("reversal", f"entry {entry_id} was already reversed by entry {already[0]}",
                                    field="entry_id")
    legs = [leg.negated() for leg in legs_of(session, entry_id)] + list(extra_legs)
    return post(session, entry_date=entry_date, kind=kind, description=f"冲销第{entry_id}号凭证：{reason}",
                legs=legs, claim_id=original.claim_id, reverses_id=entry_id, actor=actor)


@dataclass(frozen=True)
class VerifyReport:
    """The result of recomputing the chain: ``ok`` or the first entry that does not match, and why."""

    ok: bool
    entries: int
    postings: int
    first_bad: int | None = None
    problem: str = ""


def _entries_with_legs(session: Session, batch: int = 5000) -> Iterator[tuple[JournalEntry, list[Leg]]]:
    last = 0
    while True:
        entries = list(session.execute(
            select(JournalEntry).where(JournalEntry.id > last).order_by(JournalEntry.id).limit(batch)
        ).scalars())
        if not entries:
            return
        ids = [e.id for e in entries]
        legs: dict[int, list[Leg]] = {i: [] for i in ids}
        for p in session.execute(
            select(Posting).where(Posting.entry_id >= ids[0], Posting.entry_id <= ids[-1]).order_by(Posting.id)
        ).scalars():
            if p.entry_id in legs:
                legs[p.entry_id].append(Leg(p.account_code, p.amount_fen, p.payer_code, p.platform_id, p.program,
                                            p.claim_id, p.fiscal_year))
        for e in entries:
            yield e, legs[e.id]
        session.expunge_all()
        last = ids[-1]


def verify(session: Session) -> VerifyReport:
    """Recompute every entry's hash in order; report the first entry that does not match."""
    prev = GENESIS_HASH
    expected_id = 1
    n_entries = n_postings = 0
    for entry, legs in _entries_with_legs(session):
        n_entries += 1
        n_postings += len(legs)
        if entry.id != expected_id:
            return VerifyReport(False, n_entries, n_postings, expected_id, f"entry {expected_id} is missing")
        if entry.prev_hash != prev:
            return VerifyReport(False, n_entries, n_postings, entry.id, "its predecessor hash does not match")
        if sum(leg.amount for leg in legs) != 0 or len(legs) < 2:
            return VerifyReport(False, n_entries, n_postings, entry.id, "its postings do not balance")
        digest = entry_hash(prev, entry.id, entry.entry_date, entry.kind, entry.claim_id, entry.description,
                            entry.reverses_id, entry.actor, legs)
        if digest != entry.hash:
            return VerifyReport(False, n_entries, n_postings, entry.id, "its content does not match its hash")
        prev = entry.hash
        expected_id += 1
    head = session.execute(select(JournalHead.last_id, JournalHead.last_hash).where(JournalHead.id == 1)).one()
    if head.last_id != expected_id - 1 or head.last_hash != prev:
        return VerifyReport(False, n_entries, n_postings, expected_id - 1 or None,
                            "the chain head does not match the last entry")
    return VerifyReport(True, n_entries, n_postings)
