"""附件3 国家、省级中试平台补助资金申请表 (细则 附件3), as xlsx.

Three steps, each replaceable on its own:

1. :func:`load` reads one claim of the ledger into :class:`Annex3Data` (raw values: fen, dates, codes);
2. :func:`build` turns that into :class:`Annex3Form`, the form's field values as printed (万元 amounts
   exact, level in words, dates as 年月日) — pure, no database, no xlsx; :func:`blank` is the empty form;
3. :func:`write_sheet` lays a form out on a worksheet: the document's title, 单位：万元, every field in
   the document's order and grouping, merged cells, thin borders, a Chinese font, A4 portrait fitted
   to one page with its print area and margins.

Where a field comes from (prefilled forms):

* 申请单位名称 ← the platform's operator (依托单位); 负责人/电话, 联系人/手机, 平台名称 ← the platform;
* 获批级别 ← the level recorded on the claim at filing (the highest level held), else the highest
  recognition on or before the application date;
* 本年度设备投入 ← the net (不含税) amounts of the invoices filed with the claim (细则 第四章（一）(2); the
  net-of-VAT reading, 解读 R-10), or, for a claim filed without invoices, the audited investment of
  its years; blank if neither. A claim covering several years shows one line per year in the cell
  (``2023年 123.456789 万元``) and a last line with the total; one year shows the number alone;
* 申报奖励资金 ← the amount requested (``claims.requested_fen``);
* 中试平台文件、文号 ← the document stated on the claim, else that of the recognition at the level held;
* 审核情况 ← the district economic and finance review opinions and their dates, when recorded;
* 法定代表人签字并盖章 and its date stay blank: they are signed by hand.

Long review opinions (意见较长的，另附页):

Each opinion box (C17:C18, E17:E18) holds what :func:`fit_opinion` estimates fits, from the column width and
the two row heights, counting a CJK character twice the width of a Latin one (:func:`display_width`) and
erring on the side of too little (Excel's and WPS's narrower column metrics, LibreOffice's taller line
height). At the body size 12 pt the box takes 8 lines of 9 CJK characters (72); an opinion that does not
fit is set in the largest smaller size, in half points, down to :data:`FONT_FLOOR` 8 pt (13 lines of 14:
about 180 characters). A longer one is not shrunk further (it would not be legible): the box shows, at the
body size, its beginning (cut after a sentence where one ends near the end of what fits) followed by
``（续见附页）``, and the opinion is printed in full on a **continuation sheet** placed right after the
form's sheet, named after it (``附件3（审核意见附页）``, ``SQ2026-000001（审核意见附页）`` in a batch;
:func:`continuation_title`). A sheet of its own rather than rows below the form's print area: the form's
sheet keeps its fixed layout, print area ``A1:E20`` and fit-to-one-page setting untouched (rows below it
would need either a second print range, which the fit-to-one-page scaling would shrink onto the first
page, or giving that scaling up), and the continuation can run over as many A4 pages as a very long
opinion needs (one page wide, its head rows — title, the form's sheet, 申请编号, 平台名称, 申请单位 —
repeated on every page, pages numbered in the footer), each opinion with its department, （盖章） and date
for the department to stamp. Its text is the stored opinion exactly, cut into rows of at most 20 lines
(:func:`opinion_rows`; a row is at most 409 pt high) whose concatenation is the opinion.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from calculators.formats import (
    WAN_DECIMALS,
    wan_fixed,
    wan_fixed_decimal,
    wan_rounded,
    yuan_grouped,
)
from calculators.labels import wan_decimals
from ledger.models import Claim, Investment, Invoice, Platform, PlatformEvent, Review
from reports.xlsx import (
    CENTER,
    LEFT,
    RIGHT,
    TITLE_FONT,
    Outlines,
    ReportError,
    a4,
    cn_date,
    font,
    put,
    save,
    wan_number,
)

TITLE = "国家、省级中试平台补助资金申请表"
UNIT = "单位：万元"
ANNEX = "附件3"
PROGRAMS = ("equipment-subsidy",)  # 细则 第四章（一）: the program this form applies for
LEVEL_WORDS = {"national": "国家级", "provincial": "省级", "municipal": "市级"}
LEVEL_RANK = {"municipal": 1, "provincial": 2, "national": 3}

# 申请单位负责人承诺, verbatim from seed 000 (附件3), half-width semicolons included.
UNDERTAKINGS = (
    "1. 本项目未违反国家产业政策、节能政策、环保政策;",
    "2. 本项目未享受过市级财政专项资金补助;",
    "3. 以上填列内容及提供材料真实有效。",
)
SIGNATURE = "法定代表人签字并盖章："
SEAL = "（盖章）"

# Labels, in the document's order and grouping.
GROUP_BASIC = "申请单位基本情况"
GROUP_PROMISE = "申请单位负责人承诺"
GROUP_REVIEW = "审核情况"
L_APPLICANT = "申请单位名称"
L_HEAD = "负责人"
L_PHONE = "电话"
L_CONTACT = "联系人"
L_MOBILE = "手机"
L_PLATFORM = "平台名称"
L_LEVEL = "获批级别"
L_EQUIPMENT = "本年度设备投入"
L_REQUESTED = "申报奖励资金"
L_DOCUMENT = "中试平台文件、文号"
L_ECON = "区级经商部门审核意见"
L_FINANCE = "区级财政部门审核意见"
WRAPPED = {L_ECON: "区级经商部门\n审核意见", L_FINANCE: "区级财政部门\n审核意见",
           GROUP_BASIC: "申请单位\n基本情况", GROUP_PROMISE: "申请单位\n负责人承诺"}


# ---------------------------------------------------------------- 1. the ledger's data


@dataclass(frozen=True)
class Annex3Data:
    """What the ledger knows about one claim that the form shows (raw: fen, dates, codes).

    Attributes:
        claim_number: the claim (申请编号); not printed on the form, used for sheet names.
        program: the claim's program.
        operator, head_person, head_phone, contact_person, contact_mobile, platform_name: the platform.
        level: ``national`` | ``provincial`` | ``municipal`` | ``""``.
        equipment_fen: 本年度设备投入 in fen, or ``None`` when the ledger has no figure.
        equipment_source: ``invoices`` (net of VAT) | ``audited`` | ``""``.
        equipment_by_year: the same figure year by year: ((year, fen), …) in year order.
        requested_fen: 申报奖励资金 in fen.
        platform_document: 中试平台文件、文号.
        econ_opinion, econ_date, finance_opinion, finance_date: the district reviews, if recorded.
    """

    claim_number: str
    program: str
    operator: str
    head_person: str
    head_phone: str
    contact_person: str
    contact_mobile: str
    platform_name: str
    level: str
    equipment_fen: int | None
    equipment_source: str
    requested_fen: int
    platform_document: str
    econ_opinion: str = ""
    econ_date: date | None = None
    finance_opinion: str = ""
    finance_date: date | None = None
    application_date: date | None = None
    equipment_by_year: tuple[tuple[int, int], ...] = ()


def _level_held(session: Session, platform_id: int, on: date) -> PlatformEvent | None:
    events = session.execute(
        select(PlatformEvent).where(PlatformEvent.platform_id == platform_id, PlatformEvent.kind == "recognition",
                                    PlatformEvent.date <= on).order_by(PlatformEvent.date, PlatformEvent.id)
    ).scalars().all()
    best: PlatformEvent | None = None
    for e in events:
        if e.level in LEVEL_RANK and (best is None or LEVEL_RANK[e.level] > LEVEL_RANK[best.level or ""]):
            best = e
    return best


def _recognition_at(session: Session, platform_id: int, level: str, on: date) -> PlatformEvent | None:
    return session.execute(
        select(PlatformEvent).where(PlatformEvent.platform_id == platform_id, PlatformEvent.kind == "recognition",
                                    PlatformEvent.level == level, PlatformEvent.date <= on)
        .order_by(PlatformEvent.date.desc(), PlatformEvent.id.desc())
    ).scalars().first()


def load(session: Session, claim_number: str) -> Annex3Data:
    """Read one claim's Annex 3 data from the ledger (read only)."""
    claim = session.execute(select(Claim).where(Claim.number == claim_number)).scalar_one_or_none()
    if claim is None:
        raise ReportError(f"申请编号 {claim_number!r} 不存在；请核对申请编号（如 SQ2026-000001）")
    return load_claim(session, claim)


