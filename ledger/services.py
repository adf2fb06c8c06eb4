"""Use cases: every step of a claim's life (细则 第二章 三, 第四章（一）(2)), each one transaction and one journal entry.

Each function takes the caller's ``Session`` (inside a transaction it does not commit), checks the
procedure, calls the calculators for any amount, writes the records and posts exactly one balanced
entry.

Lock order (锁顺序), everywhere — an action locks what it checks before it reads the amounts it checks,
and takes its locks in this order only (PostgreSQL ``SELECT … FOR UPDATE``; SQLite serialises writers
with ``BEGIN IMMEDIATE``), so that two actions never wait on each other in a cycle:

0. (API) the idempotency key's row, inserted before the work (``ledger.idempotency``);
1. claims (申请), by claim number when several (``_lock_claim``);
2. the platform (中试平台) — approval (cap), filing (filing order, claim numbers);
3. budget rows (预算指标), by payer code — approval, appropriation (the row is inserted first if new);
4. the row the action settles: the objection, payment (拨付) or recovery (追回) row;
5. the journal head (``journal_head``), taken last by ``ledger.journal.post`` (filing takes it a step
   early to draw the claim number; it holds no claim lock).

docs/posting-rules.md "Lock order / 锁顺序" lists which action takes which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Integer,
    String,
    Table,
    bindparam,
    func,
    inspect,
    literal,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from calculators.eligibility import platform_record
from calculators.engine import evaluate
from calculators.errors import CalculatorError, InputErrors
from calculators.formats import yuan
from calculators.labels import program_title
from calculators.results import ClaimResult
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import STATE_TITLES, Options, Procedure, RuleBook, RuleSet, Step
from calculators.split import payer_shares
from ledger import accounts as A
from ledger.calendar import calendar_for
from ledger.db import read_columns
from ledger.errors import (
    AlreadyClaimed,
    BudgetExceeded,
    CapExceeded,
    IllegalTransition,
    Invalid,
    LedgerError,
    NotFound,
    PaymentExceedsPayable,
)
from ledger.history import DECIDED, Loaded, scenario_for
from ledger.journal import Leg, debit_credit, lock_head_and_read, post
from ledger.messages import day, issues_text, money
from ledger.models import (
    Approval,
    Audit,
    Budget,
    Claim,
    ClaimEvent,
    ClaimYear,
    FundIssue,
    Investment,
    Invoice,
    JournalEntry,
    Jurisdiction,
    Notice,
    NoticeClaim,
    NoticeEndChange,
    Objection,
    Payer,
    Payment,
    PaymentConfirmation,
    PaymentWithdrawal,
    Platform,
    PlatformEvent,
    Recovery,
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
    PaymentMade,
    PaymentWithdrawn,
    ReceiptRecorded,
)
from ledger.projections import RECEIPT_ACTION, receipt_note
from ledger.step_rows import Row, RowUpdate, write_step
from ledger.undertakings import undertaking_warnings

PROCEDURE = "办理流程（细则 第四章（一）(2)；各规则集 procedures）"
_OBJECTION_STATUS = {"open": "待处理", "upheld": "异议成立", "dismissed": "异议不成立"}
MEMO_OF_STATE = {
    "filed": A.MEMO_FILED,
    "econ_reviewed": A.MEMO_ECON_REVIEWED,
    "district_reviewed": A.MEMO_DISTRICT_REVIEWED,
    "audited": A.MEMO_AUDITED,
    "in_notice": A.MEMO_IN_NOTICE,
    "objected": A.MEMO_OBJECTED,
}


def _book() -> RuleBook:
    return rulebook()


# ---------------------------------------------------------------- dates and duties (经办流程, 经办与复核分离)

_TODAY: ContextVar[date | None] = ContextVar("ledger_today", default=None)
clock: Callable[[], date] = date.today
"""The calendar day the date rules call "today" (the test suite replaces it; :func:`as_of` overrides it)."""


def today() -> date:
    """"Today" for the date rules: :data:`clock`, unless :func:`as_of` set another day (the demo, tests)."""
    return _TODAY.get() or clock()


@contextmanager
def as_of(day: date) -> Iterator[None]:
    """Record steps as if today were ``day`` (the demo dataset, tests)."""
    token = _TODAY.set(day)
    try:
        yield
    finally:
        _TODAY.reset(token)


DATE_RULE = "细则 第四章（一）(2)：经办流程，每一步不得早于前一步，不得晚于记录当日"
DUTY_RULE = "细则 第四章（一）(2)：经办与复核分离"
STEP_DATES = {
    "file": "申请日期", "review-economic": "区级经信部门审核日期", "reject-economic": "区级经信部门审核日期",
    "review-finance": "区级财政部门审核日期", "reject-finance": "区级财政部门审核日期", "audit": "审计日期",
    "approve": "党组会审定日期", "notice": "公示发布日期", "object": "异议提出日期",
    "uphold-objection": "异议处理日期", "dismiss-objection": "异议处理日期", "resolve-objection": "异议处理日期",
    "issue": "资金下达日期", "prepare-payment": "拨付制单日期", "pay": "拨付复核日期",
    "withdraw-payment": "作废制单日期",
    "reverse-approval": "撤销审定日期", "reverse-payment": "冲销拨付日期", "recover": "追回日期",
    RECEIPT_ACTION: "追回款到账日期", "allocate": "省级下达日期", "receive-transfer": "上级转移支付到账日期",
    "pass-on": "转拨日期",
}
PAYMENT_DUTIES = "procedure.payment_duties"
"""The reading of 制单/复核: ``maker-checker`` (default) or ``single-user`` (制单即复核), rule-set data."""


PAYMENT_STEPS = ("prepare-payment", "pay", "withdraw-payment", "reverse-payment", RECEIPT_ACTION)
"""A payer's own steps: dated against the step they follow (fund issue, their payment), not other payers' steps."""


def _check_date(session: Session, claim: Claim | None, step: str, on: date, field: str) -> None:
    """Refuse a step dated after today or before the claim's latest recorded step (经办流程); a new claim
    (``claim`` None) has none."""
    _check_step_date(step, on, field, None if claim is None else _latest_step(session, claim))


def _check_step_date(step: str, on: date, field: str, after: tuple[str, date] | None) -> None:
    """Refuse a step dated after today or before ``after``, the step it follows (its action and date)."""
    title, now = STEP_DATES[step], today()
    if on > now:
        raise Invalid(DATE_RULE, f"{title} {on} 晚于今天 {now}：任何一步不得晚于记录当日（经办流程）", field=field,
                      today=now.isoformat())
    if after is not None and on < after[1]:
        raise Invalid(DATE_RULE, f"{title} {on} 早于{STEP_DATES.get(after[0], after[0])} {after[1]}："
                      "每一步不得早于前一步（经办流程）", field=field, previous=after[1].isoformat())


def _payer_floor(session: Session, claim: Claim, payer: str) -> tuple[str, date] | None:
    """The step a payer's new payment step follows: the claim's latest step that is no payer's payment step
    (fund issue, 转拨, …) or this payer's own latest 制单/复核/作废制单/冲销, whichever is later. Other payers'
    payment steps do not constrain it (each finance dates its own vouchers)."""
    latest = read_columns(session, _PAYER_FLOOR, {"claim": claim.id, "payer": payer}).first()
    return (latest[0], latest[1]) if latest is not None else None


def _payer_floor_query() -> Any:
    claim, payer = bindparam("claim", type_=Integer), bindparam("payer", type_=String)
    own = Payment.claim_id == claim, Payment.payer_code == payer
    confirmed = select(PaymentConfirmation.entry_id).join(Payment).where(*own)
    steps = union_all(  # one statement; on equal dates the first kind listed wins, as the steps are listed
        select(literal(0).label("k"), ClaimEvent.id.label("n"), ClaimEvent.action, ClaimEvent.date.label("on"))
        .where(ClaimEvent.claim_id == claim, ClaimEvent.action.not_in(PAYMENT_STEPS)),
        select(literal(1), Payment.id, literal("prepare-payment"), Payment.date).where(*own),
        select(literal(2), Payment.id, literal("pay"), PaymentConfirmation.date).join(Payment).where(*own),
        select(literal(3), Payment.id, literal("withdraw-payment"), PaymentWithdrawal.date).join(Payment)
        .where(*own),
        select(literal(4), JournalEntry.id, literal("reverse-payment"), JournalEntry.entry_date).where(
            JournalEntry.reverses_id.in_(confirmed.scalar_subquery())),
    ).subquery()
    return select(steps.c.action, steps.c.on).order_by(steps.c.on.desc(), steps.c.k, steps.c.n).limit(1)


_PAYER_FLOOR = _payer_floor_query()


def payment_duties(rule_set_id: str, on: date) -> str:
    """制单/复核 as the claim's rule set reads it (else the Jiaxing procedure in force): ``maker-checker``
    or ``single-user``."""
    book = _book()
    own = book.rule_sets.get(rule_set_id)
    candidates = ([own] if own is not None else []) + sorted(
        book.rule_sets.values(), key=lambda r: r.in_force_from, reverse=True)
    for rs in candidates:
        if rs.has(PAYMENT_DUTIES) and (rs is own or rs.in_force(on)):
            return str(rs.param(PAYMENT_DUTIES, on).value)
    return "maker-checker"


# ---------------------------------------------------------------- reference data and platforms

def sync_reference_data(session: Session, book: RuleBook | None = None) -> None:
    """Make the payers and jurisdictions tables match the rule book (idempotent)."""
    book = book or _book()
    for p in book.payers.values():
        row = session.get(Payer, p.code)
        if row is None:
            session.add(Payer(code=p.code, name=p.name, level=p.level))
        else:
            row.name, row.level = p.name, p.level
    session.flush()
    for j in book.jurisdictions.values():
        jrow = session.get(Jurisdiction, j.code)
        if jrow is None:
            session.add(Jurisdiction(code=j.code, name=j.name, kind=j.kind, split_class=j.split_class,
                                     payer_code=j.payer))
        else:
            jrow.name, jrow.kind, jrow.split_class, jrow.payer_code = j.name, j.kind, j.split_class, j.payer
    session.flush()


def create_platform(session: Session, *, code: str, name: str, jurisdiction: str, operator: str = "",
                    leader_type: str = "enterprise", head_person: str = "", head_phone: str = "",
                    contact_person: str = "", contact_mobile: str = "") -> Platform:
    if session.get(Jurisdiction, jurisdiction) is None:
        raise Invalid("细则 第五章：嘉兴市各区县", f"所属区县代码 {jurisdiction!r} 不存在；请从所属区县列表中选择",
                      field="jurisdiction")
    if session.execute(select(Platform.id).where(Platform.code == code)).first():
        raise Invalid("平台编号唯一", f"平台编号 {code!r} 已被使用；请换一个编号，或打开该平台办理", field="code")
    platform = Platform(code=code, name=name, jurisdiction_code=jurisdiction, operator=operator,
                        leader_type=leader_type, head_person=head_person, head_phone=head_phone,
                        contact_person=contact_person, contact_mobile=contact_mobile)
    session.add(platform)
    session.flush()
    return platform


_PLATFORM_BY_CODE = select(Platform).where(Platform.code == bindparam("code"))


def platform_by_code(session: Session, code: str, *, lock: bool = False) -> Platform:
    """The platform of code ``code``; ``lock``: locked and read afresh (as the session's object, :func:`_held`)."""
    if lock:
        row = session.connection().execute(_LOCK_PLATFORM_BY_CODE, {"code": code}).one_or_none()
        platform = None if row is None else _held(session, Platform, _PLATFORM_KEYS, row)
    else:
        platform = session.execute(_PLATFORM_BY_CODE, {"code": code}).scalar_one_or_none()
    if platform is None:
        raise NotFound("平台", f"平台编号 {code!r} 不存在；请核对平台编号", field="platform")
    return platform


def add_platform_event(session: Session, platform_code: str, *, kind: str, on: date, level: str | None = None,
                       grade: str | None = None, scheme: str | None = None, year: int | None = None,
                       document_number: str = "", amount_fen: int | None = None, note: str = "",
                       change_date: date | None = None) -> PlatformEvent:
    """Record a dated fact of the platform's history (入库、退库、认定、评价、协议支持、整改; 入库公示 on its
    publication date; 变更报送 on the report date with ``change_date``; 省级复评 with ``grade`` as its result)."""
    _check_clause_event(kind, on, grade, change_date)
    platform = platform_by_code(session, platform_code)
    event = PlatformEvent(platform_id=platform.id, kind=kind, date=on, level=level, grade=grade, scheme=scheme,
                          year=year, document_number=document_number, amount_fen=amount_fen, note=note,
                          change_date=change_date)
    session.add(event)
    session.flush()
    try:
        history = scenario_for(session, platform)  # the history must still be a valid scenario
        if history.events:  # and its clause events consistent (入库公示期, 变更报送, 复评)
            platform_record(history, _book(), calendar=calendar_for(session))
    except InputErrors as exc:
        raise Invalid(exc.issues[0].rule, exc.issues[0].message, field=exc.issues[0].field) from None
    return event


def _check_clause_event(kind: str, on: date, grade: str | None, change_date: date | None) -> None:
    """The fields the clause events need, refused in Chinese naming the field and the clause."""
    if kind == "change-report" and change_date is None:
        raise Invalid("细则 第三章：变更申报材料", "变更报送须填写变更日期（相关法律手续办理完毕之日）", field="change_date")
    if kind == "change-report" and change_date is not None and change_date > on:
        raise Invalid("细则 第三章：变更申报材料", f"变更日期{change_date}晚于报送日期{on}", field="change_date")
    if kind != "change-report" and change_date is not None:
        raise Invalid("细则 第三章：变更申报材料", "只有变更报送填写变更日期", field="change_date")
    if kind == "re-evaluation" and grade not in ("通过", "不通过", "未参加"):
        raise Invalid("浙江方案 五：两年一复评", f"复评结果须为通过、不通过或未参加，而不是{grade!r}", field="grade")


# ---------------------------------------------------------------- budgets

def appropriate(session: Session, *, payer: str, fiscal_year: int, program: str, amount_fen: int, on: date,
                document_number: str = "", actor: str = "") -> Appropriated:
    """Add an appropriation (预算批复) for a payer, year and program: budgetary and financial legs."""
    if amount_fen <= 0:
        raise Invalid("预算指标为正数", f"预算金额须大于 0，收到 {money(amount_fen)}；请填写批复的预算金额", field="amount")
    if session.get(Payer, payer) is None:
        raise NotFound("出资方", f"出资方代码 {payer!r} 不存在；请从出资方列表中选择", field="payer")
    # the budget row exists before it is locked: concurrent first appropriations insert it once
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(dialect_insert(Budget).values(
        payer_code=payer, fiscal_year=fiscal_year, program=program, appropriation_fen=0,
        document_number=document_number).on_conflict_do_nothing(
        index_elements=["payer_code", "fiscal_year", "program"]))
    budget = session.execute(
        select(Budget).where(Budget.payer_code == payer, Budget.fiscal_year == fiscal_year, Budget.program == program)
        .with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    budget.appropriation_fen += amount_fen
    dims = {"payer": payer, "program": program, "fiscal_year": fiscal_year}
    entry = post(session, entry_date=on, kind="appropriation", actor=actor,
                 description=f"{fiscal_year}年度{program}预算指标 {document_number}".strip(),
                 legs=debit_credit(A.BUDGET_AUTHORITY, A.APPROPRIATION_AVAILABLE, amount_fen, **dims)
                 + debit_credit(A.TREASURY, A.APPROPRIATION_REVENUE, amount_fen, payer=payer,
                                fiscal_year=fiscal_year))
    return Appropriated(budget=budget.id, entry=entry, appropriation=budget.appropriation_fen)


def available_budget(session: Session, payer: str, fiscal_year: int, program: str) -> int:
    total = session.execute(
        select(func.coalesce(func.sum(_posting().c.amount_fen), 0)).where(
            _posting().c.account_code == A.APPROPRIATION_AVAILABLE, _posting().c.payer_code == payer,
            _posting().c.fiscal_year == fiscal_year, _posting().c.program == program)
    ).scalar_one()
    return -int(total)


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _posting() -> Any:
    from ledger.models import Posting

    return Posting.__table__


# ---------------------------------------------------------------- claims

@dataclass(frozen=True)
class InvoiceIn:
    """An invoice filed with a claim (fen amounts)."""

    issuer_code: str
    number: str
    date: date
    net_fen: int
    vat_fen: int = 0


_LATEST_STEP = "ledger.services.latest_step"  # session.info: (transaction, claim id, (action, date) | None)


def _latest_step_query(claim_id: Any, *columns: Any) -> Any:
    return (select(*(columns or (ClaimEvent.action, ClaimEvent.date))).where(ClaimEvent.claim_id == claim_id)
            .order_by(ClaimEvent.date.desc(), ClaimEvent.id.desc()).limit(1))


def _mapped(model: type[Any]) -> tuple[tuple[str, ...], list[Any]]:
    """A model's column attributes: their names and their table columns, in mapper order."""
    attrs = inspect(model).column_attrs
    return tuple(a.key for a in attrs), [a.columns[0] for a in attrs]


_CLAIM_KEYS, _CLAIM_COLUMNS = _mapped(Claim)
_PLATFORM_KEYS, _PLATFORM_COLUMNS = _mapped(Platform)
_CLAIM_ROW = len(_CLAIM_KEYS)

# built once (statements run at every step: building them costs more than running them); selects of columns
# run on the connection (the ORM's entity loading cost more than the statement: issue 12, part 4)
_LOCK_CLAIM = select(*_CLAIM_COLUMNS).where(_table(Claim).c.number == bindparam("number")).with_for_update()
_LOCK_CLAIM_WITH_STEP = (
    select(*_CLAIM_COLUMNS, _latest_step_query(_table(Claim).c.id, ClaimEvent.action).scalar_subquery(),
           _latest_step_query(_table(Claim).c.id, ClaimEvent.date).scalar_subquery(), *_PLATFORM_COLUMNS)
    .join_from(_table(Claim), _table(Platform), _table(Platform).c.id == _table(Claim).c.platform_id)
    .where(_table(Claim).c.number == bindparam("number")))
_LATEST = _latest_step_query(bindparam("claim"))
_LOCK_PLATFORM_BY_CODE = (select(*_PLATFORM_COLUMNS).where(_table(Platform).c.code == bindparam("code"))
                          .with_for_update())
_LOCK_PLATFORM = select(*_PLATFORM_COLUMNS).where(_table(Platform).c.id == bindparam("platform")).with_for_update()

_Held = TypeVar("_Held", Claim, Platform)


def _held(session: Session, model: type[_Held], keys: tuple[str, ...], values: Sequence[Any]) -> _Held:
    """The row read under its lock as the session's object for it, as a locked ORM read with
    ``populate_existing`` gives it: the object the session already holds, its columns set to the row's, or
    a new one held as loaded (nothing for a flush to write). Built from plain columns: the ORM's entity
    loading costs more than the locking statement itself (issue 12, part 4)."""
    mapper = inspect(model)
    held = session.identity_map.get(mapper.identity_key_from_primary_key((values[keys.index("id")],)))
    if held is None:  # as the ORM's loader does: the columns straight into the instance's dict (no set events)
        held = mapper.class_manager.new_instance()
        held.__dict__.update(zip(keys, values, strict=True))
        make_transient_to_detached(held)
        session.add(held)
    else:
        for key, value in zip(keys, values, strict=True):
            set_committed_value(held, key, value)
    return held


def _lock_claim(session: Session, number: str, *, platform: bool = False) -> Claim:
    """The claim, locked (锁顺序 1); on SQLite with its platform as the session's object when ``platform``
    (PostgreSQL's callers lock or read it after the claim). On SQLite,
    whose writers hold the database lock from ``BEGIN IMMEDIATE`` on, the claim's latest step and its
    platform are read in the same statement (for :func:`_check_date`, the rules and the approval); on
    PostgreSQL they must be read after the lock (a statement that waited for the lock reads other tables
    as they were when it started), so :func:`_check_date` reads the step then."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        row = conn.execute(_LOCK_CLAIM, {"number": number}).one_or_none()
        if row is None:
            raise NotFound("申请", f"申请编号 {number!r} 不存在；请核对申请编号（如 SQ2026-000001）", field="claim")
        return _held(session, Claim, _CLAIM_KEYS, row)
    row = conn.execute(_LOCK_CLAIM_WITH_STEP, {"number": number}).one_or_none()
    if row is None:
        raise NotFound("申请", f"申请编号 {number!r} 不存在；请核对申请编号（如 SQ2026-000001）", field="claim")
    claim = _held(session, Claim, _CLAIM_KEYS, row[:_CLAIM_ROW])
    action, on = row[_CLAIM_ROW], row[_CLAIM_ROW + 1]
    session.info[_LATEST_STEP] = (session.get_transaction(), claim.id, (action, on) if action is not None else None)
    if platform:
        set_committed_value(claim, "platform", _held(session, Platform, _PLATFORM_KEYS, row[_CLAIM_ROW + 2:]))
    return claim


def _latest_step(session: Session, claim: Claim) -> tuple[str, date] | None:
    """The claim's latest recorded step (action, date): as read with the claim's lock in this transaction
    when it was (SQLite), else read now."""
    known = session.info.get(_LATEST_STEP)
    if known is not None and known[0] is session.get_transaction() and known[1] == claim.id:
        return known[2]  # type: ignore[no-any-return]
    row = read_columns(session, _LATEST, {"claim": claim.id}).first()
    return (row[0], row[1]) if row is not None else None


def explain(session: Session, claim_number: str) -> ClaimResult:
    """The claim's result as the calculators give it today (amounts, caps, shares and the clause-by-clause
    trace), on the figures in the ledger: audited where audited. Writes nothing."""
    claim = session.execute(select(Claim).where(Claim.number == claim_number)).scalar_one_or_none()
    if claim is None:
        raise NotFound("申请", f"申请编号 {claim_number!r} 不存在；请核对申请编号（如 SQ2026-000001）", field="claim")
    return _compute(session, claim.platform, claim.number, upto=claim)


def procedure_of(claim: Claim) -> Procedure:
    """The procedure the claim follows (its rule set's ``procedure.<program>`` when it was filed)."""
    return _book().procedure(claim.procedure)


def _require(claim: Claim, step_id: str) -> Step:
    """The step ``step_id`` of the claim's procedure, if the procedure allows it from the claim's state
    (the one transition table: calculators/rulesets/*.yaml ``procedures``); else refused in Chinese."""
    procedure = procedure_of(claim)
    step = procedure.step(step_id)
    where = STATE_TITLES.get(claim.state, claim.state)
    if step is None:
        raise IllegalTransition(
            f"{PROCEDURE}：{procedure.title}", f"申请 {claim.number} 适用“{procedure.title}”（{procedure.clause}），"
            f"该流程没有“{step_id}”这一步", field="state", state=claim.state)
    if claim.state not in step.source:
        needs = "或".join(f"“{STATE_TITLES.get(s, s)}”" for s in step.source)
        raise IllegalTransition(
            f"{PROCEDURE}：{step.clause}", f"申请 {claim.number} 现为“{where}”；“{step.title}”须在申请为{needs}时办理"
            f"（{procedure.title}）", field="state", state=claim.state)
    return step


def _event(session: Session, claim: Claim, to_state: str, action: str, on: date, actor: str, entry: int | None,
           note: str = "", result: ClaimResult | None = None, rows: Sequence[Row] = (),
           sets: dict[str, Any] | None = None) -> None:
    """The claim's step written: its event, what it was based on, the step's own ``rows`` and the claim's
    changed columns (``sets``), with Core in one statement on PostgreSQL (ledger/step_rows.py)."""
    session.info.pop(_LATEST_STEP, None)  # read again if asked
    write_step(session, claim, from_state=claim.state, to_state=to_state, action=action, on=on, actor=actor,
               entry=entry, note=note, result=result, rows=rows, sets=sets)


def _compute(session: Session, platform: Platform, claim_number: str, *, upto: Claim | None = None,
             extra: list[dict[str, Any]] | None = None, options: Options | None = None,
             loaded: Loaded | None = None) -> ClaimResult:
    try:
        scenario = scenario_for(session, platform, upto=upto, extra_claims=extra, loaded=loaded)
        result = evaluate(scenario, _book(), options).by_claim()[claim_number]
    except InputErrors as exc:
        first = exc.issues[0]
        raise Invalid(first.rule, issues_text(exc.issues), field=first.field) from None
    except CalculatorError as exc:
        raise Invalid("规则集", str(exc)) from None
    return result


def _memo(claim: Claim, debit: str, credit: str, amount: int) -> list[Leg]:
    if amount == 0:
        return []
    return debit_credit(debit, credit, amount, platform_id=claim.platform_id, program=claim.program,
                        claim_id=claim.id)


def _memo_move(claim: Claim, from_account: str, to_account: str, old: int, new: int) -> list[Leg]:
    """Move a claim's memorandum balance from one account to the next, adjusting its amount."""
    legs = _memo(claim, A.MEMO_CONTRA, from_account, old) + _memo(claim, to_account, A.MEMO_CONTRA, new)
    # net the contra legs into one
    contra = sum(leg.amount for leg in legs if leg.account == A.MEMO_CONTRA)
    others = [leg for leg in legs if leg.account != A.MEMO_CONTRA]
    if contra:
        others.append(Leg(A.MEMO_CONTRA, contra, platform_id=claim.platform_id, program=claim.program,
                          claim_id=claim.id))
    return others


_CLAIM_COUNT = select(func.count(Claim.id)).scalar_subquery()


def next_claim_number(session: Session, on: date) -> str:
    """The next claim number (申请编号). Takes the journal head's lock first — every write posts and so
    queues on it anyway — so that concurrent filings never draw the same number."""
    _, _, count = lock_head_and_read(session, _CLAIM_COUNT)
    return f"SQ{on.year}-{count + 1:06d}"


def claim_item(number: str, program: str, application_date: date, invoices: Sequence[InvoiceIn],
                years: Sequence[int] | None, national_support_fen: int | None, recorded_amount_fen: int | None,
                evaluation_year: int | None) -> dict[str, Any]:
    """A claim as the calculators' scenario format has it."""
    item: dict[str, Any] = {
        "id": number, "program": program, "application_date": application_date,
        "invoices": [{"issuer_code": i.issuer_code, "number": i.number, "date": i.date, "net": yuan(i.net_fen),
                      "vat": yuan(i.vat_fen)} for i in invoices],
    }
    if years is not None:
        item["years"] = list(years)
    for key, value in (("national_support", national_support_fen), ("recorded_amount", recorded_amount_fen)):
        if value is not None:
            item[key] = yuan(value)
    if evaluation_year is not None:
        item["evaluation_year"] = evaluation_year
    return item


def preview_claim(session: Session, *, platform_code: str, program: str, application_date: date,
                  invoices: Sequence[InvoiceIn] = (), years: Sequence[int] | None = None,
                  national_support_fen: int | None = None, recorded_amount_fen: int | None = None,
                  evaluation_year: int | None = None, options: Options | None = None) -> ClaimResult:
    """What a claim would compute to if filed now (试算), with its trace; writes nothing."""
    platform = platform_by_code(session, platform_code)
    item = claim_item("PREVIEW", program, application_date, invoices, years, national_support_fen,
                       recorded_amount_fen, evaluation_year)
    loaded = Loaded()  # the undertakings are checked on the rows the rules were computed on
    result = _compute(session, platform, "PREVIEW", extra=[item], options=options, loaded=loaded)
    warned = undertaking_warnings(session, platform, _book(), application_date, loaded)
    return replace(result, warnings=result.warnings + warned)


_FILED_BEFORE = select(Invoice.issuer_code, Invoice.number, Invoice.claim_id).where(
    tuple_(Invoice.issuer_code, Invoice.number).in_(bindparam("keys", expanding=True)), Invoice.released.is_(False))
_INSERT_CLAIM = _table(Claim).insert().returning(_table(Claim).c.id, _table(Claim).c.created_at)
_LATER_CLAIM = select(Claim.number, Claim.application_date).where(
    Claim.platform_id == bindparam("platform"), Claim.program == bindparam("program"),
    Claim.application_date > bindparam("date"), Claim.state.not_in(("rejected", "reversed")))


# size: filing in the order of 细则 第四章（一）(2) — lock, number, invoices and years, compute, the
# requested amount's entry, the claim's rows; the per-program procedure table (issue 10) takes the checks out
def file_claim(session: Session, *, platform_code: str, program: str, application_date: date,
               invoices: Sequence[InvoiceIn] = (), years: Sequence[int] | None = None,
               national_support_fen: int | None = None, recorded_amount_fen: int | None = None,
               evaluation_year: int | None = None, requested_fen: int | None = None,
               platform_document: str = "", actor: str = "", number: str | None = None) -> ClaimComputed:
    """File a claim (申报) with its invoices: computed on the filed figures; posts the memorandum entry."""
    _check_date(session, None, "file", application_date, "application_date")
    platform = platform_by_code(session, platform_code, lock=True)
    later = read_columns(session, _LATER_CLAIM, {"platform": platform.id, "program": program,
                                         "date": application_date}).first()
    if later is not None:
        raise Invalid(PROCEDURE, f"申报日期 {day(application_date)} 早于同一项目已申报的申请 {later.number}"
                      f"（{day(later.application_date)}）；申请按申报先后办理，申报日期不得早于 "
                      f"{day(later.application_date)}",
                      field="application_date")
    filed_before = {(r.issuer_code, r.number): r.claim_id for r in read_columns(
        session, _FILED_BEFORE, {"keys": [(i.issuer_code, i.number) for i in invoices]})} if invoices else {}
    for k, inv in enumerate(invoices):
        clash = filed_before.get((inv.issuer_code, inv.number))
        if clash is not None:
            other = session.get(Claim, clash)
            raise AlreadyClaimed("细则 第四章（一）(1)：同一发票只申报一次",
                                 f"发票 {inv.issuer_code}:{inv.number} 已由申请 "
                                 f"{other.number if other else clash} 申报；请删去这张发票", field=f"invoices[{k}]")
    number = number or next_claim_number(session, application_date)
    item = claim_item(number, program, application_date, invoices, years, national_support_fen,
                       recorded_amount_fen, evaluation_year)
    loaded = Loaded()  # the undertakings are checked on the rows the rules were computed on
    result = _compute(session, platform, number, extra=[item], loaded=loaded)
    warned = undertaking_warnings(session, platform, _book(), application_date, loaded)
    result = replace(result, warnings=result.warnings + warned)
    if result.status == "ineligible":
        raise Invalid(f"{result.rule_set}: {result.program}",
                      "不符合申报条件：" + "；".join(result.reasons), field="program",
                      reasons=list(result.reasons))
    requested = requested_fen if requested_fen is not None else result.payable
    if requested <= 0:
        raise Invalid("附件3 申报奖励资金", "按所填材料计算的补助为 0 元；请填写申报奖励资金，或填报发票",
                      field="requested_amount",
                      reasons=list(result.reasons))
    held = result.cap.level if result.cap else ""
    values = dict(number=number, platform_id=platform.id, program=program, rule_set=result.rule_set,
                  application_date=application_date, state="filed", years=list(result.years) or None,
                  national_support_fen=national_support_fen, recorded_amount_fen=recorded_amount_fen,
                  evaluation_year=evaluation_year, requested_fen=requested, computed_fen=result.payable,
                  approved_fen=None, platform_document=platform_document, level=held, filed_by=actor,
                  procedure=_book().procedure_id(result.rule_set, program, application_date))
    conn = session.connection()
    claim_id, created_at = conn.execute(_INSERT_CLAIM, values).one()  # with Core; held as if loaded, no flush
    claim = Claim(id=claim_id, created_at=created_at, **values)
    make_transient_to_detached(claim)
    session.add(claim)
    try:
        if result.years:
            conn.execute(cast(Table, ClaimYear.__table__).insert(), [
                {"claim_id": claim.id, "platform_id": platform.id, "program": program, "year": y, "released": False}
                for y in result.years])
        if invoices:
            conn.execute(cast(Table, Invoice.__table__).insert(), [
                {"issuer_code": inv.issuer_code, "number": inv.number, "claim_id": claim.id, "platform_id": platform.id,
                 "date": inv.date, "net_fen": inv.net_fen, "vat_fen": inv.vat_fen, "audited_fen": None,
                 "released": False} for inv in invoices])
    except IntegrityError:
        raise AlreadyClaimed("细则 第四章（一）(1)：同一投资年度、同一发票只申报一次",
                             "本申请的投资年度或发票已被另一申请同时申报；请刷新后核对投资年度和发票",
                             field="invoices") from None
    entry = post(session, entry_date=application_date, kind="file", claim_id=claim.id, actor=actor,
                 description=f"{platform.name} 申报 {result.program_title} {number}",
                 legs=_memo(claim, A.MEMO_FILED, A.MEMO_CONTRA, requested))
    write_step(session, claim, from_state=None, to_state="filed", action="file", on=application_date, actor=actor,
               entry=entry, result=result)
    return ClaimComputed(claim=number, state=ClaimState.FILED, entry=entry, computed=result.payable, result=result)


def review(session: Session, *, claim_number: str, department: str, approve: bool, opinion: str, on: date,
           actor: str = "") -> ClaimStep:
    """Record a district review opinion (区级经商部门 then 区级财政部门审核意见, Annex 3 审核情况)."""
    from ledger.models import Review

    claim = _lock_claim(session, claim_number)
    if department not in ("economic", "finance"):
        raise Invalid("附件3 审核情况", f"审核部门须为经信（economic）或财政（finance），收到 {department!r}",
                      field="department")
    to_state = _require(claim, f"{'review' if approve else 'reject'}-{department}").to[0]
    _check_date(session, claim, f"review-{department}", on, "on")
    if not opinion.strip():
        raise Invalid("附件3 审核情况", "审核意见为必填；请填写审核意见", field="opinion")
    if actor and actor == claim.filed_by:  # the filing's actor (file_claim records both)
        title = STEP_DATES[f"review-{department}"]
        raise IllegalTransition(DUTY_RULE, f"{actor} 经办（申报）了申请 {claim.number}，不得再录入其"
                                f"{title.removesuffix('日期')}意见（{title} {on}）：经办与复核分离", field="actor")
    opinion_row = (_table(Review), {"claim_id": claim.id, "department": department, "approve": approve,
                                    "opinion": opinion, "date": on, "reviewer": actor})
    memo = MEMO_OF_STATE[claim.state]
    kind, state = f"{'review' if approve else 'reject'}-{department}", to_state
    if state in MEMO_OF_STATE:
        legs = _memo_move(claim, memo, MEMO_OF_STATE[to_state], claim.requested_fen, claim.requested_fen)
    else:
        legs = _memo(claim, A.MEMO_CONTRA, memo, claim.requested_fen)
        _release(session, claim)
    entry = post(session, entry_date=on, kind=kind, claim_id=claim.id, actor=actor,
                 description=f"{claim.number} {'区级经信' if department == 'economic' else '区级财政'}审核："
                             f"{'同意' if approve else '不同意'}", legs=legs)
    _event(session, claim, state, kind, on, actor, entry, opinion, rows=[opinion_row])
    return ClaimStep(claim=claim.number, state=ClaimState(state), entry=entry)


def _release(session: Session, claim: Claim) -> None:
    session.execute(update(ClaimYear).where(ClaimYear.claim_id == claim.id).values(released=True))
    session.execute(update(Invoice).where(Invoice.claim_id == claim.id).values(released=True))


_INSERT_AUDIT = _table(Audit).insert().returning(_table(Audit).c.id)
_AUDITED_YEARS = select(Investment.year).where(Investment.platform_id == bindparam("platform"),
                                               Investment.year.in_(bindparam("years", expanding=True)))


# size: the audit step whole — audited invoice amounts checked one by one, recomputed, posted as the
# memo movement and the claim's event; each refusal names its invoice
def record_audit(session: Session, *, claim_number: str, firm: str, report_number: str, on: date,
                 years: dict[int, int] | None = None, invoices: dict[str, int] | None = None,
                 actor: str = "") -> ClaimComputed:
    """Record the audit firm's figures (审计): audited investment per year and/or per invoice; recompute."""
    claim = _lock_claim(session, claim_number, platform=True)
    _require(claim, "audit")
    _check_date(session, claim, "audit", on, "on")
    if not firm.strip() or not report_number.strip():
        raise Invalid("细则 第四章（一）(2)", "会计师事务所和审计报告文号均为必填；请填写两项",
                      field="report_number" if firm.strip() else "firm")
    conn = session.connection()  # the audit's row inserted with Core; its figures are written with the step
    audit_id = conn.execute(_INSERT_AUDIT, {"claim_id": claim.id, "firm": firm, "report_number": report_number,
                                            "date": on, "audited_fen": 0, "computed_fen": 0}).scalar_one()
    total = 0
    taken = set(read_columns(session, _AUDITED_YEARS, {"platform": claim.platform_id, "years": list(years)}).scalars()
                ) if years else set()
    rows: list[dict[str, Any]] = []
    for year, amount in sorted((years or {}).items()):
        if claim.years and year not in claim.years:
            raise Invalid("细则 第四章（一）(1)", f"{year} 年不是本申请的投资年度（{'、'.join(str(y) for y in claim.years)}）；请只填写本申请的年度",
                          field=f"years.{year}")
        if amount < 0:
            raise Invalid("金额不为负数", f"审计认定金额不能为负数，收到 {money(amount)}；请填写不小于 0 的金额",
                          field=f"years.{year}")
        if year in taken:
            raise AlreadyClaimed("细则 第四章（一）(2)", f"{year} 年已有审计认定的设备投资，不能再次认定；请删去这一年度",
                                 field=f"years.{year}")
        rows.append({"platform_id": claim.platform_id, "year": year, "amount_fen": amount, "audit_id": audit_id})
        total += amount
    if rows:
        conn.execute(cast(Table, Investment.__table__).insert(), rows)
    for key, amount in (invoices or {}).items():
        issuer, _, number = key.partition(":")
        inv = session.execute(select(Invoice).where(Invoice.claim_id == claim.id, Invoice.issuer_code == issuer,
                                                    Invoice.number == number)).scalar_one_or_none()
        if inv is None:
            raise Invalid("细则 第四章（一）(2)", f"发票 {key} 不属于本申请；请按“开票单位代码:发票号码”填写本申请的发票",
                          field=f"invoices.{key}")
        if amount < 0 or amount > inv.net_fen + inv.vat_fen:
            raise Invalid("审计确认金额不超过发票金额", f"审计认定金额 {money(amount)} 须在 0 至发票金额 {money(inv.net_fen + inv.vat_fen)} 之间；请更正",
                          field=f"invoices.{key}")
        inv.audited_fen = amount
        total += amount
    platform = session.get(Platform, claim.platform_id)
    assert platform is not None
    result = _compute(session, platform, claim.number, upto=claim)
    figures = {"audited_fen": total, "computed_fen": result.payable}  # written with the claim's step
    old = claim.requested_fen
    entry = post(session, entry_date=on, kind="audit", claim_id=claim.id, actor=actor,
                 description=f"{claim.number} 审计（{firm} {report_number}）：核定 {yuan(result.payable)} 元",
                 legs=_memo_move(claim, A.MEMO_DISTRICT_REVIEWED, A.MEMO_AUDITED, old, result.payable)
                 or _memo(claim, A.MEMO_CONTRA, A.MEMO_DISTRICT_REVIEWED, old))
    _event(session, claim, "audited", "audit", on, actor, entry, f"{firm} {report_number}", result,
           rows=[RowUpdate(_table(Audit), audit_id, figures)], sets={"computed_fen": result.payable})
    return ClaimComputed(claim=claim.number, state=ClaimState.AUDITED, entry=entry, computed=result.payable,
                         result=result)


def committed(session: Session, platform_id: int, program: str) -> int:
    """Cumulative committed amount (approved, issued or paid) of a platform under a program."""
    total = read_columns(session, _COMMITTED, {"platform": platform_id, "program": program}).scalar_one()
    return -int(total)


def _committed_query() -> Any:
    p = _posting()
    return select(func.coalesce(func.sum(p.c.amount_fen), 0)).where(
        p.c.account_code.in_(A.COMMITTED_ACCOUNTS), p.c.platform_id == bindparam("platform"),
        p.c.program == bindparam("program"))


_COMMITTED = _committed_query()


# size: approval checks everything the 党组会 decision must respect before it posts — state, maker-checker,
# amount against computed, cap, each payer's budget — in the lock order of docs/posting-rules.md
def approve(session: Session, *, claim_number: str, meeting_date: date, minutes_number: str,
            approved_fen: int | None = None, reason: str = "", actor: str = "") -> Approved:
    """Party-group approval (党组会审定): the calculator's payable on the audited figures, or lower with
    a stated reason, never higher; commits each payer's share against its appropriation and the cap."""
    claim = _lock_claim(session, claim_number, platform=True)
    _require(claim, "approve")
    _check_date(session, claim, "approve", meeting_date, "meeting_date")
    if actor and actor == claim.filed_by:
        raise IllegalTransition(DUTY_RULE, f"{actor} 经办（申报）了申请 {claim.number}，不得再录入其党组会审定"
                                f"（党组会审定日期 {meeting_date}）：经办与复核分离", field="actor")
    if not minutes_number.strip():
        raise Invalid("细则 第四章（一）(2)：党组会审议", "会议纪要文号为必填；请填写党组会会议纪要文号", field="minutes_number")
    platform = claim.platform if session.get_bind().dialect.name == "sqlite" else _held(  # SQLite: read with the claim
        session, Platform, _PLATFORM_KEYS,
        session.connection().execute(_LOCK_PLATFORM, {"platform": claim.platform_id}).one())
    result = _compute(session, platform, claim.number, upto=claim)
    amount = result.payable if approved_fen is None else approved_fen
    if amount > result.payable and result.cap is not None and result.entitled < result.gross:
        raise CapExceeded(result.cap.clause, f"平台 {platform.code} 的累计上限 {money(result.cap.limit)} 尚余 "
                          f"{money(result.cap.headroom)}，审定金额 {money(amount)} 超出；请审定不超过余额的金额",
                          field="approved_amount", headroom=yuan(result.cap.headroom))
    if amount > result.payable:
        raise Invalid("细则 第四章（一）(2)（解读 R-19）：审定金额不得高于计算应付数",
                      f"审定金额 {money(amount)} 高于计算应付数 {money(result.payable)}；审定金额不得高于计算应付数，"
                      "请填写不超过计算应付数的金额，或留空按计算应付数审定", field="approved_amount")
    if amount < result.payable and not reason.strip():
        raise Invalid("细则 第四章（一）(2)（解读 R-19）：核减须说明理由", f"审定金额 {money(amount)} 低于计算应付数 {money(result.payable)}，须说明理由；请填写理由",
                      field="reason")
    if amount <= 0:
        raise Invalid("审定金额须大于0", f"审定金额为 {money(amount)}，无可审定的金额；不予支持的申请请在审核时退回",
                      field="approved_amount")
    if result.cap is not None:
        used = committed(session, platform.id, claim.program)
        if used + amount > result.cap.limit:
            raise CapExceeded(result.cap.clause, f"平台 {platform.code} 的累计上限 {money(result.cap.limit)} 尚余 "
                              f"{money(result.cap.limit - used)}，审定金额 {money(amount)} 超出；请审定不超过余额的金额",
                              field="approved_amount", headroom=yuan(result.cap.limit - used))
    rs = _book().rule_sets[result.rule_set]
    shares, _ = payer_shares(amount, jurisdiction=platform.jurisdiction_code, rule_set=rs, book=_book(),
                             on=claim.application_date, options=Options())
    fiscal_year = meeting_date.year
    available_of = _lock_budgets(session, sorted(s.payer for s in shares if s.amount), fiscal_year, claim.program)
    for share in sorted(shares, key=lambda s: s.payer):
        if share.amount == 0:
            continue
        available = available_of.get(share.payer, 0)
        if available < share.amount:
            title = program_title(claim.program, claim.rule_set)
            raise BudgetExceeded("预算控制：承诺不得超过预算指标",
                                 f"{share.payer_name} {fiscal_year} 年度“{title}”预算可用 {money(available)}，"
                                 f"其承担份额 {money(share.amount)} 超出；请先追加预算指标",
                                 field="approved_amount", payer=share.payer, available=yuan(available))
    audited = claim.state == "audited"  # else a procedure without the audit firm: the reviewed request is held
    legs = _memo(claim, A.MEMO_CONTRA, MEMO_OF_STATE[claim.state], claim.computed_fen if audited else claim.requested_fen)
    if result.payable != claim.computed_fen or not audited:
        # the payable at approval differs from the audit's (or there was no audit): posted in and out of 9004 so
        # that the journal keeps it (approvals.computed_fen is a projection, ledger/projections.py)
        legs += _memo(claim, A.MEMO_AUDITED, A.MEMO_CONTRA, result.payable) + \
            _memo(claim, A.MEMO_CONTRA, A.MEMO_AUDITED, result.payable)
    for share in shares:
        if share.amount:
            legs += debit_credit(A.APPROPRIATION_AVAILABLE, A.COMMITTED, share.amount, payer=share.payer,
                                 platform_id=platform.id, program=claim.program, claim_id=claim.id,
                                 fiscal_year=fiscal_year)
    # the claim's 审定金额, and the calculator's payable at this step (the memo above cleared the audit's)
    sets = {"approved_fen": amount, "computed_fen": result.payable}
    decision = (_table(Approval), {"claim_id": claim.id, "meeting_date": meeting_date, "minutes_number": minutes_number,
                                   "approved_fen": amount, "computed_fen": result.payable, "reason": reason,
                                   "fiscal_year": fiscal_year, "shares": {s.payer: s.amount for s in shares}})
    entry = post(session, entry_date=meeting_date, kind="approve", claim_id=claim.id, actor=actor,
                 description=f"{claim.number} 党组会审定（{minutes_number}）{yuan(amount)} 元", legs=legs)
    _event(session, claim, "approved", "approve", meeting_date, actor, entry, reason, result, rows=[decision],
           sets=sets)
    return Approved(claim=claim.number, state=ClaimState.APPROVED, entry=entry, approved=amount,
                    shares={s.payer: s.amount for s in shares})


def _lock_budgets(session: Session, payers: Sequence[str], fiscal_year: int, program: str) -> dict[str, int]:
    """Lock the payers' budget rows for the year and program (one ``SELECT … FOR UPDATE``, in payer-code
    order), then read what each has available (one statement); a payer without a budget row is absent."""
    held = read_columns(session, _LOCK_BUDGETS, {"payers": list(payers), "year": fiscal_year, "program": program}
                 ).scalars().all()
    if not held:
        return {}
    rows = read_columns(session, _AVAILABLE, {"payers": list(held), "year": fiscal_year, "program": program}).all()
    sums = {payer: -int(total) for payer, total in rows}
    return {payer: sums.get(payer, 0) for payer in held}


def _budget_queries() -> tuple[Any, Any]:
    p = _posting()
    payers: Any = bindparam("payers", expanding=True)
    lock = (select(Budget.payer_code).where(Budget.payer_code.in_(payers), Budget.fiscal_year == bindparam("year"),
                                            Budget.program == bindparam("program"))
            .order_by(Budget.payer_code).with_for_update())
    available = select(p.c.payer_code, func.sum(p.c.amount_fen)).where(
        p.c.account_code == A.APPROPRIATION_AVAILABLE, p.c.payer_code.in_(payers), p.c.fiscal_year == bindparam("year"),
        p.c.program == bindparam("program")).group_by(p.c.payer_code)
    return lock, available


_LOCK_BUDGETS, _AVAILABLE = _budget_queries()


def _fiscal_year(session: Session, claim: Claim) -> int:
    """The fiscal year the claim's money is posted in: its approval's, or (provincial procedure, no approval)
    the year of the province's allocation document."""
    from ledger.models import ProvincialStep

    approval = session.execute(select(Approval.fiscal_year).where(Approval.claim_id == claim.id)
                               .order_by(Approval.id.desc())).scalar()
    if approval is not None:
        return int(approval)
    allocated = session.execute(select(ProvincialStep.date).where(ProvincialStep.claim_id == claim.id,
                                                                  ProvincialStep.step == "allocate")).scalar()
    if allocated is None:
        raise IllegalTransition(PROCEDURE, f"申请 {claim.number} 尚无审定或省级下达", field="claim")
    return allocated.year


def _approval(session: Session, claim: Claim) -> Approval:
    row = session.execute(select(Approval).where(Approval.claim_id == claim.id).order_by(Approval.id.desc())).scalar()
    if row is None:
        raise IllegalTransition(PROCEDURE, f"申请 {claim.number} 尚未经党组会审定；请先审定", field="claim")
    return row


def publish_notice(session: Session, *, claim_numbers: Sequence[str], publication_date: date, title: str,
                   actor: str = "") -> NoticePublished:
    """Publish a public-notice batch (公示): end date on the official calendar; each claim → in notice."""
    from ledger.calendar import notice_period

    if not claim_numbers:
        raise Invalid("公示名单", "公示名单为空；请至少选择一项已审定的申请", field="claims")
    claims = [_lock_claim(session, n) for n in sorted(set(claim_numbers))]
    for c in claims:
        _require(c, "notice")
        _check_date(session, c, "notice", publication_date, "publication_date")
    rs = _notice_rule_set([c.rule_set for c in claims], publication_date)
    try:
        period = notice_period(session, publication_date, rs)
    except InputErrors as exc:
        raise Invalid(exc.issues[0].rule, issues_text(exc.issues), field="publication_date") from None
    notice_id = session.connection().execute(_INSERT_NOTICE, {
        "title": title, "publication_date": publication_date, "working_days": len(period.working_days_counted),
        "end_date": period.end, "provisional": period.provisional}).scalar_one()
    entries = []
    for c in claims:
        entry = post(session, entry_date=publication_date, kind="notice", claim_id=c.id, actor=actor,
                     description=f"{c.number} 公示（{title}，{publication_date}—{period.end}）",
                     legs=_memo(c, A.MEMO_IN_NOTICE, A.MEMO_CONTRA, c.approved_fen or 0))
        _event(session, c, "in_notice", "notice", publication_date, actor, entry, title,
               rows=[(_table(NoticeClaim), {"notice_id": notice_id, "claim_id": c.id})])
        entries.append(entry)
    return NoticePublished(notice=notice_id, end_date=period.end, provisional=period.provisional,
                           claims=tuple(c.number for c in claims), entries=tuple(entries))


_INSERT_NOTICE = _table(Notice).insert().returning(_table(Notice).c.id)


def _notice_rule_set(claim_rule_sets: Sequence[str], publication: date) -> RuleSet:
    """The rule set whose notice period applies (公示期): the claims' own if it sets one; else the
    Jiaxing procedure in force on the publication date (细则 第四章（一）(2) — the city bureau notices
    every claim it approves, whichever document funds it)."""
    book = _book()
    for rid in sorted(set(claim_rule_sets)):
        if book.rule_sets[rid].has("notice.working_days"):
            return book.rule_sets[rid]
    for rs in sorted(book.rule_sets.values(), key=lambda r: r.in_force_from, reverse=True):
        if (rs.has("notice.working_days") and rs.in_force_from <= publication
                and (rs.in_force_to is None or publication <= rs.in_force_to)):
            return rs
    raise Invalid("细则 第四章（一）(2) 公示", f"{day(publication)} 施行的规则集均未规定公示期；请核对公示发布日期",
                  field="publication_date")


def _notice_of(session: Session, claim: Claim) -> Notice:
    notice = session.execute(select(Notice).join(NoticeClaim, NoticeClaim.notice_id == Notice.id)
                             .where(NoticeClaim.claim_id == claim.id).order_by(Notice.id.desc())).scalar()
    if notice is None:
        raise IllegalTransition(PROCEDURE, f"申请 {claim.number} 未经公示；请先公示", field="claim")
    return notice


NOTICE_RULE = "细则 第二章 三、第四章（一）(2)：公示5个工作日（按国务院办公厅节假日安排计），公示期满且无异议后下达资金"


def _require_notice_ended(notice: Notice, on: date) -> None:
    """Fund issue waits for the notice's end date to be final (节假日安排已载入) and past."""
    named = f"公示“{notice.title}”（第{notice.id}号）"
    if notice.provisional:
        raise IllegalTransition(
            NOTICE_RULE, f"{named}的截止日 {notice.end_date} 为暂定：所涉年度的国务院办公厅节假日安排尚未载入，"
            "截止日可能变动；请系统管理员载入该年度节假日安排（系统将重算截止日）后再下达资金",
            field="on", notice=notice.id, notice_end=notice.end_date.isoformat(), provisional=True)
    if on <= notice.end_date:
        raise IllegalTransition(
            NOTICE_RULE, f"{named}至 {notice.end_date} 届满，下达日期 {on} 尚在公示期内；"
            f"自 {notice.end_date + timedelta(days=1)} 起方可下达资金",
            field="on", notice=notice.id, notice_end=notice.end_date.isoformat())


@dataclass(frozen=True)
class NoticeEndMoved:
    """A notice whose end date a loaded holiday notice changed (公示截止日变更)."""

    notice: int
    title: str
    old_end: date
    old_provisional: bool
    new_end: date
    new_provisional: bool


def recompute_notices(session: Session, *, holiday_year: int, holiday_source: str,
                      actor: str = "") -> tuple[NoticeEndMoved, ...]:
    """Recompute every provisional notice's end date on today's calendar (just after a holiday notice was
    loaded, in the same transaction); record and apply each change. Final notices are left alone."""
    from calculators.notice import notice_period_for
    from ledger.calendar import calendar_for

    calendar = calendar_for(session)
    moved: list[NoticeEndMoved] = []
    pending = session.execute(select(Notice).where(Notice.provisional.is_(True)).order_by(Notice.id)
                              .with_for_update()).scalars().all()
    for notice in pending:
        rule_sets = session.execute(select(Claim.rule_set).join(NoticeClaim, NoticeClaim.claim_id == Claim.id)
                                    .where(NoticeClaim.notice_id == notice.id)).scalars().all()
        period = notice_period_for(notice.publication_date,
                                   _notice_rule_set(list(rule_sets), notice.publication_date), calendar=calendar)
        if (period.end, period.provisional) == (notice.end_date, notice.provisional):
            continue
        session.add(NoticeEndChange(notice_id=notice.id, holiday_year=holiday_year, holiday_source=holiday_source,
                                    old_end=notice.end_date, old_provisional=notice.provisional,
                                    new_end=period.end, new_provisional=period.provisional, actor=actor))
        moved.append(NoticeEndMoved(notice.id, notice.title, notice.end_date, notice.provisional,
                                    period.end, period.provisional))
        notice.end_date, notice.provisional = period.end, period.provisional
        notice.working_days = len(period.working_days_counted)
    session.flush()
    return tuple(moved)


def file_objection(session: Session, *, claim_number: str, filed: date, objector: str = "", content: str = "",
                   actor: str = "") -> ObjectionStep:
    """Record an objection (异议) filed within the notice window: holds the claim until resolved."""
    claim = _lock_claim(session, claim_number)
    _require(claim, "object")
    _check_date(session, claim, "object", filed, "filed")
    notice = _notice_of(session, claim)
    if not (notice.publication_date <= filed <= notice.end_date):
        raise IllegalTransition("细则 第四章（一）(2)：公示5个工作日",
                                f"异议提出日期 {day(filed)} 不在公示期 {day(notice.publication_date)} 至 "
                                f"{day(notice.end_date)} 内；公示期外的异议不予受理",
                                field="filed")
    objection = Objection(claim_id=claim.id, filed_date=filed, objector=objector, content=content)
    session.add(objection)
    session.flush()
    entry = None
    if claim.state == "in_notice":
        entry = post(session, entry_date=filed, kind="objection", claim_id=claim.id, actor=actor,
                     description=f"{claim.number} 公示期异议：{content[:60]}",
                     legs=_memo_move(claim, A.MEMO_IN_NOTICE, A.MEMO_OBJECTED, claim.approved_fen or 0,
                                     claim.approved_fen or 0))
        _event(session, claim, "objected", "object", filed, actor, entry, content)
    return ObjectionStep(objection=objection.id, claim=claim.number, state=ClaimState(claim.state), entry=entry)


def resolve_objection(session: Session, *, objection_id: int, upheld: bool, on: date, resolution: str,
                      actor: str = "") -> ObjectionStep:
    """Resolve an objection: upheld → the approval is reversed; dismissed → the claim proceeds."""
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise NotFound("异议", f"异议第 {objection_id} 号不存在；请核对异议编号", field="objection")
    claim = session.get(Claim, objection.claim_id)
    assert claim is not None
    claim = _lock_claim(session, claim.number)
    objection = session.execute(select(Objection).where(Objection.id == objection_id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one()
    if objection.status != "open":
        raise IllegalTransition(PROCEDURE, f"异议第 {objection_id} 号已处理（{_OBJECTION_STATUS[objection.status]}），不能再次处理",
                                field="objection")
    _check_date(session, claim, "resolve-objection", on, "on")
    if not resolution.strip():
        raise Invalid("异议处理", "处理意见为必填；请填写处理意见", field="resolution")
    _require(claim, "uphold-objection" if upheld else "dismiss-objection")
    objection.status = "upheld" if upheld else "dismissed"
    objection.resolved_date, objection.resolution = on, resolution
    session.flush()
    still_open = session.execute(select(func.count(Objection.id)).where(
        Objection.claim_id == claim.id, Objection.status == "open")).scalar_one()
    amount = claim.approved_fen or 0
    if upheld:
        approval = _approval(session, claim)
        approve_entry = session.execute(select(ClaimEvent.entry_id).where(
            ClaimEvent.claim_id == claim.id, ClaimEvent.action == "approve").order_by(ClaimEvent.id.desc())).scalar()
        budget_legs = [leg for leg in _legs(session, approve_entry) if leg.account in
                       (A.APPROPRIATION_AVAILABLE, A.COMMITTED)]
        memo_account = MEMO_OF_STATE[claim.state]  # objected: an open objection holds the claim
        legs = [leg.negated() for leg in budget_legs] + _memo(claim, A.MEMO_CONTRA, memo_account, amount)
        entry: int | None = post(session, entry_date=on, kind="reverse-approval", claim_id=claim.id, actor=actor,
                           reverses_id=approve_entry,
                           description=f"{claim.number} 异议成立，撤销党组会审定（{approval.minutes_number}）：{resolution}",
                           legs=legs)
        _release(session, claim)
        _event(session, claim, "reversed", "uphold-objection", on, actor, entry, resolution)
        return ObjectionStep(objection=objection_id, claim=claim.number, state=ClaimState.REVERSED, entry=entry)
    entry = None
    if still_open == 0 and claim.state == "objected":
        entry = post(session, entry_date=on, kind="dismiss-objection", claim_id=claim.id, actor=actor,
                     description=f"{claim.number} 异议不成立：{resolution}",
                     legs=_memo_move(claim, A.MEMO_OBJECTED, A.MEMO_IN_NOTICE, amount, amount))
        _event(session, claim, "in_notice", "dismiss-objection", on, actor, entry, resolution)
    return ObjectionStep(objection=objection_id, claim=claim.number, state=ClaimState(claim.state), entry=entry)


def _legs(session: Session, entry_id: int | None) -> list[Leg]:
    from ledger.journal import legs_of

    if entry_id is None:
        return []
    return legs_of(session, entry_id)


_APPROVAL_WITH_NOTICE = (
    select(Approval, Notice).outerjoin(NoticeClaim, NoticeClaim.claim_id == Approval.claim_id)
    .outerjoin(Notice, Notice.id == NoticeClaim.notice_id).where(Approval.claim_id == bindparam("claim"))
    .order_by(Approval.id.desc(), Notice.id.desc()).limit(1))


def issue_funds(session: Session, *, claim_number: str, document_number: str, on: date,
                actor: str = "") -> FundsIssued:
    """Fund issue (下达资金) after the notice ends with no open objection: each payer's share becomes payable."""
    claim = _lock_claim(session, claim_number)
    if claim.state == "objected":
        raise IllegalTransition("细则 第四章（一）(2)：公示结束且无异议后下达资金",
                                f"申请 {claim.number} 有尚未处理的异议；请先处理异议", field="state", state=claim.state)
    noticed = claim.state == "in_notice"  # a procedure without 公示 issues straight after the approval
    _require(claim, "issue")
    _check_date(session, claim, "issue", on, "on")
    # the latest approval with the claim's latest notice, in one statement (either missing: read on its own,
    # for its message)
    found = session.execute(_APPROVAL_WITH_NOTICE, {"claim": claim.id}).first()
    if noticed:
        _require_notice_ended(found[1] if found and found[1] else _notice_of(session, claim), on)
    if not document_number.strip():
        raise Invalid("下达资金文件", "下达资金文号为必填；请填写下达资金文件的文号", field="document_number")
    approval = found[0] if found else _approval(session, claim)
    legs = _memo(claim, A.MEMO_CONTRA, A.MEMO_IN_NOTICE, claim.approved_fen or 0) if noticed else []
    for payer, amount in sorted(approval.shares.items()):
        if amount:
            dims: dict[str, Any] = {"payer": payer, "platform_id": claim.platform_id, "program": claim.program,
                                    "claim_id": claim.id, "fiscal_year": approval.fiscal_year}
            legs += debit_credit(A.COMMITTED, A.OBLIGATED, amount, **dims)
            legs += debit_credit(A.SUBSIDY_EXPENSE, A.SUBSIDY_PAYABLE, amount, **dims)
    entry = post(session, entry_date=on, kind="issue", claim_id=claim.id, actor=actor,
                 description=f"{claim.number} 下达资金（{document_number}）", legs=legs)
    _event(session, claim, "issued", "issue", on, actor, entry, document_number,
           rows=[(_table(FundIssue), {"claim_id": claim.id, "document_number": document_number, "date": on})])
    return FundsIssued(claim=claim.number, state=ClaimState.ISSUED, entry=entry, shares=dict(approval.shares))


def payable_to(session: Session, claim: Claim, payer: str) -> int:
    p = _posting()
    total = session.execute(select(func.coalesce(func.sum(p.c.amount_fen), 0)).where(
        p.c.account_code == A.OBLIGATED, p.c.claim_id == claim.id, p.c.payer_code == payer)).scalar_one()
    return -int(total)


_INSERT_PAYMENT = _table(Payment).insert().returning(_table(Payment).c.id)


@dataclass(frozen=True)
class _Prepared:
    """What posting a prepared payment needs of it (a ``Payment`` row read, or the one just inserted)."""

    id: int
    payer_code: str
    voucher_number: str
    amount_fen: int


def pay(session: Session, *, claim_number: str, payer: str, voucher_number: str, on: date, amount_fen: int,
        actor: str = "") -> PaymentMade:
    """A payer's finance user prepares a payment (拨付制单) of all or part of its share. It counts (posts) only
    when another user of the payer confirms it (:func:`confirm_payment`), unless the rule set reads
    制单即复核 (``procedure.payment_duties: single-user``), when it is confirmed at once."""
    claim = _lock_claim(session, claim_number)
    _require(claim, "prepare-payment")
    # an issued (or passed-on) claim always has a step no payer's own: the floor is never empty
    _check_step_date("prepare-payment", on, "on", _payer_floor(session, claim, payer))
    if amount_fen <= 0:
        raise Invalid("拨付金额为正数", f"拨付金额须大于 0，收到 {money(amount_fen)}；请填写本次拨付金额", field="amount")
    if not voucher_number.strip():
        raise Invalid("付款凭证", "拨付凭证号为必填；请填写付款凭证号", field="voucher_number")
    position = _position(session, claim, payer)
    outstanding = position.payable - position.unconfirmed
    if amount_fen > outstanding:
        raise PaymentExceedsPayable("拨付不得超过该财政应付份额（含已制单未复核的拨付）",
                                    f"{payer} 在申请 {claim.number} 尚可制单 {money(outstanding)}（应付余额减已制单未复核），"
                                    f"本次制单 {money(amount_fen)} 超出；请填写不超过该数的金额",
                                    field="amount", outstanding=yuan(outstanding))
    try:  # inserted with Core: nothing else of the step is pending in the session
        payment_id = session.connection().execute(_INSERT_PAYMENT, {
            "claim_id": claim.id, "payer_code": payer, "voucher_number": voucher_number, "date": on,
            "amount_fen": amount_fen, "prepared_by": actor}).scalar_one()
    except IntegrityError:
        raise Invalid("付款凭证号唯一", f"{payer} 的付款凭证号 {voucher_number} 已登记；同一凭证不能重复登记，请核对凭证号",
                      field="voucher_number") from None
    prepared = _Prepared(payment_id, payer, voucher_number, amount_fen)
    if payment_duties(claim.rule_set, on) == "single-user":
        return _confirm(session, claim, prepared, on, actor)
    _event(session, claim, claim.state, "prepare-payment", on, actor, None, f"{payer} {voucher_number}")
    return PaymentMade(claim=claim.number, state=ClaimState(claim.state), entry=None,
                       remaining=position.obligated, outstanding_for_payer=outstanding - amount_fen,
                       payment=payment_id, confirmed=False)


def _obligated(session: Session, claim: Claim) -> int:
    p = _posting()
    return -int(session.execute(select(func.coalesce(func.sum(p.c.amount_fen), 0)).where(
        p.c.account_code == A.OBLIGATED, p.c.claim_id == claim.id)).scalar_one())


@dataclass(frozen=True)
class _Position:
    """A payer's position on a claim, read in one statement (fen): ``payable`` (its 2001/8103 balance),
    ``unconfirmed`` (prepared, neither confirmed nor withdrawn), the claim's ``obligated`` balance over
    every payer, and the approval's ``fiscal_year`` (``None`` without an approval)."""

    payable: int
    unconfirmed: int
    obligated: int
    fiscal_year: int | None


def _position_query() -> Any:
    p = _posting()
    claim, payer = bindparam("claim", type_=Integer), bindparam("payer", type_=String)
    obligated = select(func.coalesce(func.sum(p.c.amount_fen), 0)).where(p.c.account_code == A.OBLIGATED,
                                                                         p.c.claim_id == claim)
    confirmed = select(PaymentConfirmation.id).where(PaymentConfirmation.payment_id == Payment.id).exists()
    withdrawn = select(PaymentWithdrawal.id).where(PaymentWithdrawal.payment_id == Payment.id).exists()
    return select(
        obligated.where(p.c.payer_code == payer).scalar_subquery(),
        select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
            Payment.claim_id == claim, Payment.payer_code == payer, ~confirmed, ~withdrawn).scalar_subquery(),
        obligated.scalar_subquery(),
        select(Approval.fiscal_year).where(Approval.claim_id == claim).order_by(Approval.id.desc()).limit(1)
        .scalar_subquery())


_POSITION = _position_query()


def _position(session: Session, claim: Claim, payer: str) -> _Position:
    row = read_columns(session, _POSITION, {"claim": claim.id, "payer": payer}).one()
    return _Position(-int(row[0]), int(row[1]), -int(row[2]), None if row[3] is None else int(row[3]))


@dataclass(frozen=True, slots=True)
class _Outcome:
    """A prepared payment's confirmation (复核) or withdrawal (作废制单): its date and who recorded it."""

    date: date
    by: str


@dataclass(frozen=True, slots=True)
class _PaymentSeen:
    """A prepared payment as read under its claim's lock, with its confirmation and withdrawal if any."""

    id: int
    payer_code: str
    voucher_number: str
    date: date
    amount_fen: int
    prepared_by: str
    done: _Outcome | None
    gone: _Outcome | None


def _locked_payment(session: Session, payment_id: int, step: str) -> tuple[Claim, _PaymentSeen]:
    """The payment and its claim, the claim locked first (the claim's lock covers its payments: see
    :func:`reverse_payment`), then the payment read afresh under it with its confirmation and withdrawal."""
    conn = session.connection()
    row = conn.execute(_LOCK_CLAIM_OF_PAYMENT, {"payment": payment_id}).one_or_none()
    if row is None:
        raise NotFound(step, f"没有拨付#{payment_id}", field="payment")
    claim = _held(session, Claim, _CLAIM_KEYS, row)
    p = conn.execute(_PAYMENT_WITH_OUTCOMES, {"payment": payment_id}).one()
    return claim, _PaymentSeen(p.id, p.payer_code, p.voucher_number, p.date, p.amount_fen, p.prepared_by,
                               None if p.done_date is None else _Outcome(p.done_date, p.done_by),
                               None if p.gone_date is None else _Outcome(p.gone_date, p.gone_by))


def _payment_queries() -> tuple[Any, Any]:
    claims, payments = _table(Claim), _table(Payment)
    done, gone = _table(PaymentConfirmation), _table(PaymentWithdrawal)
    payment = bindparam("payment", type_=Integer)
    lock = select(*_CLAIM_COLUMNS).where(
        claims.c.id == select(payments.c.claim_id).where(payments.c.id == payment).scalar_subquery()
    ).with_for_update()
    read = (select(payments.c.id, payments.c.payer_code, payments.c.voucher_number, payments.c.date,
                   payments.c.amount_fen, payments.c.prepared_by, done.c.date.label("done_date"),
                   done.c.confirmed_by.label("done_by"), gone.c.date.label("gone_date"),
                   gone.c.withdrawn_by.label("gone_by"))
            .outerjoin(done, done.c.payment_id == payments.c.id).outerjoin(gone, gone.c.payment_id == payments.c.id)
            .where(payments.c.id == payment))
    return lock, read


_LOCK_CLAIM_OF_PAYMENT, _PAYMENT_WITH_OUTCOMES = _payment_queries()


def confirm_payment(session: Session, *, payment_id: int, on: date, actor: str = "") -> PaymentMade:
    """Confirm a prepared payment (拨付复核) as a second finance user of its payer: the payment is posted
    and counts from now. The preparer cannot confirm it (制单与复核分离)."""
    claim, payment = _locked_payment(session, payment_id, "拨付复核")
    if payment.done is not None:
        raise IllegalTransition(DUTY_RULE, f"拨付#{payment_id}（凭证号 {payment.voucher_number}）已于 {payment.done.date} "
                                f"由 {payment.done.by or '—'} 复核", field="payment")
    _require(claim, "pay")
    _refuse_withdrawn(payment, "拨付复核")
    _check_step_date("pay", on, "on", ("prepare-payment", payment.date))
    if actor and actor == payment.prepared_by:
        raise IllegalTransition(DUTY_RULE, f"拨付#{payment_id}（凭证号 {payment.voucher_number}）由 {actor} 制单，"
                                f"须由本级财政另一名用户复核（拨付复核日期 {on}）：制单与复核分离（经办与复核分离）", field="actor")
    return _confirm(session, claim, _Prepared(payment.id, payment.payer_code, payment.voucher_number,
                                              payment.amount_fen), on, actor)


def _confirm(session: Session, claim: Claim, payment: _Prepared, on: date, actor: str) -> PaymentMade:
    """Post a prepared payment and record its confirmation: the money moves (8104 已支出, treasury)."""
    payer, amount_fen = payment.payer_code, payment.amount_fen
    position = _position(session, claim, payer)
    outstanding = position.payable
    if amount_fen > outstanding:
        raise PaymentExceedsPayable("拨付不得超过该财政应付份额",
                                    f"{payer} 在申请 {claim.number} 尚应拨付 {money(outstanding)}，本次拨付 {money(amount_fen)} "
                                    "超出；请填写不超过应付余额的金额",
                                    field="amount", outstanding=yuan(outstanding))
    dims: dict[str, Any] = {"payer": payer, "platform_id": claim.platform_id, "program": claim.program,
                            "claim_id": claim.id, "fiscal_year": position.fiscal_year or _fiscal_year(session, claim)}
    legs = debit_credit(A.OBLIGATED, A.EXPENDED, amount_fen, **dims) + \
        debit_credit(A.SUBSIDY_PAYABLE, A.TREASURY, amount_fen, **dims)
    entry = post(session, entry_date=on, kind="payment", claim_id=claim.id, actor=actor,
                 description=f"{claim.number} {payer} 拨付（{payment.voucher_number}）{yuan(amount_fen)} 元", legs=legs)
    remaining = position.obligated - amount_fen  # the entry above moved amount_fen out of 8103
    state = "paid" if remaining == 0 else claim.state
    _event(session, claim, state, "pay", on, actor, entry, f"{payer} {payment.voucher_number}",
           rows=[(_table(PaymentConfirmation), {"payment_id": payment.id, "confirmed_by": actor, "date": on,
                                                "entry_id": entry})])
    # this payment was unconfirmed until now: what the payer may still prepare is payable − unconfirmed
    return PaymentMade(claim=claim.number, state=ClaimState(state), entry=entry, remaining=remaining,
                       outstanding_for_payer=outstanding - position.unconfirmed,
                       payment=payment.id, confirmed=True)


def _refuse_withdrawn(payment: _PaymentSeen, step: str) -> None:
    if payment.gone is not None:
        raise IllegalTransition(WITHDRAW_RULE, f"拨付#{payment.id}（凭证号 {payment.voucher_number}）已于 "
                                f"{payment.gone.date} 由 {payment.gone.by or '—'} 作废制单，不能再{step}", field="payment")


WITHDRAW_RULE = "作废制单：制单未复核前，本级财政用户可作废（须说明原因），作废后可重新制单；已复核的拨付只能冲销"


def withdraw_payment(session: Session, *, payment_id: int, on: date, reason: str,
                     actor: str = "") -> PaymentWithdrawn:
    """Withdraw a prepared, unconfirmed payment (作废制单): recorded append-only (the payment row stays), its
    amount no longer held against the payer's share, so it can be prepared again. Nothing was posted, so no
    journal entry. A confirmed payment is reversed instead (:func:`reverse_payment`)."""
    claim, payment = _locked_payment(session, payment_id, "作废制单")
    _refuse_withdrawn(payment, "作废制单")
    if payment.done is not None:
        raise IllegalTransition(WITHDRAW_RULE, f"拨付#{payment_id}（凭证号 {payment.voucher_number}）已于 {payment.done.date} "
                                "复核记账，不能作废制单，请冲销拨付", field="payment")
    _require(claim, "pay")
    _check_step_date("withdraw-payment", on, "on", ("prepare-payment", payment.date))
    if not reason.strip():
        raise Invalid(WITHDRAW_RULE, "作废原因必填：作废制单须说明原因", field="reason")
    session.add(PaymentWithdrawal(payment_id=payment.id, withdrawn_by=actor, date=on, reason=reason))
    _event(session, claim, claim.state, "withdraw-payment", on, actor, None,
           f"{payment.payer_code} {payment.voucher_number}：{reason}")
    position = _position(session, claim, payment.payer_code)  # read after the withdrawal: no longer held
    return PaymentWithdrawn(claim=claim.number, state=ClaimState(claim.state), payment=payment.id,
                            outstanding_for_payer=position.payable - position.unconfirmed)


def recover(session: Session, *, claim_number: str, payer: str, amount_fen: int, on: date,
            document_number: str = "", reason: str = "", actor: str = "") -> ClaimStep:
    """Recover (追回) funds obtained on false material: a receivable from the platform, per payer."""
    claim = _lock_claim(session, claim_number)
    _require(claim, "recover")
    _check_date(session, claim, "recover", on, "on")
    if amount_fen <= 0:
        raise Invalid("追回金额为正数", f"追回金额须大于 0，收到 {money(amount_fen)}；请填写应追回的金额", field="amount")
    if not reason.strip():
        raise Invalid("追回须说明原因", "追回原因为必填；请填写追回原因", field="reason")
    p = _posting()
    paid = int(session.execute(select(func.coalesce(func.sum(p.c.amount_fen), 0)).where(
        p.c.account_code == A.EXPENDED, p.c.claim_id == claim.id, p.c.payer_code == payer)).scalar_one())
    paid = -paid
    already = int(session.execute(select(func.coalesce(func.sum(Recovery.amount_fen), 0)).where(
        Recovery.claim_id == claim.id, Recovery.payer_code == payer)).scalar_one())
    if amount_fen > paid - already:
        raise Invalid("追回不得超过已拨付金额", f"{payer} 已拨付 {money(paid)}，已追回 {money(already)}，"
                      f"本次追回 {money(amount_fen)} 超过尚可追回的 {money(paid - already)}；请更正追回金额", field="amount")
    approval = _approval(session, claim)
    session.add(Recovery(claim_id=claim.id, payer_code=payer, date=on, amount_fen=amount_fen,
                         document_number=document_number, reason=reason))
    dims: dict[str, Any] = {"payer": payer, "platform_id": claim.platform_id, "program": claim.program,
                            "claim_id": claim.id, "fiscal_year": approval.fiscal_year}
    entry = post(session, entry_date=on, kind="recovery", claim_id=claim.id, actor=actor,
                 description=f"{claim.number} 追回（{document_number}）{yuan(amount_fen)} 元：{reason}",
                 legs=debit_credit(A.RECOVERY_RECEIVABLE, A.SUBSIDY_EXPENSE, amount_fen, **dims))
    _event(session, claim, "recovered", "recover", on, actor, entry, reason)
    return ClaimStep(claim=claim.number, state=ClaimState.RECOVERED, entry=entry)


def receive_recovery(session: Session, *, recovery_id: int, amount_fen: int, on: date,
                     actor: str = "") -> ReceiptRecorded:
    """Recovered money received into the treasury: settles the receivable.

    Locks the claim, then the recovery row, before reading what is still due (锁顺序: claim → row)."""
    found = session.get(Recovery, recovery_id)
    if found is None:
        raise NotFound("追回", f"追回第 {recovery_id} 号不存在；请核对追回编号", field="recovery")
    claim = session.get(Claim, found.claim_id)
    assert claim is not None
    claim = _lock_claim(session, claim.number)
    _require(claim, RECEIPT_ACTION)
    rec = session.execute(select(Recovery).where(Recovery.id == recovery_id).with_for_update()
                          .execution_options(populate_existing=True)).scalar_one()
    last_receipt = session.execute(select(func.max(ClaimEvent.date)).where(
        ClaimEvent.claim_id == claim.id, ClaimEvent.action == RECEIPT_ACTION,
        ClaimEvent.note == receipt_note(rec.id))).scalar()
    _check_step_date(RECEIPT_ACTION, on, "on", (RECEIPT_ACTION, last_receipt) if last_receipt
                     and last_receipt > rec.date else ("recover", rec.date))
    left = rec.amount_fen - rec.received_fen
    p = _posting()
    receivable = int(session.execute(select(func.coalesce(func.sum(p.c.amount_fen), 0)).where(
        p.c.account_code == A.RECOVERY_RECEIVABLE, p.c.claim_id == claim.id,
        p.c.payer_code == rec.payer_code)).scalar_one())
    if amount_fen <= 0 or amount_fen > min(left, receivable):
        raise Invalid("收回不得超过应收",
                      f"追回#{rec.id}（{claim.number}，{rec.payer_code}）应收 {yuan(rec.amount_fen)} 元，已到账 "
                      f"{yuan(rec.received_fen)} 元，尚欠 {yuan(min(left, receivable))} 元；到账金额 {yuan(amount_fen)} 元"
                      "须大于 0 且不超过尚欠金额", field="amount", outstanding=yuan(min(left, receivable)))
    rec.received_fen += amount_fen
    # the receivable was posted in the approval's fiscal year (recover); its settlement carries the same year
    entry = post(session, entry_date=on, kind="recovery-receipt", claim_id=claim.id, actor=actor,
                 description=f"{claim.number} 追回款到账 {yuan(amount_fen)} 元",
                 legs=debit_credit(A.TREASURY, A.RECOVERY_RECEIVABLE, amount_fen, payer=rec.payer_code,
                                   platform_id=claim.platform_id, program=claim.program, claim_id=claim.id,
                                   fiscal_year=_approval(session, claim).fiscal_year))
    # the receipt's link to its recovery row (received_fen is a projection of these entries)
    _event(session, claim, claim.state, RECEIPT_ACTION, on, actor, entry, receipt_note(rec.id))
    return ReceiptRecorded(recovery=rec.id, received=rec.received_fen, entry=entry)


def reverse_payment(session: Session, *, payment_id: int, on: date, reason: str, actor: str = "") -> ClaimStep:
    """Correct a payment recorded in error by a reversing entry (the payment stays on record)."""
    from ledger.journal import reverse

    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("拨付", f"拨付第 {payment_id} 号不存在；请核对拨付编号", field="payment")
    claim = session.get(Claim, payment.claim_id)
    assert claim is not None
    claim = _lock_claim(session, claim.number)
    # the claim's lock covers its payments (every action on a payment takes it first); the payments table is
    # append-only for the service's role, which therefore may not lock its rows, and need not read the row
    # again under the lock: none of its columns ever changes
    back = _require(claim, "reverse-payment").to[0]
    confirmed = session.execute(select(PaymentConfirmation.date).where(
        PaymentConfirmation.payment_id == payment_id)).scalar()
    _check_step_date("reverse-payment", on, "on", ("pay", confirmed) if confirmed else _latest_step(session, claim))
    entry_id = session.execute(select(ClaimEvent.entry_id).where(
        ClaimEvent.claim_id == claim.id, ClaimEvent.action == "pay",
        ClaimEvent.note == f"{payment.payer_code} {payment.voucher_number}")).scalar()
    if entry_id is None:
        raise IllegalTransition(DUTY_RULE, f"拨付#{payment_id}（凭证号 {payment.voucher_number}）尚未复核，未记账，"
                                "无须冲销", field="payment")
    if not reason.strip():
        raise Invalid("冲销须说明原因", "冲销原因为必填；请填写冲销原因", field="reason")
    undone = session.execute(select(JournalEntry.id).where(JournalEntry.reverses_id == entry_id)).scalar()
    if undone is not None:
        raise IllegalTransition("记账凭证只冲销一次", f"拨付#{payment_id}（凭证号 {payment.voucher_number}）已由第{undone}号"
                                "凭证冲销，不能再次冲销", field="payment")
    entry = reverse(session, entry_id, entry_date=on, reason=reason, actor=actor)
    _event(session, claim, back, "reverse-payment", on, actor, entry, reason)
    return ClaimStep(claim=claim.number, state=ClaimState(back), entry=entry)


__all__ = [
    "DECIDED",
    "InvoiceIn",
    "LedgerError",
    "appropriate",
    "approve",
    "committed",
    "confirm_payment",
    "create_platform",
    "file_claim",
    "file_objection",
    "issue_funds",
    "pay",
    "publish_notice",
    "record_audit",
    "recover",
    "resolve_objection",
    "review",
    "sync_reference_data",
    "withdraw_payment",
]
