"""A claim in full from one statement (申请详情): the claim, its platform, the stored explanation and every
record of its procedure — invoices, events, reviews, audits, approvals, notices (with their end-date
changes), objections, fund issue, payments (confirmed or withdrawn), recoveries and what each payer still
owes — read by a single SELECT whose columns are JSON arrays built by the database (``json_agg`` on
PostgreSQL, ``json_group_array`` on SQLite), one correlated subquery per record table.

One statement instead of fifteen: on PostgreSQL each statement is a round trip, and in an autocommit read
(:func:`ledger.db.reading`) one statement is also one consistent state. Nothing is recomputed on read: the
calculation shown is the one stored at the claim's last state change (:mod:`ledger.explanations`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    ScalarSelect,
    SQLColumnExpression,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.results import (
    ApprovalRow,
    AuditRow,
    ClaimEventRow,
    ClaimRow,
    FundIssueRow,
    InvoiceRow,
    NoticeEndChangeRow,
    NoticeRow,
    ObjectionRow,
    PaymentRow,
    PlatformEventRow,
    RecoveryRow,
    ReviewRow,
)
from ledger import accounts as A
from ledger.explanations import Explanation, decode
from ledger.models import (
    Approval,
    Audit,
    Claim,
    ClaimEvent,
    ClaimExplanation,
    FundIssue,
    Invoice,
    JournalHead,
    Jurisdiction,
    Notice,
    NoticeClaim,
    NoticeEndChange,
    Objection,
    Payment,
    PaymentConfirmation,
    PaymentWithdrawal,
    Platform,
    PlatformEvent,
    Posting,
    ProvincialStep,
    Recovery,
    Review,
)
from ledger.outcomes import ClaimState

# ---------------------------------------------------------------- JSON built by the database


class json_object(FunctionElement[Any]):
    """A JSON object from ``key, value, key, value …`` (json_build_object / json_object)."""

    type = JSON()
    inherit_cache = True


class json_rows(FunctionElement[Any]):
    """The JSON array of a subquery's objects (json_agg / json_group_array; NULL or [] when none)."""

    type = JSON()
    inherit_cache = True


class json_value(FunctionElement[Any]):
    """A JSON column nested as JSON, not as a string (SQLite keeps JSON as text: ``json(x)``)."""

    type = JSON()
    inherit_cache = True


_NAMES: dict[type[FunctionElement[Any]], tuple[str, str]] = {
    json_object: ("json_build_object", "json_object"),
    json_rows: ("json_agg", "json_group_array"),
    json_value: ("", "json"),  # PostgreSQL nests a json column as it is
}
"""Each construct's function on PostgreSQL and on SQLite."""


