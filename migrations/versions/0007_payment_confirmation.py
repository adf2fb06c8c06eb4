"""payment confirmation (拨付复核): who prepared a payment, and its confirmation by a second user

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

A payment counts once a second finance user of its payer confirms it (制单/复核, 经办与复核分离).
payments gets ``prepared_by`` (制单人); the append-only ``payment_confirmations`` records each
confirmation with its journal entry. Payments recorded before this revision moved money at once: each
gets a confirmation dated with the payment, by its ``pay`` event's actor and entry. No journal entry
changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payments", sa.Column("prepared_by", sa.String(64), nullable=False, server_default=""))
    op.create_table(
        "payment_confirmations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_by", sa.String(64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"],
                                name="fk_payment_confirmations_payment_id_payments"),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entries.id"],
                                name="fk_payment_confirmations_entry_id_journal_entries"),
        sa.PrimaryKeyConstraint("id", name="pk_payment_confirmations"),
        sa.UniqueConstraint("payment_id", name="uq_payment_confirmations_payment_id"),
    )
    # existing payments were posted when recorded: confirmed by whoever recorded them, with their entry
    op.execute("""
        INSERT INTO payment_confirmations (payment_id, confirmed_by, date, entry_id)
        SELECT p.id,
               COALESCE((SELECT e.actor FROM claim_events e WHERE e.claim_id = p.claim_id AND e.action = 'pay'
                         AND e.note = p.payer_code || ' ' || p.voucher_number ORDER BY e.id LIMIT 1), ''),
               p.date,
               (SELECT e.entry_id FROM claim_events e WHERE e.claim_id = p.claim_id AND e.action = 'pay'
                AND e.note = p.payer_code || ' ' || p.voucher_number ORDER BY e.id LIMIT 1)
        FROM payments p ORDER BY p.id
    """)


def downgrade() -> None:
    op.drop_table("payment_confirmations")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("prepared_by")
