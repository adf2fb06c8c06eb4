"""The JSON API end to end, on SQLite and PostgreSQL: a claim's whole life taken by the right users,
amounts to the fen; objections; idempotency; errors that name field and rule; maker-checker;
pagination; sign-in lockout; the action log."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app import actions as do
from app import schemas as In
from app.permissions import Principal
from ledger.errors import IllegalTransition
from tests.app.conftest import Service
from tests.app.flow import (
    V1,
    approve_and_notice,
    call,
    counts,
    file_claim,
    get,
    journal_count,
    pay,
    post,
    setup_budgets,
    setup_platform,
    to_audited,
)


def _books_balance(service: Service) -> None:
    tb = get(service.api("auditor"), "/ledger/trial-balance")
    assert tb["total_debit"] == tb["total_credit"]
    assert get(service.api("auditor"), "/ledger/verify")["ok"] is True


def test_whole_life_of_a_claim_through_the_api(service: Service) -> None:
    setup_platform(service)
    setup_budgets(service)
    budgets = {(b["payer"], b["fiscal_year"], b["program"]): b for b in get(service.api("city-fin"), "/budgets")}
    assert budgets[("330400", 2026, "equipment-subsidy")]["available"] == "3000000.00"
    assert budgets[("330402", 2026, "equipment-subsidy")]["available"] == "3000000.00"

    # a preview writes nothing and computes on the filed invoices: 30% of one 100.00 invoice (细则 第四章（一）(1))
    # = 30.00, split 50/50 between the city and 南湖区 (第五章), against the untouched 5,000,000 provincial cap
    before = journal_count(service)
    preview = post(service.api("nanhu-econ"), "/claims/preview",
                   {"platform": "P1", "program": "equipment-subsidy", "application_date": "2026-03-02",
                    "invoices": [{"issuer_code": "X", "number": "1", "date": "2024-01-01", "net": "100.00"}]}, 200)
    assert (preview["claim"], preview["status"], preview["rule_set"]) == ("PREVIEW", "payable", "jiaxing-rules-2026")
    assert (preview["gross"], preview["entitled"], preview["offset"], preview["payable"]) == (
        "30.00", "30.00", "0.00", "30.00")
    assert {s["payer"]: s["amount"] for s in preview["shares"]} == {"330400": "15.00", "330402": "15.00"}
    assert (preview["cap"]["level"], preview["cap"]["limit"], preview["cap"]["headroom"]) == (
        "provincial", "5000000.00", "5000000.00")
    assert (preview["years"], preview["invoices"], preview["reasons"]) == ([2023, 2024, 2025], ["X:1"], [])
    assert journal_count(service) == before

    number = file_claim(service)
    claim = get(service.api("nanhu-econ"), f"/claims/{number}")
    assert (claim["state"], claim["requested"], claim["filed_by"]) == ("filed", "600000.00", "nanhu-clerk")

    to_audited(service, number)
    claim = get(service.api("bureau"), f"/claims/{number}")
    assert (claim["state"], claim["computed"]) == ("audited", "585000.00")

    # the bureau may approve less (with a reason) but never more than computed
    bureau = service.api("bureau")
    err = post(bureau, f"/claims/{number}/approval", {"meeting_date": "2026-03-25", "minutes_number": "m",
                                                      "approved_amount": "585000.01"}, 422)["error"]
    assert err["field"] == "approved_amount" and "不得高于计算应付数" in err["rule"]
    notice = approve_and_notice(service, number)
    assert (notice["end_date"], notice["provisional"]) == ("2026-04-09", False)  # 清明 4/4–6 not counted
    claim = get(bureau, f"/claims/{number}")
    assert claim["approved"] == "585000.00"
    assert claim["approval"]["shares"] == {"330400": "292500.00", "330402": "292500.00"}
    assert claim["state"] == "in_notice"

    # paying before the fund issue: refused by the procedure
    err = post(service.api("city-fin"), f"/claims/{number}/payments",
               {"payer": "330400", "voucher_number": "SZ-000", "on": "2026-04-08", "amount": "1.00"}, 409)["error"]
    assert err["rule"].startswith("办理流程") and err["field"] == "state" and err["state"] == "in_notice"

    # the fund issue waits for the day after the notice ends
    city_fin = service.api("city-fin")
    err = post(city_fin, f"/claims/{number}/fund-issue", {"document_number": "嘉经信〔2026〕30号",
                                                          "on": "2026-04-09"}, 409)["error"]
    assert "公示5个工作日" in err["rule"] and err["notice_end"] == "2026-04-09"
    out = post(city_fin, f"/claims/{number}/fund-issue", {"document_number": "嘉经信〔2026〕30号",
                                                          "on": "2026-04-10"}, 200)
    assert out["state"] == "issued" and out["shares"] == {"330400": "292500.00", "330402": "292500.00"}

    # each payer pays its own share in two parts, on different days
    out = pay(service, "city-fin", number,
               {"payer": "330400", "voucher_number": "SZ-001", "on": "2026-04-15", "amount": "200000.00"})
    assert (out["state"], out["remaining"], out["outstanding_for_payer"]) == ("issued", "385000.00", "92500.00")
    nanhu_fin = service.api("nanhu-fin")
    err = post(nanhu_fin, f"/claims/{number}/payments",
               {"payer": "330402", "voucher_number": "NH-000", "on": "2026-04-20", "amount": "292500.01"},
               409)["error"]
    assert err["field"] == "amount" and err["outstanding"] == "292500.00"
    out = pay(service, "nanhu-fin", number,
               {"payer": "330402", "voucher_number": "NH-001", "on": "2026-04-20", "amount": "100000.00"})
    assert (out["remaining"], out["outstanding_for_payer"]) == ("285000.00", "192500.00")
    out = pay(service, "city-fin", number,
               {"payer": "330400", "voucher_number": "SZ-002", "on": "2026-04-22", "amount": "92500.00"})
    assert (out["state"], out["remaining"], out["outstanding_for_payer"]) == ("issued", "192500.00", "0.00")
    out = pay(service, "nanhu-fin", number,
               {"payer": "330402", "voucher_number": "NH-002", "on": "2026-04-28", "amount": "192500.00"})
    assert (out["state"], out["remaining"]) == ("paid", "0.00")

    claim = get(bureau, f"/claims/{number}")
    assert [(p["payer"], p["date"], p["amount"]) for p in claim["payments"]] == [
        ("330400", "2026-04-15", "200000.00"), ("330402", "2026-04-20", "100000.00"),
        ("330400", "2026-04-22", "92500.00"), ("330402", "2026-04-28", "192500.00")]
    assert claim["outstanding"] == {"330400": "0.00", "330402": "0.00"}
    auditor = service.api("auditor")
    mid = get(auditor, "/ledger/balances", as_of="2026-04-21", payer="330402")["balances"]
    assert mid["expended"] == "100000.00" and mid["obligated"] == "192500.00"
    mid = get(auditor, "/ledger/balances", as_of="2026-04-21", payer="330400")["balances"]
    assert mid["expended"] == "200000.00" and mid["obligated"] == "92500.00"

    # the second district payment was recorded in error: a red reversal, then the right payment
    wrong = claim["payments"][3]["id"]
    err = post(city_fin, f"/payments/{wrong}/reversal", {"on": "2026-04-29", "reason": "付款账户错误"}, 403)
    assert err["error"]["rule"] == "权限矩阵 payment.reverse"
    out = post(nanhu_fin, f"/payments/{wrong}/reversal", {"on": "2026-04-29", "reason": "付款账户错误"}, 200)
    assert out["state"] == "issued"
    claim = get(bureau, f"/claims/{number}")
    assert claim["state"] == "issued" and claim["outstanding"] == {"330400": "0.00", "330402": "192500.00"}
    out = pay(service, "nanhu-fin", number,
               {"payer": "330402", "voucher_number": "NH-003", "on": "2026-04-30", "amount": "192500.00"})
    assert out["state"] == "paid"

    # recovery of part of the city's share, then its receipt into the treasury
    out = post(bureau, f"/claims/{number}/recoveries",
               {"payer": "330400", "amount": "100000.00", "on": "2026-06-01", "document_number": "追回〔2026〕1号",
                "reason": "部分发票虚假"}, 201)
    assert out["state"] == "recovered"
    claim = get(bureau, f"/claims/{number}")
    recovery = claim["recoveries"][0]
    assert (recovery["amount"], recovery["received"]) == ("100000.00", "0.00")
    err = post(city_fin, f"/recoveries/{recovery['id']}/receipts", {"amount": "100000.01", "on": "2026-06-10"},
               422)["error"]
    assert err["field"] == "amount"
    out = post(city_fin, f"/recoveries/{recovery['id']}/receipts", {"amount": "60000.00", "on": "2026-06-10"}, 200)
    assert out["received"] == "60000.00"

    final = get(auditor, "/ledger/balances", payer="330400")["balances"]
    assert final["expended"] == "292500.00"
    budgets = {(b["payer"], b["fiscal_year"], b["program"]): b for b in get(city_fin, "/budgets")}
    assert budgets[("330400", 2026, "equipment-subsidy")]["available"] == "2707500.00"
    assert budgets[("330402", 2026, "equipment-subsidy")]["available"] == "2707500.00"
    head = get(bureau, "/platforms/P1/headroom", as_of="2026-12-31")
    assert (head["cap"], head["committed"], head["headroom"]) == ("5000000.00", "585000.00", "4415000.00")
    events = [e["action"] for e in claim["events"]]
    assert events == ["file", "review-economic", "review-finance", "audit", "approve", "notice", "issue",
                      *["prepare-payment", "pay"] * 4, "reverse-payment", "prepare-payment", "pay", "recover"]
    _books_balance(service)


def test_objection_upheld_reverses_the_approval(service: Service) -> None:
    setup_platform(service)
    setup_budgets(service)
    number = file_claim(service)
    to_audited(service, number)
    approve_and_notice(service, number)
    bureau = service.api("bureau")
    err = post(bureau, f"/claims/{number}/objections", {"filed": "2026-04-10", "content": "迟到"}, 409)["error"]
    assert err["field"] == "filed"
    obj = post(bureau, f"/claims/{number}/objections",
               {"filed": "2026-04-03", "objector": "某公司", "content": "设备发票疑似重复"}, 201)
    assert obj["state"] == "objected"
    err = post(service.api("city-fin"), f"/claims/{number}/fund-issue", {"document_number": "d", "on": "2026-04-10"},
               409)["error"]
    assert "无异议" in err["rule"]
    out = post(bureau, f"/objections/{obj['objection']}/resolution",
               {"upheld": True, "on": "2026-04-08", "resolution": "经核实异议成立"}, 200)
    assert out["state"] == "reversed"
    claim = get(bureau, f"/claims/{number}")
    assert claim["state"] == "reversed" and claim["objections"][0]["status"] == "upheld"
    budgets = {(b["payer"], b["program"]): b["available"] for b in get(service.api("city-fin"), "/budgets")}
    assert budgets[("330400", "equipment-subsidy")] == "3000000.00"
    head = get(bureau, "/platforms/P1/headroom", as_of="2026-12-31")
    assert head["committed"] == "0.00"
    # resolving again is refused; the invoices are free for a corrected claim
    post(bureau, f"/objections/{obj['objection']}/resolution",
         {"upheld": False, "on": "2026-04-09", "resolution": "再议"}, 409)
    again = file_claim(service, application_date="2026-04-20")
    assert again != number
    _books_balance(service)


def test_idempotency_replays_and_refuses_a_different_body(service: Service) -> None:
    setup_platform(service)
    city_fin = service.api("city-fin")
    body = {"payer": "330400", "fiscal_year": 2026, "program": "equipment-subsidy", "amount": "1000.00",
            "on": "2026-01-05"}
    first = post(city_fin, "/budgets", body, 201, key="budget-2026-1")
    n = journal_count(service)
    second = post(city_fin, "/budgets", body, 201, key="budget-2026-1")
    assert second["replayed"] is True
    assert {k: v for k, v in second.items() if k != "replayed"} == first
    assert journal_count(service) == n
    budgets = get(city_fin, "/budgets")
    assert [b["appropriation"] for b in budgets] == ["1000.00"]

    before = counts(service)
    err = post(city_fin, "/budgets", {**body, "amount": "2000.00"}, 422, key="budget-2026-1")["error"]
    assert err["field"] == "Idempotency-Key" and err["rule"] == "Idempotency-Key"
    assert counts(service) == before

    # keys are per user: another user's same key is a new request
    out = post(service.api("nanhu-fin"), "/budgets", {**body, "payer": "330402"}, 201, key="budget-2026-1")
    assert "replayed" not in out

    # a claim filed twice with one key is filed once
    setup_budgets(service)
    econ = service.api("nanhu-econ")
    claim_body = {"platform": "P1", "program": "equipment-subsidy", "application_date": "2026-03-02",
                  "invoices": [{"issuer_code": "91330400A", "number": "1", "date": "2024-06-01",
                                "net": "100000.00"}]}
    a = post(econ, "/claims", claim_body, 201, key="file-1")
    n = journal_count(service)
    b = post(econ, "/claims", claim_body, 201, key="file-1")
    assert b["claim"] == a["claim"] and b["replayed"] is True
    assert journal_count(service) == n
    assert get(econ, "/claims")["total"] == 1
    # without a key, the same body is a second filing — refused: the invoice is claimed once
    err = call(econ, "POST", "/claims", claim_body, status=409)["error"]
    assert err["field"] == "invoices[0]"


def test_errors_name_field_and_rule(service: Service) -> None:
    setup_platform(service)
    city_fin = service.api("city-fin")
    before = counts(service)
    # a JSON number as money is refused, naming the field
    for amount in (1000.5, 1000):
        err = post(city_fin, "/budgets", {"payer": "330400", "fiscal_year": 2026, "program": "equipment-subsidy",
                                          "amount": amount, "on": "2026-01-05"}, 422)["error"]
        assert err["field"] == "amount", err
        assert err["rule"]
    err = post(city_fin, "/budgets", {"payer": "330400", "fiscal_year": 2026, "program": "equipment-subsidy",
                                      "amount": "10.001", "on": "2026-01-05"}, 422)["error"]
    assert err["field"] == "amount"
    err = post(service.api("nanhu-econ"), "/claims",
               {"platform": "P1", "program": "equipment-subsidy", "application_date": "2026-03-02",
                "invoices": [{"issuer_code": "A", "number": "1", "date": "2024-01-01", "net": 5.5}]}, 422)["error"]
    assert err["field"] == "invoices.0.net"
    # an unknown jurisdiction
    err = post(service.api("bureau"), "/platforms", {"code": "PX", "name": "x", "jurisdiction": "999999"},
               422)["error"]
    assert err["field"] == "jurisdiction" and "嘉兴市各区县" in err["rule"]
    # unknown objects are 404 naming what was missing
    err = get(service.api("bureau"), "/claims/SQ2026-999999", 404)["error"]
    assert err["field"] == "claim"
    err = post(service.api("bureau"), "/platforms/NOPE/events", {"kind": "pool-entry", "on": "2025-01-01"},
               404)["error"]
    assert err["field"] == "platform"
    # an unknown body field
    err = post(city_fin, "/budgets", {"payer": "330400", "fiscal_year": 2026, "program": "equipment-subsidy",
                                      "amount": "1.00", "on": "2026-01-05", "extra": 1}, 422)["error"]
    assert err["field"] == "extra"
    assert counts(service) == before


def test_maker_checker(service: Service) -> None:
    """Through the API the filer (district_econ) cannot approve: the role split forbids it. A city-bureau
    user who filed a claim (say, an account that changed role) is still refused by the ledger's rule."""
    setup_platform(service)
    setup_budgets(service)
    number = file_claim(service, econ="nanhu-econ")
    to_audited(service, number, econ="nanhu-clerk")
    err = post(service.api("nanhu-econ"), f"/claims/{number}/approval",
               {"meeting_date": "2026-03-25", "minutes_number": "m"}, 403)["error"]
    assert err["rule"] == "权限矩阵 claim.approve"
    before = counts(service)
    ctx = do.Context(service.db.sessions, Principal(username="nanhu-econ", role="city_bureau"))
    with pytest.raises(IllegalTransition, match="不得再录入其党组会审定（党组会审定日期 2026-03-25）") as exc:
        do.approve(ctx, number, In.ApprovalIn(meeting_date=date(2026, 3, 25), minutes_number="m"))
    assert "经办与复核分离" in exc.value.rule and exc.value.field == "actor"
    assert counts(service) == before
    log = next(r for r in get(service.api("auditor"), "/actions", username="nanhu-econ")["items"]
               if r["action"] == "claim.approve")
    assert (log["action"], log["outcome"]) == ("claim.approve", "refused")
    out = post(service.api("bureau"), f"/claims/{number}/approval", {"meeting_date": "2026-03-25",
                                                                     "minutes_number": "m"}, 200)
    assert out["approved"] == "585000.00"


