"""A provincial claim (省级资金) through the API and the claim page: only the steps of its procedure are
offered — to the city's finance the allocation, the transfer's receipt and the pass-on; no 党组会, 公示 or
下达 form to anyone — and the district's finance pays it in full."""

from __future__ import annotations

from datetime import date

from ledger import services as S
from tests.app.conftest import Service
from tests.app.flow import V1
from tests.app.test_pages_forms import csrf_of, signed_in


def _claim(service: Service) -> str:
    with service.db.sessions.begin() as s:
        S.create_platform(s, code="ZJ1", name="省级新认定平台", jurisdiction="330402")
        S.add_platform_event(s, "ZJ1", kind="recognition", on=date(2026, 2, 10), level="provincial")
        number = S.file_claim(s, platform_code="ZJ1", program="zj-new-provincial", application_date=date(2026, 3, 2),
                              recorded_amount_fen=3_000_000_00, actor="prep").claim
        for department in ("economic", "finance"):
            S.review(s, claim_number=number, department=department, approve=True, opinion="同意",
                     on=date(2026, 3, 4), actor="reviewer")
    return number


def test_a_provincial_claim_offers_only_its_own_steps(service: Service) -> None:
    number = _claim(service)
    detail = service.api("bureau").get(f"{V1}/claims/{number}").json()
    assert (detail["procedure"], detail["next_steps"]) == ("provincial", ["allocate"])
    bureau = signed_in(service, "bureau")
    page = bureau.get(f"/claims/{number}").text
    assert "submit-approve" not in page and "submit-allocate" not in page  # not the bureau's step
    fin = signed_in(service, "city-fin")
    csrf = csrf_of(fin, f"/claims/{number}")
    assert "submit-allocate" in fin.get(f"/claims/{number}").text
    for step, extra, message in (("allocate", {"amount": "3,000,000.00"}, "已录入省级下达"),
                                 ("receive-transfer", {}, "已记录上级转移支付到账"),
                                 ("pass-on", {}, "已转拨区县（市）财政")):
        r = fin.post(f"/claims/{number}/{step}", data={"csrf": csrf, "document_number": f"文{step}",
                                                        "on": "2026-04-01", **extra})
        assert r.status_code < 400 and message in r.text, (step, r.status_code, r.text[:500])
    detail = service.api("auditor").get(f"{V1}/claims/{number}").json()
    assert detail["state"] == "passed_on" and detail["outstanding"] == {"330402": "3000000.00"}
    assert [e["action"] for e in detail["events"]][-3:] == ["allocate", "receive-transfer", "pass-on"]
    page = signed_in(service, "nanhu-fin").get(f"/claims/{number}").text
    assert "submit-pay" in page and "submit-issue" not in page
    r = service.api("nanhu-fin").post(f"{V1}/claims/{number}/payments", headers={"Idempotency-Key": "zj-pay-1"},
                                      json={"payer": "330402", "voucher_number": "V1", "on": "2026-04-02",
                                            "amount": "3000000.00"})
    assert r.status_code == 201, r.text
    assert service.api("auditor").get(f"{V1}/claims/{number}").json()["state"] == "passed_on"  # 制单 only
    r = service.api("nanhu-fin2").post(f"{V1}/payments/{r.json()['payment']}/confirmation",
                                       headers={"Idempotency-Key": "zj-confirm-1"}, json={"on": "2026-04-03"})
    assert r.status_code < 300, r.text
    assert service.api("auditor").get(f"{V1}/claims/{number}").json()["state"] == "paid"
