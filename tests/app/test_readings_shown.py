"""What the service shows cites the documents and docs/readings.md ("解读 R-n"), never POLICY.md: the claim
page's trace, the claim in the API, a 试算 under another reading, a refusal, and the Annex 3 workbook."""

from __future__ import annotations

import io

import openpyxl

from tests.app.conftest import Service
from tests.app.flow import (
    approve_and_notice,
    file_claim,
    get,
    post,
    setup_budgets,
    setup_platform,
    to_audited,
)
from tests.app.test_pages_forms import signed_in
from tests.calculators.test_readings import assert_clean, cited_readings


def test_claim_page_api_and_annex3_cite_the_record_not_policy_md(service: Service) -> None:
    setup_platform(service)
    setup_budgets(service)
    number = file_claim(service)
    to_audited(service, number)

    # a refusal the procedure gives (approval above the computed payable) names the clause and the reading
    bureau = service.api("bureau")
    err = post(bureau, f"/claims/{number}/approval", {"meeting_date": "2026-03-25", "minutes_number": "党组会〔2026〕5号",
                                                      "approved_amount": "9999999.00"})
    assert_clean(str(err), "approval refusal")
    assert "解读 R-19" in str(err), err
    approve_and_notice(service, number)

    page = signed_in(service, "bureau").get(f"/claims/{number}")
    assert page.status_code == 200
    assert_clean(page.text, "claim page")
    assert "依据：" in page.text and "细则 第四章（一）(1)" in page.text
    assert {7, 10, 18} <= cited_readings(page.text), sorted(cited_readings(page.text))

    claim = get(service.api("bureau"), f"/claims/{number}")
    assert_clean(str(claim), "API claim")

    what_if = post(service.api("nanhu-econ"), "/calculations", {
        "claim": {"platform": "P1", "program": "equipment-subsidy", "application_date": "2027-03-02",
                  "invoices": []},
        "readings": {"equipment.later_claims": "since-last-claim", "payer_split.county": "city-50-local-50"}}, 200)
    assert_clean(str(what_if), "试算")
    assert "按所选解读" in str(what_if) and "解读 R-8" in str(what_if)

    xlsx = signed_in(service, "nanhu-econ").get(f"/claims/{number}/annex3.xlsx")
    assert xlsx.status_code == 200, xlsx.text
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    cells = "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "国家、省级中试平台补助资金申请表" in cells
    assert_clean(cells, "附件3")
