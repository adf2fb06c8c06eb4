"""The permission matrix, walked through the API on each engine: every role × every write route ×
own/other jurisdiction (× own/other payer for the payer-scoped actions).

The expectation is computed from the permission table of docs/service.md (parsed by
``tests.app.permission_table``), not from the code under test; ``test_matrix_is_the_documented_table``
checks :data:`app.permissions.MATRIX` against the same table, role by role and action by action. A
refusal must leave everything as it was: every table's row count (journal included), every claim's
state, every budget. A role the table does not list, a jurisdiction named in the request or another
payer is refused 403 naming the matrix rule; another jurisdiction's object named by its number or id
is, to a district user, not found — 404, byte for byte the answer for a made-up number (so a refusal
confirms no guess and names no jurisdiction). Each refusal of a call naming an object is compared
with the same call on a made-up one: the same status and body. An allowed call must not be
403: it reaches the business logic, which may still refuse (409/422) — e.g. a second allowed user
finding the claim already moved on. Claims are prepared in the state each route needs directly
through ``ledger.services``, once per engine, and the whole walk shares that database.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.permissions import CITY_PAYER, DISTRICT_ROLES, FINANCE_ROLES, MATRIX, ROLE_TITLES
from ledger import services as S
from ledger.models import ActionRecord, Objection, Payment, Recovery
from tests.app.conftest import USERS, Service
from tests.app.flow import V1, counts
from tests.app.permission_table import documented
from tests.ledger.world import pay_confirmed

NANHU, HAINING = "330402", "330481"
PAYERS_OF = {NANHU: (CITY_PAYER, NANHU), HAINING: (HAINING,)}

# route (method, path as FastAPI declares it) → the matrix action it is checked against; None: public.
# A POST route missing here fails test_every_write_route_is_in_the_walk.
ROUTES: dict[tuple[str, str], str | None] = {
    ("POST", "/api/v1/auth/token"): None,
    ("POST", "/api/v1/platforms"): "platform.create",
    ("POST", "/api/v1/platforms/{code}/events"): "platform.event",
    ("POST", "/api/v1/claims"): "claim.file",
    ("POST", "/api/v1/claims/preview"): "calc.preview",
    ("POST", "/api/v1/claims/{number}/reviews#economic"): "claim.review.economic",
    ("POST", "/api/v1/claims/{number}/reviews#finance"): "claim.review.finance",
    ("POST", "/api/v1/claims/{number}/audit"): "claim.audit",
    ("POST", "/api/v1/claims/{number}/approval"): "claim.approve",
    ("POST", "/api/v1/notices"): "notice.publish",
    ("POST", "/api/v1/claims/{number}/objections"): "objection.file",
    ("POST", "/api/v1/objections/{objection_id}/resolution"): "objection.resolve",
    ("POST", "/api/v1/claims/{number}/fund-issue"): "funds.issue",
    ("POST", "/api/v1/claims/{number}/payments"): "payment.pay",
    ("POST", "/api/v1/payments/{payment_id}/confirmation"): "payment.confirm",
    ("POST", "/api/v1/payments/{payment_id}/reversal"): "payment.reverse",
    ("POST", "/api/v1/payments/{payment_id}/withdrawal"): "payment.withdraw",
    ("POST", "/api/v1/claims/{number}/recoveries"): "recovery.order",
    ("POST", "/api/v1/claims/{number}/allocation"): "provincial.allocate",
    ("POST", "/api/v1/claims/{number}/transfer-receipt"): "provincial.transfer",
    ("POST", "/api/v1/claims/{number}/pass-on"): "provincial.transfer",
    ("POST", "/api/v1/recoveries/{recovery_id}/receipts"): "recovery.receive",
    ("POST", "/api/v1/budgets"): "budget.appropriate",
    ("POST", "/api/v1/calculations"): "calc.preview",
    ("POST", "/api/v1/forecasts"): "forecast.read",
    ("POST", "/api/v1/users"): "user.manage",
    ("POST", "/api/v1/holiday-notices"): "holidays.load",
}
# the reads, walked the same way (a refusal is 403; an allowed read is not)
READ_ROUTES: dict[tuple[str, str], str | None] = {
    ("GET", "/api/v1/ping"): None,
    ("GET", "/api/v1/me"): None,
    ("GET", "/api/v1/platforms"): "platform.read",
    ("GET", "/api/v1/platforms/{code}"): "platform.read",
    ("GET", "/api/v1/platforms/{code}/headroom"): "platform.read",
    ("GET", "/api/v1/claims"): "claim.read",
    ("GET", "/api/v1/claims/{number}"): "claim.read",
    ("GET", "/api/v1/notices"): "notice.read",
    ("GET", "/api/v1/budgets"): "budget.read",
    ("GET", "/api/v1/ledger/balances"): "ledger.read",
    ("GET", "/api/v1/ledger/trial-balance"): "ledger.read",
    ("GET", "/api/v1/ledger/journal"): "ledger.read",
    ("GET", "/api/v1/ledger/verify"): "ledger.verify",
    ("GET", "/api/v1/actions"): "actions.read",
    ("GET", "/api/v1/users"): "user.manage",
    ("GET", "/api/v1/reports/annex3/blank"): "report.annex3",
    ("GET", "/api/v1/reports/annex3/claims/{number}"): "report.annex3",
    ("GET", "/api/v1/reports/annex3/jurisdictions/{jurisdiction}"): "report.annex3",
    ("GET", "/api/v1/reports/notices/{notice_id}"): "report.notice_list",
    ("GET", "/api/v1/reports/fund-issue/{payer}"): "report.fund_issue",
    ("GET", "/api/v1/reports/reconciliation"): "report.reconciliation",
    ("GET", "/api/v1/reports/trial-balance"): "report.trial_balance",
    ("GET", "/api/v1/reports/evaluation/{code}/{year}"): "report.evaluation",
}
HOLIDAYS_2025 = (Path(__file__).resolve().parents[2] / "calculators" / "holidays" / "2025.yaml").read_text("utf-8")


def _declared(path: str) -> str:
    return path.split("#")[0]


def test_every_route_is_in_the_walk() -> None:
    from app.main import create_app

    app = create_app(factory=object())  # type: ignore[arg-type]  # routes only; no request is made
    api = [(method.upper(), path) for path, item in app.openapi()["paths"].items() if path.startswith(V1)
           for method in item]
    posts = {r for r in api if r[0] == "POST"}
    listed = {(m, _declared(p)) for m, p in ROUTES}
    assert posts == listed, f"unlisted: {posts - listed}; gone: {listed - posts}"
    gets = {r for r in api if r[0] == "GET"}
    assert gets == set(READ_ROUTES), f"unlisted: {gets - set(READ_ROUTES)}; gone: {set(READ_ROUTES) - gets}"
    assert {m for m, _ in api} == {"GET", "POST"}, "a route with another method"
    # every write action of the matrix is reachable through some route
    writes = {a for a, rule in MATRIX.items() if rule.writes}
    assert writes <= {a for a in ROUTES.values() if a}, writes - set(ROUTES.values())
    assert all(a is None or a in MATRIX for a in ROUTES.values())
    # and every read action of the matrix too
    reads = {a for a, rule in MATRIX.items() if not rule.writes} - {"rules.read"}  # rules: pages only
    assert reads <= {a for a in [*ROUTES.values(), *READ_ROUTES.values()] if a}


def test_matrix_is_the_documented_table() -> None:
    """``MATRIX`` says what docs/service.md says, role by role and action by action."""
    doc = documented()
    assert set(MATRIX) == set(doc.actions), (f"only in the code: {sorted(set(MATRIX) - set(doc.actions))}; "
                                             f"only in docs/service.md: {sorted(set(doc.actions) - set(MATRIX))}")
    assert doc.role_titles == ROLE_TITLES
    for action, rule in MATRIX.items():
        want = doc.actions[action]
        assert rule.title == want.title, action
        assert rule.scope == want.scope, (action, rule.scope, want.scope)
        for role in doc.role_titles:
            assert (role in rule.roles) == (role in want.roles), (
                f"{action} for {role}: the code {'allows' if role in rule.roles else 'refuses'}, "
                f"docs/service.md {'allows' if role in want.roles else 'refuses'}")
    assert (doc.district_roles, doc.finance_roles, doc.city_payer) == (DISTRICT_ROLES, FINANCE_ROLES, CITY_PAYER)


def refusal(username: str, action: str, *, jurisdiction: str | None, payer: str | None, ident: str | None) -> int:
    """The status a refused call gets: 403 when the role may not take the action, or the payer the
    request names (not a payment's or recovery's own, found with it) is not the user's; else 404 for
    another jurisdiction's object named by number or id (``ident``); else 403."""
    role, home = USERS[username]
    if role not in documented().actions[action].roles:
        return 403
    request_payer = payer is not None and not (ident or "").isdigit()
    if request_payer and not expected(username, action, jurisdiction=None, payer=payer):
        return 403
    if ident is not None and role in DISTRICT_ROLES and jurisdiction != home:
        return 404
    return 403


