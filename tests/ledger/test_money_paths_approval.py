"""The party-group approval (党组会审定), to the leg and refusal by refusal: each refusal whole (field, rule,
message, details) with the books unchanged after it; the budget's refusals naming the payer and the program;
the cap's refusal with its headroom, held against what the ledger has committed (not only what the calculator
saw); the approval's entry with and without a user named; and the entry of an approval without an audit firm
(the municipal award) leg by leg.

The claim: audited 1,950,000.00 (30%: 585,000.00 payable), audited 2026-03-20. Legs follow
docs/posting-rules.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from ledger import accounts as A
from ledger import services as S
from ledger.errors import BudgetExceeded, CapExceeded, IllegalTransition, Invalid
from ledger.journal import debit_credit, legs_of, post
from ledger.models import Approval, Claim, ClaimEvent, ClaimExplanation, JournalEntry
from ledger.outcomes import Approved, ClaimState
from ledger.queries import balance
from tests.ledger.test_money_paths import AUDITED, CITY, EQ, NANHU, _claim_legs, _refused, _share_legs
from tests.ledger.test_procedures import _award_claim
from tests.ledger.world import run_to_audited, setup_world

SHARE = 292_500_00
R19 = "细则 第四章（一）(2)（解读 R-19）："
CAP_RULE = "细则 第四章（一）(1)：补助累计金额最高不超过……500万元（解读 R-12）"


def _audited(db: Any) -> str:
    setup_world(db, years=(2026,))
    return run_to_audited(db, years=AUDITED)


def _nothing_recorded(db: Any) -> bool:
    with db.sessions() as s:
        return (s.execute(select(func.count(Approval.id))).scalar_one() == 0 and s.execute(
            select(func.count(ClaimEvent.id)).where(ClaimEvent.action == "approve")).scalar_one() == 0)


def _state(db: Any) -> str:
    with db.sessions() as s:
        return str(s.execute(select(Claim.state)).scalar_one())


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
    assert _state(db) == "audited"


def test_a_share_above_its_budget_is_refused_naming_the_payer_and_the_program(db: Any) -> None:
    setup_world(db, years=(2026,), budget_fen=292_499_99)  # each payer one fen short of its 292,500.00
    number = run_to_audited(db, years=AUDITED)
    assert _refused(db, BudgetExceeded, "预算控制", S.approve, claim_number=number, meeting_date=date(2026, 3, 25),
                    minutes_number="m", actor="bureau") == {
        "field": "approved_amount", "rule": "预算控制：承诺不得超过预算指标", "payer": CITY, "available": "292499.99",
        "message": "嘉兴市财政局 2026 年度“国家级、省级中试平台设备投入补助”预算可用 292,499.99 元，其承担份额 292,500.00 元 超出；"
                   "请先追加预算指标"}  # the city first (payer-code order); the program by its name, not its code
    assert _state(db) == "audited"


def test_a_payer_without_a_budget_line_has_nothing_available(db: Any) -> None:
    """No 2026 budget line at all: 南湖区's one fen is refused (nothing available), though the city's share
    (0, its floor) asks nothing and is passed over first."""
    setup_world(db, years=(2027,))
    number = run_to_audited(db, years=AUDITED)
    assert _refused(db, BudgetExceeded, "预算控制", S.approve, claim_number=number, meeting_date=date(2026, 3, 25),
                    minutes_number="m", actor="bureau", approved_fen=1, reason="核减") == {
        "field": "approved_amount", "rule": "预算控制：承诺不得超过预算指标", "payer": NANHU, "available": "0.00",
        "message": "南湖区财政局 2026 年度“国家级、省级中试平台设备投入补助”预算可用 0.00 元，其承担份额 0.01 元 超出；"
                   "请先追加预算指标"}


def test_an_approval_above_a_clipped_payable_is_refused_by_the_cap(db: Any) -> None:
    """Provincial cap 5,000,000 (细则 第四章（一）(1)): 30% of 18,000,000 is clipped to it; one fen more is the
    cap's refusal, with its headroom."""
    setup_world(db, years=(2026,), budget_fen=10_000_000_00)
    number = run_to_audited(db, years={2023: 6_000_000_00, 2024: 6_000_000_00, 2025: 6_000_000_00})
    refusal = _refused(db, CapExceeded, "累计上限", S.approve, claim_number=number, meeting_date=date(2026, 3, 25),
                       minutes_number="m", approved_fen=5_000_000_01, reason="r", actor="bureau")
    assert refusal == {
        "field": "approved_amount", "rule": CAP_RULE, "headroom": "5000000.00",
        "message": "平台 P1 的累计上限 5,000,000.00 元 尚余 5,000,000.00 元，审定金额 5,000,000.01 元 超出；"
                   "请审定不超过余额的金额"}
    assert _nothing_recorded(db)


