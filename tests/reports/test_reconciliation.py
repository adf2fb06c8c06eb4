"""The auditors' reconciliation workbook: figures per platform and program, formulas that recompute them
from the postings listing, the exceptions sheet (a planted payment without its entry is listed)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, text

from ledger import accounts as A
from ledger.queries import balance
from reports import reconciliation as R
from tests.reports.world import World
from tests.reports.xlsx_eval import Book, num

FIGURES = ["累计上限", "累计审定", "已下达", "已拨付", "已追回", "追回到账", "剩余额度"]


def _summary(wb) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    ws = wb["对账表"]
    head = [c.value for c in ws[3]]
    out = {}
    for r in ws.iter_rows(min_row=4, values_only=True):
        if r[1] and r[1] != "合计":
            out[r[1]] = dict(zip(head, r, strict=True))
    return out


def _yuan(v: object) -> Fraction:
    return num(v)


def test_figures_per_platform_and_program(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        path = R.write(s, tmp_path / "rec.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["说明", "对账表", "例外", "分录", "凭证"]
    rows = _summary(wb)
    assert set(rows) == {"P1", "P2"}
    p1, p2 = rows["P1"], rows["P2"]
    # the program by its Chinese name; its code in the last column, which the formulas match on
    assert (p1["补助项目"], p1["获批级别"], p2["获批级别"]) == ("国家级、省级中试平台设备投入补助", "省级", "国家级")
    assert p1["补助项目代码"] == p2["补助项目代码"] == "equipment-subsidy"
    assert wb["分录"]["G1"].value == "补助项目代码"
    expected = {"P1": ["5000000", "500000.01", "500000.01", "350000", "0", "0", "4499999.99"],
                "P2": ["10000000", "1200000", "1200000", "1000000", "200000", "50000", "8800000"]}
    for code, values in expected.items():
        assert [_yuan(rows[code][f]) for f in FIGURES] == [Fraction(Decimal(v)) for v in values], code
    assert wb["对账表"]["H4"].number_format == "#,##0.00"
    # every posting behind the figures is listed, with its entry
    listing = list(wb["分录"].iter_rows(min_row=2, values_only=True))
    assert {r[4] for r in listing} == {8102, 8103, 8104, 1201}
    with db.sessions() as s:
        n = s.execute(text("SELECT count(*) FROM postings WHERE account_code IN ('8102','8103','8104','1201')")).scalar()
        assert len(listing) == n
        assert sum(r[10] for r in listing if r[4] == 8104) == balance(s, [A.EXPENDED])
    entries = {r[0] for r in wb["凭证"].iter_rows(min_row=2, values_only=True)}
    assert entries == {r[1] for r in listing}
    assert wb["例外"]["A1"].value == "例外：台账分录与申请记录不一致之处（0项）"


@pytest.mark.parametrize("rows_per_sheet", [1_000_000, 4])
def test_formulas_recompute_every_figure(db, world: World, tmp_path: Path, rows_per_sheet: int) -> None:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        path = R.write(s, tmp_path / "rec.xlsx", rows_per_sheet=rows_per_sheet)
    wb = openpyxl.load_workbook(path)
    listing_sheets = [n for n in wb.sheetnames if n.startswith("分录")]
    assert len(listing_sheets) == (1 if rows_per_sheet > 100 else 5)  # 17 postings, 4 a sheet
    book = Book(wb)
    ws = wb["对账表"]
    last = ws.max_row
    for row in range(4, last + 1):
        for value_col, formula_col in zip("HIJKL", "NOPQR", strict=True):
            formula = ws[f"{formula_col}{row}"].value
            assert isinstance(formula, str) and formula.startswith("="), (row, formula_col)
            assert book.eval("对账表", formula[1:]) == num(book.value("对账表", f"{value_col}{row}")), (row, value_col)
        if row < last:
            assert ws[f"S{row}"].value == f'=IF(G{row}="","",G{row}-N{row})'
            assert book.eval("对账表", f"G{row}-N{row}") == num(ws[f"M{row}"].value)
            assert ws[f"T{row}"].value.startswith('=IF(AND(H')
            assert "SUMIFS(" in ws[f"N{row}"].value and f"$A{row}" in ws[f"N{row}"].value
            assert f"$U{row}" in ws[f"N{row}"].value and f"$E{row}" not in ws[f"N{row}"].value
    about = wb["说明"]
    for row in range(6, 11):
        ledger = num(about[f"B{row}"].value)
        assert book.value("说明", f"C{row}") == ledger
        assert book.value("说明", f"D{row}") == ledger


def test_as_of_date(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        path = R.write(s, tmp_path / "rec.xlsx", as_of=date(2026, 4, 16))
    rows = _summary(openpyxl.load_workbook(path))
    assert _yuan(rows["P1"]["已拨付"]) == 250_000 and _yuan(rows["P2"]["已拨付"]) == 0
    assert _yuan(rows["P2"]["已追回"]) == 0


def test_a_payment_without_its_entry_is_an_exception(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.sessions.begin() as s:
        claim_id = s.execute(text("SELECT id FROM claims WHERE number = :n"), {"n": world.n1}).scalar()
        s.execute(text("INSERT INTO payments (claim_id, payer_code, voucher_number, date, amount_fen) "
                       "VALUES (:c, '330402', 'NH-ROGUE', :d, 1234567)"), {"c": claim_id, "d": date(2026, 5, 1)})
        s.execute(text("UPDATE claims SET approved_fen = 50000002 WHERE id = :c"), {"c": claim_id})
    with db.sessions() as s:
        path = R.write(s, tmp_path / "rec.xlsx")
        found = R.find_exceptions(s)
        assert R.find_exceptions(s, window=1) == found  # checked one claim at a time: the same list
    kinds = {(x.check, x.claim, x.payer, x.records_fen, x.journal_fen) for x in found}
    assert kinds == {
        ("付款记录无凭证", world.n1, "330402", 1_234_567, None),
        ("付款记录 vs 已支出分录", world.n1, "330402", 10_000_000 + 1_234_567, 10_000_000),
        ("审定 vs 承诺分录", world.n1, "", 50_000_002, 50_000_001),
        ("资金下达 vs 已下达分录", world.n1, "", 50_000_002, 50_000_001),  # the record disagrees with the issue too
    }
    ws = openpyxl.load_workbook(path)["例外"]
    assert ws["A1"].value == "例外：台账分录与申请记录不一致之处（4项）"
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True)]
    assert {r[1] for r in rows} == {"付款记录无凭证", "付款记录 vs 已支出分录", "审定 vs 承诺分录", "资金下达 vs 已下达分录"}
    planted = next(r for r in rows if r[1] == "付款记录 vs 已支出分录")
    assert (planted[2], planted[3], num(planted[5]), num(planted[6]), num(planted[7])) == (
        world.n1, "330402", Fraction(Decimal("112345.67")), Fraction(100_000), Fraction(Decimal("12345.67")))
    assert "NH-ROGUE" in next(r for r in rows if r[1] == "付款记录无凭证")[8]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_recalculates_the_same_figures(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        path = R.write(s, tmp_path / "rec.xlsx", rows_per_sheet=6)
    out = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "xlsx", "--outdir", str(out), str(path)], check=True, capture_output=True,
                   timeout=120)
    wb = openpyxl.load_workbook(out / "rec.xlsx", data_only=True)
    ws = wb["对账表"]
    for row in range(4, ws.max_row):
        assert ws[f"T{row}"].value == "一致", row
        for value_col, formula_col in zip("HIJKLM", "NOPQRS", strict=True):
            assert num(ws[f"{formula_col}{row}"].value) == num(ws[f"{value_col}{row}"].value)
    assert [wb["说明"][f"E{r}"].value for r in range(6, 11)] == ["一致"] * 5


def test_plain_baseline_writes_the_same_cells(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        a = openpyxl.load_workbook(R.write(s, tmp_path / "stream.xlsx", rows_per_sheet=5))
        b = openpyxl.load_workbook(R.write(s, tmp_path / "plain.xlsx", rows_per_sheet=5, plain=True))
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        assert list(a[name].iter_rows(values_only=True)) == list(b[name].iter_rows(values_only=True)), name


def test_every_other_check_finds_its_planted_disagreement(db, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Records changed behind the journal's back: a payer's share, a budget, a recovery's receipt, and a
    claim marked paid with money still issued but unpaid; each is listed once, with both amounts."""
    from ledger.models import Approval, Claim

    with db.sessions.begin() as s:
        c1 = s.execute(select(Claim).where(Claim.number == world.n1)).scalar_one()
        approval = s.execute(select(Approval).where(Approval.claim_id == c1.id)).scalar_one()
        approval.shares = {**approval.shares, "330402": approval.shares["330402"] - 1, "330400": 1 + approval.shares[
            "330400"]}
        s.execute(text("UPDATE budgets SET appropriation_fen = appropriation_fen + 7 "
                       "WHERE payer_code = '330421' AND fiscal_year = 2026"))
        s.execute(text("UPDATE recoveries SET received_fen = received_fen + 1"))
        s.execute(text("UPDATE claims SET state = 'paid' WHERE id = :c"), {"c": c1.id})
    with db.sessions() as s:
        found = R.find_exceptions(s)
        assert R.find_exceptions(s, window=2) == found
        path = R.write(s, tmp_path / "rec.xlsx")
    got = [(x.check, x.claim, x.payer, x.records_fen, x.journal_fen) for x in found]
    assert got == [
        ("审定份额 vs 承诺分录", world.n1, "330400", 25_000_001, 25_000_000),
        ("审定份额 vs 承诺分录", world.n1, "330402", 25_000_000, 25_000_001),
        ("追回到账 vs 应收分录", world.n2, "330421", 5_000_001, 5_000_000),
        ("预算指标 vs 预算批复分录", "", "330421", 300_000_007, 300_000_000),
        ("已拨付状态 vs 未拨付余额", world.n1, "", 0, 15_000_001),
    ]
    ws = openpyxl.load_workbook(path)["例外"]
    assert ws["A1"].value == "例外：台账分录与申请记录不一致之处（5项）"
    assert [r[1] for r in ws.iter_rows(min_row=3, values_only=True)] == [g[0] for g in got]
