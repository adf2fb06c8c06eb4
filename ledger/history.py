"""Turn a platform's records into the calculators' scenario, so the ledger never re-implements a rule.

Which claims are in the history of the claim being computed (the *target*):
* decided claims (approved onwards) with their approved amounts; reversed claims as reversed;
* other pending claims (filed … audited) dated no later than the target, with an approved amount of 0:
  they hold their investment years and invoices but have committed nothing yet;
* rejected claims, and claims dated after the target, are left out (they cannot change its result;
  commitments they already made are held against the cap by the ledger's own guard at approval).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from calculators.formats import yuan
from calculators.rulesets.model import DECIDED_STATES, PENDING_STATES
from calculators.scenario import Scenario, from_data
from ledger.models import Claim, Investment, Invoice, Platform, PlatformEvent

DECIDED = DECIDED_STATES  # the amount decided (党组会审定 or 省级下达), calculators/rulesets/model.py
PENDING = PENDING_STATES


@dataclass
class Loaded:
    """What :func:`scenario_for` read of the platform, kept for a caller that needs the same rows again
    (the undertakings check at filing, ledger/undertakings.py): the claims in the scenario's query (every
    claim but the rejected ones, by application date and id) and the platform's events (by date and id)."""

    claims: list[Claim] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    """Plain rows with the event columns as attributes (``kind``, ``date``, ``document_number`` …)."""


# built once (a claim's filing, audit and approval each read the platform's scenario: building and keying these
# statements cost more than running them); ORM-enabled selects of columns, so the session still autoflushes
_E = PlatformEvent
_EVENTS = (select(_E.id, _E.platform_id, _E.kind, _E.date, _E.level, _E.grade, _E.scheme, _E.year,
                  _E.document_number, _E.amount_fen, _E.note, _E.change_date)
           .where(_E.platform_id == bindparam("platform")).order_by(_E.date, _E.id))
_I = Invoice
_CLAIMS = (select(Claim, _I.id, _I.issuer_code, _I.number, _I.date, _I.net_fen, _I.vat_fen, _I.audited_fen)
           .outerjoin(_I, (_I.claim_id == Claim.id) & _I.released.is_(False))
           .where(Claim.platform_id == bindparam("platform"),
                  Claim.state.not_in(("rejected",)) | (Claim.id == bindparam("upto")))
           .order_by(Claim.application_date, Claim.id, _I.id))
_INVESTMENTS = (select(Investment.year, Investment.amount_fen, Investment.vat_fen)
                .where(Investment.platform_id == bindparam("platform")).order_by(Investment.year))


def _read_events(session: Session, platform: Platform) -> list[Any]:
    return list(session.execute(_EVENTS, {"platform": platform.id}))


def platform_events(session: Session, platform: Platform) -> dict[str, list[dict[str, Any]]]:
    return _event_inputs(_read_events(session, platform))


def _event_inputs(events: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"recognitions": [], "pool": [], "agreement_support": [],
                                            "evaluations": [], "events": []}
    for e in events:
        if e.kind == "recognition":
            out["recognitions"].append({"id": f"E{e.id}", "level": e.level, "date": e.date,
                                        "document_number": e.document_number})
        elif e.kind == "pool-entry":
            out["pool"].append({"entered": e.date, "document_number": e.document_number})
        elif e.kind == "pool-exit" and out["pool"] and out["pool"][-1].get("left") is None:
            out["pool"][-1]["left"] = e.date
        elif e.kind == "agreement-support":
            item: dict[str, Any] = {"date": e.date, "document_number": e.document_number}
            if e.amount_fen is not None:
                item["amount"] = yuan(e.amount_fen)
            out["agreement_support"].append(item)
        elif e.kind == "evaluation":
            out["evaluations"].append({"year": e.year, "grade": e.grade, "date": e.date,
                                       "scheme": e.scheme or "jiaxing"})
        elif e.kind == "pool-notice":
            out["events"].append({"kind": e.kind, "date": e.date, "document_number": e.document_number})
        elif e.kind == "change-report":
            out["events"].append({"kind": e.kind, "date": e.date, "change_date": e.change_date, "change": e.note})
        elif e.kind == "re-evaluation":
            out["events"].append({"kind": e.kind, "date": e.date, "result": e.grade,
                                  "document_number": e.document_number})
    if not out["events"]:
        del out["events"]
    return out


