"""The stored explanation per claim (审批所依据的计算, migration 0011) and the claim read built on it, on
SQLite and PostgreSQL: one row per state change, the computing steps' own results and the others carried
forward, append-only; the claim page and the API show the stored calculation even when today's
computation would differ; the API's claim read costs a fixed handful of statements."""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError

from app import actions as do
from calculators.formats import yuan, yuan_grouped
from calculators.results import ClaimResult, Share
from ledger import services as S
from ledger.explanations import decode
from ledger.models import Claim, ClaimEvent, ClaimExplanation
from tests.app.conftest import Service
from tests.app.flow import file_claim, get, issued_claim, pay, post, setup_platform
from tests.app.test_pages_forms import signed_in

COMPUTING = {"file", "audit", "approve"}


def _paid_claim(service: Service) -> str:
    """P1's claim taken through the API from filing to its city share paid."""
    number = issued_claim(service)
    share = get(service.api("bureau"), f"/claims/{number}")["approval"]["shares"]["330400"]
    pay(service, "city-fin", number, {"payer": "330400", "voucher_number": "V1", "on": "2026-04-12", "amount": share})
    return number


def _rows(service: Service, number: str) -> tuple[list[Any], list[Any]]:
    with service.db.sessions() as s:
        claim_id = s.execute(select(Claim.id).where(Claim.number == number)).scalar_one()
        events = s.execute(select(ClaimEvent).where(ClaimEvent.claim_id == claim_id).order_by(ClaimEvent.id)).scalars()
        stored = s.execute(select(ClaimExplanation).where(ClaimExplanation.claim_id == claim_id)
                           .order_by(ClaimExplanation.id)).scalars()
        return list(events), list(stored)


def test_an_explanation_is_stored_at_every_state_change(service: Service) -> None:
    number = _paid_claim(service)
    events, stored = _rows(service, number)
    # one row per state change, with that change's state, step and date
    assert [(e.to_state, e.action, e.date) for e in events] == [(x.state, x.action, x.date) for x in stored]
    assert {"file", "audit", "approve", "notice", "issue", "prepare-payment", "pay"} <= {x.action for x in stored}
    by_action = {x.action: x for x in stored}
    for x in stored:
        if x.action in COMPUTING:  # a step that computes stores its own result …
            assert (x.basis_action, x.basis_date) == (x.action, x.date)
        else:  # … every other step carries the latest one forward
            earlier = [y for y in stored if y.id < x.id and y.action in COMPUTING][-1]
            assert (x.basis_action, x.basis_date, x.result) == (earlier.action, earlier.date, earlier.result)
    # the approval's row is the result the approval rested on: its payable is the approval's computed amount
    approval = get(service.api("auditor"), f"/claims/{number}")["approval"]
    result = decode(by_action["approve"].result)
    assert (result.claim_id, yuan(result.payable)) == (number, approval["computed"])
    assert {s.payer: yuan(s.amount) for s in result.shares} == approval["shares"]
    assert [t.clause for t in result.trace] and all(t.clause for t in result.trace)


def test_the_filing_row_is_the_filing_result_to_the_fen(service: Service) -> None:
    setup_platform(service)
    out = post(service.api("nanhu-clerk"), "/claims", {
        "platform": "P1", "program": "equipment-subsidy", "application_date": "2026-03-02",
        "invoices": [{"issuer_code": "X", "number": "1", "date": "2024-01-01", "net": "100.00"}]}, 201)
    _, stored = _rows(service, out["claim"])
    assert len(stored) == 1
    result = decode(stored[0].result)
    # 30% of 100.00 (细则 第四章（一）(1)), 50/50 city and 南湖区 (第五章), as the filing answered
    assert (result.gross, result.payable, result.status) == (30_00, 30_00, "payable")
    assert {s.payer: s.amount for s in result.shares} == {"330400": 15_00, "330402": 15_00}
    assert out["computed"] == "30.00"


