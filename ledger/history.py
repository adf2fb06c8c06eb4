"""Turn a platform's records into the calculators' scenario, so the ledger never re-implements a rule.

Which claims are in the history of the claim being computed (the *target*):
* decided claims (approved onwards) with their approved amounts; reversed claims as reversed;
* other pending claims (filed … audited) dated no later than the target, with an approved amount of 0:
  they hold their investment years and invoices but have committed nothing yet;
* rejected claims, and claims dated after the target, are left out (they cannot change its result;
  commitments they already made are held against the cap by the ledger's own guard at approval).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.orm import Session

from calculators.formats import yuan
from calculators.rulesets.model import DECIDED_STATES, PENDING_STATES
from calculators.scenario import Fen, Scenario, from_data
from ledger.models import Claim, Investment, Invoice, Platform, PlatformEvent

DECIDED = DECIDED_STATES  # the amount decided (党组会审定 or 省级下达), calculators/rulesets/model.py
PENDING = PENDING_STATES


@dataclass
class Loaded:
    """What :func:`scenario_for` read of the platform, kept for a caller that needs the same rows again
    (the undertakings check at filing, ledger/undertakings.py): the claims in the scenario's query (every
    claim but the rejected ones, by application date and id) and the platform's events (by date and id)."""

    claims: list[Any] = field(default_factory=list)
    """Plain rows with the claim columns as attributes (``id``, ``number``, ``platform_id``, ``program``,
    ``rule_set``, ``application_date``, ``state`` …; see ``_CLAIMS``), read, not ``Claim`` objects."""
    events: list[Any] = field(default_factory=list)
    """Plain rows with the event columns as attributes (``kind``, ``date``, ``document_number`` …)."""


# built once (a claim's filing, audit and approval each read the platform's scenario: building and keying these
# statements cost more than running them), and run on the session's connection (Core: plain rows, none of the
# ORM's loading; the session is flushed first, as an ORM select would autoflush it: see _rows)
_E = cast(Table, PlatformEvent.__table__).c
_EVENTS = (select(_E.id, _E.platform_id, _E.kind, _E.date, _E.level, _E.grade, _E.scheme, _E.year,
                  _E.document_number, _E.amount_fen, _E.note, _E.change_date)
           .where(_E.platform_id == bindparam("platform")).order_by(_E.date, _E.id))
_C = cast(Table, Claim.__table__).c
_INVOICES = cast(Table, Invoice.__table__)
_I = _INVOICES.c
# every claim with its unreleased invoices (one row per invoice, invoice columns NULL for a claim without);
# ``state != 'rejected'`` rather than ``NOT IN ('rejected')``: the same rows (state is NOT NULL), no expanding
# parameter to render on each run
_CLAIMS = (select(_C.id, _C.number, _C.platform_id, _C.program, _C.rule_set, _C.application_date, _C.state,
                  _C.years, _C.national_support_fen, _C.recorded_amount_fen, _C.evaluation_year, _C.approved_fen,
                  _I.id.label("invoice_id"), _I.issuer_code, _I.number.label("invoice_number"),
                  _I.date.label("invoice_date"), _I.net_fen, _I.vat_fen, _I.audited_fen)
           .outerjoin(_INVOICES, (_I.claim_id == _C.id) & _I.released.is_(False))
           .where(_C.platform_id == bindparam("platform"),
                  (_C.state != "rejected") | (_C.id == bindparam("upto")))
           .order_by(_C.application_date, _C.id, _I.id))
_V = cast(Table, Investment.__table__).c
_INVESTMENTS = (select(_V.year, _V.amount_fen, _V.vat_fen)
                .where(_V.platform_id == bindparam("platform")).order_by(_V.year))


def _rows(session: Session, statement: Select[Any], params: dict[str, Any]) -> list[Any]:
    """``statement``'s rows, run with Core on the session's connection; the session flushed first, as an
    ORM select autoflushes it (unless autoflush is off), so the rows read include its pending changes."""
    if session.autoflush:
        session.flush()
    return list(session.connection().execute(statement, params))


def _read_events(session: Session, platform: Platform) -> list[Any]:
    return _rows(session, _EVENTS, {"platform": platform.id})


def platform_events(session: Session, platform: Platform) -> dict[str, list[dict[str, Any]]]:
    return _event_inputs(_read_events(session, platform))


Amount = Callable[[int], Any]
"""How an amount in fen is given to the scenario: ``yuan`` (the scenario format's yuan string), or ``Fen``
(calculators/scenario.py: taken as fen as it is; the same scenario, without the string's round trip)."""


