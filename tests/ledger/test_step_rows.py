"""A claim's step written with Core (ledger/step_rows.py): the rows are all there, and the ORM objects the
caller holds afterwards read what the database holds — nothing stale, nothing left for a flush to write."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ledger import services as S
from ledger.history import Loaded, scenario_for
from ledger.models import Approval, Audit, Claim, ClaimEvent, ClaimExplanation, FundIssue, NoticeClaim, Review
from ledger.step_rows import pending_changes
from ledger.undertakings import undertaking_warnings
from tests.ledger.world import invoices_2023_2025, setup_world

COLUMNS = ("state", "computed_fen", "approved_fen", "requested_fen")


def _as_stored(s: Session, claim: Claim) -> dict[str, Any]:
    row = s.execute(text("SELECT state, computed_fen, approved_fen, requested_fen FROM claims WHERE id = :id"),
                    {"id": claim.id}).one()
    return dict(zip(COLUMNS, row, strict=True))


def _as_held(claim: Claim) -> dict[str, Any]:
    return {key: getattr(claim, key) for key in COLUMNS}


def _count(s: Session, model: type[Any], claim: Claim) -> int:
    return int(s.execute(select(func.count()).select_from(model).where(model.claim_id == claim.id)).scalar_one())


def test_the_claim_held_by_the_caller_reads_what_each_step_stored(db: Any) -> None:
    setup_world(db)
    with db.sessions.begin() as s:  # every step in one session: the caller keeps the same Claim object
        number = S.file_claim(s, platform_code="P1", program="equipment-subsidy", application_date=date(2026, 3, 2),
                              invoices=invoices_2023_2025(), actor="clerk").claim
        claim = s.execute(select(Claim).where(Claim.number == number)).scalar_one()
        steps = [
            lambda: S.review(s, claim_number=number, department="economic", approve=True, opinion="同意",
                             on=date(2026, 3, 4), actor="econ"),
            lambda: S.review(s, claim_number=number, department="finance", approve=True, opinion="同意",
                             on=date(2026, 3, 5), actor="fin"),
            lambda: S.record_audit(s, claim_number=number, firm="嘉兴某会计师事务所", report_number="审1",
                                   on=date(2026, 3, 20), years={2023: 1_000_000_00, 2024: 700_000_00,
                                                                2025: 250_000_00}, actor="bureau"),
            lambda: S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="党组会〔2026〕5号",
                              approved_fen=500_000_00, reason="核减", actor="party"),
            lambda: S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示",
                                     actor="bureau"),
            lambda: S.issue_funds(s, claim_number=number, document_number="嘉经信〔2026〕30号", on=date(2026, 4, 10),
                                  actor="city-finance"),
        ]
        states = ["filed"]
        for step in steps:
            step()
            assert pending_changes(claim) == {}  # nothing left for a flush to write
            assert not s.is_modified(claim)
            assert _as_held(claim) == _as_stored(s, claim)
            states.append(claim.state)
        assert states[3:] == ["audited", "approved", "in_notice", "issued"]
        assert claim.approved_fen == 500_000_00
        audit = s.execute(select(Audit).where(Audit.claim_id == claim.id)).scalar_one()
        assert (audit.audited_fen, audit.computed_fen) == s.execute(
            text("SELECT audited_fen, computed_fen FROM audits WHERE id = :id"), {"id": audit.id}).one()
        assert audit.audited_fen == 1_950_000_00 and audit.computed_fen == claim.computed_fen > 0
        assert {model: _count(s, model, claim) for model in (Review, Approval, NoticeClaim, FundIssue)} == \
            {Review: 2, Approval: 1, NoticeClaim: 1, FundIssue: 1}
        events = s.execute(select(ClaimEvent.from_state, ClaimEvent.to_state).where(ClaimEvent.claim_id == claim.id)
                           .order_by(ClaimEvent.id)).all()
        assert [e.to_state for e in events] == states
        assert [e.from_state for e in events] == [None, *states[:-1]]  # each event starts where the last ended
        assert _count(s, ClaimExplanation, claim) == len(states)
        approval = s.execute(select(Approval).where(Approval.claim_id == claim.id)).scalar_one()
        assert approval.reason == "核减" and sum(approval.shares.values()) == 500_000_00


def test_the_undertakings_read_from_the_rules_rows_say_what_a_fresh_read_says(db: Any) -> None:
    setup_world(db)
    with db.sessions.begin() as s:
        S.add_platform_event(s, "P1", kind="agreement-support", on=date(2026, 5, 1), document_number="市区协议〔2026〕1号")
    for on in (date(2026, 4, 30), date(2026, 5, 1)):
        with db.sessions() as s:
            platform = S.platform_by_code(s, "P1")
            loaded = Loaded()
            scenario_for(s, platform, loaded=loaded)
            read = undertaking_warnings(s, platform, S._book(), on)
            assert undertaking_warnings(s, platform, S._book(), on, loaded) == read
            assert len(read) == (on >= date(2026, 5, 1))


def test_the_lock_reads_afresh_a_claim_the_session_already_holds(db: Any) -> None:
    """The claim's lock builds the session's object from plain columns (services._held): a claim the
    session already holds, stale since another session's step, is the object returned, its columns the
    database's (as a locked ORM read with populate_existing gives it), and the step checks the fresh state."""
    setup_world(db)
    with db.sessions.begin() as s:
        number = S.file_claim(s, platform_code="P1", program="equipment-subsidy", application_date=date(2026, 3, 2),
                              invoices=invoices_2023_2025(), actor="clerk").claim
    with db.sessions() as held_by:
        with held_by.begin():
            claim = held_by.execute(select(Claim).where(Claim.number == number)).scalar_one()
        assert claim.state == "filed"
        with db.sessions.begin() as other:  # another user's step, committed meanwhile
            S.review(other, claim_number=number, department="economic", approve=True, opinion="同意",
                     on=date(2026, 3, 4), actor="econ")
        assert claim.state == "filed"  # stale: nothing read it since
        with held_by.begin():
            step = S.review(held_by, claim_number=number, department="finance", approve=True, opinion="同意",
                            on=date(2026, 3, 5), actor="fin")
            assert held_by.get(Claim, claim.id) is claim  # the same object, not a second one for the same row
        assert step.state == claim.state == _as_stored(held_by, claim)["state"] != "filed"
        assert pending_changes(claim) == {}
