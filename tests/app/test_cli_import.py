"""``subsidy ledger import-entries``: historical entries from a CSV file (app/cli_import.py,
ledger/bulk_file.py). A good file is appended with every guarantee of posting (numbers continue, the
chain verifies, fen exact); a bad one is refused whole with each problem named by line and column in
Chinese, and nothing changes; the progress bar is drawn only on a terminal."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from app import cli_ui
from app.cli import cli
from ledger import accounts as A
from ledger.bulk import EntrySpec
from ledger.errors import Invalid
from ledger.journal import Leg, verify
from ledger.models import JournalEntry, Posting
from tests.app.test_errors_chinese import chinese
from tests.conftest import LedgerDB

HEAD = "凭证,记账日期,摘要,科目,借方金额,贷方金额,财政,平台,补助项目,预算年度\n"
GOOD = HEAD + (
    '1,2025-01-05,2025年度期初国库存款,1001,"300,000.00",,330400,,,2025\n'
    '1,2025-01-05,2025年度期初国库存款,4001,,"300,000.00",330400,,,2025\n'
    '2,2025-02-01,"历史拨付，含""引号""",5001,1000.01,,330402,,equipment-subsidy,2025\n'
    "2,2025-02-01,,1001,,1000.01,330402,,equipment-subsidy,2025\n"
)


def run(db: LedgerDB, *args: str) -> Result:
    return CliRunner().invoke(cli, ["ledger", "import-entries", *args], env={"DATABASE_URL": db.url})


