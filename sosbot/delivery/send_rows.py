"""An outbox row as the send path holds it, and what the path writes of it: the start of an
attempt (before the platform is called) and the outcome (``sending`` decides when)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session

from sosbot.core.errors import SendError
from sosbot.core.model import Destination
from sosbot.core.outbox_rows import RowKind
from sosbot.core.pseudonyms import chat_label
from sosbot.delivery import card_batches, send_outcomes
from sosbot.delivery.context import JobContext
from sosbot.storage import outbox, platform_usage
from sosbot.storage.outbox import OutboxStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendRow:
    """An outbox row as the send path holds it, read by its look
    (``storage.outbox.PendingRow``)."""

    id: int
    channel: str
    chat_id: str
    method: RowKind | None  # None: a kind this code does not know (its look fails the row)
    payload: dict[str, Any]
    attempts: int
    not_before: datetime
    destination: Destination
    bulletin_id: int | None = None
    delivery_id: int | None = None


def row_of(stored: outbox.PendingRow) -> SendRow:
    return SendRow(stored.id, stored.channel, stored.chat_id, _kind(stored.method),
                   dict(stored.payload), stored.attempts, stored.not_before,
                   Destination(stored.destination), stored.bulletin_id, stored.delivery_id)


def _kind(method: str) -> RowKind | None:
    try:
        return RowKind(method)
    except ValueError:
        return None


def mark_started(ctx: JobContext, db: Connection, stored: outbox.PendingRow, *,
                 members: tuple[int, ...] = (), retrying_after_429: bool = False) -> str | None:
    """Mark ``stored`` as being sent (committed with the caller's transaction, before the
    platform is called); its idempotency key, or None when the row is no longer pending
    (read by a look that does not hold its lock, and decided meanwhile: not to be sent).

    A row whose previous attempt was recorded but never finished is "in doubt": the worker
    died, or lost the database, between calling the platform and recording the answer. It
    is sent again with the same key. A platform that honours ``Idempotency-Key`` (the
    emulators do) answers with the first message instead of posting a second one; Telegram,
    Zalo and Messenger do not, so there the resident or group may see it twice. Sending
    again is the choice for an emergency intake: a report seen twice beats one never seen.
    """
    if stored.attempt_started_at is not None and not retrying_after_429:
        log.warning("outbox %s to %s is in doubt: an attempt started at %s never "
                    "finished; sending again with idempotency key %s", stored.id,
                    chat_label(stored.channel, stored.chat_id),
                    stored.attempt_started_at.isoformat(),
                    stored.idempotency_key)
    key = stored.idempotency_key or f"sosbot-{stored.id}-{secrets.token_hex(8)}"
    # A batch card: a retry in doubt sends the same reports again.
    payload = {**stored.payload, card_batches.BATCH_KEY: list(members)} if members else None
    started = outbox.mark_started(db, stored.id, key=key, now=ctx.clock(), payload=payload)
    return key if started else None


def _sent_plainly(ctx: JobContext, row: SendRow, status: OutboxStatus,
                  attempts: int | None) -> bool:
    """Whether :func:`record` writes this outcome by UPDATEs alone (``record_sent``)."""
    return status is OutboxStatus.SENT and attempts is not None \
        and send_outcomes.is_plain(row.method) and not ctx.extensions.owned(row)


def one_update(ctx: JobContext, row: SendRow, status: OutboxStatus, attempts: int | None,
               billing: Any) -> bool:
    """Whether :func:`record` writes this outcome (no batch's members) with one statement:
    a plain row sent that is not billed, and not a card (which marks its delivery too)
    unless the database writes a card's row and delivery at once."""
    return _sent_plainly(ctx, row, status, attempts) and not billing and (
        row.method is not RowKind.CARD or outbox.card_sent_at_once(ctx.engine.dialect))


def record(ctx: JobContext, session: Session, row: SendRow, status: OutboxStatus, *,
           error: SendError | None, message_id: str | None, attempts: int | None,
           members: tuple[int, ...], billing: Any) -> None:
    """Write one send's outcome: a plain row sent by UPDATEs alone, anything else through
    ``send_outcomes.record`` (what its delivery, resident or producer learns)."""
    if _sent_plainly(ctx, row, status, attempts):
        assert attempts is not None
        # A batch card's members are cards of this chat, as plain as its lead.
        send_outcomes.record_sent(session, row.id, row.channel, row.method, row.delivery_id,
                                  message_id=message_id, attempts=attempts,
                                  now=ctx.clock(), members=members)
    else:
        for row_id in members or (row.id,):
            send_outcomes.record(session, ctx.extensions, row_id, status, ctx.clock(),
                                 error=error, message_id=message_id,
                                 attempts=attempts if row_id == row.id else None)
    if status is OutboxStatus.SENT and isinstance(billing, str) and billing:
        # What the platform counts this send as (a Zalo free reply or proactive).
        platform_usage.count(session, row.channel, billing, ctx.clock())
    session.flush()
