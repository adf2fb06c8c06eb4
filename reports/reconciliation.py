"""Cap reconciliation for auditors (累计上限对账): per platform and program, the level held, the cap,
and what the journal says was approved, issued, paid and recovered, with the headroom left; every
figure traceable to the postings behind it and recomputed by formulas in the workbook itself.

Sheets, in order:

``说明``
    Scope, definitions, and the grand totals three ways: from the ledger (``ledger.queries.balance``),
    as the sum of the 对账表 column (``SUM``), and recomputed from the 分录 listing (``SUMIFS``).
``对账表`` (one row per platform and program)
    Values from the journal — 累计审定 = −(8102 + 8103 + 8104), 已下达 = −(8103 + 8104), 已拨付 = −8104,
    已追回 = debits to 1201 应收追回款, 追回到账 = credits to 1201, 剩余额度 = cap − 累计审定 — then the
    same five figures as formulas (``SUMIFS`` over the row's block of the 分录 listing, with the
    platform, program and account as criteria), the headroom by formula, and a 核对 cell that says
    whether values and formulas agree. The level and the cap are the calculators' (``calculators.caps``)
    on the as-of date.
``例外`` (exceptions: each a :class:`Discrepancy`, found by one function per check, :data:`CLAIM_CHECKS`)
    Disagreements between the journal and the claim records: approved amount vs committed postings,
    approval shares vs committed postings per payer, payments table vs expended postings, payment rows
    with no journal entry, fund issues vs obligated postings, recoveries vs the receivable, budgets vs
    appropriation postings, paid claims with an outstanding obligation, commitments above the cap.
``分录``, ``分录2`` … (postings)
    Every posting behind the figures (accounts 8102, 8103, 8104, 1201), sorted by platform, program,
    account and entry, amounts in integer fen (exact in a spreadsheet), with the entry's date and kind;
    a new sheet every :data:`ROWS_PER_SHEET` rows. ``all_postings=True`` lists every posting of the
    journal instead (the figures and formulas are unchanged: the criteria pick their accounts).
``凭证`` (entries)
    The entries those postings belong to: number, date, kind, claim, description, entry reversed.

Memory does not grow with the number of postings: the postings and entries are read with a streaming
cursor and written through :class:`reports.xlsx.StreamingWorksheet` (openpyxl write-only); what is kept
in memory is per platform and program or per claim (the recognitions, the caps, the exception checks).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl import Workbook
from sqlalchemy import case, exists, func, literal, select
from sqlalchemy.orm import Session

from calculators.caps import cap_on
from calculators.errors import CalculatorError
from calculators.labels import program_title
from calculators.rulesets.bundled import rulebook
from ledger import accounts as A
from ledger.history import DECIDED
from ledger.models import (
    Approval,
    Budget,
    Claim,
    ClaimEvent,
    FundIssue,
    JournalEntry,
    Jurisdiction,
    Payment,
    Platform,
    PlatformEvent,
    Posting,
    Recovery,
)
from ledger.queries import balance
from reports.common import LEVEL_RANK, level_words
from reports.xlsx import (
    CENTER,
    DATE_FORMAT,
    LEFT,
    YUAN_FORMAT,
    Formula,
    cn_date,
    font,
    header_row,
    new_write_only,
    save,
    set_widths,
    sheet_for,
    styled,
    yuan_number,
)

P = Posting.__table__
E = JournalEntry.__table__
C = Claim.__table__

FIGURE_ACCOUNTS = (A.COMMITTED, A.OBLIGATED, A.EXPENDED, A.RECOVERY_RECEIVABLE)
ROWS_PER_SHEET = 1_000_000  # an xlsx sheet holds 1,048,576 rows
SUMMARY_HEADER_ROWS = 3
STREAM_BATCH = 10_000

# 分录 columns
PC = {"posting": "A", "entry": "B", "date": "C", "kind": "D", "account": "E", "platform": "F", "program": "G",
      "payer": "H", "claim": "I", "fiscal_year": "J", "amount": "K"}
POSTING_HEADINGS = ["分录ID", "凭证号", "记账日期", "凭证类型", "科目", "平台ID", "补助项目代码", "财政", "申请编号",
                    "预算年度", "金额（分，借正贷负）"]
# 对账表 columns
SUMMARY_HEADINGS = ["平台ID", "平台编码", "平台名称", "属地", "补助项目", "获批级别", "累计上限",
                    "累计审定", "已下达", "已拨付", "已追回", "追回到账", "剩余额度",
                    "累计审定（公式）", "已下达（公式）", "已拨付（公式）", "已追回（公式）", "追回到账（公式）",
                    "剩余额度（公式）", "核对", "补助项目代码"]
PROGRAM_CODE_COL = "U"
"""The 对账表's program code: 补助项目 (E) shows the program's Chinese name; the SUMIFS match this code
against the 分录 listing's 补助项目代码 column."""
MEASURES = ("committed", "issued", "paid", "recovered", "received")
MEASURE_LABEL = {"committed": "累计审定", "issued": "已下达", "paid": "已拨付", "recovered": "已追回",
                 "received": "追回到账"}
VALUE_COL = {"committed": "H", "issued": "I", "paid": "J", "recovered": "K", "received": "L"}
FORMULA_COL = {"committed": "N", "issued": "O", "paid": "P", "recovered": "Q", "received": "R"}
# measure → [(account, sign filter, factor)] : figure = factor × Σ amount over the account (and sign)
TERMS: dict[str, list[tuple[str, str | None, int]]] = {
    "committed": [(A.COMMITTED, None, -1), (A.OBLIGATED, None, -1), (A.EXPENDED, None, -1)],
    "issued": [(A.OBLIGATED, None, -1), (A.EXPENDED, None, -1)],
    "paid": [(A.EXPENDED, None, -1)],
    "recovered": [(A.RECOVERY_RECEIVABLE, ">0", 1)],
    "received": [(A.RECOVERY_RECEIVABLE, "<0", -1)],
}


_ACCOUNT_TERMS: dict[str, list[tuple[str, str | None, int]]] = defaultdict(list)
for _m, _terms in TERMS.items():
    for _acc, _sign, _factor in _terms:
        _ACCOUNT_TERMS[_acc].append((_m, _sign, _factor))


