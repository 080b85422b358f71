"""Retention: personal data older than the cut-off is removed; statistics stay.

What goes, for reports created before the cut-off: the phone number, the description, the
place as typed or labelled, the resident's chat id; the pin is rounded to 0.01° (about
1.1 km) — the ward stays exact. Their media files leave the store (the rows keep the
SHA-256, so a copy held as evidence elsewhere can still be matched); the platform file ids,
which could fetch the file again, are blanked.

Residents (reporters) with nothing newer than the cut-off — no report, no conversation, no
active bulletin subscription — lose their name, username and phone; their platform id is
replaced by a pseudonym, so a returning resident starts afresh, unlinked (a blocked one
keeps theirs: the block must hold). Conversations idle since before the cut-off, inbound
platform payloads and the texts of sent messages from before it are removed.

What stays: category, ward, status, times, deliveries and acknowledgements — everything the
digest and the statistics count — and the audit log, which never holds personal data and
so is never rewritten (its hash chain stays whole).

Work goes in batches of one transaction each; running it again does nothing new.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult, Engine
from sqlmodel import Session, col, select

from sosbot.storage.db import transaction
from sosbot.storage.media_scrub import OutgoingMedia
from sosbot.storage.media_store import MediaStore
from sosbot.storage.outbox import OutboxStatus
from sosbot.storage.tables import (
    Bulletin,
    Conversation,
    InboundEvent,
    Media,
    MediaStatus,
    Outbox,
    PlaceLookup,
    Report,
    Reporter,
    Subscription,
)

log = logging.getLogger(__name__)

PURGED = "purged"
COORDINATE_DECIMALS = 2  # 0.01° ≈ 1.1 km at Ho Chi Minh City's latitude
BATCH = 500


@dataclass
class PurgeSummary:
    """What a purge changed (or, in a dry run, would change)."""

    reports: int = 0
    media_rows: int = 0
    media_files: int = 0
    reporters: int = 0
    conversations: int = 0
    subscriptions: int = 0
    inbound_events: int = 0
    outbox_rows: int = 0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        verb = "would be" if self.dry_run else ""
        return [f"{label}: {value} {verb}".rstrip() for label, value in (
            ("reports anonymised", self.reports),
            ("media rows marked purged", self.media_rows),
            ("media files deleted", self.media_files),
            ("residents anonymised", self.reporters),
            ("conversations deleted", self.conversations),
            ("ended subscriptions deleted", self.subscriptions),
            ("inbound platform events deleted", self.inbound_events),
            ("sent message texts removed", self.outbox_rows),
        )] + self.notes


def _reports_due(cutoff: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(col(Report.created_at) < cutoff, col(Report.purged_at).is_(None))


def _reporters_due(cutoff: datetime) -> sa.ColumnElement[bool]:
    recent_report = sa.exists().where(col(Report.reporter_id) == col(Reporter.id),
                                      col(Report.created_at) >= cutoff)
    recent_talk = sa.exists().where(col(Conversation.reporter_id) == col(Reporter.id),
                                    col(Conversation.updated_at) >= cutoff)
    subscribed = sa.exists().where(col(Subscription.reporter_id) == col(Reporter.id),
                                   col(Subscription.active).is_(True))
    return sa.and_(col(Reporter.purged_at).is_(None), col(Reporter.created_at) < cutoff,
                   ~recent_report, ~recent_talk, ~subscribed)


def _outbox_due(cutoff: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(col(Outbox.created_at) < cutoff, col(Outbox.status) != OutboxStatus.PENDING,
                   ~col(Outbox.chat_id).startswith(f"{PURGED}:"))


def _count(session: Session, model: type, where: sa.ColumnElement[bool]) -> int:
    return int(session.execute(select(sa.func.count()).select_from(model).where(where))
               .scalar_one())


def plan(engine: Engine, cutoff: datetime, store: MediaStore | None) -> PurgeSummary:
    """What :func:`purge` would do, changing nothing."""
    summary = PurgeSummary(dry_run=True)
    with transaction(engine) as session:
        summary.reports = _count(session, Report, _reports_due(cutoff))
        due_ids = select(Report.id).where(_reports_due(cutoff))
        summary.media_rows = _count(session, Media, sa.and_(
            col(Media.report_id).in_(due_ids), col(Media.status) != MediaStatus.PURGED))
        summary.reporters = _count(session, Reporter, _reporters_due(cutoff))
        summary.conversations = _count(session, Conversation,
                                       col(Conversation.updated_at) < cutoff)
        summary.inbound_events = _count(session, InboundEvent,
                                        col(InboundEvent.received_at) < cutoff)
        summary.outbox_rows = _count(session, Outbox, _outbox_due(cutoff))
        hashes = session.execute(select(Media.sha256).distinct().where(
            col(Media.report_id).in_(due_ids), col(Media.sha256).is_not(None))).scalars().all()
    if store is not None:
        summary.media_files = sum(1 for h in hashes if h and store.path_for(h).exists())
    return summary


def purge(engine: Engine, cutoff: datetime, now: datetime,
          store: MediaStore | None) -> PurgeSummary:
    """Remove personal data from before ``cutoff``; see the module's docstring."""
    summary = PurgeSummary()
    while _purge_report_batch(engine, cutoff, now, summary):
        pass
    while _purge_reporter_batch(engine, cutoff, now, summary):
        pass
    with transaction(engine) as session:
        summary.conversations = _delete(session, Conversation,
                                        col(Conversation.updated_at) < cutoff)
        # A typed place is the resident's words: it goes with the rest of their talk.
        _delete(session, PlaceLookup, col(PlaceLookup.created_at) < cutoff)
        summary.inbound_events = _delete(session, InboundEvent,
                                         col(InboundEvent.received_at) < cutoff)
        summary.outbox_rows = _changed(session, sa.update(Outbox).where(
            _outbox_due(cutoff)).values(
                payload={PURGED: True}, last_error=None,
                chat_id=sa.literal(f"{PURGED}:") + sa.cast(col(Outbox.id), sa.String)))
    if store is not None:
        # After the commit: a file goes only once no row still needs it. Files whose
        # deletion an earlier run did not finish are found again here.
        summary.media_files = _delete_files(engine, store)
    log.info("purge before %s: %s", cutoff.isoformat(), "; ".join(summary.lines()))
    return summary


