"""Least privilege on PostgreSQL: the service's role can run every step of a claim's life and nothing
more — each way it could rewrite, truncate or unguard the journal is refused by the server.

Roles are global to the server and several test runs share it: every role here is named for this run
and this test, and dropped at the end (``DROP OWNED BY``, ``DROP ROLE``).
"""

from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from ledger import services as S
from ledger.db import SchemaNotCurrent, make_engine
from ledger.journal import verify
from ledger.models import Base
from ledger.privileges import APPEND, SERVICE_GRANTS, PrivilegeError, upgrade
from tests.conftest import LedgerDB
from tests.ledger.conftest import _owner, _service_url
from tests.ledger.world import pay_confirmed, run_to_audited, setup_world

AUDITED = {2023: 1_000_000_00, 2024: 700_000_00, 2025: 250_000_00}  # 585,000.00, half city, half 南湖区


def test_every_table_has_an_explicit_grant() -> None:
    """A new table forces a decision: it must be listed, and nothing is listed that does not exist."""
    tables = set(Base.metadata.tables)
    assert sorted(tables - SERVICE_GRANTS.keys()) == []
    assert sorted(SERVICE_GRANTS.keys() - tables) == ["alembic_version"]
    for table, privileges in SERVICE_GRANTS.items():
        assert privileges <= {"SELECT", "INSERT", "UPDATE"}, table  # never DELETE, TRUNCATE, TRIGGER, REFERENCES
        assert "SELECT" in privileges, table
    for table in ("journal_entries", "postings", "claim_events", "action_log"):
        assert SERVICE_GRANTS[table] == APPEND, table


@pytest.mark.postgres
def test_the_migrated_schema_matches_the_grant_table(pg_db: LedgerDB) -> None:
    """Every table the migrations make is listed, and every table they guard as append-only (a trigger
    calling ledger_refuse_change) is granted no more than SELECT and INSERT."""
    engine = make_engine(_owner(pg_db))
    try:
        with engine.connect() as conn:
            tables = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
                         .scalars())
            guarded = set(conn.execute(text(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'ledger_refuse_change'")).scalars())
    finally:
        engine.dispose()
    assert tables == set(SERVICE_GRANTS)
    assert guarded >= {"journal_entries", "postings", "claim_events", "action_log"}
    assert {t: sorted(SERVICE_GRANTS[t]) for t in guarded if SERVICE_GRANTS[t] != APPEND} == {}


def _claim_life(db: LedgerDB) -> str:
    """File → reviews → audit → approval → notice → fund issue → both payers pay in full."""
    setup_world(db)
    number = run_to_audited(db, years=AUDITED)
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="党组会〔2026〕5号",
                  actor="bureau")
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1),
                         title="2026年第一批中试平台补助公示", actor="bureau")
    with db.sessions.begin() as s:
        S.issue_funds(s, claim_number=number, document_number="嘉经信〔2026〕30号", on=date(2026, 4, 10),
                      actor="city-finance")
    with db.sessions.begin() as s:
        pay_confirmed(s, claim_number=number, payer="330400", voucher_number="SZ-001", on=date(2026, 4, 15),
              amount_fen=292_500_00, actor="city-finance")
        out = pay_confirmed(s, claim_number=number, payer="330402", voucher_number="NH-001", on=date(2026, 4, 20),
                    amount_fen=292_500_00, actor="nanhu-finance")
    assert out.state == "paid"
    return number


def _refused(conn: Connection, statement: str) -> str | None:
    """Run ``statement`` in its own transaction; the SQLSTATE it was refused with, or None if it ran."""
    try:
        with conn.begin():
            conn.exec_driver_sql(statement)
    except DBAPIError as exc:
        return str(getattr(exc.orig, "sqlstate", "?"))
    return None


# -- the service role at work -----------------------------------------------------------------------


@pytest.mark.postgres
def test_a_claim_life_runs_as_the_service_role(service_db: LedgerDB, role: str) -> None:
    with service_db.engine.connect() as conn:
        me, superuser = conn.execute(text("SELECT current_user, rolsuper FROM pg_roles "
                                          "WHERE rolname = current_user")).one()
    assert (me, superuser) == (role, False)
    _claim_life(service_db)
    with service_db.sessions() as s:
        report = verify(s)
    assert report.ok, report


