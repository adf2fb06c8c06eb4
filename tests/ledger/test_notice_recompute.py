"""A December notice waits for next year's holiday notice; loading it moves the end date by itself
(细则 第二章 三、第四章（一）(2)：公示5个工作日), records the change, and fund issue then proceeds."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from ledger import services as S
from ledger.calendar import load_holiday_notice
from ledger.errors import IllegalTransition
from ledger.models import Notice, NoticeEndChange
from tests.ledger.world import invoices_2023_2025, run_to_audited, setup_world

AUDITED = {2023: 1_000_000_00, 2024: 700_000_00, 2025: 250_000_00}

# A 2027 schedule in the State Council's usual shape (the real one is published in the autumn before).
HOLIDAYS_2027 = """\
year: 2027
title: 国务院办公厅关于2027年部分节假日安排的通知
document_number: ""
issuer: 国务院办公厅
published: 2026-11-12
days_off:
  - {from: 2027-01-01, to: 2027-01-03, name: 元旦}
  - {from: 2027-02-06, to: 2027-02-14, name: 春节}
  - {from: 2027-04-03, to: 2027-04-05, name: 清明节}
  - {from: 2027-05-01, to: 2027-05-05, name: 劳动节}
  - {from: 2027-06-09, to: 2027-06-11, name: 端午节}
  - {from: 2027-09-15, to: 2027-09-17, name: 中秋节}
  - {from: 2027-10-01, to: 2027-10-07, name: 国庆节}
adjusted_working_days:
  - {date: 2027-02-20, name: 春节}
  - {date: 2027-10-09, name: 国庆节}
