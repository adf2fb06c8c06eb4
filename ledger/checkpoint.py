"""Checkpoints (检查点): the journal's head, signed, kept where a database user cannot rewrite it.

A checkpoint is the head of the hash chain — entry number, hash, time — with an HMAC over it. The HMAC
is SM3 (GB/T 32905, through ``hashlib``'s ``sm3`` from OpenSSL) by default, SHA-256 if
``SUBSIDY_CHECKPOINT_ALG=sha256``. The key is read from outside the database: the environment variable
``SUBSIDY_CHECKPOINT_KEY`` or the file ``SUBSIDY_CHECKPOINT_KEY_FILE`` (default ``var/checkpoint.key``,
made at random with mode 0600 the first time a checkpoint is written). Checkpoints are appended as
signed JSON lines to one file per database under ``SUBSIDY_CHECKPOINT_DIR`` (default
``var/checkpoints/``); without the key nobody can add or alter one undetected.

:func:`verify_against` proves the journal still extends a head: every checkpoint of this database, a
checkpoint file, an archive's checkpoint, or a head typed from a printed document (``1234:ab12…``, the
entry number and at least 16 hex digits of its hash). See ``ledger.journal.verify``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from ledger.errors import LedgerError
from ledger.journal import Anchor, VerifyReport, verify
from ledger.models import JournalHead
from ledger.settings import current

ENV_KEY = "SUBSIDY_CHECKPOINT_KEY"
ENV_KEY_FILE = "SUBSIDY_CHECKPOINT_KEY_FILE"
ENV_DIR = "SUBSIDY_CHECKPOINT_DIR"
ENV_ALG = "SUBSIDY_CHECKPOINT_ALG"
ALGORITHMS = {"sm3": "HMAC-SM3", "sha256": "HMAC-SHA256"}
DEFAULT_ALG = "sm3"
MIN_KEY_BYTES = 32
MIN_PREFIX = 16  # hex digits of a hash typed from a document
FORMAT = 1


class CheckpointError(LedgerError):
    """A checkpoint cannot be written, read or trusted (no key, bad signature, unreadable head)."""

    status = 422


def _refuse(rule: str, message: str, field: str = "checkpoint") -> CheckpointError:
    return CheckpointError(rule, message, field=field)


# ---------------------------------------------------------------- settings: algorithm, key, place

def algorithm() -> str:
    """The HMAC's hash: ``SUBSIDY_CHECKPOINT_ALG`` (``sm3``, the default, or ``sha256``)."""
    alg = current().checkpoint_alg.strip().lower()
    return usable(alg, ENV_ALG)


def usable(alg: str, field: str) -> str:
    if alg not in ALGORITHMS:
        raise _refuse("检查点签名算法：HMAC-SM3 或 HMAC-SHA256", f"不支持的签名算法 {alg!r}：只能是 sm3 或 sha256", field)
    try:
        hashlib.new(alg)
    except ValueError:
        raise _refuse("检查点签名算法：HMAC-SM3 或 HMAC-SHA256", f"本机 Python 的 OpenSSL 不提供 {alg.upper()}；请换用提供它的 OpenSSL，"
                      f"或设置 {ENV_ALG}=sha256", field) from None
    return alg


def key_file() -> Path:
    return current().checkpoint_key_file


def checkpoint_dir() -> Path:
    return current().checkpoint_dir


