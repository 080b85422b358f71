"""Photos and videos under the cards: posted once every file of the report is downloaded.

An album row is queued only when its files are in the media store, so it never holds up
the chat's other messages while a download is retried.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from sosbot.core.outbox_rows import CardAlbum, RowKind
from sosbot.storage import deliveries, outbox, reports
from sosbot.storage.tables import MediaStatus, Report


def queue_albums_if_ready(session: Session, report: Report, now: datetime) -> int:
    """Queue the report's stored media under each of its cards, if none is still downloading.

    Media already posted to a chat are not posted again; returns the rows queued.
    """
    assert report.id is not None
    media = reports.media_states(session, report.id)
    if not media or any(status == MediaStatus.PENDING for _, status in media):
        return 0
    stored = [media_id for media_id, status in media if status == MediaStatus.STORED]
    queued = 0
    for delivery in deliveries.for_report(session, report.id):
        if delivery.status == "failed" or delivery.id is None:
            continue
        posted = {media_id for row in outbox.rows_of_delivery(session, delivery.id,
                                                              RowKind.CARD_ALBUM)
                  for media_id in row.payload.get("media_ids", [])}
        fresh = tuple(media_id for media_id in stored if media_id not in posted)
        if fresh:
            album = CardAlbum(fresh)
            if report.duplicate_of_id is not None:
                main = deliveries.in_chat_for_report(session, report.duplicate_of_id,
                                                     delivery.channel, delivery.chat_id)
                album = CardAlbum(fresh, under_delivery_id=main.id if main else None,
                                  caption=f"➕ {report.code}")
            outbox.for_delivery(session, delivery, album, now)
            queued += 1
    return queued
