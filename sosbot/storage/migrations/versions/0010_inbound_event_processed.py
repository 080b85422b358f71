"""inbound_event.processed_at: the intake's journal (a webhook is answered once its events
are recorded; their conversation steps follow and mark them processed)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sosbot.storage.tables

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('processed_at', sosbot.storage.tables.UTCDateTime(), nullable=True))
    # Every event recorded before was processed in the transaction that recorded it.
    op.execute("UPDATE inbound_event SET processed_at = received_at")
    op.create_index('ix_inbound_event_unprocessed', 'inbound_event', ['id'], unique=False,
                    postgresql_where=sa.text("processed_at IS NULL"),
                    sqlite_where=sa.text("processed_at IS NULL"))


def downgrade() -> None:
    op.drop_index('ix_inbound_event_unprocessed', table_name='inbound_event')
    with op.batch_alter_table('inbound_event', schema=None) as batch_op:
        batch_op.drop_column('processed_at')
