"""From a platform event to stored state: one transaction per webhook delivery.

In that transaction: the inbound event is recorded (a retried delivery stops here), then a
resident's conversation steps (routing the report when it is submitted) or a group chat's
command is carried out, and every message to send becomes an outbox row. Nothing is sent
from here: the outbox rows are queued after the commit.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session

from sosbot.core.events import ClockTick, PlatformEvent
from sosbot.core.model import ChatKind
from sosbot.routing.group_chat import handle_group_event
from sosbot.routing.resident import (
    IntakePolicy,
    IntakeResult,
    refuse_blocked,
    step_resident,
)
from sosbot.storage import conversations, inbound, outbox
from sosbot.storage.tables import Conversation, Reporter

log = logging.getLogger(__name__)

__all__ = ["IntakePolicy", "IntakeResult", "expire_idle", "take_events"]


def take_events(session: Session, events: list[PlatformEvent], payload: dict[str, Any],
                now: datetime, policy: IntakePolicy) -> IntakeResult:
    """Record and process every event of one delivery, in order."""
    result = IntakeResult()
    first: str | None = None
    for event in events:
        channel = event.chat.channel.value
        # A batch (Messenger sends up to 1,000 events a POST) is stored once, with its
        # first event; the others point to it.
        kept = payload if first is None else {"same_delivery_as": first}
        first = first or event.event_id
        fresh = inbound.record_once(session, channel=channel, event_id=event.event_id,
                                    kind=type(event).__name__, chat_id=event.chat.chat_id,
                                    payload=kept, now=now)
        if not fresh:
            result.duplicates += 1
            continue
        result.accepted += 1
        if event.chat.kind is ChatKind.PRIVATE and event.sender is not None:
            reporter = conversations.reporter_for(session, channel, event.sender, now)
            conversation = conversations.locked_conversation(
                session, channel, event.chat.chat_id, reporter.id, now)
            if reporter.blocked_at is not None:
                refuse_blocked(session, conversation, reporter, now)
                continue
            result.merge(step_resident(session, conversation, reporter, event, now, policy))
        elif event.chat.kind is ChatKind.GROUP and policy.rules is not None:
            result.merge(handle_group_event(session, event, now, policy))
        else:
            log.info("%s event %s in %s ignored: %s", channel, event.event_id,
                     event.chat.chat_id, type(event).__name__)
    result.outbox_ids = outbox.take_added(session)
    return result


def expire_idle(session: Session, conversation_id: int, now: datetime,
                policy: IntakePolicy) -> IntakeResult:
    """Let the clock reach one conversation: an idle draft expires with a message."""
    conversation = session.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None:
        return IntakeResult()
    reporter = session.get(Reporter, conversation.reporter_id) \
        if conversation.reporter_id is not None else None
    result = step_resident(session, conversation, reporter, ClockTick(), now, policy)
    result.outbox_ids = outbox.take_added(session)
    return result
