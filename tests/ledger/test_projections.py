"""Projections equal the journal after whole claim lives; each projected column altered behind the
ledger's back is named (table, row, field, journal value, table value) — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ledger import services as S
from ledger.journal import verify
from ledger.models import Approval, Audit, Budget, Claim, Payment, PaymentConfirmation, Recovery
from ledger.projections import ProjectionMismatch, check
from tests.conftest import LedgerDB
from tests.ledger.owner import owner_engine
from tests.ledger.world import pay_confirmed, run_to_audited, setup_world

AUDITED = {2023: 1_000_000_00, 2024: 700_000_00, 2025: 250_000_00}  # 585,000.00, shared 50/50


def _life(db: LedgerDB) -> dict[str, Any]:
    """Two claims through their whole life: approval (the second one re-computed lower at approval than at
    its audit), notice, issue, payments (one reversed), a recovery and part of it received; an objection
    upheld on a third claim."""
    setup_world(db)
    first = run_to_audited(db, years={2023: 10_000_000_00})  # 3,300,000.00
    second = run_to_audited(db, years={2026: 10_000_000_00}, filed=date(2027, 3, 2), invoices=[])
    with db.sessions.begin() as s:
        S.approve(s, claim_number=first, meeting_date=date(2026, 3, 25), minutes_number="m1", actor="bureau")
        S.publish_notice(s, claim_numbers=[first], publication_date=date(2026, 4, 1), title="公示")
        S.issue_funds(s, claim_number=first, document_number="d1", on=date(2026, 4, 10))
        pay_confirmed(s, claim_number=first, payer="330400", voucher_number="v1", on=date(2026, 4, 15),
              amount_fen=1_500_000_00)
        pay_confirmed(s, claim_number=first, payer="330402", voucher_number="v2", on=date(2026, 4, 15), amount_fen=500_000_00)
        S.reverse_payment(s, payment_id=2, on=date(2026, 4, 16), reason="账户错误")
        pay_confirmed(s, claim_number=first, payer="330402", voucher_number="v3", on=date(2026, 4, 17), amount_fen=700_000_00)
        S.recover(s, claim_number=first, payer="330400", amount_fen=450_000_00, on=date(2026, 6, 1),
                  document_number="追回1", reason="部分发票虚假")
        S.recover(s, claim_number=first, payer="330400", amount_fen=100_000_00, on=date(2026, 6, 2),
                  document_number="追回2", reason="又查实一张")
        S.receive_recovery(s, recovery_id=2, amount_fen=60_000_00, on=date(2026, 6, 5))
        S.receive_recovery(s, recovery_id=1, amount_fen=450_000_00, on=date(2026, 6, 9))
    with db.sessions.begin() as s:
        audit_computed = s.execute(select(Audit.computed_fen).join(Claim).where(Claim.number == second)).scalar_one()
        S.approve(s, claim_number=second, meeting_date=date(2027, 3, 25), minutes_number="m2", actor="bureau")
    with db.sessions.begin() as s:
        S.create_platform(s, code="P2", name="平台二", jurisdiction="330402")
        S.add_platform_event(s, "P2", kind="recognition", on=date(2026, 2, 10), level="provincial")
    third = run_to_audited(db, code="P2", years={2026: 1_000_000_00}, filed=date(2027, 3, 2), invoices=[])
    with db.sessions.begin() as s:
        S.approve(s, claim_number=third, meeting_date=date(2027, 3, 25), minutes_number="m3", actor="bureau")
        S.publish_notice(s, claim_numbers=[third], publication_date=date(2027, 4, 1), title="公示")
        out = S.file_objection(s, claim_number=third, filed=date(2027, 4, 2), objector="某公司", content="设备重复")
        S.resolve_objection(s, objection_id=out.objection, upheld=True, on=date(2027, 4, 8), resolution="异议成立")
        assert out.state == "objected"
    return {"first": first, "second": second, "third": third, "second_audit": audit_computed}


@pytest.fixture
def life(db: LedgerDB) -> tuple[LedgerDB, dict[str, Any]]:
    return db, _life(db)


def test_projections_equal_the_journal_after_whole_lives(life: tuple[LedgerDB, dict[str, Any]]) -> None:
    db, n = life
    with db.sessions() as s:
        assert check(s) == []
        assert verify(s).ok
        second = s.execute(select(Claim).where(Claim.number == n["second"])).scalar_one()
        # the second claim's payable at approval (cap left: 5,000,000 − 3,300,000) is below its audit's,
        # and the journal keeps both
        assert n["second_audit"] == 3_000_000_00 and second.computed_fen == 1_700_000_00
        assert second.approved_fen == 1_700_000_00
        rec = s.get(Recovery, 1)
        assert rec is not None and rec.received_fen == 450_000_00


def _claim_id(s: Session, number: str) -> int:
    return int(s.execute(select(Claim.id).where(Claim.number == number)).scalar_one())


# (what is altered, the statement, the mismatch expected: table, row id, key part, field, journal, table)
Tamper = Callable[[Session, dict[str, Any]], Any]
CASES: list[tuple[str, Tamper, tuple[str, int | None, str, str, int | None, int | None]]] = [
    ("payments.amount_fen", lambda s, n: s.execute(update(Payment).where(Payment.id == 1).values(amount_fen=1)),
     ("payments", 1, "v1", "amount_fen", 1_500_000_00, 1)),
    ("a payment row deleted", lambda s, n: (s.execute(delete(PaymentConfirmation).where(
        PaymentConfirmation.payment_id == 3)), s.execute(delete(Payment).where(Payment.id == 3))),
     ("payments", None, "330402", "amount_fen", 700_000_00, None)),
    ("recoveries.received_fen",
     lambda s, n: s.execute(update(Recovery).where(Recovery.id == 1).values(received_fen=900_000_00)),
     ("recoveries", 1, "330400", "received_fen", 450_000_00, 900_000_00)),
    ("recoveries.amount_fen",
     lambda s, n: s.execute(update(Recovery).where(Recovery.id == 2).values(amount_fen=99_000_000_00)),
     ("recoveries", 2, "330400", "amount_fen", 100_000_00, 99_000_000_00)),
    ("claims.approved_fen",
     lambda s, n: s.execute(update(Claim).where(Claim.number == n["first"]).values(approved_fen=4_999_999_99)),
     ("claims", 1, "first", "approved_fen", 3_300_000_00, 4_999_999_99)),
    ("claims.computed_fen",
     lambda s, n: s.execute(update(Claim).where(Claim.number == n["second"]).values(computed_fen=3_000_000_00)),
     ("claims", 2, "second", "computed_fen", 1_700_000_00, 3_000_000_00)),
    ("claims.requested_fen",
     lambda s, n: s.execute(update(Claim).where(Claim.number == n["third"]).values(requested_fen=7)),
     ("claims", 3, "third", "requested_fen", 600_000_00, 7)),
    ("approvals.approved_fen",
     lambda s, n: s.execute(update(Approval).where(Approval.id == 2).values(approved_fen=1_000_000_00)),
     ("approvals", 2, "second", "approved_fen", 1_700_000_00, 1_000_000_00)),
    ("approvals.computed_fen",
     lambda s, n: s.execute(update(Approval).where(Approval.id == 2).values(computed_fen=3_000_000_00)),
     ("approvals", 2, "second", "computed_fen", 1_700_000_00, 3_000_000_00)),
    ("approvals.shares",
     lambda s, n: s.execute(update(Approval).where(Approval.id == 1).values(
         shares={"330400": 2_000_000_00, "330402": 1_650_000_00})),
     ("approvals", 1, "first", "shares[330400]", 1_650_000_00, 2_000_000_00)),
    ("approvals.fiscal_year",
     lambda s, n: s.execute(update(Approval).where(Approval.id == 1).values(fiscal_year=2027)),
     ("approvals", 1, "first", "fiscal_year", 2026, 2027)),
    ("audits.computed_fen",
     lambda s, n: s.execute(update(Audit).where(Audit.id == 3).values(computed_fen=1)),
     ("audits", 3, "third", "computed_fen", 300_000_00, 1)),
    ("budgets.appropriation_fen",
     lambda s, n: s.execute(update(Budget).where(Budget.id == 1).values(appropriation_fen=900_000_000)),
     ("budgets", 1, "330400 2026 equipment-subsidy", "appropriation_fen", 300_000_000, 900_000_000)),
]


def test_each_tampered_projection_is_named(life: tuple[LedgerDB, dict[str, Any]]) -> None:
    db, n = life
    for what, tamper, (table, row_id, key, field, journal, table_value) in CASES:
        # as the owner (the service role may not update or delete these rows), checked in the same
        # transaction and rolled back
        with owner_engine(db) as owner, Session(owner) as s:
            tamper(s, n)
            found = check(s)
            s.rollback()
        key = n.get(key, key)
        assert len(found) == 1, (what, found)
        m = found[0]
        assert (m.table, m.row_id, m.field, m.journal_fen, m.table_fen) == (table, row_id, field, journal,
                                                                           table_value), (what, m)
        assert key in m.key, (what, m)
        assert m.table in str(m) and field in str(m), str(m)
    with db.sessions() as s:
        assert check(s) == []  # every alteration above was rolled back


def test_verify_command_fails_on_a_projection_mismatch(life: tuple[LedgerDB, dict[str, Any]],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import cli

    db, n = life
    monkeypatch.setenv("DATABASE_URL", db.url)
    runner = CliRunner()
    ok = runner.invoke(cli, ["ledger", "verify", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True, ok.stdout
    assert runner.invoke(cli, ["ledger", "verify", "--chain-only"]).exit_code == 0
    with owner_engine(db) as owner, Session(owner) as s, s.begin():  # behind the service's back
        s.execute(update(Payment).where(Payment.id == 1).values(amount_fen=1_500_000_01))
    bad = runner.invoke(cli, ["ledger", "verify", "--json"])
    out = json.loads(bad.stdout)
    assert bad.exit_code == 1 and out["ok"] is False
    assert out["projections"] == [{"table": "payments", "row_id": 1, "key": f"{n['first']} 330400 v1",
                                   "field": "amount_fen", "journal_fen": 1_500_000_00, "table_fen": 1_500_000_01}]
    human = runner.invoke(cli, ["ledger", "verify"])  # the lines for people name the same difference
    assert human.exit_code == 1 and "表中金额与日记账重算不符 1 处" in human.stdout and "payments" in human.stdout
    assert "#1" in human.stdout
    # the chain itself is sound: --chain-only passes, as it should (the table was edited, not the journal)
    assert runner.invoke(cli, ["ledger", "verify", "--chain-only"]).exit_code == 0


def test_mismatch_reads_in_chinese() -> None:
    m = ProjectionMismatch("payments", 1, "SQ2026-000001 330400 v1", "amount_fen", 150, 1)
    assert str(m) == "payments#1（SQ2026-000001 330400 v1）.amount_fen：日记账 150，表中 1"
