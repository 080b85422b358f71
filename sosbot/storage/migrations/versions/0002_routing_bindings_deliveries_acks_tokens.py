"""routing: bindings, deliveries, acks, tokens

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 18:36:34.248837
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


import sosbot.storage.tables

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('binding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('chat_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('target_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('target_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('bound_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('bound_at', sosbot.storage.tables.UTCDateTime(), nullable=False),
    sa.Column('dead_at', sosbot.storage.tables.UTCDateTime(), nullable=True),
    sa.Column('dead_reason', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'chat_id')
    )
    with op.batch_alter_table('binding', schema=None) as batch_op:
        batch_op.create_index('ix_binding_target', ['target_kind', 'target_code', 'status'], unique=False)

    op.create_table('binding_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('target_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('target_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', sosbot.storage.tables.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sosbot.storage.tables.UTCDateTime(), nullable=False),
    sa.Column('used_at', sosbot.storage.tables.UTCDateTime(), nullable=True),
    sa.Column('used_chat', sqlmodel.sql.sqltypes.AutoString(length=96), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash')
    )
    op.create_table('platform_token',
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=False),
    sa.Column('refresh_token', sa.Text(), nullable=False),
    sa.Column('access_expires_at', sosbot.storage.tables.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sosbot.storage.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('channel')
    )
    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('target_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('binding_id', sa.Integer(), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('chat_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('card_message_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('album_message_ids', sa.JSON(), nullable=False),
    sa.Column('ack_state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('acked_by', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
    sa.Column('acked_at', sosbot.storage.tables.UTCDateTime(), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('created_at', sosbot.storage.tables.UTCDateTime(), nullable=False),
    sa.Column('sent_at', sosbot.storage.tables.UTCDateTime(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
    sa.ForeignKeyConstraint(['binding_id'], ['binding.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('report_id', 'channel', 'chat_id')
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_report_id'), ['report_id'], unique=False)

    op.create_table('ack',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('chat_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_name', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('at', sosbot.storage.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ack', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ack_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ack_delivery_id'), ['delivery_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ack_report_id'), ['report_id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_delivery_id'), ['delivery_id'], unique=False)
        batch_op.create_foreign_key('fk_outbox_delivery_id', 'delivery', ['delivery_id'], ['id'])

    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ward_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
        batch_op.add_column(sa.Column('location_how', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('duplicates', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('escalation_level', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index(batch_op.f('ix_report_duplicate_of_id'), ['duplicate_of_id'], unique=False)
        batch_op.create_foreign_key('fk_report_duplicate_of_id', 'report', ['duplicate_of_id'], ['id'])




def downgrade() -> None:

    with op.batch_alter_table('report', schema=None) as batch_op:
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint('fk_report_duplicate_of_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_report_duplicate_of_id'))
        batch_op.drop_column('escalation_level')
        batch_op.drop_column('duplicates')
        batch_op.drop_column('duplicate_of_id')
        batch_op.drop_column('location_how')
        batch_op.drop_column('ward_name')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint('fk_outbox_delivery_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_delivery_id'))
        batch_op.drop_column('delivery_id')

    with op.batch_alter_table('ack', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ack_report_id'))
        batch_op.drop_index(batch_op.f('ix_ack_delivery_id'))
        batch_op.drop_index(batch_op.f('ix_ack_at'))

    op.drop_table('ack')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_report_id'))

    op.drop_table('delivery')
    op.drop_table('platform_token')
    op.drop_table('binding_code')
    with op.batch_alter_table('binding', schema=None) as batch_op:
        batch_op.drop_index('ix_binding_target')

    op.drop_table('binding')

