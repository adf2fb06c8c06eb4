"""A claim's step written in as few statements as the engine allows (issue 12, part 4).

Each state change of a claim writes its event (办理记录, ``claim_events``), its stored explanation
(审批所依据的计算, ``claim_explanations``), the step's own rows (审核意见, 审定, 公示名单, 下达, 拨付复核 …) and the
claim's changed columns (its state, and what the step set: 核定、审定金额). They are written with Core, not the
ORM's unit of work: on PostgreSQL in ONE statement (``WITH e AS (INSERT …), x AS (INSERT …), … UPDATE
claims …``, data-modifying CTEs), on SQLite one statement per table (SQLite runs one statement per call).

Each statement is built once per shape (the tables written and the columns given) with bind parameters, and
kept: building and keying a statement costs more than running it (issue 12, part 4). A step's values only
travel as parameters.

The claim row is locked by the step (锁顺序 1) before any of this runs; the append-only tables' triggers see
plain INSERTs. The ORM object stays right: the claim's changed attributes are set as committed values
(nothing left for a flush to write, nothing stale to read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from calculators.results import ClaimResult
from ledger import explanations
from ledger.models import Claim, ClaimEvent

EVENTS = cast(Table, ClaimEvent.__table__)
CLAIMS = cast(Table, Claim.__table__)
EXPLANATIONS = explanations.TABLE


@dataclass(frozen=True)
class RowUpdate:
    """A step's own row already inserted earlier in the step, updated by its id (the audit's figures, known
    only once computed on the audit's own rows)."""

    table: Table
    id: int
    values: dict[str, Any]


Row = tuple[Table, dict[str, Any]] | RowUpdate
"""A step's own row: its table and its values (column defaults apply as in any Core insert), or an update of
a row the step inserted earlier (:class:`RowUpdate`)."""

_CLAIM_COLUMNS = frozenset(attr.key for attr in inspect(Claim).column_attrs)
_EVENT_KEYS = ("claim_id", "from_state", "to_state", "action", "date", "actor", "entry_id", "note")
_BUILT: dict[tuple[Any, ...], Any] = {}
"""Statements built once per shape: (dialect, the writes' tables and columns) → statement."""


def pending_changes(claim: Claim) -> dict[str, Any]:
    """The claim's column attributes set since it was loaded or last written (what a flush would send).

    Only the attributes the session recorded as set (``committed_state``, the few a step changed) are
    looked at, not every column; one set back to its loaded value is no change, as for a flush."""
    state = inspect(claim)
    changes: dict[str, Any] = {}
    for key in state.committed_state:
        if key in _CLAIM_COLUMNS:
            added = state.attrs[key].history.added
            if added:
                changes[key] = added[0]
    return changes


def _param(table: Table, key: str, prefix: str) -> Any:
    return bindparam(f"{prefix}{key}", type_=table.c[key].type)


def _insert(table: Table, keys: Sequence[str], prefix: str) -> Any:
    return insert(table).values({k: _param(table, k, prefix) for k in keys})


def _update(table: Table, keys: Sequence[str], prefix: str) -> Any:
    return update(table).where(table.c.id == _param(table, "id", f"{prefix}row_")).values(
        {k: _param(table, k, prefix) for k in keys})


def _write(table: Table, values: dict[str, Any], prefix: str, *, by_id: int | None = None
           ) -> tuple[tuple[Any, ...], Any, dict[str, Any]]:
    """One write of the step: its shape (the key it is kept under), its statement and its parameters."""
    keys = tuple(values)
    shape = ("update" if by_id is not None else "insert", table.name, keys, prefix)
    built = _BUILT.get(shape)
    if built is None:
        built = _BUILT[shape] = (_update if by_id is not None else _insert)(table, keys, prefix)
    params = {f"{prefix}{k}": v for k, v in values.items()}
    if by_id is not None:
        params[f"{prefix}row_id"] = by_id
    return shape, built, params


def _writes(claim: Claim, event: dict[str, Any], to_state: str, action: str, on: dt.date,
            result: ClaimResult | None, rows: Sequence[Row], changes: dict[str, Any]
            ) -> list[tuple[tuple[Any, ...], Any, dict[str, Any]]]:
    writes = [_write(EVENTS, event, "e_")]
    if result is not None:
        writes.append(_write(EXPLANATIONS, explanations.stored(claim.id, to_state, action, on, result), "x_"))
    else:
        writes.append((("carry",), explanations.CARRY, explanations.carried(claim.id, to_state, action, on)))
    for k, row in enumerate(rows):
        if isinstance(row, RowUpdate):
            writes.append(_write(row.table, row.values, f"r{k}_", by_id=row.id))
        else:
            writes.append(_write(row[0], row[1], f"r{k}_"))
    if changes:
        writes.append(_write(CLAIMS, changes, "c_", by_id=claim.id))
    return writes


def write_step(session: Session, claim: Claim, *, from_state: str | None, to_state: str, action: str,
               on: dt.date, actor: str, entry: int | None, note: str = "", result: ClaimResult | None = None,
               rows: Sequence[Row] = (), sets: dict[str, Any] | None = None) -> None:
    """Write the claim's step: event, explanation, the step's ``rows`` and the claim's changed columns —
    those set on the object since it was loaded, and ``sets`` (column → value; given here rather than set on
    the object, the claim never becomes dirty, so the commit has nothing to flush)."""
    changes = pending_changes(claim)
    for key, value in (sets or {}).items():
        if value != getattr(claim, key):
            changes[key] = value
    if to_state != claim.state:  # not set on the object: a clean claim stays clean for the commit's flush
        changes["state"] = to_state
    event = {"claim_id": claim.id, "from_state": from_state, "to_state": to_state, "action": action, "date": on,
             "actor": actor, "entry_id": entry, "note": note}
    writes = _writes(claim, event, to_state, action, on, result, rows, changes)
    conn = session.connection()
    if conn.dialect.name != "postgresql":  # one statement per table (SQLite runs one statement per call)
        for _, statement, params in writes:
            conn.execute(statement, params)
    else:  # one statement: the last write is the main statement, every other a data-modifying CTE before it
        shape = ("postgresql", *(w[0] for w in writes))
        statement = _BUILT.get(shape)
        if statement is None:
            statement = writes[-1][1]
            for k, w in enumerate(writes[:-1]):
                statement = statement.add_cte(w[1].cte(f"step_{k}"))
            _BUILT[shape] = statement
        params = {}
        for w in writes:
            params.update(w[2])
        conn.execute(statement, params)
    for key, value in changes.items():
        set_committed_value(claim, key, value)