def test_explanations_are_append_only(service: Service) -> None:
    setup_platform(service)
    number = file_claim(service)
    for statement in ("UPDATE claim_explanations SET state = 'approved'", "DELETE FROM claim_explanations"):
        with service.db.engine.connect() as conn, pytest.raises(DBAPIError):
            conn.execute(text(statement))
    _, stored = _rows(service, number)
    assert [x.state for x in stored] == ["filed"]


def _differing(real: Any) -> Any:
    """``S.explain`` as if the rule set had changed since the approval: today's payable 1.00 more."""
    def explain(session: Any, claim_number: str) -> ClaimResult:
        r: ClaimResult = real(session, claim_number)
        first = r.shares[0]
        shares = (Share(payer=first.payer, payer_name=first.payer_name, party=first.party, amount=first.amount + 100),
                  *r.shares[1:])
        return replace(r, payable=r.payable + 100, entitled=r.entitled + 100, shares=shares)
    return explain


def test_the_page_and_the_api_show_the_stored_calculation_not_todays(service: Service,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    number = _paid_claim(service)
    _, stored = _rows(service, number)
    approved = decode([x for x in stored if x.action == "approve"][-1].result)
    monkeypatch.setattr(S, "explain", _differing(S.explain))
    monkeypatch.setattr(do, "computed", do.ComputedCache())  # nothing cached from before the change

    claim = get(service.api("auditor"), f"/claims/{number}")
    assert claim["result"]["payable"] == yuan(approved.payable)
    assert claim["explanation"]["basis_action"] == "approve" and claim["explanation"]["action"] == "pay"
    assert claim["explanation"]["basis_date"] == "2026-03-25"

    page = html.unescape(signed_in(service, "auditor").get(f"/claims/{number}").text)
    assert "审批所依据的计算" in page
    section = page[page.index('data-testid="explanation"'):]
    payable = section[section.index('data-testid="calc-payable"'):][:200]
    assert yuan_grouped(approved.payable) in payable  # the stored figure, not today's
    assert "2026年3月25日“党组会审定”" in section
    differs = section[section.index('data-testid="explanation-differs"'):][:600]
    assert yuan_grouped(approved.payable + 100) in differs and "不同" in differs


def test_the_page_says_nothing_of_today_when_it_agrees(service: Service) -> None:
    number = _paid_claim(service)
    page = signed_in(service, "auditor").get(f"/claims/{number}").text
    assert 'data-testid="explanation-basis"' in page
    assert 'data-testid="explanation-differs"' not in page


def _statements(service: Service, client: Any, path: str) -> list[str]:
    """The statements the database saw while ``client`` read ``path`` (a before_cursor_execute listener)."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(service.db.engine, "before_cursor_execute", count)
    try:
        get(client, path)
    finally:
        event.remove(service.db.engine, "before_cursor_execute", count)
    return statements


def test_the_claim_read_costs_a_fixed_handful_of_statements(service: Service) -> None:
    number = _paid_claim(service)
    client = service.api("auditor")
    get(client, "/me")  # the token is known to this process; the reads below are measured alone
    statements = _statements(service, client, f"/claims/{number}")
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(statements) <= 3, statements  # SQLite adds its BEGIN (a deferred, snapshot read)
    # the claim in full with the token's check carried along: nothing recomputed, nothing per record
    assert len(reads) == 1, reads
    assert " AS auth" in reads[0]
    # the platform page (its cap positions cached) and a page of the claim list: one statement each
    get(client, "/platforms/P1")
    for path in ("/platforms/P1", "/claims?page=1&page_size=20"):
        reads = [s for s in _statements(service, client, path) if s.lstrip().upper().startswith("SELECT")]
        assert len(reads) == 1, (path, reads)
    # a page past the end: the token checked alone, and the total counted apart
    reads = [s for s in _statements(service, client, "/claims?page=999") if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 3, reads