# size: gathers the form's fields from the claim, platform, events and result; one look-up per field of Annex 3
def load_claim(session: Session, claim: Claim) -> Annex3Data:
    if claim.program not in PROGRAMS:
        raise ReportError(f"申请 {claim.number} 是 {claim.program} 项目的申请；附件3（{TITLE}）只用于"
                          f"细则 第四章（一）的项目（{'、'.join(PROGRAMS)}）")
    platform = session.get(Platform, claim.platform_id)
    assert platform is not None
    on = claim.application_date
    level = claim.level
    if not level:
        held = _level_held(session, platform.id, on)
        level = held.level or "" if held else ""
    document = claim.platform_document
    if not document and level:
        rec = _recognition_at(session, platform.id, level, on)
        document = rec.document_number if rec else ""
    by_year, source = _equipment_by_year(session, claim)
    equipment = sum(fen for _, fen in by_year) if by_year else None
    reviews = {r.department: r for r in session.execute(
        select(Review).where(Review.claim_id == claim.id).order_by(Review.id)).scalars()}
    econ, fin = reviews.get("economic"), reviews.get("finance")
    return Annex3Data(
        claim_number=claim.number, program=claim.program, operator=platform.operator,
        head_person=platform.head_person, head_phone=platform.head_phone,
        contact_person=platform.contact_person, contact_mobile=platform.contact_mobile,
        platform_name=platform.name, level=level, equipment_fen=equipment, equipment_source=source,
        requested_fen=int(claim.requested_fen), platform_document=document,
        econ_opinion=econ.opinion if econ else "", econ_date=econ.date if econ else None,
        finance_opinion=fin.opinion if fin else "", finance_date=fin.date if fin else None,
        application_date=on, equipment_by_year=by_year,
    )


def _equipment_by_year(session: Session, claim: Claim) -> tuple[tuple[tuple[int, int], ...], str]:
    """本年度设备投入 year by year: the claim's invoices (net) by invoice year, else the audited investment of
    its years; and which of the two it is."""
    invoices = session.execute(select(Invoice.date, Invoice.net_fen).where(Invoice.claim_id == claim.id)).all()
    if invoices:
        totals: dict[int, int] = {}
        for on, net in invoices:
            totals[on.year] = totals.get(on.year, 0) + int(net)
        return tuple(sorted(totals.items())), "invoices"
    if claim.years:
        rows = session.execute(select(Investment.year, Investment.amount_fen).where(
            Investment.platform_id == claim.platform_id, Investment.year.in_(list(claim.years)))).all()
        if rows:
            return tuple(sorted((int(y), int(a)) for y, a in rows)), "audited"
    return (), ""


