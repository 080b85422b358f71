"""Typed places waiting for (or given) their candidate wards, one row per lookup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from sosbot.storage.tables import PlaceLookup

PENDING = "pending"
DONE = "done"
OFFLINE = "offline"


def request(session: Session, conversation_id: int, query: str, now: datetime) -> PlaceLookup:
    """A new pending lookup (its id is set: queue the job with it after the commit)."""
    row = PlaceLookup(conversation_id=conversation_id, query=query, status=PENDING,
                      candidates=[], created_at=now)
    session.add(row)
    session.flush()
    return row


def get(session: Session, lookup_id: int) -> PlaceLookup | None:
    return session.get(PlaceLookup, lookup_id)


def record(session: Session, row: PlaceLookup, candidates: Sequence[dict[str, Any]],
           *, online: bool, now: datetime) -> None:
    """Store the candidates found; ``online`` False when the online geocoder was unset or
    unavailable (the offline reading alone)."""
    row.candidates = list(candidates)
    row.status = DONE if online else OFFLINE
    row.done_at = now
    session.add(row)
    session.flush()


def latest_for(session: Session, conversation_id: int) -> PlaceLookup | None:
    """The conversation's most recent lookup, done or not."""
    return session.exec(select(PlaceLookup)
                        .where(PlaceLookup.conversation_id == conversation_id)
                        .order_by(col(PlaceLookup.id).desc())).first()
