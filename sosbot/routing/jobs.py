"""rq job functions: module level, plain ids as arguments, the context from the worker."""

from __future__ import annotations

from sosbot.routing import context, delivery


def deliver_outbox(outbox_id: int) -> str:
    """Send one outbox row (and any older pending row of the same chat)."""
    return delivery.deliver(context.current(), outbox_id)


def download_media(media_id: int) -> str:
    """Fetch one resident media file into the media store."""
    return delivery.download(context.current(), media_id)
