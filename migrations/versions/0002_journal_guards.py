"""journal guards: append-only and balanced entries enforced by the database; chart; chain genesis

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND_ONLY = ("journal_entries", "postings", "claim_events")

CHART = (
    ("8001", "预算批复", "budgetary", "debit"),
    ("8101", "可用预算指标", "budgetary", "credit"),
    ("8102", "已承诺预算（党组会审定）", "budgetary", "credit"),
    ("8103", "已下达预算", "budgetary", "credit"),
    ("8104", "已支出预算", "budgetary", "credit"),
    ("1001", "国库存款", "financial", "debit"),
    ("1201", "应收追回款", "financial", "debit"),
    ("2001", "应付补助款", "financial", "credit"),
    ("4001", "财政拨款收入", "financial", "credit"),
    ("5001", "补助费用", "financial", "debit"),
    ("9001", "备查：已申报待审", "memorandum", "debit"),
    ("9002", "备查：区级经信部门已审", "memorandum", "debit"),
    ("9003", "备查：区级财政部门已审", "memorandum", "debit"),
    ("9004", "备查：已审计", "memorandum", "debit"),
    ("9005", "备查：公示中", "memorandum", "debit"),
    ("9006", "备查：异议待处理", "memorandum", "debit"),
    ("9099", "备查对方科目", "memorandum", "credit"),
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("""
            CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'append-only ledger: % of % refused; post a reversing entry instead',
                TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
            END $$""")
        for table in APPEND_ONLY:
            op.execute(f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                           FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()""")
            op.execute(f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                           FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()""")
        op.execute("""
            CREATE FUNCTION ledger_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE total bigint; legs integer;
            BEGIN
              SELECT COALESCE(SUM(amount_fen), 0), COUNT(*) INTO total, legs FROM postings WHERE entry_id = NEW.id;
              IF legs < 2 OR total <> 0 THEN
                RAISE EXCEPTION 'unbalanced journal entry %: % postings summing to % fen', NEW.id, legs, total
                  USING ERRCODE = 'check_violation';
              END IF;
              RETURN NEW;
            END $$""")
        op.execute("""CREATE TRIGGER journal_entries_balanced BEFORE INSERT ON journal_entries
                      FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced()""")
        op.execute("""
            CREATE FUNCTION ledger_posting_entry_open() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF EXISTS (SELECT 1 FROM journal_entries WHERE id = NEW.entry_id) THEN
                RAISE EXCEPTION 'journal entry % is already posted; postings cannot be added', NEW.entry_id
                  USING ERRCODE = 'restrict_violation';
              END IF;
              RETURN NEW;
            END $$""")
        op.execute("""CREATE TRIGGER postings_entry_open BEFORE INSERT ON postings
                      FOR EACH ROW EXECUTE FUNCTION ledger_posting_entry_open()""")
    else:
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(f"""CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}
                               BEGIN SELECT RAISE(ABORT, 'append-only ledger: {action} of {table} refused; \
post a reversing entry instead'); END""")
        op.execute("""CREATE TRIGGER journal_entries_balanced BEFORE INSERT ON journal_entries
                      WHEN (SELECT COUNT(*) FROM postings WHERE entry_id = NEW.id) < 2
                        OR (SELECT COALESCE(SUM(amount_fen), 0) FROM postings WHERE entry_id = NEW.id) <> 0
                      BEGIN SELECT RAISE(ABORT, 'unbalanced journal entry'); END""")
        op.execute("""CREATE TRIGGER postings_entry_open BEFORE INSERT ON postings
                      WHEN EXISTS (SELECT 1 FROM journal_entries WHERE id = NEW.entry_id)
                      BEGIN SELECT RAISE(ABORT, 'journal entry is already posted; postings cannot be added'); END""")
    accounts = sa.table("accounts", sa.column("code"), sa.column("name"), sa.column("view"), sa.column("normal_side"))
    op.bulk_insert(accounts, [{"code": c, "name": n, "view": v, "normal_side": s} for c, n, v, s in CHART])
    head = sa.table("journal_head", sa.column("id"), sa.column("last_id"), sa.column("last_hash"))
    op.bulk_insert(head, [{"id": 1, "last_id": 0, "last_hash": "0" * 64}])


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DELETE FROM journal_head")
    op.execute("DELETE FROM accounts")
    if dialect == "postgresql":
        op.execute("DROP TRIGGER postings_entry_open ON postings")
        op.execute("DROP TRIGGER journal_entries_balanced ON journal_entries")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION ledger_posting_entry_open()")
        op.execute("DROP FUNCTION ledger_entry_balanced()")
        op.execute("DROP FUNCTION ledger_refuse_change()")
    else:
        op.execute("DROP TRIGGER postings_entry_open")
        op.execute("DROP TRIGGER journal_entries_balanced")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_no_update")
            op.execute(f"DROP TRIGGER {table}_no_delete")
