"""inbound_event: index for a resident chat's messages in the current minute

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00
"""
from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_event', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_event_chat', ['channel', 'chat_id', 'received_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbound_event', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_event_chat')