def claims_of_jurisdiction(session: Session, jurisdiction: str, *, year: int | None = None,
                           states: Sequence[str] | None = None) -> list[Claim]:
    """The Annex 3 claims of a jurisdiction's platforms (属地), by application date and number."""
    q = (select(Claim).join(Platform, Platform.id == Claim.platform_id)
         .where(Platform.jurisdiction_code == jurisdiction, Claim.program.in_(PROGRAMS))
         .order_by(Claim.application_date, Claim.number))
    if year is not None:
        q = q.where(Claim.application_date >= date(year, 1, 1), Claim.application_date <= date(year, 12, 31))
    if states:
        q = q.where(Claim.state.in_(list(states)))
    return list(session.execute(q).scalars())


# ---------------------------------------------------------------- 2. field values (pure)


@dataclass(frozen=True)
class Annex3Form:
    """The form's field values. Amounts are held as exact ``Decimal`` 万元 (or ``None`` = blank) and printed
    (:meth:`printed`) with a fixed ``wan_decimals`` (4, or 2 under the reading ``display.wan_decimals``), rounded
    half up, the exact 元 beside them wherever the rounding changed the figure."""

    applicant: str = ""
    head_person: str = ""
    head_phone: str = ""
    contact_person: str = ""
    contact_mobile: str = ""
    platform_name: str = ""
    level: str = ""
    equipment_wan: Decimal | None = None
    requested_wan: Decimal | None = None
    platform_document: str = ""
    econ_opinion: str = ""
    econ_date: str = field(default_factory=lambda: cn_date(None))
    finance_opinion: str = ""
    finance_date: str = field(default_factory=lambda: cn_date(None))
    signature_date: str = field(default_factory=lambda: cn_date(None))
    claim_number: str = ""
    equipment_years: tuple[tuple[int, Decimal], ...] = ()
    wan_decimals: int = WAN_DECIMALS

    @property
    def amount_format(self) -> str:
        """The number format of an amount cell: ``#,##0.0000`` (4 decimals) or ``#,##0.00``."""
        return "#,##0." + "0" * self.wan_decimals

    def printed(self, amount: Decimal | None) -> Decimal | str | None:
        """An amount as the form prints it: the 万元 number with the fixed decimals; where that rounds the
        figure, a text with the exact 元 beneath (``248.0001`` / ``（2,480,000.50 元）``)."""
        if amount is None:
            return None
        fen = int(amount.scaleb(6))
        if not wan_rounded(fen, self.wan_decimals):
            return wan_fixed_decimal(fen, self.wan_decimals)
        return f"{wan_fixed(fen, self.wan_decimals)}\n（{yuan_grouped(fen)} 元）"

    def _line(self, head: str, amount: Decimal) -> str:
        fen = int(amount.scaleb(6))
        exact = f"（{yuan_grouped(fen)} 元）" if wan_rounded(fen, self.wan_decimals) else ""
        return f"{head} {wan_fixed(fen, self.wan_decimals)} 万元{exact}"

    @property
    def equipment(self) -> Decimal | str | None:
        """本年度设备投入 as printed: the 万元 number, or a line per year and the total when several."""
        if len(self.equipment_years) < 2:
            return self.printed(self.equipment_wan)
        lines = [self._line(f"{y}年", w) for y, w in self.equipment_years]
        return "\n".join([*lines, self._line("合计", self.equipment_wan or Decimal(0))])

    def fields(self) -> list[tuple[str, str, object]]:
        """Every field in the document's order: (group, label, value)."""
        return [
            (GROUP_BASIC, L_APPLICANT, self.applicant),
            (GROUP_BASIC, L_HEAD, self.head_person),
            (GROUP_BASIC, L_PHONE, self.head_phone),
            (GROUP_BASIC, L_CONTACT, self.contact_person),
            (GROUP_BASIC, L_MOBILE, self.contact_mobile),
            (GROUP_BASIC, L_PLATFORM, self.platform_name),
            (GROUP_BASIC, L_LEVEL, self.level),
            (GROUP_BASIC, L_EQUIPMENT, self.equipment),
            (GROUP_BASIC, L_REQUESTED, self.printed(self.requested_wan)),
            (GROUP_BASIC, L_DOCUMENT, self.platform_document),
            (GROUP_PROMISE, UNDERTAKINGS[0], None),
            (GROUP_PROMISE, UNDERTAKINGS[1], None),
            (GROUP_PROMISE, UNDERTAKINGS[2], None),
            (GROUP_PROMISE, SIGNATURE, None),
            (GROUP_PROMISE, "日期", self.signature_date),
            (GROUP_REVIEW, L_ECON, self.econ_opinion),
            (GROUP_REVIEW, f"{L_ECON}日期", self.econ_date),
            (GROUP_REVIEW, L_FINANCE, self.finance_opinion),
            (GROUP_REVIEW, f"{L_FINANCE}日期", self.finance_date),
        ]


