"""The ledger's records: SQLAlchemy 2 typed models. Schema changes go through Alembic only.

Amounts are integer fen (``*_fen`` columns, BIGINT). Journal entries and postings are
append-only: the database refuses UPDATE and DELETE of them, and refuses an entry whose
postings do not balance (see ``migrations/versions/0001_initial.py``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from calculators.rulesets.model import ClaimState

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


CLAIM_STATES = tuple(s.value for s in ClaimState)
"""A claim's states, as the procedures declare them once (calculators/rulesets/model.py ``ClaimState``)."""


class Payer(Base):
    """A finance authority that pays shares (财政): 市财政局, a district's or county's 财政局, 省财政厅."""

    __tablename__ = "payers"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    __table_args__ = (CheckConstraint("level IN ('province','city','district','county')", name="level"),)


class Jurisdiction(Base):
    """A jurisdiction of Jiaxing (属地) and its finance payer."""

    __tablename__ = "jurisdictions"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    split_class: Mapped[str] = mapped_column(String(16))
    payer_code: Mapped[str] = mapped_column(ForeignKey("payers.code"))


class Budget(Base):
    """An appropriation (预算指标) of one payer for a fiscal year and program."""

    __tablename__ = "budgets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payer_code: Mapped[str] = mapped_column(ForeignKey("payers.code"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    program: Mapped[str] = mapped_column(String(40))
    appropriation_fen: Mapped[int] = mapped_column(BigInteger)
    document_number: Mapped[str] = mapped_column(String(100), default="")
    __table_args__ = (
        UniqueConstraint("payer_code", "fiscal_year", "program", name="uq_budgets_payer_year_program"),
        CheckConstraint("appropriation_fen >= 0", name="appropriation_nonneg"),
    )


class Platform(Base):
    """A pilot platform (中试平台) and its operator (依托单位)."""

    __tablename__ = "platforms"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    operator: Mapped[str] = mapped_column(String(200), default="")
    leader_type: Mapped[str] = mapped_column(String(32), default="enterprise")
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"))
    contact_person: Mapped[str] = mapped_column(String(50), default="")  # 联系人
    contact_mobile: Mapped[str] = mapped_column(String(30), default="")  # 手机
    head_person: Mapped[str] = mapped_column(String(50), default="")  # 负责人
    head_phone: Mapped[str] = mapped_column(String(30), default="")  # 电话
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    events: Mapped[list[PlatformEvent]] = relationship(back_populates="platform", order_by="PlatformEvent.id")


class PlatformEvent(Base):
    """A dated fact of a platform's history: pool entry/exit (入库/退库), recognition (认定) with level and
    document number, evaluation (评价) with grade, agreement support (协议支持), rectification (整改), the
    pool-entry notice (入库公示), a change report (变更报送, ``change_date`` = the change, ``date`` = the
    report) and the provincial re-evaluation (省级复评, ``grade`` = 通过/不通过/未参加)."""

    __tablename__ = "platform_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    change_date: Mapped[date | None] = mapped_column(Date)  # change-report: the change (the report is ``date``)
    date: Mapped[date] = mapped_column(Date)
    level: Mapped[str | None] = mapped_column(String(16))
    grade: Mapped[str | None] = mapped_column(String(8))
    scheme: Mapped[str | None] = mapped_column(String(16))
    year: Mapped[int | None] = mapped_column(Integer)
    document_number: Mapped[str] = mapped_column(String(100), default="")
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    platform: Mapped[Platform] = relationship(back_populates="events")
    __table_args__ = (
        CheckConstraint(
            "kind IN ('pool-entry','pool-exit','recognition','evaluation','agreement-support','rectification',"
            "'pool-notice','change-report','re-evaluation')",
            name="kind",
        ),
    )


class Claim(Base):
    """A claim (申请) under one program, with the Annex 3 fields and its place in the procedure."""

    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"), index=True)
    program: Mapped[str] = mapped_column(String(40))
    rule_set: Mapped[str] = mapped_column(String(40))
    application_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default="filed")
    years: Mapped[list[int] | None] = mapped_column(JSON)
    national_support_fen: Mapped[int | None] = mapped_column(BigInteger)
    recorded_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    evaluation_year: Mapped[int | None] = mapped_column(Integer)
    requested_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # 申报奖励资金
    computed_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # calculator payable at the last step
    approved_fen: Mapped[int | None] = mapped_column(BigInteger)
    platform_document: Mapped[str] = mapped_column(String(200), default="")  # 中试平台文件、文号
    level: Mapped[str] = mapped_column(String(16), default="")  # 获批级别
    filed_by: Mapped[str] = mapped_column(String(64), default="")
    procedure: Mapped[str] = mapped_column(String(40), default="equipment", server_default="equipment")  # the rule set's procedure id at filing
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    platform: Mapped[Platform] = relationship()
    __table_args__ = (
        CheckConstraint("state IN (" + ",".join(f"'{s}'" for s in CLAIM_STATES) + ")", name="state"),
        CheckConstraint("approved_fen IS NULL OR approved_fen >= 0", name="approved_nonneg"),
        Index("ix_claims_application_date_id", "application_date", "id"),  # lists page in filing order
    )


