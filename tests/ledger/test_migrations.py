"""Migrations: upgrade head from empty and downgrade to base on both engines; models and migrations agree."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from ledger.db import ROOT
from ledger.models import Base
from tests.ledger.owner import owner_engine


def _config(conn: Any) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["connection"] = conn
    return cfg


def test_models_and_migrations_agree(db: Any) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(db: Any) -> None:
    with owner_engine(db) as owner:  # migrations are the schema owner's to run (ledger/privileges.py)
        with owner.begin() as conn:
            command.downgrade(_config(conn), "base")
        with owner.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        with owner.begin() as conn:
            command.upgrade(_config(conn), "head")
        with owner.connect() as conn:
            assert set(Base.metadata.tables) <= set(inspect(conn).get_table_names())
