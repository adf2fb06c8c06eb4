"""The finance, auditor and administrator pages: the payment queue shows only the user's payer's
outstanding shares with totals to the fen; fund issue from the page; the auditor's reconciliation
dashboard, journal explorer, chain verification, exceptions and action log, all read-only (every
form post is refused with 403); the administrator adds a user and loads a holiday notice; and one
browser screenshot of the auditor dashboard (copied to docs/img/service-auditor.png).
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ledger import services as S
from ledger.models import Claim, PaymentConfirmation
from tests.app.conftest import LiveServer, Service, screenshot
from tests.ledger.owner import alter_posting
from tests.ledger.world import pay_confirmed, run_to_audited

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img" / "service-auditor.png"
AUDITED = {2023: 1_000_000_00, 2024: 700_000_00, 2025: 250_000_00}  # 1,950,000 → 30 % = 585,000


def _invoices(tag: str) -> list[S.InvoiceIn]:
    return [S.InvoiceIn(f"9133{tag}A", f"{tag}0001", date(2023, 5, 10), 1_000_000_00, 130_000_00),
            S.InvoiceIn(f"9133{tag}A", f"{tag}0002", date(2024, 6, 1), 700_000_00, 91_000_00),
            S.InvoiceIn(f"9133{tag}B", f"{tag}0003", date(2025, 7, 1), 300_000_00, 39_000_00)]


def build_world(service: Service) -> dict[str, str]:
    """Four platforms and four claims through the ledger services:

    * A (南湖 P1): 585,000 issued; the city paid 100,000.01 of its 292,500 → outstanding 城 192,499.99, 南湖 292,500.00
    * B (海宁 P2): 585,000 issued, all 海宁's, nothing paid
    * C (南湖 P3): approved lower at 100,000.01 (城 50,000.00, 南湖 50,000.01), issued, nothing paid
    * D (海宁 P4): in notice, the notice ended 2026-04-09 — awaiting fund issue
    """
    db = service.db
    with db.sessions.begin() as s:
        for code, name, place in (("P1", "新材料中试平台", "330402"), ("P2", "精密传动中试平台", "330481"),
                                  ("P3", "生物医药中试平台", "330402"), ("P4", "智能装备中试平台", "330481")):
            S.create_platform(s, code=code, name=name, jurisdiction=place, operator=f"{name}运营公司")
            S.add_platform_event(s, code, kind="pool-entry", on=date(2025, 3, 1), document_number="嘉经信〔2025〕12号")
            S.add_platform_event(s, code, kind="recognition", on=date(2026, 2, 10), level="provincial",
                                 document_number="浙经信〔2026〕8号")
        for payer in ("330400", "330402", "330481"):
            S.appropriate(s, payer=payer, fiscal_year=2026, program="equipment-subsidy", amount_fen=3_000_000_00,
                          on=date(2026, 1, 5), document_number="2026预算")
    numbers = {}
    for key, code, tag in (("A", "P1", "11"), ("B", "P2", "22"), ("C", "P3", "33"), ("D", "P4", "44")):
        numbers[key] = run_to_audited(db, code=code, years=AUDITED, invoices=_invoices(tag))
    with db.sessions.begin() as s:
        for key in "ABCD":
            lower = {"approved_fen": 100_000_01, "reason": "部分设备与中试无关"} if key == "C" else {}
            S.approve(s, claim_number=numbers[key], meeting_date=date(2026, 3, 25), minutes_number="党组会〔2026〕5号",
                      actor="bureau", **lower)
        S.publish_notice(s, claim_numbers=[numbers[k] for k in "ABCD"], publication_date=date(2026, 4, 1),
                         title="2026年第一批中试平台补助公示", actor="bureau")
    with db.sessions.begin() as s:
        for key in "ABC":
            S.issue_funds(s, claim_number=numbers[key], document_number="嘉经信〔2026〕30号", on=date(2026, 4, 10),
                          actor="city-fin")
        pay_confirmed(s, claim_number=numbers["A"], payer="330400", voucher_number="SZ-001", on=date(2026, 4, 15),
              amount_fen=100_000_01, actor="city-fin")
    return numbers


def sign_in(service: Service, username: str) -> TestClient:
    client = service.client
    r = client.post("/login", data={"username": username, "password": service.passwords[username]})
    assert r.status_code == 200 and "退出" in r.text, r.text[:500]
    return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no csrf field on the page"
    return found.group(1)


def page(client: TestClient, path: str, status: int = 200) -> str:
    r = client.get(path)
    assert r.status_code == status, f"{path}: {r.status_code} {r.text[:800]}"
    return r.text


def rows(html: str, attr: str) -> list[str]:
    return re.findall(rf'<tr {attr}="([^"]+)"', html)


def text_of(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">([^<]*)<', html)
    assert found, testid
    return re.sub(r"\s+", " ", found.group(1)).strip()


def state_of(service: Service, number: str) -> str:
    with service.db.sessions() as s:
        return s.execute(select(Claim.state).where(Claim.number == number)).scalar_one()


# ---------------------------------------------------------------- finance

def test_finance_queue_shows_only_own_payer_with_totals_to_the_fen(service: Service) -> None:
    n = build_world(service)

    city = sign_in(service, "city-fin")
    html = page(city, "/finance/queue")
    assert set(re.findall(r'<tr data-claim="([^"]+)" data-payer="([^"]+)"', html)) == {
        (n["A"], "330400"), (n["C"], "330400")}
    assert text_of(html, "payer-total-330400") == "242,499.99 元"  # 192,499.99 + 50,000.00
    assert "24.2500 万元" in html  # 4 decimals, half up; the exact 元 stands above it
    assert 'value="192499.99"' in html  # the pay form defaults to the outstanding share
    assert "payer-total-330402" not in html and "payer-total-330481" not in html

    nanhu = sign_in(service, "nanhu-fin")
    html = page(nanhu, "/finance/queue")
    assert set(re.findall(r'<tr data-claim="([^"]+)" data-payer="([^"]+)"', html)) == {
        (n["A"], "330402"), (n["C"], "330402")}
    assert text_of(html, "payer-total-330402") == "342,500.01 元"  # 292,500.00 + 50,000.01
    assert "34.2500 万元" in html
    assert "appropriate-form" in html

    haining = sign_in(service, "haining-fin")
    html = page(haining, "/finance/queue")
    assert set(re.findall(r'<tr data-claim="([^"]+)" data-payer="([^"]+)"', html)) == {(n["B"], "330481")}
    assert text_of(html, "payer-total-330481") == "585,000.00 元"
    assert n["A"] not in html

    # pay the rest of the city's share of A from the queue: A leaves the city's queue
    token = csrf_of(page(city, "/finance/queue"))
    r = city.post(f"/finance/pay/{n['A']}", data={"csrf": token, "payer": "330400", "voucher_number": "SZ-002",
                                                   "on": "2026-04-20", "amount": "192499.99", "key": "t1"})
    assert r.status_code == 200 and "已制单" in r.text, r.text[:800]
    assert text_of(r.text, "payer-total-330400") == "50,000.00 元"  # prepared: no longer to prepare
    (pending,) = re.findall(r'<tr data-payment="(\d+)"', r.text)
    assert f'action="/finance/confirm/{pending}"' not in r.text  # the preparer is offered no 复核 button
    with service.db.sessions() as s:  # prepared, not paid: nothing posted to 8104 yet
        assert s.execute(select(func.count()).select_from(PaymentConfirmation)).scalar_one() == 1
    # the preparer cannot confirm it, even by posting the form; a second city finance user can
    r = city.post(f"/finance/confirm/{pending}", data={"csrf": token, "on": "2026-04-20"})
    assert r.status_code == 409 and "制单与复核分离" in r.text
    checker = sign_in(service, "city-fin2")
    html2 = page(checker, "/finance/queue")
    assert f'action="/finance/confirm/{pending}"' in html2
    r = checker.post(f"/finance/confirm/{pending}", data={"csrf": csrf_of(html2), "on": "2026-04-20"})
    assert r.status_code == 200 and "已复核拨付" in r.text, r.text[:800]
    assert f'<tr data-payment="{pending}"' not in r.text
    with service.db.sessions() as s:
        assert s.execute(select(func.count()).select_from(PaymentConfirmation)).scalar_one() == 2
    # a finance user cannot pay another payer's share, even by editing the form
    r = nanhu.post(f"/finance/pay/{n['B']}", data={"csrf": csrf_of(html), "payer": "330481",
                                                    "voucher_number": "X", "on": "2026-04-20", "amount": "1.00"})
    assert r.status_code == 403
    r = haining.post(f"/finance/pay/{n['B']}", data={"csrf": csrf_of(html), "payer": "330481",
                                                      "voucher_number": "HN-1", "on": "2026-04-20", "amount": "1.00"})
    assert r.status_code == 200 and text_of(r.text, "payer-total-330481") == "584,999.00 元"

    # appropriation for the user's own payer
    r = nanhu.post("/finance/budgets", data={"csrf": csrf_of(page(nanhu, "/finance/queue")), "fiscal_year": "2027",
                                             "program": "equipment-subsidy", "amount": "1234567.89",
                                             "on": "2027-01-05", "document_number": "南财预〔2027〕1号"})
    assert r.status_code == 200 and "1,234,567.89 元" in r.text

    # fund issue: D's notice ended 2026-04-09 with no objection; only D is waiting
    html = page(city, "/finance/issue")
    assert rows(html, "data-claim") == [n["D"]]
    assert text_of(html, "issue-total") == "585,000.00 元"
    # on the notice's last day the ledger refuses, and the page says why
    r = city.post(f"/finance/issue/{n['D']}", data={"csrf": csrf_of(html), "document_number": "嘉经信〔2026〕31号",
                                                     "on": "2026-04-09"})
    assert r.status_code == 409 and "2026-04-09" in r.text and state_of(service, n["D"]) == "in_notice"
    # the batch form: one document for the ticked claims
    r = city.post("/finance/issue", data={"csrf": csrf_of(html), "numbers": [n["D"]],
                                          "document_number": "嘉经信〔2026〕31号", "on": "2026-04-13"})
    assert r.status_code == 200 and "已下达 1 件" in r.text and "未能下达" not in r.text
    assert state_of(service, n["D"]) == "issued"
    assert rows(page(city, "/finance/issue"), "data-claim") == []
    # the fund issue table of the user's payer
    r = nanhu.get("/finance/funds.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"


# ---------------------------------------------------------------- auditor

def test_auditor_pages_list_caps_and_refuse_every_post(service: Service) -> None:
    n = build_world(service)
    auditor = sign_in(service, "auditor")

    html = page(auditor, "/audit/reconciliation")
    assert rows(html, "data-platform") == ["P1", "P2", "P3", "P4"]
    p1 = html.split('<tr data-platform="P1"')[1].split("</tr>")[0]
    assert "5,000,000.00 元" in p1 and "585,000.00 元" in p1 and "4,415,000.00 元" in p1 and "省级" in p1
    p3 = html.split('<tr data-platform="P3"')[1].split("</tr>")[0]
    assert "100,000.01 元" in p3 and "4,899,999.99 元" in p3
    assert "<svg" in html and html.count('<g data-platform=') == 4
    assert text_of(html, "total-committed") == "1,855,000.01 元"  # 3 × 585,000 + 100,000.01
    assert 'method="post"' not in html.replace('method="post" action="/logout"', "")

    r = auditor.get("/audit/reconciliation.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = auditor.get("/audit/trial-balance.xlsx", params={"start": "2026-01-01", "end": "2026-12-31"})
    assert r.status_code == 200 and r.content[:2] == b"PK"

    html = page(auditor, "/audit/journal")
    assert "凭证" in html and "8102 已承诺预算" in html
    html = page(auditor, f"/audit/journal?claim={n['A']}")
    assert set(re.findall(r"<a href=\"/audit/journal\?claim=([^\"]+)\">", html)) == {n["A"]}
    assert "未找到申请" in page(auditor, "/audit/journal?claim=NO-SUCH")
    assert "账链完整" in page(auditor, "/audit/verify")
    assert "未发现例外" in page(auditor, "/audit/exceptions")
    html = page(auditor, "/audit/actions")
    assert "操作日志" in html
    for path in ("/audit/journal", "/audit/verify", "/audit/exceptions", "/audit/actions", "/finance/queue"):
        assert 'method="post"' not in page(auditor, path).replace('method="post" action="/logout"', ""), path

    token = csrf_of(html)
    before = {k: state_of(service, v) for k, v in n.items()}
    posts = {
        f"/finance/issue/{n['D']}": {"document_number": "X", "on": "2026-04-13"},
        "/finance/issue": {"numbers": [n["D"]], "document_number": "X", "on": "2026-04-13"},
        f"/finance/pay/{n['A']}": {"payer": "330400", "voucher_number": "X", "on": "2026-04-20", "amount": "1.00"},
        "/finance/budgets": {"fiscal_year": "2026", "program": "equipment-subsidy", "amount": "1.00",
                             "on": "2026-05-01"},
        "/admin/users": {"username": "mallory", "password": "long-enough-pw", "role": "admin"},
        "/admin/holidays": {"source": "x", "text": "year: 2027"},
    }
    for path, data in posts.items():
        r = auditor.post(path, data={"csrf": token, **data})
        assert r.status_code == 403, (path, r.status_code, r.text[:300])
    assert {k: state_of(service, v) for k, v in n.items()} == before
    assert "forbidden" in page(auditor, "/audit/actions")

    # a budget posting altered behind the application's back: the chain and the exceptions show it
    alter_posting(service.db, 3, 999)
    html = page(auditor, "/audit/verify")
    assert "账链校验未通过" in html and text_of(html, "first-bad") == "凭证 3"
    html = page(auditor, "/audit/exceptions")
    assert "未发现例外" not in html and "9.99 元" in html
    assert text_of(page(auditor, "/audit/reconciliation"), "exception-count") != "0 项"


# ---------------------------------------------------------------- admin

def test_admin_adds_a_user_and_loads_holidays_others_get_403(service: Service) -> None:
    admin = sign_in(service, "admin")
    html = page(admin, "/admin/users")
    assert rows(html, "data-user")[:2] == ["admin", "auditor"]
    token = csrf_of(html)
    r = admin.post("/admin/users", data={"csrf": token, "username": "jiashan-fin", "display_name": "嘉善财政",
                                         "password": "pw-jiashan-0123456", "role": "district_finance",
                                         "jurisdiction": "330421"})
    assert r.status_code == 200 and "已添加用户 jiashan-fin" in r.text
    assert "jiashan-fin" in rows(r.text, "data-user")
    # a district role without a jurisdiction is refused next to the form
    r = admin.post("/admin/users", data={"csrf": token, "username": "nobody", "password": "pw-nobody-0123456",
                                         "role": "district_econ", "jurisdiction": ""})
    assert r.status_code == 422 and 'data-testid="error"' in r.text and "nobody" not in rows(r.text, "data-user")
    # the new user signs in and sees the payment queue of 嘉善县
    newcomer = service.client
    r = newcomer.post("/login", data={"username": "jiashan-fin", "password": "pw-jiashan-0123456"})
    assert r.status_code == 200 and "区县财政部门" in r.text
    assert page(newcomer, "/finance/queue").count("330421") >= 1

    # holidays: a notice that does not parse shows its error; a good one is loaded
    html = page(admin, "/admin/holidays")
    r = admin.post("/admin/holidays", data={"csrf": csrf_of(html), "source": "坏文件", "text": "year: 2027\nbogus: 1\n"})
    assert r.status_code == 422 and "未能载入" in r.text and "bogus" in r.text
    good = (Path(__file__).resolve().parents[2] / "calculators" / "holidays" / "2026.yaml").read_text("utf-8")
    r = admin.post("/admin/holidays", data={"csrf": csrf_of(html), "source": ""},
                   files={"file": ("2026.yaml", good.encode("utf-8"), "text/yaml")})
    assert r.status_code == 200 and "已载入 2026 年节假日安排" in r.text
    assert "<td>2026</td><td>2026.yaml</td>" in r.text

    for username in ("city-fin", "nanhu-econ"):
        client = sign_in(service, username)
        assert client.get("/admin/users").status_code == 403
        assert client.get("/admin/holidays").status_code == 403
        r = client.post("/admin/users", data={"csrf": csrf_of(page(client, "/")), "username": "mallory",
                                              "password": "long-enough-pw", "role": "admin"})
        assert r.status_code == 403
    assert "mallory" not in rows(page(admin, "/admin/users"), "data-user")


# ---------------------------------------------------------------- in the browser

def test_auditor_dashboard_in_the_browser(page_for: Any, live_server: LiveServer) -> None:
    build_world(live_server.service)
    browser_page = page_for("auditor")
    browser_page.goto(f"{live_server.url}/audit/reconciliation")
    browser_page.wait_for_selector("[data-testid=cap-chart] svg")
    assert browser_page.locator("[data-testid=reconciliation-table] tbody tr").count() == 4
    assert browser_page.locator("svg.chart g[data-platform]").count() == 4
    assert browser_page.locator("form[method=post]").count() == 1  # sign-out only
    path = screenshot(browser_page, "auditor-dashboard")
    for width in (1200, 1024):  # narrower if the fonts on this machine make the PNG too large for docs/
        if path.stat().st_size < 300_000:
            break
        browser_page.set_viewport_size({"width": width, "height": 800})
        path = screenshot(browser_page, "auditor-dashboard")
    assert path.stat().st_size < 300_000
    if os.environ.get("UPDATE_DOCS_IMAGES") == "1":  # a test run leaves the work tree as it found it
        DOCS_IMG.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMG)
