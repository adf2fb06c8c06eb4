"""Each program walks its whole procedure (calculators/rulesets/*.yaml ``procedures``), on both engines:
the equipment subsidy its eight steps; the municipal award without audit firm and second 公示 (and, as the
alternative reading selected in the data, the equipment procedure); the Jiaxing plan programs without the
audit firm; the provincial programs through the province's allocation, the transfer's receipt, the pass-on
and the payment, with balanced entries. Every recorded move is one the claim's procedure allows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import DatedValue, RuleBook
from ledger import accounts as A
from ledger import provincial
from ledger import services as S
from ledger.errors import IllegalTransition, Invalid
from ledger.journal import verify
from ledger.models import Claim, ClaimEvent, ProvincialStep
from ledger.projections import check
from ledger.queries import balance, trial_balance
from tests.ledger.world import invoices_2023_2025, pay_confirmed, setup_world

CITY, NANHU, HAINING = "330400", "330402", "330481"


def _moves_allowed(db: Any, number: str) -> list[str]:
    """The claim's recorded moves, each checked against its procedure; the actions in order."""
    with db.sessions() as s:
        claim = s.execute(select(Claim).where(Claim.number == number)).scalar_one()
        procedure = S.procedure_of(claim)
        events = s.execute(select(ClaimEvent).where(ClaimEvent.claim_id == claim.id).order_by(ClaimEvent.id)).scalars()
        actions = []
        for e in events:
            assert procedure.allows_move(e.from_state, e.action, e.to_state), (procedure.id, e.from_state, e.action)
            actions.append(e.action)
        return actions


def _books_close(db: Any) -> None:
    with db.sessions() as s:
        rows = trial_balance(s)
        for view in ("budgetary", "financial", "memorandum"):
            assert sum(r.balance for r in rows if r.view == view) == 0, view
        assert verify(s).ok
        assert check(s) == []


def _refused(db: Any, match: str, fn: Any, **kw: Any) -> None:
    with pytest.raises(IllegalTransition, match=match), db.sessions.begin() as s:
        fn(s, **kw)


def _reviewed(s: Any, number: str, filed: date) -> None:
    S.review(s, claim_number=number, department="economic", approve=True, opinion="同意", on=filed, actor="econ")
    S.review(s, claim_number=number, department="finance", approve=True, opinion="同意", on=filed, actor="fin")


def test_equipment_subsidy_walks_its_eight_steps(db: Any) -> None:
    setup_world(db)
    with db.sessions.begin() as s:
        number = S.file_claim(s, platform_code="P1", program="equipment-subsidy", application_date=date(2026, 3, 2),
                              invoices=invoices_2023_2025(), actor="clerk").claim
        assert s.execute(select(Claim.procedure)).scalar_one() == "equipment"
        _reviewed(s, number, date(2026, 3, 4))
    _refused(db, "“党组会审定”须在申请为“已审计”时办理", S.approve, claim_number=number,
             meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
    with db.sessions.begin() as s:
        S.record_audit(s, claim_number=number, firm="所", report_number="R1", on=date(2026, 3, 20),
                       years={2023: 1_000_000_00, 2024: 700_000_00, 2025: 300_000_00})
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
    _refused(db, "“资金下达”须在申请为“公示中”时办理", S.issue_funds, claim_number=number, document_number="d",
             on=date(2026, 4, 10))
    with db.sessions.begin() as s:
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示")
        S.issue_funds(s, claim_number=number, document_number="下达", on=date(2026, 4, 10))
        for payer in (CITY, NANHU):
            pay_confirmed(s, claim_number=number, payer=payer, voucher_number=f"V{payer}", on=date(2026, 4, 15),
                  amount_fen=300_000_00)
    assert _moves_allowed(db, number) == ["file", "review-economic", "review-finance", "audit", "approve", "notice",
                                          "issue", "prepare-payment", "pay", "prepare-payment", "pay"]
    with db.sessions() as s:
        assert s.execute(select(Claim.state)).scalar_one() == "paid"
    _books_close(db)


def _award_claim(db: Any, *, requested_fen: int | None = None) -> str:
    """The municipal award (100万) filed and reviewed; requested as computed unless ``requested_fen``."""
    setup_world(db)  # P1: in the pool since 2025-03-01, recognised provincial 2026-02-10 → 自动认定
    with db.sessions.begin() as s:
        out = S.file_claim(s, platform_code="P1", program="municipal-award", application_date=date(2026, 3, 2),
                           requested_fen=requested_fen, actor="clerk")
        assert out.computed == 1_000_000_00
        _reviewed(s, out.claim, date(2026, 3, 4))
    return out.claim


def test_municipal_award_has_no_audit_and_no_second_notice(db: Any) -> None:
    number = _award_claim(db)
    _refused(db, "没有“audit”这一步", S.record_audit, claim_number=number, firm="所", report_number="R",
             on=date(2026, 3, 20))
    with db.sessions.begin() as s:
        out = S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="党组会〔2026〕3号",
                        actor="bureau")
        assert out.shares == {CITY: 500_000_00, NANHU: 500_000_00}
    _refused(db, "没有“notice”这一步", S.publish_notice, claim_numbers=[number], publication_date=date(2026, 3, 26),
             title="公示")
    with db.sessions.begin() as s:
        S.issue_funds(s, claim_number=number, document_number="嘉经信〔2026〕40号", on=date(2026, 3, 27))
        for payer in (CITY, NANHU):
            pay_confirmed(s, claim_number=number, payer=payer, voucher_number=f"V{payer}", on=date(2026, 4, 2),
                  amount_fen=500_000_00)
    assert _moves_allowed(db, number) == ["file", "review-economic", "review-finance", "approve", "issue",
                                          "prepare-payment", "pay", "prepare-payment", "pay"]
    with db.sessions() as s:
        assert s.execute(select(Claim.state)).scalar_one() == "paid"
        assert balance(s, [A.EXPENDED], program="municipal-award") == -1_000_000_00
    _books_close(db)


