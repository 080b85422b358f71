"""Zalo OA webhook event → core events. Pure: no I/O.

Dispatch is by table: ``EVENT_KINDS`` maps every ``event_name`` we take to its handler and
doubles as the list of supported events. Known events of no interest become ``Ignored``
(answered 200); an ``event_name`` not in the table parses to nothing, with a log line; a
body that is not a Zalo event raises PayloadError (answered 400).

Zalo sends every id and timestamp as a string. Messages a user posts in a group chat of
the OA (GMF) arrive as ``user_send_group_*`` events whose chat is the group.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from sosbot.core.errors import PayloadError
from sosbot.core.events import (
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
from sosbot.core.payload_numbers import finite_number
from sosbot.core.webhook_body import decode_body

log = logging.getLogger(__name__)

CHANNEL = Channel.ZALO
# Far more than a resident sends at once; each attachment becomes an event that is stored
# and stepped, so a message with thousands must not cost thousands.
MAX_ATTACHMENTS = 50
GROUP_PREFIX = "user_send_group_"


@dataclass(frozen=True)
class Envelope:
    """What every Zalo event carries, read once: names, ids, the chat and the message."""

    name: str
    data: dict[str, Any]
    user_id: str | None
    chat: ChatRef
    timestamp: str
    message: dict[str, Any]

    @property
    def msg_id(self) -> str | None:
        return _optional_id(self.message.get("msg_id"), "message.msg_id")

    def common(self, index: int | None = None) -> dict[str, Any]:
        """Keyword arguments shared by every event made from this envelope.

        ``index`` numbers the events of a message with several attachments, so that each
        keeps its own de-duplication key.
        """
        msg_id = self.msg_id
        event_id = msg_id or f"{self.name}:{self.user_id or ''}:{self.timestamp}"
        if index is not None:
            event_id = f"{event_id}:{index}"
        return {
            "chat": self.chat,
            "sender": Sender(user_id=self.user_id) if self.user_id else None,
            "event_id": event_id,
            "message_id": msg_id,
        }

    def attachments(self) -> list[dict[str, Any]]:
        raw = self.message.get("attachments")
        if not isinstance(raw, list) or not raw:
            raise PayloadError(f"{self.name}: message.attachments must be a non-empty list")
        if not all(isinstance(item, dict) for item in raw):
            raise PayloadError(f"{self.name}: every attachment must be an object")
        if len(raw) > MAX_ATTACHMENTS:
            log.warning("zalo %s %s: %d attachments, only the first %d taken", self.name,
                        self.msg_id, len(raw), MAX_ATTACHMENTS)
        return raw[:MAX_ATTACHMENTS]


Handler = Callable[[Envelope], list[PlatformEvent]]


def parse(body: bytes) -> list[PlatformEvent]:
    """Turn one webhook body into events; raise PayloadError when it is not a Zalo event."""
    data = decode_body(body)
    return parse_event(data)


def parse_event(data: Any) -> list[PlatformEvent]:
    """Like :func:`parse`, for a body already decoded from JSON."""
    if not isinstance(data, dict):
        raise PayloadError("not a Zalo event: the body is not an object")
    name = data.get("event_name")
    if not isinstance(name, str) or not name:
        raise PayloadError("not a Zalo event: no event_name")
    handler = EVENT_KINDS.get(name)
    if handler is None:
        log.info("zalo event %r is not one we handle; ignored", name)
        return []
    try:
        return handler(_envelope(name, data))
    except (ValidationError, TypeError, ValueError, AttributeError, KeyError) as exc:
        raise PayloadError(f"malformed {name}: {exc}") from exc


def _optional_id(value: Any, what: str) -> str | None:
    """Zalo ids are strings; numbers are taken as their decimal text."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PayloadError(f"{what} must be a string id")
    return str(value)


def _id_of(data: dict[str, Any], key: str) -> str | None:
    part = data.get(key)
    if part is None:
        return None
    if not isinstance(part, dict):
        raise PayloadError(f"{key} must be an object")
    return _optional_id(part.get("id"), f"{key}.id")


def _group_id(data: dict[str, Any]) -> str:
    """The group of a GMF event: ``recipient.group_id``, ``group_info.group_id`` or
    ``group_id`` where Zalo names it, else ``recipient.id`` (the group the message went to).
    """
    for holder in (data.get("recipient"), data.get("group_info"), data):
        if isinstance(holder, dict):
            found = _optional_id(holder.get("group_id"), "group_id")
            if found:
                return found
    found = _id_of(data, "recipient")
    if not found:
        raise PayloadError("group event without a group id")
    return found


