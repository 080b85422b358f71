"""Telegram Update → core events. Pure: no I/O, no bot object.

Dispatch is by table: ``UPDATE_KINDS`` maps each update field we take to its parser, and
``MESSAGE_KINDS`` each message content. Known kinds we do not handle become ``Ignored`` or
``UnsupportedReceived`` (answered 200); a body that is not an Update raises PayloadError (400).

Only the fields we read reach python-telegram-bot (``_slim_update``): a sticker, a poll, a
story or a message replied to is classified by its key and never built into an object, so a
field the library requires there (and Telegram left out, or added after the library's
version) cannot turn a delivery into a 400 that Telegram retries for a day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from telegram import CallbackQuery, Chat, ChatMemberUpdated, Message, Update, User

from sosbot.core.errors import PayloadError
from sosbot.core.events import (
    ButtonPressed,
    ChatMigrated,
    CommandReceived,
    ContactShared,
    Ignored,
    LocationReceived,
    MediaReceived,
    MembershipChanged,
    PlatformEvent,
    TextReceived,
    UnsupportedReceived,
)
from sosbot.core.model import (
    Channel,
    ChatKind,
    ChatRef,
    Location,
    LocationSource,
    MediaKind,
    MediaRef,
    Sender,
)
from sosbot.core.payload_numbers import finite_number, optional_number
from sosbot.core.webhook_body import decode_body

log = logging.getLogger(__name__)

CHANNEL = Channel.TELEGRAM

# Message contents residents may send that the bot does not take.
UNSUPPORTED_CONTENT = ("sticker", "voice", "video_note", "audio", "poll", "dice", "game",
                       "story", "paid_media", "invoice", "checklist", "giveaway",
                       "giveaway_winners")
# Service messages: group life the bot has no business answering.
SERVICE_CONTENT = ("new_chat_members", "left_chat_member", "new_chat_title", "new_chat_photo",
                   "delete_chat_photo", "group_chat_created", "supergroup_chat_created",
                   "pinned_message", "message_auto_delete_timer_changed",
                   "migrate_from_chat_id", "video_chat_started", "forum_topic_created")


def parse(body: bytes) -> list[PlatformEvent]:
    """Turn one webhook body into events; raise PayloadError when it is not an Update."""
    data = decode_body(body)
    return parse_update(data)


def for_this_bot(events: list[PlatformEvent], username: str) -> list[PlatformEvent]:
    """``events`` with every command addressed to another bot (``/ack@other_bot``, which
    a bot with group privacy mode off receives too) turned into ``Ignored``. ``username``
    is this bot's, without the "@" (case does not matter); empty: nothing is changed, as
    the bot's name is not known."""
    own = username.lstrip("@").lower()
    if not own:
        return events
    return [Ignored(reason=f"command for @{event.addressee}", chat=event.chat,
                    sender=event.sender, event_id=event.event_id,
                    message_id=event.message_id,
                    reply_to_message_id=event.reply_to_message_id)
            if isinstance(event, CommandReceived) and event.addressee not in ("", own)
            else event for event in events]


def parse_update(data: Any) -> list[PlatformEvent]:
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int) \
            or isinstance(data.get("update_id"), bool):
        raise PayloadError("not a Telegram Update: no integer update_id")
    field = next((name for name in UPDATE_KINDS if name in data), None)
    if field is None:
        # Read nothing we do not take: the client library's idea of a poll or a reaction
        # may be newer or older than what Telegram sends, and that is not a bad update.
        log.info("telegram update %s has no kind we handle: %s", data["update_id"],
                 sorted(str(k) for k in data if k != "update_id"))
        return []
    raw = _object(data[field], field)
    parser, slimmer = UPDATE_KINDS[field]
    try:
        update = Update.de_json({"update_id": data["update_id"], field: slimmer(raw, field)},
                                None)
    # OverflowError, OSError: a date past what datetime.fromtimestamp can hold.
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError) as exc:
        raise PayloadError(f"malformed Update: {exc!r}") from exc
    value = getattr(update, field, None)
    if value is None:
        raise PayloadError(f"malformed Update: {field} is empty")
    try:
        return parser(value, str(update.update_id), raw)
    except (ValidationError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise PayloadError(f"malformed {field}: {exc}") from exc


# The fields of a Message every parser may read; its content is added when it is one we
# take. Anything else stays out of the client library.
_MESSAGE_FRAME = ("message_id", "date", "chat", "from", "media_group_id", "caption")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"{what} is not an object")
    return value


