"""The budget forecast's inputs from the ledger (预算测算): every platform's record as the calculators'
:class:`~calculators.forecast.Subject` — its scenario (``ledger.history.scenario_for``), which claims are
still pending, and the approved shares not yet paid, from the journal (docs/forecast.md).

Only reads. The projection itself is :func:`calculators.forecast.forecast`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from calculators.forecast import Commitment, Forecast, Subject, WhatIf, forecasts
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import PENDING_STATES, RuleBook
from ledger import accounts as A
from ledger.history import scenario_for
from ledger.models import Claim, Payer, Platform, Posting

OUTSTANDING_ACCOUNTS = (A.COMMITTED, A.OBLIGATED)
"""Approved (已审定) and issued (已下达) but not yet spent: what a commitment still owes (credit balance)."""


def outstanding(session: Session) -> dict[int, list[Commitment]]:
    """platform id → its approved shares not yet paid, per claim and payer, from the journal."""
    p = Posting.__table__
    names = dict(session.execute(select(Payer.code, Payer.name)).all())
    rows = session.execute(
        select(p.c.platform_id, Claim.number, p.c.program, p.c.payer_code, -func.sum(p.c.amount_fen))
        .join(Claim, Claim.id == p.c.claim_id)
        .where(p.c.account_code.in_(OUTSTANDING_ACCOUNTS), p.c.claim_id.is_not(None))
        .group_by(p.c.platform_id, Claim.number, p.c.program, p.c.payer_code)
        .order_by(Claim.number, p.c.payer_code)
    ).all()
    out: dict[int, list[Commitment]] = defaultdict(list)
    for platform_id, number, program, payer, fen in rows:
        if fen and payer is not None:
            out[platform_id].append(Commitment(number, program or "", payer, names.get(payer, payer), int(fen)))
    return out


def subjects(session: Session, plans: Mapping[str, Mapping[int, int]] | None = None) -> list[Subject]:
    """Every platform's record for the forecast, in code order, with its declared plan if any."""
    plans = plans or {}
    owed = outstanding(session)
    pending: dict[int, set[str]] = defaultdict(set)
    for platform_id, number in session.execute(
            select(Claim.platform_id, Claim.number).where(Claim.state.in_(PENDING_STATES))):
        pending[platform_id].add(number)
    out = []
    for platform in session.execute(select(Platform).order_by(Platform.code)).scalars():
        out.append(Subject(scenario_for(session, platform), frozenset(pending[platform.id]),
                           tuple(owed.get(platform.id, ())), dict(plans.get(platform.code, {}))))
    return out


def unknown_platforms(session: Session, plans: Mapping[str, Mapping[int, int]]) -> list[str]:
    """Platform codes in a plan that the ledger does not have."""
    known = set(session.execute(select(Platform.code)).scalars())
    return sorted(set(plans) - known)


@dataclass(frozen=True)
class ForecastRun:
    """The forecasts of one or two what-ifs on the same records, as of a day."""

    as_of: date
    first_year: int
    forecasts: tuple[Forecast, ...]


def run(session: Session, what_ifs: tuple[WhatIf, ...], *, as_of: date, first_year: int | None = None,
        plans: Mapping[str, Mapping[int, int]] | None = None, book: RuleBook | None = None) -> ForecastRun:
    """Read the records once and forecast each what-if from ``first_year`` (default: the year after ``as_of``)."""
    from ledger.errors import Invalid

    plans = plans or {}
    unknown = unknown_platforms(session, plans)
    if unknown:
        raise Invalid("投资计划文件格式（docs/forecast.md）",
                      f"投资计划中的平台编号不存在：{'、'.join(unknown[:10])}；请核对平台编号", field="plan")
    found = subjects(session, plans)
    year = first_year or as_of.year + 1
    b = book or rulebook()
    return ForecastRun(as_of, year, forecasts(found, b, what_ifs, year))
