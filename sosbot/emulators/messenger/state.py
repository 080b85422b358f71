"""In-memory world of the Messenger emulator: one page, its residents, what was said, files.

Time: the 24-hour window is judged on :class:`EmulatorClock`, the wall clock plus an offset
that ``POST /_emu/clock`` moves forward, so a test can step a day ahead in no time. Send
rate limits use the real monotonic clock (a day's jump must not refill them).

Webhook deliveries go out the way Meta sends them: ``{"object": "page", "entry": [...]}``
with one entry per event (a batch is several entries in one POST), serialised with every
non-ASCII character escaped as ``\\uXXXX`` and ``/`` as ``\\/``, signed over those exact
bytes (``X-Hub-Signature-256`` and the older ``X-Hub-Signature``), and retried with a
doubling delay until answered 200.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sosbot.emulators.common.ratelimit import SlidingWindowLimiter, retry_after_seconds
from sosbot.emulators.common.webhook import DeliveryOutcome, WebhookSender

from .errors import GraphApiError, rate_limited

log = logging.getLogger(__name__)

WINDOW_S = 24 * 3600.0
HUMAN_AGENT_WINDOW_S = 7 * 24 * 3600.0


@dataclass
class MessengerEmulatorConfig:
    """Emulator behaviour; every field but ``clock`` can be changed via ``/_emu/config``."""

    page_id: str = "110234567890123"
    page_name: str = "Công an TP. Hồ Chí Minh"
    page_token: str = "EAAemu-messenger-page-token"
    app_secret: str = "emu-messenger-app-secret"
    verify_token: str = "emu-messenger-verify-token"
    webhook_url: str | None = None
    echoes: bool = False  # also send message_echoes for what the page sends
    limits: bool = True
    page_per_s: int = 300  # Send API calls per second per page (text, links, stickers)
    media_per_s: int = 10  # Send API calls per second per page with audio or video
    retry_base_s: float = 1.0
    max_retries: int = 8
    webhook_timeout_s: float = 10.0
    max_upload_bytes: int = 25 * 1024 * 1024
    public_base: str | None = None  # base of attachment URLs; default: the request's origin
    # Meta grants HUMAN_AGENT through App Review; a page without it is refused the tag.
    human_agent_approved: bool = True
    clock: Callable[[], float] = time.time


class EmulatorClock:
    """Epoch seconds: the base clock plus an offset that only moves forward."""

    def __init__(self, base: Callable[[], float]) -> None:
        self.base = base
        self.offset = 0.0

    def now(self) -> float:
        return self.base() + self.offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds


@dataclass
class Resident:
    """A Messenger user who talks to the page."""

    psid: str
    first_name: str
    last_name: str = ""
    locale: str = "vi_VN"
    blocked: bool = False
    last_message_at: float | None = None  # epoch s of their last message or postback
    timeline: list[dict[str, Any]] = field(default_factory=list)

    def profile(self) -> dict[str, Any]:
        """The User Profile API's answer."""
        return {"first_name": self.first_name, "last_name": self.last_name,
                "locale": self.locale, "id": self.psid}


@dataclass
class StoredFile:
    """Bytes the emulator serves at an attachment URL (``/cdn/<id>/<name>``)."""

    id: str
    data: bytes
    mime_type: str
    name: str

    def path(self) -> str:
        return f"/cdn/{self.id}/{self.name}"


@dataclass
class InjectedFailure:
    """An error the next Graph API call answers with (``POST /_emu/fail_next``)."""

    error: GraphApiError
    remaining: int


