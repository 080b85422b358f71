"""Inbound events: the record that makes a platform's retried delivery a no-op."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from sosbot.storage.tables import InboundEvent

_TABLE: sa.Table = InboundEvent.__table__  # type: ignore[attr-defined]
_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_COLUMNS = ("channel", "event_id", "kind", "chat_id", "payload", "received_at")


@cache
def _insert_new(dialect: str) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING channel, event_id``, built once per
    dialect (building a statement costs more CPU than running it)."""
    return (_INSERTS[dialect](_TABLE).values({c: sa.bindparam(c) for c in _COLUMNS})
            .on_conflict_do_nothing(index_elements=["channel", "event_id"])
            .returning(_TABLE.c.channel, _TABLE.c.event_id))


def record_new(session: Session, rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Record every event not recorded before, all in one statement; the (channel, event
    id) keys that were new. A row whose key comes again later in ``rows`` is taken once,
    as it first comes.

    Each row names ``channel``, ``event_id``, ``kind``, ``chat_id``, ``payload`` and
    ``received_at``. On the (channel, event id) key: a concurrent delivery of the same event
    waits for the other transaction and then inserts nothing, and the transaction (which
    may hold several deliveries) is never aborted by it.
    """
    firsts: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        firsts.setdefault((row["channel"], row["event_id"]), row)
    if not firsts:
        return set()
    connection = session.connection()
    inserted = connection.execute(_insert_new(connection.dialect.name), list(firsts.values()))
    return {(str(channel), str(event_id)) for channel, event_id in inserted}


def record_once(session: Session, *, channel: str, event_id: str, kind: str,
                chat_id: str | None, payload: dict[str, Any], now: datetime) -> bool:
    """Record one event; False when it was already recorded (a retry or a duplicate)."""
    return bool(record_new(session, [{
        "channel": channel, "event_id": event_id, "kind": kind, "chat_id": chat_id,
        "payload": payload, "received_at": now}]))


def count(session: Session, channel: str | None = None) -> int:
    query = select(sa.func.count()).select_from(InboundEvent)
    if channel is not None:
        query = query.where(InboundEvent.channel == channel)
    return int(session.exec(query).one())
