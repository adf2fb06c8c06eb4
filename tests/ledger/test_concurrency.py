"""Caps and budgets hold under concurrency: 16 approvals at once on the real PostgreSQL server.

Each approval runs in its own thread with its own connection; a barrier releases them together.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ledger import services as S
from ledger.errors import BudgetExceeded, CapExceeded
from ledger.journal import verify
from ledger.outcomes import Approved
from ledger.queries import trial_balance
from tests.ledger.world import race, run_to_audited, setup_world

N = 16


def _books_ok(db: Any) -> None:
    with db.sessions() as s:
        rows = trial_balance(s)
        assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
        assert verify(s).ok


@pytest.mark.postgres
def test_cap_holds_under_16_concurrent_approvals_for_one_platform(pg_db: Any) -> None:
    setup_world(pg_db, years=(2042,))
    numbers = []
    for k in range(N):
        year = 2026 + k
        audited = {2023: 1_000_000_00, 2024: 500_000_00, 2025: 500_000_00} if k == 0 else {year - 1: 2_000_000_00}
        numbers.append(run_to_audited(pg_db, years=audited, filed=date(year, 3, 2), invoices=[]))
    # every claim computes 600,000.00 on its own; the provincial cap of 5,000,000 fits eight
    results = race(pg_db, [
        (lambda s, n=n: S.approve(s, claim_number=n, meeting_date=date(2042, 1, 10), minutes_number=f"m-{n}",
                                  approved_fen=600_000_00, actor="bureau"))
        for n in numbers
    ])
    winners = [r for r in results if isinstance(r, Approved)]
    losers = [r for r in results if not isinstance(r, Approved)]
    assert len(winners) == 8 and len(losers) == 8
    assert all(isinstance(r, CapExceeded) and "累计上限" in r.message for r in losers), losers
    with pg_db.sessions() as s:
        assert S.committed(s, 1, "equipment-subsidy") == 4_800_000_00
    _books_ok(pg_db)


@pytest.mark.postgres
def test_budget_holds_under_16_concurrent_approvals_for_one_payer(pg_db: Any) -> None:
    setup_world(pg_db, city_budget_fen=2_000_000_00)
    numbers = []
    with pg_db.sessions.begin() as s:
        for k in range(1, N):
            S.create_platform(s, code=f"P{k + 1}", name=f"平台{k + 1}", jurisdiction="330402")
            S.add_platform_event(s, f"P{k + 1}", kind="recognition", on=date(2026, 2, 10), level="provincial")
    for k in range(N):
        numbers.append(run_to_audited(pg_db, code=f"P{k + 1}", years={2023: 2_000_000_00}, invoices=[]))
    # each claim 600,000.00 → city share 300,000.00; the city's 2,000,000.00 fits six
    results = race(pg_db, [
        (lambda s, n=n: S.approve(s, claim_number=n, meeting_date=date(2026, 3, 25), minutes_number=f"m-{n}",
                                  actor="bureau"))
        for n in numbers
    ])
    winners = [r for r in results if isinstance(r, Approved)]
    losers = [r for r in results if not isinstance(r, Approved)]
    assert len(winners) == 6 and len(losers) == 10
    assert all(isinstance(r, BudgetExceeded) and r.details["payer"] == "330400" for r in losers), losers
    with pg_db.sessions() as s:
        assert S.available_budget(s, "330400", 2026, "equipment-subsidy") == 200_000_00
    _books_ok(pg_db)
