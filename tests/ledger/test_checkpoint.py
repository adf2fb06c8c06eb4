"""Checkpoints (issue 9, part 2): truncation and rewriting are caught against a signed head kept outside the
database, or a head typed from a printed document; forged checkpoints are refused. The attacks are made
as the schema owner would make them (tests/ledger/owner.py): the append-only triggers switched off, rows
changed, every later hash recomputed with the project's own ``entry_hash`` and ``journal_head`` set to
match."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from app import actions as do
from app import schemas as In
from app.cli import cli
from app.permissions import Principal
from ledger import checkpoint as C
from ledger import services as S
from ledger import settings
from ledger.journal import entry_hash, legs_of, verify
from ledger.models import JournalEntry
from tests.conftest import LedgerDB
from tests.ledger.owner import owner_engine, unguard
from tests.ledger.world import run_to_audited, setup_world

AUDITED = {2023: 1_000_000_00, 2024: 700_000_00, 2025: 250_000_00}


def ledger_cli(db: LedgerDB, *args: str) -> Result:
    return CliRunner().invoke(cli, ["ledger", *args], env={"DATABASE_URL": db.url})


def verify_json(db: LedgerDB, *args: str) -> tuple[int, dict[str, object]]:
    out = ledger_cli(db, "verify", "--json", *args)
    return out.exit_code, json.loads(out.stdout)


def _more(db: LedgerDB, n: int, first: int = 0) -> None:
    with db.sessions.begin() as s:
        for k in range(first, first + n):
            S.appropriate(s, payer="330400", fiscal_year=2026, program="equipment-subsidy", amount_fen=1_000_00 + k,
                          on=date(2026, 2, 1), document_number=f"追加预算{k}", actor="finance")


def _checkpoint(db: LedgerDB) -> C.Checkpoint:
    with db.sessions() as s:
        return C.write_checkpoint(s)[0]


def _truncate(db: LedgerDB, keep: int) -> None:
    """What an owner of the schema can do: switch the journal's triggers off and cut its tail."""
    with owner_engine(db) as owner, owner.begin() as conn:
        unguard(conn, db.dialect)
        conn.execute(text("DELETE FROM postings WHERE entry_id > :k"), {"k": keep})
        conn.execute(text("DELETE FROM journal_entries WHERE id > :k"), {"k": keep})
        conn.execute(text("UPDATE journal_head SET last_id = :k, last_hash = (SELECT hash FROM journal_entries "
                          "WHERE id = :k)"), {"k": keep})


def _rewrite(db: LedgerDB, entry_id: int, new_amount: int) -> None:
    """Change the amount of an entry's legs and recompute every later hash with ``entry_hash``."""
    with owner_engine(db) as owner, Session(owner) as s, s.begin():
        unguard(s.connection(), db.dialect)
        s.execute(text("UPDATE postings SET amount_fen = :a WHERE entry_id = :e AND amount_fen > 0"),
                  {"a": new_amount, "e": entry_id})
        s.execute(text("UPDATE postings SET amount_fen = :a WHERE entry_id = :e AND amount_fen < 0"),
                  {"a": -new_amount, "e": entry_id})
        prev = s.get(JournalEntry, entry_id - 1).hash if entry_id > 1 else "0" * 64  # type: ignore[union-attr]
        last = s.execute(text("SELECT MAX(id) FROM journal_entries")).scalar_one()
        for k in range(entry_id, last + 1):
            e = s.get(JournalEntry, k)
            assert e is not None
            digest = entry_hash(prev, k, e.entry_date, e.kind, e.claim_id, e.description, e.reverses_id, e.actor,
                                legs_of(s, k))
            s.execute(text("UPDATE journal_entries SET prev_hash = :p, hash = :h WHERE id = :k"),
                      {"p": prev, "h": digest, "k": k})
            prev = digest
        s.execute(text("UPDATE journal_head SET last_hash = :h"), {"h": prev})
        s.expunge_all()


def test_untouched_ledger_verifies_against_its_checkpoints_exit_0(db: LedgerDB) -> None:
    setup_world(db)
    code, out = verify_json(db)
    assert code == 0 and out["ok"] is True and out["against"]["kind"] == "none"  # type: ignore[index]
    cli_out = ledger_cli(db, "checkpoint")
    assert cli_out.exit_code == 0 and "HMAC-SM3" in cli_out.stdout
    _more(db, 2)
    code, out = verify_json(db)
    assert code == 0 and out["ok"] is True and out["anchored"] == 12 and out["head_id"] == 14
    assert out["against"]["kind"] == "checkpoints" and out["against"]["count"] == 1  # type: ignore[index]
    human = ledger_cli(db, "verify")
    assert human.exit_code == 0 and "账链完整" in human.stdout and "1 个检查点" in human.stdout


def test_truncation_is_caught_against_the_checkpoint(db: LedgerDB) -> None:
    setup_world(db)
    _more(db, 3)
    cp = _checkpoint(db)
    assert cp.entry_id == 15 and cp.alg == "sm3"
    _truncate(db, 13)
    with db.sessions() as s:
        assert verify(s).ok  # the chain alone cannot see it: this is what the checkpoint is for
    code, out = verify_json(db)
    assert code == 1 and out["ok"] is False and out["first_bad"] == 14
    assert out["problem"] == "第 14 号凭证缺失：检查点止于第 15 号凭证，账本只到第 13 号（其后的凭证被删除）"