def measure_of(account: str, amount: int) -> dict[str, int]:
    """What one posting adds to each figure (fen)."""
    out: dict[str, int] = {}
    for m, sign, factor in _ACCOUNT_TERMS.get(account, ()):
        if sign is None or (sign == ">0" and amount > 0) or (sign == "<0" and amount < 0):
            out[m] = out.get(m, 0) + factor * amount
    return out


# ---------------------------------------------------------------- levels and caps


class Caps:
    """Level and cap per platform and program on a date, by the calculators, memoised by history."""

    def __init__(self, session: Session, on: date) -> None:
        self.on = on
        self.book = rulebook()
        self.recognitions: dict[int, list[tuple[str, date, str]]] = defaultdict(list)
        for pid, level, when, doc in session.execute(
            select(PlatformEvent.platform_id, PlatformEvent.level, PlatformEvent.date, PlatformEvent.document_number)
            .where(PlatformEvent.kind == "recognition").order_by(PlatformEvent.platform_id, PlatformEvent.date,
                                                                 PlatformEvent.id)
        ):
            if level:
                self.recognitions[pid].append((level, when, doc or ""))
        self._memo: dict[tuple[Any, ...], tuple[str, int | None, str]] = {}

    def of(self, platform_id: int | None, program: str | None) -> tuple[str, int | None, str]:
        """(level code, cap in fen or None, clause)."""
        recs = tuple((lvl, when) for lvl, when, _ in self.recognitions.get(platform_id or -1, ()))
        key = (recs, program)
        if key in self._memo:
            return self._memo[key]
        held = [lvl for lvl, when in recs if when <= self.on and lvl in LEVEL_RANK]
        level = max(held, key=lambda lvl: LEVEL_RANK[lvl]) if held else ""
        cap: int | None = None
        clause = ""
        if program:
            try:
                found = cap_on(recs, self.book, program, self.on)
            except CalculatorError:
                found = None
            if found is not None:
                level, cap, clause = found.level, found.limit, found.clause
        self._memo[key] = (level, cap, clause)
        return level, cap, clause


# ---------------------------------------------------------------- discrepancies (例外)


@dataclass(frozen=True)
class Discrepancy:
    """One disagreement (差异) between the journal and the records (amounts in fen)."""

    check: str
    claim: str
    payer: str
    platform: str
    records_fen: int | None
    journal_fen: int | None
    note: str

    @property
    def difference_fen(self) -> int | None:
        if self.records_fen is None or self.journal_fen is None:
            return None
        return self.records_fen - self.journal_fen


def _sum_by(session: Session, keys: Sequence[Any], accounts: Sequence[str], *, sign: int = -1,
            as_of: date | None = None, positive: bool | None = None) -> dict[tuple[Any, ...], int]:
    """Σ amount of the postings to ``accounts`` grouped by ``keys`` (× ``sign``), zero sums left out."""
    amount: Any = P.c.amount_fen
    if positive is True:
        amount = case((P.c.amount_fen > 0, P.c.amount_fen), else_=0)
    elif positive is False:
        amount = case((P.c.amount_fen < 0, P.c.amount_fen), else_=0)
    q = select(*keys, func.sum(amount)).where(P.c.account_code.in_(list(accounts))).group_by(*keys)
    if as_of is not None:
        q = q.select_from(P.join(E, E.c.id == P.c.entry_id)).where(E.c.entry_date <= as_of)
    return {tuple(row[:-1]): sign * int(row[-1]) for row in session.execute(q) if row[-1]}


# What the per-claim checks compare, from one read of a window's postings: name → (accounts, sign filter).
WINDOW_SUMS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "committed": (tuple(A.COMMITTED_ACCOUNTS), None),  # −: 累计审定
    "issued": ((A.OBLIGATED, A.EXPENDED), None),  # −: 已下达
    "obligated": ((A.OBLIGATED,), None),  # −: 已下达未拨付
    "expended": ((A.EXPENDED,), None),  # −: 已拨付
    "rec_debit": ((A.RECOVERY_RECEIVABLE,), ">0"),  # +: 应收追回款 debits
    "rec_credit": ((A.RECOVERY_RECEIVABLE,), "<0"),  # −: 追回到账
}
Sums = dict[tuple[int, str | None], dict[str, int]]
"""Per (claim id, payer): the raw sums of :data:`WINDOW_SUMS` (fen, debit +)."""


def _window_sums(session: Session, ids: tuple[int, int], as_of: date | None) -> Sums:
    """Per (claim, payer) of the claims with ids in ``ids``: the raw sums of :data:`WINDOW_SUMS` (fen, debit +).

    One pass over the window's postings, read through the ``claim_id`` index: only the claim range is in
    WHERE, the accounts are inside the sums. (With the accounts in WHERE, SQLite, which has no statistics
    unless ANALYZE was run, picks the account index and reads every posting of those accounts for each
    window.)"""
    cols = []
    for name, (accounts, sign) in WINDOW_SUMS.items():
        cond: Any = P.c.account_code.in_(list(accounts))
        if sign == ">0":
            cond = cond & (P.c.amount_fen > 0)
        elif sign == "<0":
            cond = cond & (P.c.amount_fen < 0)
        cols.append(func.sum(case((cond, P.c.amount_fen), else_=0)).label(name))
    q = (select(P.c.claim_id, P.c.payer_code, *cols).where(P.c.claim_id.between(*ids))
         .group_by(P.c.claim_id, P.c.payer_code))
    if as_of is not None:
        q = q.select_from(P.join(E, E.c.id == P.c.entry_id)).where(E.c.entry_date <= as_of)
    names = tuple(WINDOW_SUMS)
    out: Sums = {}
    for claim_id, payer, *values in session.execute(q):
        if any(values):
            out[(claim_id, payer)] = {name: int(v or 0) for name, v in zip(names, values, strict=True)}
    return out


def _by_claim(sums: Sums, name: str, sign: int) -> dict[tuple[int], int]:
    out: dict[tuple[int], int] = defaultdict(int)
    for (cid, _payer), v in sums.items():
        out[(cid,)] += sign * v[name]
    return {k: v for k, v in out.items() if v}


