"""How a message to a Zalo resident is sent and counted (docs/platforms/zalo.md).

Zalo gives an OA 8 free *replies* within 48 hours of a user's last message, counted again
from each new message; a reply counts as one only when it quotes the user's message
(``quote_message_id``). Anything else — the 9th, one sent later, one that quotes nothing,
a bulletin — is *proactive*: counted against the OA's monthly quota, and possible only
within 7 days of the user's last interaction (-230 after).

So a status update, an answer and any other conversational message quotes the resident's
last message while free replies are left; a safety bulletin never does (it answers
nothing, and Zalo's promotion messages need approved templates and a follower quota of
their own: docs/platforms/zalo.md "Message types"). The kind is carried in the payload
(``billing``) so that the send is counted as it went (``storage.platform_usage``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from sosbot.storage.outbox import OutboxStatus
from sosbot.storage.tables import InboundEvent, Outbox

FREE_WINDOW = timedelta(hours=48)
FREE_REPLIES = 8
REPLY, PROACTIVE = "reply", "proactive"
BILLING_KEY = "billing"
QUOTE_KEY = "quote_message_id"
# Events that carry a message of the resident's (a follow or a receipt has none to quote).
MESSAGE_KINDS = ("TextReceived", "CommandReceived", "LocationReceived", "MediaReceived",
                 "ContactShared", "UnsupportedReceived")


def terms(session: Session, chat_id: str, now: datetime, *,
          bulletin: bool) -> dict[str, Any]:
    """``billing`` (and ``quote_message_id`` for a reply) for a message to ``chat_id``."""
    if bulletin:
        return {BILLING_KEY: PROACTIVE}
    last = session.exec(
        select(InboundEvent.event_id, InboundEvent.received_at, InboundEvent.payload)
        .where(InboundEvent.channel == "zalo", InboundEvent.chat_id == chat_id,
               col(InboundEvent.kind).in_(MESSAGE_KINDS))
        .order_by(col(InboundEvent.received_at).desc(), col(InboundEvent.id).desc())
        .limit(1)).first()
    if last is None:
        return {BILLING_KEY: PROACTIVE}
    event_id, received_at, payload = last
    quoted = _message_id(str(event_id), payload)
    if quoted is None or now - received_at > FREE_WINDOW:
        return {BILLING_KEY: PROACTIVE}
    used = session.exec(
        select(sa.func.count()).select_from(Outbox)
        .where(Outbox.channel == "zalo", Outbox.chat_id == chat_id,
               Outbox.status == OutboxStatus.SENT, col(Outbox.bulletin_id).is_(None),
               col(Outbox.sent_at) >= received_at)).one()
    if int(used) >= FREE_REPLIES:
        return {BILLING_KEY: PROACTIVE}
    return {BILLING_KEY: REPLY, QUOTE_KEY: quoted}


def _message_id(event_id: str, payload: Any) -> str | None:
    """Zalo's id of the resident's message an event came from; None for an event that is
    no message (a follow becomes /start, with no id to quote)."""
    if isinstance(payload, dict) and "same_delivery_as" not in payload:
        message = payload.get("message")
        msg_id = message.get("msg_id") if isinstance(message, dict) else None
        return str(msg_id) if isinstance(msg_id, str | int) and str(msg_id) else None
    # The second and later attachments of one message: stored as <msg_id>:<n>.
    return event_id.split(":", 1)[0] or None
