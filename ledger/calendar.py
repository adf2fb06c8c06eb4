"""The working-day calendar the ledger uses: the bundled official notices plus any an administrator
loaded into the database (``holiday_notices``), which override the bundled ones for their year."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from calculators import notice as N
from calculators.rulesets.model import RuleSet
from ledger.models import HolidayNotice


def calendar_for(session: Session) -> N.WorkingCalendar:
    calendar = N.default_calendar()
    for row in session.execute(select(HolidayNotice).order_by(HolidayNotice.year)).scalars():
        calendar = calendar.with_notice(N.parse_holiday_notice(row.text, row.source))
    return calendar


def notice_period(session: Session, publication: date, rule_set: RuleSet) -> N.NoticePeriod:
    return N.notice_period_for(publication, rule_set, calendar=calendar_for(session))


def load_holiday_notice(session: Session, text: str, source: str) -> HolidayNotice:
    """Parse (refusing a malformed file with its key named) and store a year's official notice."""
    parsed = N.parse_holiday_notice(text, source)
    row = session.get(HolidayNotice, parsed.year)
    if row is None:
        row = HolidayNotice(year=parsed.year, source=source, text=text)
        session.add(row)
    else:
        row.source, row.text = source, text
    session.flush()
    return row
