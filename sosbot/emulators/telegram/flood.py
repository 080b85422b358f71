"""Telegram-like flood control for the emulator's message-creating methods.

Three limits, all checked before any is consumed: a token bucket per private chat (about one
message a second with a small burst), a rolling-minute window per group chat, and a
one-second window per bot overall. Over a limit the call fails with 429 and ``retry_after``
set to the whole seconds until it would pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sosbot.emulators.common.ratelimit import (
    SlidingWindowLimiter,
    TokenBucketLimiter,
    retry_after_seconds,
)

from .errors import too_many_requests

log = logging.getLogger(__name__)


class FloodControl:
    """The per-chat and per-bot limits; rebuilt with :meth:`configure`."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        private_capacity: float = 3.0,
        private_per_s: float = 1.0,
        group_per_min: int = 20,
        global_per_s: int = 30,
    ) -> None:
        self.clock = clock
        self.enabled = True
        self.configure(
            private_capacity=private_capacity,
            private_per_s=private_per_s,
            group_per_min=group_per_min,
            global_per_s=global_per_s,
        )

    def configure(
        self,
        *,
        private_capacity: float,
        private_per_s: float,
        group_per_min: int,
        global_per_s: int,
    ) -> None:
        """Replace the limits; every chat starts afresh."""
        self.private = TokenBucketLimiter(private_capacity, private_per_s, self.clock)
        self.group = SlidingWindowLimiter(group_per_min, 60.0, self.clock)
        self.overall = SlidingWindowLimiter(global_per_s, 1.0, self.clock)

    def reset(self) -> None:
        """Forget every chat's history."""
        self.private.reset()
        self.group.reset()
        self.overall.reset()

    def acquire(self, bot_id: int, chat_id: int, chat_type: str, cost: int = 1) -> None:
        """Count ``cost`` messages for the chat and the bot, or raise the 429 ApiError."""
        if not self.enabled:
            return
        chat_key = (bot_id, chat_id)
        overall_cost = min(cost, self.overall.limit)
        waits = [self.overall.check(bot_id, overall_cost)]
        if chat_type == "private":
            waits.append(self.private.check(chat_key, cost))
        else:
            waits.append(self.group.check(chat_key, min(cost, self.group.limit)))
        wait = max(waits)
        if wait > 0:
            retry = retry_after_seconds(wait)
            log.info("flood control: bot %s chat %s must wait %ss", bot_id, chat_id, retry)
            raise too_many_requests(retry)
        self.overall.consume(bot_id, overall_cost)
        if chat_type == "private":
            self.private.consume(chat_key, cost)
        else:
            self.group.consume(chat_key, min(cost, self.group.limit))
