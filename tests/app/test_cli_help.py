"""``--help`` speaks Chinese (issue 11 parts 2 and 4): a walk over the whole ``subsidy`` command tree,
every group and command, checking its own help text and every argument's and option's, and what
``--help`` prints: the usage line, the panel headings, ``[默认：…]``/``[必填]`` and the help option's own
line in Chinese, no English sentence left."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from app.cli import cli
from tests.app.test_errors_chinese import CJK, ENGLISH_SENTENCE

ROOT = typer.main.get_command(cli)
CLICK_ENGLISH = ("Usage:", "Options", "Arguments", "Commands", "Show this message", "[default:", "[required]",
                 "[OPTIONS]", "COMMAND [ARGS]")


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, (*path, name))


COMMANDS = list(walk(ROOT))


def test_the_walk_reaches_every_group_and_command() -> None:
    paths = {" ".join(p) for p, _ in COMMANDS}
    assert {"calc", "rulesets", "serve", "demo", "user add", "user list", "ledger verify", "ledger checkpoint",
            "ledger export", "ledger import", "ledger trial-balance", "ledger upgrade", "report annex3",
            "report reconciliation", "report evaluation-sheet", "ledger import-entries"} <= paths
    assert len(COMMANDS) >= 25


def _own_words(text: str, command: Any, path: tuple[str, ...]) -> str:
    """``text`` without what is a name, not a sentence: the command path, the subcommands' names and the
    options' flags (``subsidy ledger trial-balance`` is three words, and not English prose)."""
    names = [" ".join(("subsidy", *path)), *getattr(command, "commands", {})]
    for param in command.params:
        names += [*param.opts, *param.secondary_opts]
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    return re.sub(r"[│╭╮╰╯─]", " ", text)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "subsidy" for p, _ in COMMANDS])
def test_help_is_chinese(path: tuple[str, ...], command: Any) -> None:
    assert command.help and CJK.search(command.help), (path, command.help)
    ctx = command.make_context("subsidy", ["--help"], resilient_parsing=True)
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        text = getattr(param, "help", None) or ""
        assert CJK.search(text), (path, param.name, text)
        found = ENGLISH_SENTENCE.search(text)
        assert found is None, (path, param.name, text)
    out = CliRunner().invoke(cli, [*path, "--help"], prog_name="subsidy")
    assert out.exit_code == 0, out.output
    shown = out.stdout
    assert shown.lstrip().startswith("用法：subsidy"), shown
    assert "显示本帮助并退出" in shown
    for english in CLICK_ENGLISH:
        assert english not in shown, (path, english)
    prose = _own_words(shown, command, path)
    found = ENGLISH_SENTENCE.search(prose)
    assert found is None, (path, found.group(0) if found else "", shown)


def test_panels_defaults_and_required_in_chinese() -> None:
    shown = CliRunner().invoke(cli, ["report", "fund-issue", "--help"], prog_name="subsidy").stdout
    assert "用法：subsidy report fund-issue [选项]" in shown
    assert "─ 选项 " in shown and "[默认：yuan]" in shown and "[必填]" in shown
    args = CliRunner().invoke(cli, ["report", "annex3", "--help"], prog_name="subsidy").stdout
    assert "─ 参数 " in args and "申请编号" in args
    group = CliRunner().invoke(cli, ["ledger", "--help"], prog_name="subsidy").stdout
    assert "用法：subsidy ledger [选项] 命令 [参数]..." in group and "─ 命令 " in group
    assert "校验账链" in group and "迁移数据库" in group


def test_ledger_upgrade_reports_in_chinese(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_OWNER_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'u.db'}")
    out = CliRunner().invoke(cli, ["ledger", "upgrade"])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines == ["数据库结构已是最新；区县、拨付单位等参考数据已与规则库一致",
                     "SQLite：没有数据库角色（服务与迁移共用一个数据库文件），无需授权"]
