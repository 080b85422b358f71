"""The command centre's part in delivery: its digest images are rendered ahead of the chat's
queue (``delivery.warming``; at the latest when they go out),
bulletin rows report back to their bulletin, and the sweeper posts scheduled digests and
bulletin progress. Registered once when a worker is wired (``sosbot.runtime``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session

from sosbot.command_centre import bulletins, schedule
from sosbot.core.errors import PermanentSendError
from sosbot.core.outbox_rows import Album, BadOutboxRow, DigestImages, RowKind
from sosbot.delivery.card_posts import Prepared
from sosbot.delivery.context import JobContext
from sosbot.delivery.extensions import DeliveryExtensions
from sosbot.delivery.warming import WARMED
from sosbot.storage import outbox
from sosbot.storage.db import transaction
from sosbot.storage.outbox import PendingRow
from sosbot.storage.tables import Outbox


def register(extensions: DeliveryExtensions,
             digests: schedule.DigestSchedule | None) -> None:
    """Add the command centre's kinds and tasks (``digests`` None: no scheduled digest)."""
    extensions.kind(RowKind.DIGEST_IMAGES, _digest_images, warm=_render_digest_images)
    extensions.on_outcome(lambda row: row.bulletin_id is not None, bulletins.after_send)
    extensions.periodic("bulletin_posts", _bulletin_progress)
    if digests is not None:
        extensions.periodic("digests", ScheduledDigests(digests))


def _digest_images(ctx: JobContext, session: Session, row: PendingRow) -> Prepared:
    """The images rendered ahead (``delivery.warming``) when they are still in the media
    store; otherwise rendered now."""
    album = _warmed(row.payload.get(WARMED))
    if album is None:
        album = Album.from_json(_render_digest_images(ctx, session, row))
    return Prepared(album, cost=len(album.items))


def _warmed(kept: Any) -> Album | None:
    """The album rendered ahead, when it is whole and its files are still in the store."""
    if kept is None:
        return None
    try:
        album = Album.from_json(kept)
    except BadOutboxRow:
        return None
    if album.items and all(item.path and Path(item.path).is_file() for item in album.items):
        return album
    return None


def _render_digest_images(ctx: JobContext, session: Session,
                          row: Outbox | PendingRow) -> dict[str, Any]:
    """Render the digest's PNGs into the media store: the album, as JSON (kept in the row
    when rendered ahead)."""
    if ctx.rules.wards_file is None:
        raise PermanentSendError("the digest needs the routing rules and the ward data")
    # Imported here: matplotlib loads only in a worker that renders a digest.
    from sosbot.command_centre import digest_images

    period = DigestImages.from_json(row.payload)
    return digest_images.images(session, period, ctx.rules, ctx.media_store,
                                ctx.rules.wards_file, ctx.clock()).to_json()


def _bulletin_progress(ctx: JobContext) -> int:
    """Bulletins being sent: progress back to the sender, the final count when done."""
    with transaction(ctx.engine) as session:
        posted = bulletins.report_progress(session, ctx.clock())
        follow_up = outbox.take_added(session)
    ctx.dispatcher.outbox(follow_up)
    return posted


class ScheduledDigests:
    """Post the digests whose time slot has come (once per slot across all workers)."""

    def __init__(self, plan: schedule.DigestSchedule) -> None:
        self.plan = plan

    def __call__(self, ctx: JobContext) -> int:
        now = ctx.clock()
        posted = 0
        for slot in schedule.due_slots(now, self.plan.every_minutes, self.plan.daily_at):
            if not schedule.claim(ctx.redis, slot, now, self.plan.grace):
                continue
            with transaction(ctx.engine) as session:
                posted += schedule.post_digest(session, ctx.rules, now, slot.span)
                follow_up = outbox.take_added(session)
            ctx.dispatcher.outbox(follow_up)
        return posted
