"""作废制单 through the API, the claim page and the finance queue: a prepared, unconfirmed payment withdrawn by
a finance user of its payer (with a reason and a date), its amount prepared again; the form offered only to
those allowed; another payer's user refused by the permission matrix."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from ledger.models import Payment, PaymentWithdrawal
from tests.app.conftest import Service
from tests.app.flow import get, issued_claim, journal_count, post
from tests.app.test_pages_forms import csrf_of, signed_in

_issued = issued_claim


def test_withdraw_through_the_api(service: Service) -> None:
    number = _issued(service)
    made = post(service.api("nanhu-fin"), f"/claims/{number}/payments",
                {"payer": "330402", "voucher_number": "NH-1", "on": "2026-04-15", "amount": "1000.00"}, 201)
    path = f"/payments/{made['payment']}/withdrawal"
    entries = journal_count(service)
    err = post(service.api("city-fin"), path, {"on": "2026-04-16", "reason": "错"}, 403)["error"]
    assert err["rule"] == "权限矩阵 payment.withdraw"  # another payer's finance user
    err = post(service.api("nanhu-fin2"), path, {"on": "2026-04-14", "reason": "错"}, 422)["error"]
    assert err["field"] == "on" and "作废制单日期 2026-04-14 早于拨付制单日期 2026-04-15" in err["message"]
    out = post(service.api("nanhu-fin2"), path, {"on": "2026-04-16", "reason": "金额录错"}, 200)
    assert (out["payment"], out["state"]) == (made["payment"], "issued")
    assert journal_count(service) == entries  # nothing posted
    err = post(service.api("nanhu-fin2"), f"/payments/{made['payment']}/confirmation", {"on": "2026-04-16"},
               409)["error"]
    assert err["field"] == "payment" and "作废制单" in err["message"]
    again = post(service.api("nanhu-fin"), f"/claims/{number}/payments",
                 {"payer": "330402", "voucher_number": "NH-2", "on": "2026-04-16", "amount": "1000.00"}, 201)
    done = post(service.api("nanhu-fin2"), f"/payments/{again['payment']}/confirmation", {"on": "2026-04-16"}, 200)
    assert done["confirmed"] is True
    err = post(service.api("nanhu-fin"), f"/payments/{again['payment']}/withdrawal",
               {"on": "2026-04-17", "reason": "错"}, 409)["error"]
    assert "冲销" in err["message"]
    claim = get(service.api("auditor"), f"/claims/{number}")
    assert "withdraw-payment" in [e["action"] for e in claim["events"]]


def test_withdraw_on_the_claim_page_and_the_queue(service: Service) -> None:
    number = _issued(service)
    page = f"/claims/{number}"
    district = signed_in(service, "nanhu-fin")
    r = district.post(f"{page}/pay", data={"csrf": csrf_of(district, page), "payer": "330402",
                                           "voucher_number": "NH-1", "on": "2026-04-20", "amount": "1000.00"},
                      follow_redirects=True)
    found = re.search(r'data-payment="(\d+)"', r.text)
    assert found
    pid = found.group(1)
    # the preparer and the payer's other user are offered 作废制单; the city's finance user is not
    assert f'data-testid="withdraw-{pid}"' in r.text
    assert f'data-testid="withdraw-{pid}"' in signed_in(service, "nanhu-fin2").get(page).text
    city = signed_in(service, "city-fin")
    assert f'data-testid="withdraw-{pid}"' not in city.get(page).text
    assert f'data-testid="withdraw-{pid}"' not in signed_in(service, "auditor").get(page).text
    r = city.post(f"{page}/payments/{pid}/withdraw", data={"csrf": csrf_of(city, page), "on": "2026-04-21",
                                                           "reason": "错"})
    assert r.status_code == 403
    # on the finance queue too, for the payer's users only
    assert f'action="/finance/withdraw/{pid}"' in signed_in(service, "nanhu-fin2").get("/finance/queue").text
    assert f'action="/finance/withdraw/{pid}"' not in city.get("/finance/queue").text
    csrf = csrf_of(district, page)
    r = district.post(f"{page}/payments/{pid}/withdraw", data={"csrf": csrf, "on": "2026-04-21", "reason": ""})
    assert r.status_code == 422 and f'id="step-withdraw-{pid}"' in r.text
    r = district.post(f"{page}/payments/{pid}/withdraw", data={"csrf": csrf, "on": "2026-04-21",
                                                               "reason": "<b>凭证号录错</b>"}, follow_redirects=True)
    assert r.status_code == 200 and f"已作废制单（拨付#{pid}）" in r.text, r.text[:500]
    assert "已作废制单（nanhu-fin" in r.text and f'data-testid="withdraw-{pid}"' not in r.text
    assert "作废制单" in r.text and "&lt;b&gt;凭证号录错&lt;/b&gt;" in r.text  # the history, escaped
    assert "<b>凭证号录错</b>" not in r.text
    with service.db.sessions() as s:
        assert s.execute(select(func.count(PaymentWithdrawal.id))).scalar_one() == 1
        assert s.get(Payment, int(pid)) is not None
    # prepared again, then withdrawn from the queue by the payer's other user
    r = district.post(f"{page}/pay", data={"csrf": csrf, "payer": "330402", "voucher_number": "NH-2",
                                           "on": "2026-04-21", "amount": "1000.00"}, follow_redirects=True)
    assert "已制单（NH-2）" in r.text
    checker = signed_in(service, "nanhu-fin2")
    html = checker.get("/finance/queue").text
    (pid2,) = [p for p in re.findall(r'action="/finance/withdraw/(\d+)"', html)]
    r = checker.post(f"/finance/withdraw/{pid2}", data={"csrf": csrf_of(checker, "/finance/queue"),
                                                        "on": "2026-04-22", "reason": "重复制单"})
    assert r.status_code == 200 and "已作废制单" in r.text, r.text[:500]
    assert f'action="/finance/withdraw/{pid2}"' not in r.text
