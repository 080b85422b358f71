"""Chats whose holder died: found within seconds, and queued again.

A job sending to a chat holds the chat's Redis lock (``sending``), renewed by a keeper
while it works; killed (SIGKILL, the OOM killer, a lost machine), it stops renewing and the
lock lapses after ``limits.chat_lock_s``. But a lapsed lock sends nothing: the dead job's
rows, and the rows of the jobs that found the chat busy and left it to the holder, have no
job any more. Without this they waited for the sweeper, which re-queues a row only once it
has waited ``queue.outbox_stale_after_s`` (a minute).

So every holder also writes its chat in a Redis hash (``HELD``) when it takes the lock, and
takes it out when it lets go. Every worker looks at the hash every ``WATCH_S``: a chat in
it whose lock is gone lost its holder; the first worker to take it out of the hash queues
the chat's next row (put back in the hash when the database or Redis fails before it is
queued, for the next look). A chat is sent again within ``chat_lock_s + WATCH_S`` of its
holder's death. A holder that let go but died before taking its chat out costs one job that
finds nothing to do; a send in doubt is sent again with its idempotency key, as after any
death.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from redis import Redis
from redis.commands.core import Script

from sosbot.core.pseudonyms import chat_label
from sosbot.delivery.context import JobContext
from sosbot.delivery.queueing import DELIVER
from sosbot.storage import outbox

log = logging.getLogger(__name__)

HELD = "sosbot:chats-held"
WATCH_S = 1.0  # how often each worker looks for chats whose holder died
# Takes the chat out of the hash only if it is still the same holder's.
_LET_GO = """
if redis.call('hget', KEYS[1], ARGV[1]) == ARGV[2] then
    return redis.call('hdel', KEYS[1], ARGV[1])
end
return 0
"""


# Taking a chat, in one round trip: leave the mark that a row waits ("more"), then take the
# lock; when taken, write the holder down in HELD and clear the mark (the holder's first
# look sees every row queued so far). When not, the mark stays for the holder to find.
_TAKE = """
redis.call('SET', KEYS[3], ARGV[5], 'EX', ARGV[6])
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
    redis.call('DEL', KEYS[3])
    return 1
end
return 0
"""
# Letting go, in one round trip: free the lock if still ours, take the chat out of HELD if
# still our mark there, and read and clear the mark a job left meanwhile.
_LET_GO_ALL = """
local released = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('DEL', KEYS[1])
    released = 1
end
if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[3] then
    redis.call('HDEL', KEYS[2], ARGV[2])
end
local more = redis.call('GET', KEYS[3])
redis.call('DEL', KEYS[3])
return {released, more}
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


def lock_key(channel: str, chat_id: str) -> str:
    """The Redis key of a chat's lock."""
    return f"sosbot:chat-lock:{channel}:{chat_id}"


def more_key(channel: str, chat_id: str) -> str:
    """The Redis key of the mark a job leaves when it finds the chat taken."""
    return f"sosbot:chat-more:{channel}:{chat_id}"


@dataclass(frozen=True)
class ChatHold:
    """One job's hold on a chat: its lock (``token``) and its entry in HELD (``mark``)."""

    redis: Redis
    channel: str
    chat_id: str
    token: str
    mark: str
    lock_ms: int

    @property
    def more(self) -> str:
        return more_key(self.channel, self.chat_id)

    def renew(self) -> bool:
        """Extend the lock by its lifetime; False when it is no longer ours."""
        return bool(_script(self.redis, _RENEW)(
            keys=[lock_key(self.channel, self.chat_id)], args=[self.token, self.lock_ms]))

    def let_go(self) -> tuple[bool, int | None]:
        """Free the chat: (whether the lock was still ours, the row a job left meanwhile)."""
        released, more = _script(self.redis, _LET_GO_ALL)(
            keys=[lock_key(self.channel, self.chat_id), HELD, self.more],
            args=[self.token, _field(self.channel, self.chat_id), self.mark])
        return bool(released), int(more) if more is not None else None


