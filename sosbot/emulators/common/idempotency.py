"""The ``Idempotency-Key`` request header, as the emulators honour it.

A client that cannot tell whether its last call went through (the worker died between the
call and recording its answer, or the answer was lost) repeats the call with the same key;
the emulator then answers with what it answered the first time instead of acting twice.
This is the convention of the IETF draft "The Idempotency-Key HTTP Header Field" (and of
Stripe and others). Telegram, Zalo and Messenger do not offer it: against them a repeated
call may act twice, which is why sosbot records each attempt before making it (see
``sosbot.delivery.sending``).

Only successful answers are remembered: a call that failed did nothing, and may be tried
again for real. ``replays`` counts the calls that a platform without the header would have
carried out twice.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from aiohttp import web

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyCache:
    """Successful answers by (scope, key), the oldest forgotten past ``capacity``."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._answers: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self.replays = 0

    @staticmethod
    def key_of(request: web.Request) -> str | None:
        key = request.headers.get(HEADER)
        if not key or len(key) > MAX_KEY_LENGTH:
            return None
        return key

    def replay(self, scope: str, key: str | None) -> Any | None:
        """The answer remembered for ``key``, or None when there is none."""
        if key is None:
            return None
        answer = self._answers.get((scope, key))
        if answer is not None:
            self.replays += 1
        return answer

    def __len__(self) -> int:
        return len(self._answers)

    def remember(self, scope: str, key: str | None, answer: Any) -> None:
        if key is None:
            return
        self._answers[(scope, key)] = answer
        while len(self._answers) > self.capacity:
            self._answers.popitem(last=False)


IDEMPOTENCY_KEY = web.AppKey("idempotency", IdempotencyCache)


def install(app: web.Application) -> IdempotencyCache:
    """Give an emulator app its cache of answers by ``Idempotency-Key``."""
    cache = IdempotencyCache()
    app[IDEMPOTENCY_KEY] = cache
    app.router.add_get("/_emu/idempotency", _show)
    return cache


async def _show(request: web.Request) -> web.Response:
    """``GET /_emu/idempotency``: calls answered from memory, and keys remembered."""
    cache = request.app[IDEMPOTENCY_KEY]
    return web.json_response({"replays": cache.replays, "keys": len(cache)})
