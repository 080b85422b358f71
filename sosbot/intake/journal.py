"""The intake's journal: the recorded events still to process, and how they are read back.

A webhook is answered 200 once its events are recorded (``inbound_event``, committed); their
processing follows in another transaction, which marks the rows processed
(``inbound.claim``). A row still unmarked is processed from what the row keeps: after a
crash between the two (``GroupCommit.replay``), or by another web process's writer that has
a later event of the same chat to process (its order comes first, ``take.process_recorded``).

What the row keeps is the platform's payload as it came (with a delivery's first event; the
others point to it, ``same_delivery_as``), parsed again by the platform's own parser, or a
location page's point (``page_point``), which is no platform payload and is kept as its
coordinates. A row whose payload was not kept (a resident's message beyond the messages per
minute, ``inbound_rate.DROPPED_PAYLOAD``) or cannot be parsed any more is marked processed
with an error logged: never retried for ever, never dropped unsaid.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from sosbot.bots.messenger.inbound import parse_body as parse_messenger
from sosbot.bots.telegram.inbound import parse_update as parse_telegram
from sosbot.bots.zalo.inbound import parse_event as parse_zalo
from sosbot.core.events import LocationReceived, PlatformEvent
from sosbot.core.model import Channel, ChatRef, Location, LocationSource, Sender
from sosbot.intake.inbound_rate import MinuteCounts
from sosbot.storage import inbound
from sosbot.storage.inbound import JournalRow

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (channel, event id): the journal's unique key

PAGE_POINT = "location_page"  # the payload key of a location page's point

PARSERS: dict[str, Callable[[Any], list[PlatformEvent]]] = {
    Channel.TELEGRAM.value: parse_telegram,
    Channel.ZALO.value: parse_zalo,
    Channel.MESSENGER.value: parse_messenger,
}


@dataclass
class Recorded:
    """One delivery whose events are recorded: what its processing needs. ``fresh`` holds
    the events it recorded (first), each with its journal row's id; its other events were
    recorded before (duplicates). ``counts`` is the messages per minute as they stood
    before it was recorded."""

    events: list[PlatformEvent]
    fresh: dict[Key, int]
    counts: MinuteCounts


def page_point(channel: str, chat_id: str, token: str, lat: float, lon: float,
               accuracy: float | None) -> tuple[LocationReceived, dict[str, Any]]:
    """A point from the location page as an event, and the payload its row keeps so that
    it can be processed again from the journal (``parse``)."""
    event = LocationReceived(
        location=Location(lat=lat, lon=lon, accuracy_m=accuracy, source=LocationSource.PAGE),
        chat=ChatRef(channel=Channel(channel), chat_id=chat_id),
        sender=Sender(user_id=chat_id), event_id=f"page:{token}")
    return event, {PAGE_POINT: token, "chat_id": chat_id, "lat": lat, "lon": lon,
                   "accuracy_m": accuracy}


def parse(channel: str, payload: dict[str, Any]) -> list[PlatformEvent]:
    """The events of a kept payload, as they were when it was recorded; raises when it
    cannot be read."""
    if PAGE_POINT in payload:
        event, _ = page_point(channel, str(payload["chat_id"]), str(payload[PAGE_POINT]),
                              float(payload["lat"]), float(payload["lon"]),
                              payload.get("accuracy_m"))
        return [event]
    return PARSERS[channel](payload)


def read_back(session: Session, rows: Sequence[JournalRow], limit: int
              ) -> tuple[list[Recorded], list[JournalRow]]:
    """The deliveries of journal ``rows`` (in id order) to process again, each with the
    rows it covers, and the rows that cannot be processed again (their payload not kept or
    unreadable)."""
    by_key = {(row.channel, row.event_id): row for row in rows}
    covered: set[int] = set()
    deliveries: list[Recorded] = []
    lost: list[JournalRow] = []
    for row in rows:
        if row.id in covered:
            continue
        events = _events_of(session, row)
        fresh = {}
        for event in events:
            key = (event.chat.channel.value, event.event_id)
            found = by_key.get(key)
            if found is not None and found.id not in covered and key not in fresh:
                fresh[key] = found.id
        if (row.channel, row.event_id) not in fresh:
            lost.append(row)
            covered.add(row.id)
            continue
        covered.update(fresh.values())
        counts = MinuteCounts.load(session, events, row.received_at, limit,
                                   before_id=min(fresh.values()))
        deliveries.append(Recorded(events, fresh, counts))
    return deliveries, lost


def _events_of(session: Session, row: JournalRow) -> list[PlatformEvent]:
    payload: dict[str, Any] | None = row.payload
    head = (payload or {}).get("same_delivery_as")
    if head is not None:
        payload = inbound.payload_of(session, row.channel, str(head))
    if not payload:
        return []
    try:
        return parse(row.channel, payload)
    except Exception as exc:  # noqa: BLE001 - any parser's error: the row is reported lost
        log.error("journal: %s event %s (row %d) cannot be parsed again (%s: %s)",
                  row.channel, row.event_id, row.id, type(exc).__name__, exc)
        return []
