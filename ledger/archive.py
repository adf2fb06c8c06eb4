"""The ledger archive (账本档案): the whole ledger in one zip file, with a manifest of hashes.

Every table of ``ledger.models`` (so a new table is included without a change here) is written as JSON
lines, one row per line, in dependency order, from one consistent snapshot: reference data, platforms
and their events, claims and every procedure table, the journal and its head, projections, users
(their password hashes replaced by a marker no password matches; sessions left out), the action log.
The database's latest checkpoint (signed; see ``ledger.checkpoint``) rides along as ``checkpoint.json``.
``manifest.json`` lists each member with its row count, size and SM3 (or SHA-256) digest, and the chain
head. Rows are streamed in both directions, so the size of the journal does not matter.

:func:`import_archive` restores an archive into an empty database of either engine: it checks every
member against the manifest before reading a row, keeps every id (PostgreSQL's sequences are moved past
them), loads each batch of postings before its entries so the database's own balance and append-only
triggers pass on every row, recomputes the chain inside the same transaction and commits only when it
reaches the manifest's head. It is the nightly backup and the package an auditor takes away.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Table, delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.ddl import sort_tables

from ledger.checkpoint import (
    CheckpointError,
    algorithm,
    append,
    checkpoints_of,
    database_label,
    head,
    load_key,
    parse_checkpoints,
    signature_ok,
    usable,
)
from ledger.db import reading
from ledger.errors import LedgerError
from ledger.journal import verify
from ledger.models import Base

FORMAT = "subsidy-ledger-archive"
VERSION = 1
MANIFEST = "manifest.json"
CHECKPOINT = "checkpoint.json"
EXCLUDED = {"user_sessions": "登录会话含会话密钥，不导出"}
REDACTED = {("users", "password_hash"): "!archived"}  # no argon2 hash: no password matches it
REPLACEABLE = ("accounts", "journal_head", "payers", "jurisdictions")  # filled by migrations / reference sync
JOURNAL = ("postings", "journal_entries")  # loaded together: a batch's postings, then its entries
BATCH = 5000
CHUNK = 1 << 20

Progress = Callable[[str, int], None]


class ArchiveError(LedgerError):
    """An archive that cannot be written or restored as asked; nothing was changed."""

    status = 422


def _refuse(rule: str, message: str, field: str = "archive") -> ArchiveError:
    return ArchiveError(rule, message, field=field)


def tables() -> list[Table]:
    """The archived tables in load order: every table of the metadata in dependency order, except those
    in ``EXCLUDED``; postings' other parents come before the entries they are loaded with."""
    md = Base.metadata
    postings, entries = md.tables[JOURNAL[0]], md.tables[JOURNAL[1]]
    extra = [(fk.column.table, entries) for fk in postings.foreign_keys if fk.column.table is not entries]
    return [t for t in sort_tables([t for t in md.sorted_tables if t.name not in EXCLUDED],
                                   extra_dependencies=extra)]


def _order(table: Table) -> list[Column[Any]]:
    if table.name == JOURNAL[0]:
        return [table.c.entry_id, table.c.id]
    return list(table.primary_key.columns)


# ---------------------------------------------------------------- rows as JSON lines

def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def _decoders(table: Table) -> dict[str, Callable[[str], Any]]:
    out: dict[str, Callable[[str], Any]] = {}
    for col in table.columns:
        try:
            kind = col.type.python_type
        except NotImplementedError:
            continue
        if kind is datetime:
            out[col.name] = datetime.fromisoformat
        elif kind is date:
            out[col.name] = date.fromisoformat
    return out


def _rows(conn: Connection, table: Table) -> Iterator[list[dict[str, Any]]]:
    redact = {c: v for (t, c), v in REDACTED.items() if t == table.name}
    result = conn.execute(select(table).order_by(*_order(table)),
                          execution_options={"stream_results": True, "yield_per": BATCH})
    for part in result.mappings().partitions():
        yield [{k: redact.get(k, _encode(v)) for k, v in row.items()} for row in part]


# ---------------------------------------------------------------- export

@dataclass(frozen=True)
class Summary:
    """What an export wrote or an import restored."""

    path: Path
    manifest: dict[str, Any]
    manifest_digest: str
    size: int
    checkpoint_note: str = ""

    @property
    def rows(self) -> int:
        return sum(m["rows"] for m in self.manifest["members"] if "table" in m)


def _revision(conn: Connection) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # no Alembic table: not a migrated database
        return None


