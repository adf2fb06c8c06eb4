"""The calculation each step of a claim was based on (审批所依据的计算), stored as the step happened.

At every state change (申报、审核、审计、党组会审定、公示、下达、拨付 …) :func:`record` appends one row to
``claim_explanations``: the per-claim engine's result the step rested on — amounts, shares and the cap
position in fen, and the clause-by-clause trace. A step that computes (filing, audit, approval) stores its
own result; any other step carries the latest row's result forward in the same single statement
(``INSERT … SELECT``). Rows are never changed (the table is append-only, guarded by triggers: migration
0011), so an auditor reads the calculation the approval was based on, not today's recomputation, even
after the rule set or a reading changed.

Claims changed before migration 0011 have no row until their next step that computes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Date, String, Table, bindparam, insert, select
from sqlalchemy.orm import Session

from calculators.results import CapInfo, ClaimResult, Share, TraceStep
from ledger.models import Claim, ClaimExplanation

FORMAT = 1
"""The version of the stored JSON (``v``); :func:`decode` reads this version."""


def encode(result: ClaimResult) -> dict[str, Any]:
    """A result as stored: plain JSON, money in integer fen (never formatted, never float)."""
    cap = result.cap
    return {
        "v": FORMAT, "claim_id": result.claim_id, "program": result.program, "program_title": result.program_title,
        "rule_set": result.rule_set, "rule_set_title": result.rule_set_title, "purse": result.purse,
        "status": result.status, "trigger": result.trigger, "gross": result.gross,
        "cap": None if cap is None else {"level": cap.level, "limit": cap.limit, "used": cap.used,
                                         "headroom": cap.headroom, "clause": cap.clause},
        "entitled": result.entitled, "offset": result.offset, "payable": result.payable,
        "shares": [{"payer": s.payer, "payer_name": s.payer_name, "party": s.party, "amount": s.amount}
                   for s in result.shares],
        "trace": [{"step": t.step, "clause": t.clause, "note": t.note, "values": dict(t.values)}
                  for t in result.trace],
        "reasons": list(result.reasons), "years": list(result.years), "invoices": list(result.invoices),
        "warnings": list(result.warnings),
    }


def decode(data: dict[str, Any]) -> ClaimResult:
    """The stored JSON back as the calculators' result (the page and the API render it as any other)."""
    cap = data["cap"]
    return ClaimResult(
        claim_id=data["claim_id"], program=data["program"], program_title=data["program_title"],
        rule_set=data["rule_set"], rule_set_title=data["rule_set_title"], purse=data["purse"],
        status=data["status"], trigger=data["trigger"], gross=int(data["gross"]),
        cap=None if cap is None else CapInfo(level=cap["level"], limit=int(cap["limit"]), used=int(cap["used"]),
                                             headroom=int(cap["headroom"]), clause=cap["clause"]),
        entitled=int(data["entitled"]), offset=int(data["offset"]), payable=int(data["payable"]),
        shares=tuple(Share(payer=s["payer"], payer_name=s["payer_name"], party=s["party"], amount=int(s["amount"]))
                     for s in data["shares"]),
        trace=tuple(TraceStep(step=t["step"], clause=t["clause"], note=t["note"], values=dict(t["values"]))
                    for t in data["trace"]),
        reasons=tuple(data["reasons"]), years=tuple(int(y) for y in data["years"]),
        invoices=tuple(data["invoices"]), warnings=tuple(data["warnings"]))


TABLE = cast(Table, ClaimExplanation.__table__)
_COLUMNS = ["claim_id", "state", "action", "date", "basis_action", "basis_date", "result"]
CARRY = TABLE.insert().from_select(_COLUMNS, select(
    TABLE.c.claim_id, bindparam("state", type_=String), bindparam("action", type_=String),
    bindparam("on", type_=Date), TABLE.c.basis_action, TABLE.c.basis_date, TABLE.c.result)
    .where(TABLE.c.claim_id == bindparam("claim")).order_by(TABLE.c.id.desc()).limit(1))
"""The latest stored explanation carried forward to a step that computes nothing (``INSERT … SELECT``), built
once; its parameters: :func:`carried`."""


def stored(claim_id: int, state: str, action: str, on: dt.date, result: ClaimResult) -> dict[str, Any]:
    """The row storing ``result`` as the explanation of the claim's step ``action`` (to ``state``, on ``on``)."""
    return {"claim_id": claim_id, "state": state, "action": action, "date": on, "basis_action": action,
            "basis_date": on, "result": encode(result)}


def carried(claim_id: int, state: str, action: str, on: dt.date) -> dict[str, Any]:
    """The parameters of :data:`CARRY` for the claim's step ``action`` (to ``state``, on ``on``)."""
    return {"claim": claim_id, "state": state, "action": action, "on": on}


def record(session: Session, claim: Claim, state: str, action: str, on: dt.date,
           result: ClaimResult | None = None) -> None:
    """Store the explanation of the claim's step on the session's connection: ``result`` when the step
    computed one, else the latest stored explanation carried forward. One statement either way; a claim's
    step stores it with its other writes (ledger/step_rows.py, on PostgreSQL in the step's one statement)."""
    conn = session.connection()
    if result is not None:
        conn.execute(insert(TABLE), stored(claim.id, state, action, on, result))
    else:
        conn.execute(CARRY, carried(claim.id, state, action, on))


@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    """A stored explanation as the claim page shows it: the result, the step it was stored at (its state,
    action and date) and the step that computed it (``basis_action`` on ``basis_date``)."""

    result: ClaimResult
    state: str
    action: str
    date: dt.date
    basis_action: str
    basis_date: dt.date
