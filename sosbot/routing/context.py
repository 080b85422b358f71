"""What a job needs to run, installed once per worker process by ``sosbot worker``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from redis import Redis
from sqlalchemy.engine import Engine

from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.location_page import LocationTokens
from sosbot.routing.channels import Outbound
from sosbot.routing.queueing import Dispatcher
from sosbot.routing.resident import IntakePolicy
from sosbot.routing.rules import RoutingRules
from sosbot.routing.send_rate import SendRateLimiter
from sosbot.storage.media_store import MediaStore

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    max_send_attempts: int = 12
    media_attempts: int = 5
    # Attempts that ended in an exception while the row was prepared or sent: such a
    # failure repeats (the same bytes, the same code), and the chat's rows wait behind it.
    max_error_attempts: int = 3
    outbox_stale_after_s: float = 60.0


@dataclass
class DigestSchedule:
    every_minutes: int = 60
    daily_at: str | None = "07:00"
    started: bool = False  # the first sweep only claims the slots under way


@dataclass(frozen=True)
class JobContext:
    """One per worker process: the database, Redis, the platform clients and the clock."""

    engine: Engine
    redis: Redis
    dispatcher: Dispatcher
    outbound: Mapping[str, Outbound]
    media_store: MediaStore
    conversation: ConversationSettings
    limits: Limits
    run: Callable[[Awaitable[Any]], Any]  # runs a coroutine on the worker's event loop
    clock: Callable[[], datetime]
    limiter: SendRateLimiter
    sleep: Callable[[float], None]
    rules: RoutingRules | None = None
    location_tokens: LocationTokens | None = None
    public_url: str = ""
    digest: DigestSchedule | None = None

    @property
    def policy(self) -> IntakePolicy:
        return IntakePolicy(conversation=self.conversation, rules=self.rules)


_installed: JobContext | None = None


def install(context: JobContext | None) -> None:
    global _installed
    _installed = context


def current() -> JobContext:
    if _installed is None:
        raise RuntimeError("no job context: run jobs with `sosbot worker`")
    return _installed
