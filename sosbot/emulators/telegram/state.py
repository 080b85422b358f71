"""In-memory world of the Telegram emulator: bots, users, chats, messages, files, updates.

Private chats keep one message sequence per bot (a user's chat with bot A is not their chat
with bot B); groups keep one sequence shared by every bot in them. Updates go to a bot's
webhook when one is set, otherwise into its getUpdates queue.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sosbot.emulators.common.request_body import Params
from sosbot.emulators.common.webhook import DeliveryOutcome, WebhookSender

from .flood import FloodControl
from .media import FileStore

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_FIRST_USER_ID = 700_000_001
_GROUP_BASE = 4_000_000_000
_SUPERGROUP_BASE = 1_000_000_000_000


@dataclass
class BotSpec:
    """A bot to register: its token, and optionally its @username and display name."""

    token: str
    username: str | None = None
    first_name: str | None = None
    privacy: bool = True  # group privacy mode, on by default as on Telegram


@dataclass
class EmulatorConfig:
    """Emulator behaviour; every field but ``clock`` can also be changed via /_emu/config."""

    limits: bool = True
    private_capacity: float = 3.0
    private_per_s: float = 1.0
    group_per_min: int = 20
    global_per_s: int = 30
    retry_base_s: float = 1.0
    max_retries: int = 8
    webhook_timeout_s: float = 10.0
    max_download_bytes: int = 20 * 1024 * 1024
    max_upload_bytes: int = 50 * 1024 * 1024
    # The network between a bot and the Bot API: every call is answered this much later
    # (0: loopback). From Vietnam to Telegram's Bot API a round trip takes a good part of
    # a second's fifth; a sender that waits for each answer in turn is bound by it.
    answer_delay_s: float = 0.0
    clock: Callable[[], float] = time.monotonic


@dataclass
class User:
    """A human Telegram user."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    blocked_bots: set[int] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        """The ``User`` object."""
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass
class Conversation:
    """One message-id sequence and its messages."""

    next_id: int = 1
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Chat:
    """A private chat (id == user id), group or supergroup."""

    id: int
    type: str
    title: str | None = None
    user: User | None = None
    members: list[int] = field(default_factory=list)
    bot_status: dict[int, str] = field(default_factory=dict)
    migrated_to: int | None = None
    conversations: dict[int, Conversation] = field(default_factory=dict)
    timeline: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    keyboards: dict[int, dict[str, Any]] = field(default_factory=dict)
    last_bot_id: int | None = None  # the last bot to send a message here (privacy mode)

    def to_dict(self) -> dict[str, Any]:
        """The ``Chat`` object."""
        if self.user is not None:
            out = self.user.to_dict()
            out.pop("is_bot", None)
            out.pop("language_code", None)
            out["type"] = "private"
            return out
        return {"id": self.id, "title": self.title or "", "type": self.type}

    def conversation_key(self, bot_id: int) -> int:
        """Private chats keep a sequence per bot, groups one for all (key 0)."""
        return bot_id if self.type == "private" else 0

    def conversation(self, bot_id: int) -> Conversation:
        """The message sequence a bot sees in this chat."""
        return self.conversations.setdefault(self.conversation_key(bot_id), Conversation())

    def messages_for(self, bot_id: int | None) -> list[dict[str, Any]]:
        """Messages in order; for a private chat only those of ``bot_id`` when given."""
        if bot_id is None:
            return [message for _, message in self.timeline]
        key = self.conversation_key(bot_id)
        return [message for conv_key, message in self.timeline if conv_key == key]

    def add_message(self, bot_id: int, build: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
        """Allocate the next message_id, build the message with it and store it."""
        conv = self.conversation(bot_id)
        message = build(conv.next_id)
        conv.messages[conv.next_id] = message
        conv.next_id += 1
        self.timeline.append((self.conversation_key(bot_id), message))
        return message


@dataclass
class Webhook:
    """A bot's webhook settings and its last delivery error."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class CallbackRecord:
    """A callback query sent to a bot, until it is answered."""

    id: str
    bot_id: int
    user_id: int
    answered: bool = False


@dataclass
class BotState:
    """A bot and its update stream."""

    id: int
    token: str
    username: str
    first_name: str
    next_update_id: int = 1
    queue: list[dict[str, Any]] = field(default_factory=list)
    webhook: Webhook | None = None
    allowed_updates: list[str] | None = None
    sender: WebhookSender | None = None
    callbacks: dict[str, CallbackRecord] = field(default_factory=dict)
    poll_generation: int = 0
    privacy: bool = True
    _wakeup: asyncio.Event | None = None

    def user_dict(self) -> dict[str, Any]:
        """The bot's ``User`` object as it appears in messages."""
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    @property
    def wakeup(self) -> asyncio.Event:
        """Set whenever the getUpdates queue changes or a poller is superseded."""
        if self._wakeup is None:
            self._wakeup = asyncio.Event()
        return self._wakeup

    def wants(self, kind: str) -> bool:
        """Whether ``allowed_updates`` lets updates of ``kind`` through."""
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in DEFAULT_EXCLUDED_UPDATES


@dataclass
class ApiCall:
    """One Bot API request being served."""

    state: EmulatorState
    bot: BotState
    params: Params


@dataclass
class Emitted:
    """An update handed to a bot: its id and, for webhook bots, the delivery future."""

    update_id: int
    delivery: asyncio.Future[int | None] | None


def bot_id_from_token(token: str) -> int | None:
    """The numeric bot id that prefixes a real-looking token (``123:ABC``), if any."""
    head, sep, _ = token.partition(":")
    if sep and head.isdigit():
        return int(head)
    return None