def test_pagination(service: Service) -> None:
    bureau = service.api("bureau")
    for k in range(7):
        post(bureau, "/platforms", {"code": f"Q{k}", "name": f"平台{k}", "jurisdiction": "330402"}, 201)
    post(bureau, "/platforms", {"code": "H1", "name": "海宁平台", "jurisdiction": "330481"}, 201)
    page = get(bureau, "/platforms", page=2, page_size=3)
    assert (page["page"], page["page_size"], page["total"]) == (2, 3, 8)
    assert [p["code"] for p in page["items"]] == ["Q2", "Q3", "Q4"]  # H1, Q0, Q1 on page 1
    last = get(bureau, "/platforms", page=3, page_size=3)
    assert [p["code"] for p in last["items"]] == ["Q5", "Q6"]
    assert get(bureau, "/platforms", page=9, page_size=3)["items"] == []
    # district users see only their own jurisdiction
    mine = get(service.api("haining-econ"), "/platforms")
    assert mine["total"] == 1 and mine["items"][0]["code"] == "H1"
    for bad in ({"page": 0}, {"page_size": 0}, {"page_size": 201}, {"page": "x"}):
        err = get(bureau, "/platforms", 422, **bad)["error"]
        assert err["field"] == f"query.{next(iter(bad))}"
    log = get(service.api("auditor"), "/actions", page_size=2, page=2)
    everything = get(service.api("auditor"), "/actions", page_size=200)
    assert log["total"] == everything["total"] >= 8
    assert [r["id"] for r in log["items"]] == [r["id"] for r in everything["items"][2:4]]
    assert all(r["at"].endswith("+00:00") for r in everything["items"])  # UTC, said so, on every engine


