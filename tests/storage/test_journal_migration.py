"""Migration 0010 makes ``inbound_event`` the intake's journal: ``processed_at``, set on
every row recorded before it (each was processed in the transaction that recorded it), so
that a writer starting after the upgrade replays nothing; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from sosbot.storage import inbound
from sosbot.storage.db import transaction
from sosbot.storage.migrate import alembic_config, current_revision, upgrade

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def test_rows_recorded_before_the_journal_count_as_processed(engine: Engine) -> None:
    config = alembic_config(engine)
    command.downgrade(config, "0009")
    with engine.begin() as conn:
        for event_id in ("41", "42"):
            conn.execute(sa.text(
                "INSERT INTO inbound_event (channel, event_id, kind, chat_id, payload, "
                "received_at) VALUES ('telegram', :event, 'TextReceived', '5001', "
                "'{\"update_id\": 1}', :now)"), {"event": event_id, "now": NOW})
    upgrade(engine)
    assert current_revision(engine) == "0010"
    with transaction(engine) as session:
        assert inbound.unprocessed(session) == []
    with engine.connect() as conn:
        processed = conn.execute(sa.text("SELECT processed_at FROM inbound_event")).all()
    assert len(processed) == 2 and all(at is not None for (at,) in processed)
    command.downgrade(config, "0009")
    upgrade(engine)
    assert current_revision(engine) == "0010"