class ClaimYear(Base):
    """An investment year (设备投资年度) claimed by a claim: at most once per platform and program,
    ever, while the claim stands (a reversed claim releases its years)."""

    __tablename__ = "claim_years"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    program: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        Index("uq_claim_years_active", "platform_id", "program", "year", unique=True,
              sqlite_where=text("released = 0"), postgresql_where=text("released = false")),
    )


class Invoice(Base):
    """An equipment invoice (发票): issuer code + number unique across all standing claims and platforms
    (an invoice of a rejected or reversed claim is released and may be filed again)."""

    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_code: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(40))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    date: Mapped[date] = mapped_column(Date)
    net_fen: Mapped[int] = mapped_column(BigInteger)
    vat_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    audited_fen: Mapped[int | None] = mapped_column(BigInteger)
    released: Mapped[bool] = mapped_column(Boolean, default=False)  # its claim was rejected or reversed
    __table_args__ = (
        Index("uq_invoices_active", "issuer_code", "number", unique=True,
              sqlite_where=text("released = 0"), postgresql_where=text("released = false")),
        CheckConstraint("net_fen >= 0 AND vat_fen >= 0", name="amounts_nonneg"),
    )


class Investment(Base):
    """Audited equipment investment of a platform for a calendar year (审计确认的年度设备投入)."""

    __tablename__ = "investments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    year: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    vat_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id"))
    __table_args__ = (
        UniqueConstraint("platform_id", "year", name="uq_investments_platform_year"),
        CheckConstraint("amount_fen >= 0 AND vat_fen >= 0", name="amounts_nonneg"),
    )


class Review(Base):
    """A district review opinion (区级经商部门 / 区级财政部门审核意见) on Annex 3."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    department: Mapped[str] = mapped_column(String(16))  # economic | finance
    approve: Mapped[bool] = mapped_column(Boolean)
    opinion: Mapped[str] = mapped_column(Text)
    date: Mapped[date] = mapped_column(Date)
    reviewer: Mapped[str] = mapped_column(String(64), default="")
    __table_args__ = (
        CheckConstraint("department IN ('economic','finance')", name="department"),
        UniqueConstraint("claim_id", "department", name="uq_reviews_claim_department"),
    )


class Audit(Base):
    """The audit firm's report on a claim's equipment investment (审计)."""

    __tablename__ = "audits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    firm: Mapped[str] = mapped_column(String(200))
    report_number: Mapped[str] = mapped_column(String(100))
    date: Mapped[date] = mapped_column(Date)
    audited_fen: Mapped[int] = mapped_column(BigInteger)  # total audited investment of the claim's years
    computed_fen: Mapped[int] = mapped_column(BigInteger)  # calculator payable on the audited figures


class Approval(Base):
    """The party-group meeting's approval (党组会审定): never above the calculator's payable."""

    __tablename__ = "approvals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    meeting_date: Mapped[date] = mapped_column(Date)
    minutes_number: Mapped[str] = mapped_column(String(100))
    approved_fen: Mapped[int] = mapped_column(BigInteger)
    computed_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text, default="")
    fiscal_year: Mapped[int] = mapped_column(Integer)
    shares: Mapped[dict[str, int]] = mapped_column(JSON)  # payer code -> fen
    __table_args__ = (CheckConstraint("approved_fen >= 0 AND approved_fen <= computed_fen", name="not_above"),)


class Notice(Base):
    """A public-notice batch (公示): publication date, working days and the computed end date."""

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    publication_date: Mapped[date] = mapped_column(Date)
    working_days: Mapped[int] = mapped_column(Integer)
    end_date: Mapped[date] = mapped_column(Date)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)


class NoticeEndChange(Base):
    """A notice's end date recomputed when a holiday notice (节假日安排) was loaded: who loaded which
    year's notice, the end date before and after (append-only; the notice row holds the latest)."""

    __tablename__ = "notice_end_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    holiday_year: Mapped[int] = mapped_column(Integer)
    holiday_source: Mapped[str] = mapped_column(String(200))
    old_end: Mapped[date] = mapped_column(Date)
    old_provisional: Mapped[bool] = mapped_column(Boolean)
    new_end: Mapped[date] = mapped_column(Date)
    new_provisional: Mapped[bool] = mapped_column(Boolean)
    actor: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NoticeClaim(Base):
    __tablename__ = "notice_claims"
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True, index=True)  # a claim's notices (0012)


