"""Alembic environment: uses the connection handed in by ledger.db.ensure_schema, else the owner's
connection (``DATABASE_OWNER_URL``, falling back to ``DATABASE_URL``; see ledger/db.py).

Run through ``subsidy ledger upgrade``, which also re-grants the service role its privileges
(ledger/privileges.py) after migrating; a bare ``alembic upgrade head`` does not."""

from __future__ import annotations

from alembic import context

from ledger.db import make_engine, owner_url
from ledger.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or owner_url())
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url") or owner_url(), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