def _commit(db: Any, *, platform_id: int, program: str, fen: int) -> None:
    """A commitment the calculator does not see (a correcting entry posted to the journal): 8101 → 8102."""
    with db.sessions.begin() as s:
        post(s, entry_date=date(2026, 3, 20), kind="correction", description="更正", claim_id=None,
             legs=debit_credit(A.APPROPRIATION_AVAILABLE, A.COMMITTED, fen, payer=NANHU, platform_id=platform_id,
                               program=program, fiscal_year=2026))


def test_the_cap_holds_against_what_the_ledger_has_committed(db: Any) -> None:
    """Under the claim's lock the approval reads what the journal has committed to this platform under this
    program: 4,500,000.00 committed leaves 500,000.00 of the 5,000,000.00 cap, and 585,000.00 is refused.
    Commitments of another program or another platform do not count."""
    setup_world(db, years=(2026,), budget_fen=20_000_000_00)
    with db.sessions.begin() as s:
        S.create_platform(s, code="P2", name="另一平台", jurisdiction=NANHU, operator="某公司", leader_type="enterprise")
    number = run_to_audited(db, years=AUDITED)
    call = {"claim_number": number, "meeting_date": date(2026, 3, 25), "minutes_number": "m", "actor": "bureau"}
    _commit(db, platform_id=1, program="municipal-award", fen=4_500_000_00)
    _commit(db, platform_id=2, program=EQ, fen=4_500_000_00)
    _commit(db, platform_id=1, program=EQ, fen=4_415_000_01)  # 585,000.00 fits to the fen less one
    assert _refused(db, CapExceeded, "累计上限", S.approve, **call) == {
        "field": "approved_amount", "rule": CAP_RULE, "headroom": "584999.99",
        "message": "平台 P1 的累计上限 5,000,000.00 元 尚余 584,999.99 元，审定金额 585,000.00 元 超出；请审定不超过余额的金额"}
    with db.sessions.begin() as s:
        assert S.approve(s, **call, approved_fen=584_999_99, reason="累计上限").approved == 584_999_99


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


def test_an_approval_without_an_audit_posts_the_payable_through_9004(db: Any) -> None:
    """The municipal award has no audit firm: the reviewed request leaves 9003, the payable computed at
    approval passes in and out of 9004 (so the journal keeps it), and each share is committed."""
    number = _award_claim(db)
    with db.sessions.begin() as s:
        out = S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
    with db.sessions() as s:
        legs = [(leg.account, leg.amount, leg.payer, leg.platform_id, leg.program, leg.claim_id, leg.fiscal_year)
                for leg in legs_of(s, out.entry)]
    memo = (None, 1, "municipal-award", 1, None)
    share = (1, "municipal-award", 1, 2026)
    assert legs == [
        (A.MEMO_CONTRA, 1_000_000_00, *memo), (A.MEMO_DISTRICT_REVIEWED, -1_000_000_00, *memo),
        (A.MEMO_AUDITED, 1_000_000_00, *memo), (A.MEMO_CONTRA, -1_000_000_00, *memo),
        (A.MEMO_CONTRA, 1_000_000_00, *memo), (A.MEMO_AUDITED, -1_000_000_00, *memo),
        (A.APPROPRIATION_AVAILABLE, 500_000_00, CITY, *share), (A.COMMITTED, -500_000_00, CITY, *share),
        (A.APPROPRIATION_AVAILABLE, 500_000_00, NANHU, *share), (A.COMMITTED, -500_000_00, NANHU, *share)]
    with db.sessions() as s:  # the entry names who recorded it; the approval stores the calculation it rested on
        entry = s.get(JournalEntry, out.entry)
        assert entry is not None and entry.actor == "bureau"
        basis = s.execute(select(ClaimExplanation.basis_action, ClaimExplanation.basis_date, ClaimExplanation.result)
                          .where(ClaimExplanation.action == "approve")).one()
    assert (basis[0], basis[1], basis[2]["payable"]) == ("approve", date(2026, 3, 25), 1_000_000_00)


