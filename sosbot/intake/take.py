"""From platform events to stored state, in two transactions: record, then process.

The group-commit writer (``intake.writer``) hands over every delivery waiting for it. First
(``record_batch``, what a webhook's 200 waits for) their events are recorded in one
statement, the intake's journal (``intake.journal``; a retried delivery stops there), and
committed. Then (``process_recorded``, right after, in a transaction of its own) the rows
are claimed, their residents' rows opened in key order, each resident's conversation steps
(``residents.actions``, routing a report when it is submitted) or a group chat's event goes
to the officers (``officers.group_chat``), and every message to send becomes an outbox row,
written together at the end. Each delivery still gets its own result (its row ids, timers).
Nothing is sent from here: the rows are queued after the commit. If a batch fails, the
writer tries each delivery again in a transaction of its own. ``take_batch`` does both in
one transaction (the benchmarks and tests of the steps themselves).
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
from sosbot.intake.journal import Key, Recorded, read_back
from sosbot.officers.group_chat import handle_group_event
from sosbot.residents.actions import (
    IntakePolicy,
    IntakeResult,
    refuse_blocked,
    refuse_over_rate,
    step_resident,
)
from sosbot.storage import conversations, held_rows, inbound, outbox
from sosbot.storage.inbound import JournalRow

log = logging.getLogger(__name__)

__all__ = ["Delivery", "IntakePolicy", "IntakeResult", "Recorded", "process_recorded",
           "record_batch", "take_batch"]

# A webhook delivery as intake takes it: its events and the payload kept with the first one.
Delivery = tuple[list[PlatformEvent], dict[str, Any]]


def take_batch(session: Session, batch: Sequence[Delivery], now: datetime,
               policy: IntakePolicy) -> list[IntakeResult]:
    """Record and process several deliveries in one transaction, in order; what each one
    changed."""
    _, recorded = record_batch(session, batch, now, policy)
    return process_recorded(session, recorded, now, policy)


def record_batch(session: Session, batch: Sequence[Delivery], now: datetime,
                 policy: IntakePolicy) -> tuple[list[IntakeResult], list[Recorded]]:
    """Record the events of several deliveries, in order, in one statement (the journal):
    for each delivery, how many of its events were new or duplicates, and what its
    processing needs."""
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
    new = inbound.record_new(session, rows)
    results, recorded = [], []
    for events, _ in batch:
        fresh: dict[Key, int] = {}
        result = IntakeResult()
        for event in events:
            row_id = new.pop((event.chat.channel.value, event.event_id), None)
            if row_id is None:
                result.duplicates += 1
            else:
                fresh[(event.chat.channel.value, event.event_id)] = row_id
                result.accepted += 1
        results.append(result)
        recorded.append(Recorded(events, fresh, counts))
    return results, recorded


def process_recorded(session: Session, recorded: Sequence[Recorded], now: datetime,
                     policy: IntakePolicy) -> list[IntakeResult]:
    """Process recorded deliveries in one transaction, in order, and mark their journal
    rows processed; what each one changed. A row another transaction processed already is
    a duplicate here. An earlier row of one of their chats that is still unprocessed
    (recorded by another web process, whose writer has not reached it) is processed first,
    here, so that a chat's events are processed in the order they were recorded.

    Their residents' rows are loaded (or created) and their held updates looked up in a few
    statements, whatever the number of deliveries."""
    claimed = inbound.claim(session, (i for r in recorded for i in r.fresh.values()), now)
    earlier = _earlier_of_their_chats(session, recorded, claimed, now, policy)
    if earlier:
        claimed |= inbound.claim(session, (i for r in earlier for i in r.fresh.values()), now)
    everything = [*earlier, *recorded]
    fresh = {key for r in everything for key, row_id in r.fresh.items() if row_id in claimed}
    residents = [(event.chat.channel.value, event.chat.chat_id, event.sender)
                 for r in everything for event in r.events
                 if event.sender is not None and event.chat.kind is ChatKind.PRIVATE
                 and (event.chat.channel.value, event.event_id) in fresh]
    reporters = conversations.open_reporters(
        session, [(channel, sender) for channel, _, sender in residents], now)
    conversations.open_conversations(
        session, [(channel, chat_id, reporters[(channel, sender.user_id)].id)
                  for channel, chat_id, sender in residents], now)
    held_rows.probe_held(session, ((channel, chat_id) for channel, chat_id, _ in residents))
    results = []
    for index, delivery in enumerate(everything):
        outbox.owned_by(session, index)
        results.append(take_recorded(session, delivery.events, fresh, now, policy,
                                     delivery.counts))
    outbox.owned_by(session, None)
    conversations.write_states(session)
    written = outbox.take_added_by_owner(session)
    for index, result in enumerate(results):
        result.outbox_ids = written.get(index, [])
    if earlier:
        # What the adopted rows produced is queued with the first delivery's.
        for result in results[:len(earlier)]:
            adopted = IntakeResult(outbox_ids=result.outbox_ids, media_ids=result.media_ids,
                                   timers=result.timers,
                                   place_lookup_ids=result.place_lookup_ids)
            results[len(earlier)].merge(adopted)
    return results[len(earlier):]


def _earlier_of_their_chats(session: Session, recorded: Sequence[Recorded], claimed: set[int],
                            now: datetime, policy: IntakePolicy) -> list[Recorded]:
    """Rows of the deliveries' chats recorded before their first row of that chat and not
    processed yet: another writer's (or a crashed one's), read back from the journal."""
    first: dict[tuple[str, str], int] = {}
    for delivery in recorded:
        for event in delivery.events:
            row_id = delivery.fresh.get((event.chat.channel.value, event.event_id))
            if row_id is not None and row_id in claimed:
                chat = (event.chat.channel.value, event.chat.chat_id)
                first[chat] = min(first.get(chat, row_id), row_id)
    if not first:
        return []
    rows = [row for row in inbound.unprocessed(session, chats=first, before_id=max(first.values()))
            if row.chat_id is not None and row.id < first.get((row.channel, row.chat_id), 0)]
    if not rows:
        return []
    log.info("intake: %d earlier unprocessed event(s) of the same chats processed first",
             len(rows))
    adopted, lost = read_back(session, rows, policy.conversation.messages_per_minute)
    mark_lost(session, lost, now)
    return adopted


def mark_lost(session: Session, rows: Sequence[JournalRow], now: datetime) -> None:
    """Journal rows that cannot be processed again (``read_back``): marked processed, each
    one logged."""
    for row in rows:
        log.error("intake: %s event %s (journal row %d) cannot be processed: its payload "
                  "was not kept or cannot be read; marked processed", row.channel,
                  row.event_id, row.id)
    inbound.claim(session, (row.id for row in rows), now)


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
