"""The ledger archive (issue 9, part 7): a whole claim life exported, restored SQLite → PostgreSQL → SQLite
with the same chain head, the same rows and the same projections; a tampered archive is refused; only an
empty database is restored into, and on PostgreSQL only by the schema owner (the service role lacks the
privileges a restore needs and is told which; under ``TEST_SERVICE_ROLE=1`` the imports here connect as the
owner, everything else as the service role)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from app import actions as do
from app import schemas as In
from app.cli import cli
from app.permissions import Principal
from app.security import create_user, sign_in
from ledger import archive as Z
from ledger import services as S
from ledger.checkpoint import head
from ledger.models import Platform, User, UserSession
from tests.conftest import LedgerDB, new_database
from tests.ledger.world import run_to_audited, setup_world

AUDITED = {2023: 1_000_000_00, 2024: 700_000_00, 2025: 250_000_00}


@contextmanager
def sqlite_db(request: pytest.FixtureRequest, folder: Path) -> Iterator[LedgerDB]:
    folder.mkdir()
    gen = new_database("sqlite", request, folder)
    try:
        yield next(gen)
    finally:
        gen.close()


def claim_life(db: LedgerDB) -> None:
    """A claim from filing to payment, through the service's use cases (action log, checkpoints), with a
    user who has signed in (a session that must not leave the database)."""
    setup_world(db)
    number = run_to_audited(db, years=AUDITED)
    with db.sessions.begin() as s:
        create_user(s, username="bureau", password="a-long-password-1", role="city_bureau")
        sign_in(s, "bureau", "a-long-password-1")
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="党组会〔2026〕5号",
                  actor="bureau")
    ctx = do.Context(db.sessions, Principal("bureau", "city_bureau"))
    do.publish_notice(ctx, In.NoticeIn(claims=[number], publication_date=date(2026, 4, 1), title="=公示"))
    do.issue_funds(ctx, number, In.FundIssueIn(document_number="嘉经信〔2026〕30号", on=date(2026, 4, 10)))
    city_finance = do.Context(db.sessions, Principal("city-fin", "city_finance", payer="330400"))
    prepared = do.pay(city_finance, number, In.PaymentIn(payer="330400", voucher_number="SZ-001",
                                                        on=date(2026, 4, 15), amount="292500.00"))
    checker = do.Context(db.sessions, Principal("city-fin2", "city_finance", payer="330400"))
    do.confirm_payment(checker, prepared.payment, In.ConfirmationIn(on=date(2026, 4, 15)))  # 复核: now it counts


def ledger_cli(db: LedgerDB, *args: str, as_owner: bool = False) -> tuple[int, str]:
    """``subsidy ledger ARGS`` on ``db``: as the service (``db.url``), or ``as_owner`` (a restore)."""
    out = CliRunner().invoke(cli, ["ledger", *args], env={"DATABASE_URL": db.owner_url if as_owner else db.url})
    return out.exit_code, out.output


def digests(path: Path) -> dict[str, tuple[int, str]]:
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read(Z.MANIFEST))
    return {m["table"]: (m["rows"], m["digest"]) for m in manifest["members"] if "table" in m}


def test_round_trip_sqlite_postgresql_sqlite(pg_db: LedgerDB, request: pytest.FixtureRequest,
                                             tmp_path: Path) -> None:
    with sqlite_db(request, tmp_path / "a") as first:
        claim_life(first)
        with first.sessions() as s:
            chain = head(s)
        code, out = ledger_cli(first, "export", str(tmp_path / "a.zip"))
        assert code == 0 and f"第 {chain[0]} 号凭证 {chain[1]}" in out
    a = digests(tmp_path / "a.zip")
    assert a["postings"][0] > 20 and a["action_log"][0] >= 3 and a["users"][0] == 1
    assert "user_sessions" not in a

    code, out = ledger_cli(pg_db, "import", str(tmp_path / "a.zip"), as_owner=True)
    assert code == 0 and "与档案的链头一致" in out and "已并入本库检查点" in out, out
    with pg_db.sessions() as s:
        assert head(s) == chain
        assert s.execute(select(User.password_hash)).scalar_one() == "!archived"
        assert s.execute(select(func.count()).select_from(UserSession)).scalar_one() == 0
    code, out = ledger_cli(pg_db, "verify", "--json")
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        issued_at = json.loads(zf.read(Z.CHECKPOINT))["entry_id"]  # written after the fund issue
    assert code == 0 and json.loads(out)["anchored"] == issued_at == chain[0] - 1
    assert ledger_cli(pg_db, "verify", "--against", str(tmp_path / "a.zip"))[0] == 0
    assert ledger_cli(pg_db, "export", str(tmp_path / "b.zip"))[0] == 0

    with sqlite_db(request, tmp_path / "c") as last:
        assert ledger_cli(last, "import", str(tmp_path / "b.zip"), as_owner=True)[0] == 0
        assert ledger_cli(last, "export", str(tmp_path / "c.zip"))[0] == 0
        with last.sessions() as s:
            assert head(s) == chain
    # every table, projections included, row for row and value for value the same on all three
    assert digests(tmp_path / "b.zip") == a and digests(tmp_path / "c.zip") == a
    # PostgreSQL's sequences continue after the restored ids
    with pg_db.sessions.begin() as s:
        top = s.execute(select(func.max(Platform.id))).scalar_one()
        added = S.create_platform(s, code="NEW", name="新平台", jurisdiction="330402")
        s.flush()
        assert added.id == top + 1


def _rewrite(src: Path, dst: Path, change: dict[str, bytes]) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            zout.writestr(name, change.get(name, zin.read(name)))


def test_tampered_archive_is_refused_and_nothing_is_written(db: LedgerDB, request: pytest.FixtureRequest,
                                                          tmp_path: Path) -> None:
    with sqlite_db(request, tmp_path / "src") as src:
        claim_life(src)
        Z.export_archive(src.sessions, tmp_path / "a.zip")
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        name = next(n for n in zf.namelist() if n.endswith("-postings.jsonl"))
        body, manifest = zf.read(name), json.loads(zf.read(Z.MANIFEST))
    one_byte = body.replace(b'"amount_fen":29250000', b'"amount_fen":29250001', 1)
    assert one_byte != body and len(one_byte) == len(body)
    _rewrite(tmp_path / "a.zip", tmp_path / "byte.zip", {name: one_byte})
    code, out = ledger_cli(db, "import", str(tmp_path / "byte.zip"), as_owner=True)
    assert code == 2 and f"档案成员 {name} 的哈希与清单不符" in out
    # the member and its manifest line both rewritten: the recomputed chain refuses it
    swapped = one_byte.replace(b'"amount_fen":-29250000', b'"amount_fen":-29250001', 1)
    for m in manifest["members"]:
        if m["name"] == name:
            m["digest"] = __import__("hashlib").new(manifest["hash"], swapped).hexdigest()
    _rewrite(tmp_path / "a.zip", tmp_path / "both.zip",
             {name: swapped, Z.MANIFEST: json.dumps(manifest).encode()})
    code, out = ledger_cli(db, "import", str(tmp_path / "both.zip"), as_owner=True)
    assert code == 2 and "导入后的账链校验未通过" in out and "内容与其哈希不符" in out, out
    with db.sessions() as s:
        assert head(s) == (0, "0" * 64)
        assert s.execute(select(func.count()).select_from(Platform)).scalar_one() == 0
    code, out = ledger_cli(db, "import", str(tmp_path / "a.zip"), as_owner=True)  # the genuine one still restores
    assert code == 0


def test_only_an_empty_database_is_restored_into(db: LedgerDB, tmp_path: Path) -> None:
    setup_world(db)
    Z.export_archive(db.sessions, tmp_path / "a.zip")
    with pytest.raises(Z.ArchiveError, match="目标数据库不是空的：表 budgets 已有 12 行"):
        Z.import_archive(db.sessions, tmp_path / "a.zip")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM platforms")).scalar_one() == 1
    (tmp_path / "not.zip").write_text("不是档案", encoding="utf-8")
    code, out = ledger_cli(db, "import", str(tmp_path / "not.zip"))
    assert code == 2 and "不是账本档案" in out
    assert ledger_cli(db, "export", str(tmp_path / "a.zip"))[0] == 2  # never overwritten without --force


def test_the_service_role_is_told_a_restore_is_the_owners(service_db: LedgerDB, request: pytest.FixtureRequest,
                                                          tmp_path: Path) -> None:
    """An empty PostgreSQL database as ``subsidy ledger upgrade`` leaves it, the archive imported as the
    service role: refused before anything is written, naming the role and the privileges it lacks
    (ledger/privileges.py grants it no DELETE, no INSERT on the reference data, no setval); the owner then
    restores it."""
    with sqlite_db(request, tmp_path / "src") as src:
        setup_world(src)
        Z.export_archive(src.sessions, tmp_path / "a.zip")
    code, out = ledger_cli(service_db, "import", str(tmp_path / "a.zip"))
    reference = "accounts、journal_head、payers、jurisdictions"
    assert code == 2 and out.startswith(
        f"拒绝：以角色 {make_url(service_db.url).username} 连接，缺少恢复档案所需的表 {reference} 的 DELETE 权限；"
        f"表 {reference} 的 INSERT 权限；") and "个序列（public.action_log_id_seq、" in out and out.endswith(
        "等）的 UPDATE 权限（把编号接续到恢复的行之后）。导入档案是数据库所有者的工作：请把 DATABASE_URL 设为所有者的连接"
        "（即 DATABASE_OWNER_URL）后再运行 subsidy ledger import；未导入任何数据\n"), out
    with service_db.sessions() as s:
        assert head(s) == (0, "0" * 64)
    assert ledger_cli(service_db, "import", str(tmp_path / "a.zip"), as_owner=True)[0] == 0
