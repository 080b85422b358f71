"""What a job needs to run, installed once per worker process by ``sosbot worker``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from redis import Redis
from sqlalchemy.engine import Engine

from sosbot.config import QueueConfig
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.delivery.channels import Outbound
from sosbot.delivery.extensions import DeliveryExtensions
from sosbot.delivery.queueing import Dispatcher
from sosbot.delivery.send_rate import SendRateLimiter
from sosbot.geo.nominatim import PlaceFinder
from sosbot.location_page import LocationTokens
from sosbot.residents.actions import IntakePolicy
from sosbot.routing.rules import RoutingRules
from sosbot.storage.media_store import MediaStore

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """The queue's limits (config.yaml ``queue``; the defaults are config.py's, once)."""

    max_send_attempts: int = QueueConfig().max_send_attempts
    media_attempts: int = QueueConfig().media_attempts
    # Attempts that ended in an exception while the row was prepared or sent: such a
    # failure repeats (the same bytes, the same code), and the chat's rows wait behind it.
    max_error_attempts: int = QueueConfig().max_error_attempts
    outbox_stale_after_s: float = QueueConfig().outbox_stale_after_s
    # A chat's lock lapses this long after its holder died (renewed every third of it
    # while the holder lives); chat_holds then queues the chat again.
    chat_lock_s: float = QueueConfig().chat_lock_s


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
    rules: RoutingRules
    extensions: DeliveryExtensions  # what the producers above delivery registered
    location_tokens: LocationTokens | None = None
    public_url: str = ""
    places: PlaceFinder | None = None  # typed places → candidate wards (issue 20)

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
