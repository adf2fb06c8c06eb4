"""Turn a platform's records into the calculators' scenario, so the ledger never re-implements a rule.

Which claims are in the history of the claim being computed (the *target*):
* decided claims (approved onwards) with their approved amounts; reversed claims as reversed;
* other pending claims (filed … audited) dated no later than the target, with an approved amount of 0:
  they hold their investment years and invoices but have committed nothing yet;
* rejected claims, and claims dated after the target, are left out (they cannot change its result;
  commitments they already made are held against the cap by the ledger's own guard at approval).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    Executable,
    Integer,
    Select,
    Table,
    bindparam,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from calculators.formats import yuan
from calculators.rulesets.model import DECIDED_STATES, PENDING_STATES
from calculators.scenario import Fen, Scenario, from_data
from ledger.db import read_columns
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


# The platform's history in one statement (a claim's filing, audit and approval each read it): ``UNION ALL`` of
# four parts told apart by ``part`` — its claims, their unreleased invoices, its events, its investments — each
# part's columns under their own names (a name two parts share is one column, of one type), NULL where a part has
# none. Sorted once read (:func:`_read_history`: the orders the four statements it replaces gave, the same keys).
# Built once (building and keying the statement cost more than running it), run with Core on the session's
# connection (plain rows, none of the ORM's loading; the session flushed first, as an ORM select autoflushes).
_CLAIMS_TABLE = cast(Table, Claim.__table__)
_INVOICES_TABLE = cast(Table, Invoice.__table__)
_C, _I = _CLAIMS_TABLE.c, _INVOICES_TABLE.c
_E = cast(Table, PlatformEvent.__table__).c
_V = cast(Table, Investment.__table__).c
CLAIM_PART, INVOICE_PART, EVENT_PART, INVESTMENT_PART = 0, 1, 2, 3
_CLAIM_COLUMNS = {
    "id": _C.id, "number": _C.number, "platform_id": _C.platform_id, "program": _C.program, "rule_set": _C.rule_set,
    "application_date": _C.application_date, "state": _C.state, "years": _C.years,
    "national_support_fen": _C.national_support_fen, "recorded_amount_fen": _C.recorded_amount_fen,
    "evaluation_year": _C.evaluation_year, "approved_fen": _C.approved_fen}
_INVOICE_COLUMNS = {
    "id": _I.id, "claim_id": _I.claim_id, "issuer_code": _I.issuer_code, "number": _I.number, "date": _I.date,
    "net_fen": _I.net_fen, "vat_fen": _I.vat_fen, "audited_fen": _I.audited_fen}
_EVENT_COLUMNS = {
    "id": _E.id, "platform_id": _E.platform_id, "kind": _E.kind, "date": _E.date, "level": _E.level,
    "grade": _E.grade, "scheme": _E.scheme, "year": _E.year, "document_number": _E.document_number,
    "amount_fen": _E.amount_fen, "note": _E.note, "change_date": _E.change_date}
_INVESTMENT_COLUMNS = {"year": _V.year, "amount_fen": _V.amount_fen, "vat_fen": _V.vat_fen}
_SLOTS: dict[str, Any] = {}  # name → type: every part's columns
for _columns in (_CLAIM_COLUMNS, _INVOICE_COLUMNS, _EVENT_COLUMNS, _INVESTMENT_COLUMNS):
    for _name, _column in _columns.items():
        _SLOTS.setdefault(_name, _column.type)


def _part(part: int, columns: dict[str, Any]) -> Select[Any]:
    """One part of the history's statement: ``part``, then its ``columns`` in their slots, NULL in the others."""
    return select(literal_column(str(part), Integer).label("part"),
                  *(columns[name].label(name) if name in columns else sql_cast(null(), type_).label(name)
                    for name, type_ in _SLOTS.items()))


