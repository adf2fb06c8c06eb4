"""Appropriation of budgets (预算批复), leg by leg: the amount, payer, fiscal year and program each one books,
the budget line it adds to (one per payer, year and program), what it returns, the entry it posts, and its
refusals whole with nothing booked after them. Legs follow docs/posting-rules.md: 8001/8101 in the budgetary
view (payer, program, year), 1001/4001 in the financial view (payer, year)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from ledger import accounts as A
from ledger import services as S
from ledger.errors import Invalid, NotFound
from ledger.journal import Leg, legs_of
from ledger.models import Budget, JournalEntry
from ledger.outcomes import Appropriated
from ledger.queries import balance
from tests.ledger.test_money_paths import _refused

CITY, NANHU = "330400", "330402"
EQ, AWARD = "equipment-subsidy", "municipal-award"


def _nothing_booked(db: Any) -> None:
    with db.sessions() as s:
        assert s.execute(select(func.count(Budget.id))).scalar_one() == 0
        assert s.execute(select(func.count(JournalEntry.id))).scalar_one() == 0


def test_an_appropriation_refused_books_nothing_and_says_why(db: Any) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
    base = {"payer": CITY, "fiscal_year": 2027, "program": EQ, "on": date(2027, 1, 5), "document_number": "预1"}
    assert _refused(db, Invalid, "须大于 0", S.appropriate, **base, amount_fen=0) == {
        "field": "amount", "rule": "预算指标为正数", "message": "预算金额须大于 0，收到 0.00 元；请填写批复的预算金额"}
    assert _refused(db, Invalid, "须大于 0", S.appropriate, **base, amount_fen=-1_00)["message"] == (
        "预算金额须大于 0，收到 -1.00 元；请填写批复的预算金额")
    assert _refused(db, NotFound, "不存在", S.appropriate, **{**base, "payer": "999999"}, amount_fen=1) == {
        "field": "payer", "rule": "出资方", "message": "出资方代码 '999999' 不存在；请从出资方列表中选择"}
    _nothing_booked(db)
    with db.sessions.begin() as s:  # one fen is an appropriation
        assert S.appropriate(s, **base, amount_fen=1).appropriation == 1
        assert S.available_budget(s, CITY, 2027, EQ) == 1


def test_each_budget_line_is_its_payers_years_and_programs(db: Any) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
        outs = [
            S.appropriate(s, payer=CITY, fiscal_year=2027, program=EQ, amount_fen=1_000_00, on=date(2027, 1, 5),
                          document_number="嘉财预〔2027〕1号", actor="city-budget"),
            S.appropriate(s, payer=CITY, fiscal_year=2028, program=EQ, amount_fen=2_00, on=date(2027, 12, 20)),
            S.appropriate(s, payer=NANHU, fiscal_year=2027, program=EQ, amount_fen=3_00, on=date(2027, 1, 6),
                          document_number="南财预1", actor="nh-budget"),
            S.appropriate(s, payer=CITY, fiscal_year=2027, program=AWARD, amount_fen=4_00, on=date(2027, 1, 7)),
            S.appropriate(s, payer=CITY, fiscal_year=2027, program=EQ, amount_fen=5_01, on=date(2027, 6, 30),
                          document_number="嘉财预〔2027〕9号"),  # added to the first line
        ]
    with db.sessions() as s:
        lines = {(b.payer_code, b.fiscal_year, b.program): (b.id, b.appropriation_fen, b.document_number)
                 for b in s.execute(select(Budget)).scalars()}
        assert {key: line[1:] for key, line in lines.items()} == {
            (CITY, 2027, EQ): (1_005_01, "嘉财预〔2027〕1号"), (CITY, 2028, EQ): (2_00, ""),
            (NANHU, 2027, EQ): (3_00, "南财预1"), (CITY, 2027, AWARD): (4_00, "")}
        line = {key: value[0] for key, value in lines.items()}
        assert outs == [
            Appropriated(budget=line[CITY, 2027, EQ], entry=1, appropriation=1_000_00),
            Appropriated(budget=line[CITY, 2028, EQ], entry=2, appropriation=2_00),
            Appropriated(budget=line[NANHU, 2027, EQ], entry=3, appropriation=3_00),
            Appropriated(budget=line[CITY, 2027, AWARD], entry=4, appropriation=4_00),
            Appropriated(budget=line[CITY, 2027, EQ], entry=5, appropriation=1_005_01),
        ]
        entries = [(e.kind, e.description, e.actor, e.entry_date, e.claim_id, e.reverses_id)
                   for e in s.execute(select(JournalEntry).order_by(JournalEntry.id)).scalars()]
        assert entries == [
            ("appropriation", "2027年度equipment-subsidy预算指标 嘉财预〔2027〕1号", "city-budget", date(2027, 1, 5),
             None, None),
            ("appropriation", "2028年度equipment-subsidy预算指标", "", date(2027, 12, 20), None, None),
            ("appropriation", "2027年度equipment-subsidy预算指标 南财预1", "nh-budget", date(2027, 1, 6), None, None),
            ("appropriation", "2027年度municipal-award预算指标", "", date(2027, 1, 7), None, None),
            ("appropriation", "2027年度equipment-subsidy预算指标 嘉财预〔2027〕9号", "", date(2027, 6, 30), None, None),
        ]
        for entry, (payer, year, program, fen) in enumerate(
                [(CITY, 2027, EQ, 1_000_00), (CITY, 2028, EQ, 2_00), (NANHU, 2027, EQ, 3_00),
                 (CITY, 2027, AWARD, 4_00), (CITY, 2027, EQ, 5_01)], start=1):
            assert legs_of(s, entry) == [
                Leg(A.BUDGET_AUTHORITY, fen, payer, None, program, None, year),
                Leg(A.APPROPRIATION_AVAILABLE, -fen, payer, None, program, None, year),
                Leg(A.TREASURY, fen, payer, None, None, None, year),
                Leg(A.APPROPRIATION_REVENUE, -fen, payer, None, None, None, year)], entry
        # what each payer may spend, per year and program, and what its treasury holds per year
        assert [S.available_budget(s, *key) for key in [(CITY, 2027, EQ), (CITY, 2028, EQ), (NANHU, 2027, EQ),
                                                        (CITY, 2027, AWARD), (NANHU, 2028, EQ), (NANHU, 2027, AWARD)]
                ] == [1_005_01, 2_00, 3_00, 4_00, 0, 0]
        assert [balance(s, [A.TREASURY], payer=p, fiscal_year=y) for p, y in [(CITY, 2027), (CITY, 2028),
                                                                              (NANHU, 2027)]] == [
            1_009_01, 2_00, 3_00]


def test_an_appropriation_reads_its_budget_line_afresh(db: Any) -> None:
    """A session that holds the budget line from an earlier transaction (sessions do not expire on commit)
    adds to the line as it stands now, not to its stale copy: no appropriation in between is lost."""
    base = {"payer": CITY, "fiscal_year": 2027, "program": EQ, "on": date(2027, 1, 5)}
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
    with db.sessions() as kept:
        with kept.begin():
            assert S.appropriate(kept, **base, amount_fen=1_00).appropriation == 1_00
            line = kept.execute(select(Budget)).scalar_one()  # held: the session keeps it (1.00)
        with db.sessions.begin() as other:
            assert S.appropriate(other, **base, amount_fen=2_00).appropriation == 3_00
        with kept.begin():
            assert S.appropriate(kept, **base, amount_fen=4_00).appropriation == 7_00 == line.appropriation_fen
    with db.sessions() as s:
        assert s.execute(select(Budget.appropriation_fen)).scalar_one() == 7_00 == S.available_budget(s, CITY, 2027, EQ)
