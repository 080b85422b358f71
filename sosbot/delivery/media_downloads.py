"""Residents' photos and videos fetched from their platform into the media store, with
bounded retries; when a report's last download is done, its albums are queued under its
cards."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session

from sosbot.core.errors import (
    MediaRefused,
    PermanentSendError,
    RateLimited,
    SendError,
    TemporarySendError,
)
from sosbot.delivery.context import JobContext
from sosbot.delivery.outcomes import DownloadOutcome
from sosbot.delivery.queueing import DOWNLOAD
from sosbot.delivery.sending import backoff_s
from sosbot.routing.fanout import queue_card_edits
from sosbot.routing.media_posts import queue_albums_if_ready
from sosbot.storage import outbox, reports
from sosbot.storage.db import transaction
from sosbot.storage.media_scrub import NotScrubbable, OutgoingMedia, ScrubFailed
from sosbot.storage.media_store import MediaRejected
from sosbot.storage.tables import Media, MediaStatus, Report

log = logging.getLogger(__name__)

def download(ctx: JobContext, media_id: int) -> DownloadOutcome | MediaStatus:
    """Fetch a resident's photo/video into the media store; bounded retries. Returns what
    the job did, or the status of a media row no longer pending."""
    now = ctx.clock()
    with transaction(ctx.engine) as session:
        media = session.get(Media, media_id, with_for_update=True)
        if media is None:
            return DownloadOutcome.MISSING
        if media.status != MediaStatus.PENDING:
            return MediaStatus(media.status)
        media.attempts += 1
        attempts, channel, file_id = media.attempts, media.channel, media.platform_file_id
    adapter = ctx.outbound.get(channel)
    try:
        if adapter is None:
            raise PermanentSendError(f"no adapter for channel {channel}")
        data = ctx.run(adapter.fetch_media(file_id))
    except (TemporarySendError, RateLimited) as exc:
        if attempts >= ctx.limits.media_attempts:
            return _media_failed(ctx, media_id, f"gave up after {attempts} attempts: {exc}")
        delay = exc.retry_after if isinstance(exc, RateLimited) else backoff_s(attempts)
        with transaction(ctx.engine) as session:
            row = session.get(Media, media_id)
            if row is not None:
                row.next_try_at = now + timedelta(seconds=delay)
                row.error = str(exc)[:512]
        ctx.dispatcher.later(DOWNLOAD, media_id, delay, attempt=attempts)
        log.warning("media %s: download failed (%s), retry %d in %.0fs", media_id, exc,
                    attempts, delay)
        return DownloadOutcome.RETRYING
    except MediaRefused as exc:
        # Not the platform's media host (issue 18): expected from forged payloads, so a
        # warning; the report goes on without this file.
        return _media_failed(ctx, media_id, f"{type(exc).__name__}: {exc}",
                             level=logging.WARNING)
    except SendError as exc:
        return _media_failed(ctx, media_id, f"{type(exc).__name__}: {exc}")
    return _store(ctx, media_id, data)


def _store(ctx: JobContext, media_id: int, data: bytes) -> DownloadOutcome | MediaStatus:
    """Store fetched bytes, within the report's total size: the report's row is locked
    while its stored media are summed and this file is written, so two workers storing
    the same report's photos at once cannot both pass the limit."""
    limit = ctx.conversation.max_media_bytes_per_report
    with transaction(ctx.engine) as session:
        found = session.get(Media, media_id)
        report = session.get(Report, found.report_id, with_for_update=True) \
            if found is not None and found.report_id is not None else None
        row = session.get(Media, media_id, with_for_update=True, populate_existing=True)
        if row is None or row.status != MediaStatus.PENDING:
            return MediaStatus(row.status) if row is not None else DownloadOutcome.MISSING
        used = reports.stored_bytes(session, report.id) \
            if report is not None and report.id is not None else 0
        if report is not None and used + len(data) > limit:
            outcome = DownloadOutcome.LEFT_OUT
            row.status = MediaStatus.LEFT_OUT
            row.error = (f"left out: over the report's total size limit ({used} bytes "
                         f"stored, this file {len(data)}, limit {limit})")
            log.warning("media %s left out: report %s has %d bytes stored, this file %d, "
                        "limit %d", media_id, report.code, used, len(data), limit)
            if report.id is not None:
                queue_card_edits(session, report.id, ctx.clock())  # the card says so
        else:
            try:
                stored = ctx.media_store.put(data)
            except MediaRejected as exc:
                log.error("media %s: %s: %s", media_id, type(exc).__name__, exc)
                outcome = DownloadOutcome.FAILED
                row.status, row.error = MediaStatus.FAILED, f"{type(exc).__name__}: {exc}"[:512]
            else:
                outcome = DownloadOutcome.STORED
                row.status, row.sha256, row.size, row.mime = MediaStatus.STORED, stored.sha256, \
                    stored.size, stored.mime
                row.stored_at, row.error = ctx.clock(), None
                log.info("media %s stored: %s (%s, %d bytes)", media_id, stored.sha256[:12],
                         stored.mime, stored.size)
        _post_when_complete(session, row, ctx)
        follow_up = outbox.take_added(session)
    ctx.dispatcher.outbox(follow_up)
    if outcome is DownloadOutcome.STORED:
        _scrub_ahead(ctx, stored.sha256, stored.mime)
    return outcome


def _scrub_ahead(ctx: JobContext, sha256: str, mime: str | None) -> None:
    """Make the copy fit to leave the system now, while no chat waits for it: the album
    queued under the cards finds it made (``OutgoingMedia`` keeps it by hash), and the
    scrubbing's child process never runs while the album holds its chat."""
    try:
        OutgoingMedia(ctx.media_store).path_for(sha256, mime)
    except (NotScrubbable, ScrubFailed, OSError) as exc:
        # Refused (remembered) or not done: the album leaves it out or tries when it is sent.
        log.warning("media %s: not scrubbed ahead: %s", sha256[:12], exc)


def _media_failed(ctx: JobContext, media_id: int, error: str,
                  level: int = logging.ERROR) -> DownloadOutcome:
    log.log(level, "media %s: %s", media_id, error)
    with transaction(ctx.engine) as session:
        row = session.get(Media, media_id, with_for_update=True)
        if row is not None:
            row.status, row.error = MediaStatus.FAILED, error[:512]
            _post_when_complete(session, row, ctx)
        follow_up = outbox.take_added(session)
    ctx.dispatcher.outbox(follow_up)
    return DownloadOutcome.FAILED


def _post_when_complete(session: Session, media: Media, ctx: JobContext) -> None:
    """The report's last download is done: its photos go under its cards."""
    if media.report_id is None:
        return
    report = session.get(Report, media.report_id)
    if report is not None:
        queue_albums_if_ready(session, report, ctx.clock())
