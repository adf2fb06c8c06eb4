"""procedures as data: each claim's procedure, the provincial steps, their accounts and states

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

* ``claims.procedure``: the procedure (办理流程) a claim follows, as its rule set names it when it is filed
  (``procedure.<program>``). Every claim filed before this revision walked the equipment procedure
  (细则 第四章（一）(2)), so each gets ``equipment``: nothing it did changes meaning.
* ``claims.state`` admits the provincial procedure's states ``allocated`` (省级已下达), ``transfer_received``
  (上级转移支付已到账) and ``passed_on`` (已转拨).
* ``provincial_steps``: the province's allocation document, the receipt of the transfer and the pass-on.
* accounts 1202 应收上级转移支付, 2002 应转拨上级转移支付, 8002 上级转移支付指标 (docs/posting-rules.md).

No journal entry, posting or claim event is touched (tests/ledger/test_procedure_migration.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD_STATES = ("filed", "econ_reviewed", "district_reviewed", "audited", "approved", "in_notice", "objected", "issued",
              "paid", "rejected", "reversed", "recovered")
NEW_STATES = (*OLD_STATES, "allocated", "transfer_received", "passed_on")
ACCOUNTS = (
    ("1202", "应收上级转移支付", "financial", "debit"),
    ("2002", "应转拨上级转移支付", "financial", "credit"),
    ("8002", "上级转移支付指标", "budgetary", "debit"),
)


def _states(states: tuple[str, ...]) -> None:
    condition = "state IN (" + ",".join(f"'{s}'" for s in states) + ")"
    if op.get_bind().dialect.name == "sqlite":
        # recreating ``claims`` (a parent of most tables) is not possible with foreign keys on inside a
        # transaction; SQLite allows changing a CHECK in the stored schema when every row satisfies the new one
        # (https://www.sqlite.org/lang_altertable.html, "otherwise ... writable_schema"): the rows are checked first
        bad = op.get_bind().execute(sa.text(f"SELECT COUNT(*) FROM claims WHERE NOT ({condition})")).scalar_one()
        if bad:
            raise RuntimeError(f"{bad} claims are in a state the procedures no longer declare")
        old = op.get_bind().execute(sa.text("SELECT sql FROM sqlite_master WHERE type='table' AND name='claims'")
                                    ).scalar_one()
        start = old.index("state IN (")
        new = old[:start] + condition + old[old.index(")", start) + 1:]
        version = op.get_bind().execute(sa.text("PRAGMA schema_version")).scalar_one()
        op.execute("PRAGMA writable_schema = ON")
        op.get_bind().execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type='table' AND name='claims'"),
                              {"sql": new})
        op.execute(f"PRAGMA schema_version = {int(version) + 1}")
        op.execute("PRAGMA writable_schema = OFF")
        return
    op.drop_constraint(op.f("ck_claims_state"), "claims", type_="check")
    op.create_check_constraint(op.f("ck_claims_state"), "claims", sa.text(condition))


def upgrade() -> None:
    op.add_column("claims", sa.Column("procedure", sa.String(length=40), nullable=False,
                                      server_default="equipment"))
    _states(NEW_STATES)
    op.create_table(
        "provincial_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("document_number", sa.String(length=100), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("payer_code", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_provincial_steps_amount_pos")),
        sa.CheckConstraint("step IN ('allocate','receive-transfer','pass-on')", name=op.f("ck_provincial_steps_step")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_provincial_steps_claim_id_claims")),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entries.id"],
                                name=op.f("fk_provincial_steps_entry_id_journal_entries")),
        sa.ForeignKeyConstraint(["payer_code"], ["payers.code"], name=op.f("fk_provincial_steps_payer_code_payers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provincial_steps")),
        sa.UniqueConstraint("claim_id", "step", name="uq_provincial_steps_claim_step"),
    )
    op.create_index(op.f("ix_provincial_steps_claim_id"), "provincial_steps", ["claim_id"], unique=False)
    accounts = sa.table("accounts", sa.column("code"), sa.column("name"), sa.column("view"), sa.column("normal_side"))
    op.bulk_insert(accounts, [{"code": c, "name": n, "view": v, "normal_side": s} for c, n, v, s in ACCOUNTS])


def downgrade() -> None:
    op.execute("DELETE FROM accounts WHERE code IN ('1202', '2002', '8002')")
    op.drop_index(op.f("ix_provincial_steps_claim_id"), table_name="provincial_steps")
    op.drop_table("provincial_steps")
    _states(OLD_STATES)
    op.execute("ALTER TABLE claims DROP COLUMN procedure")  # native on both engines (SQLite ≥ 3.35)