FAKE_ID = "NOPE-0001"
FAKE_NUMBER = 2_000_000_000


def expected(username: str, action: str, *, jurisdiction: str | None, payer: str | None) -> bool:
    """The documented table read directly: role ticked; district roles only in their own jurisdiction;
    finance roles only for their own payer where the action is payer-scoped."""
    doc = documented()
    role, home = USERS[username]
    rule = doc.actions[action]
    if role not in rule.roles:
        return False
    if role in doc.district_roles and jurisdiction is not None and jurisdiction != home:
        return False
    own_payer = doc.city_payer if role == "city_finance" else home
    return not (rule.scope == "payer" and role in doc.finance_roles and payer is not None and payer != own_payer)


# ---------------------------------------------------------------- the prepared world

_seq = itertools.count(1)


@dataclass
class World:
    """Objects in the states each route needs, per jurisdiction (and per payer where it matters)."""

    platform: dict[str, str]
    claims: dict[tuple[str, str], str]  # (state-need, jurisdiction) → claim number
    objection: dict[str, int]
    payment: dict[tuple[str, str], int]  # (jurisdiction, payer) → payment id
    prepared: dict[tuple[str, str], int]  # (jurisdiction, payer) → a payment prepared, not confirmed (复核)
    recovery: dict[tuple[str, str], int]


