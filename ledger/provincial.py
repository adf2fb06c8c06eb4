"""The provincial procedure (省级资金, 浙江方案 四.14): the province pays, the city neither approves, notices
nor splits. The ledger records the province's allocation document (省级下达文件), the receipt of the transfer
(上级转移支付到账) by the city's finance, its pass-on (转拨) to the platform's district or county finance,
and then the payment (:func:`ledger.services.pay`). Each step is one transaction and one balanced entry
(docs/posting-rules.md "Provincial money"); which step may follow which is the procedure ``provincial`` of
calculators/rulesets/zhejiang-2025.yaml.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from calculators.formats import yuan
from ledger import accounts as A
from ledger.errors import Invalid
from ledger.journal import Leg, debit_credit, post
from ledger.models import Claim, Jurisdiction, Payer, Platform, ProvincialStep
from ledger.outcomes import ClaimState, ClaimStep
from ledger.services import MEMO_OF_STATE, _check_date, _event, _lock_claim, _memo, _require

ALLOCATION_RULE = "浙政办发〔2025〕24号 中试平台方案 四.14：省财政给予补助（金额由省级下达文件确定）"


def _city_payer(session: Session) -> str:
    return str(session.execute(select(Payer.code).where(Payer.level == "city")).scalar_one())


def _step_row(session: Session, claim: Claim, step: str) -> ProvincialStep:
    row = session.execute(select(ProvincialStep).where(ProvincialStep.claim_id == claim.id,
                                                       ProvincialStep.step == step)).scalar_one()
    return row


def _dims(claim: Claim, payer: str, fiscal_year: int) -> dict[str, Any]:
    return {"payer": payer, "platform_id": claim.platform_id, "program": claim.program, "claim_id": claim.id,
            "fiscal_year": fiscal_year}


def _record(session: Session, claim: Claim, step: str, *, on: date, document_number: str, amount_fen: int,
            payer: str, legs: list[Leg], description: str, actor: str) -> ClaimStep:
    if not document_number.strip():
        raise Invalid(ALLOCATION_RULE, f"{description}须填写文件号或凭证号", field="document_number")
    entry = post(session, entry_date=on, kind=step if step != "allocate" else "allocation", claim_id=claim.id,
                 actor=actor, description=f"{claim.number} {description}（{document_number}）{yuan(amount_fen)} 元",
                 legs=legs)
    session.add(ProvincialStep(claim_id=claim.id, step=step, date=on, document_number=document_number,
                               amount_fen=amount_fen, payer_code=payer, actor=actor, entry_id=entry))
    to = _require(claim, step).to[0]
    _event(session, claim, to, step, on, actor, entry, document_number)
    return ClaimStep(claim=claim.number, state=ClaimState(to), entry=entry)


def allocate(session: Session, *, claim_number: str, document_number: str, on: date, amount_fen: int,
             actor: str = "") -> ClaimStep:
    """省级下达: the province's allocation document (number, date, amount) for the claim. The amount is the
    province's decision, never above what the 浙江方案 computes for the claim (its cap); the city's finance
    now expects the transfer (1202) and owes it onward (2002); the reviewed claim's memorandum is cleared."""
    claim = _lock_claim(session, claim_number)
    _require(claim, "allocate")
    _check_date(session, claim, "allocate", on, "on")
    if amount_fen <= 0 or amount_fen > claim.computed_fen:
        raise Invalid(ALLOCATION_RULE, f"省级下达金额 {yuan(amount_fen)} 元须大于 0 且不超过按浙江方案计算的 "
                      f"{yuan(claim.computed_fen)} 元", field="amount")
    city = _city_payer(session)
    legs = _memo(claim, A.MEMO_CONTRA, MEMO_OF_STATE[claim.state], claim.requested_fen) + debit_credit(
        A.TRANSFER_RECEIVABLE, A.TRANSFER_DUE, amount_fen, **_dims(claim, city, on.year))
    claim.approved_fen = amount_fen  # the decided amount (a projection of the 1202 debit, ledger/projections.py)
    return _record(session, claim, "allocate", on=on, document_number=document_number, amount_fen=amount_fen,
                   payer=city, legs=legs, description="省级下达", actor=actor)


def receive_transfer(session: Session, *, claim_number: str, document_number: str, on: date,
                     actor: str = "") -> ClaimStep:
    """上级转移支付到账: the province's money for the claim reaches the city's treasury (the whole allocation)."""
    claim = _lock_claim(session, claim_number)
    _require(claim, "receive-transfer")
    _check_date(session, claim, "receive-transfer", on, "on")
    allocation = _step_row(session, claim, "allocate")
    legs = debit_credit(A.TREASURY, A.TRANSFER_RECEIVABLE, allocation.amount_fen,
                        **_dims(claim, allocation.payer_code, allocation.date.year))
    return _record(session, claim, "receive-transfer", on=on, document_number=document_number,
                   amount_fen=allocation.amount_fen, payer=allocation.payer_code, legs=legs,
                   description="上级转移支付到账", actor=actor)


def pass_on(session: Session, *, claim_number: str, document_number: str, on: date, actor: str = "") -> ClaimStep:
    """转拨: the city passes the money on to the platform's district or county finance, which now owes it to
    the platform (2001) and may pay it (8002 → 8103, the budgetary side the payment draws on)."""
    claim = _lock_claim(session, claim_number)
    _require(claim, "pass-on")
    _check_date(session, claim, "pass-on", on, "on")
    allocation = _step_row(session, claim, "allocate")
    platform = session.get(Platform, claim.platform_id)
    assert platform is not None
    local = session.get(Jurisdiction, platform.jurisdiction_code)
    assert local is not None
    amount, year = allocation.amount_fen, allocation.date.year
    legs = (debit_credit(A.TRANSFER_DUE, A.TREASURY, amount, **_dims(claim, allocation.payer_code, year))
            + debit_credit(A.TREASURY, A.SUBSIDY_PAYABLE, amount, **_dims(claim, local.payer_code, year))
            + debit_credit(A.TRANSFER_AUTHORITY, A.OBLIGATED, amount, **_dims(claim, local.payer_code, year)))
    return _record(session, claim, "pass-on", on=on, document_number=document_number, amount_fen=amount,
                   payer=local.payer_code, legs=legs, description=f"转拨{local.name}财政", actor=actor)
