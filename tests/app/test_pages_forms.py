"""The district and bureau pages through the test client: sign-in, CSRF, jurisdiction, 试算 with its
trace, invoice import with per-row errors, a refusal shown next to its form, and the background jobs."""

from __future__ import annotations

import re
import time
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ledger import services as S
from ledger.models import Claim, Platform
from tests.app.conftest import Service

CLAIM = {"platform": "P1", "program": "equipment-subsidy", "application_date": "2026-03-02", "years": "",
         "requested_amount": "", "platform_document": "浙经信〔2026〕8号", "national_support": "",
         "recorded_amount": "", "evaluation_year": ""}
INVOICES = [("91330400A", "00010001", "2023-05-10", "1000000.00", "130000.00"),
            ("91330400A", "00010002", "2024-06-01", "700,000", "91000"),
            ("91330400B", "00020001", "2025-07-01", "300000.00", "39000.00")]
HEADER = "开票单位代码,发票号码,开票日期,金额(不含税),税额\n"


def setup_platform(service: Service, code: str = "P1", jurisdiction: str = "330402") -> None:
    with service.db.sessions.begin() as s:
        S.create_platform(s, code=code, name="嘉兴市新材料中试平台", jurisdiction=jurisdiction,
                          operator="嘉兴某新材料科技有限公司")
        S.add_platform_event(s, code, kind="pool-entry", on=date(2025, 3, 1), document_number="嘉经信〔2025〕12号")
        S.add_platform_event(s, code, kind="recognition", on=date(2026, 2, 10), level="provincial",
                             document_number="浙经信〔2026〕8号")
        for payer in ("330400", jurisdiction):
            S.appropriate(s, payer=payer, fiscal_year=2026, program="equipment-subsidy", amount_fen=300_000_000,
                          on=date(2026, 1, 5), document_number="2026预算")


