"""From platform events to stored state: a batch of webhook deliveries in one transaction.

The group-commit writer (``intake.writer``) hands over every delivery waiting for it; in
one transaction their events are recorded in one statement (a retried delivery stops
there), their residents' rows are opened in key order, each resident's conversation steps
(``residents.actions``, routing a report when it is submitted) or a group chat's event goes
to the officers (``officers.group_chat``), and every message to send becomes an outbox row,
written together at the end. Each delivery still gets its own result (its row ids, timers).
Nothing is sent from here: the rows are queued after the commit. If the batch fails, the
writer tries each delivery again in a transaction of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from sosbot.core.events import PlatformEvent
from sosbot.core.model import ChatKind
from sosbot.core.pseudonyms import chat_label
from sosbot.intake.inbound_rate import DROPPED_PAYLOAD, MinuteCounts, Verdict
from sosbot.officers.group_chat import handle_group_event
from sosbot.residents.actions import (
    IntakePolicy,
    IntakeResult,
    refuse_blocked,
    refuse_over_rate,
    step_resident,
)
from sosbot.storage import conversations, inbound, outbox

log = logging.getLogger(__name__)

__all__ = ["Delivery", "IntakePolicy", "IntakeResult", "take_batch"]

# A webhook delivery as intake takes it: its events and the payload kept with the first one.
Delivery = tuple[list[PlatformEvent], dict[str, Any]]


def take_batch(session: Session, batch: Sequence[Delivery], now: datetime,
               policy: IntakePolicy) -> list[IntakeResult]:
    """Record and process several deliveries in one transaction, in order; what each one
    changed. Their events are recorded in one statement and their residents' rows loaded
    (or created) and their held updates looked up in a few more, whatever the number of
    deliveries."""
    counts = MinuteCounts.load(session, (e for events, _ in batch for e in events), now,
                               policy.conversation.messages_per_minute)
    unkept = counts.payloads_to_drop(batch)
    rows: list[dict[str, Any]] = []
    for number, (events, payload) in enumerate(batch):
        # A batch (Messenger sends up to 1,000 events a POST) is stored once, with its
        # first event; the others point to it.
        for index, event in enumerate(events):
            rows.append({"channel": event.chat.channel.value, "event_id": event.event_id,
                         "kind": type(event).__name__, "chat_id": event.chat.chat_id,
                         "payload": (DROPPED_PAYLOAD if number in unkept else payload)
                         if index == 0 else {"same_delivery_as": events[0].event_id},
                         "received_at": now})
    fresh = inbound.record_new(session, rows)
    residents = [(event.chat.channel.value, event.chat.chat_id, event.sender)
                 for events, _ in batch for event in events
                 if event.sender is not None and event.chat.kind is ChatKind.PRIVATE
                 and (event.chat.channel.value, event.event_id) in fresh]
    reporters = conversations.open_reporters(
        session, [(channel, sender) for channel, _, sender in residents], now)
    conversations.open_conversations(
        session, [(channel, chat_id, reporters[(channel, sender.user_id)].id)
                  for channel, chat_id, sender in residents], now)
    outbox.probe_held(session, ((channel, chat_id) for channel, chat_id, _ in residents))
    results = []
    for index, (events, _) in enumerate(batch):
        outbox.owned_by(session, index)
        results.append(take_recorded(session, events, fresh, now, policy, counts))
    outbox.owned_by(session, None)
    conversations.write_states(session)
    written = outbox.take_added_by_owner(session)
    for index, result in enumerate(results):
        result.outbox_ids = written.get(index, [])
    return results


def take_recorded(session: Session, events: list[PlatformEvent], fresh: set[tuple[str, str]],
                  now: datetime, policy: IntakePolicy,
                  counts: MinuteCounts | None = None) -> IntakeResult:
    """Process one delivery's events whose (channel, event id) key is in ``fresh`` (each
    key taken out of it as it is taken: the same event twice is taken once); the others
    count as duplicates. A resident's message beyond ``counts``' limit is only recorded
    (one notice per minute). The outbox rows it adds are taken by the caller."""
    if counts is None:
        counts = MinuteCounts(policy.conversation.messages_per_minute, {})
    result = IntakeResult()
    for event in events:
        channel = event.chat.channel.value
        key = (channel, event.event_id)
        if key not in fresh:
            result.duplicates += 1
            continue
        fresh.discard(key)
        result.accepted += 1
        verdict = counts.verdict(event)
        if verdict is not Verdict.TAKE:
            result.over_limit += 1
        if verdict is Verdict.DROP:
            continue  # nothing looked up, nothing written beyond the inbound record
        if event.chat.kind is ChatKind.PRIVATE and event.sender is not None:
            reporter = conversations.reporter_for(session, channel, event.sender, now)
            conversation = conversations.locked_conversation(
                session, channel, event.chat.chat_id, reporter.id, now)
            if verdict is Verdict.NOTICE:
                if reporter.blocked_at is None:  # a blocked resident has a notice of their own
                    refuse_over_rate(session, conversation, reporter, now, counts.limit)
                continue
            if reporter.blocked_at is not None:
                refuse_blocked(session, conversation, reporter, now)
                continue
            result.merge(step_resident(session, conversation, reporter, event, now, policy))
        elif event.chat.kind is ChatKind.GROUP:
            result.merge(handle_group_event(session, event, now, policy))
        else:
            log.info("%s event %s in %s ignored: %s", channel, event.event_id,
                     chat_label(channel, event.chat.chat_id), type(event).__name__)
    return result
