"""What each user can do (业务操作): the service's use cases, shared by the API and the pages.

Each write: (1) checks the permission matrix against the object's jurisdiction or payer, (2) runs the
ledger service in one transaction, at most once per idempotency key (keys are per user), and (3)
records the outcome in the action log (操作日志) — refusals included — for auditors. Nothing here
computes a rule or posts an entry itself: that is ``calculators`` and ``ledger.services``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, sessionmaker

from app import claim_read
from app import schemas as In
from app.permissions import (
    DISTRICT_ROLES,
    Forbidden,
    Principal,
    authorize,
    authorize_object,
    jurisdiction_filter,
    logged_refusal,
)
from app.results import (
    ActionRow,
    Balances,
    BudgetRow,
    Calculation,
    ChainVerification,
    ClaimRow,
    ClaimView,
    HolidaysLoaded,
    JournalEntryRow,
    NoticeEndChangeRow,
    NoticeRow,
    Paged,
    PlatformCreated,
    PlatformEventAdded,
    PlatformRow,
    PlatformView,
    TrialBalance,
    UserAdded,
    UserRow,
)
from app.security import TOKEN_CHECK, Token, checked, create_user, resolve_token
from calculators.errors import CalculatorError, InputErrors, RuleSetError
from calculators.money import parse_yuan
from calculators.results import ClaimResult
from calculators.rulesets.bundled import rulebook
from ledger import idempotency, provincial
from ledger import services as S
from ledger.calendar import load_holiday_notice
from ledger.db import reading
from ledger.errors import Invalid, LedgerError, NotFound
from ledger.messages import issues_text
from ledger.models import (
    ActionRecord,
    Budget,
    Claim,
    Jurisdiction,
    Notice,
    NoticeClaim,
    NoticeEndChange,
    Objection,
    Payer,
    Payment,
    Platform,
    PlatformEvent,
    Recovery,
    User,
)
from ledger.outcomes import (
    Appropriated,
    Approved,
    ClaimComputed,
    ClaimState,
    ClaimStep,
    FundsIssued,
    NoticePublished,
    ObjectionStep,
    Outcome,
    PaymentMade,
    PaymentWithdrawn,
    ReceiptRecorded,
)
from ledger.queries import Headroom

R = TypeVar("R", bound=Outcome)
T = TypeVar("T")


class Context:
    """A request's unit of work: the database and the signed-in person.

    The person is either known (``Context(factory, principal)``, the pages) or found on first use by
    ``identify`` — or from ``token``, the API's bearer token: looked up inside the request's first read
    session, so a read costs one session, not one for the token and another for the data. The most read
    routes go further and carry the token's check as a column of their own statement
    (:meth:`carries`, :meth:`identify_by`): one round trip for the token and the data."""

    def __init__(self, factory: sessionmaker[Session], who: Principal | None = None, *,
                 identify: Callable[[Session], Principal] | None = None, token: Token | None = None) -> None:
        if who is None and identify is None and token is None:
            raise TypeError("Context needs the principal or a way to identify it")
        self.factory = factory
        self._who = who
        self._token = token
        if identify is None and token is not None:
            def identify(session: Session) -> Principal:
                return resolve_token(session, token).principal
        self._identify = identify

    @property
    def who(self) -> Principal:
        if self._who is None:
            with reading(self.factory) as session:
                self._identified(session)
        assert self._who is not None
        return self._who

    def _identified(self, session: Session) -> None:
        if self._who is None and self._identify is not None:
            self._who = self._identify(session)
            if self._token is not None:
                _seen(self._token, self._who)

    @contextmanager
    def read(self, *, snapshot: bool = False, carrying: bool = False) -> Iterator[Session]:
        """A read-only session (never waits for writers; nothing is committed); ``snapshot=True`` for
        one consistent state across all its statements (reports), see :func:`ledger.db.reading`.
        ``carrying``: the caller's statement carries the token's check (:meth:`carries`) and the caller
        calls :meth:`identify_by` before it uses anything it read; otherwise the token is looked up first."""
        with reading(self.factory, snapshot=snapshot) as session:
            if not carrying:
                self._identified(session)
            yield session

    def carries(self, statement: Any, params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """``statement`` with the token's check as its last column ``auth`` (:data:`app.security.TOKEN_CHECK`),
        while the principal is still unknown; as it is otherwise."""
        if self._who is not None or self._token is None:
            return statement, params
        return _carrying(statement), {**params, **self._token.params()}

    def identify_by(self, session: Session, row: Any) -> Principal:
        """The principal, from the ``auth`` column of ``row`` (a row of a statement from :meth:`carries`),
        or — no row (nothing found) — the token looked up alone. An unknown, revoked or expired token, or
        an inactive user, raises :class:`NotAuthenticated` here, before anything read is used."""
        if self._who is None:
            if row is not None and self._token is not None:
                self._who = checked(row.auth).principal
                _seen(self._token, self._who)
            else:
                self._identified(session)
        return self.who

    def guess(self) -> Principal | None:
        """The principal if known, else whom this token was last found to be in this process (or None):
        a guess only, to shape a statement before the token is checked (:func:`list_claims`), never
        trusted — the check runs in the same statement, and a wrong guess costs a second one."""
        if self._who is not None:
            return self._who
        return _last_seen.get(self._token.digest) if self._token is not None else None


_last_seen: dict[str, Principal] = {}
"""Token digest → whom it was last found to be, in this process: :meth:`Context.guess`'s memory. Never
used to authenticate; bounded (cleared when full: a guess missing costs one statement)."""
LAST_SEEN_MAX = 10_000


def _seen(token: Token, who: Principal) -> None:
    if len(_last_seen) >= LAST_SEEN_MAX:
        _last_seen.clear()
    _last_seen[token.digest] = who


@functools.cache
def _carrying(statement: Any) -> Any:
    """``statement`` with the token's check added as its last column (built once per statement)."""
    return statement.add_columns(TOKEN_CHECK.label("auth"))


