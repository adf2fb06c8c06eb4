"""公示名单, 资金下达表 and 试算平衡表 read back from the generated workbooks, exact to the fen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from ledger import accounts as A
from ledger.queries import balance, trial_balance
from reports import fund_issue, notice_list
from reports import trial_balance as TB
from reports.common import WAN
from reports.xlsx import ReportError
from tests.reports.world import World


def _d(v: object) -> Decimal:
    assert isinstance(v, (int, float)), v
    return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)


def _rows(ws, first: int) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [r for r in ws.iter_rows(min_row=first, values_only=True) if any(v is not None for v in r)]


def _assert_chain_head(db, lines: list[object]) -> None:  # type: ignore[no-untyped-def]
    """The document prints the journal's head, and the command it prints verifies the ledger."""
    from typer.testing import CliRunner

    from app.cli import cli
    from ledger.checkpoint import head

    with db.sessions() as s:
        entry_id, digest = head(s)
    assert lines == [f"账本链头：第 {entry_id} 号凭证  {digest[:16]}", f"链头哈希（SHA-256）：{digest}",
                     f"账本校验：subsidy ledger verify --against {entry_id}:{digest[:16]}"]
    typed = str(lines[2]).rsplit(" ", 1)[-1]
    out = CliRunner().invoke(cli, ["ledger", "verify", "--against", typed], env={"DATABASE_URL": db.url})
    assert out.exit_code == 0 and "账链完整" in out.stdout, out.output