def _new_platform(s: Any, jurisdiction: str) -> str:
    code = f"W{next(_seq):03d}-{jurisdiction}"
    S.create_platform(s, code=code, name=f"平台{code}", jurisdiction=jurisdiction)
    S.add_platform_event(s, code, kind="recognition", on=date(2026, 2, 10), level="provincial")
    return code


def _claim_to(s: Any, jurisdiction: str, state: str) -> str:
    """A claim on a fresh platform taken by the services to ``state`` (1,000,000 of 2024 equipment →
    300,000; shares 150,000 city + 150,000 南湖区, or all 300,000 to 海宁市)."""
    code = _new_platform(s, jurisdiction)
    n = next(_seq)
    number = S.file_claim(s, platform_code=code, program="equipment-subsidy", application_date=date(2026, 3, 2),
                          invoices=[S.InvoiceIn("ISSUER", f"INV{n:05d}", date(2024, 6, 1), 1_000_000_00)],
                          actor="prep").claim
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("econ_reviewed", lambda: S.review(s, claim_number=number, department="economic", approve=True,
                                           opinion="同意", on=date(2026, 3, 4), actor="prep-econ")),
        ("district_reviewed", lambda: S.review(s, claim_number=number, department="finance", approve=True,
                                               opinion="同意", on=date(2026, 3, 5), actor="prep-fin")),
        ("audited", lambda: S.record_audit(s, claim_number=number, firm="所", report_number=f"R{n}",
                                           on=date(2026, 3, 20), actor="prep")),
        ("approved", lambda: S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25),
                                       minutes_number="m", actor="prep-bureau")),
        ("in_notice", lambda: S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1),
                                               title="公示")),
        ("issued", lambda: S.issue_funds(s, claim_number=number, document_number="d", on=date(2026, 4, 10))),
    ]
    for reached, step in steps:
        if state == "filed":
            break
        step()
        if reached == state:
            break
    return number


