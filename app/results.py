"""What the actions (:mod:`app.actions`) return besides the ledger's own outcomes
(:mod:`ledger.outcomes`): typed, frozen, amounts in integer fen, dates as dates. The API's response
models (:mod:`app.responses`), the pages' templates and the CLI write them as text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from calculators.results import ClaimResult
from ledger.explanations import Explanation
from ledger.journal import Leg, VerifyReport
from ledger.outcomes import ClaimState, Outcome
from ledger.projections import ProjectionMismatch
from ledger.queries import Headroom, TrialBalanceRow
from ledger.services import NoticeEndMoved


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformCreated(Outcome):
    """登记平台: the new platform's code."""

    platform: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformEventAdded(Outcome):
    """登记平台事项: the platform and the new event's id."""

    platform: str
    event: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UserAdded(Outcome):
    """新增用户: the new user's name, role and jurisdiction."""

    user: str
    role: str
    jurisdiction: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HolidaysLoaded(Outcome):
    """载入节假日安排: which year's notice was loaded, from where, and the notices whose end date it moved."""

    year: int
    source: str
    moved: tuple[NoticeEndMoved, ...] = ()


# ---------------------------------------------------------------- reads

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Paged(Generic[T]):
    """One page of a list, with its position and the total count."""

    items: tuple[T, ...]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformRow:
    """A pilot platform (中试平台) as listed."""

    code: str
    name: str
    operator: str
    leader_type: str
    jurisdiction: str
    jurisdiction_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformEventRow:
    """An entry in a platform's history (入库、认定、评价、协议支持、整改); ``amount`` in fen."""

    id: int
    kind: str
    date: date
    level: str | None
    grade: str | None
    scheme: str | None
    year: int | None
    document_number: str
    amount: int | None
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimRow:
    """A claim (补助申请) as listed; amounts in fen (``approved`` is ``None`` before approval)."""

    number: str
    platform: str
    platform_name: str
    jurisdiction: str
    program: str
    rule_set: str
    application_date: date
    state: ClaimState
    level: str
    requested: int
    computed: int
    approved: int | None
    filed_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformView(PlatformRow):
    """A platform with its contacts, history, claims and cap positions."""

    head_person: str
    head_phone: str
    contact_person: str
    contact_mobile: str
    events: tuple[PlatformEventRow, ...]
    claims: tuple[ClaimRow, ...]
    caps: tuple[Headroom, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceRow:
    issuer_code: str
    number: str
    date: date
    net: int
    vat: int
    audited: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimEventRow:
    """One step of a claim's procedure (办理记录); ``from_`` is ``None`` for the filing."""

    from_: ClaimState | None
    to: ClaimState
    action: str
    date: date
    actor: str
    entry: int | None
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewRow:
    department: str
    approve: bool
    opinion: str
    date: date
    reviewer: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRow:
    firm: str
    report_number: str
    date: date
    audited: int
    computed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalRow:
    """党组会审定 and each payer's share (payer code → fen)."""

    meeting_date: date
    minutes_number: str
    approved: int
    computed: int
    reason: str
    fiscal_year: int
    shares: Mapping[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeRow:
    """A public notice (公示) and, when listed, the claims it lists."""

    id: int
    title: str
    publication_date: date
    end_date: date
    working_days: int
    provisional: bool
    claims: tuple[str, ...] = ()
    changes: tuple[NoticeEndChangeRow, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeEndChangeRow:
    """公示截止日变更: the end date recomputed when a year's holiday notice was loaded, and by whom."""

    holiday_year: int
    holiday_source: str
    old_end: date
    old_provisional: bool
    new_end: date
    new_provisional: bool
    actor: str
    at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectionRow:
    id: int
    filed: date
    objector: str
    content: str
    status: str
    resolution: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FundIssueRow:
    document_number: str
    date: date


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRow:
    """A payment: prepared by (制单), confirmed by (复核; None until confirmed — it counts only then)."""

    id: int
    payer: str
    voucher_number: str
    date: date
    amount: int
    prepared_by: str = ""
    confirmed_by: str | None = ""
    withdrawn_by: str | None = None  # 作废制单: who withdrew it (None: not withdrawn)

    @property
    def confirmed(self) -> bool:
        return self.confirmed_by is not None

    @property
    def pending(self) -> bool:
        """Prepared, neither confirmed nor withdrawn (待复核)."""
        return not self.confirmed and self.withdrawn_by is None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryRow:
    id: int
    payer: str
    date: date
    amount: int
    received: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimView(ClaimRow):
    """A claim in full: its steps, payments and the result its last state change was based on (the stored
    ``explanation``; recomputed on its platform's history for a claim changed before explanations were
    stored, ``None`` when that cannot be recomputed); ``outstanding`` is payer code → fen still to pay."""

    platform_document: str
    years: tuple[int, ...] | None
    invoices: tuple[InvoiceRow, ...]
    events: tuple[ClaimEventRow, ...]
    reviews: tuple[ReviewRow, ...]
    audits: tuple[AuditRow, ...]
    approval: ApprovalRow | None
    notice: NoticeRow | None
    objections: tuple[ObjectionRow, ...]
    fund_issue: FundIssueRow | None
    payments: tuple[PaymentRow, ...]
    outstanding: Mapping[str, int]
    recoveries: tuple[RecoveryRow, ...]
    result: ClaimResult | None
    explanation: Explanation | None = None  # the stored explanation ``result`` comes from (None: recomputed)
    today: ClaimResult | None = None  # today's computation, when asked for (the page says where it differs)
    procedure: str = "equipment"  # the procedure the claim follows (calculators/rulesets/*.yaml procedures)
    next_steps: tuple[str, ...] = ()  # the steps its procedure allows from its state (before permissions)


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetRow:
    """A payer's appropriation for a year and program and what is still available (fen)."""

    payer: str
    payer_name: str
    fiscal_year: int
    program: str
    appropriation: int
    available: int
    document_number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRow:
    username: str
    display_name: str
    role: str
    jurisdiction: str | None
    active: bool
    locked_until: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionRow:
    """One line of the action log (操作日志)."""

    id: int
    at: datetime
    username: str
    role: str
    action: str
    target: str
    outcome: str
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Balances:
    """The stage balances (``ledger.queries.STATE_ACCOUNTS`` → fen) as of a date, for the filters given."""

    as_of: date | None
    payer: str | None
    platform: str | None
    program: str | None
    balances: Mapping[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialBalance:
    """Every account's debits, credits and balance, and the totals (fen)."""

    as_of: date | None
    start: date | None
    rows: tuple[TrialBalanceRow, ...]
    total_debit: int
    total_credit: int


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalEntryRow:
    """A journal entry and its legs (``postings``: amounts in fen, debit positive)."""

    id: int
    date: date
    kind: str
    claim: str | None
    description: str
    reverses: int | None
    actor: str
    hash: str
    prev_hash: str
    postings: tuple[Leg, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Calculation:
    """试算: every claim of a what-if scenario, in evaluation order."""

    platform: str
    platform_name: str
    claims: tuple[ClaimResult, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainVerification:
    """账链校验: the hash chain recomputed, and the amounts kept outside the journal compared with it."""

    chain: VerifyReport
    against: str  # what the chain was compared with: the signed checkpoints, or none
    projections: tuple[ProjectionMismatch, ...]

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.projections

    @property
    def entries(self) -> int:
        return self.chain.entries

    @property
    def postings(self) -> int:
        return self.chain.postings

    @property
    def first_bad(self) -> int | None:
        return self.chain.first_bad

    @property
    def problem(self) -> str:
        return self.chain.problem