@compiles(json_object)
@compiles(json_rows)
@compiles(json_value)
def _json(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    postgresql, sqlite = _NAMES[type(element)]
    name = postgresql if compiler.dialect.name == "postgresql" else sqlite
    return f"{name}({compiler.process(element.clauses, **kw)})"


def _pairs(columns: Mapping[str, SQLColumnExpression[Any]]) -> json_object:
    args: list[SQLColumnExpression[Any]] = []
    for key, column in columns.items():
        args += [literal_column(f"'{key}'"), column]  # keys are this module's constants, never user text
    return json_object(*args)


def _all(columns: Mapping[str, SQLColumnExpression[Any]], *where: ColumnElement[bool]) -> ScalarSelect[Any]:
    """A correlated subquery: the JSON array of ``columns`` of every row matching ``where``."""
    return select(json_rows(_pairs(columns))).where(*where).scalar_subquery()


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _day(value: str) -> date:
    return date.fromisoformat(value[:10])


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------- the statement

C = Claim.id
_INVOICES = {"id": Invoice.id, "issuer_code": Invoice.issuer_code, "number": Invoice.number, "date": Invoice.date,
             "net": Invoice.net_fen, "vat": Invoice.vat_fen, "audited": Invoice.audited_fen}
_EVENTS = {"id": ClaimEvent.id, "from": ClaimEvent.from_state, "to": ClaimEvent.to_state,
           "action": ClaimEvent.action, "date": ClaimEvent.date, "actor": ClaimEvent.actor,
           "entry": ClaimEvent.entry_id, "note": ClaimEvent.note}
_REVIEWS = {"id": Review.id, "department": Review.department, "approve": Review.approve,
            "opinion": Review.opinion, "date": Review.date, "reviewer": Review.reviewer}
_AUDITS = {"id": Audit.id, "firm": Audit.firm, "report_number": Audit.report_number, "date": Audit.date,
           "audited": Audit.audited_fen, "computed": Audit.computed_fen}
_APPROVALS = {"id": Approval.id, "meeting_date": Approval.meeting_date, "minutes_number": Approval.minutes_number,
              "approved": Approval.approved_fen, "computed": Approval.computed_fen, "reason": Approval.reason,
              "fiscal_year": Approval.fiscal_year, "shares": json_value(Approval.shares)}
_CHANGES = {"id": NoticeEndChange.id, "holiday_year": NoticeEndChange.holiday_year,
            "holiday_source": NoticeEndChange.holiday_source, "old_end": NoticeEndChange.old_end,
            "old_provisional": NoticeEndChange.old_provisional, "new_end": NoticeEndChange.new_end,
            "new_provisional": NoticeEndChange.new_provisional, "actor": NoticeEndChange.actor,
            "at": NoticeEndChange.at}
_NOTICES = {"id": Notice.id, "title": Notice.title, "publication_date": Notice.publication_date,
            "end_date": Notice.end_date, "working_days": Notice.working_days, "provisional": Notice.provisional,
            "changes": _all(_CHANGES, NoticeEndChange.notice_id == Notice.id)}
_OBJECTIONS = {"id": Objection.id, "filed": Objection.filed_date, "objector": Objection.objector,
               "content": Objection.content, "status": Objection.status, "resolution": Objection.resolution}
_FUND_ISSUES = {"id": FundIssue.id, "document_number": FundIssue.document_number, "date": FundIssue.date}
_PAYMENTS = {"id": Payment.id, "payer": Payment.payer_code, "voucher_number": Payment.voucher_number,
             "date": Payment.date, "amount": Payment.amount_fen, "prepared_by": Payment.prepared_by,
             "confirmed_by": PaymentConfirmation.confirmed_by, "withdrawn_by": PaymentWithdrawal.withdrawn_by}
_RECOVERIES = {"id": Recovery.id, "payer": Recovery.payer_code, "date": Recovery.date, "amount": Recovery.amount_fen,
               "received": Recovery.received_fen, "reason": Recovery.reason}
_OBLIGATED = {"id": Posting.id, "payer": Posting.payer_code, "amount": Posting.amount_fen}
_PASSED_ON = {"id": ProvincialStep.id, "payer": ProvincialStep.payer_code}
_EXPLANATION = {"state": ClaimExplanation.state, "action": ClaimExplanation.action, "date": ClaimExplanation.date,
                "basis_action": ClaimExplanation.basis_action, "basis_date": ClaimExplanation.basis_date,
                "result": json_value(ClaimExplanation.result)}


def _statement() -> Any:
    """The one SELECT of a claim in full, for the bound ``number`` (built once: building it costs as much
    as running it)."""
    explanation = (select(_pairs(_EXPLANATION)).where(ClaimExplanation.claim_id == C)
                   .order_by(ClaimExplanation.id.desc()).limit(1).scalar_subquery())
    notices = (select(json_rows(_pairs(_NOTICES))).join_from(Notice, NoticeClaim, NoticeClaim.notice_id == Notice.id)
               .where(NoticeClaim.claim_id == C).scalar_subquery())
    payments = (select(json_rows(_pairs(_PAYMENTS)))
                .join_from(Payment, PaymentConfirmation, PaymentConfirmation.payment_id == Payment.id, isouter=True)
                .join_from(Payment, PaymentWithdrawal, PaymentWithdrawal.payment_id == Payment.id, isouter=True)
                .where(Payment.claim_id == C).scalar_subquery())
    return (select(
        Claim.id, Claim.number, Claim.program, Claim.rule_set, Claim.application_date, Claim.state, Claim.level,
        Claim.requested_fen, Claim.computed_fen, Claim.approved_fen, Claim.filed_by, Claim.platform_document,
        json_value(Claim.years).label("years"), Claim.procedure, Platform.code, Platform.name,
        Platform.jurisdiction_code,
        explanation.label("explanation"),
        _all(_INVOICES, Invoice.claim_id == C).label("invoices"),
        _all(_EVENTS, ClaimEvent.claim_id == C).label("events"),
        _all(_REVIEWS, Review.claim_id == C).label("reviews"),
        _all(_AUDITS, Audit.claim_id == C).label("audits"),
        _all(_APPROVALS, Approval.claim_id == C).label("approvals"),
        notices.label("notices"),
        _all(_OBJECTIONS, Objection.claim_id == C).label("objections"),
        _all(_FUND_ISSUES, FundIssue.claim_id == C).label("fund_issues"),
        payments.label("payments"),
        _all(_RECOVERIES, Recovery.claim_id == C).label("recoveries"),
        _all(_OBLIGATED, Posting.claim_id == C, Posting.account_code == A.OBLIGATED).label("obligated"),
        _all(_PASSED_ON, ProvincialStep.claim_id == C, ProvincialStep.step == "pass-on").label("passed_on"),
    ).join(Platform, Platform.id == Claim.platform_id).where(Claim.number == bindparam("number")))


STATEMENT = _statement()


def claim_row(session: Session, number: str) -> Any:
    """The claim ``number`` in full as one row of :data:`STATEMENT` (None when there is no such claim)."""
    return session.execute(STATEMENT, {"number": number}).first()


# ---------------------------------------------------------------- the row as the view's parts


_PLATFORM_EVENTS = {"id": PlatformEvent.id, "kind": PlatformEvent.kind, "date": PlatformEvent.date,
                    "level": PlatformEvent.level, "grade": PlatformEvent.grade, "scheme": PlatformEvent.scheme,
                    "year": PlatformEvent.year, "document_number": PlatformEvent.document_number,
                    "amount": PlatformEvent.amount_fen, "note": PlatformEvent.note}
_PLATFORM_CLAIMS = {"id": Claim.id, "number": Claim.number, "program": Claim.program, "rule_set": Claim.rule_set,
                    "application_date": Claim.application_date, "state": Claim.state, "level": Claim.level,
                    "requested": Claim.requested_fen, "computed": Claim.computed_fen, "approved": Claim.approved_fen,
                    "filed_by": Claim.filed_by}
PLATFORM_STATEMENT = select(
    Platform.id, Platform.code, Platform.name, Platform.operator, Platform.leader_type, Platform.jurisdiction_code,
    Platform.head_person, Platform.head_phone, Platform.contact_person, Platform.contact_mobile,
    Jurisdiction.name.label("jurisdiction_name"),
    _all(_PLATFORM_EVENTS, PlatformEvent.platform_id == Platform.id).label("events"),
    _all(_PLATFORM_CLAIMS, Claim.platform_id == Platform.id).label("claims"),
    # the version of :class:`app.actions.ComputedCache` (the journal head, the newest platform event)
    select(JournalHead.last_id).where(JournalHead.id == 1).scalar_subquery().label("head"),
    select(func.max(PlatformEvent.id)).scalar_subquery().label("newest_event"),
).join(Jurisdiction, Jurisdiction.code == Platform.jurisdiction_code, isouter=True).where(
    Platform.code == bindparam("code"))
"""A platform with its history and claims, and the cache version of its cap positions: one statement."""


def platform_row(session: Session, code: str) -> Any:
    """The platform ``code`` as one row of :data:`PLATFORM_STATEMENT` (None when there is none)."""
    return session.execute(PLATFORM_STATEMENT, {"code": code}).first()


def platform_events(row: Any) -> tuple[PlatformEventRow, ...]:
    found = sorted(_loads(row.events) or [], key=lambda e: (e["date"], e["id"]))
    return tuple(PlatformEventRow(id=e["id"], kind=e["kind"], date=_day(e["date"]), level=e["level"],
                                  grade=e["grade"], scheme=e["scheme"], year=e["year"],
                                  document_number=e["document_number"], amount=e["amount"], note=e["note"])
                 for e in found)


def platform_claims(row: Any) -> tuple[ClaimRow, ...]:
    found = sorted(_loads(row.claims) or [], key=lambda c: (c["application_date"], c["id"]))
    return tuple(ClaimRow(number=c["number"], platform=row.code, platform_name=row.name,
                          jurisdiction=row.jurisdiction_code, program=c["program"], rule_set=c["rule_set"],
                          application_date=_day(c["application_date"]), state=ClaimState(c["state"]),
                          level=c["level"], requested=c["requested"], computed=c["computed"],
                          approved=c["approved"], filed_by=c["filed_by"]) for c in found)


def records(row: Any, column: str) -> list[dict[str, Any]]:
    """One JSON column of the row as its objects, in the order they were recorded (by id)."""
    items: list[dict[str, Any]] = _loads(getattr(row, column)) or []
    return sorted(items, key=lambda item: item["id"])


def years(row: Any) -> tuple[int, ...] | None:
    found = _loads(row.years)
    return None if found is None else tuple(int(y) for y in found)


def invoices(row: Any) -> tuple[InvoiceRow, ...]:
    return tuple(InvoiceRow(issuer_code=i["issuer_code"], number=i["number"], date=_day(i["date"]), net=i["net"],
                            vat=i["vat"], audited=i["audited"]) for i in records(row, "invoices"))


def events(row: Any) -> tuple[ClaimEventRow, ...]:
    return tuple(ClaimEventRow(from_=ClaimState(e["from"]) if e["from"] else None, to=ClaimState(e["to"]),
                               action=e["action"], date=_day(e["date"]), actor=e["actor"], entry=e["entry"],
                               note=e["note"]) for e in records(row, "events"))


def reviews(row: Any) -> tuple[ReviewRow, ...]:
    return tuple(ReviewRow(department=r["department"], approve=bool(r["approve"]), opinion=r["opinion"],
                           date=_day(r["date"]), reviewer=r["reviewer"]) for r in records(row, "reviews"))


def audits(row: Any) -> tuple[AuditRow, ...]:
    return tuple(AuditRow(firm=a["firm"], report_number=a["report_number"], date=_day(a["date"]),
                          audited=a["audited"], computed=a["computed"]) for a in records(row, "audits"))


def approval(row: Any) -> ApprovalRow | None:
    """The latest approval (审定), as the claim page has always shown it."""
    found = records(row, "approvals")
    if not found:
        return None
    a = found[-1]
    return ApprovalRow(meeting_date=_day(a["meeting_date"]), minutes_number=a["minutes_number"],
                       approved=a["approved"], computed=a["computed"], reason=a["reason"],
                       fiscal_year=a["fiscal_year"], shares={k: int(v) for k, v in _loads(a["shares"]).items()})


def notice(row: Any) -> NoticeRow | None:
    """The latest notice batch the claim was in, with the changes of its end date."""
    found = records(row, "notices")
    if not found:
        return None
    n = found[-1]
    changes = sorted(_loads(n["changes"]) or [], key=lambda x: x["id"])
    return NoticeRow(id=n["id"], title=n["title"], publication_date=_day(n["publication_date"]),
                     end_date=_day(n["end_date"]), working_days=n["working_days"], provisional=bool(n["provisional"]),
                     changes=tuple(NoticeEndChangeRow(
                         holiday_year=x["holiday_year"], holiday_source=x["holiday_source"],
                         old_end=_day(x["old_end"]), old_provisional=bool(x["old_provisional"]),
                         new_end=_day(x["new_end"]), new_provisional=bool(x["new_provisional"]), actor=x["actor"],
                         at=_moment(x["at"])) for x in changes))


def objections(row: Any) -> tuple[ObjectionRow, ...]:
    return tuple(ObjectionRow(id=o["id"], filed=_day(o["filed"]), objector=o["objector"], content=o["content"],
                              status=o["status"], resolution=o["resolution"]) for o in records(row, "objections"))


def fund_issue(row: Any) -> FundIssueRow | None:
    found = records(row, "fund_issues")
    return FundIssueRow(document_number=found[0]["document_number"], date=_day(found[0]["date"])) if found else None


def payments(row: Any) -> tuple[PaymentRow, ...]:
    return tuple(PaymentRow(id=p["id"], payer=p["payer"], voucher_number=p["voucher_number"], date=_day(p["date"]),
                            amount=p["amount"], prepared_by=p["prepared_by"], confirmed_by=p["confirmed_by"],
                            withdrawn_by=p["withdrawn_by"]) for p in records(row, "payments"))


def recoveries(row: Any) -> tuple[RecoveryRow, ...]:
    return tuple(RecoveryRow(id=r["id"], payer=r["payer"], date=_day(r["date"]), amount=r["amount"],
                             received=r["received"], reason=r["reason"]) for r in records(row, "recoveries"))


def outstanding(row: Any, approved: ApprovalRow | None) -> dict[str, int]:
    """What each payer still owes (应付余额): the approval's payers, or the payer a provincial claim's money
    was passed on to; the obligated account's balance of the claim per payer, in fen."""
    payers = sorted(approved.shares) if approved else sorted({p["payer"] for p in records(row, "passed_on")})
    owed = dict.fromkeys(payers, 0)
    for posting in records(row, "obligated"):
        if posting["payer"] in owed:
            owed[posting["payer"]] -= int(posting["amount"])
    return owed


def explanation(row: Any) -> Explanation | None:
    """The explanation stored at the claim's last state change (None: changed before migration 0011)."""
    stored = _loads(row.explanation)
    if stored is None:
        return None
    return Explanation(result=decode(_loads(stored["result"])), state=stored["state"], action=stored["action"],
                       date=_day(stored["date"]), basis_action=stored["basis_action"],
                       basis_date=_day(stored["basis_date"]))
