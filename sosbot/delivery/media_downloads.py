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
from sosbot.delivery.queueing import DOWNLOAD
from sosbot.delivery.sending import backoff_s
from sosbot.routing.media_posts import queue_albums_if_ready
from sosbot.storage import outbox
from sosbot.storage.db import transaction
from sosbot.storage.media_scrub import NotScrubbable, OutgoingMedia, ScrubFailed
from sosbot.storage.media_store import MediaRejected
from sosbot.storage.tables import Media, Report

log = logging.getLogger(__name__)


def download(ctx: JobContext, media_id: int) -> str:
    """Fetch a resident's photo/video into the media store; bounded retries."""
    now = ctx.clock()
    with transaction(ctx.engine) as session:
        media = session.get(Media, media_id, with_for_update=True)
        if media is None:
            return "missing"
        if media.status != "pending":
            return media.status
        media.attempts += 1
        attempts, channel, file_id = media.attempts, media.channel, media.platform_file_id
    adapter = ctx.outbound.get(channel)
    try:
        if adapter is None:
            raise PermanentSendError(f"no adapter for channel {channel}")
        data = ctx.run(adapter.fetch_media(file_id))
        stored = ctx.media_store.put(data)
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
        return "retrying"
    except MediaRefused as exc:
        # Not the platform's media host (issue 18): expected from forged payloads, so a
        # warning; the report goes on without this file.
        return _media_failed(ctx, media_id, f"{type(exc).__name__}: {exc}",
                             level=logging.WARNING)
    except (SendError, MediaRejected) as exc:
        return _media_failed(ctx, media_id, f"{type(exc).__name__}: {exc}")
    _scrub_ahead(ctx, stored.sha256, stored.mime)
    with transaction(ctx.engine) as session:
        row = session.get(Media, media_id, with_for_update=True)
        if row is not None:
            row.status, row.sha256, row.size, row.mime = "stored", stored.sha256, stored.size, \
                stored.mime
            row.stored_at, row.error = ctx.clock(), None
            _post_when_complete(session, row, ctx)
        follow_up = outbox.take_added(session)
    ctx.dispatcher.outbox(follow_up)
    log.info("media %s stored: %s (%s, %d bytes)", media_id, stored.sha256[:12], stored.mime,
             stored.size)
    return "stored"


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
                  level: int = logging.ERROR) -> str:
    log.log(level, "media %s: %s", media_id, error)
    with transaction(ctx.engine) as session:
        row = session.get(Media, media_id, with_for_update=True)
        if row is not None:
            row.status, row.error = "failed", error[:512]
            _post_when_complete(session, row, ctx)
        follow_up = outbox.take_added(session)
    ctx.dispatcher.outbox(follow_up)
    return "failed"


def _post_when_complete(session: Session, media: Media, ctx: JobContext) -> None:
    """The report's last download is done: its photos go under its cards."""
    if media.report_id is None:
        return
    report = session.get(Report, media.report_id)
    if report is not None:
        queue_albums_if_ready(session, report, ctx.clock())
