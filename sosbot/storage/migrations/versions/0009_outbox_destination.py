"""outbox.destination: a resident's chat or a police group chat, as a column (it was a
``"group": true`` flag inside the payload)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _flagged_group() -> str:
    """The SQL condition of a row whose payload says ``"group": true`` (JSON is read
    differently by each database)."""
    if op.get_bind().dialect.name == "postgresql":
        return "(payload::jsonb)->>'group' = 'true'"
    return "json_extract(payload, '$.group') IN (1, 'true')"


def upgrade() -> None:
    # Rows already written are a resident's unless their payload flagged a group.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('destination', sa.String(length=16),
                                      server_default='resident', nullable=False))
    op.execute(f"UPDATE outbox SET destination = 'group' WHERE {_flagged_group()}")


def downgrade() -> None:
    # The flag goes back into the payloads of group rows, where the older code reads it.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE outbox SET payload = ((payload::jsonb) || "
                   "'{\"group\": true}'::jsonb)::json WHERE destination = 'group'")
    else:
        op.execute("UPDATE outbox SET payload = json_set(payload, '$.group', json('true')) "
                   "WHERE destination = 'group'")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('destination')