class Objection(Base):
    """An objection (异议) filed in a notice window: open, upheld or dismissed."""

    __tablename__ = "objections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    filed_date: Mapped[date] = mapped_column(Date)
    objector: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="open")
    resolved_date: Mapped[date | None] = mapped_column(Date)
    resolution: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (CheckConstraint("status IN ('open','upheld','dismissed')", name="status"),)


class FundIssue(Base):
    """Fund issue (下达资金) by the city bureau and city finance: document number and date."""

    __tablename__ = "fund_issues"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), unique=True)
    document_number: Mapped[str] = mapped_column(String(100))
    date: Mapped[date] = mapped_column(Date)


class Payment(Base):
    """A payer's disbursement (拨付) of its share: voucher number, date, amount."""

    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    payer_code: Mapped[str] = mapped_column(ForeignKey("payers.code"))
    voucher_number: Mapped[str] = mapped_column(String(100))
    date: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    prepared_by: Mapped[str] = mapped_column(String(64), default="", server_default="")  # 制单人
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_pos"),
        UniqueConstraint("payer_code", "voucher_number", name="uq_payments_payer_voucher"),
    )


class PaymentConfirmation(Base):
    """The confirmation (复核) of a prepared payment by a second finance user of its payer: from then on the
    payment counts (its entry is posted). Append-only; one per payment."""

    __tablename__ = "payment_confirmations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    confirmed_by: Mapped[str] = mapped_column(String(64), default="")
    date: Mapped[date] = mapped_column(Date)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))


class PaymentWithdrawal(Base):
    """The withdrawal (作废制单) of a prepared, unconfirmed payment by a finance user of its payer: the payment
    stays on record and no longer counts against what the payer may prepare. Append-only; one per payment;
    nothing was posted, so no journal entry."""

    __tablename__ = "payment_withdrawals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    withdrawn_by: Mapped[str] = mapped_column(String(64), default="")
    date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")


class Recovery(Base):
    """A recovery (追回) of funds obtained on false material: a receivable per payer."""

    __tablename__ = "recoveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    payer_code: Mapped[str] = mapped_column(ForeignKey("payers.code"))
    date: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    document_number: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    received_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_pos"),)


class ProvincialStep(Base):
    """A step of the provincial procedure (省级资金): the province's allocation document (省级下达, ``payer`` the
    finance it goes to), the receipt of the transfer (上级转移支付到账) and the pass-on (转拨, ``payer`` the
    district's or county's finance). Append-only; each posts one journal entry (``entry_id``)."""

    __tablename__ = "provincial_steps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    step: Mapped[str] = mapped_column(String(24))
    date: Mapped[date] = mapped_column(Date)
    document_number: Mapped[str] = mapped_column(String(100))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    payer_code: Mapped[str] = mapped_column(ForeignKey("payers.code"))
    actor: Mapped[str] = mapped_column(String(64), default="")
    entry_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("journal_entries.id"))
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_pos"),
        CheckConstraint("step IN ('allocate','receive-transfer','pass-on')", name="step"),
        UniqueConstraint("claim_id", "step", name="uq_provincial_steps_claim_step"),
    )


class Account(Base):
    """An account of the chart (会计科目): budgetary (预算会计), financial (财务会计) or memorandum (备查)."""

    __tablename__ = "accounts"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    view: Mapped[str] = mapped_column(String(12))
    normal_side: Mapped[str] = mapped_column(String(6))  # debit | credit
    __table_args__ = (
        CheckConstraint("view IN ('budgetary','financial','memorandum')", name="view"),
        CheckConstraint("normal_side IN ('debit','credit')", name="normal_side"),
    )


