"""What emulated users do: send messages, move a live location, press inline buttons.

Each action stores the user's message in the chat and turns it into updates for the bot named
by ``token`` (a webhook POST or a getUpdates entry).
"""

from __future__ import annotations

import copy
import logging
import secrets
from typing import Any

from aiohttp import web

from sosbot.emulators.common.request_body import Params

from .errors import ControlError
from .lookup import (
    bot_of,
    decode_b64,
    finish,
    json_params,
    now,
    object_field,
    state_of,
    user_chat,
    user_of,
)
from .media import ImageError, tiny_png
from .messages import detect_entities, has_callback_button, strip_for_reply
from .privacy import delivered
from .state import BotState, CallbackRecord, Chat, Emitted, EmulatorState, User

log = logging.getLogger(__name__)

CONTENT_KINDS = (
    "text",
    "location",
    "venue",
    "photo",
    "video",
    "document",
    "album",
    "contact",
    "sticker",
    "voice",
)


def member_update(chat: Chat, actor: User, bot: BotState, old: str, new: str) -> dict[str, Any]:
    """A ChatMemberUpdated object for the bot's own membership."""

    def member(status: str) -> dict[str, Any]:
        out: dict[str, Any] = {"user": bot.user_dict(), "status": status}
        if status == "kicked":
            out["until_date"] = 0
        if status == "administrator":  # the rights Telegram lists (Bot API 9)
            out.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True,
                       can_delete_messages=False, can_manage_video_chats=False,
                       can_restrict_members=False, can_promote_members=False,
                       can_change_info=False, can_invite_users=True, can_post_stories=False,
                       can_edit_stories=False, can_delete_stories=False,
                       can_pin_messages=False, can_manage_topics=False)
        return out

    return {
        "chat": chat.to_dict(),
        "from": actor.to_dict(),
        "date": now(),
        "old_chat_member": member(old),
        "new_chat_member": member(new),
    }


def _caption(spec: dict[str, Any]) -> dict[str, Any]:
    caption = spec.get("caption")
    if caption is None or caption == "":
        return {}
    if not isinstance(caption, str):
        raise ControlError("caption must be a string")
    out: dict[str, Any] = {"caption": caption}
    entities = detect_entities(caption)
    if entities:
        out["caption_entities"] = entities
    return out


def _text(spec: dict[str, Any], name: str) -> str | None:
    value = spec.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ControlError(f"{name} must be a string")
    return value


def _number(spec: dict[str, Any], name: str, *, required: bool = True) -> float | None:
    value = spec.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(f"{name} must be a number")
    return float(value)


def _location(spec: dict[str, Any]) -> dict[str, Any]:
    lat, lon = _number(spec, "latitude"), _number(spec, "longitude")
    assert lat is not None and lon is not None
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise ControlError("latitude/longitude out of range")
    out: dict[str, Any] = {"latitude": lat, "longitude": lon}
    accuracy = _number(spec, "horizontal_accuracy", required=False)
    if accuracy is not None:
        out["horizontal_accuracy"] = accuracy
    live = _number(spec, "live_period", required=False)
    if live is not None:
        out["live_period"] = int(live)
    return out


