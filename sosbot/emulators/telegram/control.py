"""The emulator's control API under ``/_emu/``: set up the world and inspect what happened.

JSON in, JSON out; malformed requests get 400 ``{"error": ...}``.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from aiohttp import web

from . import user as users
from .errors import ControlError
from .lookup import (
    bot_of,
    chat_of,
    finish,
    json_params,
    now,
    path_int,
    state_of,
    user_of,
)
from .state import BotSpec, Chat, Emitted, User

log = logging.getLogger(__name__)

__all__ = ["add_control_routes"]

ANONYMOUS_ADMIN = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
_CONFIG_TYPES: dict[str, tuple[type, float]] = {
    "retry_base_s": (float, 0.0),
    "max_retries": (int, 0),
    "private_capacity": (float, 0.001),
    "private_per_s": (float, 0.001),
    "group_per_min": (int, 1),
    "global_per_s": (int, 1),
    "webhook_timeout_s": (float, 0.001),
    "max_download_bytes": (int, 0),
    "answer_delay_s": (float, 0.0),
}


def _optional_str(params: Any, name: str) -> str | None:
    value = params.raw(name)
    if value is not None and not isinstance(value, str):
        raise ControlError(f"{name} must be a string")
    return value or None


async def create_bot(request: web.Request) -> web.Response:
    """``POST /_emu/bots`` {token, username?, first_name?, privacy?} → {id}."""
    state = state_of(request)
    params = await json_params(request)
    token = params.raw("token")
    if not isinstance(token, str) or not token or "/" in token:
        raise ControlError("token must be a non-empty string without '/'")
    privacy = params.raw("privacy")
    if privacy is not None and not isinstance(privacy, bool):
        raise ControlError("privacy must be a boolean")
    spec = BotSpec(token, _optional_str(params, "username"), _optional_str(params, "first_name"),
                   privacy=True if privacy is None else privacy)
    bot = state.add_bot(spec)
    return web.json_response({"id": bot.id, "username": bot.username})


async def set_privacy(request: web.Request) -> web.Response:
    """``POST /_emu/privacy`` {token, enabled}: BotFather's /setprivacy (Enable / Disable)."""
    state = state_of(request)
    params = await json_params(request)
    bot = bot_of(state, params)
    enabled = params.raw("enabled")
    if not isinstance(enabled, bool):
        raise ControlError("enabled must be a boolean")
    bot.privacy = enabled
    return web.json_response({"privacy": bot.privacy})


async def promote_bot(request: web.Request) -> web.Response:
    """``POST /_emu/groups/{chat_id}/promote_bot`` {token, by}: the bot becomes an
    administrator (and so reads every message, privacy mode or not)."""
    state = state_of(request)
    chat = _group(request)
    params = await json_params(request)
    bot = bot_of(state, params)
    actor = user_of(state, params.get_int("by"), "by")
    old = chat.bot_status.get(bot.id, "left")
    if old != "member":
        raise ControlError(f"bot @{bot.username} is not a plain member of chat {chat.id}")
    chat.bot_status[bot.id] = "administrator"
    update = users.member_update(chat, actor, bot, old, "administrator")
    emitted = [state.emit(bot, "my_chat_member", update, chat.id)]
    return web.json_response(await finish(emitted, params.get_bool("wait", True)))


async def list_bots(request: web.Request) -> web.Response:
    """``GET /_emu/bots``: the registered bots."""
    bots = [
        {
            "id": b.id,
            "token": b.token,
            "username": b.username,
            "webhook": b.webhook.url if b.webhook else None,
        }
        for b in state_of(request).bots.values()
    ]
    return web.json_response({"bots": bots})


async def create_user(request: web.Request) -> web.Response:
    """``POST /_emu/users`` → {id}; the user's private chat has the same id."""
    state = state_of(request)
    params = await json_params(request)
    first_name = params.raw("first_name")
    if not isinstance(first_name, str) or not first_name.strip():
        raise ControlError("first_name must be a non-empty string")
    user_id = params.get_int("id")
    if user_id is None:
        user_id = state.new_user_id()
    elif user_id <= 0 or user_id in state.chats or user_id in state.users:
        raise ControlError(f"user id {user_id} is invalid or taken")
    user = User(
        id=user_id,
        first_name=first_name,
        last_name=_optional_str(params, "last_name"),
        username=_optional_str(params, "username"),
        language_code=_optional_str(params, "language_code"),
    )
    state.add_user(user)
    return web.json_response({"id": user.id})


async def create_group(request: web.Request) -> web.Response:
    """``POST /_emu/groups`` {title, type, members} → {id} (negative; supergroups -100…)."""
    state = state_of(request)
    params = await json_params(request)
    title = params.raw("title")
    if not isinstance(title, str) or not title.strip():
        raise ControlError("title must be a non-empty string")
    kind = params.raw("type") or "group"
    if kind not in ("group", "supergroup"):
        raise ControlError("type must be group or supergroup")
    members = params.raw("members") or []
    if not isinstance(members, list):
        raise ControlError("members must be a list of user ids")
    member_ids = []
    for raw in members:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ControlError("members must be a list of user ids")
        member_ids.append(user_of(state, raw, "member").id)
    chat = Chat(id=state.new_group_id(kind), type=kind, title=title, members=member_ids)
    state.chats[chat.id] = chat
    return web.json_response({"id": chat.id})