class JournalEntry(Base):
    """A journal entry (记账凭证): append-only; ``id`` is its sequence number in the hash chain."""

    __tablename__ = "journal_entries"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry_date: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(24))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"), unique=True)
    actor: Mapped[str] = mapped_column(String(64), default="")
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Posting(Base):
    """One leg of an entry (分录): signed fen (debit > 0, credit < 0) with its dimensions."""

    __tablename__ = "postings"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("journal_entries.id", deferrable=True, initially="DEFERRED"), index=True
    )
    account_code: Mapped[str] = mapped_column(ForeignKey("accounts.code"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    payer_code: Mapped[str | None] = mapped_column(ForeignKey("payers.code"))
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platforms.id"))
    program: Mapped[str | None] = mapped_column(String(40))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    fiscal_year: Mapped[int | None] = mapped_column(Integer)
    __table_args__ = (
        CheckConstraint("amount_fen <> 0", name="nonzero"),
        Index("ix_postings_account_platform_program", "account_code", "platform_id", "program"),
        Index("ix_postings_account_payer_year", "account_code", "payer_code", "fiscal_year"),
        Index("ix_postings_claim_account", "claim_id", "account_code"),
        # the trial balance sums amount per account: answered from this index alone (bench/ledger.py)
        Index("ix_postings_account_entry_amount", "account_code", "entry_id", "amount_fen"),
    )


class JournalHead(Base):
    """The head of the hash chain: the last entry's number and hash. Locked to append."""

    __tablename__ = "journal_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class IdempotencyKey(Base):
    """A write request's idempotency key: the same key and body returns the first result."""

    __tablename__ = "idempotency_keys"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ClaimEvent(Base):
    """The claim's procedure history (办理记录): one row per state change, append-only."""

    __tablename__ = "claim_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(32))
    date: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64), default="")
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ClaimExplanation(Base):
    """The calculation a claim's step was based on (审批所依据的计算): one row per state change, append-only.

    ``result`` is the per-claim engine's result as the step saw it — amounts and shares in fen, the cap
    position and the clause-by-clause trace (``ledger/explanations.py``). A step that computes (filing,
    audit, approval) stores its own result; every other step carries the previous row's forward, so an
    auditor reads what the approval rested on, not today's recomputation."""

    __tablename__ = "claim_explanations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    basis_action: Mapped[str] = mapped_column(String(32))  # the step that computed ``result``
    basis_date: Mapped[date] = mapped_column(Date)  # and its date
    state: Mapped[str] = mapped_column(String(20))  # the state change this row was stored at
    action: Mapped[str] = mapped_column(String(32))
    date: Mapped[date] = mapped_column(Date)
    result: Mapped[dict[str, object]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HolidayNotice(Base):
    """An official holiday notice (节假日安排通知) loaded by an administrator, as YAML text."""

    __tablename__ = "holiday_notices"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# --- People and the action log (用户与操作日志) --------------------------------------------------

USER_ROLES = (
    "district_econ",     # 区县经信部门
    "district_finance",  # 区县财政部门
    "city_bureau",       # 市经信局
    "city_finance",      # 市财政局
    "auditor",           # 审计（只读）
    "admin",             # 系统管理员
)


class User(Base):
    """A person who signs in (用户): a role and, for district and county staff, a jurisdiction."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(24))
    jurisdiction_code: Mapped[str | None] = mapped_column(ForeignKey("jurisdictions.code"))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (
        CheckConstraint("role IN (" + ",".join(f"'{r}'" for r in USER_ROLES) + ")", name="role"),
        CheckConstraint("(role IN ('district_econ','district_finance')) = (jurisdiction_code IS NOT NULL)",
                        name="jurisdiction_for_district_roles"),
    )


class UserSession(Base):
    """A signed-in session: a page cookie (with its CSRF token) or an API bearer token.

    Only the SHA-256 of the secret is stored; the secret itself lives in the cookie or the client."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    csrf_token: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (CheckConstraint("kind IN ('web','api')", name="kind"),)


class ActionRecord(Base):
    """One line of the action log (操作日志): who did what, when, to what, and how it ended.

    Written for every write request and every refusal (403/4xx included); auditors read it."""

    __tablename__ = "action_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(24), default="")
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str] = mapped_column(String(120), default="")
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, object]] = mapped_column(JSON)


# --- Background jobs (后台任务) ------------------------------------------------------------------

JOB_STATES = ("queued", "running", "done", "failed")


class JobRecord(Base):
    """A background job (后台任务): what to run (``kind`` and its JSON ``params``), whose it is, how far it
    has got and how it ended — a generated file kept as bytes — so that any service process answers a
    poll and a restart loses nothing. The runner is ``app/jobs.py``."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    params: Mapped[dict[str, object]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(8), default="queued")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, object] | None] = mapped_column(JSON)
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_type: Mapped[str | None] = mapped_column(String(120))
    file_content: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        CheckConstraint("state IN (" + ",".join(f"'{s}'" for s in JOB_STATES) + ")", name="state"),
        Index("ix_jobs_owner_state", "owner", "state"),
        Index("ix_jobs_state_created_at", "state", "created_at"),
    )
