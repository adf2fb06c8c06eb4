"""One claim through its whole life in a real browser (Debian's chromium), by the people who sign in for
each step: the district clerk files it (试算 first, then 申报), another 经信 user records the 经信 review
(经办与复核分离: the filer may not), the district finance bureau its review, the city bureau the audit,
the party-group approval, the notice and the fund issue; then the city and the district finance bureaus
pay their shares, each payment prepared (制单) by one finance user of the payer and confirmed (复核) by
another — the city's at the finance queue, the district's on the claim page. Every screen is checked (state and
amounts in 元 and 万元) and saved under test-artifacts/.

The dates lie in 2026 H1, so the notice (2026-04-01, five working days → 2026-04-09) has ended.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ledger.models import Claim
from tests.app.conftest import ARTIFACTS, LiveServer, screenshot
from tests.app.test_pages_forms import setup_platform

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img" / "service-claim.png"
INVOICES = [("91330400A", "00010001", "2023-05-10", "1000000.00", "130000.00"),
            ("91330400A", "00010002", "2024-06-01", "700000.00", "91000.00"),
            ("91330400B", "00020001", "2025-07-01", "300000.00", "39000.00")]


def state_of(page: Any) -> str:
    return str(page.get_by_test_id("claim-state").inner_text()).strip()


def submit(page: Any, step: str, button: str = "button[type=submit]") -> None:
    with page.expect_navigation():
        page.locator(f"#step-{step} {button}").click()
    ok = page.locator("p.flash.ok")
    assert ok.count() == 1, page.locator("[data-testid=form-error]").all_inner_texts() or page.content()[:2000]


def test_one_claim_through_its_whole_life(page_for: Any, live_server: LiveServer) -> None:
    service = live_server.service
    setup_platform(service)
    url = live_server.url

    # ---- 南湖区经信: the platform, 试算, 申报 (the clerk), then the 经信 review (another user)
    clerk = page_for("nanhu-clerk")
    clerk.set_default_timeout(15_000)
    clerk.goto(f"{url}/platforms/P1")
    assert clerk.get_by_test_id("platform-name").inner_text().startswith("嘉兴市新材料中试平台")
    assert "浙经信〔2026〕8号" in clerk.get_by_test_id("events").inner_text()
    assert "5,000,000.00 元（500.0000 万元）" in clerk.get_by_test_id("cap-equipment-subsidy").inner_text()
    screenshot(clerk, "01-platform")
    clerk.click("main a[href='/claims/new?platform=P1']")
    clerk.fill("input[name=application_date]", "2026-03-02")
    clerk.fill("input[name=platform_document]", "浙经信〔2026〕8号")
    for k, line in enumerate(INVOICES):
        for name, value in zip(("issuer_code", "number", "date", "net", "vat"), line, strict=True):
            clerk.locator(f"input[name=inv_{name}]").nth(k).fill(value)
    assert clerk.get_by_test_id("file").count() == 0  # 申报 only after 试算
    with clerk.expect_navigation():
        clerk.get_by_test_id("preview").click()
    result = clerk.get_by_test_id("calc-result").inner_text()
    assert "600,000.00 元" in result and "60.0000 万元" in result
    trace = clerk.get_by_test_id("trace")
    assert trace.locator("li").count() >= 3 and "细则 第四章（一）(1)" in trace.inner_text()
    screenshot(clerk, "02-preview")
    with clerk.expect_navigation():
        clerk.get_by_test_id("file").click()
    number = clerk.get_by_test_id("claim-number").inner_text().strip()
    assert state_of(clerk) == "已申报"
    assert "600,000.00 元" in clerk.get_by_test_id("amount-computed").inner_text()
    screenshot(clerk, "03-filed")
    # the filer may not record the review of their own claim: refused next to the form, nothing changed
    clerk.fill("#step-review textarea[name=opinion]", "材料齐全，同意上报")
    clerk.fill("#step-review input[name=on]", "2026-03-04")
    with clerk.expect_navigation():
        clerk.locator("#step-review button[type=submit]").click()
    refusal = clerk.locator("#step-review [data-testid=form-error]").inner_text()
    assert "经办与复核分离" in refusal and "nanhu-clerk" in refusal and state_of(clerk) == "已申报"
    reviewer = page_for("nanhu-econ")
    reviewer.goto(f"{url}/claims/{number}")
    reviewer.fill("#step-review textarea[name=opinion]", "材料齐全，同意上报")
    reviewer.fill("#step-review input[name=on]", "2026-03-04")
    submit(reviewer, "review")
    assert state_of(reviewer) == "区经信已审核"
    assert reviewer.locator("#step-review").count() == 0  # nothing more for 经信 to do
    screenshot(reviewer, "04-econ-reviewed")

    # ---- 南湖区财政: the finance review
    district_fin = page_for("nanhu-fin")
    district_fin.goto(f"{url}/claims/{number}")
    assert "区县财政部门审核" in district_fin.locator("#step-review").inner_text()
    district_fin.fill("#step-review textarea[name=opinion]", "同意")
    district_fin.fill("#step-review input[name=on]", "2026-03-05")
    submit(district_fin, "review")
    assert state_of(district_fin) == "区财政已审核"
    screenshot(district_fin, "05-finance-reviewed")

    # ---- 市经信局: queue, audit, approval, notice, fund issue
    bureau = page_for("bureau")
    bureau.goto(f"{url}/bureau/queue")
    assert number in bureau.get_by_test_id("queue-district_reviewed").inner_text()
    screenshot(bureau, "06-bureau-queue")
    bureau.click(f"text={number}")
    bureau.fill("#step-audit input[name=firm]", "嘉兴某会计师事务所")
    bureau.fill("#step-audit input[name=report_number]", "嘉会审〔2026〕18号")
    bureau.fill("#step-audit input[name=on]", "2026-03-20")
    for year, amount in (("2023", "1000000"), ("2024", "700000"), ("2025", "250000")):
        bureau.fill(f"#step-audit input[name=year_{year}]", amount)
    submit(bureau, "audit")
    assert state_of(bureau) == "已审计"
    computed = bureau.get_by_test_id("amount-computed").inner_text()
    assert "585,000.00 元" in computed and "58.5000 万元" in computed  # 30% of the audited 1,950,000 元
    screenshot(bureau, "07-audited")
    bureau.fill("#step-approve input[name=meeting_date]", "2026-03-25")
    bureau.fill("#step-approve input[name=minutes_number]", "党组会〔2026〕5号")
    submit(bureau, "approve")
    assert state_of(bureau) == "已审定"
    assert "585,000.00 元" in bureau.get_by_test_id("amount-approved").inner_text()
    for payer in ("330400", "330402"):
        share = bureau.get_by_test_id(f"share-{payer}").inner_text()
        assert "292,500.00 元" in share and "29.2500 万元" in share
    screenshot(bureau, "08-approved")

    bureau.goto(f"{url}/bureau/notices")
    bureau.fill("form[action='/bureau/notices'][method=get] input[name=on]", "2026-04-01")
    with bureau.expect_navigation():
        bureau.click("text=计算公示截止日")
    assert "截止 2026年4月9日" in bureau.get_by_test_id("notice-preview").inner_text()
    bureau.check(f"input[name=claims][value='{number}']")
    bureau.fill("#notice-form input[name=title]", "2026年第一批中试平台补助资金公示")
    bureau.fill("#notice-form input[name=publication_date]", "2026-04-01")
    screenshot(bureau, "09-notice-form")
    with bureau.expect_navigation():
        bureau.get_by_test_id("publish").click()
    assert "公示期至 2026年4月9日" in bureau.locator("p.flash.ok").inner_text()
    batch = bureau.locator("article.notice").first.inner_text()
    assert number in batch and "截止 2026年4月9日" in batch and "公示中" in batch
    screenshot(bureau, "10-notice-published")

    bureau.goto(f"{url}/claims/{number}")
    assert state_of(bureau) == "公示中"
    assert bureau.get_by_test_id("notice-end").inner_text() == "2026年4月9日"
    bureau.fill("#step-issue input[name=document_number]", "嘉经信〔2026〕30号")
    bureau.fill("#step-issue input[name=on]", "2026-04-10")
    submit(bureau, "issue")
    assert state_of(bureau) == "已下达"
    assert bureau.locator("#step-pay").count() == 0  # the bureau does not pay
    screenshot(bureau, "11-issued")

    # ---- 市财政局 prepares the city share (payer and amount default to its own share) ...
    city_fin = page_for("city-fin")
    city_fin.goto(f"{url}/claims/{number}")
    assert city_fin.locator("#step-pay select[name=payer]").input_value() == "330400"
    assert city_fin.locator("#step-pay input[name=amount]").input_value() == "292500.00"
    city_fin.fill("#step-pay input[name=voucher_number]", "SZ-2026-001")
    city_fin.fill("#step-pay input[name=on]", "2026-04-15")
    submit(city_fin, "pay")
    assert "待本级财政另一名用户复核" in city_fin.locator("p.flash.ok").inner_text()
    assert state_of(city_fin) == "已下达"
    assert "292,500.00 元" in city_fin.get_by_test_id("outstanding-330400").inner_text()  # not paid yet
    assert city_fin.locator("#step-pay").count() == 0  # nothing left to prepare; the district's is not the city's
    assert "您不能复核本人制单的拨付" in city_fin.locator("[data-testid^=own-pending-]").inner_text()
    assert "待复核" in city_fin.get_by_test_id("payments").inner_text()
    screenshot(city_fin, "12-city-prepared")

    # ... and its second finance user confirms it at the finance queue: now it counts
    city_checker = page_for("city-fin2")
    city_checker.goto(f"{url}/finance/queue")
    row = city_checker.get_by_test_id("payments-to-confirm").locator("tr[data-payment]")
    assert "SZ-2026-001" in row.inner_text() and "city-fin" in row.inner_text()
    confirm = row.locator("form[data-testid^=confirm-]")  # 复核 (the row also offers 作废制单)
    confirm.locator("input[name=on]").fill("2026-04-15")
    with city_checker.expect_navigation():
        confirm.locator("button[type=submit]").click()
    assert f"已复核拨付 {number}" in city_checker.locator("p.flash.ok").inner_text()
    city_checker.goto(f"{url}/claims/{number}")
    assert "0.00 元" in city_checker.get_by_test_id("outstanding-330400").inner_text()
    assert "292,500.00 元" in city_checker.get_by_test_id("outstanding-330402").inner_text()
    screenshot(city_checker, "12-city-paid")

    # ---- 南湖区财政 prepares the district share; its second finance user confirms it on the claim page
    district_fin.goto(f"{url}/claims/{number}")
    assert district_fin.locator("#step-pay select[name=payer]").input_value() == "330402"
    district_fin.fill("#step-pay input[name=voucher_number]", "NH-2026-001")
    district_fin.fill("#step-pay input[name=on]", "2026-04-20")
    submit(district_fin, "pay")
    assert state_of(district_fin) == "已下达"
    district_checker = page_for("nanhu-fin2")
    district_checker.goto(f"{url}/claims/{number}")
    confirm = district_checker.locator("[id^=step-confirm-]")
    assert "NH-2026-001" in confirm.inner_text() and "nanhu-fin 于 2026年4月20日 制单" in confirm.inner_text()
    confirm.locator("input[name=on]").fill("2026-04-20")
    with district_checker.expect_navigation():
        confirm.locator("button[type=submit]").click()
    assert state_of(district_checker) == "已拨付"
    assert "全部份额已拨付完毕" in district_checker.locator("p.flash.ok").inner_text()
    payments = district_checker.get_by_test_id("payments").inner_text()
    assert "SZ-2026-001" in payments and "NH-2026-001" in payments and "嘉经信〔2026〕30号" in payments
    assert "city-fin2（已计入拨付）" in payments and "nanhu-fin2（已计入拨付）" in payments
    assert "大写 贰拾玖万贰仟伍佰元整" in payments and "2026年4月20日" in payments  # 292,500.00 元, 大写金额
    assert re.search(r"不同意|同意", district_checker.get_by_test_id("history").inner_text())
    screenshot(district_checker, "13-paid")

    # ---- an auditor reads the same page: everything shown, no form offered
    auditor = page_for("auditor")
    auditor.goto(f"{url}/claims/{number}")
    assert state_of(auditor) == "已拨付" and auditor.get_by_test_id("steps").count() == 0
    assert "细则 第四章（一）(1)" in auditor.get_by_test_id("trace").inner_text()
    screenshot(auditor, "14-auditor-view")
    auditor.screenshot(path=str(ARTIFACTS / "docs-service-claim.png"), full_page=True,
                       clip={"x": 0, "y": 0, "width": 1366, "height": 1400})
    if os.environ.get("UPDATE_DOCS_IMAGES") == "1":  # the README's picture; otherwise the tree is left alone
        shutil.copyfile(ARTIFACTS / "docs-service-claim.png", DOCS_IMG)

    # ---- the platform's cap gauge: committed vs the provincial cap of 500 万元
    clerk.goto(f"{url}/platforms/P1")
    gauge = clerk.get_by_test_id("cap-equipment-subsidy")
    assert "585,000.00 元（58.5000 万元）" in gauge.get_by_test_id("cap-committed").inner_text()
    assert "4,415,000.00 元（441.5000 万元）" in gauge.get_by_test_id("cap-headroom").inner_text()
    assert gauge.locator(".gauge").get_attribute("aria-valuenow") == "11"
    assert "已拨付" in clerk.get_by_test_id("platform-claims").inner_text()
    screenshot(clerk, "16-platform-cap")

    # ---- the district's Annex 3 batch: a background job with a progress bar, then the download
    clerk.goto(f"{url}/claims")
    assert number in clerk.get_by_test_id("claims").inner_text()
    with clerk.expect_navigation():
        clerk.click("text=批量生成本辖区附件3")
    assert "/jobs/" in clerk.url and clerk.locator("progress").count() == 1
    clerk.get_by_test_id("job-download").wait_for(state="visible")
    assert clerk.get_by_test_id("job-state").inner_text() == "已完成"
    with clerk.expect_download() as got:
        clerk.get_by_test_id("job-download").click()
    assert got.value.suggested_filename == "附件3-330402-全部.xlsx"
    screenshot(clerk, "15-annex3-job")

    with service.db.sessions() as s:
        claim = s.execute(select(Claim).where(Claim.number == number)).scalar_one()
        assert (claim.state, claim.approved_fen) == ("paid", 585_000_00)