def utc(moment: datetime) -> datetime:
    """A stored moment as UTC (SQLite hands timestamps back without their zone; they are stored in UTC),
    so that the API prints ``…+00:00`` on every engine."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------- the action log

def record(ctx: Context, action: str, target: str, outcome: str, detail: dict[str, Any]) -> None:
    """One line of the action log, in its own transaction (a refusal rolls the work back, not this)."""
    with ctx.factory() as session, session.begin():
        session.add(ActionRecord(at=datetime.now(UTC), username=ctx.who.username, role=ctx.who.role, action=action,
                                 target=target[:120], outcome=outcome, detail=detail))


def perform(ctx: Context, action: str, target: str, body: In.Body | None, work: Callable[[Session], R], *,
            key: str | None = None) -> R:
    """Run ``work`` once per key, log its outcome, re-raise any refusal unchanged."""
    request = {"target": target, "body": body.request() if body is not None else None}
    scoped_key = _scoped_key(ctx.who.username, key)
    try:
        result = idempotency.run(ctx.factory, action, request, work, key=scoped_key)
    except (Forbidden, LedgerError) as exc:
        outcome, error = logged_refusal(exc)
        record(ctx, action, target, outcome, {"request": request, "error": error, "idempotency_key": key})
        raise
    except (InputErrors, CalculatorError) as exc:
        invalid = _calc_error(exc)
        record(ctx, action, target, "refused", {"request": request, "error": invalid.to_dict(),
                                                "idempotency_key": key})
        raise invalid from None
    record(ctx, action, target, "replayed" if result.replayed else "done",
           {"request": request, "entry": getattr(result, "entry", None), "idempotency_key": key})
    return result


KEY_WIDTH = 128  # idempotency_keys.key


def _scoped_key(username: str, key: str | None) -> str | None:
    """Keys are per user: ``username:key``, or — when that would not fit the column — ``#`` and its
    SHA-256 (``#`` is in no username, so the two forms never meet)."""
    if not key:
        return None
    scoped = f"{username}:{key}"
    if len(scoped) <= KEY_WIDTH:
        return scoped
    import hashlib

    return "#" + hashlib.sha256(scoped.encode("utf-8")).hexdigest()


def _calc_error(exc: CalculatorError) -> Invalid:
    if isinstance(exc, InputErrors) and exc.issues:
        first = exc.issues[0]
        return Invalid(first.rule, issues_text(exc.issues), field=first.field)
    return Invalid("规则集", str(exc))


# ---------------------------------------------------------------- lookups with scope

def no_platform(code: str) -> NotFound:
    return NotFound("平台", f"没有编号为 {code} 的平台；请核对平台编号", field="platform")


def no_claim(number: str) -> NotFound:
    return NotFound("申请", f"没有编号为 {number} 的申请；请核对申请编号", field="claim")


RECORD_TITLES = {"objection": "异议", "payment": "拨付记录", "recovery": "追回记录"}


def no_record(name: str, record_id: int) -> NotFound:
    return NotFound(RECORD_TITLES.get(name, name), f"没有编号为 {record_id} 的{RECORD_TITLES.get(name, name)}；请核对编号", field=name)


def find_platform(session: Session, code: str) -> Platform:
    platform = session.execute(select(Platform).where(Platform.code == code)).scalar_one_or_none()
    if platform is None:
        raise no_platform(code)
    return platform


def find_claim(session: Session, number: str) -> Claim:
    claim = session.execute(select(Claim).where(Claim.number == number)).scalar_one_or_none()
    if claim is None:
        raise no_claim(number)
    return claim


def claim_jurisdiction(session: Session, claim: Claim) -> str:
    return session.execute(select(Platform.jurisdiction_code).where(Platform.id == claim.platform_id)).scalar_one()


def authorized_claim(who: Principal, session: Session, action: str, number: str, *,
                     payer: str | None = None) -> Claim:
    """The claim ``number`` if ``who`` may take ``action`` on it: the role and the request's ``payer``
    are checked before the lookup (403 whether or not the claim exists), and another jurisdiction's
    claim is not found (404, the same answer as a made-up number; see
    :func:`app.permissions.authorize_object`)."""
    authorize(who, action, payer=payer)  # what the request itself says, before anything is looked up
    claim = find_claim(session, number)
    authorize_object(who, action, jurisdiction=claim_jurisdiction(session, claim), payer=payer,
                     not_found=no_claim(number))
    return claim


def authorized_platform(who: Principal, session: Session, action: str, code: str) -> Platform:
    """The platform ``code`` if ``who`` may take ``action`` on it, as :func:`authorized_claim`."""
    authorize(who, action)
    platform = find_platform(session, code)
    authorize_object(who, action, jurisdiction=platform.jurisdiction_code, not_found=no_platform(code))
    return platform


def _authorize_claim(ctx: Context, session: Session, action: str, number: str, *,
                     payer: str | None = None) -> Claim:
    return authorized_claim(ctx.who, session, action, number, payer=payer)


_Record = TypeVar("_Record", Objection, Payment, Recovery)


def _authorize_record(ctx: Context, session: Session, action: str, model: type[_Record],
                      record_id: int, name: str) -> None:
    """Authorise ``action`` on a record of a claim (an objection, payment or recovery) by its claim's
    jurisdiction and, for payments and recoveries, the record's payer (as :func:`authorized_claim`)."""
    authorize(ctx.who, action)
    record = session.get(model, record_id)
    if record is None:
        raise no_record(name, record_id)
    claim = session.get(Claim, record.claim_id)
    assert claim is not None
    authorize_object(ctx.who, action, jurisdiction=claim_jurisdiction(session, claim),
                     payer=getattr(record, "payer_code", None), not_found=no_record(name, record_id))


_T = TypeVar("_T")


def _parsed(fn: Callable[[], _T]) -> _T:
    try:
        return fn()
    except (InputErrors, CalculatorError) as exc:
        raise _calc_error(exc) from None


def _invoices(body: In.ClaimIn) -> list[S.InvoiceIn]:
    return [S.InvoiceIn(issuer_code=i.issuer_code, number=i.number, date=i.date,
                        net_fen=_yuan_fen(i.net, f"invoices[{k}].net"),
                        vat_fen=_yuan_fen(i.vat, f"invoices[{k}].vat"))
            for k, i in enumerate(body.invoices)]


def _yuan_fen(value: str, field: str) -> int:
    return _parsed(lambda: parse_yuan(value, field=field))


def _fen(value: str | None, field: str) -> int | None:
    return _parsed(lambda: In.fen(value, field))


# ---------------------------------------------------------------- platforms

def create_platform(ctx: Context, body: In.PlatformIn, *, key: str | None = None) -> PlatformCreated:
    def work(session: Session) -> PlatformCreated:
        authorize(ctx.who, "platform.create", jurisdiction=body.jurisdiction)
        p = S.create_platform(session, code=body.code, name=body.name, jurisdiction=body.jurisdiction,
                              operator=body.operator, leader_type=body.leader_type, head_person=body.head_person,
                              head_phone=body.head_phone, contact_person=body.contact_person,
                              contact_mobile=body.contact_mobile)
        return PlatformCreated(platform=p.code)
    return perform(ctx, "platform.create", body.code, body, work, key=key)


def add_platform_event(ctx: Context, code: str, body: In.PlatformEventIn, *,
                       key: str | None = None) -> PlatformEventAdded:
    def work(session: Session) -> PlatformEventAdded:
        authorized_platform(ctx.who, session, "platform.event", code)
        e = S.add_platform_event(session, code, kind=body.kind, on=body.on, level=body.level, grade=body.grade,
                                 scheme=body.scheme, year=body.year, document_number=body.document_number,
                                 amount_fen=_fen(body.amount, "amount"), note=body.note, change_date=body.change_date)
        return PlatformEventAdded(platform=code, event=e.id)
    return perform(ctx, "platform.event", code, body, work, key=key)


# ---------------------------------------------------------------- the procedure

def file_claim(ctx: Context, body: In.ClaimIn, *, key: str | None = None) -> ClaimComputed:
    def work(session: Session) -> ClaimComputed:
        authorized_platform(ctx.who, session, "claim.file", body.platform)
        return S.file_claim(session, platform_code=body.platform, program=body.program,
                            application_date=body.application_date, invoices=_invoices(body), years=body.years,
                            national_support_fen=_fen(body.national_support, "national_support"),
                            recorded_amount_fen=_fen(body.recorded_amount, "recorded_amount"),
                            evaluation_year=body.evaluation_year,
                            requested_fen=_fen(body.requested_amount, "requested_amount"),
                            platform_document=body.platform_document, actor=ctx.who.username)
    return perform(ctx, "claim.file", body.platform, body, work, key=key)


def preview_claim(ctx: Context, body: In.ClaimIn) -> ClaimResult:
    """试算: what the claim would compute to if filed now, with its trace. Writes nothing."""
    with ctx.read() as session:
        authorized_platform(ctx.who, session, "calc.preview", body.platform)
        result = S.preview_claim(session, platform_code=body.platform, program=body.program,
                                 application_date=body.application_date, invoices=_invoices(body),
                                 years=body.years,
                                 national_support_fen=_fen(body.national_support, "national_support"),
                                 recorded_amount_fen=_fen(body.recorded_amount, "recorded_amount"),
                                 evaluation_year=body.evaluation_year)
        session.rollback()
        return result


def review(ctx: Context, number: str, body: In.ReviewIn, *, key: str | None = None) -> ClaimStep:
    action = "claim.review.economic" if body.department == "economic" else "claim.review.finance"

    def work(session: Session) -> ClaimStep:
        _authorize_claim(ctx, session, action, number)
        return S.review(session, claim_number=number, department=body.department, approve=body.approve,
                        opinion=body.opinion, on=body.on, actor=ctx.who.username)
    return perform(ctx, action, number, body, work, key=key)


def _keyed_amounts(values: dict[str, str] | None, field: str, *, years: bool) -> dict[Any, int] | None:
    if values is None:
        return None
    out: dict[Any, int] = {}
    for k, v in values.items():
        if years:
            if not (k.isascii() and k.isdigit()) or not 2000 <= int(k) <= 2100:  # "²".isdigit() is True
                raise Invalid("审计认定按年度", f"投资年度须为 2000 至 2100 之间的四位年份，收到 {k!r}", field=f"{field}.{k}")
            out[int(k)] = _fen(v, f"{field}.{k}") or 0
        else:
            out[k] = _fen(v, f"{field}.{k}") or 0
    return out


def record_audit(ctx: Context, number: str, body: In.AuditIn, *, key: str | None = None) -> ClaimComputed:
    def work(session: Session) -> ClaimComputed:
        _authorize_claim(ctx, session, "claim.audit", number)
        return S.record_audit(session, claim_number=number, firm=body.firm, report_number=body.report_number,
                              on=body.on, years=_keyed_amounts(body.years, "years", years=True),
                              invoices=_keyed_amounts(body.invoices, "invoices", years=False),
                              actor=ctx.who.username)
    return perform(ctx, "claim.audit", number, body, work, key=key)


def approve(ctx: Context, number: str, body: In.ApprovalIn, *, key: str | None = None) -> Approved:
    def work(session: Session) -> Approved:
        _authorize_claim(ctx, session, "claim.approve", number)
        return S.approve(session, claim_number=number, meeting_date=body.meeting_date,
                         minutes_number=body.minutes_number,
                         approved_fen=_fen(body.approved_amount, "approved_amount"), reason=body.reason,
                         actor=ctx.who.username)
    return perform(ctx, "claim.approve", number, body, work, key=key)


_Anchored = TypeVar("_Anchored", NoticePublished, FundsIssued)


def anchored(ctx: Context, result: _Anchored) -> _Anchored:
    """After a notice or fund issue has committed: a signed checkpoint of the chain head, outside the database
    (``ledger.checkpoint``). A checkpoint that cannot be written is logged, and the committed work stands."""
    if not result.replayed:
        from ledger.checkpoint import write_checkpoint

        try:
            with reading(ctx.factory) as session:
                write_checkpoint(session)
        except Exception:
            logging.getLogger("subsidy.checkpoint").exception("checkpoint after %s not written", getattr(result, "entry", None))
    return result


def publish_notice(ctx: Context, body: In.NoticeIn, *, key: str | None = None) -> NoticePublished:
    def work(session: Session) -> NoticePublished:
        for number in body.claims:
            _authorize_claim(ctx, session, "notice.publish", number)
        return S.publish_notice(session, claim_numbers=body.claims, publication_date=body.publication_date,
                                title=body.title, actor=ctx.who.username)
    return anchored(ctx, perform(ctx, "notice.publish", ",".join(body.claims), body, work, key=key))


def file_objection(ctx: Context, number: str, body: In.ObjectionIn, *, key: str | None = None) -> ObjectionStep:
    def work(session: Session) -> ObjectionStep:
        _authorize_claim(ctx, session, "objection.file", number)
        return S.file_objection(session, claim_number=number, filed=body.filed, objector=body.objector,
                                content=body.content, actor=ctx.who.username)
    return perform(ctx, "objection.file", number, body, work, key=key)


def resolve_objection(ctx: Context, objection_id: int, body: In.ResolutionIn, *,
                      key: str | None = None) -> ObjectionStep:
    def work(session: Session) -> ObjectionStep:
        _authorize_record(ctx, session, "objection.resolve", Objection, objection_id, "objection")
        return S.resolve_objection(session, objection_id=objection_id, upheld=body.upheld, on=body.on,
                                   resolution=body.resolution, actor=ctx.who.username)
    return perform(ctx, "objection.resolve", str(objection_id), body, work, key=key)


def issue_funds(ctx: Context, number: str, body: In.FundIssueIn, *, key: str | None = None) -> FundsIssued:
    def work(session: Session) -> FundsIssued:
        _authorize_claim(ctx, session, "funds.issue", number)
        return S.issue_funds(session, claim_number=number, document_number=body.document_number, on=body.on,
                             actor=ctx.who.username)
    return anchored(ctx, perform(ctx, "funds.issue", number, body, work, key=key))


def pay(ctx: Context, number: str, body: In.PaymentIn, *, key: str | None = None) -> PaymentMade:
    def work(session: Session) -> PaymentMade:
        _authorize_claim(ctx, session, "payment.pay", number, payer=body.payer)
        return S.pay(session, claim_number=number, payer=body.payer, voucher_number=body.voucher_number,
                     on=body.on, amount_fen=_fen(body.amount, "amount") or 0, actor=ctx.who.username)
    return perform(ctx, "payment.pay", number, body, work, key=key)


def confirm_payment(ctx: Context, payment_id: int, body: In.ConfirmationIn, *,
                    key: str | None = None) -> PaymentMade:
    """拨付复核: a second finance user of the payment's payer confirms it; then it counts."""
    def work(session: Session) -> PaymentMade:
        _authorize_record(ctx, session, "payment.confirm", Payment, payment_id, "payment")
        return S.confirm_payment(session, payment_id=payment_id, on=body.on, actor=ctx.who.username)
    return perform(ctx, "payment.confirm", str(payment_id), body, work, key=key)


def withdraw_payment(ctx: Context, payment_id: int, body: In.WithdrawalIn, *,
                     key: str | None = None) -> PaymentWithdrawn:
    """作废制单: a finance user of the payment's payer withdraws it while unconfirmed; it can be prepared again."""
    def work(session: Session) -> PaymentWithdrawn:
        _authorize_record(ctx, session, "payment.withdraw", Payment, payment_id, "payment")
        return S.withdraw_payment(session, payment_id=payment_id, on=body.on, reason=body.reason,
                                  actor=ctx.who.username)
    return perform(ctx, "payment.withdraw", str(payment_id), body, work, key=key)


def reverse_payment(ctx: Context, payment_id: int, body: In.ReversalIn, *, key: str | None = None) -> ClaimStep:
    def work(session: Session) -> ClaimStep:
        _authorize_record(ctx, session, "payment.reverse", Payment, payment_id, "payment")
        return S.reverse_payment(session, payment_id=payment_id, on=body.on, reason=body.reason,
                                 actor=ctx.who.username)
    return perform(ctx, "payment.reverse", str(payment_id), body, work, key=key)


def order_recovery(ctx: Context, number: str, body: In.RecoveryIn, *, key: str | None = None) -> ClaimStep:
    def work(session: Session) -> ClaimStep:
        _authorize_claim(ctx, session, "recovery.order", number)
        return S.recover(session, claim_number=number, payer=body.payer, amount_fen=_fen(body.amount, "amount") or 0,
                         on=body.on, document_number=body.document_number, reason=body.reason,
                         actor=ctx.who.username)
    return perform(ctx, "recovery.order", number, body, work, key=key)


def allocate(ctx: Context, number: str, body: In.AllocationIn, *, key: str | None = None) -> ClaimStep:
    """省级下达 (provincial procedure): the province's allocation document for the claim."""
    def work(session: Session) -> ClaimStep:
        _authorize_claim(ctx, session, "provincial.allocate", number)
        return provincial.allocate(session, claim_number=number, document_number=body.document_number, on=body.on,
                                   amount_fen=_fen(body.amount, "amount") or 0, actor=ctx.who.username)
    return perform(ctx, "provincial.allocate", number, body, work, key=key)


def receive_transfer(ctx: Context, number: str, body: In.TransferIn, *, key: str | None = None) -> ClaimStep:
    """上级转移支付到账 (provincial procedure)."""
    def work(session: Session) -> ClaimStep:
        _authorize_claim(ctx, session, "provincial.transfer", number)
        return provincial.receive_transfer(session, claim_number=number, document_number=body.document_number,
                                           on=body.on, actor=ctx.who.username)
    return perform(ctx, "provincial.transfer", number, body, work, key=key)


def pass_on(ctx: Context, number: str, body: In.TransferIn, *, key: str | None = None) -> ClaimStep:
    """转拨 to the platform's district or county finance (provincial procedure)."""
    def work(session: Session) -> ClaimStep:
        _authorize_claim(ctx, session, "provincial.transfer", number)
        return provincial.pass_on(session, claim_number=number, document_number=body.document_number, on=body.on,
                                  actor=ctx.who.username)
    return perform(ctx, "provincial.transfer", number, body, work, key=key)


def receive_recovery(ctx: Context, recovery_id: int, body: In.ReceiptIn, *,
                     key: str | None = None) -> ReceiptRecorded:
    def work(session: Session) -> ReceiptRecorded:
        _authorize_record(ctx, session, "recovery.receive", Recovery, recovery_id, "recovery")
        return S.receive_recovery(session, recovery_id=recovery_id, amount_fen=_fen(body.amount, "amount") or 0,
                                  on=body.on, actor=ctx.who.username)
    return perform(ctx, "recovery.receive", str(recovery_id), body, work, key=key)


def appropriate(ctx: Context, body: In.AppropriationIn, *, key: str | None = None) -> Appropriated:
    def work(session: Session) -> Appropriated:
        authorize(ctx.who, "budget.appropriate", payer=body.payer)
        return S.appropriate(session, payer=body.payer, fiscal_year=body.fiscal_year, program=body.program,
                             amount_fen=_fen(body.amount, "amount") or 0, on=body.on,
                             document_number=body.document_number, actor=ctx.who.username)
    return perform(ctx, "budget.appropriate", f"{body.payer}/{body.fiscal_year}/{body.program}", body, work, key=key)


# ---------------------------------------------------------------- administration

def add_user(ctx: Context, body: In.UserIn, *, key: str | None = None) -> UserAdded:
    def work(session: Session) -> UserAdded:
        authorize(ctx.who, "user.manage")
        user = create_user(session, username=body.username, password=body.password, role=body.role,
                           jurisdiction=body.jurisdiction, display_name=body.display_name)
        return UserAdded(user=user.username, role=user.role, jurisdiction=user.jurisdiction_code)
    return perform(ctx, "user.manage", body.username, body, work, key=key)


def _holiday_refusal(exc: Exception) -> str:
    """Why a holiday notice was refused, in Chinese: the file's key and what is wrong with it."""
    if isinstance(exc, RuleSetError):
        return f"节假日安排第 {exc.key} 项：{exc.message}" if exc.key != "(file)" else exc.message
    if isinstance(exc, CalculatorError) and any("\u4e00" <= ch <= "\u9fff" for ch in str(exc)):
        return str(exc)
    return "节假日安排无法读取：其中有不存在的日期或格式不对的项；请按 年-月-日 核对每个日期"


def load_holidays(ctx: Context, body: In.HolidayNoticeIn, *, key: str | None = None) -> HolidaysLoaded:
    def work(session: Session) -> HolidaysLoaded:
        authorize(ctx.who, "holidays.load")
        try:
            loaded = load_holiday_notice(session, body.text, body.source, actor=ctx.who.username)
        except (ValueError, KeyError, TypeError, OverflowError, CalculatorError) as exc:
            raise Invalid("国务院办公厅节假日安排通知", _holiday_refusal(exc), field="text") from None
        return HolidaysLoaded(year=loaded.notice.year, source=loaded.notice.source, moved=loaded.moved)
    return perform(ctx, "holidays.load", body.source, body, work, key=key)


def list_users(ctx: Context) -> list[UserRow]:
    authorize(ctx.who, "user.manage")
    with ctx.read() as session:
        return [UserRow(username=u.username, display_name=u.display_name, role=u.role,
                        jurisdiction=u.jurisdiction_code, active=u.active,
                        locked_until=utc(u.locked_until) if u.locked_until else None)
                for u in session.execute(select(User).order_by(User.username)).scalars()]


# ---------------------------------------------------------------- reads

class ComputedCache:
    """Results the calculators recompute from a platform's history (a claim's explanation, cap
    positions), kept per database while nothing has changed since.

    The key includes the journal head (every state change of every claim posts an entry) and the
    newest platform event (recognitions, evaluations … post nothing), so any write that could change a
    result makes every earlier entry unreachable. A read-only request load then computes each result
    once instead of on every request (bench/service.py)."""

    def __init__(self, size: int = 4096) -> None:
        from collections import OrderedDict
        from threading import Lock

        self._items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = Lock()
        self._size = size

    @staticmethod
    def version(session: Session) -> tuple[Any, ...]:
        from ledger.models import JournalHead

        newest_event = select(func.max(PlatformEvent.id)).scalar_subquery()
        head, event = session.execute(select(JournalHead.last_id, newest_event).where(JournalHead.id == 1)).one()
        return (str(session.get_bind().engine.url), head, event or 0)

    def get(self, session: Session, key: tuple[Any, ...], compute: Callable[[], Any], *,
            version: tuple[Any, ...] | None = None) -> Any:
        """The value for ``key`` at the database's current version, computed at most once per version.

        Values are kept pickled: a caller gets its own copy, and thousands of cached explanations are a
        few thousand byte strings, which the garbage collector does not traverse, instead of millions of
        small objects that made every full collection pause the worker for ~100 ms. ``version``: the
        database's version when the caller read it along with its data (:meth:`version`'s tuple)."""
        import pickle

        full = (*(version or self.version(session)), *key)
        with self._lock:
            kept = self._items.get(full)
            if kept is not None:
                self._items.move_to_end(full)
        if kept is not None:
            return pickle.loads(kept)
        value = compute()
        kept = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._items[full] = kept
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


computed = ComputedCache()


def _explain(session: Session, number: str) -> ClaimResult | None:
    try:
        return S.explain(session, number)
    except (LedgerError, KeyError):  # KeyError: a claim its platform's scenario does not hold
        return None


@dataclass(frozen=True)
class Page:
    number: int = 1
    size: int = 50

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def paged(items: Iterable[T], total: int, page: Page) -> Paged[T]:
    return Paged(items=tuple(items), page=page.number, page_size=page.size, total=total)


def _platform_fields(p: Platform, jnames: dict[str, str]) -> dict[str, Any]:
    return {"code": p.code, "name": p.name, "operator": p.operator, "leader_type": p.leader_type,
            "jurisdiction": p.jurisdiction_code, "jurisdiction_name": jnames.get(p.jurisdiction_code, "")}


def jurisdiction_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Jurisdiction.code, Jurisdiction.name)).all())