def export_archive(factory: sessionmaker[Session], out: str | Path, *, progress: Progress | None = None
                   ) -> Summary:
    """Write the whole ledger to ``out`` (a new zip file) from one consistent snapshot."""
    out = Path(out)
    alg = algorithm()
    tmp = out.with_name(f".{out.name}.part")
    members: list[dict[str, Any]] = []
    try:
        with reading(factory, snapshot=True) as s, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED,
                                                                    compresslevel=6) as zf:
            conn = s.connection()
            for n, table in enumerate(tables()):
                name = f"tables/{n:02d}-{table.name}.jsonl"
                digest, rows, size = hashlib.new(alg), 0, 0
                info = zipfile.ZipInfo(name, datetime.now().timetuple()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(info, "w", force_zip64=True) as f:
                    for part in _rows(conn, table):
                        data = "".join(_line(r) for r in part).encode("utf-8")
                        digest.update(data)
                        f.write(data)
                        rows, size = rows + len(part), size + len(data)
                        if progress:
                            progress(table.name, rows)
                members.append({"name": name, "table": table.name, "rows": rows, "bytes": size,
                                "digest": digest.hexdigest()})
            cps, _ = checkpoints_of(s)
            if cps:
                latest = max(cps, key=lambda c: (c.entry_id, c.at)).line().encode("utf-8")
                zf.writestr(CHECKPOINT, latest)
                members.append({"name": CHECKPOINT, "rows": 1, "bytes": len(latest),
                                "digest": hashlib.new(alg, latest).hexdigest()})
            entry_id, last_hash = head(s)
            manifest = {
                "format": FORMAT, "version": VERSION, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "source": {"dialect": conn.dialect.name, "database": database_label(conn.engine.url),
                           "schema_revision": _revision(conn)},
                "hash": alg, "chain_head": {"entry_id": entry_id, "hash": last_hash},
                "members": members,
                "excluded": EXCLUDED, "redacted": {f"{t}.{c}": "不导出（换成任何密码都不符的标记）" for t, c in REDACTED},
            }
            body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
            zf.writestr(MANIFEST, body)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return Summary(out, manifest, hashlib.new(alg, body).hexdigest(), out.stat().st_size)


# ---------------------------------------------------------------- import

def read_manifest(zf: zipfile.ZipFile) -> tuple[dict[str, Any], str]:
    """The manifest, its form checked, and its digest."""
    try:
        body = zf.read(MANIFEST)
        manifest = json.loads(body)
    except (KeyError, ValueError):
        raise _refuse("档案清单", "档案中没有可读的清单 manifest.json") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise _refuse("档案清单", f"不是本系统的账本档案（应为 {FORMAT} 第 {VERSION} 版）")
    alg = usable(str(manifest.get("hash")), "hash")
    return manifest, hashlib.new(alg, body).hexdigest()


def check_members(zf: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    """Every member's digest, size and row count against the manifest; nothing unlisted, nothing missing."""
    listed = {m["name"]: m for m in manifest["members"]}
    present = set(zf.namelist()) - {MANIFEST}
    if present != set(listed):
        odd = sorted(present ^ set(listed))
        raise _refuse("档案清单", f"档案成员与清单不符：{', '.join(odd[:5])}")
    for name, m in listed.items():
        digest, size, lines = hashlib.new(manifest["hash"]), 0, 0
        with zf.open(name) as f:
            while chunk := f.read(CHUNK):
                size += len(chunk)
                if size > m["bytes"]:
                    raise _refuse("档案成员", f"档案成员 {name} 比清单所记的 {m['bytes']} 字节大")
                digest.update(chunk)
                lines += chunk.count(b"\n")
        if size != m["bytes"] or digest.hexdigest() != m["digest"]:
            raise _refuse("档案成员", f"档案成员 {name} 的哈希与清单不符：档案已被改动或损坏，拒绝导入")
        if "table" in m and lines != m["rows"]:
            raise _refuse("档案成员", f"档案成员 {name} 有 {lines} 行，清单记为 {m['rows']} 行")


def _refuse_non_empty(conn: Connection) -> None:
    md = Base.metadata
    for table in md.sorted_tables:
        if table.name in REPLACEABLE:
            continue
        n = conn.execute(select(func.count()).select_from(table)).scalar_one()
        if n:
            raise _refuse("只导入到空数据库", f"目标数据库不是空的：表 {table.name} 已有 {n} 行。"
                          "档案只导入新建的空数据库（subsidy ledger upgrade 之后、未载入任何数据）")
    last = conn.execute(text("SELECT MAX(last_id) FROM journal_head")).scalar()
    if last:
        raise _refuse("只导入到空数据库", f"目标数据库不是空的：账本已记到第 {last} 号凭证")


_LACKING_TABLE = text("SELECT t, p FROM unnest(CAST(:tables AS text[]), CAST(:privileges AS text[])) "
                      "WITH ORDINALITY AS x(t, p, n) WHERE NOT has_table_privilege(t, p) ORDER BY n")
_LACKING_SEQUENCE = text("SELECT s FROM (SELECT pg_get_serial_sequence(t, c) AS s, n FROM unnest(CAST(:tables AS text[]), "
                         "CAST(:columns AS text[])) WITH ORDINALITY AS x(t, c, n)) AS y WHERE s IS NOT NULL "
                         "AND NOT has_sequence_privilege(s, 'UPDATE') ORDER BY n")


def _lacking(conn: Connection) -> tuple[list[tuple[str, str]], list[str]]:
    """What the connecting role lacks to restore: (table, privilege) pairs, and the serial sequences it may
    not move (UPDATE, for ``setval``)."""
    needed = [(t.name, "INSERT") for t in tables()] + [(name, "DELETE") for name in REPLACEABLE]
    lacking = [(str(t), str(p)) for t, p in conn.execute(_LACKING_TABLE, {"tables": [t for t, _ in needed],
                                                                          "privileges": [p for _, p in needed]})]
    serial = [(t.name, next(iter(t.primary_key.columns)).name) for t in Base.metadata.sorted_tables
              if len(t.primary_key.columns) == 1]  # as _reset_sequences moves them
    sequences = conn.execute(_LACKING_SEQUENCE, {"tables": [t for t, _ in serial],
                                                 "columns": [c for _, c in serial]}).scalars().all()
    return lacking, list(sequences)


def _refuse_missing_privileges(conn: Connection) -> None:
    """PostgreSQL: a restore is the schema owner's work. It replaces the reference rows the migrations
    wrote (DELETE and INSERT on them), inserts into every table (the journal head's row too) and moves each
    serial sequence past the restored ids (``setval``: UPDATE on the sequence); the service role
    (ledger/privileges.py) holds none of the first and last by design. Refused before anything is written,
    naming the role and what it lacks."""
    if conn.dialect.name != "postgresql":
        return
    lacking, sequences = _lacking(conn)
    if not lacking and not sequences:
        return
    what = []
    for privilege in ("DELETE", "INSERT"):
        names = [t for t, p in lacking if p == privilege]
        if names:
            what.append(f"表 {'、'.join(names)} 的 {privilege} 权限")
    if sequences:
        what.append(f"{len(sequences)} 个序列（{'、'.join(sequences[:3])}{'等' if len(sequences) > 3 else ''}）的 "
                    "UPDATE 权限（把编号接续到恢复的行之后）")
    role = conn.execute(text("SELECT current_user")).scalar_one()
    raise _refuse("导入档案须以数据库所有者连接",
                  f"以角色 {role} 连接，缺少恢复档案所需的{'；'.join(what)}。导入档案是数据库所有者的工作："
                  "请把 DATABASE_URL 设为所有者的连接（即 DATABASE_OWNER_URL）后再运行 subsidy ledger import；"
                  "未导入任何数据")


def _reader(zf: zipfile.ZipFile, member: dict[str, Any], table: Table) -> Iterator[dict[str, Any]]:
    known = {c.name for c in table.columns}
    decode = _decoders(table)
    with zf.open(member["name"]) as f:
        for line in f:
            row = json.loads(line)
            unknown = set(row) - known
            if unknown:
                raise _refuse("档案的列", f"档案中表 {table.name} 有目标数据库没有的列：{', '.join(sorted(unknown))}")
            for k, fn in decode.items():
                if row.get(k) is not None:
                    row[k] = fn(row[k])
            yield row


def _batches(rows: Iterator[dict[str, Any]], n: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


def _load_journal(conn: Connection, zf: zipfile.ZipFile, by_table: dict[str, dict[str, Any]],
                  progress: Progress | None) -> None:
    """Each batch of entries after its postings: the append-only trigger sees no entry yet, the balance
    trigger sees every posting of the entry."""
    md = Base.metadata
    postings_t, entries_t = md.tables[JOURNAL[0]], md.tables[JOURNAL[1]]
    postings = _reader(zf, by_table[JOURNAL[0]], postings_t)
    waiting = next(postings, None)
    done = 0
    for entries in _batches(_reader(zf, by_table[JOURNAL[1]], entries_t)):
        last = entries[-1]["id"]
        legs = []
        while waiting is not None and waiting["entry_id"] <= last:
            legs.append(waiting)
            waiting = next(postings, None)
        if legs:
            conn.execute(postings_t.insert(), legs)
        conn.execute(entries_t.insert(), entries)
        done += len(entries)
        if progress:
            progress(entries_t.name, done)
    if waiting is not None:
        raise _refuse("档案的凭证", f"档案中有属于不存在的凭证（第 {waiting['entry_id']} 号）的分录")


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: every serial column's sequence continues after the highest id restored."""
    if conn.dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1:
            continue
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name}).scalar()
        if seq:
            conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{pk[0].name}") FROM "{table.name}"), 1), '
                              f'(SELECT MAX("{pk[0].name}") FROM "{table.name}") IS NOT NULL)'), {"s": seq})


