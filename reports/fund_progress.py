"""Fund progress (资金进度) per district and payer: appropriated (预算指标), committed (党组会审定的分担),
issued (已下达), paid (已拨付, reversed payments left out). Integer fen; the pages draw and format it.

Appropriations are the payer's for the year (a city appropriation serves every district), so they are
given per payer; the other three figures per (district, payer).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.models import Approval, Budget, Claim, ClaimEvent, FundIssue, JournalEntry, Payment, Platform

LIVE = ("approved", "in_notice", "objected", "issued", "paid")


@dataclass(frozen=True)
class Progress:
    jurisdiction: str
    payer: str
    committed: int
    issued: int
    paid: int


@dataclass(frozen=True)
class FundProgress:
    year: int | None
    appropriated: dict[str, int]  # payer → fen
    rows: tuple[Progress, ...]

    def payer_totals(self) -> dict[str, tuple[int, int, int, int]]:
        """payer → (appropriated, committed, issued, paid)."""
        out: dict[str, list[int]] = {p: [a, 0, 0, 0] for p, a in self.appropriated.items()}
        for r in self.rows:
            t = out.setdefault(r.payer, [0, 0, 0, 0])
            t[1] += r.committed
            t[2] += r.issued
            t[3] += r.paid
        return {p: (t[0], t[1], t[2], t[3]) for p, t in sorted(out.items())}


def _reversed_payments(session: Session) -> set[tuple[int, str]]:
    """(claim id, "payer voucher") of payments whose entry has been reversed."""
    undone = select(JournalEntry.reverses_id).where(JournalEntry.reverses_id.is_not(None))
    rows = session.execute(select(ClaimEvent.claim_id, ClaimEvent.note).where(
        ClaimEvent.action == "pay", ClaimEvent.entry_id.in_(undone))).all()
    return {(cid, note) for cid, note in rows}


def _shares(session: Session, year: int | None, found: dict[int, tuple[str, str]],
            acc: dict[tuple[str, str], list[int]]) -> set[int]:
    """Add each live claim's approved shares (committed) and, once issued, to issued; the claims counted."""
    issued = set(session.execute(select(FundIssue.claim_id)).scalars())
    latest = {a.claim_id: a for a in session.execute(select(Approval).order_by(Approval.id)).scalars()
              if year is None or a.fiscal_year == year}
    counted = {cid for cid in latest if cid in found and found[cid][0] in LIVE}
    for cid in counted:
        for payer, fen in latest[cid].shares.items():
            acc[(found[cid][1], payer)][0] += fen
            acc[(found[cid][1], payer)][1] += fen if cid in issued else 0
    return counted


def fund_progress(session: Session, *, year: int | None = None, jurisdiction: str | None = None) -> FundProgress:
    """The progress of the year's funds (every year if ``year`` is None), limited to one district if given."""
    q = select(Budget.payer_code, func.sum(Budget.appropriation_fen)).group_by(Budget.payer_code)
    if year is not None:
        q = q.where(Budget.fiscal_year == year)
    appropriated = {p: int(a or 0) for p, a in session.execute(q).all()}
    claims = select(Claim.id, Claim.state, Platform.jurisdiction_code).join(Platform, Platform.id == Claim.platform_id)
    if jurisdiction is not None:
        claims = claims.where(Platform.jurisdiction_code == jurisdiction)
    found = {cid: (state, j) for cid, state, j in session.execute(claims).all()}
    acc: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    counted = _shares(session, year, found, acc)
    undone = _reversed_payments(session)
    for pm in session.execute(select(Payment).where(Payment.claim_id.in_(counted))).scalars():
        if (pm.claim_id, f"{pm.payer_code} {pm.voucher_number}") not in undone:
            acc[(found[pm.claim_id][1], pm.payer_code)][2] += pm.amount_fen
    rows = tuple(Progress(j, p, *v) for (j, p), v in sorted(acc.items()))
    if jurisdiction is not None:
        appropriated = {p: a for p, a in appropriated.items() if p in {r.payer for r in rows}}
    return FundProgress(year, appropriated, rows)