def _slim_message(message: dict[str, Any], what: str) -> dict[str, Any]:
    """The frame of a message, its content only when it is one we take, and of the message
    it replies to only what ``reply_to_message_id`` needs."""
    slim: dict[str, Any] = {key: message[key] for key in _MESSAGE_FRAME if key in message}
    for field in MESSAGE_KINDS:
        if message.get(field):
            slim[field] = message[field]
    reply = message.get("reply_to_message")
    if reply is not None:
        reply = _object(reply, f"{what}.reply_to_message")
        slim["reply_to_message"] = {"message_id": reply.get("message_id"),
                                    "date": reply.get("date", 0),
                                    "chat": reply.get("chat", message.get("chat"))}
    return slim


def _slim_callback(query: dict[str, Any], what: str) -> dict[str, Any]:
    slim: dict[str, Any] = {key: query[key] for key in ("id", "from", "chat_instance", "data",
                                        "inline_message_id") if key in query}
    if query.get("message") is not None:
        message = _object(query["message"], f"{what}.message")
        # The card pressed: its chat and id are all a button press needs.
        slim["message"] = {key: message[key] for key in ("message_id", "date", "chat")
                           if key in message}
    return slim


def _slim_member(update: dict[str, Any], what: str) -> dict[str, Any]:
    slim: dict[str, Any] = {key: update[key] for key in ("chat", "from", "date")
                            if key in update}
    for side in ("old_chat_member", "new_chat_member"):
        member = _object(update.get(side), f"{what}.{side}")
        # The status is read from the raw update: as "member" the client library needs no
        # more fields (an administrator's or a restricted member's rights change with the
        # API, and the library's list of them with its version).
        slim[side] = {"user": member.get("user"), "status": "member"}
    return slim


def _raw_kind(raw: dict[str, Any]) -> str | None:
    """The first key of ``raw`` in the tables below, None for content no table names."""
    return next((key for key in (*UNSUPPORTED_CONTENT, *SERVICE_CONTENT) if raw.get(key)),
                None)


def _chat(chat: Chat) -> ChatRef:
    kind = ChatKind.PRIVATE if chat.type == Chat.PRIVATE else ChatKind.GROUP
    return ChatRef(channel=CHANNEL, chat_id=_integer_id(chat.id, "chat.id"), kind=kind)


def _sender(user: User | None) -> Sender | None:
    if user is None:
        return None
    return Sender(user_id=_integer_id(user.id, "from.id"), display_name=user.full_name,
                  username=user.username, language_code=user.language_code)


