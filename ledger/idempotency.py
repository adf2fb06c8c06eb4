"""Idempotent writes: the same key and body returns the first result and posts nothing; the same key
with a different body is refused.

The key row is inserted *before* the work, in the same transaction: a concurrent request with the
same key waits on the key's unique index until the first commits (then replays its result) or rolls
back (then does the work itself).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ledger.errors import IdempotencyConflict
from ledger.models import IdempotencyKey

PENDING: dict[str, object] = {"pending": True}


def request_hash(operation: str, request: Any) -> str:
    body = json.dumps({"op": operation, "request": request}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def run(factory: sessionmaker[Session], operation: str, request: Any, work: Callable[[Session], dict[str, Any]],
        *, key: str | None = None) -> dict[str, Any]:
    """Run ``work`` in one transaction, at most once per idempotency ``key``.

    Returns the work's result, or — for a key seen before with the same request — the first result
    with ``"replayed": True`` added.
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
                            "Idempotency-Key", f"key {key!r} was used for a different request ({found.operation})",
                            field="Idempotency-Key")
                    return {**found.response, "replayed": True}
                session.add(IdempotencyKey(key=key, operation=operation, request_hash=digest, response=PENDING))
                session.flush()
                result = work(session)
                session.execute(update(IdempotencyKey).where(IdempotencyKey.key == key).values(response=result))
                return result
        except IntegrityError as exc:
            if "idempotency" not in str(exc).lower():
                raise
            continue  # a concurrent request with the same key committed first: replay it
    raise IdempotencyConflict("Idempotency-Key", f"key {key!r} is being used by concurrent requests",
                              field="Idempotency-Key")