def _by_payer(sums: Sums, name: str, sign: int) -> dict[tuple[int, str | None], int]:
    return {k: sign * v[name] for k, v in sums.items() if v[name]}


def _by_claim_and_payer(key: tuple[int, str | None]) -> tuple[int, str]:
    return key[0] or 0, key[1] or ""


class ClaimRecord(NamedTuple):
    id: int
    number: str
    platform_id: int
    state: str
    approved_fen: int | None


class ApprovalRecord(NamedTuple):
    claim_id: int
    meeting_date: date
    shares: dict[str, int]


class PaymentRecord(NamedTuple):
    id: int
    claim_id: int
    payer: str
    voucher: str
    amount: int
    entry: int | None  # the pay entry (拨付凭证) recorded for it
    reversed: bool  # that entry has been reversed


class RecoveryRecord(NamedTuple):
    claim_id: int
    payer: str
    amount: int
    received: int


@dataclass(frozen=True)
class ClaimWindow:
    """What the per-claim checks compare for one window of claims: the claim records (their latest approval,
    payments, fund issues and recoveries, dated up to ``as_of``) and the journal's sums for them."""

    claims: dict[int, ClaimRecord]
    sums: Sums
    approvals: dict[int, ApprovalRecord] = field(default_factory=dict)  # the latest of each claim
    payments: list[PaymentRecord] = field(default_factory=list)
    fund_issues: dict[int, str] = field(default_factory=dict)  # claim id → document number
    recoveries: list[RecoveryRecord] = field(default_factory=list)
    platforms: dict[int, str] = field(default_factory=dict)  # platform id → code
    as_of: date | None = None

    def dated(self, when: date | None) -> bool:
        """Whether a record dated ``when`` counts on the as-of date."""
        return self.as_of is None or when is None or when <= self.as_of

    def found(self, check: str, claim: ClaimRecord, payer: str | None, records: int | None, journal: int | None,
              note: str) -> Discrepancy:
        return Discrepancy(check, claim.number, payer or "", self.platforms.get(claim.platform_id, ""), records,
                           journal, note)


def read_window(session: Session, ids: tuple[int, int], as_of: date | None, platforms: dict[int, str]) -> ClaimWindow:
    """The records and sums of the claims with ids in ``ids`` (first, last): one query each."""
    first, last = ids
    claims = {row.id: ClaimRecord(*row) for row in session.execute(
        select(Claim.id, Claim.number, Claim.platform_id, Claim.state, Claim.approved_fen)
        .where(Claim.id.between(first, last)).order_by(Claim.id))}
    approvals = {a.claim_id: ApprovalRecord(*a) for a in session.execute(
        select(Approval.claim_id, Approval.meeting_date, Approval.shares)
        .where(Approval.claim_id.between(first, last)).order_by(Approval.id))}
    # payments with the pay entry each one has (matched by the event's note) and whether it was reversed
    pay_entry = (select(ClaimEvent.entry_id)
                 .where(ClaimEvent.claim_id == Payment.claim_id, ClaimEvent.action == "pay",
                        ClaimEvent.note == Payment.payer_code + literal(" ") + Payment.voucher_number)
                 .correlate(Payment).scalar_subquery())
    reversed_ = exists().where(E.c.reverses_id == pay_entry)
    if as_of is not None:
        reversed_ = exists().where(E.c.reverses_id == pay_entry, E.c.entry_date <= as_of)
    q = (select(Payment.id, Payment.claim_id, Payment.payer_code, Payment.voucher_number, Payment.date,
                Payment.amount_fen, pay_entry.label("entry"), reversed_.label("reversed"))
         .where(Payment.claim_id.between(first, last)).order_by(Payment.claim_id, Payment.id))
    if as_of is not None:
        q = q.where(Payment.date <= as_of)
    payments = [PaymentRecord(pid, cid, payer, voucher, int(amount), entry, bool(was_reversed))
                for pid, cid, payer, voucher, _when, amount, entry, was_reversed in session.execute(q)]
    fund_issues = {cid: doc for cid, doc, when in session.execute(
        select(FundIssue.claim_id, FundIssue.document_number, FundIssue.date)
        .where(FundIssue.claim_id.between(first, last))) if as_of is None or when <= as_of}
    q2 = (select(Recovery.claim_id, Recovery.payer_code, Recovery.amount_fen, Recovery.received_fen)
          .where(Recovery.claim_id.between(first, last)))
    if as_of is not None:
        q2 = q2.where(Recovery.date <= as_of)
    recoveries = [RecoveryRecord(cid, payer, int(amount), int(received))
                  for cid, payer, amount, received in session.execute(q2)]
    return ClaimWindow(claims, _window_sums(session, ids, as_of), approvals, payments, fund_issues, recoveries,
                       platforms, as_of)


def approved_amounts_not_committed(w: ClaimWindow) -> Iterator[Discrepancy]:
    """审定 vs 承诺分录: a claim whose approved amount (0 until decided) is not what its commitment postings
    (8102 + 8103 + 8104) add up to. A claim approved after the as-of date is not checked."""
    committed = _by_claim(w.sums, "committed", -1)
    for cid, c in w.claims.items():
        approval = w.approvals.get(cid)
        if approval is not None and not w.dated(approval.meeting_date):
            continue
        expected = int(c.approved_fen or 0) if c.state in DECIDED else 0
        journal = committed.get((cid,), 0)
        if expected != journal:
            why = ("审定金额与已承诺分录不符" if c.state in DECIDED else
                   f"申请状态为{c.state}，不应有已承诺金额")
            yield w.found("审定 vs 承诺分录", c, "", expected, journal, why)


def approval_shares_not_committed(w: ClaimWindow) -> Iterator[Discrepancy]:
    """审定份额 vs 承诺分录: a payer whose share in a decided claim's approval is not what that payer's
    commitment postings add up to (a payer with postings but no share included)."""
    by_payer = _by_payer(w.sums, "committed", -1)
    payers_of: dict[int, set[str | None]] = defaultdict(set)
    for k, p in by_payer:
        payers_of[k].add(p)
    for cid, approval in w.approvals.items():
        c = w.claims[cid]
        if c.state not in DECIDED or not w.dated(approval.meeting_date):
            continue
        payers = set(approval.shares) | payers_of.get(cid, set())
        for payer in sorted(p for p in payers if p):
            share = int(approval.shares.get(payer, 0))
            journal = by_payer.get((cid, payer), 0)
            if share != journal:
                yield w.found("审定份额 vs 承诺分录", c, payer, share, journal, "党组会审定的财政份额与该财政已承诺分录不符")


