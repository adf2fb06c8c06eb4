"""The clerk's new screens in a real browser (Debian's chromium): the claimable view on the new-claim
page, the platform timeline, the city's fund progress chart and a notice's 公示 text with its download.
Screenshots go to test-artifacts/; with UPDATE_DOCS_IMAGES=1 they are copied to docs/img/ for the README.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ledger.models import Notice
from tests.app.conftest import LiveServer, screenshot
from tests.app.test_clerk_pages import HOSTILE, _world

DOCS = Path(__file__).resolve().parents[2] / "docs" / "img"


def _keep(path: Path, name: str) -> None:
    assert path.stat().st_size < 600_000
    if os.environ.get("UPDATE_DOCS_IMAGES") == "1":  # otherwise the tree is left alone
        shutil.copyfile(path, DOCS / name)


def test_clerk_screens_in_the_browser(page_for: Any, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    service = live_server.service
    _world(service, monkeypatch)
    url = live_server.url
    alerts: list[str] = []

    clerk = page_for("nanhu-econ")
    clerk.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    clerk.set_default_timeout(15_000)
    clerk.goto(f"{url}/claims/new")
    view = clerk.get_by_test_id("claimable")
    assert view.locator("tr[data-platform]").count() == 3
    assert HOSTILE in view.inner_text()  # shown as text, never run
    p1 = view.locator("tr[data-platform=P1]")
    assert "415,000.00 元" in p1.get_by_test_id("claimable-municipal-award").inner_text()
    assert "不在申报期" in p1.get_by_test_id("blocked-equipment-subsidy").inner_text()
    _keep(screenshot(clerk, "clerk-claimable"), "service-claimable.png")
    search = clerk.get_by_test_id("claimable-search")
    search.locator("input[name=q]").fill("生物")
    with clerk.expect_navigation():
        search.get_by_role("button", name="查找").click()
    view = clerk.get_by_test_id("claimable")
    assert view.locator("tr[data-platform]").count() == 1 and view.locator("tr[data-platform=P3]").count() == 1
    assert "共 1 个平台（查找“生物”）" in clerk.get_by_test_id("claimable-pager").inner_text()
    clerk.goto(f"{url}/claims/new")
    p1 = clerk.get_by_test_id("claimable").locator("tr[data-platform=P1]")
    with clerk.expect_navigation():
        p1.get_by_test_id("claimable-municipal-award").locator("a").click()
    assert clerk.locator("select[name=program]").input_value() == "municipal-award"

    clerk.goto(f"{url}/platforms/P1")
    timeline = clerk.get_by_test_id("timeline")
    assert timeline.locator("li").count() >= 10 and "拨付" in timeline.inner_text()
    timeline.scroll_into_view_if_needed()
    _keep(screenshot(clerk, "clerk-timeline"), "service-timeline.png")

    bureau = page_for("bureau")
    bureau.set_default_timeout(15_000)
    bureau.goto(f"{url}/bureau/funds?year=2026")
    chart = bureau.get_by_test_id("funds-chart")
    assert chart.locator("rect").count() == 12 and chart.bounding_box()["height"] > 200
    assert "100,000.01 元" in bureau.get_by_test_id("funds-payers").inner_text()
    _keep(screenshot(bureau, "bureau-funds"), "service-funds.png")

    with service.db.sessions() as s:
        first = s.execute(select(Notice.id).order_by(Notice.id)).scalars().first()
    bureau.goto(f"{url}/bureau/notices/{first}")
    assert "异议" in bureau.get_by_test_id("notice-text").inner_text()
    with bureau.expect_download() as info:
        bureau.get_by_test_id("notice-download").click()
    download = info.value
    assert download.suggested_filename == "2026年第一批中试平台补助公示.txt"
    assert "新材料中试平台" in Path(download.path()).read_text(encoding="utf-8-sig")
    _keep(screenshot(bureau, "bureau-notice-text"), "service-notice-text.png")
    with bureau.expect_download() as info:
        bureau.get_by_test_id("notice-document").click()
    document = info.value
    assert document.suggested_filename == "2026年第一批中试平台补助公示.docx"
    from docx import Document

    written = Document(document.path())
    assert written.paragraphs[0].text == "2026年第一批中试平台补助公示"
    assert written.tables[0].rows[1].cells[1].text == "新材料中试平台"
    assert alerts == []
