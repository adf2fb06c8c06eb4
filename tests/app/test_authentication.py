"""Every API route refuses an unknown or revoked bearer token with 401 and changes nothing.

API reads look their token up lazily, inside the route's first read session (app.deps.api_context), so
a route that forgot to read or to authorise would answer without anyone signed in. This walks every
route of the app instead of trusting each one."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select, update

from app.security import digest
from ledger.models import ActionRecord, JournalEntry, UserSession
from tests.app.conftest import Service

V1 = "/api/v1"
OPEN = {f"{V1}/ping", f"{V1}/auth/token"}
PATH_VALUES = {"number": "SQ2026-000001", "code": "P1", "payer": "330402", "jurisdiction": "330402", "year": "2026"}


def _value(schema: dict[str, Any]) -> str:
    kinds = [schema, *schema.get("anyOf", [])]
    if any(k.get("format") == "date" for k in kinds):
        return "2026-01-01"
    if any(k.get("type") == "integer" for k in kinds):
        return "1"
    return "330402"


def _api_routes(service: Service) -> list[tuple[str, str, dict[str, str]]]:
    """Every operation the OpenAPI document lists under /api/v1, with its path and required query
    parameters filled in (so that what is checked is the token, not the request's shape)."""
    out = []
    for template, operations in service.app.openapi()["paths"].items():
        if template.startswith(V1) and template not in OPEN:
            path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "1"), template)
            for method, op in sorted(operations.items()):
                query = {p["name"]: _value(p.get("schema", {})) for p in op.get("parameters", [])
                         if p["in"] == "query" and p.get("required")}
                out.append((method.upper(), path, query))
    return out


def _counts(service: Service) -> tuple[int, int]:
    with service.db.sessions() as s:
        return (s.execute(select(func.count()).select_from(ActionRecord)).scalar_one(),
                s.execute(select(func.count()).select_from(JournalEntry)).scalar_one())


@pytest.mark.parametrize("token", ["unknown", "revoked"])
def test_every_api_route_refuses_a_bad_token(service: Service, token: str) -> None:
    if token == "revoked":
        secret = service.token("bureau")
        with service.db.sessions.begin() as s:
            s.execute(update(UserSession).where(UserSession.token_hash == digest(secret)).values(revoked=True))
    else:
        secret = "not-a-token-of-anyone"
    routes = _api_routes(service)
    assert len(routes) > 40  # the walk reaches the whole API, writes and reads
    before = _counts(service)
    client = service.client
    for method, path, query in routes:
        r = client.request(method, path, params=query, headers={"Authorization": f"Bearer {secret}"},
                           json={} if method != "GET" else None)
        assert r.status_code == 401, (method, path, r.status_code, r.text[:200])
        assert r.json()["error"]["rule"] == "登录", (method, path)
    assert _counts(service) == before


def _spoil(service: Service, secret: str, why: str) -> None:
    """Make ``secret`` (bureau's token) stop working: ``expired``, ``inactive`` (its user) or ``signed-out``."""
    from datetime import UTC, datetime, timedelta

    from ledger.models import User

    with service.db.sessions.begin() as s:
        mine = UserSession.token_hash == digest(secret)
        if why == "expired":
            s.execute(update(UserSession).where(mine).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        elif why == "inactive":
            s.execute(update(User).where(User.username == "bureau").values(active=False))
        else:
            s.execute(update(UserSession).where(mine).values(revoked=True))


READS = ("/claims", "/claims/SQ2026-000001", "/platforms/P1", "/me")


@pytest.mark.parametrize("why", ["expired", "inactive", "signed-out"])
def test_reads_refuse_a_token_at_once(service: Service, why: str) -> None:
    """The token is looked up on every request (no cache): a token past its expiry, a deactivated user or
    a signed-out token is refused by the next read, after the same token was just accepted."""
    secret = service.token("bureau")
    client = service.client
    headers = {"Authorization": f"Bearer {secret}"}
    assert all(client.get(V1 + path, headers=headers).status_code in (200, 404) for path in READS)
    _spoil(service, secret, why)
    for path in READS:
        r = client.get(V1 + path, headers=headers)
        assert r.status_code == 401 and r.json()["error"]["rule"] == "登录", (why, path, r.text[:200])


def _two_jurisdictions(service: Service) -> tuple[str, str]:
    """A claim in 南湖区 (330402) and one in 海宁市 (330481)."""
    from tests.app.flow import INVOICES, file_claim, setup_platform

    setup_platform(service, "P1", "330402", "nanhu-econ")
    setup_platform(service, "P2", "330481", "haining-econ")
    other = [{**invoice, "issuer_code": invoice["issuer_code"] + "H"} for invoice in INVOICES]
    return file_claim(service, "P1", "nanhu-clerk"), file_claim(service, "P2", "haining-econ", invoices=other)


@pytest.mark.parametrize("why", ["expired", "inactive", "signed-out"])
def test_reads_that_carry_the_token_check_refuse_it_at_once(service: Service, why: str) -> None:
    """The claim, the platform and the claim list check the token inside their own statement (and the list
    shapes its statement by whom the token was last found to be): after the token was accepted on each —
    so every guess is warm — it is refused by the very next read, found or not found, on every page."""
    nanhu, _ = _two_jurisdictions(service)
    secret = service.token("bureau")
    client = service.client
    headers = {"Authorization": f"Bearer {secret}"}
    reads = (f"/claims/{nanhu}", "/claims/SQ1999-000001", "/platforms/P1", "/platforms/NONE", "/claims",
             "/claims?page=999", "/claims?state=filed&platform=P1&program=equipment-subsidy")
    for _ in range(2):
        assert [client.get(V1 + p, headers=headers).status_code for p in reads] == [200, 404, 200, 404, 200, 200, 200]
    _spoil(service, secret, why)
    for path in reads:
        r = client.get(V1 + path, headers=headers)
        assert r.status_code == 401 and r.json()["error"]["rule"] == "登录", (why, path, r.text[:200])


def test_the_claim_list_follows_a_changed_scope_at_once(service: Service) -> None:
    """The claim list shapes its statement by whom the token was last found to be (a guess, checked in the
    same statement): a user moved to another jurisdiction sees that jurisdiction's claims by the very next
    read, never the old one's; and the claim and platform pages follow too."""
    from ledger.models import User

    nanhu, haining = _two_jurisdictions(service)
    client = service.api("nanhu-econ")
    for _ in range(2):
        assert [c["number"] for c in client.get(f"{V1}/claims").json()["items"]] == [nanhu]
        assert client.get(f"{V1}/claims/{nanhu}").status_code == 200
        assert client.get(f"{V1}/claims/{haining}").status_code == 404
    with service.db.sessions.begin() as s:
        s.execute(update(User).where(User.username == "nanhu-econ").values(jurisdiction_code="330481"))
    page = client.get(f"{V1}/claims").json()
    assert [c["number"] for c in page["items"]] == [haining] and page["total"] == 1
    assert client.get(f"{V1}/claims/{nanhu}").status_code == 404
    assert client.get(f"{V1}/claims/{haining}").status_code == 200
    assert client.get(f"{V1}/platforms/P1").status_code == 404
    # and a city-level user sees both, whatever a district user's token was last found to be
    assert client.get(f"{V1}/claims?jurisdiction=330402").status_code == 403
    assert {c["number"] for c in service.api("bureau").get(f"{V1}/claims").json()["items"]} == {nanhu, haining}
