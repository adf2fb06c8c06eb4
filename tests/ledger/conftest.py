"""Fixtures of the ledger tests: the restricted service role of ledger/privileges.py, made for one test."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ledger.db import make_engine, session_factory
from ledger.privileges import drop_service_role, upgrade
from tests.conftest import RUN_ID, LedgerDB


def _owner(db: LedgerDB) -> str:
    return db.owner_url or db.url


def _service_url(owner: str, role: str, password: str | None = None) -> str:
    return make_url(owner).set(username=role, password=password).render_as_string(hide_password=False)


@pytest.fixture
def role(pg_db: LedgerDB) -> Iterator[str]:
    """A role name unique to this run and test; whatever it holds is dropped afterwards."""
    name = f"subsidy_app_{RUN_ID}_{uuid.uuid4().hex[:6]}"
    yield name
    engine = make_engine(_owner(pg_db))
    try:
        with engine.begin() as conn:
            if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}).first():
                drop_service_role(conn, name)
    finally:
        engine.dispose()


@pytest.fixture
def service_db(pg_db: LedgerDB, role: str) -> Iterator[LedgerDB]:
    """The test's database as ``subsidy ledger upgrade`` leaves it, opened as the restricted service role."""
    url = _service_url(_owner(pg_db), role, secrets.token_urlsafe(12))
    upgrade(_owner(pg_db), url)
    engine = make_engine(url)
    try:
        yield LedgerDB(url, engine, session_factory(engine), "postgresql", _owner(pg_db))
    finally:
        engine.dispose()