def build(data: Annex3Data) -> Annex3Form:
    """The printed field values of a claim's form (pure)."""
    return Annex3Form(
        applicant=data.operator,
        head_person=data.head_person,
        head_phone=data.head_phone,
        contact_person=data.contact_person,
        contact_mobile=data.contact_mobile,
        platform_name=data.platform_name,
        level=LEVEL_WORDS.get(data.level, data.level),
        equipment_wan=wan_number(data.equipment_fen) if data.equipment_fen is not None else None,
        requested_wan=wan_number(data.requested_fen),
        platform_document=data.platform_document,
        econ_opinion=data.econ_opinion,
        econ_date=cn_date(data.econ_date),
        finance_opinion=data.finance_opinion,
        finance_date=cn_date(data.finance_date),
        claim_number=data.claim_number,
        equipment_years=tuple((y, wan_number(fen)) for y, fen in data.equipment_by_year),
        wan_decimals=wan_decimals(data.application_date),
    )


def blank() -> Annex3Form:
    """The empty form, for filling in by hand."""
    return Annex3Form()


# ---------------------------------------------------------------- 3. the xlsx layout

# Columns: A group label, B field label, C value, D second label, E second value.
WIDTHS = (11.0, 17.0, 25.0, 15.0, 25.0)
LAST_COL = "E"
ROW_ANNEX, ROW_TITLE, ROW_UNIT = 1, 2, 3
BASIC_FIRST = 4  # rows 4–10: 申请单位基本情况
PROMISE_FIRST, PROMISE_LAST = 11, 16  # rows 11–16: 承诺
REVIEW_FIRST, REVIEW_LAST = 17, 20  # rows 17–20: 审核情况
PRINT_AREA = f"A1:{LAST_COL}{REVIEW_LAST}"
HEIGHTS = {ROW_ANNEX: 22, ROW_TITLE: 54, ROW_UNIT: 24,
           **{r: 48 for r in range(BASIC_FIRST, BASIC_FIRST + 7)},
           11: 38, 12: 38, 13: 38, 14: 22, 15: 46, 16: 40,
           17: 78, 18: 78, 19: 36, 20: 40}
# Where each field of :meth:`Annex3Form.fields` is printed (the cells a prefilled form fills); the other
# fields (the undertakings and the signature line) are fixed text of the form.
FIELD_CELLS = {
    L_APPLICANT: f"C{BASIC_FIRST}", L_HEAD: f"C{BASIC_FIRST + 1}", L_PHONE: f"E{BASIC_FIRST + 1}",
    L_CONTACT: f"C{BASIC_FIRST + 2}", L_MOBILE: f"E{BASIC_FIRST + 2}", L_PLATFORM: f"C{BASIC_FIRST + 3}",
    L_LEVEL: f"C{BASIC_FIRST + 4}", L_EQUIPMENT: f"C{BASIC_FIRST + 5}", L_REQUESTED: f"E{BASIC_FIRST + 5}",
    L_DOCUMENT: f"C{BASIC_FIRST + 6}",
    "日期": f"B{PROMISE_LAST}",
    L_ECON: f"C{REVIEW_FIRST}", f"{L_ECON}日期": f"C{REVIEW_LAST}",
    L_FINANCE: f"E{REVIEW_FIRST}", f"{L_FINANCE}日期": f"E{REVIEW_LAST}",
}
MARGINS = (0.75, 0.75, 0.9, 0.8)  # inches: left, right, top, bottom (about 1.9/2.3/2.0 cm)
BODY = 12
LABEL = 12
LINE_PT = 16  # one line of 12 pt text, with the leading spreadsheets give it


INDENT_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True, indent=1)
SIGN_DATE = Alignment(horizontal="right", vertical="center", indent=4)
SEAL_ALIGN = Alignment(horizontal="right", vertical="center", indent=4)
REVIEW_DATE = Alignment(horizontal="right", vertical="center", indent=1)


class _Styles:
    """The cells' styles, collected while the form is laid out and applied once at the end.

    openpyxl hashes a font, alignment or border each time one is assigned to a cell; a form has about 140
    styled cells but only about 15 combinations of style, so each combination is assigned once, to the
    first cell that has it, and the other cells get a copy of that cell's style indices (what openpyxl's
    own worksheet copy does). The style objects are shared (:func:`reports.xlsx.font`, the alignment
    constants, :class:`reports.xlsx.Outlines`), so a combination is known by their identities."""

    def __init__(self) -> None:
        self.text: dict[str, tuple[Font, Alignment, str | None]] = {}

    def put(self, ws: Worksheet, ref: str, value: object, *, align: Alignment = CENTER, size: float = BODY,
            bold: bool = False, fmt: str | None = None, name: str | None = None) -> None:
        put(ws[ref], value)
        self.text[ref] = (font(size, bold=bold, name=name) if name else font(size, bold=bold), align, fmt)

    def apply(self, ws: Worksheet, outlines: Outlines) -> None:
        borders = {f"{get_column_letter(col)}{row}": border for (row, col), border in outlines.borders()}
        first: dict[tuple[int, int, str | None, int, bool], Any] = {}
        for ref in dict.fromkeys([*self.text, *borders]):
            f, align, fmt = self.text.get(ref, (None, None, None))
            border = borders.get(ref)
            cell = ws[ref]
            key = (id(f), id(align), fmt, id(border), cell.quotePrefix)  # put() sets quotePrefix
            if key in first:
                cell._style = copy(first[key])
                continue
            if f is not None:
                cell.font = f
                cell.alignment = align
            if fmt:
                cell.number_format = fmt
            if border is not None:
                cell.border = border
            first[key] = copy(cell._style)


