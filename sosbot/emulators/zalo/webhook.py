"""Webhook delivery the way Zalo does it: signed, with Zalo's headers and retry schedule.

Each event is POSTed as JSON with ``X-ZEvent-Signature: mac=<sha256 hex(app_id + raw body
+ timestamp + OA secret key)>``, ``User-Agent: ZaloWebhook``, ``X-ZEvent-Server: OA
OpenAPI`` and ``num_retry`` (0 on the first attempt). A non-2xx answer or a failed
connection is retried after each delay of the schedule in turn (Zalo: 30 s, 5 min,
15 min, 30 min, 1 h), then dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp

from sosbot.emulators.common.webhook import DeliveryOutcome, WebhookSender, _Delivery

from .signing import SIGNATURE_HEADER, signature_header

log = logging.getLogger(__name__)

USER_AGENT = "ZaloWebhook"
SERVER = "OA OpenAPI"


def signed_request(event: dict[str, Any], oa_secret_key: str) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of one webhook POST of ``event``."""
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    signature = signature_header(str(event.get("app_id", "")), body,
                                 str(event.get("timestamp", "")), oa_secret_key)
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature,
        "User-Agent": USER_AGENT,
        "X-ZEvent-Server": SERVER,
    }
    return body, headers


async def check_url(url: str, timeout_s: float) -> int | None:
    """Zalo's check of a newly configured webhook URL: an unsigned POST of ``{}``, with
    Zalo's user agent. The URL is saved only when it answers 200 (integrators' reports,
    docs/platforms/zalo.md "Webhook URL check"). The HTTP status, or None when unreachable.
    """
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "X-ZEvent-Server": SERVER}
    try:
        async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=timeout_s)) as http, \
                http.post(url, data=b"{}", headers=headers) as resp:
            await resp.read()
            return resp.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.info("zalo webhook URL check of %s failed: %r", url, exc)
        return None


class ZaloWebhookSender(WebhookSender):
    """The shared webhook sender with Zalo's fixed retry schedule and ``num_retry`` header.

    ``schedule_s`` may be changed while the sender runs; it applies from the next retry.
    """

    def __init__(self, *, schedule_s: Sequence[float], timeout_s: float = 5.0,
                 on_attempt: Any = None) -> None:
        super().__init__(max_retries=len(schedule_s), timeout_s=timeout_s,
                         on_attempt=on_attempt)
        self.schedule_s = list(schedule_s)

    async def _attempt(self, delivery: _Delivery) -> tuple[int | None, str | None]:
        delivery.headers["num_retry"] = str(delivery.attempts)
        return await super()._attempt(delivery)

    async def _deliver(self, delivery: _Delivery) -> int | None:
        while True:
            status, error = await self._attempt(delivery)
            delivery.attempts += 1
            outcome = DeliveryOutcome(delivery.key, delivery.url, delivery.attempts, status,
                                      error)
            if self.on_attempt is not None:
                self.on_attempt(outcome)
            if outcome.ok:
                return status
            retries_done = delivery.attempts - 1
            if retries_done >= len(self.schedule_s):
                log.warning("zalo webhook to %s (key %s) dropped after %d attempts: %s",
                            delivery.url, delivery.key, delivery.attempts, error or status)
                return status
            delay = self.schedule_s[retries_done]
            log.info("zalo webhook to %s failed (%s), retry %d in %.2fs", delivery.url,
                     error or status, retries_done + 1, delay)
            await asyncio.sleep(delay)