def payments_without_entry(w: ClaimWindow) -> Iterator[Discrepancy]:
    """付款记录无凭证: a payment record with no pay entry (拨付记账凭证) in the journal."""
    for p in w.payments:
        if p.entry is None:
            yield w.found("付款记录无凭证", w.claims[p.claim_id], p.payer, p.amount, None,
                          f"付款记录 #{p.id}（凭证号 {p.voucher}）没有对应的拨付记账凭证")


def payments_not_expended(w: ClaimWindow) -> Iterator[Discrepancy]:
    """付款记录 vs 已支出分录: per claim and payer, payment records (less those whose entry was reversed)
    that do not add up to the expended postings (8104)."""
    paid_records: dict[tuple[int, str | None], int] = defaultdict(int)
    for p in w.payments:
        if not p.reversed:
            paid_records[(p.claim_id, p.payer)] += p.amount
    expended = _by_payer(w.sums, "expended", -1)
    for key in sorted(set(paid_records) | set(expended), key=_by_claim_and_payer):
        cid, payer = key
        records, journal = paid_records.get(key, 0), expended.get(key, 0)
        if records != journal and cid in w.claims:
            yield w.found("付款记录 vs 已支出分录", w.claims[cid], payer, records, journal, "付款表合计与已支出（8104）分录不符")


def fund_issues_not_obligated(w: ClaimWindow) -> Iterator[Discrepancy]:
    """资金下达 vs 已下达分录: an issued claim whose issue postings (8103 + 8104) are not its approved amount,
    or issue postings without a fund-issue record."""
    issued = _by_claim(w.sums, "issued", -1)
    for cid in sorted(set(w.fund_issues) | {k[0] for k in issued if k[0] is not None}):
        if cid not in w.claims:
            continue
        c = w.claims[cid]
        journal = issued.get((cid,), 0)
        if cid in w.fund_issues:
            expected = int(c.approved_fen or 0)
            if journal != expected:
                yield w.found("资金下达 vs 已下达分录", c, "", expected, journal,
                              f"已下达（{w.fund_issues[cid]}），下达分录（8103+8104）与审定金额不符")
        elif journal:
            yield w.found("资金下达 vs 已下达分录", c, "", None, journal, "有已下达分录但没有资金下达记录")


def recoveries_not_receivable(w: ClaimWindow) -> Iterator[Discrepancy]:
    """追回记录 vs 应收分录: per claim and payer, recovery records whose amount is not the receivable's debits
    (1201), and (on the whole journal only) whose received amount is not its credits (追回到账)."""
    rec_records: dict[tuple[int, str | None], list[int]] = defaultdict(lambda: [0, 0])
    for r in w.recoveries:
        rec_records[(r.claim_id, r.payer)][0] += r.amount
        rec_records[(r.claim_id, r.payer)][1] += r.received
    rec_journal = _by_payer(w.sums, "rec_debit", 1)
    rec_paid = _by_payer(w.sums, "rec_credit", -1)
    for key in sorted(set(rec_records) | set(rec_journal), key=_by_claim_and_payer):
        cid, payer = key
        if cid not in w.claims:
            continue
        c = w.claims[cid]
        amount, received = rec_records.get(key, [0, 0])
        if amount != rec_journal.get(key, 0):
            yield w.found("追回记录 vs 应收分录", c, payer, amount, rec_journal.get(key, 0),
                          "追回表金额与应收追回款（1201）借方不符")
        if w.as_of is None and received != rec_paid.get(key, 0):
            yield w.found("追回到账 vs 应收分录", c, payer, received, rec_paid.get(key, 0),
                          "追回表已到账金额与应收追回款（1201）贷方不符")


def paid_claims_still_obligated(w: ClaimWindow) -> Iterator[Discrepancy]:
    """已拨付状态 vs 未拨付余额: a claim marked paid whose issued-but-unpaid balance (8103) is not zero."""
    obligated = _by_claim(w.sums, "obligated", -1)
    for cid, c in w.claims.items():
        if c.state == "paid" and obligated.get((cid,), 0) != 0:
            yield w.found("已拨付状态 vs 未拨付余额", c, "", 0, obligated[(cid,)], "申请状态为已全部拨付，但已下达（8103）仍有余额")


CLAIM_CHECKS: tuple[Callable[[ClaimWindow], Iterator[Discrepancy]], ...] = (
    approved_amounts_not_committed, approval_shares_not_committed, payments_without_entry, payments_not_expended,
    fund_issues_not_obligated, recoveries_not_receivable, paid_claims_still_obligated)


def budgets_not_appropriated(session: Session) -> Iterator[Discrepancy]:
    """预算指标 vs 预算批复分录: per payer, year and program, a budget record whose appropriation is not what
    the appropriation postings (8001) add up to."""
    approp = _sum_by(session, [P.c.payer_code, P.c.fiscal_year, P.c.program], [A.BUDGET_AUTHORITY], sign=1)
    budgets = {(b.payer_code, b.fiscal_year, b.program): int(b.appropriation_fen)
               for b in session.execute(select(Budget.payer_code, Budget.fiscal_year, Budget.program,
                                               Budget.appropriation_fen))}
    for key in sorted(set(budgets) | set(approp), key=lambda k: tuple(str(x) for x in k)):
        if budgets.get(key, 0) != approp.get(key, 0):
            payer, year, program = key
            yield Discrepancy("预算指标 vs 预算批复分录", "", payer or "", "", budgets.get(key, 0),
                              approp.get(key, 0), f"{year}年度{program_title(program or '')}预算指标与预算批复（8001）分录不符")


