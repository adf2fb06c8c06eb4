"""The ``subsidy`` command line as people and machines meet it (issue 11 part 4): summaries and aligned
tables for people (Chinese text counted as two columns), ``--json`` for machines, a progress bar only on
a terminal, dated report names that never overwrite silently, usage errors in Chinese naming the
argument."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from typer.testing import CliRunner, Result

from app import cli_ui
from app.cli import calc_text, cli
from ledger.db import transaction
from tests.conftest import LedgerDB
from tests.reports.world import World, build

EXAMPLE = Path(__file__).resolve().parents[2] / "app" / "examples" / "provincial-platform.yaml"
BOX = "┏┃┡│├└┗"
SEPARATORS = set("┃│┳╇┼┻┿╋┬┴")


def run(*args: str, db: LedgerDB | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": db.url} if db else None)


def table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line[:1] in BOX]


def separator_columns(line: str) -> list[int]:
    """The display columns (a Chinese character counts two) at which ``line`` has a column separator."""
    cols, at = [], 0
    for ch in line:
        if ch in SEPARATORS:
            cols.append(at)
        at += cell_len(ch)
    return cols


def assert_aligned(text: str, headings: list[str]) -> list[str]:
    """The table in ``text`` has ``headings`` in its header row, and every row's separators sit at the
    header's columns (so the columns do not drift with Chinese text)."""
    lines = table_lines(text)
    assert lines, text
    header = next(line for line in lines if line.startswith("┃"))
    for h in headings:
        assert h in header, (h, header)
    want = separator_columns(header)
    assert len(want) == len(headings) + 1  # the two borders and one between each pair of columns
    rows = [line for line in lines if line[:1] in "┃│"]
    for line in rows:
        assert separator_columns(line) == want, (line, header)
        assert cell_len(line) == cell_len(header), line
    return rows


@pytest.fixture
def world(db: LedgerDB) -> World:
    return build(db)


# --------------------------------------------------------------------------- subsidy calc

def test_calc_prints_a_summary_per_claim_with_names_amounts_shares_and_clauses() -> None:
    out = run("calc", str(EXAMPLE))
    assert out.exit_code == 0, out.output
    text = out.stdout
    assert not text.lstrip().startswith("{")  # not JSON
    assert "嘉兴市新材料中试平台（P-001）：3 项申请" in text
    assert "申请 C1　国家级、省级中试平台设备投入补助（equipment-subsidy）" in text
    assert "应付金额：600,000.00 元" in text  # 元 grouped, 2 decimals (calculators/formats.py)
    assert "嘉兴市财政局（330400）" in text and "南湖区财政局（330402）" in text and "300,000.00" in text
    # the trace's key steps in Chinese with their clauses; the per-year detail is left to --json
    for step in ("适用规则集", "比例测算", "累计上限", "就高不重复", "资金分担"):
        assert step in text, step
    assert "根据近三年设备投入的30%" in text.replace("\n", "").replace("│", "").replace(" ", "")
    assert "设备投入合计 × 30%" in text
    assert "应付合计：" in text
    assert out.stderr == ""


def test_calc_json_is_the_whole_result_unchanged() -> None:
    out = run("calc", str(EXAMPLE), "--json")
    assert out.exit_code == 0, out.output
    expected = calc_text(EXAMPLE.read_text(encoding="utf-8"), "yaml", {}, {}, None)
    assert json.loads(out.stdout) == expected
    assert out.stdout == json.dumps(expected, ensure_ascii=False, indent=2) + "\n"