def _merge(ws: Worksheet, ref: str) -> None:
    if ":" in ref:
        ws.merge_cells(ref)


# ---------------------------------------------------------------- long review opinions

# A review opinion goes into a box of two merged rows (C17:C18, E17:E18). How much text fits is estimated
# from the box's size; the estimate errs on the side of too little, since text that does not fit is cut
# off when printed. Units are half-width columns: a Latin letter or digit is 1, a CJK character 2
# (:func:`display_width`), and 1 unit is half an em, so a line at size s (pt) holds width/(s/2) units.
PT_PER_PX = 0.75  # 96 px to the inch
MAX_DIGIT_PX = 7  # the workbook's default font (Calibri 11): a column width unit is about 7 px
CELL_PAD_PT = 4.0  # the cell's inner padding, left and right together (and top and bottom)
INDENT_PT = 7.5  # one indent level (INDENT_LEFT)
WIDTH_SAFETY = 0.95  # faces and renderers differ (仿宋 in Excel or WPS, Noto Serif CJK in LibreOffice)
LINE_SPACING = 1.45  # line height per point of size (Noto Serif CJK's ascent + descent; 仿宋's is less)
FONT_FLOOR = 8.0  # the smallest size an opinion is printed in before it is continued on a separate page
SIZE_STEP = 0.5
CONTINUED = "（续见附页）"
# Breaking rules (禁则): no line starts with closing punctuation, none ends with opening punctuation.
NO_LINE_START = set("，。、；：？！）》」』】〕”’…—·%,.;:?!)]}")
NO_LINE_END = set("（《「『【〔“‘([{")


def display_width(text: str) -> int:
    """The width of ``text`` in half-width columns: 2 for a wide or fullwidth character (CJK ideographs, kana,
    hangul, fullwidth punctuation) and for an ambiguous one (“ ” … are full width in a Chinese face), 0 for a
    combining mark or format character, 1 for the rest; a line break counts 0."""
    width = 0
    for ch in text:
        width += _char_width(ch)
    return width


def _char_width(ch: str) -> int:
    if ch in "\n\r" or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


def _tokens(paragraph: str) -> list[str]:
    """The paragraph cut where a line may break: after each wide character, between words of Latin text at
    spaces (a space is a token of its own), never before closing or after opening punctuation."""
    tokens: list[str] = []
    for ch in paragraph:
        if not tokens:
            tokens.append(ch)
            continue
        last = tokens[-1]
        glue = (ch in NO_LINE_START or last[-1] in NO_LINE_END
                or (_char_width(ch) == 1 and not ch.isspace() and _char_width(last[-1]) == 1
                    and not last[-1].isspace()))
        if glue:
            tokens[-1] = last + ch
        else:
            tokens.append(ch)
    return tokens


def wrapped_lines(text: str, units_per_line: int) -> int:
    """How many lines ``text`` takes when wrapped greedily at ``units_per_line`` half-width columns (a line
    break in the text starts a new line; a word longer than a line is broken inside)."""
    units_per_line = max(units_per_line, 2)
    lines = 0
    for paragraph in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        lines += 1
        used = 0
        for token in _tokens(paragraph):
            w = display_width(token)
            if token.isspace():
                used = min(used + w, units_per_line)  # a space at the end of a line is swallowed
            elif used + w <= units_per_line:
                used += w
            elif w <= units_per_line:
                lines += 1
                used = w
            else:  # a token wider than a line is broken inside
                for ch in token:
                    cw = _char_width(ch)
                    if used + cw > units_per_line:
                        lines += 1
                        used = 0
                    used += cw
    return lines


@dataclass(frozen=True)
class Box:
    """A text box on the sheet: its usable width and height in points."""

    width_pt: float
    height_pt: float

    def capacity(self, size: float) -> tuple[int, int]:
        """(half-width columns per line, lines) at ``size`` pt."""
        units = int(self.width_pt * WIDTH_SAFETY / (size / 2))
        lines = int(self.height_pt / (size * LINE_SPACING))
        return units, lines

    def fits(self, text: str, size: float) -> bool:
        units, lines = self.capacity(size)
        return wrapped_lines(text, units) <= lines


def column_pt(width: float) -> float:
    """A column width (in characters of the default font, as stored in the file) in points."""
    return int((256 * width + int(128 / MAX_DIGIT_PX)) / 256 * MAX_DIGIT_PX) * PT_PER_PX


def _box(widths: Sequence[float], heights: Sequence[float], *, indent: float = INDENT_PT) -> Box:
    return Box(sum(column_pt(w) for w in widths) - CELL_PAD_PT - indent, sum(heights) - CELL_PAD_PT)


# The opinion boxes C17:C18 and E17:E18: column C (= E) and rows 17–18, less padding and the indent.
OPINION_BOX = _box([WIDTHS[2]], [HEIGHTS[REVIEW_FIRST], HEIGHTS[REVIEW_FIRST + 1]])
assert WIDTHS[2] == WIDTHS[4]


@dataclass(frozen=True)
class Fitted:
    """How an opinion is printed in its box: the box's text, its font size, and whether it is continued."""

    text: str
    size: float
    continued: bool


