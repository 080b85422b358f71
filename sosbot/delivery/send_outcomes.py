"""Recording what became of a send: the outbox row, and what its delivery, bulletin or
resident learns from it, in the transaction that records it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from sosbot import metrics
from sosbot.core.errors import DeliveryWindowClosed, RecipientGone, SendError, TemporarySendError
from sosbot.delivery import card_posts
from sosbot.delivery.extensions import DeliveryExtensions
from sosbot.storage import outbox
from sosbot.storage.tables import Outbox


def is_plain(method: str) -> bool:
    """A row whose sent record is the row's and, for a card, its delivery's: no more (an
    album's message ids are added to its delivery's)."""
    return method != "card_album"


def record_sent(session: Session, row_id: int, channel: str, method: str,
                payload: dict[str, Any], *, message_id: str | None, attempts: int,
                now: datetime) -> None:
    """A plain row (``is_plain``, not a bulletin's) sent: recorded by UPDATEs alone."""
    metrics.DELIVERIES.labels(channel, outbox.SENT).inc()
    outbox.record_sent(session, row_id, message_id=message_id, attempts=attempts, now=now,
                       card_delivery_id=int(payload["delivery_id"]) if method == "card"
                       else None)


def record(session: Session, extensions: DeliveryExtensions, row_id: int, status: str,
           now: datetime, *, error: SendError | None, message_id: str | None,
           attempts: int | None) -> None:
    """Record any outcome of row ``row_id`` (locked for the update); the producer that owns
    the row (a bulletin's, say) decides the status it ends with."""
    stored = session.get(Outbox, row_id, with_for_update=True)
    if stored is None:
        return
    metrics.DELIVERIES.labels(stored.channel, status).inc()
    status = extensions.outcome(session, stored, status, error, now)
    stored.status = status
    stored.last_error = f"{type(error).__name__}: {error}"[:512] if error else None
    stored.platform_message_id = message_id
    if attempts is not None:
        stored.attempts = attempts
    if status == outbox.SENT:
        stored.sent_at = now
    payload = stored.payload
    if stored.method in card_posts.METHODS:
        if status == outbox.SENT:
            card_posts.after_sent(session, stored.method, payload, message_id, now)
        elif error is not None:
            card_posts.after_failed(session, stored.method, payload, error, now)
    elif status == outbox.FAILED and stored.report_id is not None \
            and not payload.get("group") \
            and isinstance(error, DeliveryWindowClosed | RecipientGone | TemporarySendError):
        card_posts.resident_unreachable(session, stored.channel, stored.report_id, error, now)
