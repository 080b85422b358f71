"""reporter.profile_checked_at (a Zalo follower's name fetched once); platform_usage (what
was sent to residents, by platform, month and kind of message)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 04:15:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sosbot.storage.tables

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reporter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile_checked_at',
                                      sosbot.storage.tables.UTCDateTime(), nullable=True))
    op.create_table(
        'platform_usage',
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('sent', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('channel', 'month', 'kind'),
    )


def downgrade() -> None:
    op.drop_table('platform_usage')
    with op.batch_alter_table('reporter', schema=None) as batch_op:
        batch_op.drop_column('profile_checked_at')