def _provincial_to(s: Any, jurisdiction: str, state: str) -> str:
    """A 浙江方案 claim (省级资金, the provincial procedure) on a fresh platform, taken to ``state``."""
    from ledger import provincial

    code = _new_platform(s, jurisdiction)
    number = S.file_claim(s, platform_code=code, program="zj-new-provincial", application_date=date(2026, 3, 2),
                          recorded_amount_fen=500_000_00, actor="prep-filer").claim
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("econ_reviewed", lambda: S.review(s, claim_number=number, department="economic", approve=True,
                                           opinion="同意", on=date(2026, 3, 4), actor="prep")),
        ("district_reviewed", lambda: S.review(s, claim_number=number, department="finance", approve=True,
                                               opinion="同意", on=date(2026, 3, 5), actor="prep")),
        ("allocated", lambda: provincial.allocate(s, claim_number=number, document_number="浙财", on=date(2026, 4, 1),
                                                  amount_fen=500_000_00)),
        ("transfer_received", lambda: provincial.receive_transfer(s, claim_number=number, document_number="到账",
                                                                  on=date(2026, 4, 5))),
    ]
    for reached, step in steps:
        step()
        if reached == state:
            break
    return number


def prepare(service: Service) -> World:
    w = World({}, {}, {}, {}, {}, {})
    with service.db.sessions.begin() as s:
        for payer in (CITY_PAYER, NANHU, HAINING):
            S.appropriate(s, payer=payer, fiscal_year=2026, program="equipment-subsidy", amount_fen=100_000_000_00,
                          on=date(2026, 1, 5))
        for j in (NANHU, HAINING):
            w.platform[j] = _new_platform(s, j)
            for need, state in (("file", "platform"), ("review-economic", "filed"),
                                ("review-finance", "econ_reviewed"), ("audit", "district_reviewed"),
                                ("approve", "audited"), ("notice", "approved"), ("objection", "in_notice"),
                                ("resolve", "in_notice"), ("fund-issue", "in_notice"), ("pay", "issued"),
                                ("confirm", "issued"),
                                ("reverse", "issued"), ("recover", "issued")):
                if state != "platform":
                    w.claims[(need, j)] = _claim_to(s, j, state)
            for need, state in (("allocate", "district_reviewed"), ("transfer", "allocated"),
                                ("pass-on", "transfer_received")):
                w.claims[(need, j)] = _provincial_to(s, j, state)
            resolve = w.claims[("resolve", j)]
            w.objection[j] = S.file_objection(s, claim_number=resolve, filed=date(2026, 4, 2),
                                              content="异议").objection
            half = 75_000_00 if j == NANHU else 150_000_00
            for payer in PAYERS_OF[j]:
                for need in ("reverse", "recover"):
                    voucher = f"V{next(_seq)}"
                    pay_confirmed(s, claim_number=w.claims[(need, j)], payer=payer, voucher_number=voucher,
                          on=date(2026, 4, 15), amount_fen=half)
                    if need == "reverse":
                        w.payment[(j, payer)] = s.query(Payment.id).filter(
                            Payment.voucher_number == voucher).scalar()
            for payer in PAYERS_OF[j]:  # prepared by a user not in the walk: any finance user of the payer confirms
                w.prepared[(j, payer)] = S.pay(s, claim_number=w.claims[("confirm", j)], payer=payer,
                                               voucher_number=f"C{next(_seq)}", on=date(2026, 4, 15),
                                               amount_fen=1_000_00, actor="prep-fin").payment
                w.prepared[(j, f"{payer}:withdraw")] = S.pay(  # another, for 作废制单
                    s, claim_number=w.claims[("confirm", j)], payer=payer, voucher_number=f"W{next(_seq)}",
                    on=date(2026, 4, 15), amount_fen=1_000_00, actor="prep-fin").payment
            for payer in PAYERS_OF[j]:
                S.recover(s, claim_number=w.claims[("recover", j)], payer=payer, amount_fen=10_000_00,
                          on=date(2026, 5, 1), reason="虚假", document_number="追回")
                w.recovery[(j, payer)] = s.query(Recovery.id).filter(
                    Recovery.payer_code == payer).order_by(Recovery.id.desc()).limit(1).scalar()
    with service.db.sessions() as s:  # the ids found above are the intended objects
        for (_j, payer), pid in w.payment.items():
            p = s.get(Payment, pid)
            assert p is not None and p.payer_code == payer
        assert all(s.get(Objection, oid) for oid in w.objection.values())
    return w