def list_platforms(ctx: Context, page: Page, *, search: str | None = None,
                   jurisdiction: str | None = None) -> Paged[PlatformRow]:
    authorize(ctx.who, "platform.read", jurisdiction=jurisdiction)
    scope = jurisdiction_filter(ctx.who) or jurisdiction
    q = select(Platform)
    if scope:
        q = q.where(Platform.jurisdiction_code == scope)
    if search:  # the typed text literally: its % and _ are not wildcards
        like = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        q = q.where(Platform.name.ilike(like, escape="\\") | Platform.code.ilike(like, escape="\\")
                    | Platform.operator.ilike(like, escape="\\"))
    with ctx.read() as session:
        total = session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
        rows = session.execute(q.order_by(Platform.code).offset(page.offset).limit(page.size)).scalars().all()
        names = jurisdiction_names(session)
        return paged((PlatformRow(**_platform_fields(p, names)) for p in rows), total, page)


LIST_COLUMNS = (Claim.number, Claim.program, Claim.rule_set, Claim.application_date, Claim.state, Claim.level,
                Claim.requested_fen, Claim.computed_fen, Claim.approved_fen, Claim.filed_by, Platform.code,
                Platform.name, Platform.jurisdiction_code)
"""What :func:`_claim_row` reads of a claim and its platform (their names do not clash)."""


