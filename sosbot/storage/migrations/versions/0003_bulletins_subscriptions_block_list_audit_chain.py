"""bulletins, subscriptions, block list, audit chain, send attempts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 20:48:26.270520
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


import sosbot.storage.tables

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bulletin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sosbot.storage.tables.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('ward_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('ward_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('media_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('skipped_at_start', sa.Integer(), nullable=False),
    sa.Column('origin_channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('origin_chat_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('progress_posted', sa.Integer(), nullable=False),
    sa.Column('started_at', sosbot.storage.tables.UTCDateTime(), nullable=True),
    sa.Column('finished_at', sosbot.storage.tables.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('bulletin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulletin_created_at'), ['created_at'], unique=False)

    op.create_table('subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('chat_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('ward_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('ward_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sosbot.storage.tables.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sosbot.storage.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['reporter_id'], ['reporter.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'chat_id')
    )
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index('ix_subscription_scope', ['active', 'scope', 'ward_code'], unique=False)

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bulletin_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('attempt_started_at', sosbot.storage.tables.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_bulletin_id'), ['bulletin_id'], unique=False)
        batch_op.create_index('ux_outbox_bulletin_chat', ['bulletin_id', 'channel', 'chat_id'], unique=True)
        batch_op.create_foreign_key('fk_outbox_bulletin_id', 'bulletin', ['bulletin_id'], ['id'])

    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purged_at', sosbot.storage.tables.UTCDateTime(), nullable=True))

    with op.batch_alter_table('reporter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blocked_at', sosbot.storage.tables.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('blocked_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
        batch_op.add_column(sa.Column('blocked_reason', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True))
        batch_op.add_column(sa.Column('purged_at', sosbot.storage.tables.UTCDateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('reporter', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
        batch_op.drop_column('blocked_reason')
        batch_op.drop_column('blocked_by')
        batch_op.drop_column('blocked_at')

    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('purged_at')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('fk_outbox_bulletin_id', type_='foreignkey')
        batch_op.drop_index('ux_outbox_bulletin_chat')
        batch_op.drop_index(batch_op.f('ix_outbox_bulletin_id'))
        batch_op.drop_column('idempotency_key')
        batch_op.drop_column('attempt_started_at')
        batch_op.drop_column('bulletin_id')

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')

    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_index('ix_subscription_scope')
        batch_op.drop_index(batch_op.f('ix_subscription_reporter_id'))

    op.drop_table('subscription')
    with op.batch_alter_table('bulletin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulletin_created_at'))

    op.drop_table('bulletin')