def fit_opinion(opinion: str, box: Box, *, body: float = BODY, floor: float = FONT_FLOOR) -> Fitted:
    """The rule for an opinion box: the opinion at the body size if it fits; else at the largest size down to
    ``floor`` (in steps of half a point) at which it fits; else, at the body size, the longest beginning of
    the opinion that fits followed by ``（续见附页）`` — the opinion is then printed in full on the
    continuation sheet (:func:`write_continuation`)."""
    if not opinion or box.fits(opinion, body):
        return Fitted(opinion, body, False)
    size = body - SIZE_STEP
    while size >= floor:
        if box.fits(opinion, size):
            return Fitted(opinion, size, False)
        size -= SIZE_STEP
    # binary search for the longest beginning that fits with the mark (k = 0 always fits: only the mark)
    lo, hi = 0, len(opinion)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if box.fits(opinion[:mid].rstrip() + CONTINUED, body):
            lo = mid
        else:
            hi = mid
    head = opinion[:lo].rstrip()
    # end at a sentence or clause when one ends in the last third of what fits
    cut = max(head.rfind(p) for p in "。；！？")
    if cut >= len(head) * 2 // 3:
        head = head[:cut + 1]
    return Fitted(head + CONTINUED, body, True)


# The continuation sheet (审核意见附页): columns A (the department) and B (its opinion in full).
CONT_SUFFIX = "（审核意见附页）"
CONT_TITLE = "审核意见（附页）"
CONT_WIDTHS = (16.0, 70.0)
CONT_HEAD_ROWS = 4  # 附件3 附页 · title · 接申请表 … · 申请编号 / 平台 / 单位: repeated on every printed page
CONT_LINES_PER_ROW = 20  # the opinion is cut into rows of at most this many lines (a row is at most 409 pt)
CONT_MARGINS = (0.75, 0.75, 0.9, 0.8)
TOP_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True, indent=1)


@dataclass(frozen=True)
class Continued:
    """An opinion that did not fit its box: the department's label, the full opinion and its date as
    printed."""

    label: str
    opinion: str
    when: str


def continuation_title(sheet: str, taken: set[str]) -> str:
    """The continuation sheet's name: the form sheet's name followed by （审核意见附页）, shortened at the
    front part (never the suffix) to the 31 characters a sheet name may have, and unique in ``taken``."""
    clean = "".join("_" if ch in '[]:*?/\\' else ch for ch in sheet)
    return sheet_title(clean[:31 - len(CONT_SUFFIX)] + CONT_SUFFIX, taken)


def opinion_rows(opinion: str, units_per_line: int, lines_per_row: int = CONT_LINES_PER_ROW) -> list[str]:
    """``opinion`` cut into consecutive pieces of at most ``lines_per_row`` wrapped lines each; their
    concatenation is ``opinion`` exactly. A piece ends after a paragraph or a sentence when one ends in its
    second half, else where the wrapping starts a new line."""
    pieces: list[str] = []
    start = 0
    n = len(opinion)
    while start < n:
        lo, hi = start + 1, n  # the longest piece from start that wraps within lines_per_row lines
        if wrapped_lines(opinion[start:hi], units_per_line) <= lines_per_row:
            lo = hi
        else:
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if wrapped_lines(opinion[start:mid], units_per_line) <= lines_per_row:
                    lo = mid
                else:
                    hi = mid
        if lo < n:  # end the piece with a paragraph or a sentence when one ends in its last half
            cut = max(opinion.rfind(p, start, lo) for p in "\n。；！？")
            if cut >= start and cut + 1 - start >= (lo - start) // 2:
                lo = cut + 1
        pieces.append(opinion[start:lo])
        start = lo
    return pieces


def write_continuation(ws: Worksheet, form: Annex3Form, continued: Sequence[Continued], *,
                       form_sheet: str) -> None:
    """The 审核意见附页 of ``form``: a title naming the claim and the form's sheet, then each continued
    opinion in full — its department, the text (in rows of a few lines, so that a long opinion runs on
    over as many A4 pages as it needs), （盖章） and the date. A4 portrait, one page wide; the head rows
    are repeated on every page and the footer numbers the pages."""
    styles = _Styles()
    outlines = Outlines()
    for i, width in enumerate(CONT_WIDTHS):
        ws.column_dimensions["AB"[i]].width = width
    ws.merge_cells("A1:B1")
    styles.put(ws, "A1", f"{ANNEX} 附页", align=LEFT)
    ws.merge_cells("A2:B2")
    styles.put(ws, "A2", CONT_TITLE, size=18, bold=True, name=TITLE_FONT)
    ws.merge_cells("A3:B3")
    styles.put(ws, "A3", f"接《{TITLE}》（工作表“{form_sheet}”）审核情况栏", align=LEFT)
    ws.merge_cells("A4:B4")
    who = [f"申请编号：{form.claim_number}" if form.claim_number else "",
           f"平台名称：{form.platform_name}" if form.platform_name else "",
           f"申请单位：{form.applicant}" if form.applicant else ""]
    styles.put(ws, "A4", "　".join(w for w in who if w) or None, align=LEFT)
    for row, height in ((1, 22), (2, 44), (3, 24), (4, 40)):
        ws.row_dimensions[row].height = height
    text_box = _box(CONT_WIDTHS[1:], [0])
    units, _ = text_box.capacity(BODY)
    line_pt = BODY * LINE_SPACING
    r = CONT_HEAD_ROWS + 1
    for item in continued:
        pieces = opinion_rows(item.opinion, units)
        first, last = r, r + len(pieces) + 1
        ws.merge_cells(f"A{first}:A{last}")
        styles.put(ws, f"A{first}", WRAPPED.get(item.label, item.label), size=LABEL)
        for k, piece in enumerate(pieces):
            styles.put(ws, f"B{r + k}", piece, align=TOP_LEFT)
            lines = wrapped_lines(piece, units)
            ws.row_dimensions[r + k].height = round(lines * line_pt + 2 * CELL_PAD_PT + 2, 1)
        r += len(pieces)
        styles.put(ws, f"B{r}", SEAL, align=SEAL_ALIGN)
        ws.row_dimensions[r].height = 36
        styles.put(ws, f"B{r + 1}", item.when, align=REVIEW_DATE)
        ws.row_dimensions[r + 1].height = 30
        outlines.box(f"A{first}:A{last}").box(f"B{first}:B{last}")
        r = last + 1
    styles.apply(ws, outlines)
    a4(ws, fit_width=1, fit_height=0, margins=CONT_MARGINS)
    ws.print_area = f"A1:B{r - 1}"
    ws.print_title_rows = f"1:{CONT_HEAD_ROWS}"
    footer = ws.oddFooter
    assert footer is not None  # openpyxl makes every sheet's footer; its stubs say it may be None
    footer.center.text = "第 &P 页，共 &N 页"
    ws.sheet_view.showGridLines = False


