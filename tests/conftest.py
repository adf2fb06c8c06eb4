"""Shared fixtures: a fresh, migrated ledger database per test, on SQLite and (when
``TEST_DATABASE_URL`` is set) on the real PostgreSQL server.

Each PostgreSQL test gets its own database cloned from a migrated template; nothing assumes the
server is empty, and every database this suite creates is dropped afterwards. With
``REQUIRE_POSTGRES=1`` (set by ``.ci/run``) an unreachable server fails the run instead of skipping.
With ``TEST_SERVICE_ROLE=1`` the PostgreSQL tests connect as a restricted service role made for the run
(ledger/privileges.py; dropped at the end) instead of the owner: every flow must work with its grants.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ledger import settings
from ledger.db import ensure_schema, make_engine, session_factory

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
MUTATING = bool(os.environ.get("MUTANT_UNDER_TEST"))  # set by mutmut (./dev mutants, docs/testing.md)
REQUIRE_PG = os.environ.get("REQUIRE_POSTGRES") == "1"
RUN_ID = uuid.uuid4().hex[:8]
SERVICE_ROLE = f"subsidy_app_{RUN_ID}" if os.environ.get("TEST_SERVICE_ROLE") == "1" else ""


@dataclass
class LedgerDB:
    """A migrated database for one test."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    dialect: str
    owner_url: str = ""  # the schema owner's URL (differs from ``url`` when that is the service role's)


def _admin_engine() -> Engine:
    return create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
                         if PG_URL.startswith("postgresql://") else PG_URL, isolation_level="AUTOCOMMIT")


def _pg_reachable() -> str | None:
    try:
        with _admin_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:
        return str(exc).splitlines()[0]


def _engines() -> list[str]:
    return ["sqlite", "postgres"] if PG_URL or REQUIRE_PG else ["sqlite"]


@pytest.fixture(scope="session", autouse=True)
def checkpoints_outside_the_repository(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Checkpoints the service writes during tests, and their key, go to a temporary folder, not var/."""
    folder = tmp_path_factory.mktemp("checkpoints")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SUBSIDY_CHECKPOINT_DIR", str(folder))
        mp.setenv("SUBSIDY_CHECKPOINT_KEY_FILE", str(folder / "checkpoint.key"))
        mp.delenv("SUBSIDY_CHECKPOINT_KEY", raising=False)
        mp.delenv("SUBSIDY_CHECKPOINT_ALG", raising=False)
        yield folder


@pytest.fixture(autouse=True)
def settings_from_the_environment() -> None:
    """Each test starts from the settings its environment gives (ledger/settings.py); a test may install
    its own with ``settings.use(Settings(...))``."""
    settings.use(None)
TEST_TODAY = date(2099, 12, 31)
"""The day the date rules (经办流程) take as today in the tests, whose stories run up to 2030; tests of the
rule itself set their own (``ledger.services.as_of``)."""


@pytest.fixture(scope="session", autouse=True)
def recorded_today() -> Iterator[date]:
    from ledger import services

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(services, "clock", lambda: TEST_TODAY)
        yield TEST_TODAY


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tmpl") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if not PG_URL:
        pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
    problem = _pg_reachable()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {problem}")
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    name = f"subsidy_tmpl_{RUN_ID}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin.url).set(database=name).render_as_string(hide_password=False)
    if SERVICE_ROLE:  # as in production (``subsidy ledger upgrade``); clones copy the grants
        from ledger.privileges import upgrade

        upgrade(url, make_url(url).set(username=SERVICE_ROLE).render_as_string(hide_password=False))
    engine = make_engine(url)
    ensure_schema(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if SERVICE_ROLE:
            conn.execute(text(f'DROP ROLE IF EXISTS "{SERVICE_ROLE}"'))
    admin.dispose()


def new_database(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerDB]:
    if dialect == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "ledger.db"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        yield LedgerDB(url, engine, session_factory(engine), "sqlite", url)
        engine.dispose()
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"subsidy_t_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    owner = make_url(admin.url).set(database=name)
    url = (owner.set(username=SERVICE_ROLE, password=None) if SERVICE_ROLE else owner).render_as_string(
        hide_password=False)
    engine = make_engine(url, pool_size=20, max_overflow=20)
    try:
        yield LedgerDB(url, engine, session_factory(engine), "postgresql", owner.render_as_string(hide_password=False))
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=_engines())
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerDB]:
    """A fresh migrated database on each engine under test."""
    yield from new_database(request.param, request, tmp_path)


@pytest.fixture
def pg_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerDB]:
    """A fresh migrated PostgreSQL database (skipped without TEST_DATABASE_URL unless required)."""
    if not PG_URL and not REQUIRE_PG:
        pytest.skip("TEST_DATABASE_URL not set")
    yield from new_database("postgres", request, tmp_path)


# Under mutation testing, the tests a mutant of each package is judged by (docs/testing.md "Mutation
# testing"): mutmut runs every test of its selection that reached the mutated function, and a ledger test
# reaches most of calculators/, so without this a calculator mutant would run the ledger's tests too.
MUTANT_TESTS = {"calculators": ("tests/calculators/",), "ledger": ("tests/ledger/",)}


def mutant_tests(mutant: str) -> tuple[str, ...] | None:
    """The test folders that judge ``mutant`` (mutmut's name, e.g. ``ledger.services.x_pay__mutmut_3``);
    None when ``mutant`` is not a mutant (mutmut's stats, clean and forced-fail runs) or its package has no
    entry (then mutmut's own selection stands)."""
    if "__mutmut_" not in mutant:
        return None
    return MUTANT_TESTS.get(mutant.split(".", 1)[0])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under mutation testing each mutant runs only the tests of its own package (``MUTANT_TESTS``), and
    every hypothesis test runs at most 20 derandomized examples, so that a mutant's verdict is
    reproducible and a run takes minutes (the suite itself keeps its numbers)."""
    if not MUTATING:
        return
    folders = mutant_tests(os.environ.get("MUTANT_UNDER_TEST", ""))
    if folders is not None:
        others = [item for item in items if not item.nodeid.removeprefix("mutants/").startswith(folders)]
        if others:
            config.hook.pytest_deselected(items=others)
            items[:] = [item for item in items if item not in others]
    from hypothesis import settings

    for item in items:
        fn = getattr(item, "obj", None)
        own = getattr(fn, "_hypothesis_internal_use_settings", None)
        if own is not None:
            fn._hypothesis_internal_use_settings = settings(  # type: ignore[union-attr]
                own, max_examples=min(own.max_examples, 20), derandomize=True, database=None)


@pytest.fixture(autouse=True)
def _fresh_rule_memos() -> None:
    """Each test computes its own answers: the bundled rule book's memoised answers (payer splits, the rule
    sets in force, resolved parameters) and the money module's exact-ratio cache are emptied first, so a
    test never passes on an answer another test left behind. Under mutation testing this matters: mutmut
    forks each mutant from a process that already ran the suite unmutated, and a memo filled then would
    hide the mutated function (``split._resolve_scheme`` with ``j = None`` survived that way)."""
    from calculators import money
    from calculators.rulesets.bundled import rulebook

    book = rulebook()
    book.memo.clear()
    for rule_set in book.rule_sets.values():
        rule_set._resolved.clear()
    money._exact_ratio.cache_clear()
