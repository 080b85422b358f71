"""The digest on a schedule: every N minutes and once a day, to every command-centre chat.

Every worker's sweeper asks; a Redis key per time slot lets exactly one of them post it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from redis import Redis
from sqlmodel import Session

from sosbot.command_centre import posting
from sosbot.config import DigestConfig
from sosbot.core.model import Destination
from sosbot.core.outbox_rows import DigestImages, TextRow
from sosbot.routing.rules import COMMAND, RoutingRules
from sosbot.storage import bindings, outbox

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


#: A slot nobody claimed until this long after it began (Redis lost its keys, every worker
#: was down) is claimed without posting: a digest that late would mislead more than help.
GRACE = timedelta(minutes=15)


@dataclass(frozen=True)
class DigestSchedule:
    """When the command centre gets its digest (config.yaml ``digest``)."""

    every_minutes: int = DigestConfig().every_minutes
    daily_at: str | None = DigestConfig().daily_at
    grace: timedelta = GRACE


@dataclass(frozen=True)
class Slot:
    key: str
    span: timedelta
    begins: datetime


def due_slots(now: datetime, every_minutes: int, daily_at: str | None) -> list[Slot]:
    """The digest slots that ``now`` falls in (each is posted once, when first seen)."""
    slots = []
    if every_minutes > 0:
        length = every_minutes * 60
        number = int(now.timestamp() // length)
        slots.append(Slot(f"every:{every_minutes}:{number}", timedelta(minutes=every_minutes),
                          datetime.fromtimestamp(number * length, UTC)))
    if daily_at:
        local = now.astimezone(LOCAL)
        hour, minute = (int(part) for part in daily_at.split(":"))
        if (local.hour, local.minute) >= (hour, minute):
            begins = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
            slots.append(Slot(f"daily:{local.date().isoformat()}", timedelta(days=1),
                              begins.astimezone(UTC)))
    return slots


def claim(redis: Redis, slot: Slot, now: datetime, grace: timedelta = GRACE) -> bool:
    """True for exactly one caller per slot, across workers and restarts (the claim is kept
    in Redis), and only while the slot is fresh: one first seen more than ``grace`` after
    it began is claimed without posting."""
    claimed = bool(redis.set(f"sosbot:digest-slot:{slot.key}", "1", nx=True,
                             ex=int(slot.span.total_seconds()) + 86400))
    return claimed and now - slot.begins <= grace


def post_digest(session: Session, rules: RoutingRules, now: datetime,
                span: timedelta) -> int:
    """Queue the digest text and its images for every command-centre chat."""
    chats = bindings.active_for(session, COMMAND, COMMAND)
    if not chats:
        return 0
    text = posting.text(posting.digest_for(session, rules, now, span))
    for chat in chats:
        # Routine: the cards reaching the chat meanwhile go first (storage.outbox).
        outbox.add(session, channel=chat.channel, chat_id=chat.chat_id,
                   destination=Destination.GROUP, row=TextRow.plain(text),
                   now=now, priority=outbox.ROUTINE)
        outbox.add(session, channel=chat.channel, chat_id=chat.chat_id,
                   destination=Destination.GROUP, row=DigestImages(since=now - span, until=now),
                   now=now, priority=outbox.ROUTINE)
    return len(chats)
