"""Reports, their media rows and their audit trail."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from sosbot.core.model import (
    Category,
    Channel,
    Draft,
    Location,
    LocationSource,
    MediaRef,
    ReportStatus,
)
from sosbot.core.model import Report as CoreReport
from sosbot.core.sanitize import truncate
from sosbot.storage import audit as audit_chain
from sosbot.storage.driver_statements import DriverStatement, flushed
from sosbot.storage.tables import Delivery, Media, MediaStatus, Report, ReportCounter, Reporter

LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_DESCRIPTION = 8000


@cache
def _next_number(dialect: str) -> DriverStatement:
    """The counter's upsert, built once per dialect on the table (not the ORM class: no ORM
    bulk-insert machinery for one row), run on the driver's cursor."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table: sa.Table = ReportCounter.__table__  # type: ignore[attr-defined]
    return DriverStatement(insert(table).values(
        year=sa.bindparam("year"), last=1).on_conflict_do_update(
        index_elements=["year"], set_={"last": table.c.last + 1}).returning(table.c.last))


def next_code(session: Session, now: datetime) -> str:
    """The next report code of the (local) year: SOS-260001, SOS-260002, …

    One atomic upsert on the year's counter row, so two processes never get the same code.
    """
    year = now.astimezone(LOCAL_TIME).year % 100
    connection = flushed(session)
    found = _next_number(connection.dialect.name).first(connection, {"year": year})
    assert found is not None
    return f"SOS-{year:02d}{int(found[0]):04d}"


_REPORT_TABLE: sa.Table = Report.__table__  # type: ignore[attr-defined]
_REPORT_COLUMNS = tuple(column.name for column in _REPORT_TABLE.columns if column.name != "id")
# A new report's row: one INSERT on the driver (storage.driver_statements), not the ORM's
# flush; the object then joins the session as a stored row, so what routing changes on it
# is written as the ORM writes any change.
_INSERT_REPORT = DriverStatement(sa.insert(_REPORT_TABLE).values(
    {name: sa.bindparam(name) for name in _REPORT_COLUMNS}).returning(_REPORT_TABLE.c.id))


def _store_new(session: Session, report: Report) -> None:
    """Insert ``report`` (a new object) and make it the session's object of its row."""
    found = _INSERT_REPORT.first(flushed(session),
                                 {name: getattr(report, name) for name in _REPORT_COLUMNS})
    assert found is not None
    report.id = int(found[0])
    make_transient_to_detached(report)
    session.add(report)


def audit(session: Session, *, actor: str, action: str, now: datetime,
          report_id: int | None = None, **detail: Any) -> None:
    """Append to the tamper-evident audit log at commit (see storage/audit.py); ``detail``
    never holds personal data."""
    audit_chain.record(session, actor=actor, action=action, now=now, report_id=report_id,
                       detail=detail)


def add_media(session: Session, *, channel: str, report_id: int | None,
              refs: tuple[MediaRef, ...], now: datetime) -> list[int]:
    """Media rows waiting for download; returns their ids."""
    if not refs:
        return []
    rows = [
        Media(report_id=report_id, channel=channel, kind=ref.kind.value,
              platform_file_id=ref.file_id, unique_id=ref.unique_id,
              claimed_mime=ref.claimed_mime, claimed_size=ref.size,
              file_name=ref.file_name, created_at=now)
        for ref in refs
    ]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows if row.id is not None]


@dataclass(frozen=True)
class NewReport:
    report: Report
    media_ids: list[int]


def create_report(session: Session, *, channel: str, chat_id: str, reporter_id: int | None,
                  draft: Draft, lang: str, phone: str | None, now: datetime,
                  actor: str, place: Callable[[Report], None] | None = None) -> NewReport:
    """Store a complete draft as a new report with its media rows and an audit entry;
    ``place`` sets its ward before it is written (one write instead of two)."""
    assert draft.category is not None, "the conversation submits complete drafts only"
    loc = draft.location
    report = Report(
        code=next_code(session, now), channel=channel, chat_id=chat_id,
        reporter_id=reporter_id, category=draft.category.value,
        status=ReportStatus.NEW.value,
        lat=loc.lat if loc else None, lon=loc.lon if loc else None,
        accuracy_m=loc.accuracy_m if loc else None,
        location_source=loc.source.value if loc else "address",
        location_label=truncate(loc.label, 512) if loc and loc.label else None,
        address_text=draft.address_text, description=draft.description, lang=lang,
        phone=phone, created_at=now, updated_at=now,
    )
    if place is not None:
        place(report)
    _store_new(session, report)
    assert report.id is not None
    media_ids = add_media(session, channel=channel, report_id=report.id, refs=draft.media,
                          now=now)
    audit(session, actor=actor, action="report.created", now=now, report_id=report.id,
          code=report.code, category=report.category, media=len(media_ids))
    return NewReport(report=report, media_ids=media_ids)


