"""place_lookup: typed places looked up by the worker for a conversation (issue 20)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 04:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import sosbot.storage.tables

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('place_lookup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('created_at', sosbot.storage.tables.UTCDateTime(), nullable=False),
    sa.Column('done_at', sosbot.storage.tables.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('place_lookup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_place_lookup_conversation_id'),
                              ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_place_lookup_created_at'), ['created_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('place_lookup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_place_lookup_created_at'))
        batch_op.drop_index(batch_op.f('ix_place_lookup_conversation_id'))
    op.drop_table('place_lookup')
