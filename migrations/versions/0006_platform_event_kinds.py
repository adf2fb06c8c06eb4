"""platform event kinds for the clauses on the record: pool-entry notice, change report, re-evaluation

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

Adds the kinds ``pool-notice`` (入库公示, 细则 第二章 三（二）4), ``change-report`` (重大事项变更报送,
细则 第三章) and ``re-evaluation`` (省级复评, 浙江方案 五) to ``platform_events.kind``, and the column
``change_date`` (the day a reported change's legal formalities were completed). No existing row changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD = "kind IN ('pool-entry','pool-exit','recognition','evaluation','agreement-support','rectification')"
NEW = ("kind IN ('pool-entry','pool-exit','recognition','evaluation','agreement-support','rectification',"
       "'pool-notice','change-report','re-evaluation')")


def _kinds(condition: str) -> None:
    with op.batch_alter_table("platform_events", recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_platform_events_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_platform_events_kind"), sa.text(condition))


def upgrade() -> None:
    with op.batch_alter_table("platform_events") as batch_op:
        batch_op.add_column(sa.Column("change_date", sa.Date(), nullable=True))
    _kinds(NEW)


def downgrade() -> None:
    op.execute("DELETE FROM platform_events WHERE kind IN ('pool-notice','change-report','re-evaluation')")
    _kinds(OLD)
    with op.batch_alter_table("platform_events") as batch_op:
        batch_op.drop_column("change_date")
