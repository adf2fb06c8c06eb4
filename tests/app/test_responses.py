"""The response models are where fen become yuan strings: built from the actions' typed results."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from app import responses as Out
from app.results import ActionRow, ClaimEventRow
from ledger.outcomes import ClaimState, PaymentMade


def test_a_write_answers_replayed_only_on_a_replay() -> None:
    paid = PaymentMade(claim="SQ2026-000001", state=ClaimState.ISSUED, entry=9, remaining=385_000_00,
                       outstanding_for_payer=-1, payment=0, confirmed=True)
    first = Out.PaymentMadeOut.of(paid).model_dump(mode="json", exclude_unset=True)
    assert first == {"claim": "SQ2026-000001", "state": "issued", "entry": 9, "remaining": "385000.00",
                     "outstanding_for_payer": "-0.01", "payment": 0, "confirmed": True}
    again = Out.PaymentMadeOut.of(replace(paid, replayed=True))
    assert again.model_dump(mode="json", exclude_unset=True) == {**first, "replayed": True}


def test_dates_states_and_moments_are_written_as_the_api_always_wrote_them() -> None:
    event = ClaimEventRow(from_=None, to=ClaimState.FILED, action="file", date=date(2026, 3, 2), actor="a",
                          entry=1, note="")
    assert Out.ClaimEventOut.of(event).model_dump(mode="json", by_alias=True) == {
        "from": None, "to": "filed", "action": "file", "date": "2026-03-02", "actor": "a", "entry": 1, "note": ""}
    row = ActionRow(id=1, at=datetime(2026, 3, 2, 8, 0, 5, 120, tzinfo=UTC), username="u", role="admin",
                    action="user.manage", target="x", outcome="done", detail={})
    assert Out.ActionRecordOut.of(row).at == "2026-03-02T08:00:05.000120+00:00"


@pytest.mark.parametrize("bad", [1.5, True, "1.5"])
def test_an_amount_is_integer_fen_or_a_yuan_string_never_a_float(bad: object) -> None:
    with pytest.raises(ValidationError):
        Out.ReceiptOut(recovery=1, received=bad, entry=1)  # type: ignore[arg-type]
