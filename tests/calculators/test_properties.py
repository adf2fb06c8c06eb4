"""Property tests: random platform histories (recognitions, pool spells, investments, evaluations,
agreement support, equipment-subsidy and municipal-award claims across 2026–2032) evaluated under
the bundled rule sets, checked against invariants of the 细则 that hold whatever the history.

Expected values here are never taken from the engine: caps come from 细则 第四章（一）(1) (5,000,000 /
10,000,000 by the highest level held, computed from the generated recognitions), the higher-of
figure from the cumulative entitlements, the split from the payable.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculators.engine import Evaluation, evaluate
from calculators.money import fen_to_yuan, parse_yuan
from calculators.rulesets.bundled import rulebook
from calculators.scenario import Scenario, from_data, parse_scenario

JURISDICTIONS = ["330402", "330411", "JXETDZ", "330421", "330424", "330481", "330482", "330483", "JXPORT"]
LEADERS = ["enterprise", "university", "research-institute", "public-institution", "third-party", "government"]
GRADES = ["优秀", "优秀", "良好", "合格", "不合格"]  # 优秀 twice: consecutive 优秀 should happen often
GROUP = ("equipment-subsidy", "municipal-award")
CAP_FEN = {"provincial": 500_000_000, "national": 1_000_000_000}  # 细则 第四章（一）(1): 5,000,000 / 10,000,000 yuan
LAST_DAY = date(2032, 12, 31)

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _days(lo: date, hi: date) -> st.SearchStrategy[date]:
    return st.dates(min_value=lo, max_value=max(lo, hi))


AMOUNT_FEN = st.one_of(
    st.integers(min_value=0, max_value=100_000_000),        # up to 1,000,000.00 with odd fen
    st.integers(min_value=0, max_value=2_000_000_000),      # up to 20,000,000.00: reaches the caps
    st.sampled_from([500_000_000, 1_000_000_000, 1_666_666_667, 2_000_000_000]),  # caps reached mid-way
)


@st.composite
def histories(draw: st.DrawFn, *, mode: str | None = None) -> dict[str, Any]:
    """A platform history as scenario data (amounts as decimal yuan strings, dates as ``date``)."""
    recognitions: list[dict[str, Any]] = []
    first_level = draw(st.sampled_from(["provincial", "provincial", "national", None]))
    if first_level is not None:
        # mostly early (so most claims come after it), sometimes late or in 2025 (before the 细则)
        d1 = draw(st.one_of(_days(date(2026, 1, 11), date(2027, 6, 30)), _days(date(2025, 6, 1), date(2031, 12, 31))))
        recognitions.append({"id": "R1", "level": first_level, "date": d1, "document_number": "文号1"})
        if first_level == "provincial" and draw(st.booleans()):
            recognitions.append({"id": "R2", "level": "national", "date": draw(_days(d1, LAST_DAY))})
    pool: list[dict[str, Any]] = []
    start = date(2024, 1, 1)
    for k in range(draw(st.integers(0, 2))):
        entered = draw(_days(start, date(2026, 6, 30) if k == 0 and draw(st.booleans()) else date(2031, 6, 30)))
        spell: dict[str, Any] = {"entered": entered}
        if draw(st.booleans()):
            left = draw(_days(entered + timedelta(days=1), date(2032, 6, 30)))
            spell["left"] = left
            pool.append(spell)
            start = left + timedelta(days=1)
            if start > date(2031, 6, 30):
                break
        else:
            pool.append(spell)
            break
    agreement = [{"date": draw(_days(date(2024, 1, 1), LAST_DAY)), "document_number": "协议"}] if draw(
        st.integers(0, 3)) == 0 else []
    investments = [
        {"year": y, "amount": fen_to_yuan(draw(AMOUNT_FEN))}
        for y in range(2022, 2033) if draw(st.integers(0, 4)) > 0
    ]
    evaluations = [
        {"year": y, "grade": draw(st.sampled_from(GRADES)), "date": date(y + 1, draw(st.integers(2, 6)), 1)}
        for y in range(2024, 2032) if draw(st.integers(0, 3)) > 0
    ]
    claims: list[dict[str, Any]] = []
    for y in sorted(draw(st.lists(st.integers(2026, 2032), unique=True, max_size=5))):
        claims.append({"program": "equipment-subsidy",
                       "application_date": draw(_days(date(y, 2, 1), date(y, 12, 31)))})
    for _ in range(draw(st.integers(0, 2))):
        claims.append({"program": "municipal-award",
                       "application_date": draw(_days(date(2026, 2, 1), LAST_DAY))})
    claims.sort(key=lambda c: c["application_date"])
    for k, c in enumerate(claims):
        c["id"] = f"C{k + 1}"
    readings: dict[str, str] = {
        "equipment.window": draw(st.sampled_from(["before-application-year", "ending-with-application-year"])),
        "payer_split.county": draw(st.sampled_from(["local-100", "city-50-local-50"])),
        "exclusivity.mode": mode or draw(st.sampled_from(["offset", "exclusive"])),
    }
    return {
        "name": "random history",
        "platform": {"id": "RND", "name": "随机平台", "jurisdiction": draw(st.sampled_from(JURISDICTIONS)),
                     "leader_type": draw(st.sampled_from(LEADERS))},
        "recognitions": recognitions,
        "pool": pool,
        "agreement_support": agreement,
        "investments": investments,
        "evaluations": evaluations,
        "claims": claims,
        "readings": readings,
    }


def _run(data: dict[str, Any]) -> tuple[Scenario, Evaluation]:
    scenario = from_data(data)
    return scenario, evaluate(scenario, rulebook())


def _fen(text: str) -> int:
    return parse_yuan(text, field="result")


def _level_on(data: dict[str, Any], on: date) -> str | None:
    held = [r["level"] for r in data["recognitions"] if r["date"] <= on]
    return "national" if "national" in held else ("provincial" if held else None)


def _dates(data: dict[str, Any]) -> dict[str, date]:
    return {c["id"]: c["application_date"] for c in data["claims"]}


@SETTINGS
@given(histories())
def test_amounts_are_consistent_and_shares_add_up(data: dict[str, Any]) -> None:
    """Payable is never negative, never above entitled or gross; the shares sum to it to the fen."""
    _, ev = _run(data)
    for r in ev.results:
        assert 0 <= r.payable <= r.entitled <= r.gross, r.to_dict()
        assert r.offset == r.entitled - r.payable
        if r.status in ("ineligible", "reversed"):
            assert r.payable == 0 and r.shares == ()
            continue
        assert sum(s.amount for s in r.shares) == r.payable
        assert all(s.amount >= 0 for s in r.shares)
        # the city (when it pays) takes the floor of half; the local finance the rest
        by_party = {s.party: s.amount for s in r.shares}
        if "city" in by_party:
            assert by_party["city"] == r.payable // 2
            assert by_party["local"] == r.payable - r.payable // 2
        else:
            assert by_party == {"local": r.payable}


@SETTINGS
@given(histories())
def test_cumulative_equipment_entitlement_never_exceeds_the_cap_of_the_highest_level(data: dict[str, Any]) -> None:
    _, ev = _run(data)
    on = _dates(data)
    cumulative = 0
    for r in ev.results:
        if r.program != "equipment-subsidy":
            continue
        cumulative += r.entitled
        level = _level_on(data, on[r.claim_id])
        if level is None:
            assert r.status == "ineligible"
            continue
        assert cumulative <= CAP_FEN[level], (r.claim_id, cumulative, level)
        if r.status == "capped" and r.cap is not None:
            assert r.cap.limit == CAP_FEN[level]


@SETTINGS
@given(histories(mode="offset"))
def test_offset_group_pays_the_higher_cumulative_entitlement(data: dict[str, Any]) -> None:
    """就高不重复 (offset reading): after every claim, what the group has paid equals the higher of the two
    programs' cumulative entitlements — never their sum."""
    _, ev = _run(data)
    entitled = dict.fromkeys(GROUP, 0)
    paid = 0
    for r in ev.results:
        entitled[r.program] += r.entitled
        paid += r.payable
        assert paid == max(entitled.values()), (r.claim_id, paid, entitled)