ATTACKS = [
    "DELETE FROM postings",
    "UPDATE postings SET amount_fen = amount_fen * 2",
    "TRUNCATE postings",
    "DELETE FROM journal_entries WHERE id = (SELECT max(id) FROM journal_entries)",
    "UPDATE journal_entries SET description = 'changed'",
    "TRUNCATE journal_entries CASCADE",
    "DELETE FROM claim_events",
    "UPDATE action_log SET outcome = 'ok'",
    "DELETE FROM journal_head",
    "UPDATE payments SET amount_fen = 1",
    "DELETE FROM payments",
    "LOCK TABLE postings IN ACCESS EXCLUSIVE MODE",
    "ALTER TABLE postings DISABLE TRIGGER USER",
    "ALTER TABLE journal_entries DISABLE TRIGGER ALL",
    "SET session_replication_role = replica",
    "DROP TRIGGER postings_append_only ON postings",
    "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
    "ALTER TABLE postings OWNER TO CURRENT_USER",
    "DROP TABLE postings",
    "CREATE TABLE evil (id integer)",
    "CREATE TEMPORARY TABLE evil (id integer)",
    "CREATE SCHEMA evil",
    "ALTER ROLE CURRENT_USER SUPERUSER",
    "ALTER ROLE CURRENT_USER CREATEROLE",
    "SET ROLE postgres",
    "GRANT pg_write_all_data TO CURRENT_USER",
    "COPY postings FROM PROGRAM 'true'",
]


@pytest.mark.postgres
def test_every_attack_on_the_journal_is_refused_to_the_service_role(service_db: LedgerDB) -> None:
    _claim_life(service_db)
    with service_db.engine.connect() as conn:
        before = conn.execute(text("SELECT (SELECT count(*) FROM postings), (SELECT count(*) FROM journal_entries),"
                                   " (SELECT sum(amount_fen) FROM payments)")).one()
        conn.rollback()
        outcome = {attack: _refused(conn, attack) for attack in ATTACKS}
        # GRANT on a table it only reads or appends to: no grant option, so nothing is granted (a warning)
        for privilege in ("DELETE", "UPDATE", "TRUNCATE"):
            _refused(conn, f"GRANT {privilege} ON postings, journal_entries TO CURRENT_USER")
        held = conn.execute(text(
            "SELECT t, p FROM unnest(ARRAY['postings', 'journal_entries', 'claim_events', 'action_log']) t, "
            "unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER']) p "
            "WHERE has_table_privilege(current_user, t, p)")).all()
        after = conn.execute(text("SELECT (SELECT count(*) FROM postings), (SELECT count(*) FROM journal_entries),"
                                  " (SELECT sum(amount_fen) FROM payments)")).one()
        replication_role = conn.execute(text("SHOW session_replication_role")).scalar_one()
    assert {a: s for a, s in outcome.items() if s != "42501"} == {}  # 42501: insufficient_privilege
    assert held == []
    assert after == before and before[0] > 0
    assert replication_role == "origin"
    with service_db.sessions() as s:
        assert verify(s).ok


@pytest.mark.postgres
def test_the_triggers_still_guard_what_the_service_may_insert(service_db: LedgerDB) -> None:
    """The service may append to the journal, but only balanced entries: the triggers fire for it."""
    setup_world(service_db)
    with service_db.engine.connect() as conn:
        state = _refused(conn, "INSERT INTO journal_entries (id, entry_date, kind, description, actor, posted_at, "
                               "prev_hash, hash) VALUES (999999, '2026-01-01', 'x', 'x', 'x', now(), 'a', 'b')")
    assert state == "23514"  # check_violation from ledger_entry_balanced(): no postings


# -- ledger upgrade: idempotent, revokes extras, refuses what cannot be made safe -----------------------


def _held(owner: str, role: str) -> dict[str, object]:
    engine = make_engine(owner)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(text(
                "SELECT r.rolcreatedb AS createdb, "
                "  (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid) AS memberships, "
                "  has_table_privilege(r.rolname, 'postings', 'DELETE') AS delete_postings, "
                "  has_table_privilege(r.rolname, 'payments', 'UPDATE') AS update_payments, "
                "  has_database_privilege(r.rolname, current_database(), 'TEMPORARY') AS temporary, "
                "  has_schema_privilege(r.rolname, current_schema(), 'CREATE') AS create_in_schema, "
                "  has_table_privilege(r.rolname, 'claims', 'UPDATE') AS update_claims "
                "FROM pg_roles r WHERE r.rolname = :r"), {"r": role}).mappings().one())
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_upgrade_twice_is_fine_and_revokes_anything_extra(pg_db: LedgerDB, role: str) -> None:
    owner = _owner(pg_db)
    service = _service_url(owner, role)
    first = upgrade(owner, service)
    assert first[-1].startswith(f"服务角色 {role} 已创建")
    expected = {"createdb": False, "memberships": 0, "delete_postings": False, "update_payments": False,
                "temporary": False, "create_in_schema": False, "update_claims": True}
    assert _held(owner, role) == expected
    engine = make_engine(owner)
    try:
        with engine.begin() as conn:  # a careless administrator widens the role
            for statement in (f'GRANT DELETE ON postings TO "{role}"', f'GRANT UPDATE ON payments TO "{role}"',
                              f'GRANT TEMPORARY ON DATABASE "{make_url(owner).database}" TO "{role}"',
                              f'GRANT CREATE ON SCHEMA public TO "{role}"', f'GRANT pg_write_all_data TO "{role}"',
                              f'ALTER ROLE "{role}" CREATEDB', "CREATE TABLE scratch (id integer)"):
                conn.exec_driver_sql(statement)
        assert _held(owner, role) != expected
        again = upgrade(owner, service)
        assert again[-2].startswith(f"服务角色 {role} 已更新")
        assert again[-1] == "未授权的表（ledger/privileges.py 未列出）：scratch"
        assert _held(owner, role) == expected
        with engine.connect() as conn:
            assert not conn.execute(text("SELECT has_table_privilege(:r, 'scratch', 'SELECT')"), {"r": role}).scalar()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_upgrade_refuses_a_service_role_that_owns_tables_and_notes_a_single_role(pg_db: LedgerDB, role: str) -> None:
    owner = _owner(pg_db)
    upgrade(owner, _service_url(owner, role))
    engine = make_engine(owner)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE TABLE owned_by_service (id integer); '
                                 f'ALTER TABLE owned_by_service OWNER TO "{role}"')
    finally:
        engine.dispose()
    with pytest.raises(PrivilegeError, match=f"REASSIGN OWNED BY {role}"):
        upgrade(owner, _service_url(owner, role))
    assert "权限未分离" in upgrade(owner, owner)[-1]
    elsewhere = make_url(owner).set(database="another_database").render_as_string(hide_password=False)
    with pytest.raises(PrivilegeError, match="同一数据库"):
        upgrade(owner, _service_url(elsewhere, role))


