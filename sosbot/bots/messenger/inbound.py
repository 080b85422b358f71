"""Messenger webhook body → core events. Pure: no I/O.

Meta batches deliveries: one POST holds ``entry[]``, each with ``messaging[]``; every event
of the batch is returned, in order. Dispatch is by table: ``EVENT_KINDS`` maps each messaging
field we take to its parser, ``ATTACHMENT_KINDS`` each attachment type. Echoes of the page's
own messages, delivery and read receipts become ``Ignored``; stickers, audio and attachment
types we do not take become ``UnsupportedReceived`` (all answered 200). A body that is not a
Page webhook raises PayloadError (400); so does a batch none of whose events is readable,
while unreadable events among readable ones are logged and skipped (a 400 would make Meta
retry, and finally drop, the good events with the bad). Events in the ``changes`` notation
(``{"field": "messaging_postbacks", "value": {...}}``) are read like ``messaging`` ones.

Ids: the chat is the resident's page-scoped id (PSID). ``event_id`` is the message's ``mid``
(the postback's ``mid`` for a button), or ``"<psid>:<timestamp>"`` when there is none; a
message with several attachments gives one event per attachment, the first keeping the
``mid`` and the n-th after it ``"<mid>#n"``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError

from sosbot.core.errors import PayloadError
from sosbot.core.events import (
    ButtonPressed,
    CommandReceived,
    Ignored,
    LocationReceived,
    MediaReceived,
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
from sosbot.core.pseudonyms import chat_label
from sosbot.core.webhook_body import decode_body

from .maplinks import coordinates_from_url, urls_in
from .payload import Attachment, Message, Messaging, Postback, WebhookBody

log = logging.getLogger(__name__)

CHANNEL = Channel.MESSENGER
# Far more than a resident sends at once; each attachment becomes an event that is stored
# and stepped, so a message with thousands must not cost thousands.
MAX_ATTACHMENTS = 50


def parse(body: bytes) -> list[PlatformEvent]:
    """Turn one webhook body into events; raise PayloadError when it is not a Page webhook."""
    data = decode_body(body)
    return parse_body(data)


def parse_body(data: Any) -> list[PlatformEvent]:
    """Events of an already decoded webhook body."""
    try:
        webhook = WebhookBody.model_validate(data)
    except ValidationError as exc:
        raise PayloadError(f"not a Messenger Page webhook: {_first_error(exc)}") from exc
    events: list[PlatformEvent] = []
    malformed: list[str] = []
    for entry in webhook.entry:
        raw_items = [(raw, False) for raw in entry.messaging]
        for change in entry.changes:
            if change.value is None:
                continue
            if "sender" not in change.value and "recipient" not in change.value:
                # The app dashboard's "Test" button sends {"field": "messages", "value":
                # {"page_id": …}} with entry id "0": a ping, not a resident's event.
                log.info("messenger %s change without sender (the dashboard's test?): "
                         "nothing to take", change.field or "unnamed")
                continue
            raw_items.append((change.value, False))
        raw_items += [(raw, True) for raw in entry.standby]
        for raw, standby in raw_items:
            try:
                item = Messaging.model_validate(raw)
            except ValidationError as exc:
                malformed.append(_first_error(exc))
                continue
            if standby:  # another app owns the thread (handover protocol)
                events.append(Ignored(reason="standby", **_common(item, None)))
                continue
            try:
                events.extend(_messaging(item))
            except ValidationError as exc:
                malformed.append(_first_error(exc))
            except PayloadError as exc:  # e.g. a point at 10**400: not a number we keep
                malformed.append(str(exc))
    if malformed:
        if not events:
            raise PayloadError(f"no event of the batch is readable: {malformed[0]}")
        log.warning("messenger batch: %d unreadable event(s) skipped, first: %s",
                    len(malformed), malformed[0])
    return events


# Below this an ``entry.time`` is in seconds (as the dashboard's "Test" delivery sends it):
# 10**11 ms is March 1973, 10**11 s the year 5138.
_SECONDS_BELOW = 10**11


def batch_time_ms(body: bytes) -> int | None:
    """The oldest ``entry.time`` of a webhook body in epoch ms, for refusing stale replays.

    Page events carry milliseconds; the app dashboard's "Test" delivery carries seconds
    (captured: Yoctol/bottender#138, CondeNast/launch-vehicle-fbm#73): read as
    milliseconds, every such delivery would look 50 years old.
    """
    try:
        data = decode_body(body)
        times = [int(e["time"]) for e in data["entry"] if isinstance(e, dict) and "time" in e]
    except (PayloadError, ValueError, TypeError, KeyError, OverflowError):
        return None
    times = [t * 1000 if 0 <= t < _SECONDS_BELOW else t for t in times]
    return min(times) if times else None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err["loc"])
    return f"{where}: {err['msg']}" if where else str(err["msg"])


def _messaging(item: Messaging) -> list[PlatformEvent]:
    for field, parser in EVENT_KINDS.items():
        value = getattr(item, field)
        if value is not None:
            return parser(item, value)
    kinds = sorted((item.model_extra or {}).keys())
    log.info("messenger event from %s of a kind we do not take: %s",
             chat_label("messenger", item.sender.key), kinds)
    return [Ignored(reason=f"unsupported event: {', '.join(kinds) or 'empty'}",
                    **_common(item, None))]


def _common(item: Messaging, mid: str | None, *, chat_id: str | None = None) -> dict[str, Any]:
    psid = chat_id or item.sender.key
    return {
        "chat": ChatRef(channel=CHANNEL, chat_id=psid, kind=ChatKind.PRIVATE),
        "sender": Sender(user_id=psid),
        "event_id": mid or f"{psid}:{item.timestamp or 0}",
    }


def _message(item: Messaging, message: Message) -> list[PlatformEvent]:
    if message.is_echo:  # the page's own message: sender is the page, the chat the recipient
        common = _common(item, message.mid, chat_id=item.recipient.key)
        return [Ignored(reason="echo", **(common | {"sender": None}))]
    common = _common(item, message.mid)
    common["message_id"] = message.mid
    common["reply_to_message_id"] = message.reply_to.mid if message.reply_to else None
    if message.quick_reply is not None:
        # The tapped title comes as text too; the payload is what we asked for.
        return [ButtonPressed(data=message.quick_reply.payload,
                              **(common | {"message_id": None}))]
    if message.attachments:
        return _numbered(_attachments(message, common), common["event_id"])
    return [_text(message.text or "", common)]


def _text(text: str, common: dict[str, Any]) -> PlatformEvent:
    if text.startswith("/"):
        head, _, args = text.partition(" ")
        name = head[1:].lower()
        if name:
            return CommandReceived(name=name, args=args.strip(), **common)
    if not text.strip():
        return UnsupportedReceived(kind="empty", **common)
    return TextReceived(text=text, **common)


def _numbered(events: list[PlatformEvent], event_id: str) -> list[PlatformEvent]:
    """The first event keeps the message's id, the n-th after it gets ``#n``."""
    return [replace(event, event_id=f"{event_id}#{index}") if index else event
            for index, event in enumerate(events)]


def _is_sticker(attachment: Attachment, message: Message) -> bool:
    # Until 30 Aug 2026 a sticker comes as an ``image`` with ``sticker_id`` *and* a
    # ``sticker`` attachment; after that as the ``sticker`` attachment alone.
    if attachment.type == "sticker":
        return True
    has_id = attachment.payload is not None and attachment.payload.sticker_id is not None
    return attachment.type == "image" and (has_id or message.sticker_id is not None)


def _attachments(message: Message, common: dict[str, Any]) -> list[PlatformEvent]:
    events: list[PlatformEvent] = []
    sticker_seen = False
    text_used = False
    if len(message.attachments) > MAX_ATTACHMENTS:
        log.warning("messenger message %s: %d attachments, only the first %d taken",
                    message.mid, len(message.attachments), MAX_ATTACHMENTS)
    for attachment in message.attachments[:MAX_ATTACHMENTS]:
        if _is_sticker(attachment, message):
            if not sticker_seen:  # one sticker, however many forms of it arrive
                events.append(UnsupportedReceived(kind="sticker", **common))
            sticker_seen = True
            continue
        parser = ATTACHMENT_KINDS.get(attachment.type)
        if parser is None:
            events.append(UnsupportedReceived(kind=attachment.type, **common))
            continue
        made, used = parser(attachment, "" if text_used else message.text or "", common)
        text_used = text_used or used
        events.extend(made)
    if message.text and not text_used:
        events.insert(0, _text(message.text, common))
    return events


AttachmentParser = Callable[[Attachment, str, dict[str, Any]], tuple[list[PlatformEvent], bool]]
"""(attachment, message text, common fields) → (events, whether the text was used)."""


def _url(attachment: Attachment) -> str | None:
    if attachment.payload is not None and attachment.payload.url:
        return attachment.payload.url
    return attachment.url


def _file_name(url: str) -> str | None:
    try:
        name = unquote(PurePosixPath(urlsplit(url).path).name)
    except ValueError:
        return None
    return name[:255] if "." in name else None


def _media(kind: MediaKind) -> AttachmentParser:
    def parse_media(attachment: Attachment, text: str,
                    common: dict[str, Any]) -> tuple[list[PlatformEvent], bool]:
        url = _url(attachment)
        if not url:
            return [UnsupportedReceived(kind=f"{attachment.type} without url", **common)], False
        name = _file_name(url) if kind is MediaKind.DOCUMENT else None
        media = MediaRef(kind=kind, file_id=url, file_name=name)
        return [MediaReceived(media=media, caption=text, **common)], True

    return parse_media


def _unsupported(kind: str) -> AttachmentParser:
    def parse_unsupported(attachment: Attachment, text: str,
                          common: dict[str, Any]) -> tuple[list[PlatformEvent], bool]:
        return [UnsupportedReceived(kind=kind, **common)], False

    return parse_unsupported


def _fallback(attachment: Attachment, text: str,
              common: dict[str, Any]) -> tuple[list[PlatformEvent], bool]:
    """A shared link: a point when it is a map link with coordinates, else the link as text."""
    url = _url(attachment)
    title = (attachment.payload.title if attachment.payload else None) or attachment.title
    candidates = ([url] if url else []) + urls_in(text)
    for candidate in candidates:
        point = coordinates_from_url(candidate)
        if point is not None:
            location = Location(lat=point[0], lon=point[1], source=LocationSource.PIN,
                                label=title[:512] if title else None)
            events: list[PlatformEvent] = [LocationReceived(location=location, **common)]
            rest = text
            for link in urls_in(text):
                rest = rest.replace(link, " ")
            if rest.strip(" \t\n:,.-–"):
                events.append(TextReceived(text=text, **common))
            return events, True
    if text.strip():
        return [TextReceived(text=text, **common)], True
    if url:
        return [TextReceived(text=url, **common)], True
    return [UnsupportedReceived(kind="fallback", **common)], True


def _legacy_location(attachment: Attachment, text: str,
                     common: dict[str, Any]) -> tuple[list[PlatformEvent], bool]:
    coords = attachment.payload.coordinates if attachment.payload else None
    if coords is None:
        return [UnsupportedReceived(kind="location without coordinates", **common)], False
    location = Location(lat=finite_number(coords.lat, "coordinates.lat"),
                        lon=finite_number(coords.long, "coordinates.long"),
                        source=LocationSource.PIN)
    return [LocationReceived(location=location, **common)], False


def _postback(item: Messaging, postback: Postback) -> list[PlatformEvent]:
    return [ButtonPressed(data=postback.payload, **_common(item, postback.mid))]


def _receipt(kind: str) -> Callable[[Messaging, dict[str, Any]], list[PlatformEvent]]:
    def parse_receipt(item: Messaging, receipt: dict[str, Any]) -> list[PlatformEvent]:
        common = _common(item, None)
        common["event_id"] = f"{kind}:{item.sender.key}:{receipt.get('watermark', 0)}"
        return [Ignored(reason=f"{kind} receipt", **common)]

    return parse_receipt


ATTACHMENT_KINDS: dict[str, AttachmentParser] = {
    "image": _media(MediaKind.PHOTO),
    "video": _media(MediaKind.VIDEO),
    "file": _media(MediaKind.DOCUMENT),
    "audio": _unsupported("audio"),
    "sticker": _unsupported("sticker"),  # checked first, with the image form; see _is_sticker
    "fallback": _fallback,
    "location": _legacy_location,  # no longer sent by Messenger; kept for old clients
}
"""Attachment types we know; any other type becomes ``UnsupportedReceived(type)``."""

EVENT_KINDS: dict[str, Callable[[Messaging, Any], list[PlatformEvent]]] = {
    "message": _message,
    "postback": _postback,
    "delivery": _receipt("delivery"),
    "read": _receipt("read"),
}
