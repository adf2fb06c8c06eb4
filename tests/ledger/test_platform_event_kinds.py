"""The clause events on the ledger's platform record (migration 0005): stored on both engines, turned into the
scenario's ``events``, checked in Chinese, and an unknown kind still refused by the database."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from calculators.engine import evaluate
from calculators.rulesets.bundled import rulebook
from ledger import services as S
from ledger.errors import Invalid
from ledger.history import scenario_for
from ledger.models import Platform


def _platform(s: Any, code: str) -> None:
    S.sync_reference_data(s)
    S.create_platform(s, code=code, name="复评平台", jurisdiction="330402")
    S.add_platform_event(s, code, kind="recognition", on=date(2026, 2, 10), level="provincial")


def test_clause_events_reach_the_scenario_and_end_the_provincial_level(db: Any) -> None:
    with db.sessions.begin() as s:
        _platform(s, "CL1")
        S.add_platform_event(s, "CL1", kind="pool-notice", on=date(2026, 3, 2), document_number="公示〔2026〕2号")
        S.add_platform_event(s, "CL1", kind="pool-entry", on=date(2026, 3, 10))
        S.add_platform_event(s, "CL1", kind="change-report", on=date(2026, 5, 15), change_date=date(2026, 4, 1),
                             note="依托单位更名")
        S.add_platform_event(s, "CL1", kind="re-evaluation", on=date(2028, 2, 10), grade="不通过")
    with db.sessions() as s:
        platform = s.execute(sa.select(Platform).where(Platform.code == "CL1")).scalar_one()
        scenario = scenario_for(s, platform, extra_claims=[
            {"id": "N1", "program": "equipment-subsidy", "application_date": date(2028, 3, 1)}])
    assert [e.kind for e in scenario.events] == ["pool-notice", "change-report", "re-evaluation"]
    result = evaluate(scenario, rulebook())
    assert result.by_claim()["N1"].status == "ineligible"
    assert any("浙江方案 五" in r for r in result.by_claim()["N1"].reasons)
    assert result.record is not None and [f.step for f in result.record.flags] == ["change-report-late"]


def test_pool_entry_within_the_notice_is_refused_and_nothing_is_stored(db: Any) -> None:
    with db.sessions.begin() as s:
        _platform(s, "CL2")
        S.add_platform_event(s, "CL2", kind="pool-notice", on=date(2026, 3, 2))
    with pytest.raises(Invalid) as info, db.sessions.begin() as s:
        S.add_platform_event(s, "CL2", kind="pool-entry", on=date(2026, 3, 6))
    assert info.value.field == "pool[0].entered" and "公示期满无异议后方可入库" in info.value.message
    with db.sessions() as s:
        n = s.execute(sa.text("SELECT count(*) FROM platform_events WHERE kind = 'pool-entry'")).scalar_one()
    assert n == 0


@pytest.mark.parametrize(("kw", "field"), [
    ({"kind": "change-report", "on": date(2026, 5, 1)}, "change_date"),
    ({"kind": "change-report", "on": date(2026, 5, 1), "change_date": date(2026, 6, 1)}, "change_date"),
    ({"kind": "re-evaluation", "on": date(2028, 2, 10), "grade": "合格"}, "grade"),
    ({"kind": "recognition", "on": date(2027, 2, 10), "level": "national", "change_date": date(2027, 1, 1)},
     "change_date"),
])
def test_clause_event_fields_are_checked_in_chinese(db: Any, kw: dict[str, Any], field: str) -> None:
    with db.sessions.begin() as s:
        _platform(s, "CL3")
    with pytest.raises(Invalid) as info, db.sessions.begin() as s:
        S.add_platform_event(s, "CL3", **kw)
    assert info.value.field == field


def test_the_database_still_refuses_an_unknown_kind(db: Any) -> None:
    with db.sessions.begin() as s:
        _platform(s, "CL4")
        pid = s.execute(sa.select(Platform.id).where(Platform.code == "CL4")).scalar_one()
    with pytest.raises(IntegrityError), db.sessions.begin() as s:
        s.execute(sa.text("INSERT INTO platform_events (platform_id, kind, date, document_number, note) "
                          "VALUES (:p, 'promotion', '2026-03-01', '', '')"), {"p": pid})
