"""report: indexes for the near-duplicate probe and for a resident's recent reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:05:00
"""
from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_category_lat', ['category', 'lat'], unique=False)
        batch_op.create_index('ix_report_chat', ['channel', 'chat_id', 'created_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_chat')
        batch_op.drop_index('ix_report_category_lat')
