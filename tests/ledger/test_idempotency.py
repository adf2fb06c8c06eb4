"""Idempotent writes: same key and body → the first result, nothing posted twice; different body → refused."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from ledger import idempotency
from ledger import services as S
from ledger.errors import IdempotencyConflict, Invalid
from ledger.models import JournalEntry


def _appropriate(amount: int) -> Any:
    request = {"payer": "330400", "fiscal_year": 2026, "program": "equipment-subsidy", "amount": amount}

    def work(s: Any) -> dict[str, Any]:
        return S.appropriate(s, payer="330400", fiscal_year=2026, program="equipment-subsidy", amount_fen=amount,
                             on=date(2026, 1, 5))

    return request, work


def _entries(db: Any) -> int:
    with db.sessions() as s:
        return int(s.execute(select(func.count(JournalEntry.id))).scalar_one())


def test_same_key_same_body_replays_without_posting(db: Any) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
    request, work = _appropriate(100_00)
    first = idempotency.run(db.sessions, "appropriate", request, work, key="k-1")
    again = idempotency.run(db.sessions, "appropriate", request, work, key="k-1")
    assert again == {**first, "replayed": True}
    assert _entries(db) == 1


def test_same_key_different_body_is_refused(db: Any) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
    request, work = _appropriate(100_00)
    idempotency.run(db.sessions, "appropriate", request, work, key="k-2")
    other_request, other_work = _appropriate(200_00)
    with pytest.raises(IdempotencyConflict, match="different request"):
        idempotency.run(db.sessions, "appropriate", other_request, other_work, key="k-2")
    assert _entries(db) == 1


def test_failed_request_does_not_burn_its_key(db: Any) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
    request, work = _appropriate(-5)
    with pytest.raises(Invalid, match="more than 0"):
        idempotency.run(db.sessions, "appropriate", request, work, key="k-3")
    assert _entries(db) == 0


@pytest.mark.postgres
def test_concurrent_requests_with_one_key_post_once(pg_db: Any) -> None:
    with pg_db.sessions.begin() as s:
        S.sync_reference_data(s)
    request, work = _appropriate(100_00)
    barrier = threading.Barrier(8)

    def go(_: int) -> dict[str, Any]:
        barrier.wait()
        return idempotency.run(pg_db.sessions, "appropriate", request, work, key="k-race")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(go, range(8)))
    assert sum(1 for r in results if not r.get("replayed")) == 1
    assert len({r["entry"] for r in results}) == 1
    assert _entries(pg_db) == 1