def _with_procedure(book: RuleBook, rule_set: str, program: str, procedure: str) -> RuleBook:
    """The book with ``procedure.<program>`` of ``rule_set`` set to ``procedure`` (the alternative reading)."""
    rs = book.rule_sets[rule_set]
    name = f"procedure.{program}"
    param = rs.parameters[name]
    last = param.values[-1]
    chosen = replace(param, values=(DatedValue(last.start, last.end, procedure, last.clause),))
    return replace(book, rule_sets={**book.rule_sets,
                                    rule_set: replace(rs, parameters={**rs.parameters, name: chosen})})


def test_the_award_follows_the_equipment_procedure_when_the_data_says_so(db: Any,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    book = _with_procedure(rulebook(), "jiaxing-rules-2026", "municipal-award", "equipment")
    monkeypatch.setattr(S, "_book", lambda: book)
    number = _award_claim(db)
    with db.sessions.begin() as s:
        assert s.execute(select(Claim.procedure)).scalar_one() == "equipment"
        S.record_audit(s, claim_number=number, firm="所", report_number="R", on=date(2026, 3, 20))
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
    _refused(db, "“资金下达”须在申请为“公示中”时办理", S.issue_funds, claim_number=number, document_number="d",
             on=date(2026, 3, 27))
    with db.sessions.begin() as s:
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示")
        S.issue_funds(s, claim_number=number, document_number="下达", on=date(2026, 4, 10))
    assert _moves_allowed(db, number)[-4:] == ["audit", "approve", "notice", "issue"]
    _books_close(db)


def _plan_world(db: Any) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
        S.create_platform(s, code="PA1", name="海宁省级平台", jurisdiction=HAINING)
        S.add_platform_event(s, "PA1", kind="recognition", on=date(2025, 9, 10), level="provincial",
                             document_number="浙经信技术〔2025〕88号")
        S.appropriate(s, payer=HAINING, fiscal_year=2026, program="provincial-award", amount_fen=20_000_000_00,
                      on=date(2025, 1, 5))


@pytest.mark.parametrize("procedure", ["plan", "equipment"])
def test_plan_programs_skip_the_audit_firm_unless_the_data_says_otherwise(
        db: Any, monkeypatch: pytest.MonkeyPatch, procedure: str) -> None:
    if procedure != "plan":
        book = _with_procedure(rulebook(), "jiaxing-plan-2025", "provincial-award", procedure)
        monkeypatch.setattr(S, "_book", lambda: book)
    _plan_world(db)
    with db.sessions.begin() as s:
        number = S.file_claim(s, platform_code="PA1", program="provincial-award", application_date=date(2026, 3, 2),
                              actor="clerk").claim
        _reviewed(s, number, date(2026, 3, 4))
    if procedure == "plan":
        _refused(db, "没有“audit”这一步", S.record_audit, claim_number=number, firm="所", report_number="R",
                 on=date(2026, 3, 10))
    else:
        with db.sessions.begin() as s:
            S.record_audit(s, claim_number=number, firm="所", report_number="R", on=date(2026, 3, 10))
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 20), minutes_number="m", actor="bureau")
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 3, 23), title="公示")
        S.issue_funds(s, claim_number=number, document_number="下达", on=date(2026, 4, 10))
        pay_confirmed(s, claim_number=number, payer=HAINING, voucher_number="V1", on=date(2026, 4, 15),
              amount_fen=10_000_000_00)
    steps = ["approve", "notice", "issue", "prepare-payment", "pay"]
    assert _moves_allowed(db, number) == ["file", "review-economic", "review-finance",
                                          *(["audit"] if procedure == "equipment" else []), *steps]
    _books_close(db)