def test_notice_list(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        path = notice_list.write(s, world.notice, tmp_path / "n.xlsx")
        wan = notice_list.write(s, world.notice, tmp_path / "n-wan.xlsx", unit=WAN)
        with pytest.raises(ReportError, match="公示第 99 号不存在"):
            notice_list.load(s, 99)
    ws = openpyxl.load_workbook(path)["公示名单"]
    assert ws["A1"].value == "2026年第一批国家、省级中试平台补助资金公示"
    assert ws["A2"].value == "公示期：2026年4月1日—2026年4月9日（5个工作日）"  # 清明 4/4–6 skipped
    head = [c.value for c in ws[5]]
    assert head == ["序号", "申请编号", "平台名称", "依托单位", "属地", "获批级别", "补助项目", "补助金额",
                    "其中：嘉兴市财政局", "其中：南湖区财政局", "其中：嘉善县财政局", "公示期"]
    rows, printed_head = _rows(ws, 6)[:3], _rows(ws, 6)[3:]
    _assert_chain_head(db, [r[0] for r in printed_head])
    assert [r[:7] for r in rows[:2]] == [
        (1, world.n1, "嘉兴市新材料中试平台", "嘉兴某新材料科技有限公司", "南湖区", "省级", "国家级、省级中试平台设备投入补助"),
        (2, world.n2, "嘉善县智能装备中试平台", "嘉善某智能装备有限公司", "嘉善县", "国家级", "国家级、省级中试平台设备投入补助")]
    assert [tuple(_d(v) for v in r[7:11]) for r in rows] == [
        (Decimal("500000.01"), Decimal("250000.00"), Decimal("250000.01"), Decimal("0")),
        (Decimal("1200000.00"), Decimal("0"), Decimal("0"), Decimal("1200000.00")),
        (Decimal("1700000.01"), Decimal("250000.00"), Decimal("250000.01"), Decimal("1200000.00"))]
    assert rows[2][0] == "合计" and rows[0][11] == "2026年4月1日—2026年4月9日（5个工作日）"
    assert ws["H6"].number_format == "#,##0.00"
    ws = openpyxl.load_workbook(wan)["公示名单"]
    assert ws["A4"].value == "单位：万元"
    # 万元 with 4 decimals: 500,000.01 元 would round, so the exact 元 stands beside it; 120 万元 is exact
    assert ws["H6"].value == "50.0000（500,000.01 元）" and ws["H6"].alignment.horizontal == "right"
    assert _d(ws["H7"].value) == Decimal("120.0000") and ws["H7"].number_format == "#,##0.0000"


@pytest.mark.parametrize("payer", ["330400", "330402", "330421"])
def test_fund_issue_totals_match_the_ledger(db, world: World, tmp_path: Path, payer: str) -> None:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        path = fund_issue.write(s, payer, tmp_path / "f.xlsx")
        issued = -balance(s, [A.OBLIGATED, A.EXPENDED], payer=payer)
        paid = -balance(s, [A.EXPENDED], payer=payer)
    ws = openpyxl.load_workbook(path)["资金下达"]
    rows = _rows(ws, 5)
    data = [r for r in rows if isinstance(r[0], int)]
    total = next(r for r in rows if r[0] == "合计")
    expected = {"330400": [(world.n1, "25000000", "25000000", "0")],
                "330402": [(world.n1, "25000001", "10000000", "15000001")],
                "330421": [(world.n2, "120000000", "100000000", "20000000")]}[payer]
    assert [(r[1], str(int(_d(r[10]) * 100)), str(int(_d(r[11]) * 100)), str(int(_d(r[12]) * 100))) for r in data] \
        == expected
    assert data[0][6] == "嘉经信〔2026〕30号" and data[0][7] == __import__("datetime").datetime(2026, 4, 10)
    assert _d(total[10]) * 100 == issued and _d(total[11]) * 100 == paid
    assert _d(total[12]) * 100 == issued - paid
    checks = [r for r in rows if r[1] in ("下达金额", "已拨付", "未拨付")]
    assert [r[12] for r in checks] == ["一致", "一致", "一致"]
    _assert_chain_head(db, [r[0] for r in rows[-3:]])
    assert (_d(checks[0][10]), _d(checks[0][11])) == (Decimal(issued) / 100, Decimal(issued) / 100)


def test_fund_issue_as_of_and_unknown_payer(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        data = fund_issue.load(s, "330402", as_of=date(2026, 4, 19))
        assert (data.total("issued_fen"), data.total("paid_fen")) == (25_000_001, 0)
        assert data.ledger_paid_fen == 0 and data.ledger_issued_fen == 25_000_001
        with pytest.raises(ReportError, match=r"出资方代码 .* 不存在"):
            fund_issue.load(s, "999999")


def test_trial_balance_and_summary(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    with db.sessions() as s:
        path = TB.write(s, start, end, tmp_path / "tb.xlsx")
        ledger = {r.account: r for r in trial_balance(s, start=start, as_of=end)}
        opening = {r.account: r.balance for r in trial_balance(s, as_of=date(2025, 12, 31))}
    wb = openpyxl.load_workbook(path)
    ws = wb["试算平衡表"]
    rows = _rows(ws, 5)
    by_code = {r[0]: r for r in rows if r[0]}
    assert set(by_code) == set(ledger)
    for code, r in by_code.items():
        assert _d(r[3]) * 100 == opening.get(code, 0), code
        assert (_d(r[4]) * 100, _d(r[5]) * 100) == (ledger[code].debit, ledger[code].credit), code
        assert _d(r[6]) * 100 == opening.get(code, 0) + ledger[code].debit - ledger[code].credit, code
    total = next(r for r in rows if r[1] == "合计")
    assert _d(total[4]) == _d(total[5]) and _d(total[6]) == 0
    assert next(r for r in rows if r[1] == "平衡检查")[3] == "借贷相等、各类别余额为零"
    assert _d(by_code[A.EXPENDED][5]) == Decimal("1350000.00")
    ws = wb["属地财政汇总"]
    rows = _rows(ws, 5)
    line = {(r[0], r[1]): r for r in rows}
    nh = line[("南湖区", "南湖区财政局")]
    assert [_d(v) for v in nh[2:]] == [Decimal("0"), Decimal("250000.01"), Decimal("250000.01"), Decimal("100000.00"),
                                       Decimal("0"), Decimal("0"), Decimal("150000.01"), Decimal("150000.01")]
    js = line[("嘉善县", "嘉善县财政局")]
    assert [_d(v) for v in js[2:]] == [Decimal("0"), Decimal("1200000.00"), Decimal("1200000.00"),
                                       Decimal("1000000.00"), Decimal("200000.00"), Decimal("50000.00"),
                                       Decimal("200000.00"), Decimal("200000.00")]
    budget = line[("预算指标（不分属地）", "嘉兴市财政局")]
    assert _d(budget[2]) == Decimal("6000000.00")  # 2026: two programs × 3,000,000
    grand = next(r for r in rows if r[0] == "合计")
    assert _d(grand[5]) == Decimal("1350000.00") and _d(grand[3]) == Decimal("1700000.01")
    with db.sessions() as s, pytest.raises(ReportError, match="早于开始日期"):
        TB.load(s, end, start)