def load_key(*, create: bool = False) -> bytes:
    """The signing key: ``SUBSIDY_CHECKPOINT_KEY``, else the key file; with ``create``, a missing key file
    is made (32 random bytes as 64 hex digits, mode 0600, never overwritten)."""
    secret = current().checkpoint_key
    if secret is not None:
        key, where = secret.get_secret_value().strip().encode("utf-8"), ENV_KEY
    else:
        path = key_file()
        if not path.exists() and create:
            _create_key_file(path)
        try:
            key, where = path.read_bytes().strip(), str(path)
        except FileNotFoundError:
            raise _refuse("检查点密钥：至少 32 个字节", f"没有检查点密钥：请设置 {ENV_KEY} 或 {ENV_KEY_FILE}（未找到 {path}）",
                          ENV_KEY_FILE) from None
    if len(key) < MIN_KEY_BYTES:
        raise _refuse("检查点密钥：至少 32 个字节", f"检查点密钥太短（{where}）：至少 {MIN_KEY_BYTES} 个字节", ENV_KEY)
    return key


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # atomic and never replaces a key another process made first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def database_label(url: URL) -> str:
    """Which database a checkpoint belongs to: the SQLite file's absolute path, or the server and database
    (no user, no password)."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return f"sqlite:{Path(url.database).resolve() if url.database and url.database != ':memory:' else ':memory:'}"
    return f"{backend}://{url.host or ''}:{url.port or ''}/{url.database or ''}"


def checkpoint_file(label: str) -> Path:
    """This database's checkpoint file: ``<dir>/<database name>-<12 hex of the label's SHA-256>.jsonl``."""
    name = label.rstrip("/").rsplit("/", 1)[-1].removesuffix(".db")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:40] or "ledger"
    return checkpoint_dir() / f"{name}-{hashlib.sha256(label.encode()).hexdigest()[:12]}.jsonl"


def _label(session: Session) -> str:
    return database_label(session.get_bind().engine.url)


# ---------------------------------------------------------------- the checkpoint

@dataclass(frozen=True)
class Checkpoint:
    """The signed head: entry ``entry_id`` has hash ``hash`` at ``at`` (UTC) in ``database``."""

    entry_id: int
    hash: str
    at: str
    alg: str
    database: str
    mac: str = ""
    v: int = FORMAT

    def signed_bytes(self) -> bytes:
        body = {k: v for k, v in asdict(self).items() if k != "mac"}
        return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def line(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def anchor(self, source: str = "检查点") -> Anchor:
        return Anchor(self.entry_id, self.hash, source)

    @classmethod
    def from_dict(cls, d: Any, where: str) -> Checkpoint:
        fields = {"entry_id": int, "hash": str, "at": str, "alg": str, "database": str, "mac": str, "v": int}
        if not isinstance(d, dict) or set(d) != set(fields) or any(
                type(d[k]) is not t for k, t in fields.items()):  # exact types: a bool is not a number here
            raise _refuse("检查点文件：每行一个 JSON 检查点", f"{where} 不是检查点（应有 {', '.join(sorted(fields))} 这些字段）")
        if not re.fullmatch(r"[0-9a-f]{64}", d["hash"]) or d["entry_id"] < 0:
            raise _refuse("检查点文件：每行一个 JSON 检查点", f"{where}：凭证号或哈希的格式不对")
        return cls(**d)


def _mac(key: bytes, cp: Checkpoint) -> str:
    return hmac.new(key, cp.signed_bytes(), usable(cp.alg, "alg")).hexdigest()


def sign(cp: Checkpoint, key: bytes) -> Checkpoint:
    return Checkpoint(cp.entry_id, cp.hash, cp.at, cp.alg, cp.database, _mac(key, cp), cp.v)


def signature_ok(cp: Checkpoint, key: bytes) -> bool:
    """The HMAC checks out (compared in constant time)."""
    return hmac.compare_digest(_mac(key, cp), cp.mac)


def head(session: Session) -> tuple[int, str]:
    """The chain head the database records (journal_head): last entry number and hash."""
    row = session.execute(select(JournalHead.last_id, JournalHead.last_hash).where(JournalHead.id == 1)).one()
    return int(row.last_id), str(row.last_hash)


def write_checkpoint(session: Session) -> tuple[Checkpoint, Path]:
    """Sign the current head and append it to this database's checkpoint file; returns it and the file."""
    entry_id, digest = head(session)
    label = _label(session)
    cp = sign(Checkpoint(entry_id, digest, datetime.now(UTC).isoformat(timespec="seconds"), algorithm(), label),
              load_key(create=True))
    return cp, append(cp, label)


def append(cp: Checkpoint, label: str) -> Path:
    """Append a signed checkpoint to the checkpoint file of the database ``label``; returns the file."""
    path = checkpoint_file(label)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (cp.line() + "\n").encode("utf-8"))  # one write with O_APPEND: lines never interleave
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def parse_checkpoints(text: str, where: str) -> list[Checkpoint]:
    """Checkpoints from JSON lines, one JSON object, or a JSON list of them."""
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict | list):
        items = whole if isinstance(whole, list) else [whole]
        return [Checkpoint.from_dict(d, f"{where} 第 {n} 项") for n, d in enumerate(items, 1)]
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        if raw.strip():
            try:
                d = json.loads(raw)
            except json.JSONDecodeError:
                raise _refuse("检查点文件：每行一个 JSON 检查点", f"{where} 第 {n} 行不是 JSON") from None
            out.append(Checkpoint.from_dict(d, f"{where} 第 {n} 行"))
    return out


