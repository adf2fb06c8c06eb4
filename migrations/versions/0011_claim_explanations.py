"""claim explanations (审批所依据的计算): the calculation each state change of a claim was based on

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

Adds the append-only ``claim_explanations`` (``ledger/models.py`` ``ClaimExplanation``): one row per state
change of a claim, holding the per-claim engine's result (amounts, shares, cap position, the trace with
its clauses) that the step rested on, written by ``ledger/explanations.py``. Guarded like the journal
(migration 0002): UPDATE and DELETE are refused by triggers. Claims changed before this migration have no
rows until their next step; nothing is recomputed here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLE = "claim_explanations"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("basis_action", sa.String(32), nullable=False),
        sa.Column("basis_date", sa.Date(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name="fk_claim_explanations_claim_id_claims"),
        sa.PrimaryKeyConstraint("id", name="pk_claim_explanations"),
    )
    op.create_index("ix_claim_explanations_claim_id", TABLE, ["claim_id"])
    if op.get_bind().dialect.name == "postgresql":
        # ledger_refuse_change() is the journal's (migration 0002)
        op.execute(f"""CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
                       FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()""")
        op.execute(f"""CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
                       FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()""")
    else:
        for action in ("UPDATE", "DELETE"):
            refused = f"append-only ledger: {action} of {TABLE} refused; the explanation of a step is kept as it was"
            op.execute(f"""CREATE TRIGGER {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE}
                           BEGIN SELECT RAISE(ABORT, '{refused}'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TABLE}_append_only ON {TABLE}")
        op.execute(f"DROP TRIGGER {TABLE}_no_truncate ON {TABLE}")
    else:
        op.execute(f"DROP TRIGGER {TABLE}_no_update")
        op.execute(f"DROP TRIGGER {TABLE}_no_delete")
    op.drop_index("ix_claim_explanations_claim_id", TABLE)
    op.drop_table(TABLE)
