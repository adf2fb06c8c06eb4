"""Projections checked against the journal (台账投影核对): the journal is the only truth.

Every amount kept in a table outside the journal is a projection of the postings. :func:`check`
recomputes each one from the journal, summed in SQL (GROUP BY over the postings' dimensions and the
entries' kinds), and names every difference: table, row (id and business key), field, the journal's
value and the table's (integer fen). What is checked (docs/posting-rules.md):

========================  =====================================================================
table.field               journal value
========================  =====================================================================
budgets.appropriation_fen Σ debits to 8001 预算批复 of the payer, fiscal year and program
claims.requested_fen      Σ debits to 9001 备查：已申报待审 of the claim (the ``file`` entry)
claims.computed_fen       audited: the debit to 9004 in its ``audit`` entry; approved and later:
                          the calculator's payable posted in its ``approve`` entry (below)
claims.approved_fen       −Σ 8102 已承诺 in the claim's last ``approve`` entry; provincial procedure: the
                          debit to 1202 应收上级转移支付 in its ``allocation`` entry (neither: NULL)
approvals.approved_fen    −Σ 8102 in the approval's ``approve`` entry (k-th approval ↔ k-th entry)
approvals.shares[payer]   −Σ 8102 of that payer in that entry
approvals.computed_fen    the payable posted in that entry: the 9004 debit that re-measures the audit's
                          figure, or, when the figure did not change, the 9004 credit that clears it
approvals.fiscal_year     the fiscal-year dimension of its 8102 postings
audits.computed_fen       the debit to 9004 in the k-th ``audit`` entry of the claim
payments.amount_fen       −Σ 8104 已支出 in the payment's entry (linked by its ``pay`` claim event); a
                          payment prepared and not yet confirmed (no confirmation, no entry) has none
recoveries.amount_fen     the debit to 1201 应收追回款 in the k-th ``recovery`` entry of (claim, payer)
recoveries.received_fen   −Σ 1201 in the receipts linked to it (``receive-recovery`` claim events)
========================  =====================================================================

Journal entries with no row behind them (a payment, recovery, approval or budget whose row is gone)
are named too, with ``row_id`` None. Not projections, so not checked here: a filed claim's
``computed_fen`` before its audit (the calculator's figure on the filed invoices, superseded and posted
at the audit), audited investment and invoice amounts (inputs the calculators read, not money moved).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from ledger import accounts as A
from ledger.models import (
    Approval,
    Audit,
    Budget,
    Claim,
    ClaimEvent,
    JournalEntry,
    Payment,
    PaymentConfirmation,
    Posting,
    Recovery,
)

P = Posting.__table__
E = JournalEntry.__table__

RECEIPT_ACTION = "receive-recovery"  # the claim event that links a receipt entry to its recovery row
RECEIPT_NOTE = "追回#{id}"


def receipt_note(recovery_id: int) -> str:
    """The note of the claim event that ties a receipt's entry to recovery ``recovery_id``."""
    return RECEIPT_NOTE.format(id=recovery_id)


_RECEIPT_NOTE_RE = re.compile(r"^追回#(\d+)$")


@dataclass(frozen=True)
class ProjectionMismatch:
    """One projected amount that differs from the journal (投影与日记账不符). Amounts in fen; ``None``
    where one side has no value (a row with no entry behind it, or an entry with no row)."""

    table: str
    row_id: int | None
    key: str  # the row's business key: claim number, payer and voucher, payer/year/program …
    field: str
    journal_fen: int | None
    table_fen: int | None

    @property
    def text(self) -> str:
        """The difference in one line (表、行、字段、两边的值)."""
        return str(self)

    def __str__(self) -> str:
        row = f"#{self.row_id}" if self.row_id is not None else "（无记录）"
        return (f"{self.table}{row}（{self.key}）.{self.field}：日记账 {_show(self.journal_fen)}，"
                f"表中 {_show(self.table_fen)}")


def _show(fen: int | None) -> str:
    return "—" if fen is None else str(fen)


def check(session: Session) -> list[ProjectionMismatch]:
    """Recompute every projection from the journal and return the differences (empty: all agree)."""
    numbers: dict[int, str] = {cid: num for cid, num in session.execute(select(Claim.id, Claim.number))}
    audited = _audit_entries(session)
    found: list[ProjectionMismatch] = []
    for part in (_budgets(session), _claims_and_approvals(session, numbers, audited),
                 _audits(session, numbers, audited),
                 _payments(session, numbers), _recoveries(session, numbers)):
        found.extend(part)
    return found


