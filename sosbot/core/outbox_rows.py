"""Outbox rows as typed values: what a row is (``RowKind``, the ``outbox.method`` column),
what it carries (one frozen dataclass per kind, the ``outbox.payload`` column as JSON), and
what a platform is asked to do when it goes out (the sends adapters take).

A producer builds a row's payload (``TextRow``, ``Card``, ``CardAlbum``…); its class names
its kind, so a row's kind and payload cannot disagree. Delivery reads the row back with
:func:`read_row` and renders it into a send (``Text``, ``Edit``, ``Album``,
``ButtonAnswer``, ``ButtonsCleared``), which the adapter of the row's platform carries out
through the interface of the row's destination (``sosbot.core.senders``).

The JSON of every payload is the one stored before the types were written (no migration):
``to_json`` writes it, ``from_json`` reads it and ignores keys it does not know (delivery's
own bookkeeping lives beside them: ``batch``, ``warmed``, ``warm_tries``). A stored kind or
payload this code cannot read raises ``BadOutboxRow``, a ``PermanentSendError``: that row
fails for good, the job goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sosbot.core.actions import OutgoingMessage, message_from_dict, message_to_dict
from sosbot.core.errors import PermanentSendError


class BadOutboxRow(PermanentSendError):
    """A stored row whose kind or payload cannot be read: it fails, it is never guessed."""


class RowKind(StrEnum):
    """What an outbox row is: the values stored in ``outbox.method`` (a StrEnum, so a
    member is the very string stored)."""

    MESSAGE = "message"  # a text, with buttons, to a resident or a group: TextRow
    ANSWER_BUTTON = "answer_button"  # stop a button's spinner: ButtonAnswer
    CLEAR_BUTTONS = "clear_buttons"  # take the buttons off a message: ButtonsCleared
    CARD = "card"  # a report's card in a group, rendered when sent: Card
    CARD_EDIT = "card_edit"  # the card edited in place: CardEdit
    CARD_ALBUM = "card_album"  # the report's photos under its card: CardAlbum
    NOTE = "note"  # a line under a card: Note
    PHOTOS = "media_group"  # stored photos with a caption (a bulletin's): PhotosRow
    DIGEST_IMAGES = "digest_images"  # the digest's charts, rendered when sent: DigestImages


#: The kinds about a delivery (a report's copy in a group): rendered from the database.
DELIVERY_KINDS = frozenset({RowKind.CARD, RowKind.CARD_EDIT, RowKind.CARD_ALBUM,
                            RowKind.NOTE})


def row_kind(value: str) -> RowKind:
    """The kind stored in a row's ``method``; BadOutboxRow for one this code does not know."""
    try:
        return RowKind(value)
    except ValueError:
        raise BadOutboxRow(f"unknown outbox row kind {value!r}") from None


class MessageKind(StrEnum):
    """What a text row is, where that matters when it is sent or fails (the payload's
    ``kind``; NONE is not stored)."""

    NONE = ""
    STATUS = "status"  # a report's status update: kept when a window refuses it
    OFFICER = "officer"  # an officer's own words (Messenger's HUMAN_AGENT)
    BULLETIN = "bulletin"  # a safety bulletin
    HELD_UPDATES = "held_updates"  # held status updates folded into one message


# -- reading JSON ---------------------------------------------------------------------------

def _mapping(data: Any, kind: RowKind) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise BadOutboxRow(f"{kind.value} row: the payload is not an object")
    return data


def _text(data: Mapping[str, Any], key: str, kind: RowKind, *, optional: bool = False
          ) -> str | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise BadOutboxRow(f"{kind.value} row: {key!r} is not a text")
    return value