def claim_input(session: Session, claim: Claim, *, as_pending: bool = False,
                invoices: Sequence[Any] | None = None) -> dict[str, Any]:
    """The claim as a scenario claim; ``invoices`` (its unreleased invoices, by id: ``Invoice`` objects or rows
    with their columns) if already read."""
    if invoices is None:
        invoices = session.execute(
            select(Invoice).where(Invoice.claim_id == claim.id, Invoice.released.is_(False)).order_by(Invoice.id)
        ).scalars().all()
    item: dict[str, Any] = {
        "id": claim.number,
        "program": claim.program,
        "application_date": claim.application_date,
        "invoices": [
            {"issuer_code": i.issuer_code, "number": i.number, "date": i.date, "net": yuan(i.net_fen),
             "vat": yuan(i.vat_fen), **({"audited": yuan(i.audited_fen)} if i.audited_fen is not None else {})}
            for i in invoices
        ],
    }
    if claim.years:
        item["years"] = list(claim.years)
    if claim.national_support_fen is not None:
        item["national_support"] = yuan(claim.national_support_fen)
    if claim.recorded_amount_fen is not None:
        item["recorded_amount"] = yuan(claim.recorded_amount_fen)
    if claim.evaluation_year is not None:
        item["evaluation_year"] = claim.evaluation_year
    if claim.state in DECIDED and claim.approved_fen is not None:
        item["approved_amount"] = yuan(claim.approved_fen)
    elif as_pending:
        item["approved_amount"] = "0.00"
    if claim.state == "reversed":
        item["reversed"] = True
    return item


def scenario_for(session: Session, platform: Platform, *, upto: Claim | None = None,
                 extra_claims: list[dict[str, Any]] | None = None, loaded: Loaded | None = None) -> Scenario:
    """The platform's scenario for computing ``upto`` (or a new claim in ``extra_claims``); the rows read
    are kept in ``loaded`` when given."""
    by_claim: dict[int, list[Any]] = {}
    claims: list[Claim] = []
    for row in session.execute(  # every claim with its unreleased invoices, in one query
            _CLAIMS, {"platform": platform.id, "upto": upto.id if upto is not None else -1}):
        c = row[0]
        if c.id not in by_claim:
            by_claim[c.id] = []
            claims.append(c)
        if row.id is not None:
            by_claim[c.id].append(row)
    events = _read_events(session, platform)
    if loaded is not None:
        loaded.claims, loaded.events = claims, events
    chosen: list[dict[str, Any]] = []
    for c in claims:
        if upto is not None and c.id == upto.id:
            chosen.append(claim_input(session, c, invoices=by_claim[c.id]))
            continue
        if upto is not None and (c.application_date, c.id) > (upto.application_date, upto.id):
            continue  # later claims cannot change the target's result; the ledger's cap guard covers them
        pending = c.state in PENDING
        chosen.append(claim_input(session, c, as_pending=pending, invoices=by_claim[c.id]))
    investments = session.execute(_INVESTMENTS, {"platform": platform.id})
    data: dict[str, Any] = {
        "name": platform.name,
        "platform": {"id": platform.code, "name": platform.name, "operator": platform.operator,
                     "jurisdiction": platform.jurisdiction_code, "leader_type": platform.leader_type},
        **_event_inputs(events),
        "investments": [{"year": i.year, "amount": yuan(i.amount_fen), "vat": yuan(i.vat_fen)}
                        for i in investments],
        "claims": chosen + list(extra_claims or []),
    }
    return from_data(data)