def _integer_id(value: Any, what: str) -> str:
    """Telegram's chat and user ids are integers; the client library does not check."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"{what} must be an integer")
    return str(value)


def _common(message: Message, event_id: str) -> dict[str, Any]:
    reply = message.reply_to_message
    return {
        "chat": _chat(message.chat),
        "sender": _sender(message.from_user),
        "event_id": event_id,
        "message_id": str(message.message_id),
        "reply_to_message_id": str(reply.message_id) if reply is not None else None,
    }


def _message(message: Message, event_id: str, raw: dict[str, Any]) -> list[PlatformEvent]:
    common = _common(message, event_id)
    for field, parser in MESSAGE_KINDS.items():
        if getattr(message, field, None):
            return [parser(message, common)]
    kind = _raw_kind(raw)
    if kind in SERVICE_CONTENT:
        return [Ignored(reason=f"service message: {kind}", **common)]
    return [UnsupportedReceived(kind=kind or "unknown", **common)]


def _edited_message(message: Message, event_id: str,
                    raw: dict[str, Any]) -> list[PlatformEvent]:
    """Only live-location moves matter; an edited text does not change a report."""
    common = _common(message, event_id)
    if message.location is not None:
        return [LocationReceived(location=_location(message), is_update=True,
                                 live_period_s=_seconds(message.location.live_period), **common)]
    return [Ignored(reason="edited message", **common)]


def _text(message: Message, common: dict[str, Any]) -> PlatformEvent:
    text = message.text or ""
    if text.startswith("/"):
        head, _, args = text.partition(" ")
        name, _, addressee = head[1:].partition("@")
        if name:
            return CommandReceived(name=name.lower(), args=args.strip(),
                                   addressee=addressee.lower(), **common)
    return TextReceived(text=text, **common)


def _location(message: Message) -> Location:
    loc = message.location
    assert loc is not None
    return Location(lat=finite_number(loc.latitude, "location.latitude"),
                    lon=finite_number(loc.longitude, "location.longitude"),
                    accuracy_m=optional_number(loc.horizontal_accuracy,
                                               "location.horizontal_accuracy"),
                    source=LocationSource.PIN)


def _pin(message: Message, common: dict[str, Any]) -> PlatformEvent:
    assert message.location is not None
    return LocationReceived(location=_location(message),
                            live_period_s=_seconds(message.location.live_period), **common)


def _venue(message: Message, common: dict[str, Any]) -> PlatformEvent:
    venue = message.venue
    assert venue is not None
    label = ", ".join(part for part in (venue.title, venue.address) if part)
    point = venue.location
    location = Location(lat=finite_number(point.latitude, "venue.location.latitude"),
                        lon=finite_number(point.longitude, "venue.location.longitude"),
                        accuracy_m=optional_number(point.horizontal_accuracy,
                                                   "venue.location.horizontal_accuracy"),
                        source=LocationSource.VENUE, label=label[:512] or None)
    return LocationReceived(location=location, **common)


def _photo(message: Message, common: dict[str, Any]) -> PlatformEvent:
    largest = max(message.photo, key=lambda size: (size.width * size.height,
                                                   size.file_size or 0))
    media = MediaRef(kind=MediaKind.PHOTO, file_id=largest.file_id,
                     unique_id=largest.file_unique_id, size=largest.file_size,
                     width=largest.width, height=largest.height)
    return _media(message, media, common)


def _video(message: Message, common: dict[str, Any]) -> PlatformEvent:
    video = message.video or message.animation
    assert video is not None
    media = MediaRef(kind=MediaKind.VIDEO, file_id=video.file_id,
                     unique_id=video.file_unique_id, size=video.file_size,
                     claimed_mime=video.mime_type, file_name=video.file_name,
                     width=video.width, height=video.height,
                     duration_s=_seconds(video.duration))
    return _media(message, media, common)


def _document(message: Message, common: dict[str, Any]) -> PlatformEvent:
    doc = message.document
    assert doc is not None
    media = MediaRef(kind=MediaKind.DOCUMENT, file_id=doc.file_id,
                     unique_id=doc.file_unique_id, size=doc.file_size,
                     claimed_mime=doc.mime_type, file_name=doc.file_name)
    return _media(message, media, common)


def _media(message: Message, media: MediaRef, common: dict[str, Any]) -> PlatformEvent:
    return MediaReceived(media=media, caption=message.caption or "",
                         album_id=message.media_group_id, **common)


def _seconds(duration: Any) -> int | None:
    if duration is None:
        return None
    return int(duration.total_seconds()) if hasattr(duration, "total_seconds") else int(duration)


def _contact(message: Message, common: dict[str, Any]) -> PlatformEvent:
    contact = message.contact
    assert contact is not None
    own = message.from_user is not None and contact.user_id == message.from_user.id
    return ContactShared(phone=contact.phone_number, own=own, **common)


def _migrated(message: Message, common: dict[str, Any]) -> PlatformEvent:
    return ChatMigrated(new_chat_id=str(message.migrate_to_chat_id), **common)


def _callback(query: CallbackQuery, event_id: str, raw: dict[str, Any]) -> list[PlatformEvent]:
    message = query.message
    if message is not None:
        chat = _chat(message.chat)
        message_id: str | None = str(message.message_id)
    else:  # a button under an inline-mode message: no chat to answer in
        chat = ChatRef(channel=CHANNEL, chat_id=str(query.from_user.id))
        message_id = None
    return [ButtonPressed(data=query.data or "", callback_id=query.id, chat=chat,
                          sender=_sender(query.from_user), event_id=event_id,
                          message_id=message_id)]


def _member(update: ChatMemberUpdated, event_id: str,
            raw: dict[str, Any]) -> list[PlatformEvent]:
    status = raw["new_chat_member"].get("status")
    if not isinstance(status, str):
        raise PayloadError("my_chat_member.new_chat_member.status must be a string")
    joined = status in ("member", "administrator", "creator", "restricted")
    return [MembershipChanged(joined=joined, status=str(status), chat=_chat(update.chat),
                              sender=_sender(update.from_user), event_id=event_id)]


MESSAGE_KINDS: dict[str, Callable[[Message, dict[str, Any]], PlatformEvent]] = {
    "migrate_to_chat_id": _migrated,
    "text": _text,
    "venue": _venue,  # before "location": a venue message carries both
    "location": _pin,
    "photo": _photo,
    "video": _video,
    "animation": _video,
    "document": _document,
    "contact": _contact,
}

Parser = Callable[[Any, str, dict[str, Any]], list[PlatformEvent]]
Slimmer = Callable[[dict[str, Any], str], dict[str, Any]]

# Each update field we take: its parser (given the library's object and the raw field) and
# what of the raw field the library gets to see.
UPDATE_KINDS: dict[str, tuple[Parser, Slimmer]] = {
    "message": (_message, _slim_message),
    "edited_message": (_edited_message, _slim_message),
    "callback_query": (_callback, _slim_callback),
    "my_chat_member": (_member, _slim_member),
}