def _changed(session: Session, statement: sa.Update | sa.Delete) -> int:
    """Run a bulk UPDATE/DELETE; how many rows it changed."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(cast(CursorResult[Any], result).rowcount)


def _delete(session: Session, model: type, where: sa.ColumnElement[bool]) -> int:
    return _changed(session, sa.delete(model).where(where))


def _purge_report_batch(engine: Engine, cutoff: datetime, now: datetime,
                        summary: PurgeSummary) -> bool:
    with transaction(engine) as session:
        rows = session.exec(select(Report).where(_reports_due(cutoff))
                            .order_by(col(Report.id)).limit(BATCH).with_for_update()).all()
        for report in rows:
            report.phone = None
            report.description = ""
            report.location_label = None
            report.address_text = None
            report.chat_id = PURGED
            if report.lat is not None and report.lon is not None:
                report.lat = round(report.lat, COORDINATE_DECIMALS)
                report.lon = round(report.lon, COORDINATE_DECIMALS)
            report.accuracy_m = None
            report.purged_at = now
        ids = [r.id for r in rows]
        if ids:
            summary.media_rows += _changed(session, sa.update(Media).where(
                col(Media.report_id).in_(ids)).values(
                    status=MediaStatus.PURGED, platform_file_id="", unique_id=None, file_name=None,
                    error=None))
        summary.reports += len(rows)
        return len(rows) == BATCH


def _purge_reporter_batch(engine: Engine, cutoff: datetime, now: datetime,
                          summary: PurgeSummary) -> bool:
    with transaction(engine) as session:
        rows = session.exec(select(Reporter).where(_reporters_due(cutoff))
                            .order_by(col(Reporter.id)).limit(BATCH).with_for_update()).all()
        for reporter in rows:
            reporter.display_name = ""
            reporter.username = None
            reporter.phone = None
            if reporter.blocked_at is None:
                reporter.platform_user_id = f"{PURGED}:{reporter.id}"
            reporter.purged_at = now
        ids = [r.id for r in rows]
        if ids:
            summary.subscriptions += _delete(session, Subscription, sa.and_(
                col(Subscription.reporter_id).in_(ids), col(Subscription.active).is_(False)))
            summary.conversations += _delete(session, Conversation,
                                             col(Conversation.reporter_id).in_(ids))
        summary.reporters += len(rows)
        return len(rows) == BATCH


def _delete_files(engine: Engine, store: MediaStore) -> int:
    with transaction(engine) as session:
        still_needed = select(Media.sha256).where(col(Media.status) != MediaStatus.PURGED,
                                                  col(Media.sha256).is_not(None))
        in_bulletins = select(Bulletin.media_sha256).where(
            col(Bulletin.media_sha256).is_not(None))
        hashes = session.execute(
            select(Media.sha256).distinct().where(
                col(Media.status) == MediaStatus.PURGED, col(Media.sha256).is_not(None),
                col(Media.sha256).not_in(still_needed),
                col(Media.sha256).not_in(in_bulletins))).scalars().all()
    outgoing = OutgoingMedia(store)
    deleted = 0
    for sha256 in hashes:
        if not sha256:
            continue
        path = store.path_for(sha256)
        if path.exists():
            path.unlink()
            deleted += 1
        outgoing.forget(sha256)
    return deleted
