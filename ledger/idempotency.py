"""Idempotent writes: the same key and body returns the first result and posts nothing; the same key
with a different body is refused.

The key row is inserted *before* the work, in the same transaction: a concurrent request with the
same key waits on the key's unique index until the first commits (then replays its result) or rolls
back (then does the work itself).

The work returns a typed :class:`~ledger.outcomes.Outcome`; the key keeps it as JSON (fen as integers,
dates as ISO strings) under the name of its type, and a replay gives it back as that type again.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ledger.errors import IdempotencyConflict
from ledger.models import IdempotencyKey
from ledger.outcomes import Outcome

R = TypeVar("R", bound=Outcome)

PENDING: dict[str, object] = {"pending": True}


def request_hash(operation: str, request: Any) -> str:
    body = json.dumps({"op": operation, "request": request}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _adapter(kind: type[Outcome]) -> TypeAdapter[Any]:
    """The (cached) pydantic adapter that writes and reads ``kind`` as JSON."""
    name = f"{kind.__module__}.{kind.__qualname__}"
    if name not in _ADAPTERS:
        _ADAPTERS[name] = TypeAdapter(kind)
    return _ADAPTERS[name]


def kept(outcome: Outcome) -> dict[str, Any]:
    """An outcome as the key keeps it: its type's name and its fields as JSON."""
    value = _adapter(type(outcome)).dump_python(outcome, mode="json", exclude={"replayed"})
    return {"outcome": type(outcome).__name__, "value": value}


def outcome_types(kind: type[Outcome] = Outcome) -> dict[str, type[Outcome]]:
    """Every outcome type by name: ``kind`` and its subclasses, as their modules define them (a slotted
    dataclass leaves behind the class it replaced, still listed among the subclasses until collected)."""
    found: dict[str, type[Outcome]] = {}
    if getattr(sys.modules.get(kind.__module__), kind.__qualname__, None) is kind:
        found[kind.__name__] = kind
    for sub in kind.__subclasses__():
        found.update(outcome_types(sub))
    return found


def replayed(stored: Any, key: str) -> Outcome:
    """The outcome a key keeps, typed again, marked ``replayed``."""
    kind = outcome_types().get(stored.get("outcome", "")) if isinstance(stored, dict) else None
    if kind is None:
        raise IdempotencyConflict(
            "Idempotency-Key", f"幂等键 {key!r} 由本服务的早期版本记录，无法比对；请换用新的幂等键",
            field="Idempotency-Key")
    outcome: Outcome = _adapter(kind).validate_python(stored["value"])
    return replace(outcome, replayed=True)


def run(factory: sessionmaker[Session], operation: str, request: Any, work: Callable[[Session], R],
        *, key: str | None = None) -> R:
    """Run ``work`` in one transaction, at most once per idempotency ``key``.

    Returns the work's outcome, or — for a key seen before with the same request — the first outcome
    with ``replayed=True``.
    """
    if key is None:
        with factory() as session, session.begin():
            return work(session)
    digest = request_hash(operation, request)
    for _attempt in range(3):
        try:
            with factory() as session, session.begin():
                found = session.execute(
                    select(IdempotencyKey.request_hash, IdempotencyKey.response, IdempotencyKey.operation)
                    .where(IdempotencyKey.key == key)
                ).first()
                if found is not None:
                    if found.request_hash != digest:
                        raise IdempotencyConflict(
                            "Idempotency-Key", f"幂等键 {key!r} 已用于另一请求（{found.operation}）；同一幂等键只能重发同一请求，请换用新的幂等键",
                            field="Idempotency-Key")
                    return replayed(found.response, key)  # type: ignore[return-value]  # same request, same type
                session.add(IdempotencyKey(key=key, operation=operation, request_hash=digest, response=PENDING))
                session.flush()
                result = work(session)
                session.execute(update(IdempotencyKey).where(IdempotencyKey.key == key)
                                .values(response=kept(result)))
                return result
        except IntegrityError as exc:
            if "idempotency" not in str(exc).lower():
                raise
            continue  # a concurrent request with the same key committed first: replay it
    raise IdempotencyConflict("Idempotency-Key", f"幂等键 {key!r} 正被另一个同时进行的请求使用；请稍后重试",
                              field="Idempotency-Key")
