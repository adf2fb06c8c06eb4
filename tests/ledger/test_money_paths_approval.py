"""The party-group approval (党组会审定), refusal by refusal: each refusal whole (field, rule, message,
details) with the books unchanged after it, the cap's refusal with its headroom, and the approval's entry
with and without a user named.

The claim: audited 1,950,000.00 (30%: 585,000.00 payable), audited 2026-03-20. Legs follow
docs/posting-rules.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from ledger import accounts as A
from ledger import services as S
from ledger.errors import CapExceeded, IllegalTransition, Invalid
from ledger.models import Approval, ClaimEvent, JournalEntry
from ledger.outcomes import Approved, ClaimState
from tests.ledger.test_money_paths import AUDITED, CITY, NANHU, _claim_legs, _refused, _share_legs
from tests.ledger.world import run_to_audited, setup_world

SHARE = 292_500_00
R19 = "细则 第四章（一）(2)（解读 R-19）："


def _audited(db: Any) -> str:
    setup_world(db, years=(2026,))
    return run_to_audited(db, years=AUDITED)


def _nothing_recorded(db: Any) -> bool:
    with db.sessions() as s:
        return (s.execute(select(func.count(Approval.id))).scalar_one() == 0 and s.execute(
            select(func.count(ClaimEvent.id)).where(ClaimEvent.action == "approve")).scalar_one() == 0)


def test_each_refusal_of_an_approval_names_its_field_and_rule(db: Any) -> None:
    number = _audited(db)
    call = {"claim_number": number, "meeting_date": date(2026, 3, 25), "minutes_number": "m", "actor": "bureau"}
    assert _refused(db, Invalid, "早于", S.approve, **{**call, "meeting_date": date(2026, 3, 19)}) == {
        "field": "meeting_date", "rule": S.DATE_RULE, "previous": "2026-03-20",
        "message": "党组会审定日期 2026-03-19 早于审计日期 2026-03-20：每一步不得早于前一步（经办流程）"}
    assert _refused(db, IllegalTransition, "经办与复核分离", S.approve, **{**call, "actor": "clerk"}) == {
        "field": "actor", "rule": S.DUTY_RULE,
        "message": f"clerk 经办（申报）了申请 {number}，不得再录入其党组会审定（党组会审定日期 2026-03-25）：经办与复核分离"}
    assert _refused(db, Invalid, "必填", S.approve, **{**call, "minutes_number": " "}) == {
        "field": "minutes_number", "rule": "细则 第四章（一）(2)：党组会审议",
        "message": "会议纪要文号为必填；请填写党组会会议纪要文号"}
    assert _refused(db, Invalid, "不得高于", S.approve, **call, approved_fen=585_000_01) == {
        "field": "approved_amount", "rule": R19 + "审定金额不得高于计算应付数",
        "message": "审定金额 585,000.01 元 高于计算应付数 585,000.00 元；审定金额不得高于计算应付数，"
                   "请填写不超过计算应付数的金额，或留空按计算应付数审定"}
    assert _refused(db, Invalid, "说明理由", S.approve, **call, approved_fen=584_999_99, reason=" ") == {
        "field": "reason", "rule": R19 + "核减须说明理由",
        "message": "审定金额 584,999.99 元 低于计算应付数 585,000.00 元，须说明理由；请填写理由"}
    assert _refused(db, Invalid, "无可审定", S.approve, **call, approved_fen=0, reason="r") == {
        "field": "approved_amount", "rule": "审定金额须大于0",
        "message": "审定金额为 0.00 元，无可审定的金额；不予支持的申请请在审核时退回"}
    assert _nothing_recorded(db)


def test_an_approval_above_a_clipped_payable_is_refused_by_the_cap(db: Any) -> None:
    """Provincial cap 5,000,000 (细则 第四章（一）(1)): 30% of 18,000,000 is clipped to it; one fen more is the
    cap's refusal, with its headroom."""
    setup_world(db, years=(2026,), budget_fen=10_000_000_00)
    number = run_to_audited(db, years={2023: 6_000_000_00, 2024: 6_000_000_00, 2025: 6_000_000_00})
    refusal = _refused(db, CapExceeded, "累计上限", S.approve, claim_number=number, meeting_date=date(2026, 3, 25),
                       minutes_number="m", approved_fen=5_000_000_01, reason="r", actor="bureau")
    assert refusal == {
        "field": "approved_amount", "rule": "细则 第四章（一）(1)：补助累计金额最高不超过……500万元（解读 R-12）",
        "headroom": "5000000.00",
        "message": "平台 P1 的累计上限 5,000,000.00 元 尚余 5,000,000.00 元，审定金额 5,000,000.01 元 超出；"
                   "请审定不超过余额的金额"}
    assert _nothing_recorded(db)


def test_an_approval_names_no_user_unless_given(db: Any) -> None:
    number = _audited(db)
    with db.sessions.begin() as s:
        out = S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m5")
    assert out == Approved(claim=number, state=ClaimState.APPROVED, entry=9, approved=2 * SHARE,
                           shares={CITY: SHARE, NANHU: SHARE})
    with db.sessions() as s:
        e = s.get(JournalEntry, 9)
        assert e is not None
        assert (e.kind, e.description, e.actor, e.entry_date, e.claim_id) == (
            "approve", f"{number} 党组会审定（m5）585000.00 元", "", date(2026, 3, 25), 1)
        assert _claim_legs(s, 9) == [(A.MEMO_CONTRA, 2 * SHARE, None, None), (A.MEMO_AUDITED, -2 * SHARE, None, None),
                                     *_share_legs(A.APPROPRIATION_AVAILABLE, A.COMMITTED, SHARE, SHARE)]
        event = s.execute(select(ClaimEvent).where(ClaimEvent.action == "approve")).scalar_one()
        assert (event.from_state, event.to_state, event.date, event.actor, event.entry_id) == (
            "audited", "approved", date(2026, 3, 25), "", 9)