def test_an_award_requested_above_its_computed_amount_is_approved_at_the_computed_amount(db: Any) -> None:
    """The municipal award filed asking 1,200,000.00 where the rule gives 1,000,000.00 (细则 第四章（二）：每个给予
    100万元): without an audit the reviewed request (1,200,000.00) is what stands in 9003, and the approval
    clears that, not the computed amount; the approval itself is never above the computed amount (R-19), so
    the request is refused as an approved amount and the default approves 1,000,000.00, half each payer."""
    number = _award_claim(db, requested_fen=1_200_000_00)
    call = {"claim_number": number, "meeting_date": date(2026, 3, 25), "minutes_number": "m", "actor": "bureau"}
    assert _refused(db, Invalid, "不得高于", S.approve, **call, approved_fen=1_200_000_00) == {
        "field": "approved_amount", "rule": R19 + "审定金额不得高于计算应付数",
        "message": "审定金额 1,200,000.00 元 高于计算应付数 1,000,000.00 元；审定金额不得高于计算应付数，"
                   "请填写不超过计算应付数的金额，或留空按计算应付数审定"}
    with db.sessions.begin() as s:
        out = S.approve(s, **call)
    assert out == Approved(claim=number, state=ClaimState.APPROVED, entry=out.entry, approved=1_000_000_00,
                           shares={CITY: 500_000_00, NANHU: 500_000_00})
    with db.sessions() as s:
        legs = [(leg.account, leg.amount, leg.payer) for leg in legs_of(s, out.entry)]
        memo = balance(s, [A.MEMO_FILED, A.MEMO_ECON_REVIEWED, A.MEMO_DISTRICT_REVIEWED, A.MEMO_AUDITED], claim_id=1)
        claim = s.execute(select(Claim.requested_fen, Claim.computed_fen, Claim.approved_fen)).one()
        approval = s.execute(select(Approval.approved_fen, Approval.computed_fen)).one()
    assert legs == [
        (A.MEMO_CONTRA, 1_200_000_00, None), (A.MEMO_DISTRICT_REVIEWED, -1_200_000_00, None),  # the request
        (A.MEMO_AUDITED, 1_000_000_00, None), (A.MEMO_CONTRA, -1_000_000_00, None),  # the payable, in and out
        (A.MEMO_CONTRA, 1_000_000_00, None), (A.MEMO_AUDITED, -1_000_000_00, None),
        (A.APPROPRIATION_AVAILABLE, 500_000_00, CITY), (A.COMMITTED, -500_000_00, CITY),
        (A.APPROPRIATION_AVAILABLE, 500_000_00, NANHU), (A.COMMITTED, -500_000_00, NANHU)]
    assert memo == 0  # nothing of the claim is left standing before the approval
    assert tuple(claim) == (1_200_000_00, 1_000_000_00, 1_000_000_00)
    assert tuple(approval) == (1_000_000_00, 1_000_000_00)


def test_every_memo_leg_of_a_claim_carries_its_platform_program_and_claim(db: Any) -> None:
    """Filing 600,000.00 requested, the audit's 585,000.00 computed: the memorandum moves (9001 → 9002 → 9003 →
    9004) net their 9099 legs into one whose amount is the change, and every leg, the netted one too, carries
    the claim's platform, program and claim."""
    setup_world(db, years=(2026,))
    run_to_audited(db, years=AUDITED, invoices=[], requested_fen=600_000_00)
    with db.sessions() as s:
        entries = s.execute(select(JournalEntry.id).where(JournalEntry.claim_id == 1)).scalars().all()
        legs = [leg for entry in entries for leg in legs_of(s, entry)]
    assert {(leg.platform_id, leg.program, leg.claim_id) for leg in legs} == {(1, EQ, 1)}
    assert [(leg.account, leg.amount) for leg in legs][-3:] == [  # the audit: 9003 → 9004, the change netted
        (A.MEMO_DISTRICT_REVIEWED, -600_000_00), (A.MEMO_AUDITED, 585_000_00), (A.MEMO_CONTRA, 15_000_00)]
