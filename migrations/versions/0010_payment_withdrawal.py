"""payment withdrawal (作废制单): a prepared, unconfirmed payment withdrawn by its payer's finance

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Adds the append-only ``payment_withdrawals`` (``ledger/models.py`` ``PaymentWithdrawal``): one row per
withdrawn payment, with who withdrew it, when and why. The payment row stays; nothing was posted, so no
journal entry is written or changed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_withdrawals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("withdrawn_by", sa.String(64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"],
                                name="fk_payment_withdrawals_payment_id_payments"),
        sa.PrimaryKeyConstraint("id", name="pk_payment_withdrawals"),
        sa.UniqueConstraint("payment_id", name="uq_payment_withdrawals_payment_id"),
    )


def downgrade() -> None:
    op.drop_table("payment_withdrawals")
