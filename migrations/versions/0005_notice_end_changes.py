"""notice end changes: a notice's end date recomputed when a holiday notice is loaded

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

``notice_end_changes`` records, append-only, each recomputation of a provisional notice's end date
(公示截止日) caused by loading a year's holiday notice (节假日安排): the notice, the holiday year and
source, the old and new end dates and provisional flags, who loaded it and when. Both engines refuse
UPDATE and DELETE of its rows, as for the journal.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLE = "notice_end_changes"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("holiday_year", sa.Integer(), nullable=False),
        sa.Column("holiday_source", sa.String(length=200), nullable=False),
        sa.Column("old_end", sa.Date(), nullable=False),
        sa.Column("old_provisional", sa.Boolean(), nullable=False),
        sa.Column("new_end", sa.Date(), nullable=False),
        sa.Column("new_provisional", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_notice_end_changes_notice_id_notices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_end_changes")),
    )
    op.create_index(op.f("ix_notice_end_changes_notice_id"), TABLE, ["notice_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
                       FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()""")
        op.execute(f"""CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
                       FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()""")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE}
                           BEGIN SELECT RAISE(ABORT, 'append-only ledger: {action} of {TABLE} refused'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TABLE}_no_truncate ON {TABLE}")
        op.execute(f"DROP TRIGGER {TABLE}_append_only ON {TABLE}")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER {TABLE}_no_{action.lower()}")
    op.drop_index(op.f("ix_notice_end_changes_notice_id"), table_name=TABLE)
    op.drop_table(TABLE)