def test_rewriting_with_recomputed_hashes_is_caught_and_narrowed(db: LedgerDB) -> None:
    setup_world(db)
    _checkpoint(db)  # at entry 12
    _more(db, 3)
    _checkpoint(db)  # at entry 15
    _rewrite(db, 14, 999_999_00)
    with db.sessions() as s:
        assert verify(s).ok  # self-consistent again
    code, out = verify_json(db)
    assert code == 1 and out["first_bad"] == 15 and out["anchored"] == 12
    assert out["problem"] == ("第 15 号凭证：哈希与检查点不符（该凭证或其前的凭证被改写；第 12 号凭证处的检查点仍一致，"
                              "改写发生在第 13 至 15 号凭证之间）")
    human = ledger_cli(db, "verify")
    assert human.exit_code == 1 and "校验未通过：第 15 号凭证" in human.stdout


def test_forged_or_altered_checkpoints_are_refused(db: LedgerDB, tmp_path: Path) -> None:
    setup_world(db)
    real = _checkpoint(db)
    forged = C.sign(C.Checkpoint(real.entry_id, "ab" * 32, real.at, "sm3", real.database), b"k" * 32)
    path = tmp_path / "forged.jsonl"
    path.write_text(forged.line() + "\n", encoding="utf-8")
    out = ledger_cli(db, "verify", "--against", str(path))
    assert out.exit_code == 2 and "签名无效" in out.stderr
    # a line of the database's own checkpoint file altered: the next verify refuses to trust the file
    with db.sessions() as s:
        _, own = C.checkpoints_of(s)
    own.write_text(own.read_text(encoding="utf-8").replace(real.hash, "cd" * 32), encoding="utf-8")
    code, refused = verify_json(db)
    assert code == 2 and "签名无效" in refused["error"]["message"]  # type: ignore[index]
    # the genuine checkpoint, as a file of its own, still works
    path.write_text(real.line(), encoding="utf-8")
    assert ledger_cli(db, "verify", "--against", str(path)).exit_code == 0


def test_sha256_checkpoints_and_keys_from_the_environment(db: LedgerDB, monkeypatch: pytest.MonkeyPatch) -> None:
    setup_world(db)
    monkeypatch.setenv("SUBSIDY_CHECKPOINT_ALG", "sha256")
    monkeypatch.setenv("SUBSIDY_CHECKPOINT_KEY", "e" * 40)
    settings.load()  # what a start (the CLI, the service) does: the settings are read once
    cp = _checkpoint(db)
    assert cp.alg == "sha256" and C.signature_ok(cp, b"e" * 40) and not C.signature_ok(cp, b"f" * 40)
    assert verify_json(db)[0] == 0
    monkeypatch.setenv("SUBSIDY_CHECKPOINT_KEY", "f" * 40)  # another key: the checkpoint is not trusted
    assert verify_json(db)[0] == 2
    monkeypatch.setenv("SUBSIDY_CHECKPOINT_KEY", "short")
    code, out = verify_json(db)
    assert code == 2 and "至少 32 个字节" in out["error"]["message"]  # type: ignore[index]
    monkeypatch.setenv("SUBSIDY_CHECKPOINT_ALG", "md5")
    settings.load()  # what a start (the CLI, the service) does
    with pytest.raises(C.CheckpointError, match="只能是 sm3 或 sha256"):
        C.algorithm()


def test_a_head_typed_from_a_document(db: LedgerDB) -> None:
    setup_world(db)
    _more(db, 2)
    with db.sessions() as s:
        entry_id, digest = C.head(s)
    for typed in (f"{entry_id}:{digest}", f"{entry_id}:{digest[:16]}", f"{entry_id}：{digest[:20].upper()}…",
                  f"10:{verify_hash_at(db, 10)[:16]}"):
        code, out = verify_json(db, "--against", typed)
        assert code == 0 and out["ok"] is True, typed
    code, out = verify_json(db, "--against", f"{entry_id}:{'0' * 16}")
    assert code == 1 and out["first_bad"] == entry_id and "哈希与所给链头不符" in str(out["problem"])
    code, out = verify_json(db, "--against", f"{entry_id + 5}:{digest[:16]}")
    assert code == 1 and out["first_bad"] == entry_id + 1
    for malformed in (f"{entry_id}:{digest[:15]}", "twelve:abc", "/no/such/file"):
        assert ledger_cli(db, "verify", "--against", malformed).exit_code == 2, malformed
    _truncate(db, entry_id - 1)
    code, out = verify_json(db, "--against", f"{entry_id}:{digest[:16]}")
    assert code == 1 and out["first_bad"] == entry_id and "被删除" in str(out["problem"])


def verify_hash_at(db: LedgerDB, entry_id: int) -> str:
    with db.sessions() as s:
        e = s.get(JournalEntry, entry_id)
        assert e is not None
        return e.hash


def test_the_service_writes_a_checkpoint_after_each_notice_and_fund_issue(db: LedgerDB) -> None:
    setup_world(db)
    number = run_to_audited(db, years=AUDITED)
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="党组会〔2026〕5号",
                  actor="bureau")
    ctx = do.Context(db.sessions, Principal("bureau", "city_bureau"))
    with db.sessions() as s:
        assert C.checkpoints_of(s)[0] == []
    do.publish_notice(ctx, In.NoticeIn(claims=[number], publication_date=date(2026, 4, 1), title="公示"))
    do.issue_funds(ctx, number, In.FundIssueIn(document_number="嘉经信〔2026〕30号", on=date(2026, 4, 10)))
    with db.sessions() as s:
        cps, _ = C.checkpoints_of(s)
        entry_id, digest = C.head(s)
    assert len(cps) == 2 and cps[-1].entry_id == entry_id and cps[-1].hash == digest
    assert cps[0].entry_id < cps[1].entry_id
    code, out = verify_json(db)
    assert code == 0 and out["anchored"] == entry_id