def _envelope(name: str, data: dict[str, Any]) -> Envelope:
    timestamp = _optional_id(data.get("timestamp"), "timestamp")
    if timestamp is None or not timestamp.isdigit():
        raise PayloadError(f"{name}: timestamp must be a string of milliseconds")
    message = data.get("message") or {}
    if not isinstance(message, dict):
        raise PayloadError(f"{name}: message must be an object")
    if name in _OA_TO_USER:  # receipts: the OA sent, the user received or read
        user_id = _id_of(data, "recipient")
    else:
        user_id = _id_of(data, "sender") or _id_of(data, "follower")
    if name in _GROUP_EVENTS:
        chat = ChatRef(channel=CHANNEL, chat_id=_group_id(data), kind=ChatKind.GROUP)
    else:
        if not user_id:
            raise PayloadError(f"{name}: no user id")
        chat = ChatRef(channel=CHANNEL, chat_id=user_id, kind=ChatKind.PRIVATE)
    return Envelope(name=name, data=data, user_id=user_id, chat=chat, timestamp=timestamp,
                    message=message)


def _text_event(env: Envelope, text: str) -> PlatformEvent:
    if text.startswith("/"):
        head, _, args = text.partition(" ")
        name = head[1:].split("@", 1)[0].lower()
        if name:
            return CommandReceived(name=name, args=args.strip(), **env.common())
    return TextReceived(text=text, **env.common())


def _text(env: Envelope) -> list[PlatformEvent]:
    text = env.message.get("text")
    if not isinstance(text, str):
        raise PayloadError(f"{env.name}: message.text must be a string")
    return [_text_event(env, text)]


def _location(env: Envelope) -> list[PlatformEvent]:
    payload = env.attachments()[0].get("payload")
    coordinates = payload.get("coordinates") if isinstance(payload, dict) else None
    if not isinstance(coordinates, dict):
        raise PayloadError(f"{env.name}: no payload.coordinates")
    # Out-of-range points are kept: the conversation explains why it refuses them.
    # Zalo writes them as text ("10.7769"); numbers are taken too.
    location = Location(lat=finite_number(coordinates.get("latitude"), "latitude"),
                        lon=finite_number(coordinates.get("longitude"), "longitude"),
                        source=LocationSource.PIN)
    return [LocationReceived(location=location, **env.common())]


