"""The service (服务): FastAPI app with the JSON API under ``/api/v1`` and the Chinese pages under ``/``.

    create_app()                       # DATABASE_URL, else SQLite under var/ (created and migrated)
    create_app("postgresql+psycopg://…")

Run it with ``subsidy serve`` (or ``subsidy demo``, which first loads the demo dataset).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from app import errors
from ledger.db import (
    SchemaNotCurrent,
    ensure_schema,
    insufficient_privilege,
    make_engine,
    session_factory,
    transaction,
)
from ledger.privileges import separation_warning
from ledger.services import sync_reference_data
from ledger.settings import Settings, current, use

TITLE = "中试平台补助资金计算与拨付台账"


def prepare_database(url: str | None = None) -> sessionmaker[Session]:
    """The service's sessions on ``url`` (default ``DATABASE_URL``): the schema at head and the
    jurisdictions and payers in line with the rule book. Migrates only a database its role may migrate
    (SQLite's file, or a one-role PostgreSQL set-up); the restricted service role is refused with the
    command to run as the owner (``subsidy ledger upgrade``). Never reads ``DATABASE_OWNER_URL``."""
    engine = make_engine(url)
    ensure_schema(engine)
    factory = session_factory(engine)
    try:
        with transaction(factory) as session:
            sync_reference_data(session)  # writes nothing when ``ledger upgrade`` has already done it
            if warning := separation_warning(session.connection()):
                logging.getLogger("subsidy").warning(warning)
    except ProgrammingError as exc:
        if not insufficient_privilege(exc):
            raise
        raise SchemaNotCurrent(f"辖区与拨付单位与规则库不一致，角色 {engine.url.username} 无权更新：请以所有者身份运行 "
                               "DATABASE_OWNER_URL=… DATABASE_URL=… subsidy ledger upgrade") from None
    return factory


THREADS = Settings.model_fields["threads"].default
"""Worker threads per process for the synchronous routes (``SUBSIDY_THREADS`` overrides, see
``ledger/settings.py``; anyio's own default is 40). On two cores, 50 clients reading back to back on PostgreSQL: 40 threads 133 reads/s,
8 threads 186, 4 threads 197, 2 threads 224 (bench/service.py, docs/benchmarks.md) — fewer threads
contend less for the GIL and keep fewer database sessions busy at once; 8 leaves room for a slow
request (a report download) without stalling the rest."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Size the worker-thread pool the (synchronous) routes run in (``SUBSIDY_THREADS``, else
    :data:`THREADS`) and start this process's job worker (``app/jobs.py``); stop it at shutdown."""
    import anyio.to_thread

    from app import jobs

    settings: Settings = app.state.settings
    anyio.to_thread.current_default_thread_limiter().total_tokens = max(1, settings.threads)
    # what start-up loaded (modules, the schema, the rule book) lives as long as the process: keep it
    # out of the garbage collector's full passes, which otherwise pause every request in flight
    gc.collect()
    gc.freeze()
    runner = jobs.runner(app.state.factory, settings)
    runner.start(persistent=True)  # picks up jobs queued or interrupted before this start
    try:
        yield
    finally:
        runner.stop()


def create_app(database_url: str | None = None, *, factory: sessionmaker[Session] | None = None,
               settings: Settings | None = None) -> FastAPI:
    """The service. ``settings`` (default: those read at start, ``ledger/settings.py``) are this app's;
    given explicitly, they are also installed as the current ones."""
    from app import api
    from app.responses import PingOut

    app = FastAPI(
        lifespan=_lifespan,
        title=TITLE,
        version="1.0",
        description="嘉兴市中试平台补助资金：按规则计算、逐条说明依据，复式记账记录审核、审定、公示、下达与拨付。"
                    "金额一律为元的十进制字符串；写操作接受 Idempotency-Key。",
    )
    app.state.settings = use(settings) if settings is not None else current()
    app.state.factory = factory or prepare_database(database_url)
    from app import jobs

    jobs.runner(app.state.factory, app.state.settings)  # this app's job worker (started by the lifespan)
    errors.install(app)
    app.include_router(api.router)

    @app.get("/api/v1/ping", tags=["系统"], summary="存活检查（不访问数据库，不需登录）", response_model=PingOut)
    def ping() -> dict[str, Any]:
        return {"ok": True}

    from app import edge, pages

    pages.install(app)
    edge.install(app)  # security headers on every response, a bound on every request body
    return app
