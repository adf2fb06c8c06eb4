"""The December notice on the pages: 截止日暂定 and a Chinese refusal of fund issue; the administrator
loads next year's holiday notice and is told which end date moved; the notice shows the change,
公示中 / 公示期满 / 待下达 from today's date, the bureau's queue lists it as due, and fund issue proceeds."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from ledger import services as S
from tests.app.conftest import Service
from tests.app.test_pages_finance_audit import AUDITED, _invoices, csrf_of, page, sign_in, state_of
from tests.ledger.test_notice_recompute import HOLIDAYS_2027
from tests.ledger.world import run_to_audited

TITLE = "2026年第四批中试平台补助公示"


def _december_notice(service: Service) -> str:
    db = service.db
    with db.sessions.begin() as s:
        S.create_platform(s, code="P1", name="新材料中试平台", jurisdiction="330402", operator="新材料运营公司")
        S.add_platform_event(s, "P1", kind="pool-entry", on=date(2025, 3, 1), document_number="嘉经信〔2025〕12号")
        S.add_platform_event(s, "P1", kind="recognition", on=date(2026, 2, 10), level="provincial",
                             document_number="浙经信〔2026〕8号")
        for payer in ("330400", "330402"):
            S.appropriate(s, payer=payer, fiscal_year=2026, program="equipment-subsidy", amount_fen=3_000_000_00,
                          on=date(2026, 1, 5), document_number="2026预算")
    number = run_to_audited(db, code="P1", years=AUDITED, invoices=_invoices("77"))
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 12, 21), minutes_number="党组会〔2026〕21号",
                  actor="bureau")
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 12, 28), title=TITLE, actor="bureau")
    return number


def _today(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    monkeypatch.setattr("app.pages.bureau._today", lambda: day)


def _tags(html: str) -> list[str]:
    return re.findall(r'data-testid="notice-state">([^<]*)<', html)


def _issue(client: Any, number: str, on: str) -> Any:
    html = page(client, f"/claims/{number}")
    return client.post(f"/claims/{number}/issue", data={"csrf": csrf_of(html), "document_number": "嘉经信〔2027〕1号",
                                                         "on": on})


def test_december_notice_is_settled_by_loading_next_years_holidays(service: Service,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    number = _december_notice(service)
    _today(monkeypatch, date(2027, 1, 8))
    bureau, finance, admin = (sign_in(service, u) for u in ("bureau", "city-fin", "admin"))

    html = page(bureau, "/bureau/notices")
    assert "2027年1月4日" in html and _tags(html) == ["截止日暂定"]  # pages write dates in Chinese
    assert number not in page(bureau, "/bureau/queue").split('data-testid="queue-notices-due"')[1]

    r = _issue(finance, number, "2027-01-08")
    assert r.status_code == 409
    box = r.text.split('data-testid="form-error"')[1].split("</div>")[0]
    assert TITLE in box and "2027-01-04" in box and "暂定" in box and "节假日安排" in box
    assert "第二章 三" in box and "开票日期" not in box
    assert state_of(service, number) == "in_notice"

    r = admin.post("/admin/holidays", data={"csrf": csrf_of(page(admin, "/admin/holidays")), "source": "2027.yaml",
                                            "text": HOLIDAYS_2027})
    assert r.status_code == 200
    assert f"“{TITLE}”2027年1月4日（暂定） → 2027年1月5日" in r.text  # the flash names the moved notice
    changes = r.text.split('data-testid="notice-end-changes"')[1].split("</section>")[0]
    assert TITLE in changes and "2027年1月4日（暂定）" in changes and "2027年1月5日" in changes and "admin" in changes

    # loading it again moves nothing
    r = admin.post("/admin/holidays", data={"csrf": csrf_of(page(admin, "/admin/holidays")), "source": "2027.yaml",
                                            "text": HOLIDAYS_2027})
    assert "没有公示的截止日因此变更" in r.text

    _today(monkeypatch, date(2027, 1, 5))
    html = page(bureau, f"/claims/{number}")
    assert re.search(r'data-testid="notice-end">2027年1月5日<', html) and _tags(html) == ["公示中"]
    moved = html.split('data-testid="notice-changes"')[1].split("</ul>")[0]
    assert "2027年1月4日（暂定） → 2027年1月5日" in moved and "2027 年节假日安排" in moved
    r = _issue(finance, number, "2027-01-05")
    assert r.status_code == 409 and "2027-01-06" in r.text and state_of(service, number) == "in_notice"

    _today(monkeypatch, date(2027, 1, 6))  # nobody touched the notice: it has ended by the calendar
    assert _tags(page(bureau, f"/claims/{number}")) == ["公示期满", "待下达"]
    assert _tags(page(bureau, "/bureau/notices")) == ["公示期满", "待下达"]
    due = page(bureau, "/bureau/queue").split('data-testid="queue-notices-due"')[1]
    assert number in due and TITLE in due

    r = _issue(finance, number, "2027-01-06")
    assert r.status_code == 200 and "已下达资金" in r.text and state_of(service, number) == "issued"
    assert _tags(page(bureau, f"/claims/{number}")) == ["公示期满"]
    assert number not in page(bureau, "/bureau/queue").split('data-testid="queue-notices-due"')[1]