@dataclass(frozen=True)
class Case:
    route: tuple[str, str]
    action: str
    jurisdiction: str | None
    payer: str | None
    path: str
    body: Callable[[], dict[str, Any]]
    ident: str | None = None  # the object's number, code or id, as the path or body names it

    def made_up(self) -> tuple[str, Callable[[], dict[str, Any]]]:
        """The same call on an object that does not exist."""
        assert self.ident is not None
        if self.ident.isdigit():
            return self.path.replace(f"/{self.ident}/", f"/{FAKE_NUMBER}/"), self.body
        return (self.path.replace(self.ident, FAKE_ID),
                lambda: json.loads(json.dumps(self.body()).replace(self.ident or "", FAKE_ID)))


def same_answer(r: Any, fake: Any, case: Case) -> None:
    """A refusal of an object and of a made-up one: one status, one body (the identifier aside)."""
    assert case.ident is not None
    made_up = FAKE_NUMBER if case.ident.isdigit() else FAKE_ID
    assert fake.status_code == r.status_code, (case.path, r.text, fake.text)
    assert fake.text.replace(str(made_up), case.ident) == r.text, (case.path, r.text, fake.text)


def cases(w: World) -> list[Case]:
    out: list[Case] = []

    def add(route: str, j: str | None, path: str, body: Callable[[], dict[str, Any]],
            payer: str | None = None, ident: str | int | None = None) -> None:
        key = ("POST", V1 + route)
        action = ROUTES[key]
        assert action is not None
        out.append(Case(key, action, j, payer, path, body, None if ident is None else str(ident)))

    def claim_body(j: str, year: int = 2024) -> dict[str, Any]:
        return {"platform": w.platform[j], "program": "equipment-subsidy", "application_date": "2026-03-02",
                "invoices": [{"issuer_code": "API", "number": f"N{next(_seq)}", "date": f"{year}-06-01",
                              "net": "200000.00"}]}

    for j in (NANHU, HAINING):
        c = w.claims
        add("/platforms", j, "/platforms",
            lambda j=j: {"code": f"NEW{next(_seq)}", "name": "新平台", "jurisdiction": j})
        p = w.platform[j]
        add("/platforms/{code}/events", j, f"/platforms/{p}/events",
            lambda: {"kind": "evaluation", "on": "2026-01-20", "year": 2025, "grade": "良好", "scheme": "jiaxing"},
            ident=p)
        # previews first: they write nothing, and the platform has no claim yet
        add("/claims/preview", j, "/claims/preview", lambda j=j: claim_body(j), ident=p)
        add("/calculations", j, "/calculations", lambda j=j: {"claim": claim_body(j)}, ident=p)
        add("/claims", j, "/claims", lambda j=j: claim_body(j), ident=p)
        add("/claims/{number}/reviews#economic", j, f"/claims/{c[('review-economic', j)]}/reviews",
            lambda: {"department": "economic", "approve": True, "opinion": "同意", "on": "2026-03-04"},
            ident=c[("review-economic", j)])
        add("/claims/{number}/reviews#finance", j, f"/claims/{c[('review-finance', j)]}/reviews",
            lambda: {"department": "finance", "approve": True, "opinion": "同意", "on": "2026-03-05"},
            ident=c[("review-finance", j)])
        add("/claims/{number}/audit", j, f"/claims/{c[('audit', j)]}/audit",
            lambda: {"firm": "所", "report_number": "R", "on": "2026-03-20"}, ident=c[("audit", j)])
        add("/claims/{number}/approval", j, f"/claims/{c[('approve', j)]}/approval",
            lambda: {"meeting_date": "2026-03-25", "minutes_number": "m"}, ident=c[("approve", j)])
        add("/notices", j, "/notices",
            lambda n=c[("notice", j)]: {"claims": [n], "publication_date": "2026-04-01", "title": "公示"})
        add("/claims/{number}/objections", j, f"/claims/{c[('objection', j)]}/objections",
            lambda: {"filed": "2026-04-03", "content": "异议"}, ident=c[("objection", j)])
        add("/objections/{objection_id}/resolution", j, f"/objections/{w.objection[j]}/resolution",
            lambda: {"upheld": False, "on": "2026-04-08", "resolution": "不成立"}, ident=w.objection[j])
        add("/claims/{number}/fund-issue", j, f"/claims/{c[('fund-issue', j)]}/fund-issue",
            lambda: {"document_number": "下达", "on": "2026-04-10"}, ident=c[("fund-issue", j)])
        add("/claims/{number}/recoveries", j, f"/claims/{c[('recover', j)]}/recoveries",
            lambda j=j: {"payer": PAYERS_OF[j][-1], "amount": "1000.00", "on": "2026-05-02", "reason": "虚假"},
            ident=c[("recover", j)])
        add("/claims/{number}/allocation", j, f"/claims/{c[('allocate', j)]}/allocation",
            lambda: {"document_number": "浙财企〔2026〕1号", "on": "2026-04-01", "amount": "1000.00"},
            ident=c[("allocate", j)])
        add("/claims/{number}/transfer-receipt", j, f"/claims/{c[('transfer', j)]}/transfer-receipt",
            lambda: {"document_number": "到账", "on": "2026-04-05"}, ident=c[("transfer", j)])
        add("/claims/{number}/pass-on", j, f"/claims/{c[('pass-on', j)]}/pass-on",
            lambda: {"document_number": "转拨", "on": "2026-04-08"}, ident=c[("pass-on", j)])
        # payer-scoped: every payer of the claim's jurisdiction, and a payer not in it
        for payer in (CITY_PAYER, NANHU, HAINING):
            add("/claims/{number}/payments", j, f"/claims/{c[('pay', j)]}/payments",
                lambda payer=payer: {"payer": payer, "voucher_number": f"P{next(_seq)}", "on": "2026-04-16",
                                     "amount": "1000.00"}, payer=payer, ident=c[("pay", j)])
        for payer in PAYERS_OF[j]:
            add("/payments/{payment_id}/confirmation", j, f"/payments/{w.prepared[(j, payer)]}/confirmation",
                lambda: {"on": "2026-04-16"}, payer=payer, ident=w.prepared[(j, payer)])
            withdraw = w.prepared[(j, f"{payer}:withdraw")]
            add("/payments/{payment_id}/withdrawal", j, f"/payments/{withdraw}/withdrawal",
                lambda: {"on": "2026-04-16", "reason": "制单有误"}, payer=payer, ident=withdraw)
            add("/payments/{payment_id}/reversal", j, f"/payments/{w.payment[(j, payer)]}/reversal",
                lambda: {"on": "2026-04-20", "reason": "付款账户错误"}, payer=payer, ident=w.payment[(j, payer)])
            add("/recoveries/{recovery_id}/receipts", j, f"/recoveries/{w.recovery[(j, payer)]}/receipts",
                lambda: {"amount": "100.00", "on": "2026-05-10"}, payer=payer, ident=w.recovery[(j, payer)])
    for payer in (CITY_PAYER, NANHU, HAINING):
        add("/budgets", None, "/budgets",
            lambda payer=payer: {"payer": payer, "fiscal_year": 2027, "program": "equipment-subsidy",
                                 "amount": "1000.00", "on": "2027-01-05"}, payer=payer)
    add("/users", None, "/users",
        lambda: {"username": f"new-user-{next(_seq)}", "password": "a-long-password-1", "role": "auditor"})
    add("/holiday-notices", None, "/holiday-notices", lambda: {"source": "2025.yaml", "text": HOLIDAYS_2025})
    add("/forecasts", None, "/forecasts", lambda: {"first_year": 2027})
    return out


