"""Migration 0009 turns the payload's ``"group": true`` flag into ``outbox.destination``
(and back on downgrade), on SQLite and PostgreSQL, whose JSON is read differently."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from sosbot.storage.migrate import alembic_config, current_revision, upgrade

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
PAYLOADS = {
    "flagged": {"text": "Thẻ tin báo", "group": True},
    "unflagged": {"text": "Cảm ơn bạn đã báo tin."},
    "flag_false": {"text": "Bản tin", "group": False},
    "images": {"items": [], "caption": "Tổng hợp", "group": True},
}


def _insert_old_rows(engine: Engine) -> None:
    with engine.begin() as conn:
        for chat_id, payload in PAYLOADS.items():
            conn.execute(sa.text(
                "INSERT INTO outbox (channel, chat_id, method, payload, status, attempts, "
                "not_before, created_at, priority) VALUES ('zalo', :chat, 'message', "
                ":payload, 'pending', 0, :now, :now, 0)"),
                {"chat": chat_id, "payload": json.dumps(payload), "now": NOW})


def test_destination_is_backfilled_from_the_group_flag_and_put_back(engine: Engine) -> None:
    config = alembic_config(engine)
    command.downgrade(config, "0008")
    _insert_old_rows(engine)
    upgrade(engine, "0009")
    assert current_revision(engine) == "0009"
    with engine.connect() as conn:
        found = dict(conn.execute(sa.text("SELECT chat_id, destination FROM outbox")).all())
    assert found == {"flagged": "group", "unflagged": "resident", "flag_false": "resident",
                     "images": "group"}

    command.downgrade(config, "0008")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT chat_id, payload FROM outbox")).all()
    back = {chat: (json.loads(p) if isinstance(p, str) else p).get("group")
            for chat, p in rows}
    assert back == {"flagged": True, "unflagged": None, "flag_false": False, "images": True}
    upgrade(engine)