def by_code(session: Session, code: str, *, lock: bool = False) -> Report | None:
    query = select(Report).where(Report.code == code)
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def add_extras(session: Session, report: Report, *, text: str, refs: tuple[MediaRef, ...],
               now: datetime, actor: str) -> list[int]:
    """Text and media a resident sent after submitting, added to their report."""
    assert report.id is not None
    if text:
        stamp = now.astimezone(LOCAL_TIME).strftime("%H:%M")
        joined = f"{report.description}\n[{stamp}] {text}" if report.description else text
        report.description = truncate(joined, MAX_DESCRIPTION)
    media_ids = add_media(session, channel=report.channel, report_id=report.id, refs=refs,
                          now=now)
    report.updated_at = now
    audit(session, actor=actor, action="report.extra", now=now, report_id=report.id,
          text=bool(text), media=len(media_ids))
    return media_ids


def refine_location(session: Session, report: Report, location: Location, now: datetime,
                    actor: str) -> None:
    report.lat, report.lon = location.lat, location.lon
    report.accuracy_m = location.accuracy_m
    report.location_source = location.source.value
    report.updated_at = now
    audit(session, actor=actor, action="report.location_refined", now=now,
          report_id=report.id)


def to_core(row: Report | sa.Row[Any], *, reporter_name: str = "", media_count: int = 0,
            media_missing: int = 0, media_left_out: int = 0) -> CoreReport:
    """The core model of a stored report."""
    location = None
    if row.lat is not None and row.lon is not None:
        location = Location(lat=row.lat, lon=row.lon, accuracy_m=row.accuracy_m,
                            source=LocationSource(row.location_source or "pin"),
                            label=row.location_label)
    return CoreReport(
        code=row.code, category=Category(row.category), status=ReportStatus(row.status),
        channel=Channel(row.channel), chat_id=row.chat_id, lang=row.lang, location=location,
        address_text=row.address_text, description=row.description,
        reporter_name=reporter_name, phone=row.phone, ward_code=row.ward_code,
        media_count=media_count, media_missing=media_missing, media_left_out=media_left_out,
        created_at_epoch=row.created_at.timestamp(),
    )


def list_reports(session: Session, limit: int = 1000) -> list[CoreReport]:
    media_count = (
        select(sa.func.count(Media.id))  # type: ignore[arg-type]
        .where(Media.report_id == Report.id).scalar_subquery()
    )
    media_missing = (
        select(sa.func.count(Media.id))  # type: ignore[arg-type]
        .where(Media.report_id == Report.id, Media.status == MediaStatus.FAILED).scalar_subquery()
    )
    rows = session.execute(
        select(Report, media_count, media_missing)
        .order_by(Report.created_at.desc())  # type: ignore[attr-defined]
        .limit(limit)
    ).all()
    return [to_core(r, media_count=int(n), media_missing=int(missing))
            for r, n, missing in rows]


def media_of(session: Session, report_id: int) -> list[Media]:
    return media_of_reports(session, [report_id]).get(report_id, [])


def media_of_reports(session: Session, report_ids: Sequence[int]) -> dict[int, list[Media]]:
    """Each report's media, oldest first, in one query for all of them."""
    found: dict[int, list[Media]] = {}
    if not report_ids:
        return found
    for media in session.exec(select(Media).where(col(Media.report_id).in_(report_ids))
                              .order_by(col(Media.id))).all():
        if media.report_id is not None:
            found.setdefault(media.report_id, []).append(media)
    return found


