"""Read-only questions over the journal: balances as of a date by dimension, cap headroom, trial balance.

Every figure is summed from postings, so it is as true as the journal; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from calculators.caps import cap_on
from calculators.rulesets.bundled import rulebook
from ledger import accounts as A
from ledger.history import scenario_for
from ledger.models import Account, Claim, JournalEntry, Platform, Posting

P = Posting.__table__
E = JournalEntry.__table__


def balance(session: Session, accounts: Sequence[str], *, as_of: date | None = None, payer: str | None = None,
            platform_id: int | None = None, program: str | None = None, claim_id: int | None = None,
            fiscal_year: int | None = None) -> int:
    """Signed balance (debit positive) of ``accounts`` over postings matching the dimensions given."""
    conds: list[Any] = [P.c.account_code.in_(list(accounts))]
    for col, value in (("payer_code", payer), ("platform_id", platform_id), ("program", program),
                       ("claim_id", claim_id), ("fiscal_year", fiscal_year)):
        if value is not None:
            conds.append(P.c[col] == value)
    q = select(func.coalesce(func.sum(P.c.amount_fen), 0)).where(and_(*conds))
    if as_of is not None:
        q = q.select_from(P.join(E, E.c.id == P.c.entry_id)).where(E.c.entry_date <= as_of)
    return int(session.execute(q).scalar_one())


@dataclass(frozen=True)
class Headroom:
    """A platform's cap position under a program as of a date (累计上限、已承诺、剩余额度)."""

    platform: str
    program: str
    level: str
    cap: int | None
    committed: int
    headroom: int | None
    as_of: date


def cap_headroom(session: Session, platform_code: str, program: str, as_of: date) -> Headroom:
    platform = session.execute(select(Platform).where(Platform.code == platform_code)).scalar_one()
    committed = -balance(session, A.COMMITTED_ACCOUNTS, as_of=as_of, platform_id=platform.id, program=program)
    recognitions = [(r.level, r.date) for r in scenario_for(session, platform).recognitions]
    found = cap_on(recognitions, rulebook(), program, as_of)
    cap = found.limit if found else None
    level = found.level if found else ""
    return Headroom(platform_code, program, level, cap, committed,
                    None if cap is None else cap - committed, as_of)


@dataclass(frozen=True)
class TrialBalanceRow:
    account: str
    name: str
    view: str
    debit: int
    credit: int

    @property
    def balance(self) -> int:
        return self.debit - self.credit


def trial_balance(session: Session, *, as_of: date | None = None, start: date | None = None) -> list[TrialBalanceRow]:
    """Debit and credit totals per account (试算平衡表); the totals are equal in a balanced journal."""
    debit = func.coalesce(func.sum(case((P.c.amount_fen > 0, P.c.amount_fen), else_=0)), 0)
    credit = func.coalesce(func.sum(case((P.c.amount_fen < 0, -P.c.amount_fen), else_=0)), 0)
    q = select(P.c.account_code, debit, credit)
    if as_of is not None or start is not None:  # join the entries only to bound the dates
        q = q.select_from(P.join(E, E.c.id == P.c.entry_id))
    if as_of is not None:
        q = q.where(E.c.entry_date <= as_of)
    if start is not None:
        q = q.where(E.c.entry_date >= start)
    sums = {row[0]: (int(row[1]), int(row[2])) for row in session.execute(q.group_by(P.c.account_code))}
    rows = []
    for acc in session.execute(select(Account).order_by(Account.code)).scalars():
        d, c = sums.get(acc.code, (0, 0))
        rows.append(TrialBalanceRow(acc.code, acc.name, acc.view, d, c))
    return rows


def claims_by_state(session: Session) -> dict[str, int]:
    return {state: n for state, n in session.execute(select(Claim.state, func.count(Claim.id)).group_by(Claim.state))}


STATE_ACCOUNTS: dict[str, tuple[str, int]] = {
    # state: (account, sign that makes the balance positive)
    "filed": (A.MEMO_FILED, 1),
    "econ_reviewed": (A.MEMO_ECON_REVIEWED, 1),
    "district_reviewed": (A.MEMO_DISTRICT_REVIEWED, 1),
    "audited": (A.MEMO_AUDITED, 1),
    "in_notice": (A.MEMO_IN_NOTICE, 1),
    "objected": (A.MEMO_OBJECTED, 1),
    "committed": (A.COMMITTED, -1),
    "obligated": (A.OBLIGATED, -1),
    "expended": (A.EXPENDED, -1),
    "appropriation_available": (A.APPROPRIATION_AVAILABLE, -1),
    "recovery_receivable": (A.RECOVERY_RECEIVABLE, 1),
}


def balances_by_state(session: Session, *, as_of: date | None = None, payer: str | None = None,
                      platform_id: int | None = None, program: str | None = None) -> dict[str, int]:
    """Amounts standing in each stage of the procedure as of a date (备查 and budgetary balances)."""
    return {state: sign * balance(session, [account], as_of=as_of, payer=payer, platform_id=platform_id,
                                  program=program)
            for state, (account, sign) in STATE_ACCOUNTS.items()}
