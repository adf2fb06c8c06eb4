"""The attacks at the service's edge (issue 9, part 6), each shown to fail.

- the notice list shows a district clerk only their own jurisdiction's claims (API and page);
- another jurisdiction's claim is answered exactly as a claim that does not exist, and the action log
  keeps the true reason;
- sign-in answers unknown names, wrong passwords and locked accounts alike, in message and in time,
  while the lockout still works and is logged with its reason;
- a date outside the supported range is a 422 naming the field, never a 500, on API and pages;
- every response carries the security headers, the pages run under their CSP without a violation,
  and a body past the limit is refused 413;
- the CSRF token is compared in constant time.
"""

from __future__ import annotations

import statistics
import time
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from app.permissions import CITY_PAYER
from ledger import services as S
from ledger.models import ActionRecord
from tests.app.conftest import LiveServer, Service
from tests.app.flow import V1, counts, get
from tests.app.test_pages_forms import csrf_of, signed_in
from tests.app.test_permissions import _claim_to

NANHU, HAINING = "330402", "330481"
SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy")


def _world(service: Service) -> dict[str, str]:
    """A notice batch mixing 南湖区 and 海宁市 claims, a batch of 海宁市 alone, and one claim each."""
    with service.db.sessions.begin() as s:
        for payer in (CITY_PAYER, NANHU, HAINING):
            S.appropriate(s, payer=payer, fiscal_year=2026, program="equipment-subsidy", amount_fen=100_000_000_00,
                          on=date(2026, 1, 5))
        nanhu, haining, haining2 = (_claim_to(s, j, "approved") for j in (NANHU, HAINING, HAINING))
        S.publish_notice(s, claim_numbers=[nanhu, haining], publication_date=date(2026, 4, 1), title="混合批次")
        S.publish_notice(s, claim_numbers=[haining2], publication_date=date(2026, 4, 2), title="海宁批次")
    return {"nanhu": nanhu, "haining": haining, "haining2": haining2}


# ---------------------------------------------------------------- jurisdiction scope

def test_notice_lists_keep_to_the_clerks_jurisdiction(service: Service) -> None:
    w = _world(service)
    everything = get(service.api("bureau"), "/notices")
    assert everything["total"] == 2
    assert sorted(n["title"] for n in everything["items"]) == ["海宁批次", "混合批次"]
    assert sorted(c for n in everything["items"] for c in n["claims"]) == sorted(w.values())
    for user, mine, theirs in (("nanhu-econ", [w["nanhu"]], [w["haining"], w["haining2"]]),
                               ("nanhu-fin", [w["nanhu"]], [w["haining"], w["haining2"]]),
                               ("haining-econ", [w["haining"], w["haining2"]], [w["nanhu"]])):
        seen = get(service.api(user), "/notices")
        listed = sorted(c for n in seen["items"] for c in n["claims"])
        assert listed == sorted(mine), (user, seen)
        assert seen["total"] == len(seen["items"]) == (1 if user.startswith("nanhu") else 2), (user, seen)
        # and the notices page, which lists each batch's claims
        page = signed_in(service, user).get("/bureau/notices")
        assert page.status_code == 200
        assert all(number in page.text for number in mine), user
        assert not any(number in page.text for number in theirs), user


def test_another_jurisdictions_claim_is_answered_as_missing(service: Service) -> None:
    w = _world(service)
    clerk = service.api("nanhu-econ")
    theirs = clerk.get(f"{V1}/claims/{w['haining']}")
    made_up = clerk.get(f"{V1}/claims/SQ2026-999999")
    assert theirs.status_code == made_up.status_code == 404
    assert theirs.json() == {"error": {"field": "claim", "rule": "申请",
                                       "message": f"没有编号为 {w['haining']} 的申请；请核对申请编号"}}
    assert theirs.text.replace(w["haining"], "SQ2026-999999") == made_up.text
    assert HAINING not in theirs.text and "海宁" not in theirs.text
    # a write: the same 404, nothing changed, and the action log keeps the true reason
    before = counts(service)
    body = {"department": "economic", "approve": True, "opinion": "同意", "on": "2026-03-04"}
    r = clerk.post(f"{V1}/claims/{w['haining']}/reviews", json=body)
    fake = clerk.post(f"{V1}/claims/SQ2026-999999/reviews", json=body)
    assert r.status_code == fake.status_code == 404 and r.text.replace(w["haining"], "SQ2026-999999") == fake.text
    assert counts(service) == before
    with service.db.sessions() as s:
        logged = s.execute(select(ActionRecord).where(ActionRecord.target == w["haining"])).scalar_one()
    assert logged.outcome == "forbidden" and logged.username == "nanhu-econ"
    assert logged.detail["error"]["rule"] == "权限矩阵 claim.review.economic"
    assert logged.detail["error"]["answered"]["message"] == f"没有编号为 {w['haining']} 的申请；请核对申请编号"
    # the pages answer alike
    page = signed_in(service, "nanhu-econ")
    theirs_page, made_up_page = page.get(f"/claims/{w['haining']}"), page.get("/claims/SQ2026-999999")
    assert theirs_page.status_code == made_up_page.status_code == 404
    assert theirs_page.text.replace(w["haining"], "SQ2026-999999") == made_up_page.text
    # a role that may not act at all is refused 403 before any lookup: for a real claim and a made-up one
    auditor = service.api("auditor")
    a = auditor.post(f"{V1}/claims/{w['nanhu']}/reviews", json=body)
    b = auditor.post(f"{V1}/claims/SQ2026-999999/reviews", json=body)
    assert a.status_code == b.status_code == 403 and a.json() == b.json()


