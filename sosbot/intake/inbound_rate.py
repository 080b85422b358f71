"""Messages per minute from one resident chat (issue 18): beyond the limit a message is
recorded as seen (a platform's retry of it is still a duplicate) but nothing of it is
stepped or stored, and the resident gets one notice for the minute.

The count lives in the database, in the intake transaction: the inbound_event rows of the
chat since the start of the current minute (a fixed window, so exactly one message per
window is the first one beyond the limit and carries the notice), counted for every chat of
a batch in one indexed statement. Every web process and intake writer shares it. Two
writers storing the same chat at the same moment each count without the other's uncommitted
rows: the limit may be passed by a few messages then, never by a flood.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from sqlmodel import Session

from sosbot.core.events import Ignored, PlatformEvent
from sosbot.core.model import ChatKind
from sosbot.storage import inbound

# What an over-limit delivery's inbound row keeps instead of the platform's payload.
DROPPED_PAYLOAD: dict[str, Any] = {"dropped": "over the resident's messages per minute"}


class Verdict(Enum):
    TAKE = "take"
    NOTICE = "notice"  # the first message beyond the limit in this minute: dropped, told
    DROP = "drop"  # dropped silently: the notice was given


def window_start(now: datetime) -> datetime:
    """The start of the minute ``now`` falls in: the window the limit counts."""
    return now.replace(second=0, microsecond=0)


# Receipts, edits and service events: the platform's doing more than the resident's (a
# resident reading a burst of replies sends read receipts), and nothing of them is stepped.
NOT_COUNTED = frozenset({Ignored.__name__})


def _resident_chat(event: PlatformEvent) -> tuple[str, str] | None:
    """The resident chat an event counts against, or None when it is not counted."""
    if isinstance(event, Ignored):
        return None
    if event.chat.kind is ChatKind.PRIVATE and event.sender is not None:
        return event.chat.channel.value, event.chat.chat_id
    return None


@dataclass
class MinuteCounts:
    """The messages each resident chat of a batch sent in the current minute, before the
    batch; ``verdict`` counts the batch's own as they are taken."""

    limit: int
    before: dict[tuple[str, str], int]
    taken: Counter[tuple[str, str]] = field(default_factory=Counter)

    @classmethod
    def load(cls, session: Session, events: Iterable[PlatformEvent], now: datetime,
             limit: int, before_id: int | None = None) -> MinuteCounts:
        """The counts before a batch received at ``now``; a batch already recorded (a
        journal's replay) counts only the rows recorded before its first, ``before_id``."""
        chats = {chat for event in events if (chat := _resident_chat(event)) is not None}
        return cls(limit, inbound.chat_counts_since(session, chats, window_start(now),
                                                    not_kinds=NOT_COUNTED,
                                                    before_id=before_id))

    def _position(self, chat: tuple[str, str], counted: Counter[tuple[str, str]]) -> int:
        position = self.before.get(chat, 0) + counted[chat]
        counted[chat] += 1
        return position

    def verdict(self, event: PlatformEvent) -> Verdict:
        """Count a fresh event of the batch (in order) and say what becomes of it."""
        chat = _resident_chat(event)
        if chat is None:
            return Verdict.TAKE  # group chats are officers: never limited here
        position = self._position(chat, self.taken)
        if position < self.limit:
            return Verdict.TAKE
        return Verdict.NOTICE if position == self.limit else Verdict.DROP

    def payloads_to_drop(self, batch: Sequence[tuple[list[PlatformEvent], Any]]) -> set[int]:
        """The deliveries (indexes in ``batch``) whose every event would be beyond the
        limit: their payload is not kept. Counted before the batch is recorded, so a retry
        in it counts too: at worst a payload is dropped for a message that was taken."""
        counted: Counter[tuple[str, str]] = Counter()
        seen: set[tuple[str, str]] = set()
        dropped = set()
        for index, (events, _) in enumerate(batch):
            beyond = bool(events)
            for event in events:
                key = (event.chat.channel.value, event.event_id)
                chat = _resident_chat(event)
                if chat is None:
                    beyond = False
                    continue
                if key in seen:
                    continue
                seen.add(key)
                if self._position(chat, counted) < self.limit:
                    beyond = False
            if beyond:
                dropped.add(index)
        return dropped
