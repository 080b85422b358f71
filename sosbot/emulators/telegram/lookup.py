"""Shared pieces of the emulator's control API: body reading, lookups, delivery waiting."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from typing import Any

from aiohttp import web

from sosbot.emulators.common.request_body import BodyError, Params, read_json_object

from .errors import ControlError
from .state import STATE_KEY, BotState, Chat, Emitted, EmulatorState, User

log = logging.getLogger(__name__)


def state_of(request: web.Request) -> EmulatorState:
    """The emulator state of the application serving ``request``."""
    return request.app[STATE_KEY]


async def json_params(request: web.Request) -> Params:
    """The JSON object body of a control request, with typed accessors."""
    try:
        return Params(values=await read_json_object(request))
    except BodyError as exc:
        raise ControlError(str(exc)) from None


def bot_of(state: EmulatorState, params: Params) -> BotState:
    """The bot named by the ``token`` field."""
    token = params.get_str("token", required=True)
    bot = state.bots.get(token or "")
    if bot is None:
        raise ControlError(f"unknown bot token {token!r}")
    return bot


def user_of(state: EmulatorState, user_id: int | None, what: str = "user") -> User:
    """A registered user."""
    if user_id is None:
        raise ControlError(f"{what} is required")
    user = state.users.get(user_id)
    if user is None:
        raise ControlError(f"unknown {what} {user_id}")
    return user


def chat_of(state: EmulatorState, chat_id: int | None) -> Chat:
    """A known chat."""
    if chat_id is None:
        raise ControlError("chat_id is required")
    chat = state.chats.get(chat_id)
    if chat is None:
        raise ControlError(f"unknown chat {chat_id}")
    return chat


def path_int(request: web.Request, name: str) -> int:
    """An integer path segment."""
    try:
        return int(request.match_info[name])
    except ValueError:
        raise ControlError(f"{name} must be an integer") from None


def user_chat(state: EmulatorState, bot: BotState, user: User, chat_id: int | None) -> Chat:
    """The chat ``user`` acts in (their private chat by default), checked for sense."""
    chat = chat_of(state, user.id if chat_id is None else chat_id)
    if chat.migrated_to is not None:
        raise ControlError(f"chat {chat.id} was migrated to {chat.migrated_to}")
    if chat.type == "private":
        if chat.id != user.id:
            raise ControlError("a user can only write in their own private chat")
        return chat
    if user.id not in chat.members:
        raise ControlError(f"user {user.id} is not a member of chat {chat.id}")
    if chat.bot_status.get(bot.id) not in ("member", "administrator", "creator"):
        raise ControlError(f"bot @{bot.username} is not a member of chat {chat.id}")
    return chat


def decode_b64(value: Any, what: str) -> bytes:
    """Bytes from a base64 field."""
    if not isinstance(value, str) or not value:
        raise ControlError(f"{what}.data_b64 must be a non-empty base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(f"{what}.data_b64 is not valid base64") from None


def object_field(params: Params, name: str) -> dict[str, Any]:
    """A field that must hold a JSON object."""
    value = params.raw(name)
    if not isinstance(value, dict):
        raise ControlError(f"{name} must be an object")
    return value


def now() -> int:
    """Telegram's date: whole unix seconds."""
    return int(time.time())


async def finish(emitted: list[Emitted], wait: bool) -> dict[str, Any]:
    """``update_ids`` and ``deliveries`` (final HTTP status per update, or null)."""
    deliveries: list[int | None] = [None] * len(emitted)
    if wait:
        futures = [e.delivery for e in emitted if e.delivery is not None]
        if futures:
            await asyncio.gather(*futures, return_exceptions=True)
    for index, item in enumerate(emitted):
        fut = item.delivery
        if fut is not None and fut.done() and not fut.cancelled() and fut.exception() is None:
            deliveries[index] = fut.result()
    return {"update_ids": [e.update_id for e in emitted], "deliveries": deliveries}
