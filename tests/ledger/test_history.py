"""The platform's scenario read with Core rows and fen amounts (issue 12) is the scenario the ledger built
before: ORM ``Claim`` objects and yuan strings parsed back by pydantic (``_scenario_as_before`` below, the
former ``ledger.history.scenario_for`` kept as the oracle). Generated histories mix every claim state,
released and audited invoices, every optional claim figure, every event kind, investments, changes not yet
flushed, new claims given as ``extra_claims``, and rows that are no valid scenario (both refuse them with the
same issues)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from calculators.errors import InputErrors
from calculators.formats import yuan
from calculators.rulesets.model import DECIDED_STATES, PENDING_STATES
from calculators.scenario import Fen, Scenario, from_data
from ledger import services as S
from ledger.history import Loaded, _event_inputs, scenario_for
from ledger.models import CLAIM_STATES, Claim, Investment, Invoice, Platform, PlatformEvent

KINDS = ("pool-entry", "pool-exit", "recognition", "evaluation", "agreement-support", "rectification",
         "pool-notice", "change-report", "re-evaluation")
GRADES = ("优秀", "良好", "合格", "不合格", "通过", "不通过", "未参加")


def _scenario_as_before(session: Session, platform: Platform, upto: Claim | None,
                        extra: list[dict[str, Any]] | None) -> Scenario:
    """The scenario as ``scenario_for`` built it before issue 12: ORM objects, yuan strings, validated (the
    claims as they were built, written out again here; the events through the same ``_event_inputs``)."""
    claims = [c for c in session.execute(
        select(Claim).where(Claim.platform_id == platform.id,
                            Claim.state.not_in(("rejected",)) | (Claim.id == (upto.id if upto else -1)))
        .order_by(Claim.application_date, Claim.id)).scalars()]
    chosen = []
    for c in claims:
        if upto is not None and c.id != upto.id and (c.application_date, c.id) > (upto.application_date, upto.id):
            continue
        invoices = session.execute(select(Invoice).where(Invoice.claim_id == c.id, Invoice.released.is_(False))
                                   .order_by(Invoice.id)).scalars()
        item: dict[str, Any] = {"id": c.number, "program": c.program, "application_date": c.application_date,
                                "invoices": [{"issuer_code": i.issuer_code, "number": i.number, "date": i.date,
                                              "net": yuan(i.net_fen), "vat": yuan(i.vat_fen),
                                              **({"audited": yuan(i.audited_fen)} if i.audited_fen is not None
                                                 else {})} for i in invoices]}
        if c.years:
            item["years"] = list(c.years)
        if c.national_support_fen is not None:
            item["national_support"] = yuan(c.national_support_fen)
        if c.recorded_amount_fen is not None:
            item["recorded_amount"] = yuan(c.recorded_amount_fen)
        if c.evaluation_year is not None:
            item["evaluation_year"] = c.evaluation_year
        if c.state in DECIDED_STATES and c.approved_fen is not None:
            item["approved_amount"] = yuan(c.approved_fen)
        elif c.state in PENDING_STATES and (upto is None or c.id != upto.id):
            item["approved_amount"] = "0.00"
        if c.state == "reversed":
            item["reversed"] = True
        chosen.append(item)
    events = session.execute(select(PlatformEvent).where(PlatformEvent.platform_id == platform.id)
                             .order_by(PlatformEvent.date, PlatformEvent.id)).scalars().all()
    investments = session.execute(select(Investment).where(Investment.platform_id == platform.id)
                                  .order_by(Investment.year)).scalars()
    return from_data({
        "name": platform.name,
        "platform": {"id": platform.code, "name": platform.name, "operator": platform.operator,
                     "jurisdiction": platform.jurisdiction_code, "leader_type": platform.leader_type},
        **_event_inputs(events, yuan),  # the events' mapping is unchanged: only its rows and amounts are new
        "investments": [{"year": i.year, "amount": yuan(i.amount_fen), "vat": yuan(i.vat_fen)} for i in investments],
        "claims": chosen + list(extra or []),
    })


def _outcome(build: Callable[[], Scenario]) -> Any:
    """The scenario and what it was given (``exclude_unset``: the same fields set), or the issues refused."""
    try:
        scenario = build()
    except InputErrors as exc:
        return "refused", [(i.field, i.rule, i.message) for i in exc.issues]
    return scenario, scenario.model_dump(exclude_unset=True)


DAYS = st.one_of(st.sampled_from([date(2025, 3, 1), date(2026, 2, 10)]), st.dates(date(2024, 1, 1), date(2027, 12, 31)))  # ties
FEN = st.one_of(st.just(0), st.integers(0, 10**12))
SOME_FEN = st.one_of(st.none(), FEN)
DOCUMENT = st.sampled_from(["", "嘉经信〔2025〕12号"])


def _event(kind: str, **fields: Any) -> Any:
    """An event of ``kind`` with the fields a valid one has (the others left empty)."""
    empty = {"level": None, "grade": None, "scheme": None, "year": None, "amount_fen": None, "note": "",
             "change_date": None, "document_number": ""}
    return st.fixed_dictionaries({"kind": st.just(kind), "date": DAYS, **{k: st.just(v) for k, v in empty.items()},
                                  **fields})


EVENT = st.one_of(
    _event("pool-entry", document_number=DOCUMENT), _event("pool-exit"), _event("rectification", note=st.just("整改")),
    _event("recognition", level=st.sampled_from(["national", "provincial", "municipal"]), document_number=DOCUMENT),
    _event("evaluation", year=st.integers(2022, 2027), grade=st.sampled_from(GRADES[:-1]),
           scheme=st.sampled_from([None, "jiaxing", "zhejiang", "shaoxing"])),
    _event("agreement-support", amount_fen=st.one_of(st.none(), st.just(0), FEN), document_number=DOCUMENT),
    _event("pool-notice", document_number=DOCUMENT), _event("change-report", change_date=DAYS, note=st.just("更名")),
    _event("re-evaluation", grade=st.sampled_from(GRADES[-3:]), document_number=DOCUMENT))
BROKEN = st.sampled_from(["none"] * 6 + ["negative-support", "negative-national-support", "evaluation-without-grade",
                                         "recognition-without-level"])
"""Now and then a history that is no valid scenario: both refuse it, with the same issues."""
INVOICE = st.fixed_dictionaries({"date": DAYS, "net_fen": FEN, "vat_fen": FEN, "released": st.booleans(),
                                 "audited_fen": st.one_of(st.none(), FEN)})
CLAIM = st.fixed_dictionaries({
    "program": st.sampled_from(["equipment-subsidy", "municipal-award", "pool-award", "zj-new-provincial"]),
    "application_date": st.sampled_from([date(2026, 3, 2), date(2026, 3, 9), date(2026, 7, 1)]),  # ties
    "state": st.sampled_from(CLAIM_STATES),
    "years": st.one_of(st.none(), st.lists(st.integers(2022, 2026), max_size=3)),
    "national_support_fen": SOME_FEN, "recorded_amount_fen": SOME_FEN,
    "evaluation_year": st.one_of(st.none(), st.integers(2024, 2026)),
    "approved_fen": st.one_of(st.none(), FEN), "invoices": st.lists(INVOICE, max_size=3)})
HISTORY = st.fixed_dictionaries({
    "leader_type": st.sampled_from(["enterprise", "university"]),
    "events": st.lists(EVENT, max_size=8),
    "investments": st.dictionaries(st.integers(2022, 2026), st.tuples(FEN, FEN), max_size=4),
    "claims": st.lists(CLAIM, max_size=6),
    "unflushed": st.sampled_from(["none", "invoice", "state", "event"]),  # a change the read must flush first
    "extra": st.booleans(), "broken": BROKEN})
_SERIAL = count()


def _build(s: Session, h: dict[str, Any]) -> tuple[Platform, list[Claim]]:
    n = next(_SERIAL)
    platform = Platform(code=f"H{n}", name=f"平台{n}", operator="某公司", jurisdiction_code="330402",
                        leader_type=h["leader_type"])
    s.add(platform)
    s.flush()
    s.add_all(PlatformEvent(platform_id=platform.id, **e) for e in h["events"])
    s.add_all(Investment(platform_id=platform.id, year=y, amount_fen=a, vat_fen=v)
              for y, (a, v) in h["investments"].items())
    claims = []
    for k, c in enumerate(h["claims"]):
        claim = Claim(number=f"SQ-{n}-{k}", platform_id=platform.id, rule_set="jx-2025", **{
            key: value for key, value in c.items() if key != "invoices"})
        s.add(claim)
        s.flush()
        claims.append(claim)
        s.add_all(Invoice(issuer_code=f"91{n}", number=f"{k}-{j}", claim_id=claim.id, platform_id=platform.id, **i)
                  for j, i in enumerate(c["invoices"]))
    _break(s, h["broken"], platform, claims)
    s.flush()
    if claims and h["unflushed"] == "invoice":
        s.add(Invoice(issuer_code=f"91{n}", number="late", claim_id=claims[0].id, platform_id=platform.id,
                      date=date(2025, 1, 2), net_fen=12_345, vat_fen=0))
    elif claims and h["unflushed"] == "state":
        claims[-1].state = "approved" if claims[-1].state != "approved" else "filed"
    elif h["unflushed"] == "event":
        s.add(PlatformEvent(platform_id=platform.id, kind="recognition", date=date(2026, 1, 5), level="municipal"))
    return platform, claims


def _break(s: Session, how: str, platform: Platform, claims: list[Claim]) -> None:
    if how == "negative-support":
        s.add(PlatformEvent(platform_id=platform.id, kind="agreement-support", date=date(2025, 5, 1), amount_fen=-1))
    elif how == "negative-national-support" and claims:
        claims[0].national_support_fen = -100
    elif how == "evaluation-without-grade":
        s.add(PlatformEvent(platform_id=platform.id, kind="evaluation", date=date(2025, 5, 1), year=2024))
    elif how == "recognition-without-level":
        s.add(PlatformEvent(platform_id=platform.id, kind="recognition", date=date(2025, 5, 1)))


def test_the_scenario_is_the_one_built_from_objects_and_yuan_strings(db: Any) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(h=HISTORY)
    def check(h: dict[str, Any]) -> None:
        with db.sessions() as s:  # rolled back: every example on the same database
            platform, claims = _build(s, h)
            extra = [{"id": "NEW", "program": "equipment-subsidy", "application_date": date(2026, 6, 1),
                      "invoices": [{"issuer_code": "X", "number": "1", "date": date(2025, 3, 1), "net": "100.05"}]}
                     ] if h["extra"] else None
            for upto in [None, *claims]:  # the first read must flush the unflushed change (the oracle's would)
                new = _outcome(lambda c=upto: scenario_for(s, platform, upto=c, extra_claims=extra))
                assert new == _outcome(lambda c=upto: _scenario_as_before(s, platform, c, extra))

    check()


def test_loaded_keeps_the_claim_rows_the_undertakings_read(db: Any) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
    with db.sessions() as s:
        platform, claims = _build(s, {"leader_type": "enterprise", "events": [], "investments": {}, "extra": False,
                                      "unflushed": "none", "claims": [
            {"program": "equipment-subsidy", "application_date": date(2026, 3, k + 1), "state": state,
             "years": None, "national_support_fen": None, "recorded_amount_fen": None, "evaluation_year": None,
             "approved_fen": None, "invoices": []} for k, state in enumerate(("filed", "rejected", "paid"))], "broken": "none"})
        loaded = Loaded()
        scenario_for(s, platform, loaded=loaded)
        assert [(c.id, c.number, c.platform_id, c.program, c.rule_set, c.state) for c in loaded.claims] == [
            (c.id, c.number, c.platform_id, c.program, c.rule_set, c.state) for c in claims if c.state != "rejected"]


def test_an_amount_in_fen_is_the_amount_its_yuan_string_gives() -> None:
    base = {"platform": {"id": "P", "name": "平台", "jurisdiction": "330402"}}
    for fen in (0, 1, 99, 100, 123_456, 10**15):
        by_fen = from_data({**base, "investments": [{"year": 2025, "amount": Fen(fen), "vat": Fen(fen)}]})
        assert by_fen == from_data({**base, "investments": [{"year": 2025, "amount": yuan(fen), "vat": yuan(fen)}]})
        assert type(by_fen.investments[0].amount) is int
    assert from_data({**base, "investments": [{"year": 2025, "amount": 5}]}).investments[0].amount == 500  # 元
    with pytest.raises(InputErrors) as by_fen_refused:
        from_data({**base, "investments": [{"year": 2025, "amount": Fen(-1)}]})
    with pytest.raises(InputErrors) as by_yuan_refused:
        from_data({**base, "investments": [{"year": 2025, "amount": "-0.01"}]})
    assert by_fen_refused.value.issues == by_yuan_refused.value.issues
