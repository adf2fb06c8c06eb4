"""Database engines and sessions. SQLite under ``var/`` is the embedded default; PostgreSQL in production.

``DATABASE_URL`` selects the database the service uses; without it the ledger uses
``sqlite:///var/subsidy.db``, created and migrated on first use (:func:`ensure_schema`).
``DATABASE_OWNER_URL`` is the schema owner's connection, used only to migrate (``subsidy ledger
upgrade``); unset, it is ``DATABASE_URL`` (one file on SQLite, which has no roles). On PostgreSQL the
service's role holds only what ``ledger/privileges.py`` grants it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from ledger.settings import Settings, current

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = Settings.model_fields["database_url"].default


def database_url() -> str:
    """The service's database (``DATABASE_URL``; default: SQLite under ``var/``), as read at start
    (``ledger/settings.py``)."""
    return current().database_url


def owner_url() -> str:
    """The schema owner's connection for migrations (``DATABASE_OWNER_URL``; default: :func:`database_url`)."""
    return current().owner_url()


def make_engine(url: str | None = None, **kw: Any) -> Engine:
    """An engine with the settings the ledger relies on (SQLite: foreign keys on, WAL, busy timeout,
    transactions begun IMMEDIATE so that writers queue instead of failing to upgrade a lock)."""
    url = url or database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kw)

        @event.listens_for(engine, "connect")
        def _sqlite_settings(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event issue BEGIN IMMEDIATE
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.close()

        event.listen(engine, "before_cursor_execute", _refuse_writes_when_reading)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # writers queue on the database lock from their first statement; readers (sessions from
            # :func:`reading`) take a deferred BEGIN and read their WAL snapshot without waiting
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    kw.setdefault("pool_recycle", 1800)
    # enough kept-open connections for the service's worker threads (SUBSIDY_THREADS): a connection
    # beyond the pool is opened and closed for each use, and a new server process costs milliseconds
    kw.setdefault("pool_size", current().db_pool)
    kw.setdefault("max_overflow", 20)
    engine = create_engine(url, **kw)
    event.listen(engine, "before_cursor_execute", _refuse_writes_when_reading)
    return engine


class SchemaNotCurrent(RuntimeError):
    """The database is behind the code's migrations and this connection's role may not migrate it."""


def _alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return cfg


def schema_revision(engine: Engine) -> tuple[set[str], set[str]]:
    """(the database's migration heads, the code's): equal when the schema is current. Reads only."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return current, set(ScriptDirectory.from_config(_alembic_config()).get_heads())


def insufficient_privilege(exc: BaseException) -> bool:
    """Whether PostgreSQL refused a statement for want of a privilege (SQLSTATE 42501)."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "42501"


def ensure_schema(engine: Engine) -> None:
    """Bring the database to the latest migration (Alembic ``upgrade head``) when it is behind. Run on the
    owner's engine (or SQLite's file); the service's restricted role, which may not migrate, gets
    :class:`SchemaNotCurrent` naming the command to run instead."""
    from alembic import command
    from sqlalchemy.exc import ProgrammingError

    current, head = schema_revision(engine) if engine.dialect.name == "postgresql" else (set(), set())
    if current and current == head:
        return  # the restricted role may read the version, not run Alembic's upgrade
    cfg = _alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except ProgrammingError as exc:
        if not insufficient_privilege(exc):
            raise
        raise SchemaNotCurrent(
            f"数据库结构版本为 {', '.join(sorted(current)) or '空'}，程序需要 {', '.join(sorted(head))}；"
            f"角色 {engine.url.username} 无权迁移。请以所有者身份运行："
            "DATABASE_OWNER_URL=… DATABASE_URL=… subsidy ledger upgrade") from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_columns(session: Session, statement: Any, params: dict[str, Any] | None = None) -> Any:
    """Run a select of columns (no ORM entities) with Core on the session's connection, the session flushed
    first as an ORM select autoflushes it (unless autoflush is off), so the rows include its pending
    changes: the same rows, without the ORM's per-statement compile and result machinery, which costs more
    than the statement itself on SQLite (issue 12, part 4)."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params or {})


class ReadOnlySession(RuntimeError):
    """A statement that would change data, sent in a session opened for reading."""


READ_STATEMENTS = ("SELECT", "WITH", "SHOW", "EXPLAIN", "BEGIN")  # BEGIN: SQLite's deferred one


def _refuse_writes_when_reading(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if conn.get_execution_options().get("read_only") and not statement.lstrip()[:7].upper().startswith(
            READ_STATEMENTS):
        raise ReadOnlySession(f"a read-only session may not run: {statement[:80]}")


@contextmanager
def reading(factory: sessionmaker[Session], *, snapshot: bool = False) -> Iterator[Session]:
    """A session for reads only; nothing it does is committed.

    SQLite: a deferred BEGIN, so it never waits for a writer, and WAL gives it one consistent snapshot.
    PostgreSQL: by default in autocommit — each statement reads the latest committed data, as it would
    inside a READ COMMITTED transaction, without the BEGIN and ROLLBACK round trips (a third of a short
    read's time); with ``snapshot=True`` one REPEATABLE READ, READ ONLY transaction, so that every
    statement sees the same committed state (reports: totals that add up across statements). On both,
    a statement that is not a read is refused (:class:`ReadOnlySession`)."""
    with factory() as session:
        options: dict[str, Any] = {"read_only": True}
        if session.get_bind().dialect.name == "postgresql":
            options |= ({"isolation_level": "REPEATABLE READ", "postgresql_readonly": True} if snapshot
                        else {"isolation_level": "AUTOCOMMIT"})
        session.connection(execution_options=options)
        try:
            yield session
        finally:
            session.rollback()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