def _ids(data: Mapping[str, Any], key: str, kind: RowKind) -> tuple[int, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise BadOutboxRow(f"{kind.value} row: {key!r} is not a list of ids")
    return tuple(value)


def _message(data: Mapping[str, Any], kind: RowKind) -> OutgoingMessage:
    if not isinstance(data.get("text", ""), str):
        raise BadOutboxRow(f"{kind.value} row: 'text' is not a text")
    try:
        return message_from_dict(dict(data))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise BadOutboxRow(f"{kind.value} row: not a message ({exc})") from exc


def _message_kind(data: Mapping[str, Any], kind: RowKind) -> MessageKind:
    try:
        return MessageKind(data.get("kind") or "")
    except ValueError:
        raise BadOutboxRow(f"{kind.value} row: unknown message kind "
                           f"{data.get('kind')!r}") from None


# -- what rows carry ------------------------------------------------------------------------

@dataclass(frozen=True)
class TextRow:
    """A text with its buttons, to a resident or a group (``reply_to``: the message it
    answers in a group; ``folded``: the held rows it carries)."""

    KIND: ClassVar[RowKind] = RowKind.MESSAGE
    message: OutgoingMessage
    reply_to: str | None = None
    kind: MessageKind = MessageKind.NONE
    folded: tuple[int, ...] = ()

    @classmethod
    def plain(cls, text: str, *, reply_to: str | None = None,
              kind: MessageKind = MessageKind.NONE) -> TextRow:
        return cls(OutgoingMessage(text=text), reply_to=reply_to, kind=kind)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(message_to_dict(self.message))
        if self.reply_to:
            data["reply_to"] = self.reply_to
        if self.kind:
            data["kind"] = self.kind.value
        if self.folded:
            data["folded"] = list(self.folded)
        return data

    @classmethod
    def from_json(cls, data: Any) -> TextRow:
        data = _mapping(data, cls.KIND)
        reply_to = data.get("reply_to")
        return cls(_message(data, cls.KIND),
                   reply_to=str(reply_to) if reply_to else None,
                   kind=_message_kind(data, cls.KIND), folded=_ids(data, "folded", cls.KIND))


@dataclass(frozen=True)
class ButtonAnswer:
    """Acknowledge a button press (the platform's spinner stops); also what is sent."""

    KIND: ClassVar[RowKind] = RowKind.ANSWER_BUTTON
    callback_id: str
    text: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"callback_id": self.callback_id, "text": self.text}

    @classmethod
    def from_json(cls, data: Any) -> ButtonAnswer:
        data = _mapping(data, cls.KIND)
        callback_id = _text(data, "callback_id", cls.KIND)
        assert callback_id is not None
        return cls(callback_id, _text(data, "text", cls.KIND, optional=True))


@dataclass(frozen=True)
class ButtonsCleared:
    """Remove the buttons from an earlier message; also what is sent."""

    KIND: ClassVar[RowKind] = RowKind.CLEAR_BUTTONS
    message_id: str

    def to_json(self) -> dict[str, Any]:
        return {"message_id": self.message_id}

    @classmethod
    def from_json(cls, data: Any) -> ButtonsCleared:
        data = _mapping(data, cls.KIND)
        message_id = data.get("message_id")
        if not isinstance(message_id, str | int) or isinstance(message_id, bool):
            raise BadOutboxRow(f"{cls.KIND.value} row: 'message_id' is not an id")
        return cls(str(message_id))


BATCH_KEY = "batch"  # on a card row: the rows a started batch send carried (card_batches)


@dataclass(frozen=True)
class Card:
    """A report's card in its delivery's group, rendered from the database when it goes
    out; ``batch``: the rows a batch card whose send was started carried."""

    KIND: ClassVar[RowKind] = RowKind.CARD
    batch: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {BATCH_KEY: list(self.batch)} if self.batch else {}

    @classmethod
    def from_json(cls, data: Any) -> Card:
        return cls(_ids(_mapping(data, cls.KIND), BATCH_KEY, cls.KIND))


@dataclass(frozen=True)
class CardEdit:
    """The card of a delivery edited in place, from the database as it is then."""

    KIND: ClassVar[RowKind] = RowKind.CARD_EDIT

    def to_json(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_json(cls, data: Any) -> CardEdit:
        _mapping(data, cls.KIND)
        return cls()


@dataclass(frozen=True)
class Note:
    """A line under a delivery's card (an escalation, a resident's answer)."""

    KIND: ClassVar[RowKind] = RowKind.NOTE
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text}

    @classmethod
    def from_json(cls, data: Any) -> Note:
        text = _text(_mapping(data, cls.KIND), "text", cls.KIND)
        assert text is not None
        return cls(text)


@dataclass(frozen=True)
class CardAlbum:
    """A report's stored media under a delivery's card (``under_delivery_id``: under
    another delivery's card in the same chat, a merged report's main one)."""

    KIND: ClassVar[RowKind] = RowKind.CARD_ALBUM
    media_ids: tuple[int, ...]
    under_delivery_id: int | None = None
    caption: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"media_ids": list(self.media_ids)}
        if self.under_delivery_id is not None:
            data["under_delivery_id"] = self.under_delivery_id
        if self.caption is not None:
            data["caption"] = self.caption
        return data

    @classmethod
    def from_json(cls, data: Any) -> CardAlbum:
        data = _mapping(data, cls.KIND)
        under = data.get("under_delivery_id")
        if under is not None and (not isinstance(under, int) or isinstance(under, bool)):
            raise BadOutboxRow(f"{cls.KIND.value} row: 'under_delivery_id' is not an id")
        return cls(_ids(data, "media_ids", cls.KIND), under_delivery_id=under,
                   caption=_text(data, "caption", cls.KIND, optional=True))