def test_permission_matrix_walk(service: Service) -> None:
    world = prepare(service)
    clients = {u: service.api(u) for u in USERS}
    walked: set[tuple[str, str]] = set()
    refused = allowed = succeeded = logged = hidden = 0
    business: list[str] = []  # allowed calls the business rules refused (the object had moved on)
    for case in cases(world):
        walked.add(case.route)
        # refusals first, while the object still stands where the action could take it
        users = sorted(USERS, key=lambda u: expected(u, case.action, jurisdiction=case.jurisdiction,
                                                     payer=case.payer))
        for user in users:
            ok = expected(user, case.action, jurisdiction=case.jurisdiction, payer=case.payer)
            where = f"{user} {case.action} {case.path} jurisdiction={case.jurisdiction} payer={case.payer}"
            before = None if ok else counts(service)
            r = clients[user].post(V1 + case.path, json=case.body(), headers={"Idempotency-Key": f"pm-{next(_seq)}"})
            assert r.status_code < 500, f"{where}: {r.status_code} {r.text}"
            if ok:
                allowed += 1
                logged += MATRIX[case.action].writes
                assert r.status_code != 403, f"{where}: refused though the matrix allows it: {r.text}"
                assert "权限矩阵" not in r.json().get("error", {}).get("rule", ""), where
                succeeded += r.status_code < 300
                if r.status_code >= 300:
                    business.append(f"{where}: {r.status_code} {r.json()['error']['rule']}")
            else:
                refused += 1
                logged += MATRIX[case.action].writes
                status = refusal(user, case.action, jurisdiction=case.jurisdiction, payer=case.payer,
                                 ident=case.ident)
                assert r.status_code == status, f"{where}: expected {status}, got {r.status_code} {r.text}"
                if status == 403:
                    assert r.json()["error"]["rule"] == f"权限矩阵 {case.action}", where
                else:
                    hidden += 1
                    assert r.json()["error"]["rule"] in ("申请", "平台", "异议", "拨付记录", "追回记录")
                    for code in (NANHU, HAINING):  # (the walk's platform codes end in theirs)
                        assert code not in r.text.replace(str(case.ident), ""), f"{where}: names {code}: {r.text}"
                # the same answer as for an object that does not exist — except a payment's or recovery's
                # own payer, which is known only once it is found (on the user's own claim, which they see)
                record_payer = case.ident is not None and case.ident.isdigit() and case.payer is not None
                if case.ident is not None and not (record_payer and status == 403
                                                   and USERS[user][0] in MATRIX[case.action].roles):
                    path, body = case.made_up()
                    fake = clients[user].post(V1 + path, json=body(), headers={"Idempotency-Key": f"pm-{next(_seq)}"})
                    logged += MATRIX[case.action].writes
                    same_answer(r, fake, case)
                assert counts(service) == before, f"{where}: a refused call changed something"
    assert walked == {k for k, v in ROUTES.items() if v}
    assert walk_reads(service, world, clients) > 100
    # the walk is not vacuous: each jurisdiction × route had refusals and real successes
    assert refused > 250 and allowed > 40 and succeeded > 30, (refused, allowed, succeeded, business)
    assert hidden > 20, hidden  # another jurisdiction's objects, answered as not found
    report = service.api("auditor").get(f"{V1}/ledger/verify").json()
    assert report["ok"] is True
    # every write call, refused or not, is in the action log
    with service.db.sessions() as s:
        log = s.execute(select(func.count(ActionRecord.id)).where(ActionRecord.action.in_(set(ROUTES.values()))))
        assert log.scalar_one() == logged