_HISTORY = union_all(
    # every claim but the rejected ones, and the target whatever its state (``state != 'rejected'`` rather than
    # ``NOT IN ('rejected')``: the same rows, state is NOT NULL, and no expanding parameter to render each time)
    _part(CLAIM_PART, _CLAIM_COLUMNS)
    .where(_C.platform_id == bindparam("platform"), (_C.state != "rejected") | (_C.id == bindparam("upto"))),
    # the unreleased invoices of the platform's claims (those of a claim not read above are not used)
    _part(INVOICE_PART, _INVOICE_COLUMNS).select_from(_INVOICES_TABLE.join(_CLAIMS_TABLE, _C.id == _I.claim_id))
    .where(_C.platform_id == bindparam("platform"), _I.released.is_(False)),
    _part(EVENT_PART, _EVENT_COLUMNS).where(_E.platform_id == bindparam("platform")),
    _part(INVESTMENT_PART, _INVESTMENT_COLUMNS).where(_V.platform_id == bindparam("platform")),
)
_HistoryRow = namedtuple("_HistoryRow", ["part", *_SLOTS])  # type: ignore[misc]
"""A row of ``_HISTORY`` as a named tuple: its columns read by name in a tenth of the time a ``Row`` takes."""
_EVENTS = (select(*(column.label(name) for name, column in _EVENT_COLUMNS.items()))
           .where(_E.platform_id == bindparam("platform")).order_by(_E.date, _E.id))


def _rows(session: Session, statement: Executable, params: dict[str, Any]) -> list[Any]:
    return list(read_columns(session, statement, params).all())


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


@dataclass
class _History:
    """The platform's rows, read in one statement (``_HISTORY``), split by part and sorted."""

    claims: list[Any]  # by application date and id
    invoices: dict[int, list[dict[str, Any]]]  # the scenario invoices of each claim read, by claim id; by id
    events: list[Any]  # by date and id
    investments: list[Any]  # by year


def _read_history(session: Session, platform: Platform, upto: Claim | None) -> _History:
    parts: tuple[list[Any], ...] = ([], [], [], [])
    for row in _rows(session, _HISTORY, {"platform": platform.id, "upto": upto.id if upto is not None else -1}):
        parts[row[0]].append(_HistoryRow._make(row))
    claims, invoices, events, investments = parts
    claims.sort(key=lambda c: (c.application_date, c.id))  # each key unique, never NULL: as ORDER BY sorts
    by_claim: dict[int, list[dict[str, Any]]] = {c.id: [] for c in claims}
    for i in sorted(invoices, key=lambda i: i.id):
        if i.claim_id in by_claim:
            by_claim[i.claim_id].append(_invoice_item(i.issuer_code, i.number, i.date, i.net_fen, i.vat_fen,
                                                      i.audited_fen, Fen))
    events.sort(key=lambda e: (e.date, e.id))
    investments.sort(key=lambda v: v.year)
    return _History(claims, by_claim, events, investments)


def scenario_for(session: Session, platform: Platform, *, upto: Claim | None = None,
                 extra_claims: list[dict[str, Any]] | None = None, loaded: Loaded | None = None) -> Scenario:
    """The platform's scenario for computing ``upto`` (or a new claim in ``extra_claims``); the rows read
    are kept in ``loaded`` when given. The ledger's own amounts go in as :class:`~calculators.scenario.Fen`
    (typed rows, no yuan strings to write and parse back); the scenario is still validated as a whole, so a
    history that is not a valid scenario is refused as before (``add_platform_event`` relies on it)."""
    history = _read_history(session, platform, upto)
    if loaded is not None:
        loaded.claims, loaded.events = history.claims, history.events
    chosen: list[dict[str, Any]] = []
    by_claim = history.invoices
    for c in history.claims:
        if upto is not None and c.id == upto.id:
            chosen.append(_claim_item(c, by_claim[c.id], as_pending=False, money=Fen))
            continue
        if upto is not None and (c.application_date, c.id) > (upto.application_date, upto.id):
            continue  # later claims cannot change the target's result; the ledger's cap guard covers them
        chosen.append(_claim_item(c, by_claim[c.id], as_pending=c.state in PENDING, money=Fen))
    data: dict[str, Any] = {
        "name": platform.name,
        "platform": {"id": platform.code, "name": platform.name, "operator": platform.operator,
                     "jurisdiction": platform.jurisdiction_code, "leader_type": platform.leader_type},
        **_event_inputs(history.events, Fen),
        "investments": [{"year": i.year, "amount": Fen(i.amount_fen), "vat": Fen(i.vat_fen)}
                        for i in history.investments],
        "claims": chosen + list(extra_claims or []),
    }
    return from_data(data)
