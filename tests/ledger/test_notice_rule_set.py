"""Which notice period applies to a batch: the claims' own rule set, else the Jiaxing procedure in force."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.errors import Invalid
from ledger.services import _notice_rule_set


@pytest.mark.parametrize("rule_set", ["jiaxing-plan-2025", "zhejiang-2025", "jiaxing-rules-2026"])
def test_plan_and_provincial_claims_are_noticed_under_the_jiaxing_procedure(rule_set: str) -> None:
    chosen = _notice_rule_set([rule_set], date(2026, 5, 6))
    assert chosen.has("notice.working_days")
    assert chosen.param("notice.working_days", date(2026, 5, 6)).value == 5


def test_no_procedure_in_force_is_a_clear_error() -> None:
    with pytest.raises(Invalid) as err:
        _notice_rule_set(["jiaxing-plan-2025"], date(2025, 6, 3))
    assert err.value.field == "publication_date" and "公示" in err.value.rule