def by_ids(session: Session, report_ids: Sequence[int]) -> dict[int, Report]:
    """Reports by id, in one query."""
    if not report_ids:
        return {}
    return {r.id: r for r in session.exec(select(Report).where(
        col(Report.id).in_(report_ids))).all() if r.id is not None}


_MEDIA: sa.Table = Media.__table__  # type: ignore[attr-defined]
_MEDIA_STATES = sa.select(_MEDIA.c.id, _MEDIA.c.status).where(
    _MEDIA.c.report_id == sa.bindparam("report_id")).order_by(_MEDIA.c.id)


_REPORT: sa.Table = Report.__table__  # type: ignore[attr-defined]
_REPORTER: sa.Table = Reporter.__table__  # type: ignore[attr-defined]


def _media_counted(*statuses: MediaStatus) -> Any:
    counted = sa.select(sa.func.count()).select_from(_MEDIA).where(
        _MEDIA.c.report_id == _REPORT.c.id)
    if statuses:
        counted = counted.where(_MEDIA.c.status.in_([s.value for s in statuses]))
    return counted.scalar_subquery()


_DELIVERY: sa.Table = Delivery.__table__  # type: ignore[attr-defined]
_OF_CARD = _DELIVERY.alias("of_card")


@dataclass(frozen=True)
class CardTarget:
    """A delivery of the report a card shows, as the card reads it (read with the report:
    see :func:`card_read`)."""

    id: int
    report_id: int
    role: str
    target_code: str
    binding_id: int | None
    channel: str
    chat_id: str
    status: str
    card_message_id: str | None
    ack_state: str
    acked_by: str | None
    acked_at: datetime | None


_TARGET_FIELDS = tuple(field.name for field in fields(CardTarget))

# A card's report and every delivery of it, in one statement: each row a delivery (its
# columns named ``target_…``) with the report's columns, its reporter's name and its media
# counted, oldest delivery first.
_CARD_READ = DriverStatement(sa.select(
    *(_DELIVERY.c[name].label(f"target_{name}") for name in _TARGET_FIELDS),
    _REPORT,
    sa.select(_REPORTER.c.display_name).where(_REPORTER.c.id == _REPORT.c.reporter_id)
    .scalar_subquery().label("reporter_name"),
    _media_counted().label("media_count"),
    _media_counted(MediaStatus.FAILED).label("media_missing"),
    _media_counted(MediaStatus.LEFT_OUT).label("media_left_out"),
).select_from(_DELIVERY.join(_REPORT, _REPORT.c.id == _DELIVERY.c.report_id)).where(
    _DELIVERY.c.report_id == sa.select(_OF_CARD.c.report_id).where(
        _OF_CARD.c.id == sa.bindparam("delivery_id")).scalar_subquery()
).order_by(_DELIVERY.c.id), named=True)  # (on the driver's cursor: storage.driver_statements)


def card_read(bind: sa.Connection,
              delivery_id: int) -> tuple[Any, list[CardTarget]] | None:
    """What the card of delivery ``delivery_id`` shows, in one Core statement (no ORM
    objects): its report as a plain row (its columns, ``reporter_name``, ``media_count``,
    ``media_missing`` (failed) and ``media_left_out``) and every delivery of the report,
    oldest first (the card's own among them). None when the delivery or its report is
    gone."""
    rows = _CARD_READ.rows(bind, {"delivery_id": delivery_id})
    if not rows:
        return None
    width = len(_TARGET_FIELDS)  # the delivery's columns lead each row
    targets = [CardTarget(*row[:width]) for row in rows]
    return rows[0], targets


def stored_bytes(session: Session, report_id: int) -> int:
    """The total size of a report's stored media."""
    total = session.execute(sa.select(sa.func.coalesce(sa.func.sum(_MEDIA.c.size), 0)).where(
        _MEDIA.c.report_id == report_id, _MEDIA.c.status == MediaStatus.STORED)).scalar_one()
    return int(total)


def media_states(session: Session, report_id: int) -> list[tuple[int, str]]:
    """(id, status) of a report's media, oldest first: one light query for every report."""
    return [(int(i), str(status)) for i, status in
            session.execute(_MEDIA_STATES, {"report_id": report_id})]
