"""SQLModel tables. The schema changes only through Alembic migrations (``sosbot migrate``)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC as a naive timestamp (SQLite has no time zones) and returns aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is UTC:  # the usual case, and the cheap one
            return value.replace(tzinfo=None)
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _time(*, index: bool = False, nullable: bool = False) -> Any:
    # No default: every writer sets its times from the clock it was given.
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


def _json(nullable: bool = False) -> Any:
    return Field(default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=nullable))


class Reporter(SQLModel, table=True):
    """A resident as one platform knows them."""

    __tablename__ = "reporter"
    __table_args__ = (sa.UniqueConstraint("channel", "platform_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    platform_user_id: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=256)
    username: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    lang: str = Field(default="vi", max_length=8)
    created_at: datetime = _time()
    # The command centre's block list (/block, /unblock): a blocked resident's messages are
    # answered with a refusal and never become reports.
    blocked_at: datetime | None = _time(nullable=True)
    blocked_by: str | None = Field(default=None, max_length=128)
    blocked_reason: str | None = Field(default=None, max_length=256)
    # Set when ``sosbot purge`` removed this resident's personal data (retention).
    purged_at: datetime | None = _time(nullable=True)
    # When the platform's profile was asked for the display name (Zalo's webhooks carry
    # none): asked once per resident, whatever the answer.
    profile_checked_at: datetime | None = _time(nullable=True)


class Conversation(SQLModel, table=True):
    """The state of one resident chat; ``state`` is the core ConversationState as JSON."""

    __tablename__ = "conversation"
    __table_args__ = (
        sa.UniqueConstraint("channel", "chat_id"),
        sa.Index("ix_conversation_draft_activity", "has_draft", "last_activity_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    reporter_id: int | None = Field(default=None, foreign_key="reporter.id")
    state: dict[str, Any] = _json()
    has_draft: bool = Field(default=False)
    last_activity_at: datetime | None = _time(nullable=True)
    updated_at: datetime = _time()


class InboundEvent(SQLModel, table=True):
    """Every platform event we accepted, and the intake's journal: the unique key makes
    retried deliveries no-ops, ``processed_at`` is set once its conversation step (or group
    event) is committed (``intake.journal``); a row without it is replayed."""

    __tablename__ = "inbound_event"
    __table_args__ = (
        sa.UniqueConstraint("channel", "event_id"),
        # A resident chat's messages in the current minute (intake/inbound_rate.py).
        sa.Index("ix_inbound_event_chat", "channel", "chat_id", "received_at"),
        # The journal's rows still to process: few, whatever the table's size.
        sa.Index("ix_inbound_event_unprocessed", "id",
                 postgresql_where=sa.text("processed_at IS NULL"),
                 sqlite_where=sa.text("processed_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    event_id: str = Field(max_length=128)
    kind: str = Field(max_length=64)
    chat_id: str | None = Field(default=None, max_length=64)
    received_at: datetime = _time()
    payload: dict[str, Any] = _json()
    processed_at: datetime | None = _time(nullable=True)


class ReportCounter(SQLModel, table=True):
    """The last report number used in a year: SOS-YYNNNN codes come from here."""

    __tablename__ = "report_counter"

    year: int = Field(primary_key=True)
    last: int = Field(default=0)


class Report(SQLModel, table=True):
    __tablename__ = "report"
    __table_args__ = (
        # The near-duplicate probe of every new report: its category in a band of latitudes.
        sa.Index("ix_report_category_lat", "category", "lat"),
        # A resident's recent reports (the hourly limit, their last ward).
        sa.Index("ix_report_chat", "channel", "chat_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    reporter_id: int | None = Field(default=None, foreign_key="reporter.id", index=True)
    category: str = Field(max_length=16, index=True)
    status: str = Field(max_length=16, index=True)
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    location_source: str | None = Field(default=None, max_length=16)
    location_label: str | None = Field(default=None, max_length=512)
    address_text: str | None = Field(default=None, max_length=512)
    description: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    lang: str = Field(default="vi", max_length=8)
    phone: str | None = Field(default=None, max_length=32)
    ward_code: str | None = Field(default=None, max_length=16, index=True)
    ward_name: str | None = Field(default=None, max_length=128)
    # How the ward was found: inside, boundary, nearest, outside, geocoded, unknown.
    location_how: str | None = Field(default=None, max_length=16)
    duplicate_of_id: int | None = Field(default=None, foreign_key="report.id", index=True)
    duplicates: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    escalation_level: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = _time(index=True)
    updated_at: datetime = _time()
    # Set when ``sosbot purge`` anonymised the report (statistics stay, personal data goes).
    purged_at: datetime | None = _time(nullable=True)


class MediaStatus(StrEnum):
    """Where a media row is: the values stored in ``media.status`` (a StrEnum, so a member
    is the very string stored)."""

    PENDING = "pending"  # to download
    STORED = "stored"  # in the media store (``sha256``)
    FAILED = "failed"  # could not be downloaded or was refused: the card counts it missing
    LEFT_OUT = "left_out"  # over the report's total size: not stored, the card says so
    PURGED = "purged"  # retention ran out (``storage.purge``)


class Media(SQLModel, table=True):
    """A photo/video/file: what the platform told us, then what we stored."""

    __tablename__ = "media"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int | None = Field(default=None, foreign_key="report.id", index=True)
    channel: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    platform_file_id: str = Field(max_length=1024)
    unique_id: str | None = Field(default=None, max_length=128)
    claimed_mime: str | None = Field(default=None, max_length=128)
    claimed_size: int | None = None
    file_name: str | None = Field(default=None, max_length=256)
    status: str = Field(default=MediaStatus.PENDING.value, max_length=16, index=True)
    attempts: int = 0
    sha256: str | None = Field(default=None, max_length=64, index=True)
    size: int | None = None
    mime: str | None = Field(default=None, max_length=128)
    error: str | None = Field(default=None, max_length=512)
    created_at: datetime = _time()
    next_try_at: datetime | None = _time(nullable=True)
    stored_at: datetime | None = _time(nullable=True)


class Outbox(SQLModel, table=True):
    """One message to send, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_status_due", "status", "not_before"),
        # A chat's next row: its pending rows by priority, then in the order written.
        sa.Index("ix_outbox_chat_next", "channel", "chat_id", "status", "priority", "id"),
        # A bulletin reaches each subscriber's chat at most once.
        sa.Index("ux_outbox_bulletin_chat", "bulletin_id", "channel", "chat_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    method: str = Field(max_length=32)
    payload: dict[str, Any] = _json()
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    report_id: int | None = Field(default=None, foreign_key="report.id", index=True)
    not_before: datetime = _time()
    created_at: datetime = _time()
    enqueued_at: datetime | None = _time(nullable=True)
    sent_at: datetime | None = _time(nullable=True)
    platform_message_id: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, max_length=512)
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id", index=True)
    bulletin_id: int | None = Field(default=None, foreign_key="bulletin.id", index=True)
    # The send attempt is recorded (and committed) before the platform is called, so a
    # worker that dies between the call and the commit leaves a trace to reconcile from.
    attempt_started_at: datetime | None = _time(nullable=True)
    idempotency_key: str | None = Field(default=None, max_length=64)
    # 0 (URGENT) goes before 1 (ROUTINE) in its chat: storage.outbox, "Priority".
    priority: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # A core.model.Destination: a resident's chat or a police group chat. Written by every
    # producer (storage.outbox.add has no default for it); read by delivery and adapters.
    destination: str = Field(sa_column=sa.Column(sa.String(16), nullable=False,
                                                 server_default="resident"))