def take(redis: Redis, channel: str, chat_id: str, row_id: int,
         lock_s: float) -> ChatHold | None:
    """Take the chat for sending row ``row_id`` (and the rows after it), or None when
    another job holds it: that job then finds ``row_id`` in the mark when it lets go."""
    hold = ChatHold(redis, channel, chat_id, token=secrets.token_hex(16),
                    mark=secrets.token_hex(8), lock_ms=int(lock_s * 1000))
    taken = _script(redis, _TAKE)(
        keys=[lock_key(channel, chat_id), HELD, hold.more],
        args=[hold.token, hold.lock_ms, _field(channel, chat_id), hold.mark, row_id,
              max(60, int(lock_s * 4))])
    return hold if taken else None


def _script(redis: Redis, source: str) -> Any:
    """The script, called on this client by its SHA1 (EVALSHA), loaded on the first miss.
    Each script is made once (making one hashes its source: that was twice a chat taken)."""
    return partial(_SCRIPTS[source], client=redis)


# No client of their own (a bytes source needs none to be hashed): each call names one.
_SCRIPTS = {source: Script(None, source.encode())  # type: ignore[arg-type]
            for source in (_TAKE, _LET_GO_ALL, _RENEW)}


def let_go(redis: Redis, channel: str, chat_id: str, mark: str) -> bool:
    """Take the chat out of the hash if ``mark`` still holds it there."""
    return bool(redis.eval(_LET_GO, 1, HELD, _field(channel, chat_id), mark))


def recover(ctx: JobContext) -> int:
    """Queue the next row of every chat whose holder died; how many chats were queued."""
    held = ctx.redis.hgetall(HELD)
    if not held:
        return 0
    chats = [(_text(field), _text(mark)) for field, mark in held.items()]
    with ctx.redis.pipeline(transaction=False) as pipeline:
        for field, _ in chats:
            channel, _, chat_id = field.partition(":")
            pipeline.exists(lock_key(channel, chat_id))
        locked = pipeline.execute()
    queued: list[tuple[int, int]] = []
    claimed: list[tuple[str, str]] = []  # taken out of HELD by this call: (field, mark)
    try:
        for (field, mark), taken in zip(chats, locked, strict=True):
            channel, _, chat_id = field.partition(":")
            if taken or not let_go(ctx.redis, channel, chat_id, mark):
                continue  # held, or another worker took this one
            claimed.append((field, mark))
            with ctx.engine.begin() as db:  # (a read, committed: see storage.db.end_read)
                next_id = outbox.next_id_for_chat(db, channel, chat_id)
            if next_id is not None:
                log.warning("chat %s: its holder died; outbox %s is queued again",
                            chat_label(channel, chat_id), next_id)
                queued.append((next_id, _tag(ctx.clock())))
        ctx.dispatcher.now(DELIVER, queued)
    except Exception:
        _hold_again(ctx.redis, claimed)
        raise
    return len(queued)


def _hold_again(redis: Redis, claimed: list[tuple[str, str]]) -> None:
    """Put back in HELD the chats this watch took out but could not queue (the database or
    Redis failed half-way): the next watch, this worker's or another's, tries them again,
    instead of leaving them to the sweeper's minute."""
    if not claimed:
        return
    try:
        with redis.pipeline(transaction=False) as pipeline:
            for field, mark in claimed:  # (a chat a new holder took meanwhile is its own)
                pipeline.hsetnx(HELD, field, mark)
            pipeline.execute()
    except Exception as exc:  # Redis is gone too: the sweeper queues them once it is back
        log.warning("%d chats whose holder died could not be put back to watch (%s); the "
                    "sweeper queues them", len(claimed), exc)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _field(channel: str, chat_id: str) -> str:
    return f"{channel}:{chat_id}"  # a channel's name has no colon


def _tag(now: datetime) -> int:
    return int(now.timestamp() * 1000)
