"""Property-based tests of the API against its own OpenAPI document (schemathesis, on each engine).

Every operation gets generated requests — signed in as the city bureau, on a database holding a
platform and a claim taken through its whole life — and each response must not be a server error,
must have a declared status code and content type, and must match the declared schema.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.app.conftest import Service, make_service
from tests.app.flow import (
    approve_and_notice,
    file_claim,
    issued_claim,
    pay,
    post,
    setup_platform,
    to_audited,
)
from tests.conftest import _engines, new_database

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"))  # more for a deeper run


def _load(service: Service) -> None:
    """A platform with a paid claim, a second claim in notice with an objection, and budgets."""
    number = issued_claim(service)
    pay(service, "city-fin", number,
         {"payer": "330400", "voucher_number": "SZ-1", "on": "2026-04-15", "amount": "1000.00"})
    setup_platform(service, "P2")
    second = file_claim(service, "P2", invoices=[{"issuer_code": "B", "number": "1", "date": "2024-01-05",
                                                  "net": "100000.00"}])
    to_audited(service, second, years={})
    approve_and_notice(service, second)
    post(service.api("bureau"), f"/claims/{second}/objections", {"filed": "2026-04-02", "content": "异议"}, 201)


@pytest.fixture(scope="module", params=_engines())
def fuzzed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The loaded service on each engine: SQLite, and PostgreSQL when TEST_DATABASE_URL is set (where
    column types and lengths are enforced, so it finds what SQLite lets pass)."""
    databases = new_database(request.param, request, tmp_path_factory.mktemp("fuzz"))
    db = next(databases)
    service = make_service(db)
    _load(service)
    yield service
    next(databases, None)  # drop the database


@pytest.fixture(scope="module")
def api_schema(fuzzed: Service) -> Any:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed.app)
    schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True,
                                    with_security_parameters=False)
    return schema


# known objects of the loaded data, drawn in place of generated values half of the time so that
# requests reach the business rules instead of stopping at 404
KNOWN: dict[str, list[Any]] = {
    "number": ["SQ2026-000001", "SQ2026-000002"], "claim": ["SQ2026-000001"], "code": ["P1", "P2"],
    "platform": ["P1", "P2"], "objection_id": [1], "payment_id": [1], "notice_id": [1, 2],
    "payer": ["330400", "330402", "330481"], "jurisdiction": ["330402", "330481"], "year": [2025, 2026],
    "program": ["equipment-subsidy"], "claims": [["SQ2026-000002"]],
}
USERS = ["bureau", "city-fin", "nanhu-econ", "nanhu-fin", "auditor", "admin"]


def _steer(case: Any, data: st.DataObject) -> None:
    for part in ("path_parameters", "query"):
        values = getattr(case, part)
        if values:
            for name in list(values):
                if name in KNOWN and data.draw(st.booleans()):
                    values[name] = data.draw(st.sampled_from(KNOWN[name]))
    if isinstance(case.body, dict):
        for name in list(case.body):
            if name in KNOWN and data.draw(st.booleans()):
                case.body[name] = data.draw(st.sampled_from(KNOWN[name]))


def test_api_conforms_to_its_schema(api_schema: Any, fuzzed: Service) -> None:
    """Each operation in turn, with valid and invalid generated input, as users of several roles
    (schemathesis's pytest loader does not run under this pytest, so hypothesis drives the
    operations here); all failures are collected, then reported."""
    tokens = {u: fuzzed.token(u) for u in USERS}
    failures: dict[str, str] = {}
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE))

        @given(case=cases, data=st.data())
        @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def run(case: Any, data: st.DataObject) -> None:
            _steer(case, data)
            user = data.draw(st.sampled_from(USERS))
            case.call_and_validate(headers={"Authorization": f"Bearer {tokens[user]}"}, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # one report per operation
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:3000]
    assert operations > 40
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
