"""The working-day calendar the ledger uses: the bundled official notices plus any an administrator
loaded into the database (``holiday_notices``), which override the bundled ones for their year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from calculators import notice as N
from calculators.rulesets.model import RuleSet
from ledger.db import read_columns
from ledger.models import HolidayNotice

if TYPE_CHECKING:
    from ledger.services import NoticeEndMoved


_LOADED = select(HolidayNotice.text, HolidayNotice.source).order_by(HolidayNotice.year)  # built once


def calendar_for(session: Session) -> N.WorkingCalendar:
    """The bundled notices, each replaced as a whole by a loaded notice for its year (even one published
    the same day, e.g. the bundled file loaded again under another name)."""
    loaded = [N.parse_holiday_notice(row.text, row.source) for row in read_columns(session, _LOADED)]
    if not loaded:
        return N.default_calendar()
    years = {n.year for n in loaded}
    return N.WorkingCalendar([*(n for n in N.bundled_notices() if n.year not in years), *loaded])


def notice_period(session: Session, publication: date, rule_set: RuleSet) -> N.NoticePeriod:
    return N.notice_period_for(publication, rule_set, calendar=calendar_for(session))


@dataclass(frozen=True)
class HolidayNoticeLoaded:
    """A year's holiday notice stored, and the notices whose end date it changed (公示截止日变更)."""

    notice: HolidayNotice
    moved: tuple[NoticeEndMoved, ...]


def load_holiday_notice(session: Session, text: str, source: str, actor: str = "") -> HolidayNoticeLoaded:
    """Parse (refusing a malformed file with its key named) and store a year's official notice; then, in
    the same transaction, recompute every provisional notice's end date on the new calendar, recording
    each change (``notice_end_changes``). Loading the same schedule again changes nothing more."""
    from ledger.services import recompute_notices

    parsed = N.parse_holiday_notice(text, source)
    row = session.execute(select(HolidayNotice).where(HolidayNotice.year == parsed.year)
                          .with_for_update()).scalar_one_or_none()
    if row is None:
        row = HolidayNotice(year=parsed.year, source=source, text=text)
        session.add(row)
    else:
        row.source, row.text = source, text
    session.flush()
    moved = recompute_notices(session, holiday_year=parsed.year, holiday_source=source, actor=actor)
    return HolidayNoticeLoaded(row, moved)
