"""Bulk import keeps the journal's guarantees: checked balance, continued hash chain, database triggers."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from ledger import accounts as A
from ledger.bulk import DATABASE_RULE, BulkImportError, EntrySpec, import_entries, import_in_batches
from ledger.errors import JournalIntegrityError
from ledger.journal import Leg, debit_credit, post, verify
from ledger.models import JournalEntry, JournalHead, Posting
from ledger.queries import trial_balance
from tests.ledger.owner import owner_engine


def _appropriation(k: int, *, payer: str = "330400", year: int = 2026) -> EntrySpec:
    amount = 1_000_00 + k
    dims = {"payer": payer, "program": "equipment-subsidy", "fiscal_year": year}
    return EntrySpec(date(year, 1, 5), "appropriation", f"第{k}号 预算指标",
                     debit_credit(A.BUDGET_AUTHORITY, A.APPROPRIATION_AVAILABLE, amount, **dims)
                     + debit_credit(A.TREASURY, A.APPROPRIATION_REVENUE, amount, payer=payer, fiscal_year=year),
                     actor="import")


def _unbalanced() -> EntrySpec:
    return EntrySpec(date(2026, 2, 1), "appropriation", "不平衡",
                     [Leg(A.BUDGET_AUTHORITY, 100, payer="330400"), Leg(A.APPROPRIATION_AVAILABLE, -99, payer="330400")])


def _seed(db) -> None:  # type: ignore[no-untyped-def]
    from ledger import services as S

    with db.sessions.begin() as s:
        S.sync_reference_data(s)


def _counts(db) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        entries = s.execute(select(func.count()).select_from(JournalEntry)).scalar_one()
        postings = s.execute(select(func.count()).select_from(Posting)).scalar_one()
        head = s.execute(select(JournalHead.last_id)).scalar_one()
    return entries, postings, head


def test_bulk_import_interleaved_with_posts_keeps_the_chain(db) -> None:  # type: ignore[no-untyped-def]
    _seed(db)
    with db.sessions.begin() as s:
        post(s, entry_date=date(2026, 1, 2), kind="appropriation", description="手工凭证",
             legs=debit_credit(A.BUDGET_AUTHORITY, A.APPROPRIATION_AVAILABLE, 500_00, payer="330402"))
    out = import_in_batches(db.sessions, (_appropriation(k) for k in range(25)), batch=7)
    assert (out.entries, out.postings, out.first_id, out.last_id, out.batches) == (25, 100, 2, 26, 4)
    with db.sessions.begin() as s:
        assert post(s, entry_date=date(2026, 3, 1), kind="appropriation", description="手工凭证二",
                    legs=debit_credit(A.TREASURY, A.APPROPRIATION_REVENUE, 7_00, payer="330402")) == 27
        more = import_entries(s, [_appropriation(k, payer="330411", year=2027) for k in range(10)], batch=3)
        assert (more.first_id, more.last_id, more.batches) == (28, 37, 4)
    with db.sessions() as s:
        report = verify(s)
        assert report.ok, report
        assert (report.entries, report.postings) == (37, 2 + 100 + 2 + 40)
        rows = trial_balance(s)
        assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
        first = s.get(JournalEntry, 2)
        assert first is not None and first.prev_hash == s.get(JournalEntry, 1).hash  # type: ignore[union-attr]


def test_an_unbalanced_entry_refuses_its_whole_batch(db) -> None:  # type: ignore[no-untyped-def]
    _seed(db)
    specs = [_appropriation(k) for k in range(10)]
    specs.insert(7, _unbalanced())  # the second batch of five holds it
    with pytest.raises(BulkImportError, match=r"导入的第8张凭证：借方合计 .*不等") as info:
        import_in_batches(db.sessions, specs, batch=5)
    assert info.value.written.entries == 5 and info.value.written.last_id == 5
    assert _counts(db) == (5, 20, 5)  # the first batch committed, nothing of the second
    with db.sessions() as s:
        assert verify(s).ok
    # inside one transaction: the exception leaves the batch unwritten and the caller rolls back
    with pytest.raises(JournalIntegrityError, match=r"借贷相差|不等"), db.sessions.begin() as s:
        import_entries(s, [_appropriation(99), EntrySpec(date(2026, 2, 1), "x", "视图不平",
                                                          [Leg(A.BUDGET_AUTHORITY, 100), Leg(A.TREASURY, -100)])])
    assert _counts(db) == (5, 20, 5)


def test_the_database_triggers_still_fire_on_a_bulk_batch(db) -> None:  # type: ignore[no-untyped-def]
    _seed(db)
    import_in_batches(db.sessions, [_appropriation(k) for k in range(3)])
    # an entry posted by the bulk path is append-only like any other: even the schema owner, whose role may
    # update the table (the service role of TEST_SERVICE_ROLE=1 is refused by its privileges first), meets
    # the trigger
    with owner_engine(db) as owner, pytest.raises(DBAPIError, match="append-only"), owner.begin() as conn:
        conn.execute(text("UPDATE postings SET amount_fen = amount_fen + 1 WHERE entry_id = 1"))
    # a row the database refuses (unknown payer: foreign key) aborts the whole batch
    bad = EntrySpec(date(2026, 1, 5), "appropriation", "未知财政",
                    debit_credit(A.BUDGET_AUTHORITY, A.APPROPRIATION_AVAILABLE, 1_00, payer="NOPE"))
    with pytest.raises(BulkImportError) as info:
        import_in_batches(db.sessions, [_appropriation(10), bad, _appropriation(11)], batch=10)
    assert info.value.rule == DATABASE_RULE and info.value.written.entries == 0
    assert info.value.message.startswith("导入的第1–3张凭证（同一批）：") and "本批未写入任何内容" in info.value.message
    assert "不存在" in info.value.message  # SQLite says only that a foreign key failed
    if db.engine.dialect.name == "postgresql":  # it names the column and the value
        assert info.value.field == "payer" and "出资方 'NOPE' 在台账中不存在" in info.value.message
    assert _counts(db) == (3, 12, 3)
    with db.sessions() as s:
        assert verify(s).ok


def test_text_is_stored_verbatim_and_a_batch_may_reverse_its_own_entries(db) -> None:  # type: ignore[no-untyped-def]
    """What COPY must escape (tab, newline, backslash, ``\\N``) comes back as written, so the hashes verify;
    an entry may reverse one earlier in the same batch (rows are written in order)."""
    _seed(db)
    tricky = "摘要\t制表\n换行\\反斜杠 \\N 'quote' \"double\" \r end"
    first = _appropriation(1)
    specs = [EntrySpec(first.entry_date, first.kind, tricky, first.legs, actor="导入\t员"),
             _appropriation(2),
             EntrySpec(date(2026, 1, 6), "reversal", "冲销第1号凭证：录入错误", [leg.negated() for leg in first.legs],
                       reverses_id=1, actor="import")]
    out = import_in_batches(db.sessions, specs, batch=10)
    assert (out.entries, out.postings, out.batches) == (3, 12, 1)
    with db.sessions() as s:
        assert verify(s).ok
        stored = s.get(JournalEntry, 1)
        assert stored is not None and (stored.description, stored.actor) == (tricky, "导入\t员")
        assert s.get(JournalEntry, 3).reverses_id == 1  # type: ignore[union-attr]
        amounts = sorted(s.execute(select(Posting.amount_fen).where(Posting.entry_id == 1)).scalars())
        assert amounts == sorted(leg.amount for leg in first.legs)  # integer fen, exactly
    # a second reversal of the same entry is refused by the database (unique reverses_id)
    with pytest.raises(BulkImportError) as info:
        import_in_batches(db.sessions, [specs[2]])
    assert info.value.rule == DATABASE_RULE and info.value.written.entries == 0
    assert info.value.field == "reverses_id" and "不能重复冲销" in info.value.message
    assert _counts(db) == (3, 12, 3)


def test_batch_size_must_be_positive(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError), db.sessions() as s:
        import_entries(s, [], batch=0)


def test_import_in_batches_reports_progress_per_committed_batch(db) -> None:  # type: ignore[no-untyped-def]
    _seed(db)
    seen: list[tuple[int, int]] = []
    import_in_batches(db.sessions, [_appropriation(k) for k in range(12)], batch=5,
                      progress=lambda done, total: seen.append((done, total)))
    assert seen == [(5, 12), (10, 12), (12, 12)]  # a list has a length: the total is known
    seen.clear()
    import_in_batches(db.sessions, (_appropriation(k) for k in range(12, 15)), batch=2,
                      progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 0), (3, 0)]  # a stream's length is not known
