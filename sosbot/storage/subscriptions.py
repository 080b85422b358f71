"""Residents who asked for safety bulletins: one row per chat, city-wide or for one ward."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from sosbot.storage.tables import Subscription

CITY = "city"
WARD = "ward"


def for_chat(session: Session, channel: str, chat_id: str) -> Subscription | None:
    return session.exec(select(Subscription).where(Subscription.channel == channel,
                                                   Subscription.chat_id == chat_id)).first()


def subscribe(session: Session, *, channel: str, chat_id: str, reporter_id: int | None,
              scope: str, ward_code: str | None, ward_name: str | None, lang: str,
              now: datetime) -> Subscription:
    """Start (or change) this chat's subscription; one row per chat, reused."""
    row = for_chat(session, channel, chat_id)
    if row is None:
        row = Subscription(channel=channel, chat_id=chat_id, created_at=now, updated_at=now)
        session.add(row)
    row.reporter_id = reporter_id
    row.scope = scope
    row.ward_code = ward_code if scope == WARD else None
    row.ward_name = ward_name if scope == WARD else None
    row.lang = lang
    row.active = True
    row.updated_at = now
    session.flush()
    return row


def unsubscribe(session: Session, channel: str, chat_id: str, now: datetime) -> bool:
    """Stop this chat's bulletins; False when it had none."""
    row = for_chat(session, channel, chat_id)
    if row is None or not row.active:
        return False
    row.active = False
    row.updated_at = now
    return True


def in_scope(ward_code: str | None) -> ColumnElement[bool]:
    """A city-wide bulletin reaches every subscriber; a ward's, only that ward's."""
    query = col(Subscription.active).is_(True)
    if ward_code is None:
        return query
    return query & (Subscription.scope == WARD) & (Subscription.ward_code == ward_code)


def recipients(session: Session, ward_code: str | None) -> list[Subscription]:
    return list(session.exec(select(Subscription).where(in_scope(ward_code))
                             .order_by(col(Subscription.id))).all())


def count(session: Session, ward_code: str | None) -> int:
    return int(session.exec(select(func.count()).select_from(Subscription)
                            .where(in_scope(ward_code))).one())