ReadCase = tuple[str, str, str | None, str | None, dict[str, Any] | None]


def read_cases(w: World) -> list[ReadCase]:
    """(route, path, jurisdiction, payer, query) for each read, on both jurisdictions' objects."""
    out: list[ReadCase] = []
    for j in (NANHU, HAINING):
        code, number = w.platform[j], w.claims[("pay", j)]
        out += [
            ("/platforms", "/platforms", j, None, {"jurisdiction": j}),
            ("/platforms/{code}", f"/platforms/{code}", j, None, None),
            ("/platforms/{code}/headroom", f"/platforms/{code}/headroom", j, None, None),
            ("/claims", "/claims", j, None, {"jurisdiction": j}),
            ("/claims/{number}", f"/claims/{number}", j, None, None),
            ("/reports/annex3/claims/{number}", f"/reports/annex3/claims/{number}", j, None, None),
            ("/reports/annex3/jurisdictions/{jurisdiction}", f"/reports/annex3/jurisdictions/{j}", j, None, None),
            ("/reports/evaluation/{code}/{year}", f"/reports/evaluation/{code}/2025", j, None, None),
        ]
    for payer in (CITY_PAYER, NANHU, HAINING):
        out.append(("/reports/fund-issue/{payer}", f"/reports/fund-issue/{payer}", None, payer, None))
    for route in ("/platforms", "/claims", "/notices", "/budgets", "/ledger/balances", "/ledger/trial-balance",
                  "/ledger/journal", "/ledger/verify", "/actions", "/users", "/reports/annex3/blank",
                  "/reports/reconciliation", "/me", "/ping"):
        out.append((route, route, None, None, None))
    out.append(("/reports/notices/{notice_id}", "/reports/notices/1", None, None, None))
    out.append(("/reports/trial-balance", "/reports/trial-balance", None, None,
                {"start": "2026-01-01", "end": "2026-12-31"}))
    return out