def _media(state: EmulatorState, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    data = decode_b64(spec.get("data_b64"), kind)
    files = state.files
    content = _caption(spec)
    if kind == "photo":
        try:
            content["photo"] = files.add_photo(data)
        except ImageError:
            raise ControlError("photo.data_b64 is not an image Pillow can read") from None
    elif kind == "video":
        stored = files.add_video(
            data,
            mime_type=_text(spec, "mime_type"),
            file_name=_text(spec, "file_name"),
            duration=int(_number(spec, "duration", required=False) or 0),
            width=int(_number(spec, "width", required=False) or 0),
            height=int(_number(spec, "height", required=False) or 0),
        )
        content["video"] = stored.media
    else:
        name = _text(spec, "file_name")
        if name is None:
            raise ControlError("document.file_name is required")
        stored = files.add_document(data, file_name=name, mime_type=_text(spec, "mime_type"))
        content["document"] = stored.media
    return content


def _contents(state: EmulatorState, params: Params) -> list[dict[str, Any]]:
    """The message contents of a /_emu/send body (several for an album)."""
    kinds = [k for k in CONTENT_KINDS if params.raw(k) is not None]
    if len(kinds) != 1:
        raise ControlError(f"give exactly one of {', '.join(CONTENT_KINDS)}")
    kind = kinds[0]
    if kind == "text":
        text = params.raw("text")
        if not isinstance(text, str) or not text.strip():
            raise ControlError("text must be a non-empty string")
        content: dict[str, Any] = {"text": text}
        entities = detect_entities(text)
        if entities:
            content["entities"] = entities
        return [content]
    if kind == "album":
        items = params.raw("album")
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            raise ControlError("album must be a list of 2-10 items")
        group_id = str(secrets.randbits(62))
        out = []
        for item in items:
            if not isinstance(item, dict) or item.get("type") not in ("photo", "video"):
                raise ControlError("album items need type photo or video")
            part = _media(state, str(item["type"]), item)
            part["media_group_id"] = group_id
            out.append(part)
        return out
    if kind in ("sticker", "voice"):
        spec = object_field(params, kind)
        raw = spec.get("data_b64")
        if kind == "sticker":
            data = decode_b64(raw, kind) if raw else tiny_png(16)
            return [{"sticker": state.files.add_sticker(data).media}]
        data = decode_b64(raw, kind) if raw else b"OggS" + bytes(60)
        duration = int(_number(spec, "duration", required=False) or 1)
        return [{"voice": state.files.add_voice(data, duration=duration).media}]
    spec = object_field(params, kind)
    if kind == "location":
        return [{"location": _location(spec)}]
    if kind == "venue":
        location = _location(spec)
        title, address = spec.get("title"), spec.get("address")
        if not isinstance(title, str) or not isinstance(address, str):
            raise ControlError("venue needs title and address strings")
        venue = {"location": location, "title": title, "address": address}
        return [{"venue": venue, "location": location}]
    if kind == "contact":
        phone, first = spec.get("phone_number"), spec.get("first_name")
        if not isinstance(phone, str) or not isinstance(first, str):
            raise ControlError("contact needs phone_number and first_name strings")
        contact: dict[str, Any] = {"phone_number": phone, "first_name": first}
        last_name = _text(spec, "last_name")
        if last_name is not None:
            contact["last_name"] = last_name
        contact_user = spec.get("user_id")
        if contact_user is not None:
            if isinstance(contact_user, bool) or not isinstance(contact_user, int):
                raise ControlError("contact.user_id must be an integer")
            contact["user_id"] = contact_user
        return [{"contact": contact}]
    return [_media(state, kind, spec)]


def _user_message(chat: Chat, user: User, message_id: int) -> dict[str, Any]:
    return {"message_id": message_id, "from": user.to_dict(), "chat": chat.to_dict(), "date": now()}


async def handle_send(request: web.Request) -> web.Response:
    """``POST /_emu/send``: a user sends a message (an album gives one per item)."""
    state = state_of(request)
    params = await json_params(request)
    bot = bot_of(state, params)
    user = user_of(state, params.get_int("from"), "from")
    chat = user_chat(state, bot, user, params.get_int("chat_id"))
    reply_id = params.get_int("reply_to_message_id")
    reply: dict[str, Any] = {}
    if reply_id is not None:
        original = chat.conversation(bot.id).messages.get(reply_id)
        if original is None:
            raise ControlError(f"message {reply_id} not found in chat {chat.id}")
        reply = {"reply_to_message": strip_for_reply(copy.deepcopy(original))}
    contents = _contents(state, params)
    emitted: list[Emitted] = []
    if chat.type == "private" and bot.id in user.blocked_bots:
        user.blocked_bots.discard(bot.id)
        update = member_update(chat, user, bot, "kicked", "member")
        emitted.append(state.emit(bot, "my_chat_member", update, chat.id))
    message_ids = []
    unseen = []
    for content in contents:

        def build(message_id: int, content: dict[str, Any] = content) -> dict[str, Any]:
            message = _user_message(chat, user, message_id)
            message.update(content)
            message.update(copy.deepcopy(reply))
            return message

        message = chat.add_message(bot.id, build)
        message_ids.append(message["message_id"])
        if delivered(bot, chat, message):
            emitted.append(state.emit(bot, "message", message, chat.id))
        else:
            unseen.append(message["message_id"])
            log.info("message %s in chat %s withheld from @%s (privacy mode)",
                     message["message_id"], chat.id, bot.username)
    result = await finish(emitted, params.get_bool("wait", True))
    result["message_ids"] = message_ids
    # The messages Telegram does not give the bot: group privacy mode (privacy.py).
    result["withheld"] = unseen
    return web.json_response(result)


async def handle_edit_location(request: web.Request) -> web.Response:
    """``POST /_emu/edit_location``: move a live location (an ``edited_message`` update)."""
    state = state_of(request)
    params = await json_params(request)
    bot = bot_of(state, params)
    user = user_of(state, params.get_int("from"), "from")
    chat = user_chat(state, bot, user, params.get_int("chat_id"))
    message_id = params.get_int("message_id", required=True)
    message = chat.conversation(bot.id).messages.get(message_id or 0)
    if message is None or message.get("from", {}).get("id") != user.id:
        raise ControlError(f"no message {message_id} from user {user.id} in chat {chat.id}")
    location = message.get("location")
    if not isinstance(location, dict) or not location.get("live_period"):
        raise ControlError(f"message {message_id} is not a live location")
    moved = _location({**location, **params.values})
    moved["live_period"] = location["live_period"]
    location.clear()
    location.update(moved)
    message["edit_date"] = now()
    emitted = [state.emit(bot, "edited_message", message, chat.id)]
    return web.json_response(await finish(emitted, params.get_bool("wait", True)))


def chat_instance(bot: BotState, chat: Chat) -> str:
    """A stable opaque id for (bot, chat), as in ``callback_query.chat_instance``."""
    return str((bot.id * 1_000_003 + chat.id * 7919) % (2**63) - 2**62)


async def handle_press(request: web.Request) -> web.Response:
    """``POST /_emu/press``: a user presses an inline button (a ``callback_query`` update)."""
    state = state_of(request)
    params = await json_params(request)
    bot = bot_of(state, params)
    user = user_of(state, params.get_int("from"), "from")
    chat = user_chat(state, bot, user, params.get_int("chat_id", required=True))
    message_id = params.get_int("message_id", required=True)
    data = params.raw("data")
    if not isinstance(data, str) or not data:
        raise ControlError("data must be a non-empty string")
    force = params.get_bool("force")
    stored = chat.conversation(bot.id).messages.get(message_id or 0)
    if stored is None:
        if not force:
            raise ControlError(f"message {message_id} not found in chat {chat.id}")
        message: dict[str, Any] = {"chat": chat.to_dict(), "message_id": message_id, "date": 0}
    else:
        if not force and not has_callback_button(stored, data):
            raise ControlError(
                f"message {message_id} has no inline button with callback_data {data!r}"
            )
        message = stored
    query_id = state.new_callback_id()
    bot.callbacks[query_id] = CallbackRecord(query_id, bot.id, user.id)
    query = {
        "id": query_id,
        "from": user.to_dict(),
        "message": message,
        "chat_instance": chat_instance(bot, chat),
        "data": data,
    }
    emitted = [state.emit(bot, "callback_query", query, chat.id)]
    result = await finish(emitted, params.get_bool("wait", True))
    result["callback_query_id"] = query_id
    return web.json_response(result)
