"""Typed events: what adapters make of platform payloads, and the core's own clock events.

Every platform event keeps the platform's ids (``event_id`` for de-duplication,
``message_id`` for replies and edits) as fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from sosbot.core.model import ChatRef, Draft, Location, MediaRef, PlaceOption, Sender


@dataclass(frozen=True, kw_only=True)
class PlatformEvent:
    """Base of everything that arrives from a platform."""

    chat: ChatRef
    sender: Sender | None
    event_id: str  # unique per channel: the key for de-duplication
    message_id: str | None = None
    reply_to_message_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class TextReceived(PlatformEvent):
    text: str


@dataclass(frozen=True, kw_only=True)
class CommandReceived(PlatformEvent):
    """``/name args``; ``name`` is lower case, without the slash or ``@botname``;
    ``addressee`` is that bot name, lower case, when the command named one (Telegram's
    ``/ack@sos_antt_bot``), else empty."""

    name: str
    args: str = ""
    addressee: str = ""


@dataclass(frozen=True, kw_only=True)
class LocationReceived(PlatformEvent):
    location: Location
    live_period_s: int | None = None
    is_update: bool = False  # a live location moved (refines an earlier pin)


@dataclass(frozen=True, kw_only=True)
class MediaReceived(PlatformEvent):
    media: MediaRef
    caption: str = ""
    album_id: str | None = None  # items of one album arrive as separate events


@dataclass(frozen=True, kw_only=True)
class ContactShared(PlatformEvent):
    phone: str
    own: bool  # the contact is the sender's own number


@dataclass(frozen=True, kw_only=True)
class ButtonPressed(PlatformEvent):
    data: str
    callback_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class UnsupportedReceived(PlatformEvent):
    """A message kind the bot does not take (sticker, voice, poll, …)."""

    kind: str


@dataclass(frozen=True, kw_only=True)
class MembershipChanged(PlatformEvent):
    """The bot was added to or removed from a group."""

    joined: bool
    status: str = ""


@dataclass(frozen=True, kw_only=True)
class ChatMigrated(PlatformEvent):
    """A group became a supergroup with a new chat id."""

    new_chat_id: str


@dataclass(frozen=True, kw_only=True)
class Ignored(PlatformEvent):
    """Known but of no interest (edited text, service messages): logged, answered 200."""

    reason: str


@dataclass(frozen=True)
class ClockTick:
    """The passing of time: lets the conversation expire idle drafts."""


@dataclass(frozen=True)
class ReportSubmitted:
    """Storage created (and routing routed) the report; the conversation tells the resident.

    ``unit`` names the ward police it went to, per language; ``duplicate_of`` is the code
    of the open report this one was attached to; ``location_known`` is False when neither
    a pin nor the typed address gave a place. ``reached`` holds the kinds of chat the report
    went to (``ward``, ``department``, ``command``): empty when no group is bound for it, so
    the resident is not told it went anywhere; None when it was stored without routing.
    """

    code: str
    draft: Draft
    unit: dict[str, str] | None = None
    duplicate_of: str | None = None
    location_known: bool = True
    reached: frozenset[str] | None = None
    # Hours the platform lets us message the resident after their last message (Messenger's
    # 24), when updates may outlast it; None where no such window matters.
    reply_window_h: int | None = None


@dataclass(frozen=True)
class OfficerAsked:
    """An officer asked the resident a question about their report."""

    code: str
    question: str
    unit: dict[str, str]


@dataclass(frozen=True)
class SubscriptionChanged:
    """Storage carried out a ChangeSubscription.

    ``scope`` is what the chat now gets: ``city``, ``ward`` or ``off``; ``ward`` names the
    ward per language when ``scope`` is ``ward``; ``wanted_ward`` is True when the resident
    asked for their ward but no report of theirs had one (they get the city's bulletins);
    ``was_active`` tells whether bulletins were on before.
    """

    scope: str
    ward: dict[str, str] | None = None
    wanted_ward: bool = False
    was_active: bool = False


@dataclass(frozen=True)
class SubmitRefused:
    """Storage refused to file the draft: the resident sent too many reports lately."""

    draft: Draft
    limit: int
    retry_after_min: int


@dataclass(frozen=True)
class ReportLine:
    """One of the resident's reports as the status list shows it."""

    code: str
    category: str
    status: str
    submitted_at_epoch: float


@dataclass(frozen=True)
class ReportsListed:
    """Storage answered a ListReports: the resident's recent reports, newest first."""

    reports: tuple[ReportLine, ...]
    days: int


@dataclass(frozen=True)
class PlaceCandidatesFound:
    """The worker looked up a typed place (a LookUpPlace): the places found for ``query``,
    best first, offline and online together; ``online`` False when the online geocoder was
    unset or did not answer."""

    query: str
    options: tuple[PlaceOption, ...]
    online: bool


Event = (PlatformEvent | ClockTick | ReportSubmitted | OfficerAsked | SubscriptionChanged
         | SubmitRefused | ReportsListed | PlaceCandidatesFound)
