"""Inbound events: the record that makes a platform's retried delivery a no-op."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from sosbot.storage.tables import InboundEvent


def record_once(session: Session, *, channel: str, event_id: str, kind: str,
                chat_id: str | None, payload: dict[str, Any], now: datetime) -> bool:
    """Record the event; False when it was already recorded (a retry or a duplicate)."""
    exists = session.exec(
        select(InboundEvent.id).where(InboundEvent.channel == channel,
                                      InboundEvent.event_id == event_id)
    ).first()
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(InboundEvent(channel=channel, event_id=event_id, kind=kind,
                                     chat_id=chat_id, payload=payload, received_at=now))
    except IntegrityError:
        return False  # a concurrent delivery of the same event won the race
    return True


def count(session: Session, channel: str | None = None) -> int:
    query = select(sa.func.count()).select_from(InboundEvent)
    if channel is not None:
        query = query.where(InboundEvent.channel == channel)
    return int(session.exec(query).one())