def _claim_fields(c: Claim, p: Platform) -> dict[str, Any]:
    return {"number": c.number, "platform": p.code, "platform_name": p.name, "jurisdiction": p.jurisdiction_code,
            "program": c.program, "rule_set": c.rule_set, "application_date": c.application_date,
            "state": ClaimState(c.state), "level": c.level, "requested": c.requested_fen,
            "computed": c.computed_fen, "approved": c.approved_fen, "filed_by": c.filed_by}


def _claim_row(c: Claim, p: Platform) -> ClaimRow:
    return ClaimRow(**_claim_fields(c, p))


def platform_detail(ctx: Context, code: str, *, as_of: date | None = None) -> PlatformView:
    """A platform with its history, claims and cap positions: one statement (:mod:`app.claim_read`), and the
    cap positions from :data:`computed` (computed on a miss)."""
    from ledger.queries import cap_headroom

    with ctx.read(carrying=True) as session:
        statement, params = ctx.carries(claim_read.PLATFORM_STATEMENT, {"code": code})
        row: Any = session.execute(statement, params).first()
        authorize(ctx.identify_by(session, row), "platform.read")
        if row is None:
            raise no_platform(code)
        authorize_object(ctx.who, "platform.read", jurisdiction=row.jurisdiction_code, not_found=no_platform(code))
        claims = claim_read.platform_claims(row)
        on = as_of or date.today()

        def positions() -> tuple[Headroom, ...]:
            return tuple(cap_headroom(session, code, program, on) for program in sorted({c.program for c in claims}))

        version = (str(session.get_bind().engine.url), row.head, row.newest_event or 0)
        caps: tuple[Headroom, ...] = computed.get(session, ("caps", code, on), positions, version=version)
    return PlatformView(
        **_platform_fields(row, {row.jurisdiction_code: row.jurisdiction_name or ""}),
        head_person=row.head_person, head_phone=row.head_phone, contact_person=row.contact_person,
        contact_mobile=row.contact_mobile, events=claim_read.platform_events(row), claims=claims, caps=caps)


