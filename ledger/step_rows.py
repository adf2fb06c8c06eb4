"""A claim's step written in as few statements as the engine allows (issue 12, part 4).

Each state change of a claim writes its event (办理记录, ``claim_events``), its stored explanation
(审批所依据的计算, ``claim_explanations``), the step's own rows (审核意见, 审定, 公示名单, 下达, 拨付复核 …) and the
claim's changed columns (its state, and what the step set: 核定、审定金额). They are written with Core, not the
ORM's unit of work: on PostgreSQL in ONE statement (``WITH e AS (INSERT …), x AS (INSERT …), … UPDATE
claims …``, data-modifying CTEs), on SQLite one statement per table (SQLite runs one statement per call).

The claim row is locked by the step (锁顺序 1) before any of this runs; the append-only tables' triggers see
plain INSERTs. The ORM object stays right: the claim's changed attributes are set as committed values
(nothing left for a flush to write, nothing stale to read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import UpdateBase

from calculators.results import ClaimResult
from ledger import explanations
from ledger.models import Claim, ClaimEvent

EVENTS = cast(Table, ClaimEvent.__table__)
CLAIMS = cast(Table, Claim.__table__)
_INSERT_EVENT = EVENTS.insert()

Row = tuple[Table, dict[str, Any]] | UpdateBase
"""A step's own row: its table and its values (column defaults apply as in any Core insert), or a
statement of its own (an ``UPDATE`` of the step's row, as the audit's figures once computed)."""


def pending_changes(claim: Claim) -> dict[str, Any]:
    """The claim's column attributes set since it was loaded or last written (what a flush would send)."""
    state = inspect(claim)
    changes: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        added = state.attrs[attr.key].history.added
        if added:
            changes[attr.key] = added[0]
    return changes


def write_step(session: Session, claim: Claim, *, from_state: str | None, to_state: str, action: str,
               on: dt.date, actor: str, entry: int | None, note: str = "", result: ClaimResult | None = None,
               rows: Sequence[Row] = ()) -> None:
    """Write the claim's step: event, explanation, the step's ``rows`` and the claim's changed columns."""
    changes = pending_changes(claim)
    if to_state != claim.state:  # not set on the object: a clean claim stays clean for the commit's flush
        changes["state"] = to_state
    event = {"claim_id": claim.id, "from_state": from_state, "to_state": to_state, "action": action, "date": on,
             "actor": actor, "entry_id": entry, "note": note}
    conn = session.connection()
    if conn.dialect.name != "postgresql":  # one statement per table, each built once (bind parameters)
        conn.execute(_INSERT_EVENT, event)
        conn.execute(*explanations.prepared(claim.id, to_state, action, on, result))
        for row in rows:
            conn.execute(row) if isinstance(row, UpdateBase) else conn.execute(row[0].insert(), row[1])
        if changes:
            conn.execute(update(CLAIMS).where(CLAIMS.c.id == bindparam("claim_id")), {"claim_id": claim.id, **changes})
    else:
        inserts = [insert(EVENTS).values(**event), explanations.statement(claim.id, to_state, action, on, result),
                   *(row if isinstance(row, UpdateBase) else insert(row[0]).values(**row[1]) for row in rows)]
        if changes:
            main: Any = update(CLAIMS).where(CLAIMS.c.id == claim.id).values(**changes)
            ctes = inserts
        else:  # nothing of the claim changed (a payment prepared): the last insert is the main statement
            main, ctes = inserts[-1], inserts[:-1]
        for k, statement in enumerate(ctes):
            main = main.add_cte(statement.cte(f"step_{k}"))
        conn.execute(main)
    for key, value in changes.items():
        set_committed_value(claim, key, value)
