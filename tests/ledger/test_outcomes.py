"""The services' outcomes are typed and frozen: integer fen, dates, states — never formatted strings."""

from __future__ import annotations

import dataclasses
import sys
from datetime import date

import pytest

from ledger.idempotency import outcome_types
from ledger.models import CLAIM_STATES
from ledger.outcomes import Approved, ClaimState, NoticePublished, Outcome


def test_claim_states_are_the_ledgers() -> None:
    assert tuple(ClaimState) == CLAIM_STATES


def test_every_outcome_type_is_found_by_name_once() -> None:
    """A replay finds the type by its name: the classes the modules define, none left behind by slots."""
    import app.results  # noqa: F401  (the actions' own outcomes)

    kinds = outcome_types()
    assert {"Appropriated", "ClaimComputed", "PaymentMade", "PlatformCreated", "UserAdded"} <= set(kinds)
    assert all(getattr(sys.modules[k.__module__], name) is k for name, k in kinds.items())


@pytest.mark.parametrize("kind", outcome_types().values(), ids=list(outcome_types()))
def test_outcomes_are_frozen_keyword_only_and_slotted(kind: type[Outcome]) -> None:
    params = dataclasses.fields(kind)
    assert all(f.kw_only for f in params)
    assert "__slots__" in vars(kind) and kind.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_an_outcome_holds_numbers_not_text() -> None:
    out = Approved(claim="SQ2026-000001", state=ClaimState.APPROVED, entry=3, approved=585_000_00,
                   shares={"330400": 292_500_00, "330402": 292_500_00})
    assert sum(out.shares.values()) == out.approved and out.state == "approved"
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.approved = 1  # type: ignore[misc]
    notice = NoticePublished(notice=1, end_date=date(2026, 4, 9), provisional=False, claims=("SQ",), entries=(4,))
    assert notice.end_date.isoformat() == "2026-04-09" and not notice.replayed