def list_claims(ctx: Context, page: Page, *, state: str | None = None, platform: str | None = None,
                jurisdiction: str | None = None, program: str | None = None) -> Paged[ClaimRow]:
    """A page of claims, in filing order, limited to the user's jurisdiction: one statement (the token's
    check carried along, the total counted over the page's window), two when the token is new to this
    process (its owner's scope is needed to shape the statement), and a count for a page past the end."""
    filters = {"states": state.split(",") if state else None, "platform": platform, "program": program}
    with ctx.read(carrying=True) as session:
        guess = ctx.guess() or ctx.identify_by(session, None)

        def read(who: Principal) -> tuple[dict[str, Any], list[Any]]:
            given = {**filters, "scope": jurisdiction_filter(who) or jurisdiction}
            params = {k: v for k, v in given.items() if v is not None}
            statement, carried = ctx.carries(_list_statement(*(given[k] is not None for k in _FILTERS)),
                                             {**params, "offset": page.offset, "limit": page.size})
            return params, list(session.execute(statement, carried))

        params, rows = read(guess)
        who = ctx.identify_by(session, rows[0] if rows else None)
        authorize(who, "claim.read", jurisdiction=jurisdiction)
        if jurisdiction_filter(who) != jurisdiction_filter(guess):  # the guess was wrong: read again
            params, rows = read(who)
        # the total rides along each row (a window over the whole filtered set): counted apart only for a
        # page past the end
        total = rows[0].total if rows else session.execute(
            _list_count(*(k in params for k in _FILTERS)), params).scalar_one()
        return paged((_claim_row(r, r) for r in rows), total, page)


