"""Cached results are keyed by everything that can change them: a journal entry or a platform event."""

from __future__ import annotations

from datetime import date

from app.actions import ComputedCache
from ledger import services as S
from tests.conftest import LedgerDB


def test_a_platform_event_or_a_posting_makes_a_new_version(db: LedgerDB) -> None:
    cache = ComputedCache(size=2)
    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        return {"n": len(calls)}

    with db.sessions.begin() as s:
        S.sync_reference_data(s)
        S.create_platform(s, code="P1", name="平台", jurisdiction="330402")
    with db.sessions() as s:
        first = cache.get(s, ("k",), compute)
        assert cache.get(s, ("k",), compute) == first and len(calls) == 1  # unchanged: computed once
        first["n"] = 99  # a caller changing its copy does not change the cache
        assert cache.get(s, ("k",), compute) == {"n": 1}
    with db.sessions.begin() as s:
        S.add_platform_event(s, "P1", kind="recognition", on=date(2026, 2, 10), level="provincial")
    with db.sessions() as s:
        assert cache.get(s, ("k",), compute) == {"n": 2}
    with db.sessions.begin() as s:
        S.appropriate(s, payer="330400", fiscal_year=2026, program="equipment-subsidy", amount_fen=100,
                      on=date(2026, 1, 5))
    with db.sessions() as s:
        assert cache.get(s, ("k",), compute) == {"n": 3}