def trusted(checkpoints: list[Checkpoint], where: str) -> list[Checkpoint]:
    """The checkpoints, each signature checked with the key; one bad signature refuses them all."""
    if not checkpoints:
        return []
    key = load_key()
    for n, cp in enumerate(checkpoints, 1):
        if not signature_ok(cp, key):
            raise _refuse("检查点签名：只采用本机密钥签署的检查点", f"{where} 第 {n} 个检查点签名无效（密钥不符或内容被改动），不予采用")
    return checkpoints


def checkpoints_of(session: Session) -> tuple[list[Checkpoint], Path]:
    """Every checkpoint written for this database (unchecked), oldest first, and their file."""
    path = checkpoint_file(_label(session))
    if not path.exists():
        return [], path
    return parse_checkpoints(path.read_text(encoding="utf-8"), str(path)), path


# ---------------------------------------------------------------- verify against a head

TYPED_HEAD = re.compile(r"^\s*(\d+)\s*[:：]\s*([0-9a-fA-F]+)\s*(?:…|\.\.\.)?\s*$")


@dataclass(frozen=True)
class Basis:
    """What ``verify`` compared the chain with: ``kind`` is ``checkpoints``, ``head`` or ``none``."""

    kind: str
    source: str
    count: int = 0
    latest: Checkpoint | None = None
    anchors: tuple[Anchor, ...] = ()

    def describe(self) -> str:
        if self.kind == "none":
            return "没有检查点：只重算了哈希链本身（发现不了末尾凭证被删除或整条链被重算）"
        if self.kind == "head":
            a = self.anchors[0]
            return f"对照{self.source}：第 {a.entry_id} 号凭证 {a.hash}"
        assert self.latest is not None
        return (f"对照 {self.source} 中的 {self.count} 个检查点（最新：第 {self.latest.entry_id} 号凭证 "
                f"{self.latest.hash[:16]}…，{self.latest.at}，{ALGORITHMS.get(self.latest.alg, self.latest.alg)}）")

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "source": self.source, "count": self.count,
                "latest": asdict(self.latest) if self.latest else None,
                "anchors": [{"entry_id": a.entry_id, "hash": a.hash} for a in self.anchors]}


def _from_checkpoints(cps: list[Checkpoint], source: str) -> Basis:
    cps = trusted(cps, source)
    if not cps:
        return Basis("none", source)
    latest = max(cps, key=lambda c: (c.entry_id, c.at))
    return Basis("checkpoints", source, len(cps), latest, tuple(c.anchor() for c in cps))


def basis(session: Session, against: str | None) -> Basis:
    """What to verify against: ``against`` is a checkpoint file, an archive (its checkpoint), or a typed
    head ``ID:HASH``; without it, every checkpoint of this database (none: the chain alone)."""
    if against is None:
        cps, path = checkpoints_of(session)
        return _from_checkpoints(cps, str(path))
    path = Path(against)
    if path.is_file():
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                if "checkpoint.json" not in zf.namelist():
                    raise _refuse("检查点", f"档案 {path} 不含检查点", "against")
                text = zf.read("checkpoint.json").decode("utf-8")
            return _from_checkpoints(parse_checkpoints(text, f"{path}:checkpoint.json"), f"档案 {path} 所附检查点")
        return _from_checkpoints(parse_checkpoints(path.read_text(encoding="utf-8"), str(path)), str(path))
    m = TYPED_HEAD.match(against)
    if not m:
        raise _refuse("核对依据（--against）：检查点文件、档案或 凭证号:哈希", f"--against {against!r} 既不是检查点文件，也不是“凭证号:哈希”形式的链头", "against")
    entry_id, digest = int(m.group(1)), m.group(2).lower()
    if len(digest) < MIN_PREFIX or len(digest) > 64:
        raise _refuse("核对依据（--against）：检查点文件、档案或 凭证号:哈希", f"链头哈希须为 {MIN_PREFIX} 至 64 位十六进制数字（给出 {len(digest)} 位）", "against")
    return Basis("head", "所给链头", 1, None, (Anchor(entry_id, digest, "所给链头"),))


def verify_against(session: Session, against: str | None = None, *,
                   progress: Callable[[int, int], None] | None = None) -> tuple[VerifyReport, Basis]:
    """Recompute the chain and prove it extends the head(s) of :func:`basis` (``progress(done, total)`` in
    entries, for a progress bar)."""
    b = basis(session, against)
    return verify(session, b.anchors, progress=progress), b