# size: lays out the printed form (附件3) top to bottom, one block per box of the form; cell positions read in order
def write_sheet(ws: Worksheet, form: Annex3Form) -> list[Continued]:
    """Lay ``form`` out on ``ws`` (a normal, not write-only, worksheet). Returns the review opinions that did
    not fit their boxes (:func:`fit_opinion`), for :func:`write_continuation`; :func:`add_form` does both."""
    styles = _Styles()
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions["ABCDE"[i]].width = width
    for row, height in HEIGHTS.items():
        ws.row_dimensions[row].height = height

    styles.put(ws, "A1", ANNEX, align=LEFT, size=12)
    _merge(ws, "A2:E2")
    styles.put(ws, "A2", TITLE, size=18, bold=True, name=TITLE_FONT)
    _merge(ws, "A3:E3")
    styles.put(ws, "A3", UNIT, align=RIGHT, size=12)

    # 申请单位基本情况: rows 4–10
    b = BASIC_FIRST
    grid = [f"A{b}:A{b + 6}", f"B{b}", f"C{b}:E{b}",
            f"B{b + 1}", f"C{b + 1}", f"D{b + 1}", f"E{b + 1}",
            f"B{b + 2}", f"C{b + 2}", f"D{b + 2}", f"E{b + 2}",
            f"B{b + 3}", f"C{b + 3}:E{b + 3}",
            f"B{b + 4}", f"C{b + 4}:E{b + 4}",
            f"B{b + 5}", f"C{b + 5}", f"D{b + 5}", f"E{b + 5}",
            f"B{b + 6}", f"C{b + 6}:E{b + 6}"]
    for ref in grid:
        _merge(ws, ref)
    styles.put(ws, f"A{b}", WRAPPED[GROUP_BASIC], size=LABEL)
    labels = [(f"B{b}", L_APPLICANT), (f"B{b + 1}", L_HEAD), (f"D{b + 1}", L_PHONE), (f"B{b + 2}", L_CONTACT),
              (f"D{b + 2}", L_MOBILE), (f"B{b + 3}", L_PLATFORM), (f"B{b + 4}", L_LEVEL),
              (f"B{b + 5}", L_EQUIPMENT), (f"D{b + 5}", L_REQUESTED), (f"B{b + 6}", L_DOCUMENT)]
    for ref, text in labels:
        styles.put(ws, ref, text, size=LABEL)
    values = {label: value for _, label, value in form.fields()}
    for label in (L_APPLICANT, L_HEAD, L_PHONE, L_CONTACT, L_MOBILE, L_PLATFORM, L_LEVEL, L_DOCUMENT):
        styles.put(ws, FIELD_CELLS[label], values[label] or None)
    for amount, label in ((form.equipment, L_EQUIPMENT), (form.printed(form.requested_wan), L_REQUESTED)):
        if isinstance(amount, str):  # several years, or the exact 元 beside: a line each (the row grows)
            styles.put(ws, FIELD_CELLS[label], amount, align=INDENT_LEFT)
            lines = wrapped_lines(amount, int(WIDTHS[2 if label == L_EQUIPMENT else 4]) - 2)
            dims = ws.row_dimensions[BASIC_FIRST + 5]
            dims.height = max(dims.height or 0, HEIGHTS[BASIC_FIRST + 5], LINE_PT * lines + 8)
            continue
        styles.put(ws, FIELD_CELLS[label], amount, fmt=form.amount_format if amount is not None else None)
    outlines = Outlines()
    for ref in grid:
        outlines.box(ref if ":" in ref else f"{ref}:{ref}")

    # 申请单位负责人承诺: rows 11–16, the three undertakings verbatim, then the signature and its date
    p0, p1 = PROMISE_FIRST, PROMISE_LAST
    _merge(ws, f"A{p0}:A{p1}")
    styles.put(ws, f"A{p0}", WRAPPED[GROUP_PROMISE], size=LABEL)
    for k, text in enumerate(UNDERTAKINGS):
        _merge(ws, f"B{p0 + k}:E{p0 + k}")
        styles.put(ws, f"B{p0 + k}", text, align=INDENT_LEFT)
    _merge(ws, f"B{p0 + 3}:E{p0 + 3}")
    _merge(ws, f"B{p0 + 4}:C{p0 + 4}")
    _merge(ws, f"D{p0 + 4}:E{p0 + 4}")
    styles.put(ws, f"D{p0 + 4}", SIGNATURE, align=LEFT)
    _merge(ws, f"B{p1}:E{p1}")
    styles.put(ws, FIELD_CELLS["日期"], form.signature_date, align=SIGN_DATE)
    outlines.box(f"A{p0}:A{p1}").box(f"B{p0}:E{p1}")

    # 审核情况: rows 17–20, each department: label, opinion, （盖章）, 年 月 日
    r0, r1 = REVIEW_FIRST, REVIEW_LAST
    continued: list[Continued] = []
    _merge(ws, f"A{r0}:A{r1}")
    styles.put(ws, f"A{r0}", GROUP_REVIEW, size=LABEL)
    for label_col, value_col, label, opinion, when in (("B", "C", L_ECON, form.econ_opinion, form.econ_date),
                                                       ("D", "E", L_FINANCE, form.finance_opinion,
                                                        form.finance_date)):
        assert FIELD_CELLS[label] == f"{value_col}{r0}" and FIELD_CELLS[f"{label}日期"] == f"{value_col}{r1}"
        _merge(ws, f"{label_col}{r0}:{label_col}{r1}")
        styles.put(ws, f"{label_col}{r0}", WRAPPED[label], size=LABEL)
        _merge(ws, f"{value_col}{r0}:{value_col}{r0 + 1}")
        fitted = fit_opinion(opinion, OPINION_BOX)
        styles.put(ws, f"{value_col}{r0}", fitted.text or None, align=INDENT_LEFT, size=fitted.size)
        if fitted.continued:
            continued.append(Continued(label, opinion, when))
        styles.put(ws, f"{value_col}{r0 + 2}", SEAL, align=SEAL_ALIGN)
        styles.put(ws, f"{value_col}{r1}", when, align=REVIEW_DATE)
        outlines.box(f"{label_col}{r0}:{label_col}{r1}").box(f"{value_col}{r0}:{value_col}{r1}")
    outlines.box(f"A{r0}:A{r1}")
    styles.apply(ws, outlines)

    a4(ws, fit_width=1, fit_height=1, margins=MARGINS)
    ws.print_area = PRINT_AREA
    ws.sheet_view.showGridLines = False
    return continued


