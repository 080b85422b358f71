"""One-time tokens for the location page, kept in Redis so every web process sees them.

A ticket says whose chat a location page link belongs to. ``issue`` stores it under a
random URL-safe token with a time to live; ``consume`` takes it out atomically (``GETDEL``
in a script that also leaves a "used" mark), so a link posts one point, once, whichever
process serves the request. The methods block on Redis: call them from a thread (the web
app does) or from a worker.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from redis import Redis

log = logging.getLogger(__name__)

DEFAULT_TTL_S = 1800
USED_MARK_TTL_S = 24 * 3600
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Take the ticket; unless it had expired, leave a "used" mark holding its language (for the
# "already used" page).
_CONSUME = """
local value = redis.call('GETDEL', KEYS[1])
if not value then return nil end
local ok, ticket = pcall(cjson.decode, value)
if not ok or type(ticket) ~= 'table' then return value end
local expires = tonumber(ticket['expires_at_epoch'])
if expires and expires <= tonumber(ARGV[2]) then return nil end
local lang = 'vi'
if type(ticket['lang']) == 'string' then lang = ticket['lang'] end
redis.call('SET', KEYS[2], lang, 'EX', ARGV[1])
return value
"""


@dataclass(frozen=True)
class LocationTicket:
    """Whose chat a location page link answers, in which language, until when."""

    token: str
    channel: str
    chat_id: str
    lang: str
    expires_at_epoch: float

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: bytes | str) -> LocationTicket:
        data = json.loads(raw)
        return cls(token=str(data["token"]), channel=str(data["channel"]),
                   chat_id=str(data["chat_id"]), lang=str(data["lang"]),
                   expires_at_epoch=float(data["expires_at_epoch"]))


def well_formed(token: str) -> bool:
    """Whether ``token`` could be one of ours (checked before touching Redis)."""
    return bool(_TOKEN_RE.match(token))


class LocationTokens:
    """Issue, look up and consume location page tickets in Redis."""

    def __init__(self, redis: Redis, *, prefix: str = "sosbot:location:",
                 clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.prefix = prefix
        self.clock = clock
        self._consume = redis.register_script(_CONSUME)

    def _key(self, token: str) -> str:
        return f"{self.prefix}ticket:{token}"

    def _used_key(self, token: str) -> str:
        return f"{self.prefix}used:{token}"

    def issue(self, channel: str, chat_id: str, lang: str,
              ttl_s: int = DEFAULT_TTL_S) -> LocationTicket:
        """A new ticket under a fresh random token, valid for ``ttl_s`` seconds."""
        if ttl_s < 1:
            raise ValueError("ttl_s must be at least 1 second")
        while True:
            ticket = LocationTicket(token=secrets.token_urlsafe(16), channel=str(channel),
                                    chat_id=str(chat_id), lang=lang,
                                    expires_at_epoch=self.clock() + ttl_s)
            if self.redis.set(self._key(ticket.token), ticket.to_json(), ex=ttl_s, nx=True):
                return ticket

    def peek(self, token: str) -> LocationTicket | None:
        """The ticket, if the token is known, unused and not expired."""
        if not well_formed(token):
            return None
        raw = self.redis.get(self._key(token))
        return self._live(raw)

    def consume(self, token: str) -> LocationTicket | None:
        """Take the ticket out, once: a second call (from any process) gets None."""
        if not well_formed(token):
            return None
        raw = self._consume(keys=[self._key(token), self._used_key(token)],
                            args=[USED_MARK_TTL_S, repr(self.clock())])
        return self._live(raw)

    def used_lang(self, token: str) -> str | None:
        """The language of the ticket, if the token was consumed (in the last day)."""
        if not well_formed(token):
            return None
        raw = self.redis.get(self._used_key(token))
        if raw is None:
            return None
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)

    def restore(self, ticket: LocationTicket) -> bool:
        """Put a consumed ticket back (its point could not be stored), if still in time."""
        remaining = int(ticket.expires_at_epoch - self.clock())
        if remaining < 1:
            return False
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(ticket.token), ticket.to_json(), ex=remaining, nx=True)
            pipe.delete(self._used_key(ticket.token))
            restored, _ = pipe.execute()
        return bool(restored)

    def _live(self, raw: bytes | str | None) -> LocationTicket | None:
        if raw is None:
            return None
        try:
            ticket = LocationTicket.from_json(raw)
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable location ticket in Redis: %.100r", raw)
            return None
        if ticket.expires_at_epoch <= self.clock():
            return None
        return ticket
