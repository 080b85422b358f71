"""In-memory world of the Zalo emulator: the OA, its users and groups, tokens, the clock.

Time is the emulator's own: ``config.clock()`` plus an offset that ``POST /_emu/clock``
moves forward, so access tokens expire and messaging windows close without waiting.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sosbot.emulators.common.ratelimit import SlidingWindowLimiter
from sosbot.emulators.common.webhook import DeliveryOutcome

from .webhook import ZaloWebhookSender, signed_request

log = logging.getLogger(__name__)

DAY_S = 24 * 3600.0


@dataclass
class ZaloEmulatorConfig:
    """Emulator behaviour; every field but ``clock`` can also be changed via /_emu/config."""

    app_id: str = "360846524940903967"
    app_secret: str = "emu-app-secret-KEY"
    oa_id: str = "388613280878808645"
    oa_secret_key: str = "emu-oa-secret-KEY"
    webhook_url: str | None = None
    retry_schedule_s: tuple[float, ...] = (30.0, 300.0, 900.0, 1800.0, 3600.0)
    webhook_timeout_s: float = 5.0
    limits: bool = True
    requests_per_min: int = 4000
    access_token_ttl_s: float = 25 * 3600.0
    free_window_s: float = 2 * DAY_S
    window_s: float = 7 * DAY_S
    # Zalo's support: 8 free replies within 48 h of the user's last message; the rest is
    # "proactive" and counted against the OA's quota (docs/platforms/zalo.md).
    free_replies: int = 8
    proactive_quota: int = 1000
    max_upload_bytes: int = 1024 * 1024
    clock: Callable[[], float] = time.time


@dataclass
class User:
    """A Zalo user as the OA sees them (ids are scoped to the OA, as on Zalo)."""

    id: str
    name: str
    id_by_app: str
    phone: str | None = None
    follower: bool = False
    last_interaction: float | None = None
    free_replies_used: int = 0  # since the user's last message
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Group:
    """A GMF group chat of the OA."""

    id: str
    name: str
    members: list[str] = field(default_factory=list)
    oa_in: bool = True
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class StoredFile:
    """Bytes a user sent or the OA uploaded, served back at ``/_emu/files/{id}``."""

    id: str
    data: bytes
    mime: str
    name: str | None = None


@dataclass
class Fault:
    """Make the next ``times`` calls to ``path`` fail with a Zalo error or an HTTP status."""

    path: str
    error: int | None = None
    http_status: int | None = None
    message: str = "Injected fault"
    times: int = 1


def new_user_id() -> str:
    """A Zalo-looking user id: 19 digits, as a string."""
    return str(secrets.randbelow(9 * 10**18) + 10**18)


def new_hex_id() -> str:
    """A Zalo-looking message, group or attachment id."""
    return secrets.token_hex(10)


class ZaloEmulatorState:
    """Everything the emulator remembers; one per application."""

    def __init__(self, config: ZaloEmulatorConfig) -> None:
        self.config = config
        self.offset_s = 0.0
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.files: dict[str, StoredFile] = {}
        self.calls: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.access_tokens: dict[str, float] = {}  # token → expiry on the emulator clock
        self.refresh_tokens: dict[str, bool] = {}  # token → still unused
        self.refreshes: list[dict[str, Any]] = []
        self.webhook_attempts: list[dict[str, Any]] = []
        self.undelivered: list[dict[str, Any]] = []
        self.url_checks: list[dict[str, Any]] = []  # webhook URL checks: url, status
        self.proactive_used: dict[str, int] = {}  # month (2026-12) → proactive messages
        self.limiter = SlidingWindowLimiter(config.requests_per_min, 60.0, clock=self.now)
        self.sender = ZaloWebhookSender(schedule_s=config.retry_schedule_s,
                                        timeout_s=config.webhook_timeout_s,
                                        on_attempt=self._record_attempt)

    # -- time ---------------------------------------------------------------------------

    def now(self) -> float:
        """Seconds since the epoch on the emulator's clock."""
        return self.config.clock() + self.offset_s

    def now_ms(self) -> str:
        """The emulator's time as Zalo writes timestamps: milliseconds, as a string."""
        return str(int(self.now() * 1000))

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward."""
        self.offset_s += seconds

    # -- tokens -------------------------------------------------------------------------

    def issue_tokens(self) -> dict[str, Any]:
        """A new access/refresh pair, answered like Zalo's OAuth endpoint does."""
        access, refresh = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
        self.access_tokens[access] = self.now() + self.config.access_token_ttl_s
        self.refresh_tokens[refresh] = True
        return {"access_token": access, "refresh_token": refresh,
                "expires_in": str(int(self.config.access_token_ttl_s))}

    # -- the world ----------------------------------------------------------------------

    def add_user(self, name: str, user_id: str | None = None,
                 phone: str | None = None) -> User:
        """Register a user of Zalo who may follow the OA."""
        uid = user_id or new_user_id()
        while user_id is None and uid in self.users:
            uid = new_user_id()
        user = User(id=uid, name=name, id_by_app=new_user_id(), phone=phone)
        self.users[uid] = user
        return user

    def add_file(self, data: bytes, mime: str, name: str | None = None) -> StoredFile:
        """Keep bytes and give them an id."""
        stored = StoredFile(id=new_hex_id(), data=data, mime=mime, name=name)
        self.files[stored.id] = stored
        return stored

    def take_fault(self, path: str) -> Fault | None:
        """The fault injected for ``path``, if any (used up one call at a time)."""
        for fault in self.faults:
            if fault.path == path and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def apply_config(self) -> None:
        """Push ``self.config`` into the limiter and the webhook sender."""
        self.limiter = SlidingWindowLimiter(self.config.requests_per_min, 60.0, clock=self.now)
        self.sender.schedule_s = list(self.config.retry_schedule_s)
        self.sender.timeout_s = self.config.webhook_timeout_s

    def reset(self) -> None:
        """Forget users, groups, messages, files, logs, faults and clock moves; keep the
        app's tokens and the configuration."""
        self.offset_s = 0.0
        for collection in (self.users, self.groups, self.files):
            collection.clear()
        self.proactive_used.clear()
        for log_list in (self.calls, self.faults, self.refreshes, self.webhook_attempts,
                         self.undelivered):
            log_list.clear()
        self.limiter.reset()

    # -- webhooks -----------------------------------------------------------------------

    def emit(self, key: str, event: dict[str, Any]) -> asyncio.Future[int | None] | None:
        """POST ``event`` to the webhook, signed like Zalo does; None when none is set."""
        url = self.config.webhook_url
        if not url:
            self.undelivered.append(event)
            return None
        body, headers = signed_request(event, self.config.oa_secret_key)
        return self.sender.submit(key, url, body, headers)

    def _record_attempt(self, outcome: DeliveryOutcome) -> None:
        self.webhook_attempts.append({"key": outcome.key, "attempt": outcome.attempt,
                                      "num_retry": outcome.attempt - 1,
                                      "status": outcome.status, "error": outcome.error})

    async def close(self) -> None:
        """Stop webhook deliveries."""
        await self.sender.close()


STATE_KEY = web.AppKey("zalo_emulator_state", ZaloEmulatorState)