def walk_reads(service: Service, w: World, clients: dict[str, Any]) -> int:
    refused = 0
    walked = set()
    for route, path, j, payer, query in read_cases(w):
        action = READ_ROUTES[("GET", V1 + route)]
        walked.add(("GET", V1 + route))
        for user in USERS:
            r = clients[user].get(V1 + path, params=query)
            where = f"{user} GET {path} {query or ''}"
            assert r.status_code < 500, f"{where}: {r.status_code} {r.text}"
            if action is None or expected(user, action, jurisdiction=j, payer=payer):
                assert r.status_code != 403, f"{where}: refused though the matrix allows it: {r.text}"
            else:
                refused += 1
                ident = next((x for x in (w.platform.get(j or ""), w.claims.get(("pay", j or "")))
                              if x and x in path), None)
                status = refusal(user, action, jurisdiction=j, payer=payer, ident=ident)
                assert r.status_code == status, f"{where}: expected {status}, got {r.status_code}"
                if status == 403:
                    assert r.json()["error"]["rule"] == f"权限矩阵 {action}", where
                if ident is not None:
                    fake = clients[user].get(V1 + path.replace(ident, FAKE_ID), params=query)
                    assert (fake.status_code, fake.text.replace(FAKE_ID, ident)) == (r.status_code, r.text), where
    assert walked == set(READ_ROUTES)
    return refused