@SETTINGS
@given(histories(mode="offset"), st.data())
def test_approving_one_claim_lower_keeps_the_invariants(data: dict[str, Any], extra: st.DataObject) -> None:
    """The party group approves one claim at any amount up to its payable: that claim pays exactly the approved
    amount, earlier claims do not change, and the group still pays the higher cumulative entitlement."""
    _, ev = _run(data)
    candidates = [r for r in ev.results if r.payable > 0]
    if not candidates:
        return
    target = extra.draw(st.sampled_from(candidates))
    approved = extra.draw(st.integers(0, target.payable))
    changed = json.loads(json.dumps(data, default=str))
    for c in changed["claims"]:
        if c["id"] == target.claim_id:
            c["approved_amount"] = fen_to_yuan(approved)
    _, ev2 = _run(changed)
    before = {r.claim_id: r for r in ev.results}
    after = ev2.by_claim()
    assert after[target.claim_id].payable == approved
    for r in ev.results:
        if r.claim_id == target.claim_id:
            break
        assert after[r.claim_id] == before[r.claim_id]
    entitled = dict.fromkeys(GROUP, 0)
    paid = 0
    for r in ev2.results:
        entitled[r.program] += r.entitled
        paid += r.payable
        assert paid == max(entitled.values())
        assert sum(s.amount for s in r.shares) == r.payable


