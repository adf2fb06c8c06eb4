"""The undertaking-2 warning (附件3 承诺事项2) reaches the API's preview and filing answers and the new-claim page."""

from __future__ import annotations

import re
from datetime import date

from ledger import services as S
from tests.app.conftest import Service
from tests.app.flow import approve_and_notice, file_claim, post, setup_budgets, setup_platform, to_audited
from tests.app.test_pages_forms import csrf_of, signed_in

LATER = {"platform": "P1", "program": "equipment-subsidy", "application_date": "2027-03-01",
         "invoices": [{"issuer_code": "Y", "number": "9", "date": "2026-06-01", "net": "1000.00"}]}


def test_warning_after_municipal_money_in_api_and_page(service: Service) -> None:
    setup_platform(service)
    setup_budgets(service)
    econ = service.api("nanhu-econ")
    assert post(econ, "/claims/preview", LATER, 200)["warnings"] == []  # nothing received yet
    number = file_claim(service)
    to_audited(service, number)
    approve_and_notice(service, number)  # 党组会审定: municipal money (细则, purse municipal)
    with service.db.sessions.begin() as s:
        S.appropriate(s, payer="330400", fiscal_year=2027, program="equipment-subsidy", amount_fen=300_000_000,
                      on=date(2027, 1, 5), document_number="2027预算")
    preview = post(econ, "/claims/preview", LATER, 200)
    assert len(preview["warnings"]) == 1 and "承诺事项2" in preview["warnings"][0] and number in preview["warnings"][0]
    assert preview["payable"] == "300.00"  # the warning changes no amount
    filed = post(econ, "/claims", {**LATER, "platform_document": "浙经信〔2026〕8号"}, 201)
    assert filed["result"]["warnings"] == preview["warnings"]

    clerk = signed_in(service, "nanhu-econ")
    csrf = csrf_of(clerk, "/claims/new?platform=P1")
    form = {"csrf": csrf, "platform": "P1", "program": "equipment-subsidy", "application_date": "2028-03-01",
            "years": "", "requested_amount": "100", "platform_document": "", "national_support": "",
            "recorded_amount": "", "evaluation_year": "", "inv_issuer_code": [""], "inv_number": [""],
            "inv_date": [""], "inv_net": [""], "inv_vat": [""]}
    page = clerk.post("/claims/preview", data=form)
    assert page.status_code == 200, page.text
    box = re.search(r'data-testid="calc-warnings">(.*?)</ul>', page.text, re.S)
    assert box and "承诺事项2" in box.group(1) and number in box.group(1)