def _file(tmp_path: Path, text: str, name: str = "entries.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def _counts(db: LedgerDB) -> tuple[int, int]:
    with db.sessions() as s:
        return (s.execute(select(func.count()).select_from(JournalEntry)).scalar_one(),
                s.execute(select(func.count()).select_from(Posting)).scalar_one())


@pytest.fixture
def ready(db: LedgerDB) -> LedgerDB:
    from ledger import services as S

    with db.sessions.begin() as s:
        S.sync_reference_data(s)
    return db


def test_a_good_file_is_appended_with_every_guarantee(ready: LedgerDB, tmp_path: Path) -> None:
    out = run(ready, _file(tmp_path, GOOD))
    assert out.exit_code == 0, out.output
    assert out.stdout == "已导入 2 张凭证、4 条分录：第 1 至 2 号凭证（entries.csv）\n"
    assert out.stderr == ""  # piped: the result line and nothing else
    with ready.sessions() as s:
        assert verify(s).ok
        entries = s.execute(select(JournalEntry).order_by(JournalEntry.id)).scalars().all()
        assert [(e.kind, e.entry_date, e.description, e.actor, e.claim_id) for e in entries] == [
            ("history-import", date(2025, 1, 5), "2025年度期初国库存款", "历史凭证导入", None),
            ("history-import", date(2025, 2, 1), '历史拨付，含"引号"', "历史凭证导入", None)]
        legs = s.execute(select(Posting.account_code, Posting.amount_fen, Posting.payer_code, Posting.program,
                                Posting.fiscal_year).where(Posting.entry_id == 2).order_by(Posting.id)).all()
        assert [tuple(r) for r in legs] == [("5001", 1000_01, "330402", "equipment-subsidy", 2025),
                                            ("1001", -1000_01, "330402", "equipment-subsidy", 2025)]
    again = run(ready, _file(tmp_path, GOOD), "--actor", "张三", "--json")
    assert json.loads(again.stdout) == {"ok": True, "entries": 2, "postings": 4, "first_id": 3, "last_id": 4}
    with ready.sessions() as s:
        assert verify(s).ok and s.get(JournalEntry, 4).actor == "张三"  # type: ignore[union-attr]
    check = CliRunner().invoke(cli, ["ledger", "verify", "--json"], env={"DATABASE_URL": ready.url})
    assert json.loads(check.stdout)["projections"] == []  # no table disagrees with the journal


def test_the_progress_bar_only_on_a_terminal(ready: LedgerDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_ui, "stderr_is_terminal", lambda: True)
    out = run(ready, _file(tmp_path, GOOD), "--batch", "1")
    assert out.exit_code == 0, out.output
    assert "导入凭证" in out.stderr  # the bar, on stderr
    assert out.stdout.startswith("已导入 2 张凭证")


BAD = HEAD + (
    "1,2025-13-05,期初,1001,abc,,330400,,,2025\n"
    "1,2025-01-05,期初,9999,,100.00,NOPE,PX,bogus,19\n"
    "2,2025-02-01,不平,5001,10.00,,330400,,,2025\n"
    "2,2025-02-01,不平,1001,,9.99,330400,,,2025\n"
    "3,2025-02-01,预算,8001,10.00,,330400,,,2025\n"
    "3,2025-02-01,预算,8101,,10.00,330400,,,2025\n"
    "4,2025-02-02,两边,1001,1.00,1.00,,,,\n"
    "4,2025-02-02,两边,4001,,1.00,,,,\n"
    "5,2025-02-03,,1001,1.234,,,,,\n"
    "1,2025-02-04,又是1,1001,1.00,,,,,\n"
)
EXPECTED = [  # (line, column, words of the message)
    (2, "记账日期", "收到 '2025-13-05'"), (2, "借方金额", "收到 abc"), (3, "科目", "'9999' 不在会计科目表中"),
    (3, "财政", "'NOPE' 不存在"), (3, "平台", "'PX' 不存在"), (3, "补助项目", "'bogus' 不存在"),
    (3, "预算年度", "收到 '19'"), (4, "凭证", "借方合计 10.00 元与贷方合计 9.99 元不等"),
    (6, "科目", "8001 预算批复"), (8, "借方金额", "借方金额和贷方金额都填了"), (10, "摘要", "摘要未填"),
    (10, "借方金额", "收到 1.234"), (11, "凭证", "凭证 '1' 的分录不相连"), (11, "凭证", "凭证只有 1 条分录"),
]


def test_a_bad_file_is_refused_whole_each_problem_named_by_line_and_column(ready: LedgerDB, tmp_path: Path) -> None:
    run(ready, _file(tmp_path, GOOD))
    before = _counts(ready)
    out = run(ready, _file(tmp_path, BAD, "bad.csv"))
    assert out.exit_code == 2 and out.stdout == ""
    lines = out.stderr.splitlines()
    assert lines[0] == f"拒绝：导入文件有 {len(EXPECTED)} 处问题，未导入任何凭证："
    assert len(lines) == len(EXPECTED) + 1
    for text, (line, column, words) in zip(lines[1:], EXPECTED, strict=True):
        assert text.startswith(f"  第 {line} 行“{column}”列："), text
        assert words in text and "（依据：" in text, text
        chinese(text)
    assert _counts(ready) == before  # nothing changed
    machine = run(ready, _file(tmp_path, BAD, "bad.csv"), "--json")
    found = json.loads(machine.stderr)
    assert found["ok"] is False and len(found["issues"]) == len(EXPECTED)
    assert found["issues"][2] == {"line": 3, "field": "account", "label": "科目",
                                  "rule": "会计科目表：只记入科目表所列科目",
                                  "message": "科目 '9999' 不在会计科目表中；请改用科目表所列科目（如 1001 国库存款）"}
    assert _counts(ready) == before


@pytest.mark.parametrize(("content", "encoding", "said"), [
    ("凭证,日期\n1,2025-01-01\n", "utf-8", "没有这一列：'日期'"),
    ("凭证,记账日期,摘要,科目,借方金额\n", "utf-8", "缺少列：贷方金额"),
    (HEAD, "utf-8", "文件没有分录行"),
    (GOOD, "gbk", "不是 UTF-8 编码"),
])
def test_a_file_that_is_not_an_entries_file(ready: LedgerDB, tmp_path: Path, content: str, encoding: str,
                                            said: str) -> None:
    out = run(ready, _file(tmp_path, content, encoding=encoding))
    assert out.exit_code == 2 and said in out.stderr, out.stderr
    chinese(out.stderr)
    assert _counts(ready) == (0, 0)


def test_an_excel_csv_with_its_byte_order_mark_and_machine_headings(ready: LedgerDB, tmp_path: Path) -> None:
    text = "entry,date,description,account,debit,credit\n" + "\n".join(
        line.rsplit(",", 4)[0] for line in GOOD.splitlines()[1:3]) + "\n"
    out = run(ready, _file(tmp_path, "\ufeff" + text))
    assert out.exit_code == 0, out.output
    assert _counts(ready) == (1, 2)


def test_an_import_the_projections_would_disagree_with_is_rolled_back(ready: LedgerDB) -> None:
    """The last line of defence, behind the file's own checks: the projections are recomputed inside the
    import's transaction, and a new disagreement (an appropriation with no budget row) undoes it all."""
    from app.cli_import import PROJECTION_RULE, _write

    spec = EntrySpec(date(2025, 1, 1), "history-import", "预算",
                     (Leg(A.BUDGET_AUTHORITY, 100, "330400", program="equipment-subsidy", fiscal_year=2025),
                      Leg(A.APPROPRIATION_AVAILABLE, -100, "330400", program="equipment-subsidy", fiscal_year=2025)))
    with pytest.raises(Invalid) as info:
        _write(ready.sessions, [spec], 10, None)
    assert info.value.rule == PROJECTION_RULE and "已撤销" in info.value.message
    chinese(info.value.message)
    assert _counts(ready) == (0, 0)


@pytest.mark.parametrize(("batch", "said"), [("0", "须不小于 1"), ("100001", "须不大于 100000")])
def test_the_batch_size_out_of_range_is_a_chinese_usage_error(ready: LedgerDB, tmp_path: Path, batch: str,
                                                              said: str) -> None:
    out = run(ready, _file(tmp_path, GOOD), "--batch", batch)
    assert out.exit_code == 2 and out.stderr.splitlines()[0] == f"错误：参数 --batch 的值无效：{said}"
    assert _counts(ready) == (0, 0)