def _provincial_claim(db: Any) -> str:
    setup_world(db)
    with db.sessions.begin() as s:
        number = S.file_claim(s, platform_code="P1", program="zj-new-provincial", application_date=date(2026, 3, 2),
                              recorded_amount_fen=6_000_000_00, actor="clerk").claim
        assert s.execute(select(Claim.procedure)).scalar_one() == "provincial"
        _reviewed(s, number, date(2026, 3, 4))
    return number


def test_provincial_money_is_allocated_received_passed_on_and_paid(db: Any) -> None:
    number = _provincial_claim(db)
    for fn, kw in ((S.approve, {"meeting_date": date(2026, 3, 25), "minutes_number": "m", "actor": "bureau"}),
                   (S.publish_notice, {"publication_date": date(2026, 3, 25), "title": "公示"}),
                   (S.issue_funds, {"document_number": "d", "on": date(2026, 3, 25)})):
        args = {"claim_numbers": [number]} if fn is S.publish_notice else {"claim_number": number}
        _refused(db, "该流程没有", fn, **args, **kw)  # no 党组会, no city 公示, no city 下达
    with pytest.raises(Invalid, match="不超过按浙江方案计算"), db.sessions.begin() as s:
        provincial.allocate(s, claim_number=number, document_number="浙财企〔2026〕12号", on=date(2026, 4, 1),
                            amount_fen=6_000_000_01)
    _refused(db, "“转拨区县”须在申请为“上级转移支付已到账”时办理", provincial.pass_on, claim_number=number,
             document_number="转拨", on=date(2026, 4, 1))
    with db.sessions.begin() as s:
        provincial.allocate(s, claim_number=number, document_number="浙财企〔2026〕12号", on=date(2026, 4, 1),
                            amount_fen=6_000_000_00, actor="city-finance")
        assert balance(s, [A.TRANSFER_RECEIVABLE], payer=CITY) == 6_000_000_00
        provincial.receive_transfer(s, claim_number=number, document_number="国库到账2026-88", on=date(2026, 4, 8),
                                    actor="city-finance")
        assert balance(s, [A.TREASURY], payer=CITY) > 0
        out = provincial.pass_on(s, claim_number=number, document_number="嘉财企〔2026〕30号", on=date(2026, 4, 10),
                                 actor="city-finance")
        assert out.state == "passed_on"
        assert S.payable_to(s, s.execute(select(Claim)).scalar_one(), NANHU) == 6_000_000_00
        pay_confirmed(s, claim_number=number, payer=NANHU, voucher_number="V1", on=date(2026, 4, 15), amount_fen=2_000_000_00)
        pay_confirmed(s, claim_number=number, payer=NANHU, voucher_number="V2", on=date(2026, 4, 16), amount_fen=4_000_000_00)
    assert _moves_allowed(db, number) == ["file", "review-economic", "review-finance", "allocate", "receive-transfer",
                                          "pass-on", "prepare-payment", "pay", "prepare-payment", "pay"]
    with db.sessions() as s:
        claim = s.execute(select(Claim)).scalar_one()
        assert (claim.state, claim.approved_fen) == ("paid", 6_000_000_00)
        rows = s.execute(select(ProvincialStep.step, ProvincialStep.document_number, ProvincialStep.payer_code)
                         .order_by(ProvincialStep.id)).all()
        assert [tuple(r) for r in rows] == [("allocate", "浙财企〔2026〕12号", CITY),
                                            ("receive-transfer", "国库到账2026-88", CITY),
                                            ("pass-on", "嘉财企〔2026〕30号", NANHU)]
        # the province's money passed through: nothing left owed or held, no city share, no expense of the city
        for account in (A.TRANSFER_RECEIVABLE, A.TRANSFER_DUE, A.SUBSIDY_PAYABLE, A.OBLIGATED, A.COMMITTED):
            assert balance(s, [account]) == 0, account
        assert balance(s, [A.TREASURY], program="zj-new-provincial", payer=CITY) == 0
        assert balance(s, [A.TREASURY], program="zj-new-provincial", payer=NANHU) == 0
        assert balance(s, [A.TRANSFER_AUTHORITY], payer=NANHU) == 6_000_000_00
        assert balance(s, [A.EXPENDED], payer=NANHU, program="zj-new-provincial") == -6_000_000_00
        assert balance(s, [A.SUBSIDY_EXPENSE], program="zj-new-provincial") == 0
    _books_close(db)
