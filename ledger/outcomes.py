"""What each step of a claim's life returns (办理结果): typed, frozen, amounts in integer fen.

:mod:`ledger.services` returns these; :mod:`app.actions` passes them on; only the edges write them as
text — the API's response models (``app/responses.py``), the pages' templates, the reports and the CLI,
all through :mod:`calculators.formats`. :mod:`ledger.idempotency` keeps a write's outcome as JSON and
gives it back, typed again, with ``replayed=True``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from calculators.results import ClaimResult
from calculators.rulesets.model import ClaimState as ClaimState  # declared once, with the procedures


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What a write returns. ``replayed``: this is the first outcome of an idempotent request, given back
    for a repeat of it (nothing was done again)."""

    replayed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimStep(Outcome):
    """A claim's new state after a step (审核、冲销、追回) and the journal entry it posted."""

    claim: str
    state: ClaimState
    entry: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimComputed(ClaimStep):
    """Filed or audited: the claim's new state, its entry and what it now computes to (fen)."""

    computed: int
    result: ClaimResult


@dataclass(frozen=True, slots=True, kw_only=True)
class Approved(ClaimStep):
    """党组会审定: the approved amount and each payer's share (payer code → fen)."""

    approved: int
    shares: Mapping[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class FundsIssued(ClaimStep):
    """下达资金: each payer's share now payable (payer code → fen)."""

    shares: Mapping[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentMade(Outcome):
    """拨付制单或复核: the payment, whether it is confirmed (复核后才记账；``entry`` is None until then), what
    remains to pay on the claim and for this payer (fen)."""

    claim: str
    state: ClaimState
    entry: int | None
    remaining: int
    outstanding_for_payer: int
    payment: int
    confirmed: bool  # no default: every outcome says whether it posted


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentWithdrawn(Outcome):
    """作废制单: the withdrawn payment (it stays on record, posted nothing) and what the payer may prepare now (fen)."""

    claim: str
    state: ClaimState
    payment: int
    outstanding_for_payer: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticePublished(Outcome):
    """公示: the notice, its end date on the working-day calendar, its claims and their entries."""

    notice: int
    end_date: date
    provisional: bool
    claims: tuple[str, ...]
    entries: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectionStep(Outcome):
    """异议登记或处理: the objection, its claim's state and the entry (``None`` when the state did not move)."""

    objection: int
    claim: str
    state: ClaimState
    entry: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptRecorded(Outcome):
    """追回款入库: how much of the recovery has come back (fen)."""

    recovery: int
    received: int
    entry: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Appropriated(Outcome):
    """预算批复: the budget line and its appropriation after this one (fen)."""

    budget: int
    entry: int
    appropriation: int
