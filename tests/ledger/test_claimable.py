"""What a platform can claim now: each program's standing comes from the calculators' probe and the
ledger's positions (claims in the procedure, decided claims, the committed cap)."""

from __future__ import annotations

from datetime import date

from ledger import services as S
from ledger.claimable import Standing, platform_standing
from ledger.errors import LedgerError
from ledger.models import Platform
from ledger.queries import cap_headroom
from tests.conftest import LedgerDB
from tests.ledger.world import run_to_audited, setup_world

ON = date(2026, 6, 1)


def _standing(db: LedgerDB, code: str, on: date = ON) -> dict[str, Standing]:
    with db.sessions() as s:
        p = s.query(Platform).filter_by(code=code).one()
        found = platform_standing(s, p, on)
    return {x.program: x.standing for x in found.programs}


def _platform(db: LedgerDB, code: str, *, leader: str = "enterprise") -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
        S.create_platform(s, code=code, name=f"平台{code}", jurisdiction="330402", operator="运营公司",
                          leader_type=leader)


def test_unrecognised_platform_can_claim_nothing_and_is_told_why(db: LedgerDB) -> None:
    _platform(db, "P0")
    got = _standing(db, "P0")
    assert got["equipment-subsidy"] is Standing.NOT_RECOGNISED
    assert got["municipal-award"] is Standing.NOT_RECOGNISED
    assert Standing.CLAIMABLE not in got.values()


def test_recognised_platform_can_claim_equipment_then_it_is_in_progress(db: LedgerDB) -> None:
    _platform(db, "P1")
    with db.sessions.begin() as s:
        S.add_platform_event(s, "P1", kind="recognition", on=date(2026, 2, 10), level="provincial",
                             document_number="浙经信〔2026〕8号")
    with db.sessions() as s:
        p = s.query(Platform).filter_by(code="P1").one()
        found = platform_standing(s, p, ON)
    eq = {x.program: x for x in found.programs}["equipment-subsidy"]
    assert eq.standing is Standing.CLAIMABLE and eq.reason == ""
    assert eq.headroom == 5_000_000_00 and eq.years and eq.estimate is None
    # the province's one-time grant for a new provincial platform (its amount the province decides)
    assert {x.program for x in found.claimable} == {"equipment-subsidy", "zj-new-provincial"}
    assert {x.program: x for x in found.programs}["zj-new-provincial"].estimate is None

    number = run_to_audited(db, code="P1")
    with db.sessions() as s:
        p = s.query(Platform).filter_by(code="P1").one()
        eq = {x.program: x for x in platform_standing(s, p, ON).programs}["equipment-subsidy"]
    assert eq.standing is Standing.IN_PROGRESS and eq.claims == (number,)
    with db.sessions() as s:  # the same committed position the platform page's gauge shows
        assert eq.headroom == cap_headroom(s, "P1", "equipment-subsidy", ON).headroom
    assert "2026" in eq.reason  # one claim a year: the reason says which year


def test_one_time_award_claimable_then_already_received(db: LedgerDB) -> None:
    setup_world(db, code="P2")  # in the pool, then provincial: a 嘉兴市中试平台
    got = _standing(db, "P2")
    assert got["municipal-award"] is Standing.CLAIMABLE
    number = run_to_audited(db, code="P2", program="municipal-award", invoices=[], requested_fen=1_000_000_00)
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 4, 1), minutes_number="党组会〔2026〕5号",
                  actor="bureau")
    got = _standing(db, "P2")
    assert got["municipal-award"] is Standing.ALREADY_RECEIVED


def test_institution_with_agreement_support_is_not_eligible(db: LedgerDB) -> None:
    _platform(db, "P3", leader="university")
    with db.sessions.begin() as s:
        S.add_platform_event(s, "P3", kind="agreement-support", on=date(2025, 5, 1), document_number="协议〔2025〕3号",
                             amount_fen=2_000_000_00)
        S.add_platform_event(s, "P3", kind="recognition", on=date(2026, 2, 10), level="provincial",
                             document_number="浙经信〔2026〕8号")
    with db.sessions() as s:
        p = s.query(Platform).filter_by(code="P3").one()
        eq = {x.program: x for x in platform_standing(s, p, ON).programs}["equipment-subsidy"]
    assert eq.standing is Standing.NOT_ELIGIBLE and "协议支持" in eq.reason


def test_what_is_shown_claimable_previews_to_the_amount_shown(db: LedgerDB) -> None:
    """The view promises what 试算 then computes: every claimable fixed award previews to its estimate,
    and every refused one previews to nothing payable (or is refused)."""
    setup_world(db, code="P4")
    with db.sessions() as s:
        p = s.query(Platform).filter_by(code="P4").one()
        found = platform_standing(s, p, ON)
        for x in found.programs:
            if x.program in ("equipment-subsidy", "national-matching", "zj-new-provincial", "pool-award",
                             "zj-excellent"):
                continue  # their amount depends on what the claim brings
            try:
                payable = S.preview_claim(s, platform_code="P4", program=x.program, application_date=ON).payable
            except LedgerError:
                payable = 0
            assert payable == (x.estimate if x.standing is Standing.CLAIMABLE else 0), x
    assert any(x.standing is Standing.CLAIMABLE and x.estimate == 1_000_000_00 for x in found.programs)
