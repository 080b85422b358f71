"""The digest on a schedule: every N minutes and once a day, to every command-centre chat.

Every worker's sweeper asks; a Redis key per time slot lets exactly one of them post it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from redis import Redis
from sqlmodel import Session

from sosbot.command_centre import posting
from sosbot.core.actions import OutgoingMessage, message_to_dict
from sosbot.routing.rules import COMMAND, RoutingRules
from sosbot.storage import bindings, outbox

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Slot:
    key: str
    span: timedelta


def due_slots(now: datetime, every_minutes: int, daily_at: str | None) -> list[Slot]:
    """The digest slots that ``now`` falls in (each is posted once, when first seen)."""
    slots = []
    if every_minutes > 0:
        number = int(now.timestamp() // (every_minutes * 60))
        slots.append(Slot(f"every:{every_minutes}:{number}", timedelta(minutes=every_minutes)))
    if daily_at:
        local = now.astimezone(LOCAL)
        hour, minute = (int(part) for part in daily_at.split(":"))
        if (local.hour, local.minute) >= (hour, minute):
            slots.append(Slot(f"daily:{local.date().isoformat()}", timedelta(days=1)))
    return slots


def claim(redis: Redis, slot: Slot, first_seen: bool) -> bool:
    """True for exactly one caller per slot. The first time a process runs, slots already
    under way are claimed without posting, so a restart does not repost them."""
    claimed = bool(redis.set(f"sosbot:digest-slot:{slot.key}", "1", nx=True,
                             ex=int(slot.span.total_seconds()) + 86400))
    return claimed and not first_seen


def post_digest(session: Session, rules: RoutingRules, now: datetime,
                span: timedelta) -> int:
    """Queue the digest text and its images for every command-centre chat."""
    chats = bindings.active_for(session, COMMAND, COMMAND)
    if not chats:
        return 0
    text = posting.text(posting.digest_for(session, rules, now, span))
    for chat in chats:
        outbox.add(session, channel=chat.channel, chat_id=chat.chat_id, method="message",
                   payload={**message_to_dict(OutgoingMessage(text=text)), "group": True},
                   now=now)
        outbox.add(session, channel=chat.channel, chat_id=chat.chat_id,
                   method=posting.IMAGES_METHOD,
                   payload={"since": (now - span).isoformat(), "until": now.isoformat(),
                            "group": True}, now=now)
    return len(chats)