_FILTERS = ("scope", "states", "platform", "program")
"""The claim list's optional filters, in the order :func:`_list_statement` takes whether each is given."""


def _list_filtered(statement: Any, scope: bool, states: bool, platform: bool, program: bool) -> Any:
    q = statement.join_from(Claim, Platform, Platform.id == Claim.platform_id)
    if scope:
        q = q.where(Platform.jurisdiction_code == bindparam("scope"))
    if states:
        q = q.where(Claim.state.in_(bindparam("states", expanding=True)))
    if platform:
        q = q.where(Platform.code == bindparam("platform"))
    if program:
        q = q.where(Claim.program == bindparam("program"))
    return q


@functools.cache
def _list_statement(scope: bool, states: bool, platform: bool, program: bool) -> Any:
    """A page of the claim list with the given filters (bound by name), built once per combination: the
    page's ids and the total first (narrow rows sorted, a window count over the filtered set), then
    their columns — PostgreSQL then sorts ids, not whole rows."""
    ids = (_list_filtered(select(Claim.id.label("id"), Claim.application_date.label("day"),
                                 func.count().over().label("total")), scope, states, platform, program)
           .order_by(Claim.application_date, Claim.id)
           .offset(bindparam("offset")).limit(bindparam("limit")).subquery("page"))
    return (select(*LIST_COLUMNS, ids.c.total).join_from(ids, Claim, Claim.id == ids.c.id)
            .join(Platform, Platform.id == Claim.platform_id).order_by(ids.c.day, ids.c.id))


