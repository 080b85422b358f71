"""The digest's charts and map rendered into the media store, when its row is sent.

Only a worker imports this module (through ``registration``, when a digest goes out), so
matplotlib never loads in the web process.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from sosbot.command_centre.charts import reports_per_hour_png, time_to_ack_png
from sosbot.command_centre.digest import build_digest
from sosbot.command_centre.digest_map import digest_map_png
from sosbot.core.cards import local_time
from sosbot.core.officer_texts import officer_text
from sosbot.core.outbox_rows import Album, DigestImages, MediaItem
from sosbot.routing.rules import RoutingRules
from sosbot.storage.media_store import MediaStore


def images(session: Session, period: DigestImages, rules: RoutingRules,
           media_store: MediaStore, wards_file: Path, now: datetime) -> Album:
    """Render the digest's PNGs into the media store; the album of them."""
    since, until = period.since, period.until
    d = build_digest(session, since=since, until=until, now=now, rules=rules)
    items = []
    for png in (reports_per_hour_png(d), time_to_ack_png(d), digest_map_png(d, wards_file)):
        stored = media_store.put(png)
        items.append(MediaItem("photo", stored.sha256, stored.mime, str(stored.path)))
    caption = officer_text("digest.caption", since=local_time(since.timestamp(), "%H:%M %d/%m"),
                           until=local_time(until.timestamp(), "%H:%M %d/%m"), total=d.total)
    return Album(tuple(items), caption=caption)
