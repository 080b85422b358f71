"""outbox: a priority within the chat, and the index of a chat's next row by it

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows already written keep 0 (urgent): their chat sends them in the order written.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.drop_index('ix_outbox_chat')
        batch_op.create_index('ix_outbox_chat_next',
                              ['channel', 'chat_id', 'status', 'priority', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_chat_next')
        batch_op.create_index('ix_outbox_chat', ['channel', 'chat_id', 'status'],
                              unique=False)
        batch_op.drop_column('priority')
