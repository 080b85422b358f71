"""rq job functions: module level, plain ids as arguments, the context from the worker."""

from __future__ import annotations

from sosbot.routing import context, delivery, escalation, media_downloads
from sosbot.storage import outbox
from sosbot.storage.db import transaction


def deliver_outbox(outbox_id: int) -> str:
    """Send one outbox row (and any older pending row of the same chat)."""
    return delivery.deliver(context.current(), outbox_id)


def download_media(media_id: int) -> str:
    """Fetch one resident media file into the media store."""
    return media_downloads.download(context.current(), media_id)


def escalate_report(report_id: int) -> int:
    """Do the escalation steps due now for one report (a no-op once acknowledged)."""
    ctx = context.current()
    if ctx.rules is None:
        return 0
    with transaction(ctx.engine) as session:
        level = escalation.escalate(session, report_id, ctx.clock(), ctx.rules)
        follow_up = outbox.take_added(session)
    ctx.dispatcher.outbox(follow_up)
    return level
