"""Objections filed, dismissed and upheld (公示期异议、异议不成立、异议成立撤销审定), leg by leg and refusal by
refusal: what each step returns, what it records (the objection's status, the claim's history, the journal
entry or none), each refusal whole (field, rule, message, details) with the books unchanged after it, and
each claim's objections read apart from another claim's.

The claim: 585,000.00 approved 2026-03-25 (entry 9: 292,500.00 committed for the city, 330400, and for
南湖区, 330402), noticed 2026-04-01 to 04-09 (entry 10). Legs follow docs/posting-rules.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select, text

from ledger import accounts as A
from ledger import services as S
from ledger.errors import IllegalTransition, Invalid, NotFound
from ledger.models import ClaimEvent, JournalEntry, Objection
from ledger.outcomes import ClaimState, ObjectionStep
from tests.ledger.test_money_paths import (
    AUDITED,
    CITY,
    NANHU,
    _claim_legs,
    _refused,
    _share_legs,
    _two_claims_noticed,
)
from tests.ledger.world import run_to_audited, setup_world

APPROVED = 585_000_00
SHARE = 292_500_00
OBJECTED, IN_NOTICE, REVERSED = ClaimState.OBJECTED, ClaimState.IN_NOTICE, ClaimState.REVERSED
Legs = list[tuple[str, int, str | None, int | None]]


def _noticed(db: Any) -> str:
    setup_world(db, years=(2026,))
    number = run_to_audited(db, years=AUDITED)
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m5", actor="bureau")
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示")
    return number


def _object(db: Any, number: str, on: date = date(2026, 4, 2), content: str = "设备发票疑似重复") -> ObjectionStep:
    with db.sessions.begin() as s:
        return S.file_objection(s, claim_number=number, filed=on, objector="某公司", content=content,
                                actor="bureau-clerk")


def _resolve(db: Any, objection: int, upheld: bool, on: date = date(2026, 4, 7), resolution: str = "经核实",
             **kw: Any) -> ObjectionStep:
    with db.sessions.begin() as s:
        return S.resolve_objection(s, objection_id=objection, upheld=upheld, on=on, resolution=resolution, **kw)


def _entry(db: Any, entry_id: int) -> tuple[Any, ...]:
    with db.sessions() as s:
        e = s.get(JournalEntry, entry_id)
        assert e is not None
        return e.kind, e.description, e.actor, e.entry_date, e.claim_id, e.reverses_id, _claim_legs(s, entry_id)


def _events(db: Any, action: str) -> list[tuple[Any, ...]]:
    with db.sessions() as s:
        return [(e.claim_id, e.from_state, e.to_state, e.date, e.actor, e.entry_id, e.note) for e in s.execute(
            select(ClaimEvent).where(ClaimEvent.action == action).order_by(ClaimEvent.id)).scalars()]


def _objections(db: Any) -> list[tuple[Any, ...]]:
    with db.sessions() as s:
        return [(o.id, o.claim_id, o.status, o.resolved_date, o.resolution) for o in s.execute(
            select(Objection).order_by(Objection.id)).scalars()]


def _entries(db: Any) -> int:
    with db.sessions() as s:
        return int(s.execute(select(func.count(JournalEntry.id))).scalar_one())


def _memo(debit: str, credit: str, fen: int) -> Legs:
    return [(debit, fen, None, None), (credit, -fen, None, None)]


def test_an_objection_dismissed_when_the_last_open_one_is_posts_the_claim_back_to_its_notice(db: Any) -> None:
    number = _noticed(db)
    assert _object(db, number) == ObjectionStep(objection=1, claim=number, state=OBJECTED, entry=11)
    assert _entry(db, 11)[:6] == ("objection", f"{number} 公示期异议：设备发票疑似重复", "bureau-clerk",
                                  date(2026, 4, 2), 1, None)
    # a second objection while the claim is held: recorded, nothing posted
    assert _object(db, number, date(2026, 4, 3), "另一异议") == ObjectionStep(objection=2, claim=number,
                                                                             state=OBJECTED, entry=None)
    # the first dismissed while the second is open: the claim stays held, nothing posted
    assert _resolve(db, 1, False, resolution="异议不成立一", actor="bureau") == ObjectionStep(
        objection=1, claim=number, state=OBJECTED, entry=None)
    assert _entries(db) == 11
    assert _objections(db) == [(1, 1, "dismissed", date(2026, 4, 7), "异议不成立一"), (2, 1, "open", None, "")]
    assert _events(db, "dismiss-objection") == []
    # the last dismissed: the claim is back in its notice, the memorandum moved back from 9006 to 9005
    assert _resolve(db, 2, False, date(2026, 4, 8), "异议不成立二", actor="bureau") == ObjectionStep(
        objection=2, claim=number, state=IN_NOTICE, entry=12)
    assert _entry(db, 12) == ("dismiss-objection", f"{number} 异议不成立：异议不成立二", "bureau", date(2026, 4, 8), 1,
                              None, [(A.MEMO_OBJECTED, -APPROVED, None, None), (A.MEMO_IN_NOTICE, APPROVED, None, None)])
    assert _objections(db)[1] == (2, 1, "dismissed", date(2026, 4, 8), "异议不成立二")
    assert _events(db, "dismiss-objection") == [(1, "objected", "in_notice", date(2026, 4, 8), "bureau", 12,
                                                 "异议不成立二")]
    with db.sessions.begin() as s:  # the claim proceeds
        assert S.issue_funds(s, claim_number=number, document_number="d", on=date(2026, 4, 10)).entry == 13


def test_an_objection_upheld_reverses_the_approval_leg_by_leg(db: Any) -> None:
    number = _noticed(db)
    _object(db, number)
    with db.sessions() as s:
        approval = _claim_legs(s, 9)
    assert approval == _memo(A.MEMO_CONTRA, A.MEMO_AUDITED, APPROVED) + _share_legs(
        A.APPROPRIATION_AVAILABLE, A.COMMITTED, SHARE, SHARE)
    # no user named: none recorded
    assert _resolve(db, 1, True, date(2026, 4, 8), "经核实异议成立") == ObjectionStep(
        objection=1, claim=number, state=REVERSED, entry=12)
    budget_back = [(a, -fen, p, y) for a, fen, p, y in _share_legs(A.APPROPRIATION_AVAILABLE, A.COMMITTED, SHARE, SHARE)]
    assert _entry(db, 12) == ("reverse-approval", f"{number} 异议成立，撤销党组会审定（m5）：经核实异议成立", "",
                              date(2026, 4, 8), 1, 9, budget_back + _memo(A.MEMO_CONTRA, A.MEMO_OBJECTED, APPROVED))
    assert _objections(db) == [(1, 1, "upheld", date(2026, 4, 8), "经核实异议成立")]
    assert _events(db, "uphold-objection") == [(1, "objected", "reversed", date(2026, 4, 8), "", 12, "经核实异议成立")]
    with db.sessions() as s:
        assert S.committed(s, 1, "equipment-subsidy") == 0
        assert [S.available_budget(s, payer, 2026, "equipment-subsidy") for payer in (CITY, NANHU)] == [
            3_000_000_00, 3_000_000_00]


def _two_noticed(db: Any) -> list[str]:
    """Two platforms' claims noticed together (tests/ledger/test_money_paths.py), each objected (entries 17, 18)."""
    claims = _two_claims_noticed(db)
    for number in claims:
        _object(db, number)
    return claims


