"""Read-only sessions (``ledger.db.reading``): they refuse to change data on every engine, and with
``snapshot=True`` every statement sees the one committed state the first one saw."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text

from ledger import services as S
from ledger.db import ReadOnlySession, reading
from ledger.models import Platform
from tests.conftest import LedgerDB


def _platforms(s: Any) -> int:
    return int(s.execute(select(func.count()).select_from(Platform)).scalar_one())


def _add_platform(db: LedgerDB, code: str) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
        S.create_platform(s, code=code, name=f"平台{code}", jurisdiction="330402", operator="某公司")


@pytest.mark.parametrize("snapshot", [False, True])
def test_a_reading_session_refuses_to_write(db: LedgerDB, snapshot: bool) -> None:
    _add_platform(db, "P1")
    with reading(db.sessions, snapshot=snapshot) as s, pytest.raises(ReadOnlySession):
        s.execute(text("UPDATE platforms SET name = 'x'"))
    with pytest.raises(ReadOnlySession), reading(db.sessions, snapshot=snapshot) as s:
        s.get(Platform, 1).name = "changed"  # type: ignore[union-attr]
        _platforms(s)  # autoflush would send the UPDATE: refused
    with db.sessions() as s:
        assert s.execute(select(Platform.name)).scalar_one() == "平台P1"


def test_reads_see_commits_between_statements_unless_a_snapshot(db: LedgerDB) -> None:
    _add_platform(db, "P1")
    with reading(db.sessions) as s:
        first = _platforms(s)
        _add_platform(db, "P2")  # another connection commits in between
        latest = _platforms(s)
    if db.dialect == "postgresql":  # each statement reads the latest committed data
        assert (first, latest) == (1, 2)
    else:  # SQLite: the deferred BEGIN's WAL snapshot holds for the whole session
        assert (first, latest) == (1, 1)
    with reading(db.sessions, snapshot=True) as s:
        first = _platforms(s)
        _add_platform(db, "P3")
        assert _platforms(s) == first == 2  # one state throughout
    with reading(db.sessions) as s:
        assert _platforms(s) == 3
