"""The common report model shared by every channel.

Platform payloads never reach past the adapters: they become these types, with the
platform's own ids kept as fields (never folded into text).
"""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Frozen(BaseModel):
    """Base for immutable value objects that round-trip through JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Channel(StrEnum):
    """A messaging platform sosbot speaks on."""

    TELEGRAM = "telegram"
    ZALO = "zalo"
    MESSENGER = "messenger"


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"


class Destination(StrEnum):
    """Who an outbox row goes to: a resident's own chat, or a police group chat.

    Stored on the row (``outbox.destination``) by the producer that writes it, and read by
    delivery and the adapters: a resident's message gets the platform's resident-side
    additions (location links, Messenger's window, Zalo's quote) and its failure tells the
    command centre the resident is out of reach; a group's never does. Zalo sends to a group
    through its group API and to a resident through its customer-service API.
    """

    RESIDENT = "resident"
    GROUP = "group"


class Category(StrEnum):
    """What kind of incident a report is about."""

    SECURITY = "security"
    TRAFFIC = "traffic"
    FIRE = "fire"
    OTHER = "other"


CATEGORY_EMOJI: dict[Category, str] = {
    Category.SECURITY: "🚨",
    Category.TRAFFIC: "🚗",
    Category.FIRE: "🔥",
    Category.OTHER: "❗",
}


class ReportStatus(StrEnum):
    """Life of a report: new → routed → acknowledged → in_progress → a final state."""

    NEW = "new"
    ROUTED = "routed"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    FALSE_REPORT = "false_report"
    DUPLICATE = "duplicate"


FINAL_STATUSES = frozenset(
    {ReportStatus.RESOLVED, ReportStatus.FALSE_REPORT, ReportStatus.DUPLICATE}
)


class MediaKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"
    DOCUMENT = "document"


class LocationSource(StrEnum):
    PIN = "pin"  # a location shared from the phone
    LIVE = "live"  # a live location (refined by later updates)
    VENUE = "venue"  # a named place picked in the app
    PAGE = "page"  # the project's one-time location page
    ADDRESS = "address"  # a typed address, geocoded later


class ChatRef(Frozen):
    """One chat on one platform, e.g. ``ChatRef(channel="telegram", chat_id="-100123")``."""

    channel: Channel
    chat_id: str
    kind: ChatKind = ChatKind.PRIVATE


class Sender(Frozen):
    """The platform user who sent an event."""

    user_id: str
    display_name: str = ""
    username: str | None = None
    language_code: str | None = None


class Location(Frozen):
    """A point in WGS84; ``accuracy_m`` is the radius the phone reported, if any."""

    lat: float
    lon: float
    accuracy_m: float | None = None
    source: LocationSource = LocationSource.PIN
    label: str | None = None  # venue title and address, when the platform gives one

    @field_validator("lat", "lon", "accuracy_m")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @property
    def in_range(self) -> bool:
        """True when the point is a possible place on Earth."""
        return -90.0 <= self.lat <= 90.0 and -180.0 <= self.lon <= 180.0


class MediaRef(Frozen):
    """A photo, video or file as the platform holds it, before we download it."""

    kind: MediaKind
    file_id: str  # the platform's handle for fetching the bytes (file_id, URL, …)
    unique_id: str | None = None  # stable across bots/time where the platform has one
    size: int | None = None  # as claimed by the platform, checked again on download
    claimed_mime: str | None = None  # never trusted: the media store sniffs the bytes
    file_name: str | None = None
    width: int | None = None
    height: int | None = None
    duration_s: int | None = None


class PlaceOption(Frozen):
    """A place the bot proposes for a typed one: a point inside its 2025 ward, what to call
    it, and how it was found (``gazetteer``, ``street-number``, ``ward-name``, ``district``,
    ``nominatim``). Only the resident's tap makes it the report's place."""

    ward_code: str
    ward_name: str  # "Phường Bến Thành"
    ward_name_en: str = ""
    lat: float
    lon: float
    label: str  # "Chợ Bến Thành", "5 Đường Nguyễn Huệ", "Phường Tây Thạnh (Quận Tân Phú cũ)"
    how: str = "gazetteer"

    @property
    def whole_ward(self) -> bool:
        """The option is a ward, not a point in it (an old district, a ward's name)."""
        return self.how in ("district", "ward-name")


class Draft(Frozen):
    """What a resident has told us so far about an incident not yet submitted."""

    category: Category | None = None
    location: Location | None = None
    location_message_id: str | None = None  # for live-location refinements
    live_until_epoch: float | None = None
    address_text: str | None = None
    description: str = ""
    media: tuple[MediaRef, ...] = ()
    album_ids: tuple[str, ...] = ()
    media_dropped: int = Field(default=0, ge=0)  # beyond the per-report limit, not kept
    media_asked: bool = False
    description_asked: bool = False
    # The category was read from the resident's words, not picked: shown, not yet confirmed.
    category_guessed: bool = False
    # A typed place awaiting the resident's choice: the words, and the places proposed.
    place_query: str | None = None
    place_options: tuple[PlaceOption, ...] = ()
    # The typed place the worker is looking up online (its answer is matched by the words).
    place_lookup: str | None = None

    @property
    def has_place(self) -> bool:
        return self.location is not None or bool(self.address_text)


class SubmittedReport(Frozen):
    """The resident's latest submitted report, kept for extras and live refinements."""

    code: str
    submitted_at_epoch: float
    location_message_id: str | None = None
    live_until_epoch: float | None = None
    album_ids: tuple[str, ...] = ()
    extra_media: int = Field(default=0, ge=0)  # added in the extras window
    extra_media_dropped: int = Field(default=0, ge=0)  # beyond the limit there, not kept


class PendingQuestion(Frozen):
    """An officer's question the resident's next message answers."""

    code: str
    until_epoch: float


class Stage(StrEnum):
    """Which question the bot last asked."""

    IDLE = "idle"
    CATEGORY = "category"
    LOCATION = "location"
    PLACE = "place"  # a typed place was proposed back: the resident confirms or changes it
    DESCRIPTION = "description"
    MEDIA = "media"
    CONFIRM = "confirm"


class ConversationState(Frozen):
    """Everything the conversation needs to remember between two messages."""

    lang: str = "vi"
    stage: Stage = Stage.IDLE
    draft: Draft | None = None
    last_activity_epoch: float | None = None
    last_report: SubmittedReport | None = None
    phone: str | None = None
    reply_keyboard: bool = False  # a location/contact keyboard is showing
    offered: tuple[str, ...] = ()  # values of the last choices shown, for typed numbers
    question: PendingQuestion | None = None
    reports_submitted: int = Field(default=0, ge=0)
    subscribed: str | None = None  # safety bulletins: "city", "ward" or None


class Report(Frozen):
    """A stored report as every part of the system sees it (cards, digests, the API)."""

    code: str
    category: Category
    status: ReportStatus
    channel: Channel
    chat_id: str
    lang: str = "vi"
    location: Location | None = None
    address_text: str | None = None
    description: str = ""
    reporter_name: str = ""
    phone: str | None = None
    ward_code: str | None = None
    media_count: int = 0
    media_missing: int = 0
    media_left_out: int = 0  # beyond the report's total size limit, not stored
    created_at_epoch: float
