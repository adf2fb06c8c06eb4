"""The OpenAPI document describes every JSON response exactly (app/responses.py), and the actions' output
matches those models key for key."""

from __future__ import annotations

from typing import Any, get_args

from fastapi import FastAPI
from pydantic import BaseModel

from app import responses as Out
from app.main import create_app
from tests.app.conftest import Service
from tests.app.flow import (
    V1,
    approve_and_notice,
    file_claim,
    get,
    pay,
    post,
    setup_budgets,
    setup_platform,
    to_audited,
)


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _is_typed(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A model with declared properties and no undeclared ones, or an array of such models."""
    schema = _resolve(doc, schema)
    if schema.get("type") == "array":
        return _is_typed(doc, schema["items"])
    return bool(schema.get("properties")) and schema.get("additionalProperties") is False


def test_every_json_route_declares_a_typed_response(tmp_path: Any) -> None:
    app: FastAPI = create_app(f"sqlite:///{tmp_path / 'doc.db'}")
    doc = app.openapi()
    json_routes = 0
    for path, item in doc["paths"].items():
        if not path.startswith(V1):
            continue
        for method, op in item.items():
            ok = {code: r for code, r in op["responses"].items() if code.startswith("2")}
            assert ok, f"{method.upper()} {path} declares no success response"
            for code, response in ok.items():
                content = response.get("content", {})
                assert content, f"{method.upper()} {path} {code} declares no content"
                if "application/json" not in content:  # the xlsx downloads
                    assert set(content) == {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
                    continue
                json_routes += 1
                assert _is_typed(doc, content["application/json"]["schema"]), \
                    f"{method.upper()} {path} {code}: response is not a typed model"
    assert json_routes >= 34
    for name, schema in doc["components"]["schemas"].items():
        if name.endswith("Out"):
            assert schema.get("description"), f"{name} has no description"
            assert schema.get("additionalProperties") is False, f"{name} allows undeclared keys"


def test_closed_vocabularies_match_the_ledger() -> None:
    from calculators.results import STATUSES
    from ledger.models import CLAIM_STATES, USER_ROLES
    from ledger.queries import STATE_ACCOUNTS

    assert tuple(s.value for s in Out.ClaimState) == CLAIM_STATES  # the states, declared once
    assert get_args(Out.Role) == USER_ROLES
    assert get_args(Out.ResultStatus) == STATUSES
    assert list(Out.StageBalancesOut.model_fields) == list(STATE_ACCOUNTS)


def _every_field_set(model: BaseModel, where: str = "ClaimOut") -> None:
    """Every declared field came from the JSON (none filled by a default), at every depth."""
    missing = set(type(model).model_fields) - model.model_fields_set
    assert not missing, f"{where}: {sorted(missing)} not in the response"
    for name in type(model).model_fields:
        value = getattr(model, name)
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(item, BaseModel):
                _every_field_set(item, f"{where}.{name}[{i}]")


def test_claim_detail_validates_against_claim_out(service: Service) -> None:
    """A claim with every part filled in — reviews, audit, approval, notice, a dismissed objection, fund
    issue, payments, a recovery — validates against ClaimOut with every key present, and the model gives
    back exactly the JSON the route sent."""
    setup_platform(service)
    setup_budgets(service)
    number = file_claim(service)
    to_audited(service, number)
    approve_and_notice(service, number)
    bureau = service.api("bureau")
    objection = post(bureau, f"/claims/{number}/objections", {"filed": "2026-04-02", "content": "异议"}, 201)
    post(bureau, f"/objections/{objection['objection']}/resolution",
         {"upheld": False, "on": "2026-04-03", "resolution": "不成立"}, 200)
    city_fin = service.api("city-fin")
    post(city_fin, f"/claims/{number}/fund-issue", {"document_number": "下达", "on": "2026-04-10"}, 200)
    pay(service, "city-fin", number,
         {"payer": "330400", "voucher_number": "SZ-1", "on": "2026-04-15", "amount": "292500.00"})
    post(bureau, f"/claims/{number}/recoveries",
         {"payer": "330400", "amount": "100.00", "on": "2026-06-01", "reason": "部分发票虚假"}, 201)

    body = get(bureau, f"/claims/{number}")
    claim = Out.ClaimOut.model_validate(body)
    _every_field_set(claim)
    assert claim.approval and claim.notice and claim.fund_issue and claim.result  # every part is there
    assert claim.reviews and claim.audits and claim.objections and claim.payments and claim.recoveries
    assert claim.model_dump(mode="json", by_alias=True) == body
    assert list(body) == [f.alias or name for name, f in Out.ClaimOut.model_fields.items()]  # same key order