def _event_inputs(events: Sequence[Any], money: Amount = yuan) -> dict[str, list[dict[str, Any]]]:
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
                item["amount"] = money(e.amount_fen)
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
    return _claim_item(claim, [_invoice_item(i.issuer_code, i.number, i.date, i.net_fen, i.vat_fen, i.audited_fen)
                               for i in invoices], as_pending=as_pending)


def _invoice_item(issuer_code: str, number: str, on: Any, net_fen: int, vat_fen: int, audited_fen: int | None,
                  money: Amount = yuan) -> dict[str, Any]:
    item = {"issuer_code": issuer_code, "number": number, "date": on, "net": money(net_fen), "vat": money(vat_fen)}
    if audited_fen is not None:
        item["audited"] = money(audited_fen)
    return item


def _claim_item(claim: Any, invoices: list[dict[str, Any]], *, as_pending: bool,
                money: Amount = yuan) -> dict[str, Any]:
    """The scenario claim of ``claim`` (a ``Claim`` or a row with its columns) with its ``invoices``."""
    item: dict[str, Any] = {
        "id": claim.number,
        "program": claim.program,
        "application_date": claim.application_date,
        "invoices": invoices,
    }
    if claim.years:
        item["years"] = list(claim.years)
    if claim.national_support_fen is not None:
        item["national_support"] = money(claim.national_support_fen)
    if claim.recorded_amount_fen is not None:
        item["recorded_amount"] = money(claim.recorded_amount_fen)
    if claim.evaluation_year is not None:
        item["evaluation_year"] = claim.evaluation_year
    if claim.state in DECIDED and claim.approved_fen is not None:
        item["approved_amount"] = money(claim.approved_fen)
    elif as_pending:
        item["approved_amount"] = money(0)
    if claim.state == "reversed":
        item["reversed"] = True
    return item


def _read_claims(session: Session, platform: Platform, upto: Claim | None) -> tuple[list[Any], dict[int, list[Any]]]:
    """The platform's claims in the scenario's query (one row each, the first of its invoice rows) and, by
    claim id, the scenario invoices of each (amounts as :class:`~calculators.scenario.Fen`)."""
    claims: list[Any] = []
    by_claim: dict[int, list[Any]] = {}
    for row in _rows(session, _CLAIMS, {"platform": platform.id, "upto": upto.id if upto is not None else -1}):
        invoices = by_claim.get(row.id)
        if invoices is None:
            invoices = by_claim[row.id] = []
            claims.append(row)
        if row.invoice_id is not None:
            invoices.append(_invoice_item(row.issuer_code, row.invoice_number, row.invoice_date, row.net_fen,
                                          row.vat_fen, row.audited_fen, Fen))
    return claims, by_claim


def scenario_for(session: Session, platform: Platform, *, upto: Claim | None = None,
                 extra_claims: list[dict[str, Any]] | None = None, loaded: Loaded | None = None) -> Scenario:
    """The platform's scenario for computing ``upto`` (or a new claim in ``extra_claims``); the rows read
    are kept in ``loaded`` when given. The ledger's own amounts go in as :class:`~calculators.scenario.Fen`
    (typed rows, no yuan strings to write and parse back); the scenario is still validated as a whole, so a
    history that is not a valid scenario is refused as before (``add_platform_event`` relies on it)."""
    claims, by_claim = _read_claims(session, platform, upto)
    events = _read_events(session, platform)
    if loaded is not None:
        loaded.claims, loaded.events = claims, events
    chosen: list[dict[str, Any]] = []
    for c in claims:
        if upto is not None and c.id == upto.id:
            chosen.append(_claim_item(c, by_claim[c.id], as_pending=False, money=Fen))
            continue
        if upto is not None and (c.application_date, c.id) > (upto.application_date, upto.id):
            continue  # later claims cannot change the target's result; the ledger's cap guard covers them
        chosen.append(_claim_item(c, by_claim[c.id], as_pending=c.state in PENDING, money=Fen))
    investments = _rows(session, _INVESTMENTS, {"platform": platform.id})
    data: dict[str, Any] = {
        "name": platform.name,
        "platform": {"id": platform.code, "name": platform.name, "operator": platform.operator,
                     "jurisdiction": platform.jurisdiction_code, "leader_type": platform.leader_type},
        **_event_inputs(events, Fen),
        "investments": [{"year": i.year, "amount": Fen(i.amount_fen), "vat": Fen(i.vat_fen)} for i in investments],
        "claims": chosen + list(extra_claims or []),
    }
    return from_data(data)
