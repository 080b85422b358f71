"""What an outbox row sends: its payload read back as its kind's dataclass
(``core.outbox_rows``) and rendered into a typed send, a card, batch card or album rendered
from the database as it is now, or what the row's producer registered for its kind (the
digest's images: ``extensions``); media pointed at copies fit to leave the system.

A row whose kind or payload cannot be read fails here for good (``BadOutboxRow``, a
PermanentSendError), before any platform is called; the rows behind it go on."""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlmodel import Session

from sosbot import metrics
from sosbot.core.errors import PermanentSendError
from sosbot.core.model import Destination
from sosbot.core.outbox_rows import (
    Album,
    ButtonAnswer,
    ButtonsCleared,
    Card,
    CardAlbum,
    CardEdit,
    MessageKind,
    Note,
    PhotosRow,
    RowKind,
    Send,
    Text,
    TextRow,
    read_row,
    row_kind,
)
from sosbot.delivery import card_batches, card_posts, resident_sends
from sosbot.delivery.context import JobContext
from sosbot.delivery.warming import WARMED
from sosbot.storage.media_scrub import NotScrubbable, OutgoingMedia
from sosbot.storage.outbox import PendingRow

log = logging.getLogger(__name__)


def prepare(ctx: JobContext, session: Session, row: PendingRow) -> card_posts.Prepared:
    """What to send for ``row``, read in ``session`` (the transaction that looks at it)."""
    kind = row_kind(row.method)
    registered = ctx.extensions.preparer(kind)
    if registered is not None:
        if ctx.extensions.warmer(kind) is not None:
            metrics.PREPARED_AHEAD.labels("hit" if WARMED in row.payload else "miss").inc()
        return registered(ctx, session, row)
    payload = read_row(kind, row.payload)
    if isinstance(payload, Card | CardEdit | Note | CardAlbum):
        if kind is RowKind.CARD:
            batch = card_batches.prepare(session, row, ctx.rules, ctx.clock())
            if batch is not None:
                return batch
        prepared = card_posts.prepare(session, payload, row.delivery_id, ctx.rules,
                                      ctx.clock())
        return _outgoing_files(ctx, prepared)
    send = _as_sent(payload)
    if row.destination != Destination.RESIDENT or not isinstance(send, Text | Album):
        # A group's message goes as written: no resident-side additions, ever.
        return card_posts.Prepared(send)
    send = resident_sends.enrich(
        session, row.channel, row.chat_id, send, tokens=ctx.location_tokens,
        public_url=ctx.public_url,
        officer_words=isinstance(payload, TextRow) and payload.kind is MessageKind.OFFICER,
        bulletin=row.bulletin_id is not None, now=ctx.clock())
    # A bulletin's photo leaves the system scrubbed, like a report's.
    return _outgoing_files(ctx, card_posts.Prepared(send))


def _as_sent(payload: object) -> Send:
    """The send of a row that goes as written (a text, stored photos, a button's answer)."""
    if isinstance(payload, TextRow):
        return Text(payload.message, reply_to=payload.reply_to)
    if isinstance(payload, PhotosRow):
        return Album(payload.items, caption=payload.caption)
    if isinstance(payload, ButtonAnswer | ButtonsCleared):
        return payload
    # A producer's own kind whose producer registered nothing in this process.
    raise PermanentSendError(f"nothing here prepares a {type(payload).__name__} row")


def _outgoing_files(ctx: JobContext, prepared: card_posts.Prepared) -> card_posts.Prepared:
    """Point media items at copies fit to leave the system: photos without EXIF/GPS.

    The originals stay in the media store as evidence; a photo whose metadata cannot be
    removed is left out (fail closed)."""
    album = prepared.send
    if not isinstance(album, Album):
        return prepared
    outgoing = OutgoingMedia(ctx.media_store)
    items = []
    for item in album.items:
        try:
            path = str(outgoing.path_for(item.sha256, item.mime))
        except NotScrubbable as exc:
            log.warning("media %s left out of the album: %s", item.sha256[:12], exc)
            continue
        items.append(replace(item, path=path))
    if not items:
        return card_posts.Prepared(None)
    return card_posts.Prepared(replace(album, items=tuple(items)), cost=len(items),
                               members=prepared.members)