@functools.cache
def _list_count(scope: bool, states: bool, platform: bool, program: bool) -> Any:
    return _list_filtered(select(func.count()), scope, states, platform, program)


def _rows(session: Session, *columns: Any, claim_id: int, order: Any = None) -> list[Any]:
    """The rows of one of a claim's record tables, as plain column tuples (no ORM objects: cheaper)."""
    q = select(*columns).where(columns[0].class_.claim_id == claim_id)
    return list(session.execute(q.order_by(order) if order is not None else q))


def claim_detail(ctx: Context, number: str, *, today_too: bool = False) -> ClaimView:
    """A claim in full from one statement (:mod:`app.claim_read`); its ``result`` is the explanation stored
    at its last state change (审批所依据的计算), not a recomputation. ``today_too``: also today's
    computation (from :data:`computed`), so that the page can say where it differs."""
    with ctx.read(carrying=True) as session:
        statement, params = ctx.carries(claim_read.STATEMENT, {"number": number})
        row: Any = session.execute(statement, params).first()
        authorize(ctx.identify_by(session, row), "claim.read")
        if row is None:
            raise no_claim(number)
        authorize_object(ctx.who, "claim.read", jurisdiction=row.jurisdiction_code, not_found=no_claim(number))
        stored = claim_read.explanation(row)
        today: ClaimResult | None = None
        if stored is None or today_too:  # no stored explanation: changed before migration 0011
            today = computed.get(session, ("explain", number), lambda: _explain(session, number))
    approval = claim_read.approval(row)
    return ClaimView(
        **_claim_fields(row, row),
        platform_document=row.platform_document, years=claim_read.years(row),
        invoices=claim_read.invoices(row), events=claim_read.events(row), reviews=claim_read.reviews(row),
        audits=claim_read.audits(row), approval=approval, notice=claim_read.notice(row),
        objections=claim_read.objections(row), fund_issue=claim_read.fund_issue(row),
        payments=claim_read.payments(row), outstanding=claim_read.outstanding(row, approval),
        recoveries=claim_read.recoveries(row),
        result=stored.result if stored is not None else today, explanation=stored,
        today=today if today_too else None, procedure=row.procedure,
        next_steps=tuple(step.id for step in rulebook().procedure(row.procedure).steps_from(row.state)),
    )


def _passed_on_to(session: Session, c: Claim) -> list[str]:
    """The payer a provincial claim's money was passed on to (转拨), if it was."""
    from ledger.models import ProvincialStep

    return sorted(session.execute(select(ProvincialStep.payer_code).where(
        ProvincialStep.claim_id == c.id, ProvincialStep.step == "pass-on")).scalars())


def _notice_row(session: Session, n: Notice, claims: Iterable[str] = ()) -> NoticeRow:
    ch = NoticeEndChange
    changes = tuple(NoticeEndChangeRow(holiday_year=x.holiday_year, holiday_source=x.holiday_source,
                                       old_end=x.old_end, old_provisional=x.old_provisional, new_end=x.new_end,
                                       new_provisional=x.new_provisional, actor=x.actor, at=x.at)
                    for x in session.execute(select(ch).where(ch.notice_id == n.id).order_by(ch.id)).scalars())
    return NoticeRow(id=n.id, title=n.title, publication_date=n.publication_date, end_date=n.end_date,
                     working_days=n.working_days, provisional=n.provisional, claims=tuple(claims), changes=changes)


def notices_due(ctx: Context, on: date) -> list[NoticeRow]:
    """Notices due for fund issue (公示期满待下达): end date final and before ``on``, with a claim still in
    notice (an objected claim waits for its objection). A district user sees only their own claims."""
    authorize(ctx.who, "notice.read")
    scope = jurisdiction_filter(ctx.who)
    waiting = (select(NoticeClaim.notice_id, Claim.number).join(Claim, Claim.id == NoticeClaim.claim_id)
               .join(Platform, Platform.id == Claim.platform_id).where(Claim.state == "in_notice"))
    if scope:
        waiting = waiting.where(Platform.jurisdiction_code == scope)
    with ctx.read() as session:
        rows = session.execute(select(Notice).where(Notice.provisional.is_(False), Notice.end_date < on,
                                                    Notice.id.in_(waiting.with_only_columns(NoticeClaim.notice_id)))
                               .order_by(Notice.end_date, Notice.id).limit(200)).scalars().all()
        return [_notice_row(session, n, session.execute(waiting.with_only_columns(Claim.number).where(
            NoticeClaim.notice_id == n.id).order_by(Claim.number)).scalars().all()) for n in rows]


def list_notices(ctx: Context, page: Page) -> Paged[NoticeRow]:
    """The notice batches, newest first. A district user sees only the batches holding a claim of their
    own jurisdiction, and in each only those claims (a batch may mix districts)."""
    authorize(ctx.who, "notice.read")
    scope = jurisdiction_filter(ctx.who)
    in_notice = (select(NoticeClaim.notice_id, Claim.number).join(Claim, Claim.id == NoticeClaim.claim_id)
                 .join(Platform, Platform.id == Claim.platform_id))
    if scope:
        in_notice = in_notice.where(Platform.jurisdiction_code == scope)
    q = select(Notice)
    if scope:
        q = q.where(Notice.id.in_(in_notice.with_only_columns(NoticeClaim.notice_id)))
    with ctx.read() as session:
        total = session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
        rows = session.execute(q.order_by(Notice.id.desc()).offset(page.offset).limit(page.size)).scalars().all()
        items = []
        for n in rows:
            numbers = session.execute(in_notice.with_only_columns(Claim.number)
                                      .where(NoticeClaim.notice_id == n.id).order_by(Claim.number)).scalars().all()
            items.append(_notice_row(session, n, numbers))
        return paged(items, total, page)


