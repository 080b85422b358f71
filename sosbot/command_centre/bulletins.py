"""Safety bulletins: the command centre writes once, every subscriber gets it on their own
platform, within what that platform allows.

A bulletin is drafted (with the number of people it will reach), confirmed, then planned:
one outbox row per subscriber whose platform lets us write to them now, all in one
transaction. The unique index on (bulletin, chat) makes a second plan impossible, and the
outbox's delivery rules do the rest (Telegram's 30 messages a second through the shared
limiter, retries, per-chat order). Subscribers outside their platform's window are counted
as skipped up front:

- Telegram: no window; a resident who blocked the bot fails, and their subscription ends.
- Zalo: an OA may message a user only within 7 days of the user's last interaction.
- Messenger: only within 24 hours of the resident's last message (a bulletin is not one of
  the tagged updates allowed after it).

A window that closes between planning and sending makes the platform (or the adapter)
refuse the send: that row is counted as skipped too. The sweeper posts progress back to the
chat that sent the bulletin at each quarter, and the final count when nothing is pending.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_
from sqlmodel import Session, col, func, select

from sosbot.core.errors import DeliveryWindowClosed, RecipientGone
from sosbot.core.message_limits import caption_units, message_units
from sosbot.core.model import Destination
from sosbot.core.officer_texts import officer_text
from sosbot.core.outbox_rows import MediaItem, MessageKind, PhotosRow, TextRow
from sosbot.core.pseudonyms import chat_label
from sosbot.core.text_units import truncate_utf16, utf16_len
from sosbot.core.texts import text as resident_text
from sosbot.routing.alerts import tell_command_centre
from sosbot.storage import outbox, subscriptions
from sosbot.storage.outbox import OutboxStatus
from sosbot.storage.tables import Bulletin, Conversation, Outbox, Subscription

log = logging.getLogger(__name__)

KIND = MessageKind.BULLETIN
SKIPPED = OutboxStatus.SKIPPED
DRAFT, SENDING, DONE, CANCELLED = "draft", "sending", "done", "cancelled"
MAX_TEXT = 3000
# How long after a resident's last message each platform lets us write to them.
WINDOWS: dict[str, timedelta | None] = {
    "telegram": None,
    "zalo": timedelta(days=7),
    # A minute's margin: a message sent in the window's last minute may reach Meta late.
    "messenger": timedelta(hours=24) - timedelta(minutes=1),
}
PROGRESS_STEP = 25  # percent


class BulletinError(ValueError):
    """A bulletin command that cannot be carried out; the message says why (Vietnamese)."""


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    pending: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.failed

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else int(100 * self.handled / self.total)

    @property
    def done(self) -> bool:
        return self.pending == 0

    def line(self) -> str:
        return officer_text("bulletin.counts", sent=self.sent, skipped=self.skipped,
                            failed=self.failed)


def window_open(channel: str, last_activity: datetime | None, now: datetime) -> bool:
    """May we write to a resident of ``channel`` who last wrote at ``last_activity``?"""
    window = WINDOWS.get(channel)
    if window is None:
        return channel in WINDOWS
    return last_activity is not None and now - last_activity < window


def draft(session: Session, *, body: str, ward: tuple[str, str] | None, created_by: str,
          now: datetime, origin: tuple[str, str] | None = None,
          media_sha256: str | None = None) -> Bulletin:
    """A bulletin waiting for confirmation. ``ward`` is (code, name); None: the whole city."""
    body = body.strip()
    if not body:
        raise BulletinError(officer_text("bulletin.empty"))
    if len(body) > MAX_TEXT:
        raise BulletinError(officer_text("bulletin.too_long", length=len(body), limit=MAX_TEXT))
    row = Bulletin(created_at=now, created_by=created_by[:128], text=body,
                   ward_code=ward[0] if ward else None, ward_name=ward[1] if ward else None,
                   media_sha256=media_sha256, status=DRAFT,
                   origin_channel=origin[0] if origin else None,
                   origin_chat_id=origin[1] if origin else None)
    session.add(row)
    session.flush()
    return row


def _audience(session: Session, ward_code: str | None,
              now: datetime) -> tuple[list[Subscription], list[Subscription]]:
    """The subscribers in scope: (reachable now, outside their platform's window)."""
    rows = session.exec(
        select(Subscription, Conversation.last_activity_at)
        .join(Conversation, and_(col(Conversation.channel) == Subscription.channel,
                                 col(Conversation.chat_id) == Subscription.chat_id),
              isouter=True)
        .where(subscriptions.in_scope(ward_code))
        .order_by(col(Subscription.id))).all()
    reachable: list[Subscription] = []
    closed: list[Subscription] = []
    for subscription, last in rows:
        (reachable if window_open(subscription.channel, last, now) else closed).append(
            subscription)
    return reachable, closed


def preview(session: Session, bulletin: Bulletin, now: datetime) -> str:
    """What the officer confirms: scope, audience per platform, the text itself."""
    reachable, closed = _audience(session, bulletin.ward_code, now)
    per = Counter(s.channel for s in reachable)
    scope = bulletin.ward_name or officer_text("bulletin.scope_city")
    platforms = ", ".join(f"{name} {per[key]}" for key, name in
                          (("telegram", "Telegram"), ("zalo", "Zalo"),
                           ("messenger", "Messenger")))
    image = officer_text("bulletin.with_image") if bulletin.media_sha256 else ""
    return officer_text("bulletin.preview", id=bulletin.id, scope=scope,
                        reachable=len(reachable), platforms=platforms, closed=len(closed),
                        image=image, text=bulletin.text)


def message(bulletin: Bulletin, lang: str, *, limit: int) -> str:
    """The bulletin as residents read it, at most ``limit`` UTF-16 units (the channel's:
    :func:`limit_for`): header, body, footer; only the body is cut."""
    header = resident_text(lang, "bulletin_header_ward", ward=bulletin.ward_name) \
        if bulletin.ward_name else resident_text(lang, "bulletin_header")
    footer = resident_text(lang, "bulletin_footer")
    room = limit - utf16_len(f"{header}\n\n\n\n{footer}")
    return f"{header}\n\n{truncate_utf16(bulletin.text, max(room, 1))}\n\n{footer}"


def limit_for(channel: str, *, caption: bool) -> int:
    """How long a bulletin sent on ``channel`` may be, as a text or under a photo
    (``core.message_limits``). A longer bulletin is cut in its body, so its header and its
    footer (how to stop the bulletins) always arrive."""
    return caption_units(channel) if caption else message_units(channel)


def _row_for(bulletin: Bulletin, subscription: Subscription) -> TextRow | PhotosRow:
    body = message(bulletin, subscription.lang, limit=limit_for(
        subscription.channel, caption=bulletin.media_sha256 is not None))
    if bulletin.media_sha256:
        return PhotosRow((MediaItem("photo", bulletin.media_sha256),), caption=body, kind=KIND)
    return TextRow.plain(body, kind=KIND)


def locked(session: Session, bulletin_id: int) -> Bulletin | None:
    return session.get(Bulletin, bulletin_id, with_for_update=True)


def start(session: Session, bulletin: Bulletin, now: datetime) -> Progress:
    """Plan the sends: one outbox row per reachable subscriber. Only from a draft."""
    if bulletin.status != DRAFT:
        raise BulletinError(officer_text("bulletin.not_draft", id=bulletin.id,
                                         state=_state(bulletin.status)))
    assert bulletin.id is not None
    reachable, closed = _audience(session, bulletin.ward_code, now)
    for subscription in reachable:
        row = outbox.add(session, channel=subscription.channel, chat_id=subscription.chat_id,
                         destination=Destination.RESIDENT, row=_row_for(bulletin, subscription),
                         now=now, priority=outbox.ROUTINE)  # a resident's own answers go first
        row.bulletin_id = bulletin.id
    bulletin.status = SENDING
    bulletin.total = len(reachable) + len(closed)
    bulletin.skipped_at_start = len(closed)
    bulletin.started_at = now
    log.info("bulletin %s: %d rows queued, %d skipped (window closed)", bulletin.id,
             len(reachable), len(closed))
    if not reachable:
        _finish(session, bulletin, progress(session, bulletin), now)
    return progress(session, bulletin)


def cancel(session: Session, bulletin: Bulletin, now: datetime) -> None:
    if bulletin.status != DRAFT:
        raise BulletinError(officer_text("bulletin.not_draft_cancel", id=bulletin.id,
                                         state=_state(bulletin.status)))
    bulletin.status = CANCELLED
    bulletin.finished_at = now


def _state(status: str) -> str:
    """"là bản nháp", "đang được gửi", … : where a bulletin is, for an officer."""
    return officer_text(f"bulletin.state.{status}")


def progress(session: Session, bulletin: Bulletin) -> Progress:
    session.flush()
    counts = dict(session.exec(
        select(Outbox.status, func.count()).where(Outbox.bulletin_id == bulletin.id)
        .group_by(Outbox.status)).all())
    return Progress(total=bulletin.total,
                    sent=int(counts.get(OutboxStatus.SENT, 0)),
                    skipped=bulletin.skipped_at_start + int(counts.get(SKIPPED, 0)),
                    failed=int(counts.get(OutboxStatus.FAILED, 0)),
                    pending=int(counts.get(OutboxStatus.PENDING, 0)))


def _post(session: Session, bulletin: Bulletin, text: str, now: datetime) -> None:
    """To the chat that sent the bulletin; from the CLI, to the command centre's chats."""
    if bulletin.origin_channel and bulletin.origin_chat_id:
        outbox.add(session, channel=bulletin.origin_channel, chat_id=bulletin.origin_chat_id,
                   destination=Destination.GROUP, row=TextRow.plain(text), now=now)
    else:
        tell_command_centre(session, text, now)


def _finish(session: Session, bulletin: Bulletin, state: Progress, now: datetime) -> None:
    bulletin.status = DONE
    bulletin.finished_at = now
    took = int((now - (bulletin.started_at or now)).total_seconds())
    _post(session, bulletin, officer_text(
        "bulletin.finished", id=bulletin.id,
        scope=bulletin.ward_name or officer_text("bulletin.scope_city"), total=state.total,
        counts=state.line(), minutes=took // 60, seconds=took % 60), now)
    log.info("bulletin %s done: %s", bulletin.id, state)


def report_progress(session: Session, now: datetime) -> int:
    """For the sweeper: progress at each quarter, the final count when nothing is pending."""
    posted = 0
    ids = session.exec(select(Bulletin.id).where(Bulletin.status == SENDING)).all()
    for bulletin_id in ids:
        assert bulletin_id is not None
        bulletin = locked(session, bulletin_id)
        if bulletin is None or bulletin.status != SENDING:
            continue
        state = progress(session, bulletin)
        log.debug("bulletin %s: %s", bulletin_id, state)
        if state.done:
            _finish(session, bulletin, state, now)
            posted += 1
            continue
        step = state.percent // PROGRESS_STEP * PROGRESS_STEP
        if step > bulletin.progress_posted and bulletin.origin_chat_id:
            bulletin.progress_posted = step
            _post(session, bulletin, officer_text(
                "bulletin.progress", id=bulletin.id, handled=state.handled, total=state.total,
                percent=state.percent, counts=state.line()), now)
            posted += 1
    return posted


def after_send(session: Session, row: Outbox, status: OutboxStatus, error: Exception | None,
               now: datetime) -> OutboxStatus:
    """The status a bulletin row ends with; a resident who left stops being a subscriber."""
    if isinstance(error, DeliveryWindowClosed):
        return SKIPPED
    if isinstance(error, RecipientGone):
        if subscriptions.unsubscribe(session, row.channel, row.chat_id, now):
            log.info("%s is gone (%s): subscription ended", chat_label(row.channel, row.chat_id),
                     error)
    return status
