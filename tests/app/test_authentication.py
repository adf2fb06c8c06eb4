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


READS = ("/claims", "/claims/SQ2026-000001", "/platforms/P1", "/me")


@pytest.mark.parametrize("why", ["expired", "inactive", "signed-out"])
def test_reads_refuse_a_token_at_once(service: Service, why: str) -> None:
    """The token is looked up on every request (no cache): a token past its expiry, a deactivated user or
    a signed-out token is refused by the next read, after the same token was just accepted."""
    from datetime import UTC, datetime, timedelta

    from ledger.models import User

    secret = service.token("bureau")
    client = service.client
    headers = {"Authorization": f"Bearer {secret}"}
    assert all(client.get(V1 + path, headers=headers).status_code in (200, 404) for path in READS)
    with service.db.sessions.begin() as s:
        mine = UserSession.token_hash == digest(secret)
        if why == "expired":
            s.execute(update(UserSession).where(mine).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        elif why == "inactive":
            s.execute(update(User).where(User.username == "bureau").values(active=False))
        else:
            s.execute(update(UserSession).where(mine).values(revoked=True))
    for path in READS:
        r = client.get(V1 + path, headers=headers)
        assert r.status_code == 401 and r.json()["error"]["rule"] == "登录", (why, path, r.text[:200])
