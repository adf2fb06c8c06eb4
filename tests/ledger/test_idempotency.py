"""Idempotent writes: same key and body → the first result, nothing posted twice; different body → refused."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from ledger import idempotency
from ledger import services as S
from ledger.errors import IdempotencyConflict, Invalid
from ledger.models import IdempotencyKey, JournalEntry
from ledger.outcomes import Appropriated, ClaimComputed, ClaimState


def _appropriate(amount: int) -> Any:
    request = {"payer": "330400", "fiscal_year": 2026, "program": "equipment-subsidy", "amount": amount}

    def work(s: Any) -> Appropriated:
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
    assert again == replace(first, replayed=True)
    assert isinstance(again, Appropriated) and again.appropriation == 100_00 and not first.replayed
    assert _entries(db) == 1


def test_same_key_different_body_is_refused(db: Any) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
    request, work = _appropriate(100_00)
    idempotency.run(db.sessions, "appropriate", request, work, key="k-2")
    other_request, other_work = _appropriate(200_00)
    with pytest.raises(IdempotencyConflict, match="已用于另一请求"):
        idempotency.run(db.sessions, "appropriate", other_request, other_work, key="k-2")
    assert _entries(db) == 1


def test_failed_request_does_not_burn_its_key(db: Any) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
    request, work = _appropriate(-5)
    with pytest.raises(Invalid, match="须大于 0"):
        idempotency.run(db.sessions, "appropriate", request, work, key="k-3")
    assert _entries(db) == 0


@pytest.mark.postgres
def test_concurrent_requests_with_one_key_post_once(pg_db: Any) -> None:
    with pg_db.sessions.begin() as s:
        S.sync_reference_data(s)
    request, work = _appropriate(100_00)
    barrier = threading.Barrier(8)

    def go(_: int) -> Appropriated:
        barrier.wait()
        return idempotency.run(pg_db.sessions, "appropriate", request, work, key="k-race")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(go, range(8)))
    assert sum(1 for r in results if not r.replayed) == 1
    assert len({r.entry for r in results}) == 1
    assert _entries(pg_db) == 1


def test_a_key_keeps_the_typed_outcome_as_json_and_gives_it_back_typed() -> None:
    """Fen stay integers, dates and states come back as themselves, a calculation result whole."""
    from calculators.results import CapInfo, ClaimResult, Share, TraceStep

    result = ClaimResult(
        claim_id="SQ2026-000001", program="equipment-subsidy", program_title="设备补助", rule_set="rs",
        rule_set_title="细则", purse="municipal", status="capped", gross=600_000_01, entitled=500_000_00,
        offset=0, payable=500_000_00,
        cap=CapInfo(level="provincial", limit=500_000_00, used=0, headroom=500_000_00, clause="第四章"),
        shares=(Share(payer="330400", payer_name="市财政", party="city", amount=250_000_00),),
        trace=(TraceStep("cap", "第四章", "上限", {"limit": "500000.00"}),), reasons=("上限",), years=(2024,))
    outcome = ClaimComputed(claim="SQ2026-000001", state=ClaimState.FILED, entry=7, computed=500_000_00,
                            result=result)
    stored = idempotency.kept(outcome)
    assert stored["outcome"] == "ClaimComputed" and stored["value"]["computed"] == 500_000_00
    back = idempotency.replayed(stored, "k")
    assert back == replace(outcome, replayed=True)
    assert isinstance(back, ClaimComputed) and back.state is ClaimState.FILED and back.result.years == (2024,)


def test_a_key_recorded_before_typed_outcomes_is_refused_not_misread(db: Any) -> None:
    """A response kept by an earlier version (yuan strings, no type) is never read as fen."""
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
    request, work = _appropriate(100_00)
    with db.sessions.begin() as s:
        s.add(IdempotencyKey(key="k-old", operation="appropriate",
                             request_hash=idempotency.request_hash("appropriate", request),
                             response={"budget": 1, "entry": 1, "appropriation": "100.00"}))
    with pytest.raises(IdempotencyConflict, match="早期版本"):
        idempotency.run(db.sessions, "appropriate", request, work, key="k-old")
    assert _entries(db) == 0