def _size(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        size = int(str(value))
    except ValueError:
        return None
    return size if size >= 0 else None


def _media(kind: MediaKind) -> Handler:
    """Photos, videos and files: one event per attachment, the file id is its URL."""

    def handler(env: Envelope) -> list[PlatformEvent]:
        attachments = env.attachments()
        caption = env.message.get("text")
        caption = caption if isinstance(caption, str) else ""
        several = len(attachments) > 1
        events: list[PlatformEvent] = []
        for index, attachment in enumerate(attachments):
            payload = attachment.get("payload")
            url = payload.get("url") if isinstance(payload, dict) else None
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise PayloadError(f"{env.name}: attachment {index} has no payload.url")
            assert isinstance(payload, dict)
            name = payload.get("name")
            media = MediaRef(kind=kind, file_id=url, size=_size(payload.get("size")),
                             file_name=name if isinstance(name, str) and name else None)
            events.append(MediaReceived(
                media=media, caption=caption,
                album_id=env.msg_id if several else None,
                **env.common(index if several else None)))
        return events

    return handler


def _unsupported(kind: str) -> Handler:
    def handler(env: Envelope) -> list[PlatformEvent]:
        return [UnsupportedReceived(kind=kind, **env.common())]

    return handler


def _link(env: Envelope) -> list[PlatformEvent]:
    """A shared link is kept as text (a pasted map link carries the place)."""
    text = env.message.get("text")
    url = None
    attachments = env.message.get("attachments")
    if isinstance(attachments, list) and attachments and isinstance(attachments[0], dict):
        payload = attachments[0].get("payload")
        if isinstance(payload, dict) and isinstance(payload.get("url"), str):
            url = payload["url"]
    parts = [part for part in (text if isinstance(text, str) else "", url or "") if part]
    if url and isinstance(text, str) and url in text:
        parts = [text]
    if not parts:
        raise PayloadError(f"{env.name}: a link without a URL")
    return [TextReceived(text="\n".join(parts), **env.common())]


def _card_details(payload: dict[str, Any]) -> dict[str, Any]:
    """The card's fields: Zalo puts them in ``description``, a JSON string or an object."""
    details: dict[str, Any] = {}
    description = payload.get("description")
    if isinstance(description, str) and description.strip().startswith("{"):
        try:
            decoded = json.loads(description)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            details.update(decoded)
    elif isinstance(description, dict):
        details.update(description)
    for key in ("phone", "user_id", "userId"):
        if key in payload and key not in details:
            details[key] = payload[key]
    return details


def _business_card(env: Envelope) -> list[PlatformEvent]:
    payload = env.attachments()[0].get("payload")
    details = _card_details(payload if isinstance(payload, dict) else {})
    phone = details.get("phone")
    if isinstance(phone, int) and not isinstance(phone, bool):
        phone = str(phone)
    if not isinstance(phone, str) or not phone.strip():
        return [UnsupportedReceived(kind="business_card", **env.common())]
    card_user = details.get("userId", details.get("user_id"))
    own = card_user is not None and str(card_user) == env.user_id
    return [ContactShared(phone=phone.strip(), own=own, **env.common())]


def _follow(env: Envelope) -> list[PlatformEvent]:
    """A new follower is greeted like a resident who wrote /start."""
    return [CommandReceived(name="start", **env.common())]


def _ignored(reason: str) -> Handler:
    def handler(env: Envelope) -> list[PlatformEvent]:
        return [Ignored(reason=reason, **env.common())]

    return handler


def _membership(joined: bool) -> Handler:
    def handler(env: Envelope) -> list[PlatformEvent]:
        return [MembershipChanged(joined=joined, status=env.name, **env.common())]

    return handler


# What a resident can send, by the suffix Zalo gives it (user_send_<kind>, and
# user_send_group_<kind> for the same content posted in a group).
CONTENT_KINDS: dict[str, Handler] = {
    "text": _text,
    "location": _location,
    "image": _media(MediaKind.PHOTO),
    "video": _media(MediaKind.VIDEO),
    "file": _media(MediaKind.DOCUMENT),
    "link": _link,
    "business_card": _business_card,
    "sticker": _unsupported("sticker"),
    "gif": _unsupported("gif"),
    "audio": _unsupported("audio"),
}

# Group life (GMF): the OA creates its groups, so the group exists for it from
# create_group until the group is dissolved. Member changes do not concern the bot.
# Sources disagree on two names (docs/platforms/zalo.md "Group events"): the dissolved
# group is ``disperse_group`` in some and ``delete_group`` in others, an approved join
# request ``react_request_join_group`` or ``accept_request_join_group``. Both are taken,
# so a removed group is always marked dead.
GROUP_LIFE: dict[str, Handler] = {
    "create_group": _membership(joined=True),
    "disperse_group": _membership(joined=False),
    "delete_group": _membership(joined=False),
    "user_join_group": _ignored("member joined the group"),
    "user_out_group": _ignored("member left the group"),
    "user_request_join_group": _ignored("member asked to join the group"),
    "react_request_join_group": _ignored("join request approved"),
    "accept_request_join_group": _ignored("join request approved"),
    "reject_request_join_group": _ignored("join request rejected"),
    "add_group_admin": _ignored("group admin added"),
    "remove_group_admin": _ignored("group admin removed"),
    "update_group_info": _ignored("group info changed"),
}

_OA_TO_USER = frozenset({"user_received_message", "user_seen_message"})

EVENT_KINDS: dict[str, Handler] = {
    **{f"user_send_{kind}": handler for kind, handler in CONTENT_KINDS.items()},
    **{f"{GROUP_PREFIX}{kind}": handler for kind, handler in CONTENT_KINDS.items()},
    "follow": _follow,
    "unfollow": _ignored("unfollowed the OA"),
    "user_received_message": _ignored("delivery receipt"),
    "user_seen_message": _ignored("read receipt"),
    **GROUP_LIFE,
}

_GROUP_EVENTS = frozenset(name for name in EVENT_KINDS
                          if name.startswith(GROUP_PREFIX) or name in GROUP_LIFE)