def test_lockout_after_five_wrong_passwords(service: Service) -> None:
    c = service.client
    right = service.passwords["nanhu-fin"]
    for _ in range(5):
        r = c.post(f"{V1}/auth/token", json={"username": "nanhu-fin", "password": "wrong-password"})
        assert r.status_code == 401 and r.json()["error"]["rule"] == "登录"
    r = c.post(f"{V1}/auth/token", json={"username": "nanhu-fin", "password": right})
    # locked, even with the right password — and told only what any refusal is told (the log says why)
    assert r.status_code == 401 and r.json()["error"]["message"] == "用户名或密码错误"
    # an unknown user gets the same answer as a wrong password
    r = c.post(f"{V1}/auth/token", json={"username": "nobody", "password": "whatever"})
    assert r.status_code == 401 and r.json()["error"]["message"] == "用户名或密码错误"
    # four failures, then the right password, reset the count
    for _ in range(4):
        c.post(f"{V1}/auth/token", json={"username": "haining-fin", "password": "wrong-password"})
    r = c.post(f"{V1}/auth/token", json={"username": "haining-fin", "password": service.passwords["haining-fin"]})
    assert r.status_code == 200 and r.json()["role"] == "district_finance"


def test_token_required(service: Service) -> None:
    c = service.client
    for method, path in (("GET", "/claims"), ("GET", "/me"), ("POST", "/budgets"), ("GET", "/actions")):
        r = c.request(method, V1 + path, json={})
        assert r.status_code == 401, (path, r.text)
        assert r.headers["www-authenticate"] == "Bearer" and r.json()["error"]["rule"] == "登录"
    r = c.get(f"{V1}/claims", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    r = c.get(f"{V1}/claims", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert r.status_code == 401
    assert c.get(f"{V1}/ping").status_code == 200
    me = get(service.api("nanhu-fin"), "/me")
    assert (me["role"], me["jurisdiction"], me["payer"]) == ("district_finance", "330402", "330402")
    assert "payment.pay" in me["actions"] and "claim.approve" not in me["actions"]


def test_action_log_records_who_what_outcome(service: Service) -> None:
    setup_platform(service)
    post(service.api("city-fin"), "/budgets", {"payer": "330400", "fiscal_year": 2026, "program": "equipment-subsidy",
                                               "amount": "10.00", "on": "2026-01-05"}, 201, key="same")
    post(service.api("city-fin"), "/budgets", {"payer": "330400", "fiscal_year": 2026, "program": "equipment-subsidy",
                                               "amount": "10.00", "on": "2026-01-05"}, 201, key="same")
    post(service.api("nanhu-fin"), "/budgets", {"payer": "330400", "fiscal_year": 2026, "program": "x",
                                                "amount": "10.00", "on": "2026-01-05"}, 403)
    post(service.api("haining-econ"), "/platforms/P1/events", {"kind": "pool-exit", "on": "2026-05-01"}, 404)
    post(service.api("bureau"), "/claims/NOPE/approval", {"meeting_date": "2026-03-25", "minutes_number": "m"}, 404)
    # refused by the schema before any use case ran: logged under the token's user
    post(service.api("city-fin"), "/budgets", {"payer": "330400", "fiscal_year": 2026, "program": "equipment-subsidy",
                                               "amount": 10.5, "on": "2026-01-05"}, 422)
    r = service.client.post(f"{V1}/budgets", json={"amount": 1.5})  # no token: 401, no one to name
    assert r.status_code == 401
    for user in ("nanhu-econ", "bureau", "city-fin"):
        get(service.api(user), "/actions", 403)
    log = get(service.api("auditor"), "/actions", page_size=200)
    log["items"] = [r for r in log["items"] if not r["action"].startswith("auth.")]  # sign-ins may be logged too
    rows = [(r["username"], r["role"], r["action"], r["outcome"]) for r in reversed(log["items"])]
    assert rows == [
        ("nanhu-econ", "district_econ", "platform.create", "done"),
        ("nanhu-econ", "district_econ", "platform.event", "done"),
        ("nanhu-econ", "district_econ", "platform.event", "done"),
        ("city-fin", "city_finance", "budget.appropriate", "done"),
        ("city-fin", "city_finance", "budget.appropriate", "replayed"),
        ("nanhu-fin", "district_finance", "budget.appropriate", "forbidden"),
        ("haining-econ", "district_econ", "platform.event", "forbidden"),
        ("bureau", "city_bureau", "claim.approve", "refused"),
        ("city-fin", "city_finance", "api.invalid-request", "refused"),
    ]
    schema_refusal, not_found, forbidden = log["items"][:3]
    assert forbidden["detail"]["error"]["rule"] == "权限矩阵 platform.event"
    assert forbidden["target"] == "P1" and forbidden["at"]
    assert not_found["detail"]["error"]["field"] == "claim"
    assert schema_refusal["target"] == "POST /api/v1/budgets"
    assert schema_refusal["detail"]["error"]["field"] == "amount"
    mine = get(service.api("admin"), "/actions", username="city-fin")["items"]
    assert [r["outcome"] for r in mine if r["action"] == "budget.appropriate"] == ["replayed", "done"]


def test_odd_input_is_a_4xx_naming_the_field_on_every_engine(service: Service) -> None:
    """Inputs that once reached the database or the calendar and answered 500 (PostgreSQL refuses NUL
    characters, over-long text and ids beyond its integer columns; dates past 9999 overflow)."""
    setup_platform(service)
    setup_budgets(service)
    number = file_claim(service)
    bureau = service.api("bureau")
    before = counts(service)
    cases: list[tuple[str, str, Any, dict[str, Any] | None, str]] = [
        ("POST", "/platforms", {"code": "PN", "name": "a\x00b", "jurisdiction": "330402"}, None, "name"),
        ("POST", "/platforms", {"code": "PN", "name": "n", "jurisdiction": "330402", "head_phone": "1" * 31},
         None, "head_phone"),
        ("POST", "/platforms", {"code": "PN", "name": "n", "jurisdiction": "330402", "contact_person": "x" * 51},
         None, "contact_person"),
        ("GET", "/platforms", None, {"search": "a\x00"}, "query.search"),
        ("GET", "/claims", None, {"state": "filed\x00"}, "query.state"),
        ("GET", "/claims/SQ%00", None, None, "path.number"),
        ("POST", "/auth/token", {"username": "bureau\x00", "password": "x"}, None, "username"),
        ("POST", f"/claims/{number}/reviews", {"department": "economic", "approve": True, "opinion": "\x00",
                                               "on": "2026-03-04"}, None, "opinion"),
        ("POST", f"/claims/{number}/audit", {"firm": "f", "report_number": "r", "on": "2026-03-20",
                                             "years": {"²": "1.00"}}, None, "years.²"),  # "²".isdigit()
        ("POST", "/payments/4294967296/reversal", {"on": "2026-04-20", "reason": "x"}, None, "path.payment_id"),
        ("POST", "/objections/2147483648/resolution", {"upheld": True, "on": "2026-04-20", "resolution": "x"},
         None, "path.objection_id"),
        ("GET", "/reports/notices/99999999999", None, None, "path.notice_id"),
        ("POST", "/notices", {"claims": [number], "publication_date": "9999-12-28", "title": "t"}, None,
         "publication_date"),
        ("POST", "/budgets", {"payer": "330400", "fiscal_year": 2026, "program": "equipment-subsidy",
                              "amount": "١٢.٥", "on": "2026-01-05"}, None, "amount"),
    ]
    for method, path, body, params, field in cases:
        r = bureau.request(method, V1 + path, json=body, params=params)
        assert r.status_code == 422, (path, r.status_code, r.text)
        assert r.json()["error"]["field"] == field, (path, r.text)
    err = post(service.api("admin"), "/holiday-notices",
               {"source": "s", "text": "year: 9999\ntitle: t\npublished: 9999-12-31\ndays_off: [9999-12-31]"},
               422)["error"]
    assert err["field"] == "text"
    assert counts(service) == before
    # a long idempotency key is kept apart per user, and replays
    long_key = "k" * 128
    body = {"payer": "330400", "fiscal_year": 2027, "program": "equipment-subsidy", "amount": "5.00",
            "on": "2027-01-05"}
    first = post(service.api("city-fin"), "/budgets", body, 201, key=long_key)
    again = post(service.api("city-fin"), "/budgets", body, 201, key=long_key)
    assert again["replayed"] is True and again["entry"] == first["entry"]


def test_district_staff_see_only_their_own_budgets(service: Service) -> None:
    setup_budgets(service)
    post(service.api("haining-fin"), "/budgets", {"payer": "330481", "fiscal_year": 2026,
                                                  "program": "equipment-subsidy", "amount": "9.00",
                                                  "on": "2026-01-05"}, 201)
    seen = {u: sorted({b["payer"] for b in get(service.api(u), "/budgets")})
            for u in ("nanhu-econ", "nanhu-fin", "haining-econ", "bureau", "auditor")}
    assert seen == {"nanhu-econ": ["330402"], "nanhu-fin": ["330402"], "haining-econ": ["330481"],
                    "bureau": ["330400", "330402", "330481"], "auditor": ["330400", "330402", "330481"]}


def test_text_is_kept_with_lf_line_ends() -> None:
    """A form's CRLF becomes LF before anything is stored (an xlsx cell cannot keep a CR)."""
    from app.schemas import ReviewIn

    body = ReviewIn(department="economic", approve=True, opinion="同意。\r\n材料齐全\r。", on="2026-03-05")
    assert body.opinion == "同意。\n材料齐全\n。"


def test_a_payment_is_prepared_by_one_finance_user_and_confirmed_by_another(service: Service) -> None:
    """制单/复核 through the API: the preparer's confirmation is refused in Chinese, another payer's user is
    refused by the matrix, a second user of the payer confirms; dates after today (the suite's, 2099-12-31)
    are refused (422)."""
    setup_platform(service)
    setup_budgets(service)
    number = file_claim(service)
    err = post(service.api("nanhu-clerk"), f"/claims/{number}/reviews",
               {"department": "economic", "approve": True, "opinion": "同意", "on": "2026-03-04"}, 409)["error"]
    assert err["field"] == "actor" and "经办与复核分离" in err["rule"]
    to_audited(service, number)
    approve_and_notice(service, number)
    city_fin = service.api("city-fin")
    err = post(city_fin, f"/claims/{number}/fund-issue", {"document_number": "d", "on": "2026-04-09"}, 409)
    post(city_fin, f"/claims/{number}/fund-issue", {"document_number": "d", "on": "2026-04-10"}, 200)
    err = post(city_fin, f"/claims/{number}/payments", {"payer": "330400", "voucher_number": "SZ-1",
                                                        "on": "2100-01-04", "amount": "1000.00"}, 422)["error"]
    assert err["field"] == "on" and "晚于今天" in err["message"] and "经办流程" in err["rule"]
    made = post(city_fin, f"/claims/{number}/payments", {"payer": "330400", "voucher_number": "SZ-1",
                                                         "on": "2026-04-15", "amount": "1000.00"}, 201)
    assert (made["confirmed"], made["entry"], made["remaining"]) == (False, None, "585000.00")
    path = f"/payments/{made['payment']}/confirmation"
    err = post(city_fin, path, {"on": "2026-04-16"}, 409)["error"]
    assert err["field"] == "actor" and "制单与复核分离" in err["message"]
    err = post(service.api("nanhu-fin"), path, {"on": "2026-04-16"}, 403)["error"]
    assert err["rule"] == "权限矩阵 payment.confirm"
    err = post(service.api("city-fin2"), path, {"on": "2026-04-14"}, 422)["error"]
    assert err["field"] == "on" and "早于拨付制单日期 2026-04-15" in err["message"]
    done = post(service.api("city-fin2"), path, {"on": "2026-04-16"}, 200)
    assert (done["confirmed"], done["remaining"], done["payment"]) == (True, "584000.00", made["payment"])
    assert isinstance(done["entry"], int)
    claim = get(service.api("auditor"), f"/claims/{number}")
    assert claim["outstanding"]["330400"] == "291500.00"
    assert get(service.api("auditor"), "/ledger/verify")["ok"] is True