"""


def _approved(db: Any, code: str, meeting: date) -> str:
    invoices = [dataclasses.replace(i, issuer_code=f"{i.issuer_code}{code}") for i in invoices_2023_2025()]
    number = run_to_audited(db, code=code, years=AUDITED, invoices=invoices)
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=meeting, minutes_number=f"党组会〔{meeting.year}〕9号",
                  actor="bureau")
    return number


def _publish(db: Any, number: str, on: date, title: str) -> Any:
    with db.sessions.begin() as s:
        return S.publish_notice(s, claim_numbers=[number], publication_date=on, title=title, actor="bureau")


def _changes(db: Any) -> list[tuple[int, date, bool, date, bool, int, str]]:
    with db.sessions() as s:
        return [(c.notice_id, c.old_end, c.old_provisional, c.new_end, c.new_provisional, c.holiday_year, c.actor)
                for c in s.execute(select(NoticeEndChange).order_by(NoticeEndChange.id)).scalars()]


def test_december_notice_becomes_final_when_next_years_schedule_is_loaded(db: Any) -> None:
    setup_world(db)
    setup_world(db, code="P2")
    december = _approved(db, "P1", date(2026, 12, 21))
    later = _approved(db, "P2", date(2027, 12, 20))
    # 12/29, 12/30, 12/31 and, with no 2027 schedule, Friday 1/1 and Monday 1/4 as if working days
    dec = _publish(db, december, date(2026, 12, 28), "2026年第四批中试平台补助公示")
    assert (dec.end_date, dec.provisional) == (date(2027, 1, 4), True)
    # a notice waiting for 2028's schedule, which the 2027 notice does not settle
    nxt = _publish(db, later, date(2027, 12, 28), "2027年第四批中试平台补助公示")
    assert (nxt.end_date, nxt.provisional) == (date(2028, 1, 4), True)

    with pytest.raises(IllegalTransition) as refused, db.sessions.begin() as s:
        S.issue_funds(s, claim_number=december, document_number="嘉经信〔2027〕1号", on=date(2027, 1, 8))
    err = refused.value
    assert err.field == "on" and "第二章 三" in err.rule and "第四章（一）(2)" in err.rule
    assert "2026年第四批中试平台补助公示" in err.message and "2027-01-04" in err.message
    assert "暂定" in err.message and "节假日安排" in err.message

    with db.sessions.begin() as s:
        loaded = load_holiday_notice(s, HOLIDAYS_2027, "2027.yaml", actor="admin")
    # 元旦 1/1–1/3 off: 12/29, 12/30, 12/31, 1/4, 1/5
    assert [(m.notice, m.old_end, m.old_provisional, m.new_end, m.new_provisional) for m in loaded.moved] == [
        (dec.notice, date(2027, 1, 4), True, date(2027, 1, 5), False)]
    assert _changes(db) == [(dec.notice, date(2027, 1, 4), True, date(2027, 1, 5), False, 2027, "admin")]
    with db.sessions() as s:
        untouched = s.get(Notice, nxt.notice)
        assert untouched is not None and (untouched.end_date, untouched.provisional) == (date(2028, 1, 4), True)

    # the same schedule again: nothing more moves, nothing more is recorded
    with db.sessions.begin() as s:
        assert load_holiday_notice(s, HOLIDAYS_2027, "2027.yaml", actor="admin2").moved == ()
    assert len(_changes(db)) == 1

    with pytest.raises(IllegalTransition) as early, db.sessions.begin() as s:
        S.issue_funds(s, claim_number=december, document_number="嘉经信〔2027〕1号", on=date(2027, 1, 5))
    assert early.value.field == "on" and "2027-01-05" in early.value.message and "2027-01-06" in early.value.message
    assert "暂定" not in early.value.message
    with db.sessions.begin() as s:
        out = S.issue_funds(s, claim_number=december, document_number="嘉经信〔2027〕1号", on=date(2027, 1, 6),
                            actor="city-finance")
    assert out.state == "issued"


def test_the_change_record_is_append_only(db: Any) -> None:
    setup_world(db)
    number = _approved(db, "P1", date(2026, 12, 21))
    _publish(db, number, date(2026, 12, 28), "公示")
    with db.sessions.begin() as s:
        load_holiday_notice(s, HOLIDAYS_2027, "2027.yaml", actor="admin")
    for sql in ("UPDATE notice_end_changes SET new_end = old_end", "DELETE FROM notice_end_changes"):
        with pytest.raises(DBAPIError), db.sessions.begin() as s:
            s.execute(text(sql))
    assert len(_changes(db)) == 1


def test_a_bundled_year_loaded_again_replaces_it_and_moves_nothing(db: Any) -> None:
    """The administrator loads the shipped 2026 file under another name (same publication date): it
    replaces the bundled notice for 2026; the final notices of 2026 stay as they were."""
    from pathlib import Path

    setup_world(db)
    number = _approved(db, "P1", date(2026, 3, 25))
    final = _publish(db, number, date(2026, 4, 1), "2026年第一批中试平台补助公示")
    shipped = (Path(__file__).resolve().parents[2] / "calculators" / "holidays" / "2026.yaml").read_text("utf-8")
    with db.sessions.begin() as s:
        assert load_holiday_notice(s, shipped, "管理员上传的2026.yaml", actor="admin").moved == ()
    with db.sessions() as s:
        notice = s.get(Notice, final.notice)
        assert notice is not None and (notice.end_date, notice.provisional) == (date(2026, 4, 9), False)
    assert _changes(db) == []


def test_december_counts_as_provisional_from_the_first() -> None:
    """docs/rules-notice.md: a period examining any day from 1 December on waits for next year's notice."""
    from calculators.notice import notice_period_for
    from calculators.rulesets.bundled import rulebook

    rs = rulebook().rule_sets["jiaxing-rules-2026"]
    ends_in_november = notice_period_for(date(2026, 11, 23), rs)
    reaches_december = notice_period_for(date(2026, 11, 24), rs)
    assert (ends_in_november.end, ends_in_november.provisional) == (date(2026, 11, 30), False)
    assert (reaches_december.end, reaches_december.provisional_years) == (date(2026, 12, 1), (2027,))
