"""Every money-moving action raced by 32 clients on one target, on the real PostgreSQL server.

Each client is a thread with its own session and connection; a barrier releases them together. After
each race: the sum never exceeds what is due, available or capped; exactly the right number succeed;
every refusal is the ledger's own error (a Chinese rule, never a deadlock or serialization failure);
the projections equal the journal and the chain verifies. Each test prints its figures as one JSON
line (run with ``-s`` to see them): clients, attempts, successes, refusals and the sums.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from ledger import accounts as A
from ledger import projections
from ledger import services as S
from ledger.errors import (
    AlreadyClaimed,
    BudgetExceeded,
    IllegalTransition,
    Invalid,
    LedgerError,
    PaymentExceedsPayable,
)
from ledger.journal import verify
from ledger.models import Budget, Claim, Payment, Recovery
from ledger.queries import balance, trial_balance
from tests.conftest import LedgerDB
from tests.ledger.world import pay_confirmed, race, run_to_audited, setup_world

CLIENTS = 32
CHINESE = re.compile(r"[\u4e00-\u9fff]")
pytestmark = pytest.mark.postgres


def outcome(results: list[Any], refusal: type[LedgerError], rule: str) -> tuple[int, int]:
    """(successes, refusals); every failure is ``refusal`` with ``rule`` in its rule, in Chinese."""
    wins = [r for r in results if not isinstance(r, BaseException)]
    losses = [r for r in results if isinstance(r, BaseException)]
    strangers = [r for r in losses if not isinstance(r, refusal)]
    assert not strangers, f"not the ledger's refusal: {strangers[:3]!r}"
    assert all(rule in r.rule and CHINESE.search(r.rule) for r in losses), {r.rule for r in losses}
    return len(wins), len(losses)


def books_hold(db: LedgerDB) -> None:
    with db.sessions() as s:
        assert projections.check(s) == []
        assert verify(s).ok
        rows = trial_balance(s)
        assert sum(r.debit for r in rows) == sum(r.credit for r in rows)


def figures(action: str, **values: Any) -> None:
    print(json.dumps({"action": action, "clients": CLIENTS, "attempts": CLIENTS, **values}, ensure_ascii=False))


AUDITED = {2023: 10_000_000_00}  # 3,300,000.00 on the default invoices, shared 50/50 (1,650,000.00 each)
SHARE = 1_650_000_00


def approved(db: LedgerDB) -> str:
    setup_world(db)
    number = run_to_audited(db, years=AUDITED)
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示")
    return number


def issued(db: LedgerDB) -> str:
    number = approved(db)
    with db.sessions.begin() as s:
        S.issue_funds(s, claim_number=number, document_number="下达", on=date(2026, 4, 10))
    return number


def paid(db: LedgerDB) -> str:
    number = issued(db)
    with db.sessions.begin() as s:
        pay_confirmed(s, claim_number=number, payer="330400", voucher_number="SZ-0", on=date(2026, 4, 15), amount_fen=SHARE)
    return number


def test_recovery_receipts(pg_db: LedgerDB) -> None:
    """The attack: 32 receipts of 45,000.00 against 45,000.00 due; then 32 of 2,000.00 against 45,000.00."""
    number = paid(pg_db)
    with pg_db.sessions.begin() as s:
        for doc in ("追回1", "追回2"):
            S.recover(s, claim_number=number, payer="330400", amount_fen=45_000_00, on=date(2026, 6, 1),
                      document_number=doc, reason="发票虚假")
    for rid, each in ((1, 45_000_00), (2, 2_000_00)):
        results = race(pg_db, [(lambda s, rid=rid, each=each: S.receive_recovery(
            s, recovery_id=rid, amount_fen=each, on=date(2026, 6, 9)))] * CLIENTS)
        wins, losses = outcome(results, Invalid, "收回不得超过应收")
        assert wins == 45_000_00 // each
        with pg_db.sessions() as s:
            rec = s.get(Recovery, rid)
            assert rec is not None and rec.received_fen == wins * each <= rec.amount_fen
        figures("receive_recovery", recovery=rid, due_fen=45_000_00, each_fen=each, successes=wins, refused=losses,
                received_fen=wins * each)
    with pg_db.sessions() as s:
        assert balance(s, [A.RECOVERY_RECEIVABLE], payer="330400") == 45_000_00 - 22 * 2_000_00
    books_hold(pg_db)


def test_payments_against_one_payers_share(pg_db: LedgerDB) -> None:
    number = issued(pg_db)
    each = SHARE // 10
    results = race(pg_db, [
        (lambda s, k=k: pay_confirmed(s, claim_number=number, payer="330400", voucher_number=f"SZ-{k}", on=date(2026, 4, 15),
                              amount_fen=each)) for k in range(CLIENTS)])
    wins, losses = outcome(results, PaymentExceedsPayable, "拨付不得超过该财政应付份额")
    assert wins == 10
    with pg_db.sessions() as s:
        total = sum(s.execute(select(Payment.amount_fen)).scalars())
        assert total == SHARE == -balance(s, [A.EXPENDED], payer="330400")
    figures("pay", share_fen=SHARE, each_fen=each, successes=wins, refused=losses, paid_fen=total)
    books_hold(pg_db)


def test_approvals_and_issues_on_one_claim(pg_db: LedgerDB) -> None:
    setup_world(pg_db)
    number = run_to_audited(pg_db, years=AUDITED)
    results = race(pg_db, [lambda s: S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25),
                                               minutes_number="m", actor="bureau")] * CLIENTS)
    wins, losses = outcome(results, IllegalTransition, "细则")
    assert wins == 1
    with pg_db.sessions() as s:
        committed = S.committed(s, 1, "equipment-subsidy")
        assert committed == 2 * SHARE
    figures("approve", successes=wins, refused=losses, committed_fen=committed)
    with pg_db.sessions.begin() as s:
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示")
    results = race(pg_db, [lambda s: S.issue_funds(s, claim_number=number, document_number="下达",
                                                   on=date(2026, 4, 10))] * CLIENTS)
    wins, losses = outcome(results, IllegalTransition, "细则")
    assert wins == 1
    with pg_db.sessions() as s:
        obligated = -balance(s, [A.OBLIGATED])
        assert obligated == 2 * SHARE
    figures("issue_funds", successes=wins, refused=losses, obligated_fen=obligated)
    books_hold(pg_db)


def test_approvals_of_many_claims_against_one_budget(pg_db: LedgerDB) -> None:
    setup_world(pg_db, city_budget_fen=2_000_000_00)
    with pg_db.sessions.begin() as s:
        for k in range(2, CLIENTS + 1):
            S.create_platform(s, code=f"P{k}", name=f"平台{k}", jurisdiction="330402")
            S.add_platform_event(s, f"P{k}", kind="recognition", on=date(2026, 2, 10), level="provincial")
    numbers = [run_to_audited(pg_db, code=f"P{k}", years={2023: 2_000_000_00}, invoices=[])
               for k in range(1, CLIENTS + 1)]
    # each claim 600,000.00 → city share 300,000.00; the city's 2,000,000.00 fits six
    results = race(pg_db, [(lambda s, n=n: S.approve(s, claim_number=n, meeting_date=date(2026, 3, 25),
                                                     minutes_number=f"m-{n}", actor="bureau")) for n in numbers])
    wins, losses = outcome(results, BudgetExceeded, "预算控制")
    assert wins == 6
    with pg_db.sessions() as s:
        left = S.available_budget(s, "330400", 2026, "equipment-subsidy")
        assert left == 200_000_00
    figures("approve (budget)", budget_fen=2_000_000_00, each_share_fen=300_000_00, successes=wins, refused=losses,
            committed_fen=2_000_000_00 - left)
    books_hold(pg_db)


def test_appropriations_to_one_budget(pg_db: LedgerDB) -> None:
    with pg_db.sessions.begin() as s:
        S.sync_reference_data(s)
    each = 100_000_00
    results = race(pg_db, [lambda s: S.appropriate(s, payer="330400", fiscal_year=2031, program="equipment-subsidy",
                                                   amount_fen=each, on=date(2031, 1, 5))] * CLIENTS)
    wins, losses = outcome(results, LedgerError, "")
    assert wins == CLIENTS
    with pg_db.sessions() as s:
        budget = s.execute(select(Budget)).scalar_one()
        assert budget.appropriation_fen == CLIENTS * each == S.available_budget(s, "330400", 2031, "equipment-subsidy")
    figures("appropriate", each_fen=each, successes=wins, refused=losses, appropriation_fen=budget.appropriation_fen)
    books_hold(pg_db)


def test_reversals_of_one_payment(pg_db: LedgerDB) -> None:
    number = paid(pg_db)
    results = race(pg_db, [lambda s: S.reverse_payment(s, payment_id=1, on=date(2026, 4, 16), reason="账户错误")
                           ] * CLIENTS)
    wins, losses = outcome(results, IllegalTransition, "冲销")
    assert wins == 1
    with pg_db.sessions() as s:
        claim = s.execute(select(Claim).where(Claim.number == number)).scalar_one()
        assert S.payable_to(s, claim, "330400") == SHARE and balance(s, [A.EXPENDED]) == 0
    figures("reverse_payment", payment_fen=SHARE, successes=wins, refused=losses, expended_after_fen=0)
    books_hold(pg_db)


def test_recovery_orders_beyond_what_was_paid(pg_db: LedgerDB) -> None:
    number = paid(pg_db)
    each = SHARE // 8
    results = race(pg_db, [lambda s: S.recover(s, claim_number=number, payer="330400", amount_fen=each,
                                               on=date(2026, 6, 1), reason="发票虚假")] * CLIENTS)
    wins, losses = outcome(results, Invalid, "追回不得超过已拨付金额")
    assert wins == 8
    with pg_db.sessions() as s:
        ordered = sum(s.execute(select(Recovery.amount_fen)).scalars())
        assert ordered == SHARE == balance(s, [A.RECOVERY_RECEIVABLE])
    figures("recover", paid_fen=SHARE, each_fen=each, successes=wins, refused=losses, ordered_fen=ordered)
    books_hold(pg_db)


def test_objections_upheld_at_once_reverse_the_approval_once(pg_db: LedgerDB) -> None:
    number = approved(pg_db)
    with pg_db.sessions.begin() as s:
        ids = [S.file_objection(s, claim_number=number, filed=date(2026, 4, 2), objector=f"异议人{k}",
                                content="设备重复申报").objection for k in range(CLIENTS // 2)]
    # half uphold different objections of the claim, half the same one
    targets = ids + [ids[0]] * (CLIENTS - len(ids))
    results = race(pg_db, [(lambda s, o=o: S.resolve_objection(s, objection_id=o, upheld=True, on=date(2026, 4, 8),
                                                               resolution="异议成立")) for o in targets])
    wins, losses = outcome(results, IllegalTransition, "")
    assert wins == 1 and all(CHINESE.search(r.rule) for r in results if isinstance(r, LedgerError))
    with pg_db.sessions() as s:
        committed = S.committed(s, 1, "equipment-subsidy")
        assert committed == 0 and S.available_budget(s, "330400", 2026, "equipment-subsidy") == 3_000_000_00
    figures("reverse approval (uphold objection)", successes=wins, refused=losses, committed_after_fen=committed)
    books_hold(pg_db)


def test_filings_of_one_invoice(pg_db: LedgerDB) -> None:
    setup_world(pg_db)
    invoice = S.InvoiceIn("91330400A", "00010001", date(2025, 5, 10), 1_000_000_00, 130_000_00)
    results = race(pg_db, [lambda s: S.file_claim(s, platform_code="P1", program="equipment-subsidy",
                                                  application_date=date(2026, 3, 2), invoices=[invoice],
                                                  actor="clerk")] * CLIENTS)
    wins, losses = outcome(results, AlreadyClaimed, "细则")
    assert wins == 1
    figures("file_claim (one invoice)", successes=wins, refused=losses)
    books_hold(pg_db)