class EmulatorState:
    """Everything the emulator remembers; one per application."""

    def __init__(self, config: MessengerEmulatorConfig) -> None:
        self.config = config
        self.clock = EmulatorClock(config.clock)
        self.residents: dict[str, Resident] = {}
        self.files: dict[str, StoredFile] = {}
        self.reusable: dict[str, StoredFile] = {}  # attachment_id → file
        self.calls: list[dict[str, Any]] = []
        self.failures: list[InjectedFailure] = []
        self.subscribed = False
        self.sender: WebhookSender | None = None
        self.page_limiter = SlidingWindowLimiter(config.page_per_s, 1.0)
        self.media_limiter = SlidingWindowLimiter(config.media_per_s, 1.0)
        self.deliveries: list[dict[str, Any]] = []
        self._next_psid = 6_100_000_000_000_001

    # -- residents and files --------------------------------------------------------------

    def new_psid(self) -> str:
        while str(self._next_psid) in self.residents:
            self._next_psid += 1
        return str(self._next_psid)

    def resident(self, psid: str) -> Resident | None:
        return self.residents.get(psid)

    def store_file(self, data: bytes, mime_type: str, name: str) -> StoredFile:
        stored = StoredFile(secrets.token_hex(8), data, mime_type, name)
        self.files[stored.id] = stored
        return stored

    @staticmethod
    def new_mid() -> str:
        return "m_" + secrets.token_urlsafe(32)

    # -- limits and failures --------------------------------------------------------------

    def take_failure(self) -> GraphApiError | None:
        """The next injected failure, if any."""
        if not self.failures:
            return None
        head = self.failures[0]
        head.remaining -= 1
        if head.remaining <= 0:
            self.failures.pop(0)
        return head.error

    def acquire_send(self, media: bool) -> None:
        """Count one Send API call against the page's limits, or raise 613."""
        if not self.config.limits:
            return
        waits = [self.page_limiter.check("page")]
        if media:
            waits.append(self.media_limiter.check("page"))
        if max(waits) > 0:
            log.info("page rate limit: retry in %ss", retry_after_seconds(max(waits)))
            raise rate_limited()
        self.page_limiter.consume("page")
        if media:
            self.media_limiter.consume("page")

    def apply_config(self) -> None:
        """Push ``self.config`` into the limiters and the webhook sender."""
        cfg = self.config
        self.page_limiter = SlidingWindowLimiter(max(1, cfg.page_per_s), 1.0)
        self.media_limiter = SlidingWindowLimiter(max(1, cfg.media_per_s), 1.0)
        if self.sender is not None:
            self.sender.base_delay_s = cfg.retry_base_s
            self.sender.max_retries = cfg.max_retries
            self.sender.timeout_s = cfg.webhook_timeout_s

    def reset(self) -> None:
        """Forget residents, messages, files, calls and failures; keep config and webhook."""
        self.residents.clear()
        self.files.clear()
        self.reusable.clear()
        self.calls.clear()
        self.failures.clear()
        self.deliveries.clear()
        self.page_limiter.reset()
        self.media_limiter.reset()

    # -- webhook --------------------------------------------------------------------------

    def encode(self, events: list[dict[str, Any]]) -> bytes:
        """The exact bytes Meta would POST for ``events``: one entry per event."""
        time_ms = self.clock.now_ms()
        body = {"object": "page",
                "entry": [{"id": self.config.page_id, "time": time_ms, "messaging": [event]}
                          for event in events]}
        text = json.dumps(body, ensure_ascii=True, separators=(",", ":"))
        return text.replace("/", "\\/").encode("ascii")

    def signed_headers(self, raw: bytes) -> dict[str, str]:
        """Headers of a webhook POST, signed with the app secret over ``raw``."""
        secret = self.config.app_secret.encode("utf-8")
        sha256 = hmac.new(secret, raw, hashlib.sha256).hexdigest()
        sha1 = hmac.new(secret, raw, hashlib.sha1).hexdigest()
        return {"Content-Type": "application/json", "User-Agent": "facebookexternalua",
                "X-Hub-Signature-256": f"sha256={sha256}", "X-Hub-Signature": f"sha1={sha1}"}

    def deliver(self, events: list[dict[str, Any]]) -> asyncio.Future[int | None]:
        """POST ``events`` to the subscribed webhook (in order behind earlier deliveries)."""
        url = self.config.webhook_url
        if not url or not self.subscribed:
            raise RuntimeError("no verified webhook subscription")
        raw = self.encode(events)
        future = self._sender().submit("page", url, raw, self.signed_headers(raw))
        self.deliveries.append({"events": len(events), "bytes": len(raw)})
        return future

    def _sender(self) -> WebhookSender:
        if self.sender is None:
            def record(outcome: DeliveryOutcome) -> None:
                if not outcome.ok:
                    log.info("webhook attempt %d failed: %s", outcome.attempt, outcome.error)

            self.sender = WebhookSender(max_concurrency=1,
                                        base_delay_s=self.config.retry_base_s,
                                        max_retries=self.config.max_retries,
                                        timeout_s=self.config.webhook_timeout_s,
                                        on_attempt=record)
        return self.sender

    async def close(self) -> None:
        """Stop the webhook sender."""
        if self.sender is not None:
            await self.sender.close()
            self.sender = None

    def record_call(self, entry: dict[str, Any]) -> None:
        """Append to the Graph API call log (``GET /_emu/calls``)."""
        entry["at"] = round(self.clock.now(), 3)
        self.calls.append(entry)


STATE_KEY = web.AppKey("messenger_emulator_state", EmulatorState)