def list_budgets(ctx: Context) -> list[BudgetRow]:
    authorize(ctx.who, "budget.read")
    with ctx.read() as session:
        names = dict(session.execute(select(Payer.code, Payer.name)).all())
        q = select(Budget).order_by(Budget.fiscal_year, Budget.payer_code, Budget.program)
        if ctx.who.role in DISTRICT_ROLES:  # district staff see their own finance's budgets only
            jurisdiction = session.get(Jurisdiction, ctx.who.jurisdiction or "")
            q = q.where(Budget.payer_code == (ctx.who.payer or (jurisdiction.payer_code if jurisdiction else "")))
        return [BudgetRow(payer=b.payer_code, payer_name=names.get(b.payer_code, ""), fiscal_year=b.fiscal_year,
                          program=b.program, appropriation=b.appropriation_fen,
                          available=S.available_budget(session, b.payer_code, b.fiscal_year, b.program),
                          document_number=b.document_number)
                for b in session.execute(q).scalars()]


def action_log(ctx: Context, page: Page, *, username: str | None = None) -> Paged[ActionRow]:
    authorize(ctx.who, "actions.read")
    q = select(ActionRecord)
    if username:
        q = q.where(ActionRecord.username == username)
    with ctx.read() as session:
        total = session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
        rows = session.execute(q.order_by(ActionRecord.id.desc()).offset(page.offset).limit(page.size)).scalars()
        return paged((ActionRow(id=r.id, at=utc(r.at), username=r.username, role=r.role, action=r.action,
                                target=r.target, outcome=r.outcome, detail=r.detail) for r in rows), total, page)


# ---------------------------------------------------------------- the journal (auditors, city)

def ledger_balances(ctx: Context, *, as_of: date | None = None, payer: str | None = None,
                    platform: str | None = None, program: str | None = None) -> Balances:
    from ledger.queries import balances_by_state

    authorize(ctx.who, "ledger.read")
    with ctx.read(snapshot=True) as session:
        platform_id = find_platform(session, platform).id if platform else None
        sums = balances_by_state(session, as_of=as_of, payer=payer, platform_id=platform_id, program=program)
        return Balances(as_of=as_of, payer=payer, platform=platform, program=program, balances=dict(sums))


def ledger_trial_balance(ctx: Context, *, as_of: date | None = None, start: date | None = None) -> TrialBalance:
    from ledger.queries import trial_balance

    authorize(ctx.who, "ledger.read")
    with ctx.read(snapshot=True) as session:
        rows = trial_balance(session, as_of=as_of, start=start)
        return TrialBalance(as_of=as_of, start=start, rows=tuple(rows), total_debit=sum(r.debit for r in rows),
                            total_credit=sum(r.credit for r in rows))


def journal(ctx: Context, page: Page, *, claim: str | None = None) -> Paged[JournalEntryRow]:
    from ledger.journal import legs_of
    from ledger.models import JournalEntry

    authorize(ctx.who, "ledger.read")
    q = select(JournalEntry)
    with ctx.read() as session:
        if claim:
            q = q.where(JournalEntry.claim_id == find_claim(session, claim).id)
        total = session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
        entries = session.execute(q.order_by(JournalEntry.id.desc()).offset(page.offset)
                                  .limit(page.size)).scalars().all()
        numbers = dict(session.execute(select(Claim.id, Claim.number).where(
            Claim.id.in_({e.claim_id for e in entries if e.claim_id}))).all())
        items = [JournalEntryRow(id=e.id, date=e.entry_date, kind=e.kind, claim=numbers.get(e.claim_id or 0),
                                 description=e.description, reverses=e.reverses_id, actor=e.actor, hash=e.hash,
                                 prev_hash=e.prev_hash, postings=tuple(legs_of(session, e.id)))
                 for e in entries]
        return paged(items, total, page)


def verify_chain(ctx: Context) -> ChainVerification:
    from ledger import projections
    from ledger.checkpoint import verify_against

    authorize(ctx.who, "ledger.verify")
    with ctx.read(snapshot=True) as session:
        report, basis = verify_against(session)
        return ChainVerification(chain=report, against=basis.describe(),
                                 projections=tuple(projections.check(session)))


def cap_position(ctx: Context, code: str, program: str, as_of: date) -> Headroom:
    from ledger.queries import cap_headroom

    with ctx.read() as session:
        authorized_platform(ctx.who, session, "platform.read", code)
        return cap_headroom(session, code, program, as_of)


def calculate(ctx: Context, body: In.CalculationIn) -> Calculation:
    """试算 (what-if): every claim of a scenario — given whole, or a ledger platform's history plus a
    prospective claim — under the bundled rule sets, with readings and parameter changes for this run
    only. Writes nothing; the trace cites each clause."""
    from calculators.engine import Evaluation, evaluate
    from calculators.rulesets.bundled import rulebook
    from calculators.scenario import from_data
    from ledger.history import scenario_for

    authorize(ctx.who, "calc.preview")
    if (body.scenario is None) == (body.claim is None):
        raise Invalid("试算输入", "试算须填写完整的试算情形（scenario）或台账中平台的一项申请（claim），二者只填其一", field="scenario")
    overrides: dict[str, Any] = {}
    if body.scenario is not None:
        data = dict(body.scenario)
    else:
        claim = body.claim
        assert claim is not None
        with ctx.read() as session:
            platform = authorized_platform(ctx.who, session, "calc.preview", claim.platform)
            item = S.claim_item("WHAT-IF", claim.program, claim.application_date, _invoices(claim), claim.years,
                                _fen(claim.national_support, "claim.national_support"),
                                _fen(claim.recorded_amount, "claim.recorded_amount"), claim.evaluation_year)
            data = _parsed(lambda: scenario_for(session, platform, extra_claims=[item])).model_dump(mode="json")
    if body.readings:
        overrides["readings"] = {**(data.get("readings") or {}), **body.readings}
    if body.what_if:
        overrides["what_if"] = {**(data.get("what_if") or {}), **body.what_if}
    evaluation: Evaluation = _parsed(lambda: evaluate(from_data({**data, **overrides}), rulebook()))
    return Calculation(platform=evaluation.scenario.platform.id, platform_name=evaluation.scenario.platform.name,
                       claims=evaluation.results)
