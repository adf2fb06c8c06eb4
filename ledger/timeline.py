"""A platform's life in date order (平台时间线): its recognitions and other events, evaluations, claims
(filing and every step of the procedure) and payments, each pointing at its record.

Typed entries (dates, integer fen, codes); the pages name and format them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import Claim, ClaimEvent, Payer, Payment, Platform, PlatformEvent


class Kind(StrEnum):
    RECOGNITION = "recognition"
    EVALUATION = "evaluation"
    EVENT = "event"  # pool entry/exit, agreement support, rectification, …
    CLAIM = "claim"  # a claim filed or moved on in the procedure
    PAYMENT = "payment"


@dataclass(frozen=True)
class Moment:
    """One dated entry. ``record`` is the claim number for claims and payments, else the event id;
    ``what`` the event kind or the procedure action; ``amount`` in fen where there is one."""

    on: date
    kind: Kind
    what: str
    record: str
    program: str = ""
    level: str | None = None
    grade: str | None = None
    document: str = ""
    amount: int | None = None
    payer: str = ""
    payer_name: str = ""
    order: int = 0


_EVENT_KIND = {"recognition": Kind.RECOGNITION, "evaluation": Kind.EVALUATION, "re-evaluation": Kind.EVALUATION}


def platform_timeline(session: Session, platform: Platform) -> list[Moment]:
    """Everything dated about ``platform``, oldest first (same day: events, then claims, then payments)."""
    out: list[Moment] = []
    for e in session.execute(select(PlatformEvent).where(PlatformEvent.platform_id == platform.id)).scalars():
        out.append(Moment(e.date, _EVENT_KIND.get(e.kind, Kind.EVENT), e.kind, str(e.id), level=e.level,
                          grade=e.grade, document=e.document_number or "", amount=e.amount_fen, order=e.id))
    steps = session.execute(select(ClaimEvent, Claim).join(Claim, Claim.id == ClaimEvent.claim_id)
                            .where(Claim.platform_id == platform.id)).all()
    for ev, c in steps:
        if ev.action == "pay":
            continue  # shown from the payment itself, with its amount
        amount = c.requested_fen if ev.action == "file" else c.approved_fen if ev.action == "approve" else None
        out.append(Moment(ev.date, Kind.CLAIM, ev.action, c.number, program=c.program, amount=amount,
                          document=ev.note if ev.action != "file" else "", order=1_000_000 + ev.id))
    pays = session.execute(select(Payment, Claim, Payer.name).join(Claim, Claim.id == Payment.claim_id)
                           .join(Payer, Payer.code == Payment.payer_code).where(Claim.platform_id == platform.id)).all()
    for pm, c, payer_name in pays:
        out.append(Moment(pm.date, Kind.PAYMENT, "pay", c.number, program=c.program, amount=pm.amount_fen,
                          payer=pm.payer_code, payer_name=payer_name, document=pm.voucher_number,
                          order=2_000_000 + pm.id))
    return sorted(out, key=lambda m: (m.on, m.order))
