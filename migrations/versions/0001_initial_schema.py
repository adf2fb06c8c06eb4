"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('view', sa.String(length=12), nullable=False),
    sa.Column('normal_side', sa.String(length=6), nullable=False),
    sa.CheckConstraint("normal_side IN ('debit','credit')", name=op.f('ck_accounts_normal_side')),
    sa.CheckConstraint("view IN ('budgetary','financial','memorandum')", name=op.f('ck_accounts_view')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_accounts'))
    )
    op.create_table('holiday_notices',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_holiday_notices'))
    )
    op.create_table('idempotency_keys',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('journal_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_id', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_head'))
    )
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('publication_date', sa.Date(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('provisional', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    op.create_table('payers',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.CheckConstraint("level IN ('province','city','district','county')", name=op.f('ck_payers_level')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_payers'))
    )
    op.create_table('budgets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payer_code', sa.String(length=16), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('program', sa.String(length=40), nullable=False),
    sa.Column('appropriation_fen', sa.BigInteger(), nullable=False),
    sa.Column('document_number', sa.String(length=100), nullable=False),
    sa.CheckConstraint('appropriation_fen >= 0', name=op.f('ck_budgets_appropriation_nonneg')),
    sa.ForeignKeyConstraint(['payer_code'], ['payers.code'], name=op.f('fk_budgets_payer_code_payers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budgets')),
    sa.UniqueConstraint('payer_code', 'fiscal_year', 'program', name='uq_budgets_payer_year_program')
    )
    op.create_table('jurisdictions',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('split_class', sa.String(length=16), nullable=False),
    sa.Column('payer_code', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['payer_code'], ['payers.code'], name=op.f('fk_jurisdictions_payer_code_payers')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_jurisdictions'))
    )
    op.create_table('platforms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('operator', sa.String(length=200), nullable=False),
    sa.Column('leader_type', sa.String(length=32), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=16), nullable=False),
    sa.Column('contact_person', sa.String(length=50), nullable=False),
    sa.Column('contact_mobile', sa.String(length=30), nullable=False),
    sa.Column('head_person', sa.String(length=50), nullable=False),
    sa.Column('head_phone', sa.String(length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['jurisdictions.code'], name=op.f('fk_platforms_jurisdiction_code_jurisdictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platforms')),
    sa.UniqueConstraint('code', name=op.f('uq_platforms_code'))
    )
    op.create_table('claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('program', sa.String(length=40), nullable=False),
    sa.Column('rule_set', sa.String(length=40), nullable=False),
    sa.Column('application_date', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('years', sa.JSON(), nullable=True),
    sa.Column('national_support_fen', sa.BigInteger(), nullable=True),
    sa.Column('recorded_amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('evaluation_year', sa.Integer(), nullable=True),
    sa.Column('requested_fen', sa.BigInteger(), nullable=False),
    sa.Column('computed_fen', sa.BigInteger(), nullable=False),
    sa.Column('approved_fen', sa.BigInteger(), nullable=True),
    sa.Column('platform_document', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('filed_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("state IN ('filed','econ_reviewed','district_reviewed','audited','approved','in_notice','objected','issued','paid','rejected','reversed','recovered')", name=op.f('ck_claims_state')),
    sa.CheckConstraint('approved_fen IS NULL OR approved_fen >= 0', name=op.f('ck_claims_approved_nonneg')),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_claims_platform_id_platforms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims')),
    sa.UniqueConstraint('number', name=op.f('uq_claims_number'))
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claims_platform_id'), ['platform_id'], unique=False)

    op.create_table('platform_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=True),
    sa.Column('grade', sa.String(length=8), nullable=True),
    sa.Column('scheme', sa.String(length=16), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('document_number', sa.String(length=100), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('pool-entry','pool-exit','recognition','evaluation','agreement-support','rectification')", name=op.f('ck_platform_events_kind')),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_platform_events_platform_id_platforms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_events'))
    )
    with op.batch_alter_table('platform_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_platform_events_platform_id'), ['platform_id'], unique=False)

    op.create_table('approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('meeting_date', sa.Date(), nullable=False),
    sa.Column('minutes_number', sa.String(length=100), nullable=False),
    sa.Column('approved_fen', sa.BigInteger(), nullable=False),
    sa.Column('computed_fen', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('shares', sa.JSON(), nullable=False),
    sa.CheckConstraint('approved_fen >= 0 AND approved_fen <= computed_fen', name=op.f('ck_approvals_not_above')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_approvals_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approvals'))
    )
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approvals_claim_id'), ['claim_id'], unique=False)

    op.create_table('audits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('firm', sa.String(length=200), nullable=False),
    sa.Column('report_number', sa.String(length=100), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('audited_fen', sa.BigInteger(), nullable=False),
    sa.Column('computed_fen', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_audits_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audits'))
    )
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audits_claim_id'), ['claim_id'], unique=False)

    op.create_table('claim_years',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('program', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('released', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_years_claim_id_claims')),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_claim_years_platform_id_platforms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_years'))
    )
    with op.batch_alter_table('claim_years', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_years_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index('uq_claim_years_active', ['platform_id', 'program', 'year'], unique=True, sqlite_where=sa.text('released = 0'), postgresql_where=sa.text('released = false'))

    op.create_table('fund_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('document_number', sa.String(length=100), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_fund_issues_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_issues')),
    sa.UniqueConstraint('claim_id', name=op.f('uq_fund_issues_claim_id'))
    )
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer_code', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('net_fen', sa.BigInteger(), nullable=False),
    sa.Column('vat_fen', sa.BigInteger(), nullable=False),
    sa.Column('audited_fen', sa.BigInteger(), nullable=True),
    sa.Column('released', sa.Boolean(), nullable=False),
    sa.CheckConstraint('net_fen >= 0 AND vat_fen >= 0', name=op.f('ck_invoices_amounts_nonneg')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_invoices_claim_id_claims')),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_invoices_platform_id_platforms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index('uq_invoices_active', ['issuer_code', 'number'], unique=True, sqlite_where=sa.text('released = 0'), postgresql_where=sa.text('released = false'))

    op.create_table('journal_entries',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('entry_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('reverses_id', sa.BigInteger(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_journal_entries_claim_id_claims')),
    sa.ForeignKeyConstraint(['reverses_id'], ['journal_entries.id'], name=op.f('fk_journal_entries_reverses_id_journal_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entries')),
    sa.UniqueConstraint('hash', name=op.f('uq_journal_entries_hash')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_journal_entries_reverses_id'))
    )
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_entries_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entries_entry_date'), ['entry_date'], unique=False)

    op.create_table('notice_claims',
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_notice_claims_claim_id_claims')),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notice_claims_notice_id_notices')),
    sa.PrimaryKeyConstraint('notice_id', 'claim_id', name=op.f('pk_notice_claims'))
    )
    op.create_table('objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('filed_date', sa.Date(), nullable=False),
    sa.Column('objector', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('resolved_date', sa.Date(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('open','upheld','dismissed')", name=op.f('ck_objections_status')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_objections_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections'))
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objections_claim_id'), ['claim_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('payer_code', sa.String(length=16), nullable=False),
    sa.Column('voucher_number', sa.String(length=100), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_payments_amount_pos')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_payments_claim_id_claims')),
    sa.ForeignKeyConstraint(['payer_code'], ['payers.code'], name=op.f('fk_payments_payer_code_payers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('payer_code', 'voucher_number', name='uq_payments_payer_voucher')
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_claim_id'), ['claim_id'], unique=False)

    op.create_table('recoveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('payer_code', sa.String(length=16), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('document_number', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('received_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_recoveries_amount_pos')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_recoveries_claim_id_claims')),
    sa.ForeignKeyConstraint(['payer_code'], ['payers.code'], name=op.f('fk_recoveries_payer_code_payers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recoveries'))
    )
    with op.batch_alter_table('recoveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recoveries_claim_id'), ['claim_id'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=16), nullable=False),
    sa.Column('approve', sa.Boolean(), nullable=False),
    sa.Column('opinion', sa.Text(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('reviewer', sa.String(length=64), nullable=False),
    sa.CheckConstraint("department IN ('economic','finance')", name=op.f('ck_reviews_department')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_reviews_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('claim_id', 'department', name='uq_reviews_claim_department')
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_claim_id'), ['claim_id'], unique=False)

    op.create_table('claim_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('entry_id', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_events_claim_id_claims')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_claim_events_entry_id_journal_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_events'))
    )
    with op.batch_alter_table('claim_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_events_claim_id'), ['claim_id'], unique=False)

    op.create_table('investments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('vat_fen', sa.BigInteger(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_fen >= 0 AND vat_fen >= 0', name=op.f('ck_investments_amounts_nonneg')),
    sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_investments_audit_id_audits')),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_investments_platform_id_platforms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_investments')),
    sa.UniqueConstraint('platform_id', 'year', name='uq_investments_platform_year')
    )
    op.create_table('postings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_id', sa.BigInteger(), nullable=False),
    sa.Column('account_code', sa.String(length=8), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('payer_code', sa.String(length=16), nullable=True),
    sa.Column('platform_id', sa.Integer(), nullable=True),
    sa.Column('program', sa.String(length=40), nullable=True),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('fiscal_year', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_fen <> 0', name=op.f('ck_postings_nonzero')),
    sa.ForeignKeyConstraint(['account_code'], ['accounts.code'], name=op.f('fk_postings_account_code_accounts')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_postings_claim_id_claims')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_postings_entry_id_journal_entries'), initially='DEFERRED', deferrable=True),
    sa.ForeignKeyConstraint(['payer_code'], ['payers.code'], name=op.f('fk_postings_payer_code_payers')),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_postings_platform_id_platforms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postings'))
    )
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.create_index('ix_postings_account_payer_year', ['account_code', 'payer_code', 'fiscal_year'], unique=False)
        batch_op.create_index('ix_postings_account_platform_program', ['account_code', 'platform_id', 'program'], unique=False)
        batch_op.create_index('ix_postings_claim_account', ['claim_id', 'account_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_postings_entry_id'), ['entry_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postings_entry_id'))
        batch_op.drop_index('ix_postings_claim_account')
        batch_op.drop_index('ix_postings_account_platform_program')
        batch_op.drop_index('ix_postings_account_payer_year')

    op.drop_table('postings')
    op.drop_table('investments')
    with op.batch_alter_table('claim_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_events_claim_id'))

    op.drop_table('claim_events')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_claim_id'))

    op.drop_table('reviews')
    with op.batch_alter_table('recoveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recoveries_claim_id'))

    op.drop_table('recoveries')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_claim_id'))

    op.drop_table('payments')
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objections_claim_id'))

    op.drop_table('objections')
    op.drop_table('notice_claims')
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_entries_entry_date'))
        batch_op.drop_index(batch_op.f('ix_journal_entries_claim_id'))

    op.drop_table('journal_entries')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('uq_invoices_active', sqlite_where=sa.text('released = 0'), postgresql_where=sa.text('released = false'))
        batch_op.drop_index(batch_op.f('ix_invoices_claim_id'))

    op.drop_table('invoices')
    op.drop_table('fund_issues')
    with op.batch_alter_table('claim_years', schema=None) as batch_op:
        batch_op.drop_index('uq_claim_years_active', sqlite_where=sa.text('released = 0'), postgresql_where=sa.text('released = false'))
        batch_op.drop_index(batch_op.f('ix_claim_years_claim_id'))

    op.drop_table('claim_years')
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audits_claim_id'))

    op.drop_table('audits')
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approvals_claim_id'))

    op.drop_table('approvals')
    with op.batch_alter_table('platform_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platform_events_platform_id'))

    op.drop_table('platform_events')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claims_platform_id'))

    op.drop_table('claims')
    op.drop_table('platforms')
    op.drop_table('jurisdictions')
    op.drop_table('budgets')
    op.drop_table('payers')
    op.drop_table('notices')
    op.drop_table('journal_head')
    op.drop_table('idempotency_keys')
    op.drop_table('holiday_notices')
    op.drop_table('accounts')