def _group(request: web.Request) -> Chat:
    chat = chat_of(state_of(request), path_int(request, "chat_id"))
    if chat.type == "private":
        raise ControlError(f"chat {chat.id} is not a group")
    return chat


async def add_bot(request: web.Request) -> web.Response:
    """``POST /_emu/groups/{chat_id}/add_bot`` {token, by}: my_chat_member + service message."""
    state = state_of(request)
    chat = _group(request)
    params = await json_params(request)
    bot = bot_of(state, params)
    actor = user_of(state, params.get_int("by"), "by")
    if chat.migrated_to is not None:
        raise ControlError(f"chat {chat.id} was migrated to {chat.migrated_to}")
    old = chat.bot_status.get(bot.id, "left")
    if old in ("member", "administrator"):
        raise ControlError(f"bot @{bot.username} is already in chat {chat.id}")
    if actor.id not in chat.members:
        chat.members.append(actor.id)
    chat.bot_status[bot.id] = "member"
    emitted = [
        state.emit(
            bot, "my_chat_member", users.member_update(chat, actor, bot, old, "member"), chat.id
        )
    ]

    def build(message_id: int) -> dict[str, Any]:
        return {
            "message_id": message_id,
            "from": actor.to_dict(),
            "chat": chat.to_dict(),
            "date": now(),
            "new_chat_members": [bot.user_dict()],
        }

    message = chat.add_message(bot.id, build)
    emitted.append(state.emit(bot, "message", message, chat.id))
    return web.json_response(await finish(emitted, params.get_bool("wait", True)))


async def remove_bot(request: web.Request) -> web.Response:
    """``POST /_emu/groups/{chat_id}/remove_bot`` {token, by}: the bot is kicked."""
    state = state_of(request)
    chat = _group(request)
    params = await json_params(request)
    bot = bot_of(state, params)
    actor = user_of(state, params.get_int("by"), "by")
    old = chat.bot_status.get(bot.id, "left")
    if old not in ("member", "administrator"):
        raise ControlError(f"bot @{bot.username} is not in chat {chat.id}")
    chat.bot_status[bot.id] = "kicked"
    update = users.member_update(chat, actor, bot, old, "kicked")
    emitted = [state.emit(bot, "my_chat_member", update, chat.id)]
    return web.json_response(await finish(emitted, params.get_bool("wait", True)))


async def migrate_group(request: web.Request) -> web.Response:
    """``POST /_emu/groups/{chat_id}/migrate`` {token}: the group becomes a supergroup."""
    state = state_of(request)
    old = _group(request)
    params = await json_params(request)
    bot = bot_of(state, params)
    if old.type != "group" or old.migrated_to is not None:
        raise ControlError(f"chat {old.id} is not a basic group that can be migrated")
    new = Chat(
        id=state.new_group_id("supergroup"),
        type="supergroup",
        title=old.title,
        members=list(old.members),
        bot_status=dict(old.bot_status),
    )
    state.chats[new.id] = new
    old.migrated_to = new.id
    by = params.get_int("by")
    actor: dict[str, Any] = (
        user_of(state, by, "by").to_dict()
        if by is not None
        else state.users[old.members[0]].to_dict()
        if old.members and old.members[0] in state.users
        else dict(ANONYMOUS_ADMIN)
    )
    old_msg = old.add_message(
        bot.id,
        lambda mid: {
            "message_id": mid,
            "from": actor,
            "chat": old.to_dict(),
            "date": now(),
            "migrate_to_chat_id": new.id,
        },
    )
    new_msg = new.add_message(
        bot.id,
        lambda mid: {
            "message_id": mid,
            "from": dict(ANONYMOUS_ADMIN),
            "sender_chat": new.to_dict(),
            "chat": new.to_dict(),
            "date": now(),
            "migrate_from_chat_id": old.id,
        },
    )
    emitted: list[Emitted] = []
    if old.bot_status.get(bot.id) in ("member", "administrator"):
        emitted.append(state.emit(bot, "message", old_msg, old.id))
        emitted.append(state.emit(bot, "message", new_msg, new.id))
    result = await finish(emitted, params.get_bool("wait", True))
    result["new_id"] = new.id
    return web.json_response(result)


async def _set_block(request: web.Request, blocked: bool) -> web.Response:
    state = state_of(request)
    user = user_of(state, path_int(request, "user_id"))
    params = await json_params(request)
    bot = bot_of(state, params)
    chat = chat_of(state, user.id)
    emitted = []
    if blocked != (bot.id in user.blocked_bots):
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        if blocked:
            user.blocked_bots.add(bot.id)
        else:
            user.blocked_bots.discard(bot.id)
        update = users.member_update(chat, user, bot, old, new)
        emitted.append(state.emit(bot, "my_chat_member", update, chat.id))
    return web.json_response(await finish(emitted, params.get_bool("wait", True)))


