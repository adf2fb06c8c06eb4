"""附件2 score sheet from an evaluation record, and the ``report`` commands end to end."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from app.cli_reports import reports_cli
from ledger import services as S
from ledger import settings
from reports import evaluation_sheet as EV
from reports.xlsx import ReportError
from tests.reports.world import World

SCORES = {
    "目标定位/总体定位": "3", "目标定位/目标任务": "2", "中试基础/中试场地": "5", "中试基础/仪器设备": "9.5",
    "中试基础/中试投入": "10", "人才聚集/人才引进": "3", "人才聚集/研发团队": "5", "人才聚集/人才结构": "4",
    "人才聚集/人才培养": "2", "科研攻关/科研任务": "3", "科研攻关/科研成果": "5", "科研攻关/科技奖励": "2",
    "成果转化/成果转化": "9", "成果转化/造血能力": "14", "成果转化/产业培育": "5", "管理运行/体制机制": "2",
    "管理运行/开放与交流": "7", "管理运行/中试服务机制": "5"}  # 95.5


def _evaluations(db) -> None:  # type: ignore[no-untyped-def]
    with db.sessions.begin() as s:
        S.add_platform_event(s, "P1", kind="evaluation", on=date(2026, 3, 10), year=2025, grade="优秀",
                             scheme="jiaxing", note=json.dumps({"scores": SCORES, "bonus": {"标志性成果": "2"}},
                                                               ensure_ascii=False))
        S.add_platform_event(s, "P1", kind="evaluation", on=date(2027, 3, 10), year=2026, grade="良好",
                             scheme="jiaxing", note="专家组现场评价")


def test_scored_evaluation_sheet(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _evaluations(db)
    with db.sessions() as s:
        path = EV.write(s, "P1", 2025, tmp_path / "ev.xlsx")
    ws = openpyxl.load_workbook(path)["2025年度评价"]
    assert ws["A1"].value == "嘉兴市中试平台（培育）年度绩效评价表"
    info = " ".join(str(ws[f"A{r}"].value or "") for r in range(2, 6))
    assert "规则集：嘉兴市中试平台管理评价细则" in info and "jiaxing-" not in info  # the name, not the code
    assert re.search(r"评价日期：\d{4}年\d{1,2}月\d{1,2}日", info), info
    rows = [r for r in ws.iter_rows(min_row=6, values_only=True)]
    indicators = rows[:18]
    assert [(r[1], r[2]) for r in indicators][:3] == [("总体定位", 3), ("目标任务", 2), ("中试场地", 5)]
    assert sum(r[2] for r in indicators) == 100
    assert indicators[0][0] == "目标定位\n（5分）" and indicators[0][3].startswith("定位是否准确")
    assert Decimal(repr(indicators[3][4])) == Decimal("9.5")
    assert rows[18][:3] == ("加分项", "标志性成果", 10) and rows[18][4] == 2
    totals = {r[0]: r[4] for r in rows[19:] if r[0]}
    assert Decimal(repr(totals["指标得分（100分）"])) == Decimal("95.5")
    assert Decimal(repr(totals["总分"])) == Decimal("97.5")
    assert totals["总分（公式核对）"] == "=SUM(E6:E23)+SUM(E24:E24)"
    assert totals["评价等级（按规则集计算）"] == "优秀" and totals["评价等级（评价记录）"] == "优秀"
    assert "核对" not in totals
    assert {str(r) for r in ws.merged_cells.ranges} >= {"A6:A7", "A8:A10", "A11:A14", "A1:E1"}
    assert ws.page_setup.orientation == "portrait" and ws.page_setup.fitToHeight == 1


def test_unscored_evaluation_sheet_and_errors(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _evaluations(db)
    with db.sessions() as s:
        data = EV.load(s, "P1", 2026)
        with pytest.raises(ReportError, match="没有 2030 年度的评价记录"):
            EV.load(s, "P1", 2030)
        with pytest.raises(ReportError, match=r"平台编号 .* 不存在"):
            EV.load(s, "P9", 2026)
    assert data.total is None and data.recorded_grade == "良好" and data.computed_grade is None
    assert [i.score for i in data.indicators] == [None] * 18 and data.note == "专家组现场评价"
    assert sum(i.weight for i in data.indicators) == 100 and data.bonus == (
        ("标志性成果", 10, "国家级、省级重大平台；凝练创新性举措、特色亮点。", None),)


def test_every_command_writes_its_workbook(db, world: World, tmp_path: Path,  # type: ignore[no-untyped-def]
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _evaluations(db)
    monkeypatch.setenv("DATABASE_URL", db.url)
    settings.load()  # what `subsidy` does as it starts (the report group is invoked here on its own)
    runner = CliRunner()
    commands = {
        "annex3": ["annex3", world.n1],
        "annex3-blank": ["annex3-blank"],
        "annex3-batch": ["annex3-batch", "--jurisdiction", "330402"],
        "notice-list": ["notice-list", str(world.notice), "--unit", "wan"],
        "fund-issue": ["fund-issue", "--payer", "330400"],
        "reconciliation": ["reconciliation", "--as-of", "2026-12-31"],
        "trial-balance": ["trial-balance", "--from", "2026-01-01", "--to", "2026-12-31"],
        "evaluation-sheet": ["evaluation-sheet", "P1", "2025"],
    }
    first_sheet = {"annex3": "附件3", "annex3-blank": "附件3", "annex3-batch": world.n1, "notice-list": "公示名单",
                   "fund-issue": "资金下达", "reconciliation": "说明", "trial-balance": "试算平衡表",
                   "evaluation-sheet": "2025年度评价"}
    for name, args in commands.items():
        out = tmp_path / f"{name}.xlsx"
        result = runner.invoke(reports_cli, [*args, "--out", str(out)])
        assert result.exit_code == 0, (name, result.output)
        assert result.output.strip() == str(out)
        assert openpyxl.load_workbook(out).sheetnames[0] == first_sheet[name]
    bad = runner.invoke(reports_cli, ["annex3", "SQ-none", "--out", str(tmp_path / "x.xlsx")])
    assert bad.exit_code == 2 and "申请编号 'SQ-none' 不存在" in bad.output
    bad = runner.invoke(reports_cli, ["trial-balance", "--from", "2026-13-01", "--to", "2026-12-31"])
    assert bad.exit_code == 2 and "年-月-日" in bad.output and "--from" in bad.output and "'2026-13-01'" in bad.output
    out = tmp_path / "audited.xlsx"
    ok = runner.invoke(reports_cli, ["annex3-batch", "--jurisdiction", "330402", "--state", "audited", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert openpyxl.load_workbook(out).sheetnames == [world.n3]
    bad = runner.invoke(reports_cli, ["annex3-batch", "--jurisdiction", "330402", "--state", "nonsense"])
    assert bad.exit_code == 2 and "不是申请状态" in bad.output and "--state" in bad.output


def test_the_report_commands_are_subsidy_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    out = tmp_path / "blank.xlsx"
    result = CliRunner().invoke(cli, ["report", "annex3-blank", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