def test_each_claims_objections_are_its_own(db: Any) -> None:
    """The second claim's objection dismissed while the first claim's is open: the second claim is no longer
    held (another claim's open objection is not its own); the first claim's upheld reverses its own approval
    (entry 13), not the later one of the second claim (entry 14)."""
    first, second = _two_noticed(db)
    assert _resolve(db, 2, False) == ObjectionStep(objection=2, claim=second, state=IN_NOTICE, entry=19)
    with db.sessions() as s:
        assert s.get(JournalEntry, 19).claim_id == 2  # type: ignore[union-attr]
    assert _resolve(db, 1, True, date(2026, 4, 8), actor="bureau") == ObjectionStep(
        objection=1, claim=first, state=REVERSED, entry=20)
    kind, _, actor, _, claim_id, reverses, legs = _entry(db, 20)
    assert (kind, actor, claim_id, reverses) == ("reverse-approval", "bureau", 1, 13)
    assert legs[:4] == [(a, -fen, p, y) for a, fen, p, y in
                        _share_legs(A.APPROPRIATION_AVAILABLE, A.COMMITTED, SHARE, SHARE)]


def test_each_refusal_of_a_resolution_names_its_field_and_rule(db: Any) -> None:
    number = _noticed(db)
    oid = _object(db, number).objection
    call = {"upheld": False, "on": date(2026, 4, 7), "resolution": "异议不成立"}
    assert _refused(db, NotFound, "不存在", S.resolve_objection, objection_id=9, **call) == {
        "field": "objection", "rule": "异议", "message": "异议第 9 号不存在；请核对异议编号"}
    assert _refused(db, Invalid, "早于", S.resolve_objection, objection_id=oid, upheld=True, on=date(2026, 4, 1),
                    resolution="异议成立") == {
        "field": "on", "rule": S.DATE_RULE, "previous": "2026-04-02",
        "message": "异议处理日期 2026-04-01 早于异议提出日期 2026-04-02：每一步不得早于前一步（经办流程）"}
    assert _refused(db, Invalid, "必填", S.resolve_objection, objection_id=oid, upheld=True, on=date(2026, 4, 7),
                    resolution=" ") == {
        "field": "resolution", "rule": "异议处理", "message": "处理意见为必填；请填写处理意见"}
    assert _objections(db) == [(1, 1, "open", None, "")] and _entries(db) == 11
    _resolve(db, oid, False)
    for upheld in (False, True):
        assert _refused(db, IllegalTransition, "已处理", S.resolve_objection, objection_id=oid, **{
            **call, "upheld": upheld}) == {
            "field": "objection", "rule": S.PROCEDURE, "message": "异议第 1 号已处理（异议不成立），不能再次处理"}
    assert _objections(db) == [(1, 1, "dismissed", date(2026, 4, 7), "经核实")] and _entries(db) == 12


def test_a_resolution_reads_the_objection_again_under_the_claims_lock(db: Any) -> None:
    """An objection read in the session before the claim's lock is taken is read again once the lock is held,
    and its status then counts: here it is read and held, then resolved behind the session's back (as another
    writer would between the read and the lock on PostgreSQL, tests/ledger/test_money_concurrency.py)."""
    number = _noticed(db)
    oid = _object(db, number).objection
    with db.sessions.begin() as s:
        held = s.get(Objection, oid)  # held: the session's identity map keeps it (as read before the lock)
        assert held is not None and held.status == "open"
        s.execute(text("UPDATE objections SET status = 'upheld' WHERE id = :id"), {"id": oid})
        try:
            S.resolve_objection(s, objection_id=oid, upheld=False, on=date(2026, 4, 7), resolution="异议不成立")
        except IllegalTransition as refusal:
            assert refusal.message == "异议第 1 号已处理（异议成立），不能再次处理"
        else:
            raise AssertionError("a resolved objection was resolved again")
        s.rollback()
    assert _entries(db) == 11
