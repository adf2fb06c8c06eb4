"""Helpers for the API tests: calls that assert their status, and a claim taken through the API.

Each step is taken by the user the procedure names: the district's economic department files (one
clerk) and reviews (another: 经办与复核分离) first, its finance department second; the city bureau audits, approves, publishes the
notice and hears objections; the city finance bureau issues funds; each payer's finance pays.
"""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.app.conftest import Service

V1 = "/api/v1"
_keys = itertools.count(1)

# 2023–2025 equipment, audited at 1,950,000 → 30 % = 585,000, split half city, half 南湖区
INVOICES = [
    {"issuer_code": "91330400A", "number": "00010001", "date": "2023-05-10", "net": "1000000.00",
     "vat": "130000.00"},
    {"issuer_code": "91330400A", "number": "00010002", "date": "2024-06-01", "net": "700000.00", "vat": "91000.00"},
    {"issuer_code": "91330400B", "number": "00020001", "date": "2025-07-01", "net": "300000.00", "vat": "39000.00"},
]
AUDITED_YEARS = {"2023": "1000000.00", "2024": "700000.00", "2025": "250000.00"}


def call(client: TestClient, method: str, path: str, body: Any = None, *, status: int | None = None,
         key: str | None = None, params: dict[str, Any] | None = None) -> Any:
    """One request; asserts ``status`` when given and returns the JSON body."""
    headers = {"Idempotency-Key": key} if key else {}
    r = client.request(method, V1 + path, json=body, headers=headers, params=params)
    if status is not None:
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
    assert r.status_code < 500, f"{method} {path}: {r.status_code} {r.text}"
    return r.json() if r.headers.get("content-type", "").startswith("application/json") else r.content


def post(client: TestClient, path: str, body: Any, status: int | None = None, *, key: str | None = None) -> Any:
    return call(client, "POST", path, body, status=status, key=key or f"k-{next(_keys)}")


def get(client: TestClient, path: str, status: int = 200, **params: Any) -> Any:
    return call(client, "GET", path, status=status, params=params or None)


def counts(service: Service) -> dict[str, Any]:
    """Row counts of every table, each claim's state, every budget and user: what a refused call must
    leave unchanged (one round trip for the counts — the permission walk calls this hundreds of times)."""
    from ledger.models import Base, Budget, Claim, User

    tables = [t for t in Base.metadata.sorted_tables
              if t.name not in ("action_log", "user_sessions", "alembic_version")]  # refusals are logged
    with service.db.sessions() as s:
        row = s.execute(select(*[select(func.count()).select_from(t).scalar_subquery().label(t.name)
                                 for t in tables])).one()
        out: dict[str, Any] = dict(row._mapping)
        out["claim states"] = dict(s.execute(select(Claim.number, Claim.state)).all())
        out["budget rows"] = sorted(s.execute(select(Budget.payer_code, Budget.fiscal_year, Budget.program,
                                                 Budget.appropriation_fen)).all())
        out["user rows"] = sorted(s.execute(select(User.username, User.role, User.failed_logins)).all())
    return out


def journal_count(service: Service) -> int:
    from ledger.models import JournalEntry

    with service.db.sessions() as s:
        return int(s.execute(select(func.count(JournalEntry.id))).scalar_one())


def setup_platform(service: Service, code: str = "P1", jurisdiction: str = "330402",
                   econ: str = "nanhu-econ") -> None:
    """A platform in the R&D pool since 2025, recognised provincial in February 2026."""
    c = service.api(econ)
    post(c, "/platforms", {"code": code, "name": f"嘉兴市新材料中试平台{code}", "jurisdiction": jurisdiction,
                           "operator": "嘉兴某新材料科技有限公司"}, 201)
    post(c, f"/platforms/{code}/events", {"kind": "pool-entry", "on": "2025-03-01",
                                          "document_number": "嘉经信〔2025〕12号"}, 201)
    post(c, f"/platforms/{code}/events", {"kind": "recognition", "on": "2026-02-10", "level": "provincial",
                                          "document_number": "浙经信〔2026〕8号"}, 201)


def setup_budgets(service: Service, *, district_fin: str = "nanhu-fin", district_payer: str = "330402",
                  amount: str = "3000000.00", year: int = 2026) -> None:
    for user, payer in (("city-fin", "330400"), (district_fin, district_payer)):
        post(service.api(user), "/budgets", {"payer": payer, "fiscal_year": year, "program": "equipment-subsidy",
                                             "amount": amount, "on": f"{year}-01-05",
                                             "document_number": f"{year}预算"}, 201)


def file_claim(service: Service, code: str = "P1", econ: str = "nanhu-clerk", *,
               invoices: list[dict[str, str]] | None = None, application_date: str = "2026-03-02") -> str:
    out = post(service.api(econ), "/claims", {"platform": code, "program": "equipment-subsidy",
                                              "application_date": application_date,
                                              "invoices": INVOICES if invoices is None else invoices}, 201)
    assert out["state"] == "filed"
    return str(out["claim"])


def to_audited(service: Service, number: str, econ: str = "nanhu-econ", fin: str = "nanhu-fin",
               years: dict[str, str] | None = None) -> None:
    out = post(service.api(econ), f"/claims/{number}/reviews",
               {"department": "economic", "approve": True, "opinion": "材料齐全，同意上报", "on": "2026-03-04"})
    assert out["state"] == "econ_reviewed"
    out = post(service.api(fin), f"/claims/{number}/reviews",
               {"department": "finance", "approve": True, "opinion": "同意", "on": "2026-03-05"})
    assert out["state"] == "district_reviewed"
    out = post(service.api("bureau"), f"/claims/{number}/audit",
               {"firm": "嘉兴某会计师事务所", "report_number": f"审{number}", "on": "2026-03-20",
                "years": AUDITED_YEARS if years is None else years})
    assert out["state"] == "audited"


CHECKERS = {"city-fin": "city-fin2", "nanhu-fin": "nanhu-fin2"}
"""Each payer's second finance user, who confirms (复核) what the first prepares (制单)."""


def pay(service: Service, user: str, number: str, body: dict[str, Any], status: int = 201) -> Any:
    """A payment prepared by ``user`` and confirmed by the payer's second user: the confirmation's answer
    (a refused preparation's error when ``status`` is not 201)."""
    out = post(service.api(user), f"/claims/{number}/payments", body, status)
    if status != 201 or out["confirmed"]:
        return out
    return post(service.api(CHECKERS[user]), f"/payments/{out['payment']}/confirmation", {"on": body["on"]}, 200)


def issued_claim(service: Service) -> str:
    """P1 with budgets and a claim taken through the API to fund issue (2026-04-10)."""
    setup_platform(service)
    setup_budgets(service)
    number = file_claim(service)
    to_audited(service, number)
    approve_and_notice(service, number)
    post(service.api("city-fin"), f"/claims/{number}/fund-issue", {"document_number": "d", "on": "2026-04-10"}, 200)
    return number


def approve_and_notice(service: Service, number: str) -> dict[str, Any]:
    bureau = service.api("bureau")
    out = post(bureau, f"/claims/{number}/approval", {"meeting_date": "2026-03-25",
                                                      "minutes_number": "党组会〔2026〕5号"})
    assert out["state"] == "approved"
    notice = post(bureau, "/notices", {"claims": [number], "publication_date": "2026-04-01",
                                       "title": "2026年第一批中试平台补助公示"}, 201)
    return dict(notice)