class Binding(SQLModel, table=True):
    """A group chat bound to a ward, a department, the command centre or the escalation chat."""

    __tablename__ = "binding"
    __table_args__ = (sa.UniqueConstraint("channel", "chat_id"),
                      sa.Index("ix_binding_target", "target_kind", "target_code", "status"))

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    target_kind: str = Field(max_length=16)  # ward, department, command, escalation
    target_code: str = Field(max_length=32)
    title: str = Field(default="", max_length=256)
    status: str = Field(default="active", max_length=16)  # active, dead
    bound_by: str = Field(default="", max_length=128)
    bound_at: datetime = _time()
    dead_at: datetime | None = _time(nullable=True)
    dead_reason: str | None = Field(default=None, max_length=256)


class BindingCode(SQLModel, table=True):
    """A one-time code an administrator hands to officers to bind their group."""

    __tablename__ = "binding_code"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    target_kind: str = Field(max_length=16)
    target_code: str = Field(max_length=32)
    created_at: datetime = _time()
    expires_at: datetime = _time()
    used_at: datetime | None = _time(nullable=True)
    used_chat: str | None = Field(default=None, max_length=96)


class Delivery(SQLModel, table=True):
    """One report to one target chat: its card, and that target's acknowledgement."""

    __tablename__ = "delivery"
    __table_args__ = (sa.UniqueConstraint("report_id", "channel", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    role: str = Field(max_length=16)  # ward, department, command, escalation
    target_code: str = Field(max_length=32)
    binding_id: int | None = Field(default=None, foreign_key="binding.id")
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=16)  # pending, sent, failed
    card_message_id: str | None = Field(default=None, max_length=64)
    album_message_ids: list[str] = Field(default_factory=list,
                                         sa_column=sa.Column(sa.JSON(), nullable=False))
    ack_state: str = Field(default="new", max_length=16)
    acked_by: str | None = Field(default=None, max_length=256)
    acked_at: datetime | None = _time(nullable=True)
    escalation_level: int = 0
    created_at: datetime = _time()
    sent_at: datetime | None = _time(nullable=True)
    last_error: str | None = Field(default=None, max_length=512)


class Ack(SQLModel, table=True):
    """An officer's action on a report in a target chat: who, what, when, where."""

    __tablename__ = "ack"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id", index=True)
    action: str = Field(max_length=16)  # acknowledged, in_progress, resolved, false_report
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    user_id: str = Field(max_length=64)
    user_name: str = Field(default="", max_length=256)
    at: datetime = _time(index=True)


class PlatformToken(SQLModel, table=True):
    """Rotating platform credentials (Zalo's access/refresh pair), stored before use."""

    __tablename__ = "platform_token"

    channel: str = Field(primary_key=True, max_length=16)
    access_token: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    refresh_token: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    access_expires_at: datetime = _time()
    version: int = 0
    updated_at: datetime = _time()


class AuditLog(SQLModel, table=True):
    """What happened to a report, who did it and when; rows are only ever appended."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _time(index=True)
    actor: str = Field(max_length=128)
    action: str = Field(max_length=64)
    report_id: int | None = Field(default=None, foreign_key="report.id", index=True)
    detail: dict[str, Any] = _json()
    # Tamper evidence: each row's hash covers its content and the previous row's hash.
    prev_hash: str | None = Field(default=None, max_length=64)
    row_hash: str | None = Field(default=None, max_length=64)


class Subscription(SQLModel, table=True):
    """A resident who asked for safety bulletins: city-wide or for one ward."""

    __tablename__ = "subscription"
    __table_args__ = (sa.UniqueConstraint("channel", "chat_id"),
                      sa.Index("ix_subscription_scope", "active", "scope", "ward_code"))

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    reporter_id: int | None = Field(default=None, foreign_key="reporter.id", index=True)
    scope: str = Field(default="city", max_length=8)  # city, ward
    ward_code: str | None = Field(default=None, max_length=16)
    ward_name: str | None = Field(default=None, max_length=128)
    lang: str = Field(default="vi", max_length=8)
    active: bool = Field(default=True)
    created_at: datetime = _time()
    updated_at: datetime = _time()


class Bulletin(SQLModel, table=True):
    """A safety bulletin from the command centre to subscribers, and how its sending went."""

    __tablename__ = "bulletin"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _time(index=True)
    created_by: str = Field(max_length=128)
    ward_code: str | None = Field(default=None, max_length=16)  # None: the whole city
    ward_name: str | None = Field(default=None, max_length=128)
    text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    media_sha256: str | None = Field(default=None, max_length=64)
    status: str = Field(default="draft", max_length=16)  # draft, sending, done, cancelled
    total: int = 0
    skipped_at_start: int = 0
    origin_channel: str | None = Field(default=None, max_length=16)
    origin_chat_id: str | None = Field(default=None, max_length=64)
    progress_posted: int = 0  # the last progress step (in %) posted back to the origin chat
    started_at: datetime | None = _time(nullable=True)
    finished_at: datetime | None = _time(nullable=True)


class PlaceLookup(SQLModel, table=True):
    """A typed place looked up for a conversation in a worker job (issue 20): the text, and
    the candidate wards found (``[{ward_code, ward_name, lat, lon, how, label}]``, best
    first), for the conversation to propose. ``status``: pending, done (the online geocoder
    answered or there is none) or offline (it was unavailable: the offline reading only)."""

    __tablename__ = "place_lookup"

    id: int | None = Field(default=None, primary_key=True)
    # Not a foreign key: a purged conversation takes its lookups with it (storage.purge).
    conversation_id: int = Field(index=True)
    query: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    status: str = Field(default="pending", max_length=16)
    candidates: list[dict[str, Any]] = Field(default_factory=list,
                                             sa_column=sa.Column(sa.JSON(), nullable=False))
    created_at: datetime = _time(index=True)
    done_at: datetime | None = _time(nullable=True)


class PlatformUsage(SQLModel, table=True):
    """Messages sent to residents in one month on one platform, by kind: on Zalo a free
    ``reply`` (within the resident's window), a ``proactive`` one (counted against the
    OA's quota); what the digest shows the command centre."""

    __tablename__ = "platform_usage"

    channel: str = Field(primary_key=True, max_length=16)
    month: str = Field(primary_key=True, max_length=7)  # 2026-12, UTC
    kind: str = Field(primary_key=True, max_length=16)
    sent: int = 0
