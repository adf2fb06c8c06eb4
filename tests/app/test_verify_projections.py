"""The API's and the auditor page's ledger verify fail, naming the row, when a projected amount was
altered behind the ledger's back (ledger/projections.py)."""

from __future__ import annotations

from sqlalchemy import update

from ledger.models import Budget
from tests.app.conftest import Service
from tests.app.flow import get, setup_budgets, setup_platform
from tests.app.test_pages_finance_audit import page, sign_in


def test_verify_names_an_altered_budget(service: Service) -> None:
    setup_platform(service)
    setup_budgets(service)
    assert get(service.api("auditor"), "/ledger/verify")["ok"] is True
    with service.db.sessions.begin() as s:
        s.execute(update(Budget).where(Budget.payer_code == "330400", Budget.fiscal_year == 2026,
                                       Budget.program == "equipment-subsidy").values(appropriation_fen=1))
    report = get(service.api("auditor"), "/ledger/verify")
    assert report["ok"] is False and report["first_bad"] is None
    [m] = report["projections"]
    assert (m["table"], m["key"], m["field"], m["journal_fen"], m["table_fen"]) == (
        "budgets", "330400 2026 equipment-subsidy", "appropriation_fen", 300_000_000, 1)
    html = page(sign_in(service, "auditor"), "/audit/verify")
    assert "账链校验未通过" in html and "appropriation_fen" in html and "330400 2026 equipment-subsidy" in html
