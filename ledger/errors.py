"""Errors the ledger raises: each names the rule broken and, where there is one, the field.

``status`` is the HTTP status the API answers with.
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base: a request the ledger refuses. Nothing was written."""

    status = 409

    def __init__(self, rule: str, message: str, *, field: str = "", **details: Any) -> None:
        self.rule = rule
        self.message = message
        self.field = field
        self.details = details
        super().__init__(f"{field + ': ' if field else ''}{message} [{rule}]")

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "rule": self.rule, "message": self.message, **self.details}


class NotFound(LedgerError):
    status = 404


class Invalid(LedgerError):
    """Bad input (a field is missing, malformed or out of range)."""

    status = 422


class IllegalTransition(LedgerError):
    """The claim cannot make this move from where it stands in the procedure (细则 第四章（一）(2))."""


class CapExceeded(LedgerError):
    """The platform's cumulative committed amount would exceed its cap."""


class BudgetExceeded(LedgerError):
    """The payer's commitments would exceed its appropriation."""


class PaymentExceedsPayable(LedgerError):
    """A payment larger than what is payable to that payer."""


class AlreadyClaimed(LedgerError):
    """An invoice or investment year is already claimed."""


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before with a different request."""

    status = 422


class JournalIntegrityError(LedgerError):
    """An entry that does not balance, or a reversal that is not allowed."""