class EmulatorState:
    """Everything the emulator remembers; one per application."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.bots: dict[str, BotState] = {}
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.files = FileStore()
        self.calls: list[dict[str, Any]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.flood = FloodControl(
            clock=config.clock,
            private_capacity=config.private_capacity,
            private_per_s=config.private_per_s,
            group_per_min=config.group_per_min,
            global_per_s=config.global_per_s,
        )
        self.flood.enabled = config.limits
        self._next_user_id = _FIRST_USER_ID
        self._next_group = 1
        self._next_bot_id = 900_000_001

    # -- registration -------------------------------------------------------------------

    def add_bot(self, spec: BotSpec) -> BotState:
        """Register a bot (or return the one with that token)."""
        existing = self.bots.get(spec.token)
        if existing is not None:
            return existing
        bot_id = bot_id_from_token(spec.token)
        if bot_id is None or any(b.id == bot_id for b in self.bots.values()):
            bot_id = self._next_bot_id
            self._next_bot_id += 1
        username = spec.username or f"emu{bot_id}_bot"
        bot = BotState(bot_id, spec.token, username, spec.first_name or username,
                       privacy=spec.privacy)
        self.bots[spec.token] = bot
        log.info("bot @%s registered (id %s)", username, bot_id)
        return bot

    def add_user(self, user: User) -> User:
        """Register a user and create their private chat."""
        self.users[user.id] = user
        self.chats[user.id] = Chat(id=user.id, type="private", user=user)
        return user

    def new_user_id(self) -> int:
        """A user id not taken yet."""
        while self._next_user_id in self.users or self._next_user_id in self.chats:
            self._next_user_id += 1
        return self._next_user_id

    def new_group_id(self, kind: str) -> int:
        """A fresh negative id: ``-4…`` for groups, ``-100…`` for supergroups."""
        while True:
            n = self._next_group
            self._next_group += 1
            chat_id = -(_SUPERGROUP_BASE + n) if kind == "supergroup" else -(_GROUP_BASE + n)
            if chat_id not in self.chats:
                return chat_id

    def reset(self) -> None:
        """Forget chats, messages, users, files and logs; keep bots and their webhooks."""
        self.users.clear()
        self.chats.clear()
        self.files.clear()
        self.calls.clear()
        self.callback_answers.clear()
        self.flood.reset()
        for bot in self.bots.values():
            bot.queue.clear()
            bot.callbacks.clear()
            bot.wakeup.set()

    def apply_config(self) -> None:
        """Push ``self.config`` into the flood limits and the webhook senders."""
        cfg = self.config
        self.flood.configure(
            private_capacity=cfg.private_capacity,
            private_per_s=cfg.private_per_s,
            group_per_min=cfg.group_per_min,
            global_per_s=cfg.global_per_s,
        )
        self.flood.enabled = cfg.limits
        for bot in self.bots.values():
            if bot.sender is not None:
                bot.sender.base_delay_s = cfg.retry_base_s
                bot.sender.max_retries = cfg.max_retries
                bot.sender.timeout_s = cfg.webhook_timeout_s

    # -- updates ------------------------------------------------------------------------

    def emit(self, bot: BotState, kind: str, obj: dict[str, Any], chat_id: int) -> Emitted:
        """Give ``bot`` a new update ``{kind: obj}``: to its webhook or its queue."""
        update_id = bot.next_update_id
        bot.next_update_id += 1
        if not bot.wants(kind):
            log.debug("update %s (%s) filtered out by allowed_updates", update_id, kind)
            return Emitted(update_id, None)
        update = {"update_id": update_id, kind: copy.deepcopy(obj)}
        if bot.webhook is not None:
            return Emitted(update_id, self._submit(bot, update, chat_id))
        bot.queue.append(update)
        bot.wakeup.set()
        return Emitted(update_id, None)

    def _submit(
        self, bot: BotState, update: dict[str, Any], chat_id: int
    ) -> asyncio.Future[int | None]:
        assert bot.webhook is not None
        headers = {}
        if bot.webhook.secret_token:
            headers[SECRET_HEADER] = bot.webhook.secret_token
        return self.sender_for(bot).submit_json(str(chat_id), bot.webhook.url, update, headers)

    def sender_for(self, bot: BotState) -> WebhookSender:
        """The bot's webhook sender, created on first use."""
        if bot.sender is None:

            def record(outcome: DeliveryOutcome) -> None:
                if not outcome.ok and bot.webhook is not None:
                    bot.webhook.last_error_date = int(time.time())
                    bot.webhook.last_error_message = outcome.error

            bot.sender = WebhookSender(
                max_concurrency=bot.webhook.max_connections if bot.webhook else 40,
                base_delay_s=self.config.retry_base_s,
                max_retries=self.config.max_retries,
                timeout_s=self.config.webhook_timeout_s,
                on_attempt=record,
            )
        return bot.sender

    def flush_queue_to_webhook(self, bot: BotState) -> None:
        """Send the updates waiting for getUpdates to the newly set webhook."""
        pending, bot.queue = bot.queue, []
        for update in pending:
            self._submit(bot, update, update_chat_id(update))

    async def close(self) -> None:
        """Stop every webhook sender."""
        for bot in self.bots.values():
            if bot.sender is not None:
                await bot.sender.close()
                bot.sender = None
            bot.wakeup.set()

    def new_callback_id(self) -> str:
        """A fresh callback query id (a decimal string, like Telegram's)."""
        return str(secrets.randbits(63))


def update_chat_id(update: dict[str, Any]) -> int:
    """The chat an update belongs to (0 when it has none), for in-order delivery."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat")
        if chat is None and isinstance(value.get("message"), dict):
            chat = value["message"].get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
        sender = value.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return int(sender["id"])
    return 0


STATE_KEY = web.AppKey("telegram_emulator_state", EmulatorState)