CLAIM_WINDOW = 5_000  # claims checked at a time: memory is per window, not per journal
CHECKS = ("审定 vs 承诺分录", "审定份额 vs 承诺分录", "付款记录无凭证", "付款记录 vs 已支出分录", "资金下达 vs 已下达分录",
          "追回记录 vs 应收分录", "预算指标 vs 预算批复分录", "已拨付状态 vs 未拨付余额")


def claim_windows(session: Session, size: int = CLAIM_WINDOW) -> Iterator[tuple[int, int]]:
    """Consecutive ranges of claim ids (first, last), ``size`` claims each, in id order."""
    after: int | None = None
    while True:
        q = select(Claim.id).order_by(Claim.id).limit(size)
        if after is not None:
            q = q.where(Claim.id > after)
        ids = session.execute(q).scalars().all()
        if not ids:
            return
        yield ids[0], ids[-1]
        after = ids[-1]


def find_exceptions(session: Session, *, as_of: date | None = None, window: int = CLAIM_WINDOW) -> list[Discrepancy]:
    """Every disagreement between the journal and the claim records (see the module's docstring).

    The claims are checked ``window`` at a time (a range of claim ids: the journal's sums for those claims
    come from the ``claim_id`` index), so memory holds one window's records and sums and the exceptions
    found, whatever the size of the journal. The list is in the order of :data:`CHECKS`, then claim id."""
    platforms = {pid: code for pid, code in session.execute(select(Platform.id, Platform.code))}
    found: dict[str, list[Discrepancy]] = {check: [] for check in CHECKS}

    def add(x: Discrepancy) -> None:
        found["追回记录 vs 应收分录" if x.check == "追回到账 vs 应收分录" else x.check].append(x)

    for ids in claim_windows(session, window):
        w = read_window(session, ids, as_of, platforms)
        for check in CLAIM_CHECKS:
            for x in check(w):
                add(x)
    if as_of is None:  # budgets are not dated: checked on the whole journal only
        for x in budgets_not_appropriated(session):
            add(x)
    return [x for check in CHECKS for x in found[check]]


# ---------------------------------------------------------------- the workbook


@dataclass
class Totals:
    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MEASURES, 0))
    rows: int = 0
    postings: int = 0
    entries: int = 0


def _groups(session: Session, all_postings: bool, as_of: date | None) -> list[tuple[int | None, str | None]]:
    """(platform, program) pairs: those with claims, and those with postings behind the figures."""
    pairs = {(pid, prog) for pid, prog in session.execute(select(Claim.platform_id, Claim.program).distinct())}
    q = select(P.c.platform_id, P.c.program).where(P.c.account_code.in_(FIGURE_ACCOUNTS)).distinct()
    pairs |= {(pid, prog) for pid, prog in session.execute(q)}
    return sorted(pairs, key=lambda k: (k[0] is None, k[0] or 0, k[1] or ""))


def _postings_query(all_postings: bool, as_of: date | None) -> Any:
    q = (select(P.c.id, P.c.entry_id, E.c.entry_date, E.c.kind, P.c.account_code, P.c.platform_id, P.c.program,
                P.c.payer_code, C.c.number, P.c.fiscal_year, P.c.amount_fen)
         .select_from(P.join(E, E.c.id == P.c.entry_id).outerjoin(C, C.c.id == P.c.claim_id)))
    if not all_postings:
        q = q.where(P.c.account_code.in_(FIGURE_ACCOUNTS))
    if as_of is not None:
        q = q.where(E.c.entry_date <= as_of)
    # NULL platforms and programs sort last on both engines
    return q.order_by(P.c.platform_id.is_(None), P.c.platform_id, P.c.program.is_(None), P.c.program,
                      P.c.account_code, P.c.entry_id, P.c.id)


def _entries_query(all_postings: bool, as_of: date | None) -> Any:
    behind = select(P.c.id).where(P.c.entry_id == E.c.id)
    if not all_postings:
        behind = behind.where(P.c.account_code.in_(FIGURE_ACCOUNTS))
    q = (select(E.c.id, E.c.entry_date, E.c.kind, C.c.number, E.c.description, E.c.reverses_id)
         .select_from(E.outerjoin(C, C.c.id == E.c.claim_id)).where(exists(behind)))
    if as_of is not None:
        q = q.where(E.c.entry_date <= as_of)
    return q.order_by(E.c.id)


def _stream(session: Session, q: Any) -> Iterator[Any]:
    """The rows of ``q``, fetched ``STREAM_BATCH`` at a time (a server-side cursor on PostgreSQL)."""
    result = session.execute(q, execution_options={"yield_per": STREAM_BATCH})
    for rows in result.partitions():
        yield from rows


