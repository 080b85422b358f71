"""Inbound events: the record that makes a platform's retried delivery a no-op."""

from __future__ import annotations

from datetime import datetime
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


def chat_counts_since(session: Session, chats: set[tuple[str, str]], since: datetime,
                      not_kinds: frozenset[str] = frozenset()) -> dict[tuple[str, str], int]:
    """How many events each (channel, chat id) in ``chats`` sent since ``since``, those of
    ``not_kinds`` left out, in one statement (on the ``ix_inbound_event_chat`` index).
    Chats with none are left out."""
    if not chats:
        return {}
    by_channel: dict[str, list[str]] = {}
    for channel, chat_id in chats:
        by_channel.setdefault(channel, []).append(chat_id)
    which = sa.or_(*(sa.and_(_TABLE.c.channel == channel, _TABLE.c.chat_id.in_(ids))
                     for channel, ids in by_channel.items()))
    query = (sa.select(_TABLE.c.channel, _TABLE.c.chat_id, sa.func.count())
             .where(which, _TABLE.c.received_at >= since,
                    _TABLE.c.kind.not_in(sorted(not_kinds)))
             .group_by(_TABLE.c.channel, _TABLE.c.chat_id))
    return {(str(channel), str(chat_id)): int(n)
            for channel, chat_id, n in session.execute(query)}
