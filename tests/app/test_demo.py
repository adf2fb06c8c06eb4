"""The demo dataset: loaded through the services on SQLite and PostgreSQL, it covers every jurisdiction,
every program the ledger accepts and every step of the procedure, keeps the books, and loads once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo import DEFAULT_TODAY, DEMO_PREFIX, DemoError, load_demo
from calculators.engine import evaluate
from calculators.notice import default_calendar
from calculators.results import ClaimResult
from calculators.rulesets.bundled import rulebook
from ledger import projections
from ledger import services as S
from ledger.errors import BudgetExceeded, Invalid
from ledger.history import DECIDED, scenario_for
from ledger.journal import verify
from ledger.models import (
    Approval,
    Budget,
    Claim,
    ClaimEvent,
    JournalEntry,
    Notice,
    NoticeClaim,
    Objection,
    Payment,
    PaymentConfirmation,
    Platform,
    PlatformEvent,
    Recovery,
    Review,
)
from ledger.queries import cap_headroom, trial_balance
from tests.conftest import LedgerDB

TODAY = DEFAULT_TODAY
STATES = {
    "filed", "econ_reviewed", "district_reviewed", "audited", "approved", "in_notice", "objected", "issued",
    "paid", "rejected", "reversed", "recovered",
}


def _books_balance(s: Session) -> None:
    report = verify(s)
    assert report.ok, report
    assert projections.check(s) == []
    rows = trial_balance(s)
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
    for view in ("budgetary", "financial", "memorandum"):
        assert sum(r.balance for r in rows if r.view == view) == 0, view


def _results(s: Session) -> dict[str, ClaimResult]:
    """The calculator's result for every standing demo claim, recomputed from the ledger's records."""
    out: dict[str, ClaimResult] = {}
    for platform in s.execute(select(Platform).where(Platform.code.startswith(DEMO_PREFIX))).scalars():
        out.update(evaluate(scenario_for(s, platform), rulebook()).by_claim())
    return out


def test_demo_covers_every_jurisdiction_program_and_step(db: LedgerDB) -> None:
    summary = load_demo(db.sessions)
    assert summary.created
    book = rulebook()
    with db.sessions() as s:
        platforms = s.execute(select(Platform).where(Platform.code.startswith(DEMO_PREFIX))).scalars().all()
        assert len(platforms) >= 30 and summary.platforms == len(platforms)
        assert {p.jurisdiction_code for p in platforms} == set(book.jurisdictions)
        platform_of = {p.id: p for p in platforms}
        claims = s.execute(select(Claim).join(Platform).where(Platform.code.startswith(DEMO_PREFIX))).scalars().all()
        by_number = {c.number: c for c in claims}

        # every program the ledger accepts; pool-award is refused for want of its per-grade amounts
        programs = {p for rs in book.rule_sets.values() for p in rs.programs}
        present = {c.program for c in claims}
        assert programs - present == {"pool-award"}
        pool = s.execute(select(Platform.code).join(PlatformEvent).where(
            PlatformEvent.kind == "evaluation", PlatformEvent.scheme == "jiaxing",
            Platform.code.startswith(DEMO_PREFIX))).scalars().first()
        assert pool is not None
        with pytest.raises(Invalid, match=r"pool_award\.by_grade"):
            S.file_claim(s, platform_code=pool, program="pool-award", application_date=date(2026, 11, 20),
                         evaluation_year=2025, actor="probe")
        s.rollback()

        # every state of the procedure, so every role has a queue
        assert {c.state for c in claims} >= STATES, {c.state for c in claims}
        assert dict(summary.claims_by_state) == {st: sum(c.state == st for c in claims) for st in summary.claims_by_state}
        ends = {c.number: s.execute(select(Notice.end_date).join(NoticeClaim).where(
            NoticeClaim.claim_id == c.id)).scalar_one() for c in claims if c.state == "in_notice"}
        assert any(end > TODAY for end in ends.values()), "a notice still running"
        assert any(end < TODAY for end in ends.values()), "a notice ended, awaiting fund issue"
        assert {o.status for o in s.execute(select(Objection)).scalars()} == {"open", "upheld", "dismissed"}

        # issued: one with nothing paid, one with one payer paid in full and the other not at all
        shapes = set()
        for c in claims:
            if c.state != "issued":
                continue
            shares = s.execute(select(Approval.shares).where(Approval.claim_id == c.id)).scalar_one()
            owed = [S.payable_to(s, c, payer) == amount for payer, amount in shares.items() if amount]
            shapes.add("unpaid" if all(owed) else "partly" if any(owed) else "odd")
        assert {"unpaid", "partly"} <= shapes
        reversals = s.execute(select(JournalEntry).where(JournalEntry.kind == "reversal")).scalars().all()
        reversed_kinds = s.execute(select(JournalEntry.kind).where(
            JournalEntry.id.in_([e.reverses_id for e in reversals]))).scalars().all()
        assert "payment" in reversed_kinds
        recoveries = s.execute(select(Recovery)).scalars().all()
        assert recoveries and any(r.received_fen < r.amount_fen for r in recoveries)

        # the rules at work: both equipment caps clip a claim, the higher-of offset both ways
        results = _results(s)
        decided = {n: r for n, r in results.items() if by_number[n].state in DECIDED}
        clipped = {r.cap.level for r in decided.values()
                   if r.program == "equipment-subsidy" and r.status == "capped" and r.cap and r.payable > 0}
        assert clipped == {"national", "provincial"}
        for r in decided.values():
            if r.status == "capped" and r.cap:
                assert r.payable == r.cap.headroom < r.gross
        assert {r.program for r in decided.values() if r.offset > 0 and r.payable > 0} == {
            "equipment-subsidy", "municipal-award"}
        for n, r in decided.items():  # approved, and never above the computed payable
            assert by_number[n].approved_fen is not None and 0 < by_number[n].approved_fen <= r.payable, n

        # institution exclusion: institution-led platforms with agreement support refused at district review
        excluded = [c for c in claims if c.state == "rejected"]
        assert excluded
        for c in excluded:
            platform = platform_of[c.platform_id]
            assert platform.leader_type != "enterprise"
            assert c.computed_fen == 0 < c.requested_fen
            assert s.execute(select(PlatformEvent.id).where(PlatformEvent.platform_id == platform.id,
                                                            PlatformEvent.kind == "agreement-support")).first()
            opinion = s.execute(select(Review.opinion).where(Review.claim_id == c.id, Review.approve.is_(False))
                                ).scalar_one()
            assert "第五章" in opinion
        assert any(c.state == "paid" and platform_of[c.platform_id].leader_type != "enterprise" for c in claims), "an institution without agreement support is paid"

        # an upgrade provincial → national between claims raises the equipment cap
        upgraded = []
        for p in platforms:
            recs = {e.level: e.date for e in p.events if e.kind == "recognition"}
            mine = [c for c in claims if c.platform_id == p.id]
            if {"provincial", "national"} <= set(recs) and recs["provincial"] < recs["national"] and \
                    any(c.application_date < recs["national"] for c in mine) and \
                    any(c.application_date > recs["national"] for c in mine):
                upgraded.append(p)
        assert upgraded
        heads = [cap_headroom(s, p.code, "equipment-subsidy", TODAY) for p in upgraded]
        assert any(h.level == "national" and h.cap == 10_000_000_00 and 0 < h.committed < h.cap for h in heads)

        # budgets: city and every district/county payer for 2025–2027; one nearly spent, and a claim waits on it
        budgets = s.execute(select(Budget)).scalars().all()
        payers = {"330400"} | {j.payer for j in book.jurisdictions.values()}
        assert {(b.payer_code, b.fiscal_year) for b in budgets} >= {(p, y) for p in payers for y in (2025, 2026, 2027)}
        tight = [b for b in budgets
                 if 0 < S.available_budget(s, b.payer_code, b.fiscal_year, b.program) <= b.appropriation_fen // 50]
        assert tight
        waiting = [c for c in claims if c.state == "audited"
                   and platform_of[c.platform_id].jurisdiction_code == tight[0].payer_code]
        assert waiting
        with pytest.raises(BudgetExceeded):
            S.approve(s, claim_number=waiting[0].number, meeting_date=TODAY, minutes_number="probe", actor="probe")
        s.rollback()

        # maker-checker, working days, nothing after today, and the books
        for c in claims:
            approver = s.execute(select(ClaimEvent.actor).where(  # 党组会审定, or 省级下达 (provincial)
                ClaimEvent.claim_id == c.id, ClaimEvent.action.in_(("approve", "allocate")))).scalar()
            if c.state in DECIDED:  # approved by someone other than who filed it; the others never approved
                assert approver and approver != c.filed_by, (c.number, approver)
            elif c.state != "reversed":
                assert approver is None, (c.number, c.state, approver)
        # 经办与复核分离: no filer reviews their claim; every payment confirmed by a second user of its payer
        for c in claims:
            reviewers = s.execute(select(Review.reviewer).where(Review.claim_id == c.id)).scalars().all()
            assert c.filed_by not in reviewers, (c.number, reviewers)
        made = s.execute(select(Payment.prepared_by, PaymentConfirmation.confirmed_by)
                         .join(PaymentConfirmation, PaymentConfirmation.payment_id == Payment.id)).all()
        assert made and all(p and q and p != q for p, q in made), made
        calendar = default_calendar()
        dates = set(s.execute(select(JournalEntry.entry_date)).scalars())
        assert max(dates) <= TODAY and all(calendar.is_working_day(d) for d in dates)
        _books_balance(s)
        entries = s.execute(select(JournalEntry.id)).scalars().all()

    again = load_demo(db.sessions)
    assert not again.created and again == replace(summary, created=False)
    with db.sessions() as s:
        assert s.execute(select(JournalEntry.id)).scalars().all() == entries


def test_demo_stops_at_today_and_then_stays_put(db: LedgerDB) -> None:
    early = date(2026, 4, 20)  # the first notice batch (2026-04-16) runs until 2026-04-23
    summary = load_demo(db.sessions, today=early)
    assert summary.created and summary.platforms >= 30
    assert "in_notice" in summary.claims_by_state and "paid" not in summary.claims_by_state
    with db.sessions() as s:
        assert max(s.execute(select(JournalEntry.entry_date)).scalars()) <= early
        _books_balance(s)
    assert load_demo(db.sessions) == replace(summary, created=False)


def test_demo_never_records_a_step_after_the_calendar_day(db: LedgerDB) -> None:
    """A ``today`` later than the real one lets no step through that is dated after the real one: the date
    rule (经办流程) refuses it, the demo stops with the step named, and nothing is kept."""
    with S.as_of(date(2025, 3, 3)), pytest.raises(DemoError, match="晚于今天 2025-03-03") as exc:
        load_demo(db.sessions, today=DEFAULT_TODAY)
    assert "演示数据的步骤（2025-" in str(exc.value)
    with db.sessions() as s:
        assert s.execute(select(JournalEntry.id)).first() is None