def _differs(table: str, row_id: int | None, key: str, field: str, journal: int | None,
             table_value: int | None) -> Iterator[ProjectionMismatch]:
    if journal != table_value:
        yield ProjectionMismatch(table, row_id, key, field, journal, table_value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


# ---------------------------------------------------------------- budgets

def _budgets(session: Session) -> Iterator[ProjectionMismatch]:
    journal = {(payer, year, program): int(total) for payer, year, program, total in session.execute(
        select(P.c.payer_code, P.c.fiscal_year, P.c.program, func.sum(P.c.amount_fen))
        .where(P.c.account_code == A.BUDGET_AUTHORITY)
        .group_by(P.c.payer_code, P.c.fiscal_year, P.c.program))}
    for row in session.execute(select(Budget.id, Budget.payer_code, Budget.fiscal_year, Budget.program,
                                      Budget.appropriation_fen).order_by(Budget.id)):
        key = (row.payer_code, row.fiscal_year, row.program)
        yield from _differs("budgets", row.id, f"{row.payer_code} {row.fiscal_year} {row.program}",
                            "appropriation_fen", journal.pop(key, 0), int(row.appropriation_fen))
    for (payer, year, program), total in sorted(journal.items(), key=lambda kv: str(kv[0])):
        yield from _differs("budgets", None, f"{payer} {year} {program}", "appropriation_fen", total, None)


# ---------------------------------------------------------------- claims and approvals

def _entries_of_kind(session: Session, kind: str, accounts: Iterable[str], *extra: Any) -> list[Any]:
    """Per entry of ``kind`` (in entry order): its claim and, per account (and ``extra`` keys), the sums
    of its debits and of its credits to ``accounts``.

    Two reads instead of a join: the entries of that kind, and the postings to ``accounts`` summed per
    entry from the account's index (a join of the two reads every posting of every entry of the kind)."""
    ids = set(session.execute(select(E.c.id).where(E.c.kind == kind)).scalars())
    if not ids:
        return []
    pos = func.sum(case((P.c.amount_fen > 0, P.c.amount_fen)))
    neg = func.sum(case((P.c.amount_fen < 0, P.c.amount_fen)))
    rows = session.execute(
        select(P.c.entry_id, P.c.claim_id, P.c.account_code, *extra, pos.label("debit"), neg.label("credit"))
        .where(P.c.account_code.in_(list(accounts)))
        .group_by(P.c.entry_id, P.c.claim_id, P.c.account_code, *extra)
        .order_by(P.c.entry_id))
    return [row for row in rows if row[0] in ids]


@dataclass
class _Approved:
    """What one ``approve`` entry posted."""

    entry: int
    approved: int = 0
    shares: dict[str, int] | None = None
    years: set[int] | None = None
    remeasured: int | None = None  # the 9004 debit: the payable at approval, where it differed from the audit's
    cleared: int = 0  # the 9004 credits

    @property
    def computed(self) -> int:
        return self.remeasured if self.remeasured is not None else -self.cleared


def _approve_entries(session: Session) -> dict[int, list[_Approved]]:
    out: dict[int, dict[int, _Approved]] = defaultdict(dict)
    for entry, claim_id, account, payer, year, debit, credit in _entries_of_kind(
            session, "approve", (A.COMMITTED, A.MEMO_AUDITED), P.c.payer_code, P.c.fiscal_year):
        a = out[claim_id].setdefault(entry, _Approved(entry, shares={}, years=set()))
        if account == A.COMMITTED:
            amount = -int(credit or 0) - int(debit or 0)
            a.approved += amount
            assert a.shares is not None and a.years is not None
            a.shares[payer] = a.shares.get(payer, 0) + amount
            a.years.add(year)
        else:
            if debit is not None:
                a.remeasured = (a.remeasured or 0) + int(debit)
            a.cleared += int(credit or 0)
    return {cid: list(entries.values()) for cid, entries in out.items()}


def _claims_and_approvals(session: Session, numbers: dict[int, str],
                          audited: dict[int, list[int]]) -> Iterator[ProjectionMismatch]:
    requested = {cid: int(total) for cid, total in session.execute(
        select(P.c.claim_id, func.sum(P.c.amount_fen))
        .where(P.c.account_code == A.MEMO_FILED, P.c.amount_fen > 0).group_by(P.c.claim_id))}
    approved = _approve_entries(session)
    allocated = {claim_id: int(debit or 0) for _, claim_id, _, debit, _ in _entries_of_kind(
        session, "allocation", (A.TRANSFER_RECEIVABLE,))}
    approval_rows: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(select(Approval.id, Approval.claim_id, Approval.approved_fen, Approval.computed_fen,
                                      Approval.shares, Approval.fiscal_year).order_by(Approval.id)):
        approval_rows[row.claim_id].append(row)
    for c in session.execute(select(Claim.id, Claim.number, Claim.state, Claim.requested_fen, Claim.computed_fen,
                                    Claim.approved_fen).order_by(Claim.id)):
        yield from _differs("claims", c.id, c.number, "requested_fen", requested.pop(c.id, 0), int(c.requested_fen))
        entries = approved.get(c.id, [])
        last = entries[-1] if entries else None
        yield from _differs("claims", c.id, c.number, "approved_fen",
                            last.approved if last else allocated.get(c.id), _int(c.approved_fen))
        if last is not None:
            yield from _differs("claims", c.id, c.number, "computed_fen", last.computed, int(c.computed_fen))
        elif audited.get(c.id):
            yield from _differs("claims", c.id, c.number, "computed_fen", audited[c.id][-1], int(c.computed_fen))
    for cid, total in sorted(requested.items(), key=lambda kv: kv[0] or 0):
        yield from _differs("claims", cid, numbers.get(cid, str(cid)), "requested_fen", total, None)
    for cid in sorted(set(approved) | set(approval_rows), key=lambda k: k or 0):
        yield from _approval_rows(numbers.get(cid, str(cid)), approved.get(cid, []), approval_rows.get(cid, []))


# size: one approval row against its entry, field by field (amounts, each payer's share, the year): each
# comparison is one line, and each absent side (row or entry) must still be named
def _approval_rows(number: str, entries: list[_Approved], rows: list[Any]) -> Iterator[ProjectionMismatch]:
    for k in range(max(len(entries), len(rows))):
        a = entries[k] if k < len(entries) else None
        row = rows[k] if k < len(rows) else None
        if row is None:
            assert a is not None
            yield from _differs("approvals", None, f"{number} 凭证{a.entry}", "approved_fen", a.approved, None)
            continue
        yield from _differs("approvals", row.id, number, "approved_fen", a.approved if a else None,
                            int(row.approved_fen))
        yield from _differs("approvals", row.id, number, "computed_fen", a.computed if a else None,
                            int(row.computed_fen))
        shares = {p: int(v) for p, v in (row.shares or {}).items() if int(v)}
        posted = {p: v for p, v in ((a.shares or {}) if a else {}).items() if v}
        for payer in sorted(set(shares) | set(posted), key=str):
            yield from _differs("approvals", row.id, number, f"shares[{payer}]", posted.get(payer, 0),
                                shares.get(payer, 0))
        years = sorted((a.years or set()) if a else set())
        if len(years) == 1:
            yield from _differs("approvals", row.id, number, "fiscal_year", years[0], int(row.fiscal_year))


# ---------------------------------------------------------------- audits

def _audit_entries(session: Session) -> dict[int, list[int]]:
    """Per claim, in entry order: the 9004 debit of each ``audit`` entry (0 when the audit computed nothing)."""
    per_entry: dict[int, dict[int, int]] = defaultdict(dict)
    for entry, cid, account, debit, _credit in _entries_of_kind(
            session, "audit", (A.MEMO_AUDITED, A.MEMO_DISTRICT_REVIEWED)):  # every audit entry credits 9003
        per_entry[cid].setdefault(entry, 0)
        if account == A.MEMO_AUDITED:
            per_entry[cid][entry] += int(debit or 0)
    return {cid: [v for _e, v in sorted(entries.items())] for cid, entries in per_entry.items()}


def _audits(session: Session, numbers: dict[int, str], posted: dict[int, list[int]]) -> Iterator[ProjectionMismatch]:
    rows: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(select(Audit.id, Audit.claim_id, Audit.computed_fen).order_by(Audit.id)):
        rows[row.claim_id].append(row)
    for cid in sorted(set(posted) | set(rows), key=lambda k: k or 0):
        journal, mine = posted.get(cid, []), rows.get(cid, [])
        for k in range(max(len(journal), len(mine))):
            yield from _differs("audits", mine[k].id if k < len(mine) else None, numbers.get(cid, str(cid)),
                                "computed_fen", journal[k] if k < len(journal) else None,
                                int(mine[k].computed_fen) if k < len(mine) else None)


# ---------------------------------------------------------------- payments

def _payments(session: Session, numbers: dict[int, str]) -> Iterator[ProjectionMismatch]:
    """Each payment row against the 8104 postings of its entry (the ``pay`` claim event names both); then
    payment entries that no row points at."""
    posted = {entry: (cid, payer, -int(credit or 0) - int(debit or 0)) for entry, cid, _acc, payer, debit, credit
              in _entries_of_kind(session, "payment", (A.EXPENDED,), P.c.payer_code)}
    link = and_(ClaimEvent.claim_id == Payment.claim_id, ClaimEvent.action == "pay",
                ClaimEvent.note == Payment.payer_code + literal(" ") + Payment.voucher_number)
    linked: set[int] = set()
    for pid, cid, payer, voucher, amount, entry, confirmation in session.execute(
            select(Payment.id, Payment.claim_id, Payment.payer_code, Payment.voucher_number, Payment.amount_fen,
                   ClaimEvent.entry_id, PaymentConfirmation.id).select_from(Payment).outerjoin(ClaimEvent, link)
            .outerjoin(PaymentConfirmation, PaymentConfirmation.payment_id == Payment.id).order_by(Payment.id)):
        if entry is None and confirmation is None:
            continue  # prepared, not yet confirmed (制单未复核): nothing posted, nothing to compare
        journal = None
        if entry is not None:
            linked.add(entry)
            _cid, posted_payer, total = posted.get(entry, (cid, payer, 0))
            journal = total if posted_payer == payer else 0
        yield from _differs("payments", pid, f"{numbers.get(cid, cid)} {payer} {voucher}", "amount_fen",
                            journal, int(amount))
    for entry, (cid, payer, total) in sorted(posted.items()):
        if entry not in linked:
            yield from _differs("payments", None, f"{numbers.get(cid, cid)} {payer} 凭证{entry}", "amount_fen",
                                total, None)


# ---------------------------------------------------------------- recoveries and their receipts

# size: recovery orders and their receipts are read in three grouped queries and paired per claim and payer
# in one pass, so that a receipt posted before the link to its row is still counted
def _recoveries(session: Session, numbers: dict[int, str]) -> Iterator[ProjectionMismatch]:
    ordered: dict[tuple[int, str], list[int]] = defaultdict(list)  # (claim, payer) → 1201 debit per entry
    for _entry, cid, _acc, payer, debit, credit in _entries_of_kind(
            session, "recovery", (A.RECOVERY_RECEIVABLE,), P.c.payer_code):
        ordered[(cid, payer)].append(int(debit or 0) + int(credit or 0))
    # receipts: −1201 per entry, and the recovery row its claim event names (none: posted before the link)
    links: dict[int | None, str] = {entry: note for entry, note in session.execute(
        select(ClaimEvent.entry_id, ClaimEvent.note).where(ClaimEvent.action == RECEIPT_ACTION))}
    received: dict[int, int] = defaultdict(int)
    unlinked: dict[tuple[int, str], int] = defaultdict(int)
    for entry, cid, _acc, payer, debit, credit in _entries_of_kind(
            session, "recovery-receipt", (A.RECOVERY_RECEIVABLE,), P.c.payer_code):
        total = int(debit or 0) + int(credit or 0)
        match = _RECEIPT_NOTE_RE.match(links.get(entry) or "")
        if match:
            received[int(match.group(1))] -= total
        else:
            unlinked[(cid, payer)] -= total
    rows: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for rec in session.execute(select(Recovery.id, Recovery.claim_id, Recovery.payer_code, Recovery.amount_fen,
                                      Recovery.received_fen).order_by(Recovery.id)):
        rows[(rec.claim_id, rec.payer_code)].append(rec)
    for key in sorted(set(ordered) | set(rows) | set(unlinked), key=lambda k: (k[0] or 0, k[1] or "")):
        cid, payer = key
        posted, mine = ordered.get(key, []), rows.get(key, [])
        number = numbers.get(cid, str(cid))
        for k in range(max(len(posted), len(mine))):
            row = mine[k] if k < len(mine) else None
            journal = posted[k] if k < len(posted) else None
            if row is None:
                yield from _differs("recoveries", None, f"{number} {payer}", "amount_fen", journal, None)
                continue
            yield from _differs("recoveries", row.id, f"{number} {payer}", "amount_fen", journal, int(row.amount_fen))
            # receipts posted before receipts were linked to their recovery count for the first row
            legacy = unlinked.pop(key, 0) if k == 0 else 0
            yield from _differs("recoveries", row.id, f"{number} {payer}", "received_fen",
                                received.pop(row.id, 0) + legacy, int(row.received_fen))
        if unlinked.get(key):
            yield from _differs("recoveries", None, f"{number} {payer}", "received_fen", unlinked[key], None)
    for rid, total in sorted(received.items()):
        yield from _differs("recoveries", rid, f"追回#{rid}", "received_fen", total, None)