def _q(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _sumifs(pieces: Sequence[tuple[str, int, int]], account: str, sign: str | None, row: int) -> str:
    parts = []
    for sheet, r1, r2 in pieces:
        s = _q(sheet)

        def rng(col: str, s: str = s, r1: int = r1, r2: int = r2) -> str:
            return f"{s}!${col}${r1}:${col}${r2}"

        crit = [f"{rng(PC['account'])},{int(account)}", f"{rng(PC['platform'])},$A{row}",
                f"{rng(PC['program'])},${PROGRAM_CODE_COL}{row}"]
        if sign:
            crit.append(f'{rng(PC["amount"])},"{sign}"')
        parts.append(f"SUMIFS({rng(PC['amount'])},{','.join(crit)})")
    return "+".join(parts)


def measure_formula(measure: str, pieces: Sequence[tuple[str, int, int]], row: int) -> str:
    """The formula (without ``=``) that recomputes ``measure`` in yuan from the row's postings."""
    if not pieces:
        return "0"
    terms = []
    for account, sign, factor in TERMS[measure]:
        body = _sumifs(pieces, account, sign, row)
        terms.append(("-" if factor < 0 else "+") + f"({body})")
    expr = "".join(terms)
    return f"({expr.lstrip('+')})/100"


def _whole_formula(measure: str, sheets: Sequence[tuple[str, int]]) -> str:
    """``measure`` over every posting of the listing (for the grand totals)."""
    terms = []
    for account, sign, factor in TERMS[measure]:
        parts = []
        for sheet, last in sheets:
            if last < 2:
                continue
            s = _q(sheet)
            crit = f"{s}!${PC['account']}$2:${PC['account']}${last},{int(account)}"
            if sign:
                crit += f',{s}!${PC["amount"]}$2:${PC["amount"]}${last},"{sign}"'
            parts.append(f"SUMIFS({s}!${PC['amount']}$2:${PC['amount']}${last},{crit})")
        if parts:
            terms.append(("-" if factor < 0 else "+") + "(" + "+".join(parts) + ")")
    if not terms:
        return "0"
    return "(" + "".join(terms).lstrip("+") + ")/100"


PROGRESS_EVERY = 5_000
"""Postings between two progress reports."""


def report_date(session: Session, as_of: date | None) -> date:
    """The date the workbook is "as of" (截至): ``as_of``, else the latest entry's date, else today."""
    return as_of or session.execute(select(func.max(E.c.entry_date))).scalar() or date.today()


def write(session: Session, out: str | Path, *, as_of: date | None = None, all_postings: bool = False,
          rows_per_sheet: int = ROWS_PER_SHEET, plain: bool = False,
          progress: Callable[[int, int], None] | None = None) -> Path:
    """Write the reconciliation workbook to ``out`` (read only; streaming).

    ``plain=True`` writes the same cells through a normal in-memory openpyxl workbook instead of the
    write-only one: the benchmark's baseline, whose memory grows with the postings. ``progress(done,
    total)`` counts the postings listed (it costs one counting query; ``None``: not counted).
    """
    on = report_date(session, as_of)
    book = _Sheets.open(plain)
    _summary_head(book.summary, on)
    rows = _SummaryRows(session, book.summary, Caps(session, on), _groups(session, all_postings, as_of))
    _write_postings(session, book, rows, all_postings=all_postings, as_of=as_of, rows_per_sheet=rows_per_sheet,
                    progress=progress)
    totals = rows.totals
    _total_row(book.summary, totals)
    _write_entries(session, book.entries_ws, totals, all_postings=all_postings, as_of=as_of)
    exceptions = find_exceptions(session, as_of=as_of) + rows.cap_over
    _write_exceptions(book.exc_ws, exceptions)
    _write_about(session, book, on, totals, len(exceptions), as_of=as_of, all_postings=all_postings)
    return save(book.wb, out, compresslevel=1)


LISTING_KINDS = [("int", None), ("int", None), ("date", DATE_FORMAT), ("text", None), ("int", None),
                 ("int", None), ("text", None), ("text", None), ("text", None), ("int", None), ("int", "0")]


@dataclass
class _Sheets:
    """The workbook and its sheets, created in their order: 说明, 对账表, 例外, 分录 (more as it fills), 凭证."""

    wb: Workbook
    plain: bool
    about: Any
    summary: Any
    exc_ws: Any
    entries_ws: Any = None
    sheets: list[Any] = field(default_factory=list)  # the 分录 listing sheets

    @classmethod
    def open(cls, plain: bool) -> _Sheets:
        wb = Workbook() if plain else new_write_only()
        if plain and wb.active is not None:
            wb.remove(wb.active)
        about = wb.create_sheet("说明")
        summary = sheet_for(wb, "对账表", plain=plain, columns=[
            ("int", None), ("text", None), ("text", None), ("text", None), ("text", None), ("text", None),
            ("dec", YUAN_FORMAT), *[("dec", YUAN_FORMAT)] * 5, ("dec", YUAN_FORMAT),
            *[("formula", YUAN_FORMAT)] * 6, ("formula", None), ("text", None)])
        book = cls(wb, plain, about, summary, wb.create_sheet("例外"))
        book.new_listing()
        entries_ws = sheet_for(wb, "凭证", [("int", None), ("date", DATE_FORMAT), ("text", None),
                                           ("text", None), ("text", None), ("int", None)], plain=plain)
        set_widths(entries_ws, [9, 11, 16, 16, 70, 10])
        entries_ws.freeze_panes = "A2"
        entries_ws.append(header_row(entries_ws, ["凭证号", "记账日期", "凭证类型", "申请编号", "摘要", "冲销凭证号"]))
        book.entries_ws = entries_ws
        return book

    def new_listing(self) -> Any:
        sheets = self.sheets
        name = "分录" if not sheets else f"分录{len(sheets) + 1}"
        ws = sheet_for(self.wb, name, LISTING_KINDS, plain=self.plain)
        set_widths(ws, [10, 9, 11, 16, 7, 8, 18, 9, 16, 9, 16])
        ws.freeze_panes = "A2"
        ws.append(header_row(ws, POSTING_HEADINGS))
        sheets.append(ws)
        return ws


def _summary_head(summary: Any, on: date) -> None:
    set_widths(summary, [8, 12, 28, 10, 30, 9, 14, 14, 14, 14, 12, 12, 14, 14, 14, 14, 12, 12, 14, 8, 20])
    summary.freeze_panes = f"C{SUMMARY_HEADER_ROWS + 1}"
    summary.append([styled(summary, "累计上限对账表", f=font(14, bold=True), border=None)])
    summary.append([styled(summary, f"截至 {cn_date(on)}；金额单位：元；“（公式）”列由分录表按平台ID、补助项目代码、"
                                    "科目以 SUMIFS 重算", f=font(10), border=None, align=LEFT)])
    summary.append(header_row(summary, SUMMARY_HEADINGS))


Group = tuple[int | None, str | None]
"""(platform id, program): one row of the 对账表."""


def _sorts_before(p: int | None, pid: int | None) -> bool:
    """Whether platform ``p`` comes before ``pid`` in the 对账表 (NULL last)."""
    return p != pid and (pid is None or (p is not None and p < pid))


def _row_formulas(pieces: list[tuple[str, int, int]], row: int) -> list[Formula | None]:
    """The 对账表 row's formulas: the five figures recomputed from its postings, the headroom, the 核对 cell."""
    formulas: list[Formula | None] = [Formula(measure_formula(m, pieces, row)) for m in MEASURES]
    formulas.append(Formula(f'IF(G{row}="","",G{row}-N{row})'))
    checks = ",".join(f"{VALUE_COL[m]}{row}={FORMULA_COL[m]}{row}" for m in MEASURES)
    formulas.append(Formula(f'IF(AND({checks}),"一致","不一致")'))
    return formulas


class _SummaryRows:
    """The 对账表 rows, one per (platform, program), in platform order: the groups with postings are written
    as the sorted postings stream past; the groups with claims but no postings are slotted in between."""

    def __init__(self, session: Session, summary: Any, caps: Caps, groups: list[Group]) -> None:
        self.summary = summary
        self.caps = caps
        self.platforms = {pid: (code, name, jur) for pid, code, name, jur in session.execute(
            select(Platform.id, Platform.code, Platform.name, Platform.jurisdiction_code))}
        self.juris = {code: name for code, name in session.execute(select(Jurisdiction.code, Jurisdiction.name))}
        self.totals = Totals()
        self.cap_over: list[Discrepancy] = []
        self.known = set(groups)
        self.pending: dict[int | None, set[str | None]] = defaultdict(set)
        for pid_, program_ in groups:
            self.pending[pid_].add(program_)
        self.order: list[int | None] = [p for p in sorted(p for p in self.pending if p is not None)]
        if None in self.pending:
            self.order.append(None)
        self.oi = 0

    def emit(self, group: Group, sums: dict[str, int], pieces: list[tuple[str, int, int]]) -> None:
        summary, totals = self.summary, self.totals
        pid, program = group
        if group not in self.known and not any(sums.values()):
            return  # a group of the full listing with nothing behind the figures (e.g. appropriations)
        code, name, jur = self.platforms.get(pid or -1, ("", "（无平台）", ""))
        level, cap, _clause = self.caps.of(pid, program)
        row = summary.next_row
        headroom = None if cap is None else cap - sums["committed"]
        if cap is not None and sums["committed"] > cap:
            self.cap_over.append(Discrepancy("超过累计上限", "", "", code, cap, sums["committed"],
                                             f"{program_title(program or '')}累计审定超过{level_words(level)}上限"))
        formulas = _row_formulas(pieces, row) if pid is not None and program is not None else [None] * 7
        summary.add([pid, code, name, self.juris.get(jur, jur), program_title(program) if program else None,
                     level_words(level), yuan_number(cap) if cap is not None else None,
                     *[yuan_number(sums[m]) for m in MEASURES],
                     yuan_number(headroom) if headroom is not None else None, *formulas, program])
        for m in MEASURES:
            totals.values[m] += sums[m]
        totals.rows += 1

    def done(self, group: Group, sums: dict[str, int], pieces: list[tuple[str, int, int]]) -> None:
        """The row of a group whose postings have all streamed past."""
        self.emit(group, sums, pieces)
        self.pending[group[0]].discard(group[1])

    def flush_platform(self, pid: int | None) -> None:
        """The platform's groups that have claims but no postings behind the figures."""
        for program in sorted(self.pending.pop(pid, set()), key=lambda x: x or ""):
            self.emit((pid, program), dict.fromkeys(MEASURES, 0), [])

    def flush_before(self, pid: int | None) -> None:
        """Every platform that sorts before ``pid`` (NULL last), in order."""
        order = self.order
        while self.oi < len(order) and _sorts_before(order[self.oi], pid):
            self.flush_platform(order[self.oi])
            self.oi += 1
        if self.oi < len(order) and order[self.oi] == pid:
            self.oi += 1

    def flush_rest(self) -> None:
        while self.oi < len(self.order):
            self.flush_platform(self.order[self.oi])
            self.oi += 1


def _write_postings(session: Session, book: _Sheets, rows: _SummaryRows, *, all_postings: bool, as_of: date | None,
                    rows_per_sheet: int, progress: Callable[[int, int], None] | None = None) -> None:
    """The 分录 listing, and the 对账表 row of each (platform, program) as its postings end: the row's formulas
    point at the listing's block of that group (``pieces``: sheet, first row, last row)."""
    listing = book.sheets[-1]
    current: Group | None = None
    sums: dict[str, int] = dict.fromkeys(MEASURES, 0)
    pieces: list[tuple[str, int, int]] = []
    query = _postings_query(all_postings, as_of)
    stream = _stream(session, query)
    if progress:
        stream = _counted(stream, progress, session.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    for row in stream:
        pid, program = row[5], row[6]
        group = (pid, program)
        if group != current:
            if current is not None:
                rows.done(current, sums, pieces)
            if current is None or pid != current[0]:
                if current is not None:
                    rows.flush_platform(current[0])
                rows.flush_before(pid)
            current, sums, pieces = group, dict.fromkeys(MEASURES, 0), []
        if listing.rows_written >= rows_per_sheet:
            listing = book.new_listing()
        r = listing.next_row
        if pieces and pieces[-1][0] == listing.title and pieces[-1][2] == r - 1:
            pieces[-1] = (pieces[-1][0], pieces[-1][1], r)
        else:
            pieces.append((listing.title, r, r))
        account, amount = row[4], int(row[10])
        listing.add([row[0], row[1], row[2], row[3], int(account), pid, program, row[7], row[8], row[9], amount])
        rows.totals.postings += 1
        for m, v in measure_of(account, amount).items():
            sums[m] += v
    if current is not None:
        rows.done(current, sums, pieces)
        rows.flush_platform(current[0])
    rows.flush_rest()


def _counted(rows: Iterable[Any], progress: Callable[[int, int], None], total: int) -> Iterator[Any]:
    """``rows`` as they are, calling ``progress(done, total)`` every :data:`PROGRESS_EVERY` rows and at the end."""
    done = 0
    for done, row in enumerate(rows, 1):
        yield row
        if done % PROGRESS_EVERY == 0:
            progress(done, total)
    progress(done, done)


def _total_row(summary: Any, totals: Totals) -> None:
    first, last = SUMMARY_HEADER_ROWS + 1, SUMMARY_HEADER_ROWS + totals.rows
    total_row = [None, "合计", f"{totals.rows}行", None, None, None, None,
                 *[Formula(f"SUM({VALUE_COL[m]}{first}:{VALUE_COL[m]}{last})" if totals.rows else "0") for m in MEASURES],
                 None,
                 *[Formula(f"SUM({FORMULA_COL[m]}{first}:{FORMULA_COL[m]}{last})" if totals.rows else "0")
                   for m in MEASURES],
                 None, None]
    columns = summary.stream_columns
    summary.stream_columns = columns[:7] + tuple(replace(c, kind="formula") for c in columns[7:20]) + columns[20:]
    summary.add(total_row)


def _write_entries(session: Session, entries_ws: Any, totals: Totals, *, all_postings: bool,
                   as_of: date | None) -> None:
    for row in _stream(session, _entries_query(all_postings, as_of)):
        entries_ws.add(list(row))
        totals.entries += 1


def _write_exceptions(exc_ws: Any, exceptions: list[Discrepancy]) -> None:
    set_widths(exc_ws, [6, 22, 16, 10, 12, 16, 16, 16, 60])
    exc_ws.freeze_panes = "A3"
    exc_ws.append([styled(exc_ws, f"例外：台账分录与申请记录不一致之处（{len(exceptions)}项）", f=font(14, bold=True),
                          border=None)])
    exc_ws.append(header_row(exc_ws, ["序号", "核对项", "申请编号", "财政", "平台编码", "记录金额", "分录金额", "差额",
                                      "说明"]))
    for k, x in enumerate(exceptions, 1):
        exc_ws.append([styled(exc_ws, k, align=CENTER), styled(exc_ws, x.check), styled(exc_ws, x.claim or None),
                       styled(exc_ws, x.payer or None), styled(exc_ws, x.platform or None),
                       *[styled(exc_ws, yuan_number(v) if v is not None else None, fmt=YUAN_FORMAT)
                         for v in (x.records_fen, x.journal_fen, x.difference_fen)],
                       styled(exc_ws, x.note, align=LEFT)])


def _write_about(session: Session, book: _Sheets, on: date, totals: Totals, exception_count: int, *,
                 as_of: date | None, all_postings: bool) -> None:
    """说明: scope, definitions, and the grand totals three ways."""
    about, sheets = book.about, book.sheets
    last = SUMMARY_HEADER_ROWS + totals.rows
    listing_sheets = [(ws.title, ws.next_row - 1) for ws in sheets]
    ledger_totals = {
        "committed": -balance(session, A.COMMITTED_ACCOUNTS, as_of=as_of),
        "issued": -balance(session, [A.OBLIGATED, A.EXPENDED], as_of=as_of),
        "paid": -balance(session, [A.EXPENDED], as_of=as_of),
        "recovered": _signed_total(session, A.RECOVERY_RECEIVABLE, True, as_of),
        "received": -_signed_total(session, A.RECOVERY_RECEIVABLE, False, as_of),
    }
    set_widths(about, [26, 20, 20, 20, 10])
    about.append([styled(about, "中试平台补助资金累计上限对账工作簿", f=font(16, bold=True), border=None)])
    about.append([styled(about, f"截至：{cn_date(on)}（{'全部凭证' if as_of is None else '记账日期不晚于此日的凭证'}）",
                         border=None, align=LEFT)])
    about.append([styled(about, f"对账表 {totals.rows} 行；分录 {totals.postings} 条"
                                f"（{'全部分录' if all_postings else '科目 8102、8103、8104、1201'}，"
                                f"{len(sheets)} 张表）；凭证 {totals.entries} 张；例外 {exception_count} 项",
                         border=None, align=LEFT)])
    about.append([])
    about.append(header_row(about, ["合计（元）", "台账（科目余额）", "对账表合计", "分录表重算（SUMIFS）", "核对"]))
    for k, m in enumerate(MEASURES):
        r = 6 + k
        about.append([styled(about, MEASURE_LABEL[m]),
                      styled(about, yuan_number(ledger_totals[m]), fmt=YUAN_FORMAT),
                      styled(about, Formula(f"'对账表'!{VALUE_COL[m]}{last + 1}"), fmt=YUAN_FORMAT),
                      styled(about, Formula(_whole_formula(m, listing_sheets)), fmt=YUAN_FORMAT),
                      styled(about, Formula(f'IF(AND(B{r}=C{r},B{r}=D{r}),"一致","不一致")'), align=CENTER)])
    about.append([])
    for line in DEFINITIONS:
        about.append([styled(about, line, border=None, align=LEFT)])


def _signed_total(session: Session, account: str, positive: bool, as_of: date | None) -> int:
    amount = case((P.c.amount_fen > 0, P.c.amount_fen), else_=0) if positive else \
        case((P.c.amount_fen < 0, P.c.amount_fen), else_=0)
    q = select(func.coalesce(func.sum(amount), 0)).where(P.c.account_code == account)
    if as_of is not None:
        q = q.select_from(P.join(E, E.c.id == P.c.entry_id)).where(E.c.entry_date <= as_of)
    return int(session.execute(q).scalar_one())


DEFINITIONS = (
    "定义（金额均由分录汇总，借方为正、贷方为负，单位：元；分录表金额单位为分）：",
    "累计审定 = −(8102 已承诺 + 8103 已下达 + 8104 已支出)：党组会审定后计入累计上限的金额（异议成立撤销后冲回）",
    "已下达 = −(8103 + 8104)；已拨付 = −8104；已追回 = 1201 应收追回款借方合计；追回到账 = 1201 贷方合计",
    "累计上限、获批级别：按截至日所持最高级别，由规则集计算（细则 第四章（一）(1)：国家级1000万元、省级500万元）",
    "剩余额度 = 累计上限 − 累计审定；无上限的补助项目留空",
    "“（公式）”列：SUMIFS 按本行平台ID、补助项目代码（最后一列）和科目，对分录表中本行对应的连续区段重算；核对列比较值与公式",
    "补助项目列为项目的中文名称；对账表最后一列和分录表的“补助项目代码”为项目代码，供公式匹配",
    "说明页“分录表重算”对整张分录表按科目求和，可发现对账表遗漏的分录",
    "例外页：申请记录（审定、份额、付款、资金下达、追回、预算指标）与分录不一致之处，以及超过累计上限的平台",
)


__all__ = ["CHECKS", "CLAIM_CHECKS", "Caps", "ClaimWindow", "Discrepancy", "budgets_not_appropriated", "claim_windows",
           "find_exceptions", "measure_formula", "read_window", "write"]