# size: the import in its order of safety — manifest, empty database, tables in dependency order, sequences,
# the recomputed chain — each refusal in Chinese before anything commits
def import_archive(factory: sessionmaker[Session], path: str | Path, *, progress: Progress | None = None
                   ) -> Summary:
    """Restore the archive at ``path`` into an empty database; all or nothing."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise _refuse("账本档案", f"{path} 不是账本档案（不是 zip 文件）")
    with zipfile.ZipFile(path) as zf:
        manifest, manifest_digest = read_manifest(zf)
        check_members(zf, manifest)
        by_table = {m["table"]: m for m in manifest["members"] if "table" in m}
        order = tables()
        missing = [t.name for t in order if t.name not in by_table]
        if missing:
            raise _refuse("档案清单", f"档案缺少表：{', '.join(missing)}")
        with factory() as s, s.begin():
            conn = s.connection()
            _refuse_non_empty(conn)
            _refuse_missing_privileges(conn)
            for table in reversed(order):
                if table.name in REPLACEABLE:
                    conn.execute(delete(table))
            for table in order:
                if table.name == JOURNAL[0]:
                    continue
                if table.name == JOURNAL[1]:
                    _load_journal(conn, zf, by_table, progress)
                    continue
                done = 0
                for batch in _batches(_reader(zf, by_table[table.name], table)):
                    conn.execute(table.insert(), batch)
                    done += len(batch)
                    if progress:
                        progress(table.name, done)
            _reset_sequences(conn)
            if conn.dialect.name == "postgresql":
                conn.execute(text("ANALYZE"))  # planner statistics for the restored rows (verify reads by range)
            report = verify(s)
            want = manifest["chain_head"]
            if not report.ok:
                raise _refuse("导入后账链校验", f"导入后的账链校验未通过：{report.problem}；未导入任何数据")
            if (report.head_id, report.head_hash) != (want["entry_id"], want["hash"]):
                raise _refuse("导入后账链校验", f"导入后重算的链头（第 {report.head_id} 号凭证 {report.head_hash[:16]}…）与"
                              f"清单所记（第 {want['entry_id']} 号 {str(want['hash'])[:16]}…）不符；未导入任何数据")
            label = database_label(conn.engine.url)
        note = _adopt_checkpoint(zf, label)
    return Summary(path, manifest, manifest_digest, path.stat().st_size, note)


def _adopt_checkpoint(zf: zipfile.ZipFile, label: str) -> str:
    """The archive's checkpoint joins this database's checkpoints when this installation's key signed it
    (a restore); otherwise it stays in the archive (``subsidy ledger verify --against ARCHIVE``)."""
    if CHECKPOINT not in zf.namelist():
        return "档案未附检查点"
    cps = parse_checkpoints(zf.read(CHECKPOINT).decode("utf-8"), CHECKPOINT)
    try:
        ours = all(signature_ok(cp, load_key()) for cp in cps)
    except CheckpointError:
        ours = False
    if not ours:
        return "档案所附检查点不是本机密钥签的，未并入本库检查点；可用 subsidy ledger verify --against 档案文件 核对"
    for cp in cps:
        append(cp, label)
    return f"档案所附检查点（第 {cps[-1].entry_id} 号凭证）已并入本库检查点"
