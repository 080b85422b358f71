"""Inbound events: the record that makes a platform's retried delivery a no-op."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from sosbot.storage.db import InsertMissing
from sosbot.storage.tables import InboundEvent

_TABLE: sa.Table = InboundEvent.__table__  # type: ignore[attr-defined]
_RECORD = InsertMissing(_TABLE, ("channel", "event_id", "kind", "chat_id", "payload",
                                 "received_at"), key=("channel", "event_id"),
                        returning=("channel", "event_id"))


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
    return {(str(channel), str(event_id))
            for channel, event_id in _RECORD(session, list(firsts.values()))}


def count(session: Session, channel: str | None = None) -> int:
    query = select(sa.func.count()).select_from(InboundEvent)
    if channel is not None:
        query = query.where(InboundEvent.channel == channel)
    return int(session.exec(query).one())