@pytest.mark.postgres
def test_the_ledger_upgrade_command_and_the_service_start_up(pg_db: LedgerDB, role: str,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    from app.cli import cli
    from app.main import prepare_database

    owner, service = _owner(pg_db), _service_url(_owner(pg_db), role)
    monkeypatch.setenv("DATABASE_OWNER_URL", owner)
    monkeypatch.setenv("DATABASE_URL", service)
    for _ in range(2):
        result = CliRunner().invoke(cli, ["ledger", "upgrade"])
        assert result.exit_code == 0, result.output
        assert f"服务角色 {role} 已" in result.output
    # start-up as the service: nothing to migrate, reference data already in line, no warning
    with caplog.at_level(logging.WARNING, logger="subsidy"):
        factory = prepare_database(service)
        factory.kw["bind"].dispose()
    assert caplog.records == []
    # as the owner (one role): it works, and says that the journal's guards can be bypassed
    with caplog.at_level(logging.WARNING, logger="subsidy"):
        prepare_database(owner).kw["bind"].dispose()
    assert "最小权限" in caplog.text
    # reference data out of line with the rule book, then a schema behind the code: the service may
    # correct neither, and says what to run
    for statement, message in (("UPDATE payers SET name = 'x'", "规则库"),
                               ("UPDATE alembic_version SET version_num = '0003'", "程序需要")):
        engine = make_engine(owner)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(statement)
        finally:
            engine.dispose()
        with pytest.raises(SchemaNotCurrent, match=f"{message}.*subsidy ledger upgrade"):
            prepare_database(service)


def test_sqlite_keeps_one_file_and_needs_no_owner_url(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from app.cli import cli

    monkeypatch.delenv("DATABASE_OWNER_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    result = CliRunner().invoke(cli, ["ledger", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "SQLite：没有数据库角色" in result.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".db") == ["ledger.db"]


# -- the service (API) under the restricted role ------------------------------------------------------


@pytest.mark.postgres
def test_a_claim_life_through_the_api_as_the_service_role(service_db: LedgerDB,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    import app.security as security
    from tests.app import flow as F
    from tests.app.conftest import make_service

    monkeypatch.setattr(security, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    service = make_service(service_db)
    F.setup_platform(service)
    F.setup_budgets(service)
    number = F.file_claim(service)
    F.to_audited(service, number)
    F.approve_and_notice(service, number)
    city_fin = service.api("city-fin")
    F.post(city_fin, f"/claims/{number}/fund-issue", {"document_number": "嘉经信〔2026〕30号", "on": "2026-04-10"}, 200)
    F.pay(service, "city-fin", number,
          {"payer": "330400", "voucher_number": "SZ-001", "on": "2026-04-15", "amount": "292500.00"})
    out = F.pay(service, "nanhu-fin", number,
                {"payer": "330402", "voucher_number": "NH-001", "on": "2026-04-20", "amount": "292500.00"})
    assert (out["state"], out["remaining"]) == ("paid", "0.00")
    auditor = service.api("auditor")
    assert F.get(auditor, "/ledger/verify")["ok"] is True
    assert F.get(auditor, "/actions")["items"]  # the action log was appended to
    wrong = service.client.post("/api/v1/auth/token", json={"username": "auditor", "password": "wrong"})
    assert wrong.status_code == 401
    with service_db.sessions() as s:  # the failed sign-in was counted (UPDATE users)
        assert s.execute(text("SELECT failed_logins FROM users WHERE username = 'auditor'")).scalar_one() == 1
