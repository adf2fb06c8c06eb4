"""Filing warns when Annex 3 undertaking 2 cannot be signed; a later claim's explicit years follow the window."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from ledger import services as S
from ledger.errors import Invalid
from ledger.models import Claim
from tests.ledger.world import run_to_audited, setup_world

AUDITED = {2023: 1_000_000_00, 2024: 700_000_00, 2025: 250_000_00}
LATER = [S.InvoiceIn("91330400C", "00030001", date(2026, 8, 1), 400_000_00, 52_000_00)]


def test_no_warning_before_municipal_money_and_one_after_approval(db) -> None:  # type: ignore[no-untyped-def]
    setup_world(db)
    with db.sessions.begin() as s:
        first = S.preview_claim(s, platform_code="P1", program="equipment-subsidy", application_date=date(2026, 3, 2))
        assert first.warnings == ()
    number = run_to_audited(db, years=AUDITED)
    with db.sessions.begin() as s:  # audited, not yet approved: no municipal money yet
        assert S.preview_claim(s, platform_code="P1", program="equipment-subsidy",
                               application_date=date(2027, 3, 1), invoices=LATER).warnings == ()
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="党组会〔2026〕5号",
                  actor="bureau")
    with db.sessions.begin() as s:
        preview = S.preview_claim(s, platform_code="P1", program="equipment-subsidy",
                                  application_date=date(2027, 3, 1), invoices=LATER)
        assert len(preview.warnings) == 1
        assert "承诺事项2" in preview.warnings[0] and number in preview.warnings[0]
        assert preview.to_dict()["warnings"] == list(preview.warnings)
        out = S.file_claim(s, platform_code="P1", program="equipment-subsidy", application_date=date(2027, 3, 1),
                           invoices=LATER, actor="clerk")
        assert out.result.warnings == preview.warnings
        assert out.result.years == (2026,)  # the amount is unchanged by the warning
        assert out.computed == 120_000_00


def test_agreement_support_warns_from_its_date(db) -> None:  # type: ignore[no-untyped-def]
    setup_world(db)
    with db.sessions.begin() as s:
        S.add_platform_event(s, "P1", kind="agreement-support", on=date(2026, 5, 1), document_number="市区协议〔2026〕1号")
        before = S.preview_claim(s, platform_code="P1", program="equipment-subsidy", application_date=date(2026, 4, 30))
        after = S.preview_claim(s, platform_code="P1", program="equipment-subsidy", application_date=date(2026, 5, 1))
    assert before.warnings == ()
    assert len(after.warnings) == 1 and "市区协议〔2026〕1号" in after.warnings[0]


def test_explicit_year_outside_the_window_is_refused_in_chinese(db) -> None:  # type: ignore[no-untyped-def]
    setup_world(db)
    run_to_audited(db, years=AUDITED)
    old = [S.InvoiceIn("91330400D", "00040001", date(2026, 8, 1), 400_000_00, 52_000_00)]
    with pytest.raises(Invalid) as info, db.sessions.begin() as s:
        S.file_claim(s, platform_code="P1", program="equipment-subsidy", application_date=date(2030, 3, 1),
                     invoices=old, years=[2026], actor="clerk")
    err = info.value
    assert err.field.endswith("years[0]")
    assert "当年设备投资" in err.rule
    assert "2026年度不可申报：本次可申报的年度为2027、2028、2029年度" in err.message
    with db.sessions() as s:
        assert s.execute(select(func.count(Claim.id))).scalar_one() == 1  # nothing written