def sheet_title(name: str, taken: set[str]) -> str:
    """A worksheet name (≤ 31 characters, none of []:*?/\\), unique in ``taken``."""
    clean = "".join("_" if ch in '[]:*?/\\' else ch for ch in name)[:31] or "附件3"
    title, k = clean, 1
    while title in taken:
        k += 1
        suffix = f"_{k}"
        title = clean[:31 - len(suffix)] + suffix
    taken.add(title)
    return title


def add_form(wb: Workbook, form: Annex3Form, title: str, taken: set[str]) -> Worksheet:
    """Add ``form`` to ``wb`` as the sheet ``title`` and, when an opinion did not fit its box, its
    continuation sheet right after it (named by :func:`continuation_title`). Returns the form's sheet."""
    ws: Worksheet = wb.create_sheet(title)
    continued = write_sheet(ws, form)
    if continued:
        write_continuation(wb.create_sheet(continuation_title(title, taken)), form, continued, form_sheet=title)
    return ws


def workbook(forms: Sequence[Annex3Form], *, by_claim: bool = False) -> Workbook:
    """One sheet per form: named 附件3, or by the claim number when ``by_claim`` (a batch); a form whose
    review opinion is too long for its box is followed by its 审核意见附页 sheet."""
    wb = Workbook()
    default = wb.active
    taken: set[str] = set()
    for form in forms:
        name = form.claim_number if by_claim and form.claim_number else ANNEX
        add_form(wb, form, sheet_title(name, taken), taken)
    if default is not None:
        wb.remove(default)
    wb.properties.title = TITLE
    wb.properties.subject = ", ".join(f.claim_number for f in forms if f.claim_number)
    return wb


def write_claim(session: Session, claim_number: str, out: str | Path) -> Path:
    """The prefilled form of one claim, in a workbook of its own."""
    return save(workbook([build(load(session, claim_number))]), out)


def write_blank(out: str | Path) -> Path:
    return save(workbook([blank()]), out)


def write_batch(session: Session, jurisdiction: str, out: str | Path, *, year: int | None = None,
                states: Sequence[str] | None = None, progress: Callable[[int, int], None] | None = None) -> Path:
    """One workbook for a jurisdiction's claims, one sheet per claim (named by the claim number);
    ``progress(done, total)`` after each claim's sheet."""
    claims = claims_of_jurisdiction(session, jurisdiction, year=year, states=states)
    if not claims:
        raise ReportError(f"区县 {jurisdiction!r} 没有 {'、'.join(PROGRAMS)} 项目的申请；请核对区县和年度")
    sheets = []
    for k, c in enumerate(claims, 1):
        sheets.append(build(load_claim(session, c)))
        if progress:
            progress(k, len(claims))
    return save(workbook(sheets, by_claim=True), out)


