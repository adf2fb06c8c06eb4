"""Least privilege on PostgreSQL (最小权限): what the service's database role may do, table by table.

Two roles: the *owner* (``DATABASE_OWNER_URL``) owns the schema and runs the migrations; the *service*
(``DATABASE_URL``) connects with only :data:`SERVICE_GRANTS`. The service role owns nothing, is not a
superuser and may not create anything in the schema, so it cannot disable or drop the journal's
triggers, change ``session_replication_role`` (superuser only) or grant itself more. It never holds
UPDATE, DELETE or TRUNCATE on the append-only tables (journal, postings, claim events, action log).

``subsidy ledger upgrade`` calls :func:`apply_service_grants` after every migration: it creates or
updates the role, revokes whatever it holds beyond this table and grants exactly what is listed, so a
table added by a migration is covered by the next upgrade (no ``ALTER DEFAULT PRIVILEGES``: a new table
gets nothing until it has an entry here; ``tests/ledger/test_privileges.py`` requires one for every
table in the models). SQLite has no roles: there the service and the owner are one file.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

READ = frozenset({"SELECT"})
APPEND = frozenset({"SELECT", "INSERT"})
"""Append-only: rows are added, never changed (the journal, its events, the action log)."""
KEEP = frozenset({"SELECT", "INSERT", "UPDATE"})
"""Projections and working records the procedure moves forward (and rows it locks: ``SELECT … FOR
UPDATE`` needs UPDATE). Their amounts are recomputed from the journal by ``verify``."""
NO_PRIVILEGES: frozenset[str] = frozenset()

SERVICE_GRANTS: dict[str, frozenset[str]] = {
    # the journal and the logs: append-only (also guarded by triggers, migrations 0002 and 0003)
    "journal_entries": APPEND,
    "postings": APPEND,
    "claim_events": APPEND,
    "action_log": APPEND,
    # the chain head: the single row (migration 0002) is locked and moved on with every entry
    "journal_head": READ | {"UPDATE"},
    # reference data: written by the migrations and by ``subsidy ledger upgrade`` (as the owner)
    "accounts": READ,
    "payers": READ,
    "jurisdictions": READ,
    "alembic_version": READ,  # the service checks that the schema is at head
    # records the procedure adds and never changes
    "platform_events": APPEND,
    "investments": APPEND,
    "reviews": APPEND,
    "approvals": APPEND,
    "notice_end_changes": APPEND,  # a notice's end date recomputed on loading a holiday notice (0005)
    "notice_claims": APPEND,
    "fund_issues": APPEND,
    "payments": APPEND,
    "provincial_steps": APPEND,  # 省级下达、上级转移支付到账、转拨 (0008)
    "payment_withdrawals": APPEND,  # 作废制单: a prepared, unconfirmed payment withdrawn; the payment stays
    "claim_explanations": APPEND,  # the calculation each state change was based on (0011; guarded by triggers)
    "payment_confirmations": APPEND,  # 复核: a payment counts once confirmed; payments stay append-only
    # projections and working records
    "platforms": KEEP,        # locked while a claim's caps are checked
    "audits": KEEP,           # the audit's totals are set once its years and invoices are added
    "budgets": KEEP,          # appropriation_fen grows with each appropriation
    "claims": KEEP,           # state, computed and approved amounts
    "claim_years": KEEP,      # released when an approval is reversed
    "invoices": KEEP,         # audited amounts; released with the claim
    "objections": KEEP,       # resolved
    "recoveries": KEEP,       # received_fen
    "holiday_notices": KEEP,  # an administrator replaces a year's notice
    "notices": KEEP,          # a provisional end date is recomputed on loading a holiday notice; each
                              # change is kept in notice_end_changes
    "idempotency_keys": KEEP,  # the first response is stored once the request completes
    "users": KEEP,            # failed sign-ins, lockout, deactivation
    "user_sessions": KEEP,    # revoked at sign-out
    "jobs": KEEP,             # background jobs: claimed, their progress, result or failure written (0009);
                              # a finished job's file is cleared after SUBSIDY_JOB_KEEP_DAYS, never deleted
}
"""Table → privileges of the service role. Every table the schema has must be listed (a new table forces
a decision); one missing here gets no privileges at all."""

DANGEROUS_ATTRIBUTES = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls")


class PrivilegeError(RuntimeError):
    """The service role cannot be set up as least privilege requires (the message says why, in Chinese)."""


@dataclass(frozen=True)
class Applied:
    """What :func:`apply_service_grants` did."""

    role: str
    created: bool
    tables: int
    sequences: int
    unlisted: tuple[str, ...]  # tables in the schema without an entry: the service got nothing on them


def _q(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def _password_literal(conn: Connection, role: str, password: str) -> str:
    """The password as a SCRAM verifier computed by libpq, so the plain text never reaches the server
    (or its statement log); quoted as an SQL literal."""
    driver = conn.connection.driver_connection
    verifier: bytes = driver.pgconn.encrypt_password(password.encode(), role.encode(), None)  # type: ignore[union-attr]
    return "'" + verifier.decode().replace("'", "''") + "'"


# size: the role's whole state made exactly the table's, in the order PostgreSQL needs: create or alter, drop
# memberships, refuse ownership, revoke everything, then grant table by table, sequence and schema
def apply_service_grants(conn: Connection, role: str, password: str | None = None) -> Applied:
    """Create or update the service role ``role`` and give it exactly :data:`SERVICE_GRANTS` in this
    database's current schema; idempotent. Run on the owner's connection, in one transaction, after the
    migrations (``subsidy ledger upgrade``). Refuses (:class:`PrivilegeError`) when ``role`` is the
    connecting role itself or owns anything here."""
    if conn.dialect.name != "postgresql":
        raise PrivilegeError("SQLite 没有数据库角色：服务与迁移共用一个数据库文件，无需授权")
    me, schema, database = conn.execute(text("SELECT current_user, current_schema(), current_database()")).one()
    if role == me:
        raise PrivilegeError(f"服务角色 {role} 即迁移所用的所有者角色：DATABASE_URL 应使用另一个角色（最小权限）")
    r, s, d = _q(conn, role), _q(conn, schema), _q(conn, database)
    attrs = conn.execute(text(f"SELECT {', '.join(DANGEROUS_ATTRIBUTES)}, rolcanlogin FROM pg_roles "
                              "WHERE rolname = :r"), {"r": role}).mappings().one_or_none()
    pw = f" PASSWORD {_password_literal(conn, role, password)}" if password else ""
    if attrs is None:
        conn.exec_driver_sql(f"CREATE ROLE {r} LOGIN{pw}")
    else:  # altered only when something is to change (PostgreSQL 16 lets only its admins alter a role)
        change = [f"NO{a[3:].upper()}" for a in DANGEROUS_ATTRIBUTES if attrs[a]]
        change += [] if attrs["rolcanlogin"] else ["LOGIN"]
        if change or pw:
            conn.exec_driver_sql(f"ALTER ROLE {r} {' '.join(change)}{pw}")
    for (granted,) in conn.execute(text(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :r"), {"r": role}):
        conn.exec_driver_sql(f"REVOKE {_q(conn, granted)} FROM {r}")  # no role to SET ROLE to
    owned = conn.execute(text(
        "SELECT c.relname FROM pg_class c JOIN pg_roles o ON o.oid = c.relowner WHERE o.rolname = :r "
        "UNION ALL SELECT n.nspname FROM pg_namespace n JOIN pg_roles o ON o.oid = n.nspowner WHERE o.rolname = :r "
        "UNION ALL SELECT datname FROM pg_database JOIN pg_roles o ON o.oid = datdba "
        "WHERE o.rolname = :r AND datname = current_database()"), {"r": role}).scalars().all()
    if owned:
        raise PrivilegeError(f"服务角色 {role} 拥有 {', '.join(sorted(owned)[:5])} 等对象：请先以所有者执行 "
                             f"REASSIGN OWNED BY {role} TO {me}，再运行 subsidy ledger upgrade")
    # the database: connect only (no temporary tables, no schemas); the schema: use, never create
    conn.exec_driver_sql(f"REVOKE ALL ON DATABASE {d} FROM {r}")
    conn.exec_driver_sql(f"REVOKE TEMPORARY, CREATE ON DATABASE {d} FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT CONNECT ON DATABASE {d} TO {r}")
    conn.exec_driver_sql(f"REVOKE ALL ON SCHEMA {s} FROM {r}")
    conn.exec_driver_sql(f"REVOKE CREATE ON SCHEMA {s} FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {s} TO {r}")
    # tables and sequences: revoke everything, then grant what the table above lists
    for what in ("TABLES", "SEQUENCES", "FUNCTIONS"):
        conn.exec_driver_sql(f"REVOKE ALL ON ALL {what} IN SCHEMA {s} FROM {r}, PUBLIC")
    tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY 1"),
                          {"s": schema}).scalars().all()
    for table in tables:
        privileges = SERVICE_GRANTS.get(table, NO_PRIVILEGES)
        if privileges:
            conn.exec_driver_sql(f"GRANT {', '.join(sorted(privileges))} ON TABLE {s}.{_q(conn, table)} TO {r}")
    # the sequences behind the serial columns of the tables the service inserts into: nextval only
    sequences = conn.execute(text(
        "SELECT seq.relname, tab.relname FROM pg_class seq "
        "JOIN pg_depend dep ON dep.objid = seq.oid AND dep.deptype IN ('a', 'i') "
        "JOIN pg_class tab ON tab.oid = dep.refobjid "
        "JOIN pg_namespace n ON n.oid = seq.relnamespace "
        "WHERE seq.relkind = 'S' AND n.nspname = :s"), {"s": schema}).all()
    granted = [seq for seq, table in sequences if "INSERT" in SERVICE_GRANTS.get(table, NO_PRIVILEGES)]
    for seq in granted:
        conn.exec_driver_sql(f"GRANT USAGE ON SEQUENCE {s}.{_q(conn, seq)} TO {r}")
    return Applied(role, attrs is None, len(tables), len(granted),
                   tuple(t for t in tables if t not in SERVICE_GRANTS))


def drop_service_role(conn: Connection, role: str) -> None:
    """Remove a service role's privileges in this database and, when it holds none elsewhere, the role
    (tests; decommissioning). ``DROP OWNED BY`` revokes its grants here; ``DROP ROLE`` fails while another
    database still grants it something."""
    r = _q(conn, role)
    conn.exec_driver_sql(f"DROP OWNED BY {r}")
    conn.exec_driver_sql(f"DROP ROLE {r}")


def upgrade(owner: str, service: str) -> list[str]:
    """``subsidy ledger upgrade``: migrate as the owner (URL ``owner``), bring the reference data in line
    with the rule book, then on PostgreSQL give the role of the service's URL ``service`` exactly its
    grants. Returns what was done, one line each."""
    from sqlalchemy.engine import make_url

    from ledger.db import ensure_schema, make_engine, session_factory, transaction
    from ledger.services import sync_reference_data

    owner_u, service_u = make_url(owner), make_url(service)
    engine = make_engine(owner)
    try:
        ensure_schema(engine)
        with transaction(session_factory(engine)) as session:
            sync_reference_data(session)
        done = ["数据库结构已是最新；区县、拨付单位等参考数据已与规则库一致"]
        if engine.dialect.name != "postgresql":
            return [*done, "SQLite：没有数据库角色（服务与迁移共用一个数据库文件），无需授权"]
        if (owner_u.host, owner_u.port, owner_u.database) != (service_u.host, service_u.port, service_u.database):
            raise PrivilegeError(f"DATABASE_URL（{service_u.render_as_string()}）与 DATABASE_OWNER_URL"
                                 f"（{owner_u.render_as_string()}）须指向同一数据库")
        role = service_u.username
        with engine.begin() as conn:
            me, superuser = conn.execute(text("SELECT current_user, rolsuper FROM pg_roles "
                                              "WHERE rolname = current_user")).one()
        if superuser:
            done.append(f"提示：正以超级用户 {me} 迁移；用一个拥有该数据库的专门所有者角色（不必是超级用户）即可")
        if not role or role == me:
            return [*done, f"服务与迁移共用一个角色（{me}），权限未分离：请把 DATABASE_OWNER_URL 设为所有者角色、"
                           "DATABASE_URL 设为服务角色"]
        with engine.begin() as conn:
            applied = apply_service_grants(conn, role, service_u.password)
        done.append(f"服务角色 {role} 已{'创建' if applied.created else '更新'}：授权 "
                    f"{applied.tables - len(applied.unlisted)} 个表、{applied.sequences} 个序列")
        if applied.unlisted:
            done.append(f"未授权的表（ledger/privileges.py 未列出）：{'、'.join(applied.unlisted)}")
        return done
    finally:
        engine.dispose()


def separation_warning(conn: Connection) -> str | None:
    """On PostgreSQL, a warning when the service's connection could defeat the journal's guards: its role
    is a superuser or owns the journal (a one-role set-up). None when the roles are separated, or on SQLite."""
    if conn.dialect.name != "postgresql":
        return None
    me, superuser, owns = conn.execute(text(
        "SELECT current_user, rolsuper, pg_has_role(current_user, c.relowner, 'USAGE') "
        "FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.oid = 'journal_entries'::regclass"
    )).one()
    if superuser or owns:
        return (f"服务以角色 {me} 连接，该角色{'是超级用户' if superuser else '拥有台账表'}，可绕过日记账的数据库保护；"
                "生产环境请用 DATABASE_URL 指定只有最小权限的服务角色（见 README：PostgreSQL in production: two roles）")
    return None