# ---------------------------------------------------------------- sign-in

def _median_seconds(client: Any, username: str, password: str, times: int) -> tuple[float, set[tuple[int, str]]]:
    took, answers = [], set()
    for _ in range(times):
        started = time.perf_counter()
        r = client.post(f"{V1}/auth/token", json={"username": username, "password": password})
        took.append(time.perf_counter() - started)
        answers.add((r.status_code, r.text))
    return statistics.median(took), answers


def test_sign_in_refusals_are_alike_in_message_and_time(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """With production-strength Argon2 (the test suite otherwise hashes cheaply): a wrong password, an
    unknown name and a locked account take the same one verification and get the same answer."""
    from argon2 import PasswordHasher

    import app.security as security

    monkeypatch.setattr(security, "HASHER", PasswordHasher())
    with service.db.sessions.begin() as s:
        security.create_user(s, username="strong", password="a-real-password-1", role="auditor")
        security.create_user(s, username="victim", password="another-password-2", role="auditor")
    client = service.client
    client.post(f"{V1}/auth/token", json={"username": "nobody", "password": "x"})  # warm up (the dummy hash)
    wrong, wrong_answers = _median_seconds(client, "strong", "wrong-password", 3)
    # lock the victim: five wrong passwords; the right one is then refused like anything else
    for _ in range(security.max_failures()):
        client.post(f"{V1}/auth/token", json={"username": "victim", "password": "wrong-password"})
    locked, locked_answers = _median_seconds(client, "victim", "another-password-2", 3)
    unknown, unknown_answers = _median_seconds(client, "no-such-user", "wrong-password", 3)
    one = {(401, '{"error":{"field":"","rule":"登录","message":"用户名或密码错误"}}')}
    assert wrong_answers == locked_answers == unknown_answers == one
    # the same work: a refusal of a locked or unknown account is no quicker (the attack saw 0.09 s vs 0.59 s)
    assert locked >= 0.5 * wrong and unknown >= 0.5 * wrong, (wrong, locked, unknown)
    # the lockout holds (the right password is refused) and is logged with its true reason
    with service.db.sessions() as s:
        reasons = [r.detail.get("reason") for r in s.execute(
            select(ActionRecord).where(ActionRecord.action == "auth.login", ActionRecord.username == "victim")
            .order_by(ActionRecord.id)).scalars()]
        unknown_logged = s.execute(select(ActionRecord).where(ActionRecord.username == "no-such-user")).scalars().all()
    assert reasons == ["wrong-password"] * 4 + ["now-locked"] + ["locked"] * 3, reasons
    assert unknown_logged and all(r.detail["reason"] == "unknown" for r in unknown_logged)
    # the page says the same
    page = service.client.post("/login", data={"username": "victim", "password": "another-password-2"})
    other = service.client.post("/login", data={"username": "nobody", "password": "another-password-2"})
    assert page.status_code == other.status_code == 401 and "用户名或密码错误" in page.text
    assert page.text == other.text.replace('value="nobody"', 'value="victim"')


# ---------------------------------------------------------------- dates

BAD_DAYS = ("0001-01-01", "9999-12-31")


def test_dates_outside_the_supported_range_are_422_naming_the_field(service: Service) -> None:
    from tests.app.test_pages_forms import setup_platform

    setup_platform(service)
    bureau, city_fin, clerk = service.api("bureau"), service.api("city-fin"), service.api("nanhu-econ")
    claim = {"platform": "P1", "program": "equipment-subsidy", "application_date": "2026-03-02",
             "invoices": [{"issuer_code": "A", "number": "1", "date": "2024-06-01", "net": "100.00"}]}
    before = counts(service)
    for day in BAD_DAYS:
        gets = [(bureau, "/reports/trial-balance", {"start": day, "end": "2026-12-31"}, "query.start", "开始日期"),
                (bureau, "/reports/trial-balance", {"start": "2026-01-01", "end": day}, "query.end", "结束日期"),
                (bureau, "/ledger/trial-balance", {"start": day}, "query.start", "开始日期"),
                (bureau, "/ledger/trial-balance", {"as_of": day}, "query.as_of", "截至日期"),
                (bureau, "/ledger/balances", {"as_of": day}, "query.as_of", "截至日期"),
                (bureau, "/reports/reconciliation", {"as_of": day}, "query.as_of", "截至日期"),
                (bureau, "/reports/fund-issue/330400", {"as_of": day}, "query.as_of", "截至日期"),
                (bureau, "/platforms/P1", {"as_of": day}, "query.as_of", "截至日期"),
                (bureau, "/platforms/P1/headroom", {"as_of": day}, "query.as_of", "截至日期")]
        for client, path, params, field, name in gets:
            r = client.get(V1 + path, params=params)
            assert r.status_code == 422, (path, params, r.status_code, r.text)
            error = r.json()["error"]
            assert error["field"] == field and name in error["message"] and "2000-01-01" in error["message"], error
        posts = [(city_fin, "/budgets", {"payer": "330400", "fiscal_year": 2026, "program": "equipment-subsidy",
                                         "amount": "1.00", "on": day}, "on"),
                 (clerk, "/claims", {**claim, "application_date": day}, "application_date"),
                 (clerk, "/claims/preview", {**claim, "invoices": [{**claim["invoices"][0], "date": day}]},
                  "invoices.0.date"),
                 (clerk, "/calculations", {"claim": {**claim, "application_date": day}}, "claim.application_date"),
                 (bureau, "/platforms/P1/events", {"kind": "recognition", "on": day, "level": "provincial"}, "on")]
        for client, path, body, field in posts:
            r = client.post(V1 + path, json=body)
            assert r.status_code == 422, (path, r.status_code, r.text)
            assert r.json()["error"]["field"] == field and "须在 2000-01-01 至 2100-12-31 之间" in r.text, r.text
    assert counts(service) == before
    # the pages: query strings and forms
    auditor, finance, bureau_page = (signed_in(service, u) for u in ("auditor", "city-fin", "bureau"))
    csrf = csrf_of(finance, "/finance/queue")
    for day in BAD_DAYS:
        for client, path in ((auditor, f"/audit/exceptions?as_of={day}"), (auditor, f"/audit/trial-balance.xlsx?start={day}"),
                             (auditor, f"/audit/reconciliation.xlsx?as_of={day}"),
                             (finance, f"/finance/issue?as_of={day}"), (bureau_page, f"/bureau/notices?on={day}")):
            r = client.get(path)
            assert r.status_code == 422 and "须在 2000-01-01 至 2100-12-31 之间" in r.text, (path, r.status_code)
        r = finance.post("/finance/budgets", data={"csrf": csrf, "fiscal_year": "2026", "program": "equipment-subsidy",
                                                   "amount": "1.00", "on": day})
        assert r.status_code == 422 and "须在 2000-01-01 至 2100-12-31 之间" in r.text, r.status_code
    assert counts(service) == before


# ---------------------------------------------------------------- headers, CSP, body size, CSRF

def test_every_route_family_carries_the_security_headers(service: Service) -> None:
    _world(service)
    api = service.api("bureau")
    page = signed_in(service, "bureau")
    anonymous = service.client
    responses = {
        "api json": api.get(f"{V1}/claims"), "api xlsx": api.get(f"{V1}/reports/annex3/blank"),
        "api 401": anonymous.get(f"{V1}/claims"), "api 404": api.get(f"{V1}/claims/NOPE"),
        "api 422": api.get(f"{V1}/claims", params={"page": 0}), "api ping": anonymous.get(f"{V1}/ping"),
        "api post": api.post(f"{V1}/notices", json={}), "openapi": anonymous.get("/openapi.json"),
        "docs": anonymous.get("/docs"), "redoc": anonymous.get("/redoc"),
        "page": page.get("/claims"), "page 404": page.get("/claims/NOPE"), "page 403": page.get("/admin/users"),
        "login": anonymous.get("/login"), "redirect": anonymous.get("/claims", follow_redirects=False),
        "static css": anonymous.get("/static/site.css"), "static js": anonymous.get("/static/site.js"),
        "no route": anonymous.get("/no/such/page"),
    }
    for family, r in responses.items():
        assert r.status_code < 500, (family, r.status_code)
        missing = [h for h in SECURITY_HEADERS if h not in r.headers]
        assert not missing, (family, missing)
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, (family, csp)
        if family not in ("docs", "redoc"):
            assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    # no page of the service has an inline script or an inline event handler
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "app" / "pages" / "templates"
    for t in templates.glob("*.html"):
        text = t.read_text("utf-8")
        assert not re.search(r"<script(?![^>]*\ssrc=)", text), t.name
        assert not re.search(r"\son[a-z]+\s*=", text) and "javascript:" not in text, t.name
    # the API documentation page's own inline script is allowed by its hash, and nothing else inline
    import base64
    import hashlib

    docs = responses["docs"]
    inline = re.findall(r"<script>(.*?)</script>", docs.text, re.S)
    assert inline
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in docs.headers["content-security-policy"]


def test_a_body_past_the_limit_is_refused_413(service: Service) -> None:
    from app.edge import MAX_REQUEST_BYTES

    before = counts(service)
    api = service.api("city-fin")

    def chunks() -> Any:  # no Content-Length: counted as it arrives
        for _ in range(MAX_REQUEST_BYTES // 1_000_000 + 2):
            yield b" " * 1_000_000

    for body in (b" " * (MAX_REQUEST_BYTES + 1), chunks()):
        r = api.post(f"{V1}/budgets", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 413 and "请求过大" in r.json()["error"]["message"], r.text[:300]
        assert r.headers["x-frame-options"] == "DENY"
    page = signed_in(service, "nanhu-econ")
    r = page.post("/claims/import", content=b"x" * (MAX_REQUEST_BYTES + 1),
                  headers={"content-type": "multipart/form-data; boundary=zzz"})
    assert r.status_code == 413 and "请求过大" in r.text
    assert counts(service) == before


def test_csrf_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    import app.security as security

    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)
    assert security.csrf_matches("token-abc", "token-abc")
    assert not security.csrf_matches("token-abd", "token-abc")
    assert not security.csrf_matches("", "token-abc") and not security.csrf_matches(None, "token-abc")
    assert not security.csrf_matches("x", "")  # a session without a token (an API one) matches nothing
    assert calls[:2] == [(b"token-abc", b"token-abc"), (b"token-abd", b"token-abc")]


def test_pages_run_under_their_csp_without_a_violation(page_for: Any, live_server: LiveServer) -> None:
    """The main pages in chromium, listening for CSP violations (console and the DOM event); the
    pages' scripts — moved to /static/site.js — still work: add an invoice row, tick every claim,
    follow a background job's progress bar."""
    from tests.app.test_pages_forms import setup_platform

    service = live_server.service
    setup_platform(service)
    w = _world(service)
    url = live_server.url
    violations: list[str] = []

    def watch(page: Any) -> Any:
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.add_init_script("document.addEventListener('securitypolicyviolation',"
                             " e => console.error('Content Security Policy violated: ' + e.violatedDirective))")
        return page

    clerk = watch(page_for("nanhu-econ"))
    for path in ("/", "/platforms", "/platforms/P1", "/claims", f"/claims/{w['nanhu']}", "/bureau/notices",
                 "/claims/NOPE"):
        clerk.goto(url + path)
    clerk.goto(f"{url}/claims/new?platform=P1")
    rows = clerk.locator("#invoices tbody tr").count()
    clerk.click("#add-row")
    assert clerk.locator("#invoices tbody tr").count() == rows + 1
    clerk.goto(f"{url}/annex3/batch?jurisdiction={NANHU}")  # a background job: its page polls until done
    clerk.get_by_test_id("job-download").wait_for(state="visible", timeout=20_000)
    bureau = watch(page_for("bureau"))
    for path in ("/", "/bureau/queue", "/claims", "/audit/reconciliation", "/audit/journal"):
        bureau.goto(url + path)
    with service.db.sessions.begin() as s:
        S.approve(s, claim_number=_claim_to(s, NANHU, "audited"), meeting_date=date(2026, 3, 25), minutes_number="m")
    bureau.goto(f"{url}/bureau/notices")
    bureau.check("#all")
    boxes = bureau.locator("#notice-form input[name=claims]")
    assert boxes.count() >= 1 and all(boxes.nth(k).is_checked() for k in range(boxes.count()))
    finance = watch(page_for("city-fin"))
    for path in ("/finance/queue", "/finance/issue"):
        finance.goto(url + path)
    assert violations == [], violations