@st.composite
def later_events(draw: st.DrawFn, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    last = max((c["application_date"] for c in data["claims"]), default=date(2026, 2, 1))
    later = draw(_days(last + timedelta(days=1), last + timedelta(days=800)))
    kind = draw(st.sampled_from(["equipment", "award", "evaluation", "recognition", "pool", "agreement"]))
    if kind == "equipment":
        # a later application year than every claim, so never a second equipment claim in one year
        when = draw(_days(date(last.year + 1, 1, 15), date(last.year + 2, 12, 31)))
        return "claims", {"id": "LATER", "program": "equipment-subsidy", "application_date": when}
    if kind == "award":
        return "claims", {"id": "LATER", "program": "municipal-award", "application_date": later}
    if kind == "evaluation":
        taken = {e["year"] for e in data["evaluations"]}
        year = draw(st.integers(2024, 2033).filter(lambda y: y not in taken))
        return "evaluations", {"year": year, "grade": "优秀", "date": later}
    if kind == "recognition":
        return "recognitions", {"level": draw(st.sampled_from(["provincial", "national", "municipal"])), "date": later}
    if kind == "pool":
        return "pool", {"entered": later}
    return "agreement_support", {"date": later}


@SETTINGS
@given(histories(), st.data())
def test_a_later_event_never_changes_an_earlier_result(data: dict[str, Any], extra: st.DataObject) -> None:
    _, ev = _run(data)
    key, event = extra.draw(later_events(data))
    grown = {**data, key: [*data[key], event]}
    _, ev2 = _run(grown)
    after = ev2.by_claim()
    for r in ev.results:
        assert after[r.claim_id].to_dict() == r.to_dict(), (key, event)


@SETTINGS
@given(histories())
def test_same_input_same_output_also_after_json_and_yaml_round_trips(data: dict[str, Any]) -> None:
    scenario, ev = _run(data)
    first = ev.to_dict()
    assert evaluate(scenario, rulebook()).to_dict() == first
    via_json = parse_scenario(scenario.model_dump_json(), fmt="json")
    assert via_json == scenario
    assert evaluate(via_json, rulebook()).to_dict() == first
    via_yaml = parse_scenario(yaml.safe_dump(scenario.model_dump(mode="json"), allow_unicode=True), fmt="yaml")
    assert via_yaml == scenario
    assert evaluate(via_yaml, rulebook()).to_dict() == first
    # the raw data written as JSON text (dates as strings) parses to the same scenario
    assert parse_scenario(json.dumps(data, default=str, ensure_ascii=False), fmt="json") == scenario
