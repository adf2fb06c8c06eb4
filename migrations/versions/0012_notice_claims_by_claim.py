"""an index on notice_claims(claim_id): a claim's notices found without reading every notice's list

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

``notice_claims``' primary key is (notice_id, claim_id): it finds the claims of a notice, not the notices of
a claim. Fund issue (下达资金: the claim's latest approval with its latest notice), the claim page and the
objection steps look a claim's notice up by ``claim_id``, which without this index reads the whole table
(SQLite: ``SCAN notice_claims``; PostgreSQL: a sequential scan) — a cost that grows with every claim ever
noticed. With it, one index probe (EXPLAIN plans: docs/benchmarks.md).
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notice_claims_claim_id", "notice_claims", ["claim_id"])


def downgrade() -> None:
    op.drop_index("ix_notice_claims_claim_id", table_name="notice_claims")
