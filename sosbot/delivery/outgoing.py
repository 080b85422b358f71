"""What an outbox row sends: its payload as stored, or a card, batch card or album rendered
from the database as it is now, or what the row's producer registered for its kind (the
digest's images: ``extensions``); media pointed at copies fit to leave the system."""

from __future__ import annotations

import logging

from sqlmodel import Session

from sosbot import metrics
from sosbot.core.model import Destination
from sosbot.delivery import card_batches, card_posts, resident_sends
from sosbot.delivery.context import JobContext
from sosbot.delivery.warming import WARMED
from sosbot.storage.media_scrub import NotScrubbable, OutgoingMedia
from sosbot.storage.tables import Outbox

log = logging.getLogger(__name__)


def prepare(ctx: JobContext, session: Session, row: Outbox) -> card_posts.Prepared:
    """What to send for ``row``, read in ``session`` (the transaction that looks at it)."""
    assert row.id is not None
    registered = ctx.extensions.preparer(row.method)
    if registered is not None:
        if ctx.extensions.warmer(row.method) is not None:
            metrics.PREPARED_AHEAD.labels("hit" if WARMED in row.payload else "miss").inc()
        return registered(ctx, session, row)
    if row.method not in card_posts.METHODS:
        if row.destination != Destination.RESIDENT:
            # A group's message goes as written: no resident-side additions, ever.
            return card_posts.Prepared(row.method, dict(row.payload))
        payload = resident_sends.enrich(session, row.channel, row.chat_id, row.method,
                                        dict(row.payload), tokens=ctx.location_tokens,
                                        public_url=ctx.public_url,
                                        bulletin=row.bulletin_id is not None,
                                        now=ctx.clock())
        # A bulletin's photo leaves the system scrubbed, like a report's.
        return _outgoing_files(ctx, card_posts.Prepared(row.method, payload))
    if row.method == "card":
        batch = card_batches.prepare(session, row, ctx.rules, ctx.clock())
        if batch is not None:
            return batch
    prepared = card_posts.prepare(session, row.method, row.delivery_id, dict(row.payload),
                                  ctx.rules, ctx.clock())
    return _outgoing_files(ctx, prepared)


def _outgoing_files(ctx: JobContext, prepared: card_posts.Prepared) -> card_posts.Prepared:
    """Point media items at copies fit to leave the system: photos without EXIF/GPS.

    The originals stay in the media store as evidence; a photo whose metadata cannot be
    removed is left out (fail closed)."""
    if "items" not in prepared.payload:
        return prepared
    outgoing = OutgoingMedia(ctx.media_store)
    items = []
    for item in prepared.payload["items"]:
        try:
            item["path"] = str(outgoing.path_for(item["sha256"], item.get("mime")))
        except NotScrubbable as exc:
            log.warning("media %s left out of the album: %s", str(item["sha256"])[:12], exc)
            continue
        items.append(item)
    if not items:
        return card_posts.Prepared(None)
    prepared.payload["items"] = items
    prepared.cost = len(items)
    return prepared