@dataclass(frozen=True)
class MediaItem:
    """One stored file of an album: its kind (photo, video, document), its hash in the
    media store, and, once it is fit to leave the system, the path of that copy."""

    kind: str
    sha256: str
    mime: str | None = None
    path: str | None = None

    @property
    def is_photo(self) -> bool:
        return self.kind == "photo"

    @property
    def is_visual(self) -> bool:
        return self.kind in ("photo", "video")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "sha256": self.sha256}
        if self.mime is not None:
            data["mime"] = self.mime
        if self.path is not None:
            data["path"] = self.path
        return data

    @classmethod
    def from_json(cls, data: Any, kind: RowKind) -> MediaItem:
        data = _mapping(data, kind)
        item_kind, sha256 = _text(data, "kind", kind), _text(data, "sha256", kind)
        assert item_kind is not None and sha256 is not None
        return cls(item_kind, sha256, _text(data, "mime", kind, optional=True),
                   _text(data, "path", kind, optional=True))


def _items(data: Mapping[str, Any], kind: RowKind) -> tuple[MediaItem, ...]:
    items = data.get("items")
    if not isinstance(items, list):
        raise BadOutboxRow(f"{kind.value} row: 'items' is not a list")
    return tuple(MediaItem.from_json(item, kind) for item in items)


@dataclass(frozen=True)
class PhotosRow:
    """Stored photos with a caption, to a resident (a safety bulletin's photo)."""

    KIND: ClassVar[RowKind] = RowKind.PHOTOS
    items: tuple[MediaItem, ...]
    caption: str | None = None
    kind: MessageKind = MessageKind.NONE

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"items": [item.to_json() for item in self.items],
                                "caption": self.caption}
        if self.kind:
            data["kind"] = self.kind.value
        return data

    @classmethod
    def from_json(cls, data: Any) -> PhotosRow:
        data = _mapping(data, cls.KIND)
        return cls(_items(data, cls.KIND), _text(data, "caption", cls.KIND, optional=True),
                   _message_kind(data, cls.KIND))


@dataclass(frozen=True)
class DigestImages:
    """The digest's charts and map for a period, rendered when the row goes out."""

    KIND: ClassVar[RowKind] = RowKind.DIGEST_IMAGES
    since: datetime
    until: datetime

    def to_json(self) -> dict[str, Any]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}

    @classmethod
    def from_json(cls, data: Any) -> DigestImages:
        data = _mapping(data, cls.KIND)
        try:
            return cls(datetime.fromisoformat(str(data["since"])),
                       datetime.fromisoformat(str(data["until"])))
        except (KeyError, ValueError) as exc:
            raise BadOutboxRow(f"{cls.KIND.value} row: not a period ({exc})") from exc


RowPayload = (TextRow | ButtonAnswer | ButtonsCleared | Card | CardEdit | Note | CardAlbum
              | PhotosRow | DigestImages)

_PAYLOADS: dict[RowKind, Any] = {
    cls.KIND: cls for cls in (TextRow, ButtonAnswer, ButtonsCleared, Card, CardEdit, Note,
                              CardAlbum, PhotosRow, DigestImages)}


def read_row(method: str, payload: Any) -> RowPayload:
    """A stored row's payload as its kind's dataclass; BadOutboxRow when either cannot be
    read."""
    read: RowPayload = _PAYLOADS[row_kind(method)].from_json(payload)
    return read


# -- what a platform is asked to do ---------------------------------------------------------

@dataclass(frozen=True)
class ResidentTerms:
    """What a send to a resident's chat carries for its platform, added by delivery when
    it goes out (``delivery.resident_sends``): on Messenger when the resident last wrote
    (the 24-hour window) and whether these are an officer's own words (HUMAN_AGENT); on
    Zalo how the send is counted (``billing``) and the resident's message it quotes."""

    last_user_message_at: float | None = None
    officer_words: bool = False
    billing: str | None = None
    quote_message_id: str | None = None


@dataclass(frozen=True)
class Text:
    """Send a text with its buttons (``reply_to``: under that message)."""

    message: OutgoingMessage
    reply_to: str | None = None
    terms: ResidentTerms = field(default_factory=ResidentTerms)


@dataclass(frozen=True)
class Edit:
    """Edit a message the bot sent (a card) into ``message``."""

    message_id: str
    message: OutgoingMessage


@dataclass(frozen=True)
class Album:
    """Send files from the media store (each item's ``path`` set), with a caption, under
    ``reply_to``."""

    items: tuple[MediaItem, ...]
    caption: str | None = None
    reply_to: str | None = None
    terms: ResidentTerms = field(default_factory=ResidentTerms)

    def to_json(self) -> dict[str, Any]:
        """As kept in a row ahead of its send (``delivery.warming``)."""
        return {"items": [item.to_json() for item in self.items], "caption": self.caption,
                "reply_to": self.reply_to}

    @classmethod
    def from_json(cls, data: Any) -> Album:
        data = _mapping(data, RowKind.PHOTOS)
        reply_to = data.get("reply_to")
        return cls(_items(data, RowKind.PHOTOS),
                   _text(data, "caption", RowKind.PHOTOS, optional=True),
                   str(reply_to) if reply_to else None)


#: What an adapter is asked to do for one row.
Send = Text | Edit | Album | ButtonAnswer | ButtonsCleared