def signed_in(service: Service, username: str) -> TestClient:
    client = TestClient(service.app, raise_server_exceptions=False)
    r = client.post("/login", data={"username": username, "password": service.passwords[username], "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def csrf_of(client: TestClient, path: str = "/") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def claim_form(csrf: str, invoices: list[tuple[str, ...]] = INVOICES, **extra: str) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {"csrf": csrf, **CLAIM, **extra}
    for k, name in enumerate(("issuer_code", "number", "date", "net", "vat")):
        data[f"inv_{name}"] = [line[k] for line in invoices]
    return data


def claims_count(service: Service) -> int:
    with service.db.sessions() as s:
        return s.execute(select(func.count(Claim.id))).scalar_one()


def test_sign_in_csrf_jurisdiction_and_the_district_pages(service: Service) -> None:
    anonymous = TestClient(service.app, raise_server_exceptions=False)
    r = anonymous.get("/platforms", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    bad = anonymous.post("/login", data={"username": "nanhu-econ", "password": "wrong"})
    assert bad.status_code == 401 and "登录" in bad.text

    # a form post without the session's CSRF token is refused, and nothing changes
    clerk = signed_in(service, "nanhu-econ")
    body = {"code": "P9", "name": "无令牌", "jurisdiction": "330402"}
    assert clerk.post("/platforms/new", data=body).status_code == 403
    refused = clerk.post("/platforms/new", data={**body, "csrf": "not-the-token"})
    assert refused.status_code == 403 and "表单已失效" in refused.text
    with service.db.sessions() as s:
        assert s.execute(select(func.count()).select_from(Platform)).scalar_one() == 0

    setup_platform(service)
    assert clerk.post("/claims/file", data=claim_form("")).status_code == 403
    assert claims_count(service) == 0
    page = clerk.get("/platforms?q=新材料")
    assert page.status_code == 200 and "嘉兴市新材料中试平台" in page.text and "南湖区" in page.text
    detail = clerk.get("/platforms/P1")
    assert detail.status_code == 200
    assert "认定" in detail.text and "浙经信〔2026〕8号" in detail.text and "省级" in detail.text
    assert "登记事项" in detail.text and "新申报" in detail.text
    form = clerk.get("/claims/new?platform=P1")
    assert form.status_code == 200 and "试算" in form.text and "中试平台文件文号" in form.text
    blank = clerk.get("/annex3/blank.xlsx")
    assert blank.status_code == 200 and blank.content[:2] == b"PK"

    # register a platform and record an event through the forms
    csrf = csrf_of(clerk, "/platforms/new")
    r = clerk.post("/platforms/new", data={"csrf": csrf, "code": "P2", "name": "南湖区生物医药中试平台",
                                           "jurisdiction": "330402", "leader_type": "enterprise"},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/platforms/P2")
    r = clerk.post("/platforms/P2/events", data={"csrf": csrf, "kind": "recognition", "on": "2026-02-10",
                                                 "level": "provincial", "document_number": "浙经信〔2026〕9号"},
                   follow_redirects=True)
    assert r.status_code == 200 and "已登记认定" in r.text and "浙经信〔2026〕9号" in r.text
    # a bad event: the field and the rule are named, nothing is recorded
    r = clerk.post("/platforms/P2/events", data={"csrf": csrf, "kind": "recognition", "on": "2026-02-31"})
    assert r.status_code == 422 and "日期" in r.text and "data-testid=\"form-error\"" in r.text
    with service.db.sessions() as s:
        assert s.execute(select(func.count()).select_from(Platform)).scalar_one() == 2

    # to a district user another jurisdiction's platform does not exist (the answer a made-up code gets)
    other = signed_in(service, "haining-econ")
    r = other.get("/platforms/P1")
    assert r.status_code == 404 and "没有编号为 P1 的平台" in r.text and "330402" not in r.text
    assert r.text == other.get("/platforms/P1-NONE").text.replace("P1-NONE", "P1")
    assert "嘉兴市新材料中试平台" not in other.get("/platforms").text
    assert other.get("/claims/new?platform=P1").status_code == 404
    csrf = csrf_of(other)
    assert other.post("/claims/preview", data=claim_form(csrf)).status_code == 404
    assert claims_count(service) == 0


def test_preview_shows_the_trace_then_filing_files(service: Service) -> None:
    setup_platform(service)
    clerk = signed_in(service, "nanhu-econ")
    csrf = csrf_of(clerk, "/claims/new?platform=P1")
    r = clerk.post("/claims/preview", data=claim_form(csrf))
    assert r.status_code == 200, r.text
    assert "试算结果（尚未申报）" in r.text and "计算过程与依据" in r.text
    assert "细则 第四章（一）(1)" in r.text  # each step cites its clause
    assert "600,000.00 元" in r.text and "60.0000 万元" in r.text  # 30% of 2,000,000 元
    assert claims_count(service) == 0  # 试算 writes nothing
    nonce = re.search(r'name="nonce" value="([^"]+)"', r.text)
    assert nonce
    filed = clerk.post("/claims/file", data={**claim_form(csrf), "nonce": nonce.group(1)}, follow_redirects=False)
    assert filed.status_code == 303, filed.text
    page = clerk.get(filed.headers["location"])
    assert "已申报" in page.text and "计算过程与依据" in page.text and "区县经信部门审核" in page.text
    # the same form sent twice (a double click) files once
    again = clerk.post("/claims/file", data={**claim_form(csrf), "nonce": nonce.group(1)}, follow_redirects=False)
    assert again.status_code == 303 and claims_count(service) == 1
    # a bad amount names the invoice row and the rule
    bad = clerk.post("/claims/preview", data=claim_form(csrf, [("X", "1", "2025-01-01", "12.345", "0")]))
    assert bad.status_code == 422 and "第1张发票的金额(不含税)" in bad.text and "最多两位小数" in bad.text
    # a refusal is shown next to its form, and nothing changes
    number = filed.headers["location"].split("?")[0].rsplit("/", 1)[1]
    r = clerk.post(f"/claims/{number}/review", data={"csrf": csrf, "department": "economic", "approve": "yes",
                                                     "opinion": "", "on": "2026-03-04"})
    assert r.status_code == 422 and "审核意见" in r.text and 'id="step-review"' in r.text
    assert "已申报" in r.text
    # the finance form is not offered to the economic department, and posting it is refused
    assert "区县财政部门审核" not in r.text
    r = clerk.post(f"/claims/{number}/review", data={"csrf": csrf, "department": "finance", "approve": "yes",
                                                     "opinion": "同意", "on": "2026-03-04"})
    assert r.status_code == 403 and "无权" in r.text
    with service.db.sessions() as s:
        assert s.execute(select(Claim.state)).scalar_one() == "filed"
    # the bureau's queue and notices pages are not the clerk's
    assert clerk.get("/bureau/queue").status_code == 403


def _wait(client: TestClient, location: str) -> dict[str, object]:
    job = location.split("?")[0].rsplit("/", 1)[1]
    deadline = time.monotonic() + 20
    while True:
        status = client.get(f"/jobs/{job}.json").json()
        if status["finished"] or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def test_invoice_import_row_errors_files_nothing_and_background_jobs(service: Service) -> None:
    setup_platform(service)
    clerk = signed_in(service, "nanhu-econ")
    csrf = csrf_of(clerk, "/claims/new?platform=P1")
    text = (HEADER + "91330400A,00010001,2023-05-10,1000000.00,130000.00\n"
            "91330400A,00010002,2024-13-01,700000,91000\n"      # row 3: no such date
            ",00020001,2025-07-01,300000.00,39000.00\n"          # row 4: issuer missing
            "91330400B,00020002,2025-07-02,12.345,0\n"           # row 5: a third decimal
            "91330400A,00010001,2023-05-10,5.00,0\n")            # row 6: duplicate of row 2
    r = clerk.post("/claims/import", data=claim_form(csrf, []),
                   files={"file": ("发票.csv", text.encode("utf-8-sig"), "text/csv")})
    assert r.status_code == 422
    errors = re.findall(r"<tr><td>第 (\d+) 行</td><td>([^<]+)</td>", r.text)
    assert errors == [("3", "开票日期"), ("4", "开票单位代码"), ("5", "金额(不含税)"), ("6", "发票号码")]
    assert "未申报" in r.text and 'data-testid="file"' not in r.text
    assert 'value="00010001"' in r.text and "00010002" not in r.text  # the good row fills the form
    assert claims_count(service) == 0
    # a file that is not the table
    r = clerk.post("/claims/import", data=claim_form(csrf, []),
                   files={"file": ("x.csv", "甲,乙\n1,2\n".encode(), "text/csv")})
    assert r.status_code == 422 and "缺少列" in r.text

    # a clean xlsx (header with full-width brackets, typed dates and numbers) fills the form
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["开票单位代码", "发票号码", "开票日期", "金额（不含税）", "税额"])
    ws.append(["91330400A", "00010001", date(2023, 5, 10), 1000000, 130000])
    ws.append(["91330400A", "00010002", "2024/06/01", 700000.5, "91000"])
    buf = io.BytesIO()
    wb.save(buf)
    r = clerk.post("/claims/import", data=claim_form(csrf, []),
                   files={"file": ("发票.xlsx", buf.getvalue(), "application/octet-stream")})
    assert r.status_code == 200 and "导入 2 行有效发票" in r.text
    assert 'value="700000.50"' in r.text and 'value="2023-05-10"' in r.text
    assert claims_count(service) == 0
    # a large file is read by a background job with a progress bar; so is the district's Annex 3 batch
    rows = "".join(f"9133A,{n:08d},2025-01-02,1000.00,130.00\n" for n in range(400))
    rows += "9133A,BAD,2025-01-02,abc,0\n"  # row 402
    r = clerk.post("/claims/import", data=claim_form(csrf, []),
                   files={"file": ("big.csv", (HEADER + rows).encode(), "text/csv")}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    page = clerk.get(r.headers["location"])
    assert page.status_code == 200 and "<progress" in page.text
    status = _wait(clerk, r.headers["location"])
    assert status["finished"] and not status["error"] and status["done"] == status["total"] == 401
    back = clerk.get(str(status["href"]))
    assert back.status_code == 422 and "第 402 行" in back.text and "导入 400 行有效发票" in back.text
    # another user does not see the job
    other = signed_in(service, "nanhu-fin")
    assert other.get(r.headers["location"] + ".json").status_code == 404

    clerk.post("/claims/file", data=claim_form(csrf))
    r = clerk.get("/annex3/batch?jurisdiction=330402", follow_redirects=False)
    assert r.status_code == 303
    status = _wait(clerk, r.headers["location"])
    assert status["finished"] and not status["error"], status
    xlsx = clerk.get(str(status["download"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert clerk.get("/annex3/batch?jurisdiction=330481").status_code == 403


def test_objection_payment_reversal_and_recovery_forms(service: Service) -> None:
    """The claim page's later forms, each offered only to whom may use it now; the claim is set up to
    the notice through the services."""
    setup_platform(service)
    with service.db.sessions.begin() as s:
        invoices = [S.InvoiceIn(a, b, date.fromisoformat(c), int(d.replace(",", "").split(".")[0]) * 100, 0)
                    for a, b, c, d, _ in INVOICES]
        number = S.file_claim(s, platform_code="P1", program="equipment-subsidy", application_date=date(2026, 3, 2),
                              invoices=invoices, actor="nanhu-econ").claim
        S.review(s, claim_number=number, department="economic", approve=True, opinion="同意", on=date(2026, 3, 4))
        S.review(s, claim_number=number, department="finance", approve=True, opinion="同意", on=date(2026, 3, 5))
        S.record_audit(s, claim_number=number, firm="所", report_number="审1", on=date(2026, 3, 20), years={})
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="纪要5号", actor="bureau")
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示", actor="bureau")
    page = f"/claims/{number}"
    bureau = signed_in(service, "bureau")
    csrf = csrf_of(bureau, page)
    text = bureau.get(page).text
    assert "公示中" in text and 'id="step-objection"' in text and 'id="step-issue"' in text
    # an objection outside the notice window is refused next to its form
    r = bureau.post(f"{page}/objection", data={"csrf": csrf, "filed": "2026-04-20", "content": "迟到"})
    assert r.status_code == 409 and 'id="step-objection"' in r.text and "公示5个工作日" in r.text
    r = bureau.post(f"{page}/objection", data={"csrf": csrf, "filed": "2026-04-03", "objector": "某公司",
                                               "content": "发票疑似重复"}, follow_redirects=True)
    assert "公示有异议" in r.text and "处理异议" in r.text and 'id="step-issue"' not in r.text
    oid = re.search(r"/objections/(\d+)/resolve", r.text)
    assert oid
    r = bureau.post(f"{page}/objections/{oid.group(1)}/resolve",
                    data={"csrf": csrf, "upheld": "no", "on": "2026-04-08", "resolution": "经核实不成立"},
                    follow_redirects=True)
    assert "异议不成立" in r.text and "公示中" in r.text
    r = bureau.post(f"{page}/issue", data={"csrf": csrf, "document_number": "嘉经信〔2026〕30号", "on": "2026-04-09"})
    assert r.status_code == 409 and "2026-04-09" in r.text  # the notice runs through its last day
    r = bureau.post(f"{page}/issue", data={"csrf": csrf, "document_number": "嘉经信〔2026〕30号", "on": "2026-04-10"},
                    follow_redirects=True)
    assert "已下达" in r.text and 'id="step-pay"' not in r.text

    # the district pays part of its share, then reverses it; a payment above the share is refused
    district = signed_in(service, "nanhu-fin")
    dcsrf = csrf_of(district, page)
    text = district.get(page).text
    assert 'name="amount" value="300000.00"' in text and "南湖区财政局" in text
    r = district.post(f"{page}/pay", data={"csrf": dcsrf, "payer": "330402", "voucher_number": "NH-1",
                                           "on": "2026-04-20", "amount": "300000.01"})
    assert r.status_code == 409 and "拨付不得超过该财政应付份额" in r.text
    r = district.post(f"{page}/pay", data={"csrf": dcsrf, "payer": "330400", "voucher_number": "NH-1",
                                           "on": "2026-04-20", "amount": "1.00"})
    assert r.status_code == 403  # not the district's payer
    r = district.post(f"{page}/pay", data={"csrf": dcsrf, "payer": "330402", "voucher_number": "NH-1",
                                           "on": "2026-04-20", "amount": "100,000"}, follow_redirects=True)
    # prepared (制单), not paid: nothing counts until another finance user of 南湖区 confirms it (复核)
    assert "已制单（NH-1），待本级财政另一名用户复核后计入拨付" in r.text
    pid = re.search(r'data-payment="(\d+)"', r.text)
    assert pid
    pay_id = pid.group(1)
    assert 'data-testid="outstanding-330402"' in r.text and "600,000.00" in r.text  # the share still unpaid
    assert "可制单 200,000.00" in r.text  # what is left to prepare: the prepared payment is taken out
    assert "待复核</strong>（未计入拨付）" in r.text and "nanhu-fin" in r.text  # listed with its preparer
    # the preparer is told they cannot confirm it, and where the payer's other users do; no confirm form
    assert f'data-testid="own-pending-{pay_id}"' in r.text and "您不能复核本人制单的拨付" in r.text
    assert 'href="/finance/queue"' in r.text and f"/payments/{pay_id}/confirm" not in r.text
    assert "冲销拨付 NH-1" not in r.text  # nothing posted, nothing to reverse
    r = district.post(f"{page}/payments/{pay_id}/confirm", data={"csrf": dcsrf, "on": "2026-04-20"})
    assert r.status_code == 409 and "经办与复核分离" in r.text and "nanhu-fin 制单" in r.text
    # a finance user of another payer (the city) sees the payment awaiting 复核 but may not confirm it
    city = signed_in(service, "city-fin")
    ccsrf = csrf_of(city, page)
    text = city.get(page).text
    assert "待复核</strong>" in text and f"/payments/{pay_id}/confirm" not in text
    r = city.post(f"{page}/payments/{pay_id}/confirm", data={"csrf": ccsrf, "on": "2026-04-20"})
    assert r.status_code == 403
    # the second finance user of 南湖区 confirms it on the claim page: now it counts
    checker = signed_in(service, "nanhu-fin2")
    kcsrf = csrf_of(checker, page)
    text = checker.get(page).text
    assert f'data-testid="confirm-{pay_id}"' in text and "nanhu-fin 于 2026年4月20日 制单" in text
    r = checker.post(f"{page}/payments/{pay_id}/confirm", data={"csrf": kcsrf, "on": "2026-04-19"})
    assert r.status_code == 422 and "拨付复核日期 2026-04-19 早于拨付制单日期 2026-04-20" in r.text
    assert f'id="step-confirm-{pay_id}"' in r.text and "经办流程" in r.text  # next to its form, with the rule
    r = checker.post(f"{page}/payments/{pay_id}/confirm", data={"csrf": kcsrf, "on": "2026-04-20"},
                     follow_redirects=True)
    assert f"已复核拨付#{pay_id}，计入拨付，尚余 500,000.00 元未拨付" in r.text and "冲销拨付 NH-1" in r.text
    assert "nanhu-fin2（已计入拨付）" in r.text
    r = district.post(f"{page}/payments/{pay_id}/reverse",
                      data={"csrf": dcsrf, "on": "2026-04-21", "reason": "凭证录错"}, follow_redirects=True)
    assert "已冲销该笔拨付" in r.text and "冲销拨付" in r.text

    # the city pays its share in full (制单 by one city finance user, 复核 by the other at the finance queue)
    r = city.post(f"{page}/pay", data={"csrf": ccsrf, "payer": "330400", "voucher_number": "SZ-1",
                                       "on": "2026-04-22", "amount": "300000.00"}, follow_redirects=True)
    assert "已制单（SZ-1）" in r.text and 'id="step-pay"' not in r.text  # nothing of the city's share left to prepare
    city2 = signed_in(service, "city-fin2")
    queue = city2.get("/finance/queue").text
    sz = re.search(r'action="/finance/confirm/(\d+)"', queue)
    assert sz and "city-fin" in queue
    r = city2.post(f"/finance/confirm/{sz.group(1)}", data={"csrf": csrf_of(city2, "/finance/queue"),
                                                            "on": "2026-04-22"}, follow_redirects=True)
    assert f"已复核拨付 {number}" in r.text
    r = bureau.post(f"{page}/recover", data={"csrf": csrf, "payer": "330400", "amount": "50000", "on": "2026-05-06",
                                             "document_number": "追〔2026〕1号", "reason": "虚报设备"},
                    follow_redirects=True)
    assert "已下达追回" in r.text and "已追回" in r.text
    r = city.get(page)
    rid = re.search(r"/recoveries/(\d+)/receive", r.text)
    assert rid
    r = city.post(f"{page}/recoveries/{rid.group(1)}/receive", data={"csrf": ccsrf, "amount": "20000",
                                                                      "on": "2026-05-10"}, follow_redirects=True)
    assert "已记录追回款到账" in r.text and "20,000.00 元" in r.text
    with service.db.sessions() as s:
        assert s.execute(select(Claim.state)).scalar_one() == "recovered"