def test_calc_summary_prints_typed_text_as_typed(tmp_path: Path) -> None:
    """A platform name is user-typed: rich markup in it is shown, not interpreted; escapes are dropped."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["platform"]["name"] = "[red]平台[/red]\x1b[2J"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data, default=str), encoding="utf-8")
    out = run("calc", str(path))
    assert out.exit_code == 0, out.output
    assert "[red]平台[/red]" in out.stdout and "\x1b" not in out.stdout


def test_calc_errors_in_chinese_name_the_field_and_stay_json_under_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace('"330402"', '"999999"').replace(
        "jurisdiction: '330402'", "jurisdiction: '999999'"), encoding="utf-8")
    human = run("calc", str(path))
    assert human.exit_code == 2 and human.stdout == ""
    # the field by its Chinese name (ledger/messages.py label), not its path in the file
    assert "情景文件有" in human.stderr and "  平台的所属区县：所属区县代码 '999999' 不存在" in human.stderr
    assert "platform.jurisdiction" not in human.stderr
    machine = run("calc", str(path), "--json")
    assert machine.exit_code == 2
    (error,) = json.loads(machine.stderr)["errors"]
    assert (error["field"], error["label"]) == ("platform.jurisdiction", "平台的所属区县")


# --------------------------------------------------------------------------- usage errors

@pytest.mark.parametrize(("args", "named"), [
    (["calc", "/nonexistent/s.yaml"], "FILE"),
    (["calc", str(EXAMPLE), "--reading", "no-equals-sign"], "--reading"),
    (["calc", str(EXAMPLE), "--what-if", "=1"], "--what-if"),
    (["calc", str(EXAMPLE), "--colour"], "--colour"),
    (["report", "fund-issue"], "--payer"),
    (["report", "notice-list", "abc"], "NOTICE_ID"),
    (["report", "reconciliation", "--as-of", "2026-02-30"], "--as-of"),
    (["report", "trial-balance", "--from", "2026-12-31", "--to", "2026-01-01"], "--to"),
    (["report", "notice-list", "1", "--unit", "亿元"], "--unit"),
    (["report", "annex3-batch", "--jurisdiction", "330402", "--state", "nonsense"], "--state"),
    (["ledger", "trial-balance", "--as-of", "yesterday"], "--as-of"),
    (["no-such-command"], "no-such-command"),
])
def test_usage_errors_are_chinese_and_name_the_argument(args: list[str], named: str) -> None:
    out = run(*args)
    assert out.exit_code == 2, out.output
    assert out.stdout == ""
    assert out.stderr.startswith("错误："), out.stderr
    assert named in out.stderr, out.stderr
    assert "--help 查看用法" in out.stderr
    assert "Error" not in out.stderr and "Usage" not in out.stderr


# --------------------------------------------------------------------------- rulesets

def test_rulesets_table_and_json() -> None:
    out = run("rulesets")
    assert out.exit_code == 0, out.output
    rows = assert_aligned(out.stdout, ["规则集", "施行期间", "资金", "补助项目", "依据"])
    assert any("国家级、省级中试平台设备投入补助（equipment-subsidy）" in r for r in rows)
    assert "嘉兴市中试平台管理评价细则（jiaxing-rules-2026）" in out.stdout
    data = json.loads(run("rulesets", "--json").stdout)
    by_id = {rs["id"]: rs for rs in data}
    assert "equipment-subsidy" in {p["id"] for p in by_id["jiaxing-rules-2026"]["programs"]}


# --------------------------------------------------------------------------- the ledger commands

def test_ledger_trial_balance_table_aligned_and_json(db: LedgerDB, world: World) -> None:
    out = run("ledger", "trial-balance", "--as-of", "2026-12-31", db=db)
    assert out.exit_code == 0, out.output
    assert "试算平衡表（截至2026年12月31日）" in out.stdout
    rows = assert_aligned(out.stdout, ["科目代码", "科目名称", "会计", "借方（元）", "贷方（元）"])
    assert any("已承诺预算（党组会审定）" in r and "预算会计" in r for r in rows)
    machine = json.loads(run("ledger", "trial-balance", "--as-of", "2026-12-31", "--json", db=db).stdout)
    assert machine["as_of"] == "2026-12-31" and machine["debit"] == machine["credit"] != "0.00"
    total = sum(int(a["debit"].replace(".", "")) for a in machine["accounts"])
    assert f"{total / 100:,.2f}" in next(line for line in out.stdout.splitlines() if "合计" in line)


def test_user_list_table_shows_names_as_typed(db: LedgerDB, world: World) -> None:
    from app.security import create_user

    with transaction(db.sessions) as s:
        create_user(s, username="nanhu-jx", password="correct horse battery", role="district_econ",
                    jurisdiction="330402", display_name="南湖区经信局 [bold]王[/bold]\x1b[2J")
        create_user(s, username="boss", password="correct horse battery", role="city_bureau", display_name="孙科长")
    out = run("user", "list", db=db)
    assert out.exit_code == 0, out.output
    rows = assert_aligned(out.stdout, ["用户名", "姓名", "角色", "区县", "状态"])
    assert any("南湖区经信局 [bold]王[/bold]" in r and "区县经信部门" in r and "南湖区（330402）" in r for r in rows)
    assert "\x1b" not in out.stdout
    data = json.loads(run("user", "list", "--json", db=db).stdout)
    assert [(u["username"], u["role"], u["jurisdiction"], u["state"]) for u in data] == [
        ("boss", "city_bureau", None, "启用"), ("nanhu-jx", "district_econ", "330402", "启用")]


def test_ledger_verify_draws_progress_only_on_a_terminal(db: LedgerDB, world: World,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    piped = run("ledger", "verify", db=db)
    assert piped.exit_code == 0, piped.output
    assert "账链完整" in piped.stdout
    assert piped.stderr == ""  # piped: the result and nothing else
    assert json.loads(run("ledger", "verify", "--json", db=db).stdout)["ok"] is True
    monkeypatch.setattr(cli_ui, "stderr_is_terminal", lambda: True)
    on_terminal = run("ledger", "verify", db=db)
    assert on_terminal.exit_code == 0, on_terminal.output
    assert "校验账链" in on_terminal.stderr  # the bar was drawn on stderr
    assert "账链完整" in on_terminal.stdout


def test_verify_reports_progress_through_its_callback(db: LedgerDB, world: World) -> None:
    from ledger.journal import verify

    seen: list[tuple[int, int]] = []
    with db.sessions() as s:
        report = verify(s, batch=3, progress=lambda done, total: seen.append((done, total)))
    assert report.ok
    assert seen[-1] == (report.entries, report.entries) and len(seen) >= report.entries // 3
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_archive_export_refuses_to_overwrite(db: LedgerDB, world: World, tmp_path: Path) -> None:
    target = tmp_path / "ledger.zip"
    target.write_bytes(b"keep me")
    out = run("ledger", "export", str(target), db=db)
    assert out.exit_code == 2
    assert str(target) in out.stderr and "--force" in out.stderr and "已存在" in out.stderr
    assert target.read_bytes() == b"keep me"
    forced = run("ledger", "export", str(target), "--force", db=db)
    assert forced.exit_code == 0, forced.output
    assert forced.stderr == ""  # piped: no progress
    assert target.read_bytes() != b"keep me"


# --------------------------------------------------------------------------- report files

def test_report_files_are_dated_and_never_overwritten_silently(db: LedgerDB, world: World, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = run("report", "reconciliation", "--as-of", "2026-12-31", db=db)
    assert first.exit_code == 0, first.output
    path = tmp_path / "累计上限对账_2026-12-31.xlsx"
    assert first.stdout.strip() == path.name and path.exists()
    assert first.stderr == ""  # piped: no progress bar
    before = path.read_bytes()
    path.write_bytes(b"an auditor's copy")
    again = run("report", "reconciliation", "--as-of", "2026-12-31", db=db)
    assert again.exit_code == 2 and again.stdout == ""
    assert path.name in again.stderr and "--force" in again.stderr and "未覆盖" in again.stderr
    assert path.read_bytes() == b"an auditor's copy"
    forced = run("report", "reconciliation", "--as-of", "2026-12-31", "--force", db=db)
    assert forced.exit_code == 0, forced.output
    assert path.read_bytes()[:2] == before[:2] == b"PK"
    period = run("report", "trial-balance", "--from", "2026-01-01", "--to", "2026-12-31", db=db)
    assert period.stdout.strip() == "试算平衡表_2026-01-01_2026-12-31.xlsx"
    fund = run("report", "fund-issue", "--payer", "330400", "--as-of", "2026-06-30", db=db)
    assert fund.stdout.strip() == "资金下达_330400_2026-06-30.xlsx"
    refused = run("report", "fund-issue", "--payer", "330400", "--as-of", "2026-06-30", db=db)
    assert refused.exit_code == 2 and "资金下达_330400_2026-06-30.xlsx" in refused.stderr


def test_report_names_keep_typed_codes_inside_the_directory(db: LedgerDB, world: World, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = run("report", "fund-issue", "--payer", "../../330400", "--as-of", "2026-06-30", db=db)
    assert "/" not in out.stdout.strip() and "\\" not in out.stdout.strip()
    assert list(tmp_path.parent.glob("资金下达*")) == []


def test_annex3_batch_progress_only_on_a_terminal(db: LedgerDB, world: World, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    piped = run("report", "annex3-batch", "--jurisdiction", "330402", "--out", str(tmp_path / "a.xlsx"), db=db)
    assert piped.exit_code == 0, piped.output
    assert piped.stderr == ""
    monkeypatch.setattr(cli_ui, "stderr_is_terminal", lambda: True)
    shown = run("report", "annex3-batch", "--jurisdiction", "330402", "--out", str(tmp_path / "b.xlsx"), db=db)
    assert shown.exit_code == 0, shown.output
    assert "生成附件3" in shown.stderr and "2/2" in shown.stderr
    assert shown.stdout.strip() == str(tmp_path / "b.xlsx")


def test_reconciliation_reports_progress_through_its_callback(db: LedgerDB, world: World, tmp_path: Path) -> None:
    from reports import reconciliation

    seen: list[tuple[int, int]] = []
    with db.sessions() as s:
        reconciliation.write(s, tmp_path / "r.xlsx", all_postings=True,
                             progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] > 0


def test_user_add_asks_the_password_twice_in_chinese(db: LedgerDB, world: World) -> None:
    pw = "correct horse battery staple"
    out = CliRunner().invoke(cli, ["user", "add", "li", "--role", "auditor", "--display-name", "李审计"],
                             input=f"{pw}\nsomething else\n{pw}\n{pw}\n", env={"DATABASE_URL": db.url})
    assert out.exit_code == 0, out.output
    assert "两次输入的密码不一致" in out.stderr and "已添加用户 li" in out.stdout and pw not in out.output
    assert [u["username"] for u in json.loads(run("user", "list", "--json", db=db).stdout)] == ["li"]
    refused = CliRunner().invoke(cli, ["user", "add", "zhao", "--role", "district_econ"],
                                 input=f"{pw}\n{pw}\n", env={"DATABASE_URL": db.url})
    assert refused.exit_code == 2 and refused.stderr.startswith("拒绝：所属区县：")  # the field by its Chinese name


CELL_TEXT = st.text(alphabet=st.sampled_from(list("ab Z09-_[]/（）：，") + [chr(c) for c in range(0x4E00, 0x4E40)]),
                    max_size=30)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(CELL_TEXT, CELL_TEXT, st.integers(-10**12, 10**12)), min_size=1, max_size=8))
def test_any_mix_of_chinese_and_ascii_keeps_the_columns_aligned(rows: list[tuple[str, str, int]]) -> None:
    from calculators import formats

    t = cli_ui.table("表", [("名称", "left"), ("说明", "left"), ("金额（元）", "right")])
    for name, note, fen in rows:
        cli_ui.add_row(t, name, note, formats.yuan_grouped(fen))
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        cli_ui.print_table(t)
    body = assert_aligned(buffer.getvalue(), ["名称", "说明", "金额（元）"])
    for name, _, fen in rows:  # piped: nothing folded or cut
        assert formats.yuan_grouped(fen) in "\n".join(body)
        assert name.strip() == "" or name.strip() in "\n".join(body)