async def block_user(request: web.Request) -> web.Response:
    """``POST /_emu/users/{user_id}/block`` {token}: sends to that user now answer 403."""
    return await _set_block(request, True)


async def unblock_user(request: web.Request) -> web.Response:
    """``POST /_emu/users/{user_id}/unblock`` {token}: undo a block."""
    return await _set_block(request, False)


async def chat_messages(request: web.Request) -> web.Response:
    """``GET /_emu/chats/{chat_id}/messages[?token=]``: user and bot messages in order.

    Also gives ``reply_keyboard``: the reply keyboard (ReplyKeyboardMarkup) the bot last
    showed in this chat and did not remove, or null. Telegram does not echo such keyboards
    in the sent Message, so this is where a test finds them.
    """
    state = state_of(request)
    chat = chat_of(state, path_int(request, "chat_id"))
    bot_id = None
    if "token" in request.query:
        bot = state.bots.get(request.query["token"])
        if bot is None:
            raise ControlError("unknown bot token")
        bot_id = bot.id
    if bot_id is not None:
        keyboard = chat.keyboards.get(bot_id)
    else:
        keyboard = next(iter(chat.keyboards.values()), None)
    return web.json_response({"messages": chat.messages_for(bot_id), "reply_keyboard": keyboard})


async def callback_answers(request: web.Request) -> web.Response:
    """``GET /_emu/callback_answers``: every answerCallbackQuery, oldest first."""
    return web.json_response(state_of(request).callback_answers)


async def calls(request: web.Request) -> web.Response:
    """``GET /_emu/calls``: the Bot API call log."""
    return web.json_response(state_of(request).calls)


async def file_bytes(request: web.Request) -> web.Response:
    """``GET /_emu/files/{file_id}``: the raw bytes of a stored file."""
    stored = state_of(request).files.by_id.get(request.match_info["file_id"])
    if stored is None:
        raise ControlError("unknown file_id", status=404)
    return web.Response(
        body=stored.data, content_type=stored.mime_type or "application/octet-stream"
    )


def _config_dict(request: web.Request) -> dict[str, Any]:
    cfg = state_of(request).config
    return {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg) if f.name != "clock"}


async def get_config(request: web.Request) -> web.Response:
    """``GET /_emu/config``: the current settings."""
    return web.json_response(_config_dict(request))


async def set_config(request: web.Request) -> web.Response:
    """``POST /_emu/config``: partial update of limits, retry policy and download limit."""
    state = state_of(request)
    params = await json_params(request)
    unknown = set(params.values) - set(_CONFIG_TYPES) - {"limits"}
    if unknown:
        raise ControlError(f"unknown config fields: {', '.join(sorted(unknown))}")
    changes: dict[str, Any] = {}
    if params.raw("limits") is not None:
        if not isinstance(params.raw("limits"), bool):
            raise ControlError("limits must be a boolean")
        changes["limits"] = params.raw("limits")
    for name, (kind, minimum) in _CONFIG_TYPES.items():
        if params.raw(name) is None:
            continue
        value = params.get_int(name) if kind is int else params.get_float(name)
        if value is None or value < minimum:
            raise ControlError(f"{name} must be a number >= {minimum}")
        changes[name] = value
    for name, value in changes.items():
        setattr(state.config, name, value)
    state.apply_config()
    return web.json_response(_config_dict(request))


async def reset(request: web.Request) -> web.Response:
    """``POST /_emu/reset``: forget chats, messages, users, files and logs; keep bots."""
    state_of(request).reset()
    return web.json_response({"ok": True})


def add_control_routes(app: web.Application) -> None:
    """Mount every ``/_emu/`` route on ``app``."""
    r = app.router
    r.add_post("/_emu/bots", create_bot)
    r.add_get("/_emu/bots", list_bots)
    r.add_post("/_emu/users", create_user)
    r.add_post("/_emu/users/{user_id}/block", block_user)
    r.add_post("/_emu/users/{user_id}/unblock", unblock_user)
    r.add_post("/_emu/groups", create_group)
    r.add_post("/_emu/groups/{chat_id}/add_bot", add_bot)
    r.add_post("/_emu/groups/{chat_id}/remove_bot", remove_bot)
    r.add_post("/_emu/groups/{chat_id}/migrate", migrate_group)
    r.add_post("/_emu/groups/{chat_id}/promote_bot", promote_bot)
    r.add_post("/_emu/privacy", set_privacy)
    r.add_post("/_emu/send", users.handle_send)
    r.add_post("/_emu/edit_location", users.handle_edit_location)
    r.add_post("/_emu/press", users.handle_press)
    r.add_get("/_emu/chats/{chat_id}/messages", chat_messages)
    r.add_get("/_emu/callback_answers", callback_answers)
    r.add_get("/_emu/calls", calls)
    r.add_get("/_emu/files/{file_id}", file_bytes)
    r.add_get("/_emu/config", get_config)
    r.add_post("/_emu/config", set_config)
    r.add_post("/_emu/reset", reset)
