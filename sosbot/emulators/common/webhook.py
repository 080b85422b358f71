"""Webhook sender: POSTs payloads to URLs with retries and a doubling delay.

Deliveries that share a key (a chat id) go out one at a time in submission order; deliveries
of different keys run concurrently, at most ``max_concurrency`` HTTP requests at once. A
delivery that gets a non-2xx answer or a connection error is retried after ``base_delay_s``,
then twice that, and so on, ``max_retries`` times, and then dropped with a log line. Every
``submit`` returns a future that resolves to the final HTTP status (the 2xx one, or the last
failing one) or ``None`` when the last attempt could not connect at all.

``base_delay_s``, ``max_retries``, ``max_concurrency`` and ``timeout_s`` are plain attributes
and may be changed while the sender runs; the change applies from the next attempt.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

log = logging.getLogger(__name__)


@dataclass
class DeliveryOutcome:
    """One finished attempt, as reported to ``on_attempt``."""

    key: str
    url: str
    attempt: int
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.status is not None and 200 <= self.status < 300


@dataclass
class _Delivery:
    key: str
    url: str
    body: bytes
    headers: dict[str, str]
    future: asyncio.Future[int | None]
    attempts: int = field(default=0)


class WebhookSender:
    """Delivers payloads per key in order, concurrently across keys, with retries."""

    def __init__(
        self,
        *,
        max_concurrency: int = 40,
        base_delay_s: float = 1.0,
        max_retries: int = 8,
        timeout_s: float = 10.0,
        on_attempt: Callable[[DeliveryOutcome], None] | None = None,
    ) -> None:
        self.max_concurrency = max_concurrency
        self.base_delay_s = base_delay_s
        self.max_retries = max_retries
        self.timeout_s = timeout_s
        self.on_attempt = on_attempt
        self._queues: dict[str, deque[_Delivery]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._active = 0
        self._slots: asyncio.Condition | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    @property
    def pending(self) -> int:
        """Deliveries submitted and not finished yet."""
        return sum(len(q) for q in self._queues.values())

    def submit_json(
        self, key: str, url: str, payload: Any, headers: Mapping[str, str] | None = None
    ) -> asyncio.Future[int | None]:
        """Queue ``payload`` serialised as JSON with ``Content-Type: application/json``."""
        all_headers = {"Content-Type": "application/json"}
        all_headers.update(headers or {})
        body = json.dumps(payload, ensure_ascii=False).encode()
        return self.submit(key, url, body, all_headers)

    def submit(
        self, key: str, url: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> asyncio.Future[int | None]:
        """Queue a POST of ``body`` to ``url`` behind the earlier deliveries of ``key``."""
        if self._closed:
            raise RuntimeError("webhook sender is closed")
        loop = asyncio.get_running_loop()
        delivery = _Delivery(key, url, body, dict(headers or {}), loop.create_future())
        self._queues.setdefault(key, deque()).append(delivery)
        if key not in self._workers:
            self._workers[key] = loop.create_task(self._work(key), name=f"webhook:{key}")
        return delivery.future

    async def close(self) -> None:
        """Stop every worker; unfinished deliveries resolve to ``None``."""
        self._closed = True
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for queue in self._queues.values():
            for delivery in queue:
                if not delivery.future.done():
                    delivery.future.set_result(None)
        self._queues.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _work(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                delivery = queue[0]
                status = await self._deliver(delivery)
                queue.popleft()
                if not delivery.future.done():
                    delivery.future.set_result(status)
        finally:
            self._workers.pop(key, None)
            if not queue:
                self._queues.pop(key, None)

    async def _deliver(self, delivery: _Delivery) -> int | None:
        while True:
            status, error = await self._attempt(delivery)
            delivery.attempts += 1
            outcome = DeliveryOutcome(delivery.key, delivery.url, delivery.attempts, status, error)
            if self.on_attempt is not None:
                self.on_attempt(outcome)
            if outcome.ok:
                return status
            retries_done = delivery.attempts - 1
            if retries_done >= self.max_retries:
                log.warning(
                    "webhook delivery to %s (key %s) dropped after %d attempts: %s",
                    delivery.url,
                    delivery.key,
                    delivery.attempts,
                    error or status,
                )
                return status
            delay = self.base_delay_s * (2**retries_done)
            log.info(
                "webhook delivery to %s failed (%s), retry %d in %.2fs",
                delivery.url,
                error or status,
                retries_done + 1,
                delay,
            )
            await asyncio.sleep(delay)

    async def _attempt(self, delivery: _Delivery) -> tuple[int | None, str | None]:
        await self._acquire()
        try:
            session = self._get_session()
            timeout = aiohttp.ClientTimeout(total=self.timeout_s)
            async with session.post(
                delivery.url, data=delivery.body, headers=delivery.headers, timeout=timeout
            ) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    return resp.status, None
                return resp.status, f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return None, f"Connection failed: {exc.__class__.__name__}: {exc}"
        finally:
            await self._release()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def _condition(self) -> asyncio.Condition:
        if self._slots is None:
            self._slots = asyncio.Condition()
        return self._slots

    async def _acquire(self) -> None:
        cond = self._condition()
        async with cond:
            await cond.wait_for(lambda: self._active < max(1, self.max_concurrency))
            self._active += 1

    async def _release(self) -> None:
        cond = self._condition()
        async with cond:
            self._active -= 1
            cond.notify_all()
