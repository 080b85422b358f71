"""Outbox rows about deliveries (cards, edits, albums, notes) become platform sends here,
rendered from the database at the moment they go out.

A card queued while the report was new but sent after an officer acted already shows the
action; one pending edit per copy is enough however many changes happened meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from sosbot.core.actions import OutgoingMessage
from sosbot.core.callbacks import OfficerAction, sign
from sosbot.core.cards import (
    CardView,
    TargetState,
    render_batch,
    render_card,
)
from sosbot.core.errors import (
    DeliveryWindowClosed,
    RecipientGone,
    SendError,
    TemporarySendError,
)
from sosbot.core.message_limits import card_units
from sosbot.core.officer_texts import officer_text
from sosbot.core.outbox_rows import (
    Album,
    Card,
    CardAlbum,
    CardEdit,
    Edit,
    MediaItem,
    Note,
    RowKind,
    Send,
    Text,
)
from sosbot.routing.alerts import tell_command_centre
from sosbot.routing.rules import COMMAND, WARD, RoutingRules
from sosbot.storage import bindings, deliveries, reports
from sosbot.storage.tables import Binding, Delivery, Media, MediaStatus, Report, Reporter

log = logging.getLogger(__name__)

BUTTON_CHANNELS = frozenset({"telegram"})  # where cards carry buttons and can be edited
MAX_ALBUM = 10


@dataclass
class Prepared:
    """What to send for one row; ``send`` None means there is nothing left to send."""

    send: Send | None
    cost: int = 1
    members: tuple[int, ...] = ()  # a batch card: the outbox rows it carries, lead first

    @property
    def billing(self) -> str | None:
        """What the platform counts the send as (a Zalo free reply or proactive), if any."""
        if isinstance(self.send, Text | Album):
            return self.send.terms.billing
        return None


def card_view(session: Session, report: Report, rules: RoutingRules) -> CardView:
    return card_views(session, [report], rules)[0]


def card_views(session: Session, shown: Sequence[Report],
               rules: RoutingRules) -> list[CardView]:
    """The cards of these reports, as the database has them now: three queries (their
    reporters, media and deliveries) however many reports a batch card shows."""
    ids = [report.id for report in shown if report.id is not None]
    reporter_ids = [r.reporter_id for r in shown if r.reporter_id]
    reporters = {r.id: r for r in session.exec(select(Reporter).where(
        col(Reporter.id).in_(reporter_ids))).all()} if reporter_ids else {}
    media = reports.media_of_reports(session, ids)
    targets = deliveries.for_reports(session, ids)
    views = []
    for report in shown:
        reporter = reporters.get(report.reporter_id)
        kept = media.get(report.id or 0, [])
        views.append(_card_view(
            report, reporter.display_name if reporter else "",
            MediaCounts(len(kept), sum(1 for m in kept if m.status == MediaStatus.FAILED),
                        sum(1 for m in kept if m.status == MediaStatus.LEFT_OUT)),
            targets.get(report.id or 0, []), rules))
    return views


@dataclass(frozen=True)
class MediaCounts:
    """A report's media as its card counts them: all, missing (failed), left out."""

    count: int = 0
    missing: int = 0
    left_out: int = 0


# A report and its deliveries as the ORM loads them, or as plain rows (the hot path of a
# card's send reads them with Core statements: ``_card``).
ReportLike = Report | sa.Row[Any]
DeliveryLike = Delivery | sa.Row[Any] | reports.CardTarget


def _card_view(report: ReportLike, reporter_name: str, media: MediaCounts,
               all_targets: Sequence[DeliveryLike], rules: RoutingRules) -> CardView:
    targets = [d for d in all_targets if d.status != "failed" and d.ack_state != "merged"]
    core = reports.to_core(report, reporter_name=reporter_name, media_count=media.count,
                           media_missing=media.missing, media_left_out=media.left_out)
    return CardView(
        report=core, ward_name=report.ward_name, location_how=report.location_how,
        reporter_channel=report.channel, duplicates=report.duplicates,
        ward_has_group=any(d.role == WARD for d in targets) or report.ward_code is None,
        targets=tuple(
            TargetState(role=d.role, unit=rules.unit(d.role, d.target_code).vi,
                        ack_state=d.ack_state, acked_by=d.acked_by,
                        acked_at_epoch=d.acked_at.timestamp() if d.acked_at else None)
            for d in targets if d.role != "escalation" and d.ack_state != "merged"),
    )


def _signer(rules: RoutingRules, delivery: DeliveryLike, now: datetime) -> Any:
    expires = int((now + timedelta(days=rules.config.callback_ttl_days)).timestamp())
    assert delivery.id is not None
    delivery_id = delivery.id
    return lambda action: sign(rules.callback_secret, action, delivery_id, expires)


DeliveryRow = Card | CardEdit | Note | CardAlbum


def prepare(session: Session, row: DeliveryRow, delivery_id: int | None,
            rules: RoutingRules, now: datetime) -> Prepared:
    """The platform send for one delivery row (``delivery_id``: the row's column), from the
    database as it is now."""
    if isinstance(row, Card):
        return _card(session, delivery_id, rules, now) if delivery_id is not None \
            else Prepared(None)
    delivery = session.get(Delivery, delivery_id) if delivery_id is not None else None
    if delivery is None:
        return Prepared(None)
    report = session.get(Report, delivery.report_id)
    assert report is not None
    buttons = delivery.channel in BUTTON_CHANNELS
    if isinstance(row, CardEdit):
        if not buttons or not delivery.card_message_id:
            return Prepared(None)  # no editing there: the replies under it carry the news
        batch = deliveries.sharing_card(session, delivery.channel, delivery.chat_id,
                                        delivery.card_message_id)
        if len(batch) > 1:
            return Prepared(Edit(delivery.card_message_id,
                                 batch_message(session, batch, rules, now)))
        split = None
        merged = deliveries.latest_merged(session, report.id or 0, delivery.channel,
                                          delivery.chat_id) if report.duplicates else None
        if merged is not None and buttons:
            split = (merged[0].code, _signer(rules, merged[1], now)(OfficerAction.SPLIT))
        message = render_card(card_view(session, report, rules),
                              _signer(rules, delivery, now), buttons=buttons, split=split,
                              limit=card_units(delivery.channel))
        return Prepared(Edit(delivery.card_message_id, message))
    if isinstance(row, Note):
        return Prepared(Text(OutgoingMessage(text=row.text),
                             reply_to=delivery.card_message_id or None))
    items = []
    for media_id in row.media_ids[:MAX_ALBUM]:
        media = session.get(Media, media_id)
        if media is not None and media.status == MediaStatus.STORED and media.sha256:
            items.append(MediaItem(media.kind, media.sha256, media.mime))
    if not items:
        return Prepared(None)
    under = delivery
    if row.under_delivery_id:
        under = session.get(Delivery, row.under_delivery_id) or delivery
    caption = row.caption
    if caption is None and under.card_message_id and len(deliveries.sharing_card(
            session, under.channel, under.chat_id, under.card_message_id)) > 1:
        caption = f"📷 {report.code}"  # under a batch card: whose photos these are
    return Prepared(Album(tuple(items), caption=caption, reply_to=under.card_message_id),
                    cost=len(items))


def _card(session: Session, delivery_id: int, rules: RoutingRules, now: datetime) -> Prepared:
    """A card, the most common send: its report (with its reporter's name and its media
    counted) and the report's deliveries, one Core statement, no ORM objects."""
    read = reports.card_read(session.connection(), delivery_id)
    if read is None:
        return Prepared(None)
    report, targets = read
    delivery = next(d for d in targets if d.id == delivery_id)
    buttons = delivery.channel in BUTTON_CHANNELS
    split = None
    if report.duplicates and buttons:
        merged = deliveries.latest_merged(session, report.id, delivery.channel,
                                          delivery.chat_id)
        if merged is not None:
            split = (merged[0].code, _signer(rules, merged[1], now)(OfficerAction.SPLIT))
    view = _card_view(report, report.reporter_name or "",
                      MediaCounts(report.media_count, report.media_missing,
                                  report.media_left_out), targets, rules)
    return Prepared(Text(render_card(view, _signer(rules, delivery, now), buttons=buttons,
                                     split=split, limit=card_units(delivery.channel))))


def batch_message(session: Session, batch: list[Delivery], rules: RoutingRules,
                  now: datetime) -> OutgoingMessage:
    """The batch card of these deliveries (one chat), as the database has them now."""
    return render_batch(batch_entries(session, batch, rules, now),
                        buttons=bool(batch) and batch[0].channel in BUTTON_CHANNELS)


def batch_entries(session: Session, batch: list[Delivery], rules: RoutingRules,
                  now: datetime) -> list[tuple[CardView, Any]]:
    """Each delivery's card view and its signer, for ``render_batch``: read once, so a
    batch trimmed to fit is rendered again without reading anything again."""
    shown = reports.by_ids(session, [d.report_id for d in batch])
    views = card_views(session, [shown[d.report_id] for d in batch], rules)
    return [(view, _signer(rules, delivery, now)) for view, delivery in zip(views, batch,
                                                                            strict=True)]


def after_sent(session: Session, kind: RowKind, delivery_id: int | None,
               message_id: str | None, now: datetime) -> None:
    """Remember where a card landed, so edits, replies and acknowledgements can find it."""
    if delivery_id is None:
        return
    delivery = session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        return
    if kind is RowKind.CARD:
        delivery.card_message_id = message_id
        delivery.status, delivery.sent_at = "sent", now
    elif kind is RowKind.CARD_ALBUM and message_id:
        delivery.album_message_ids = [*delivery.album_message_ids, message_id]


def after_failed(session: Session, kind: RowKind, delivery_id: int | None,
                 error: SendError, now: datetime) -> bool:
    """A card that cannot reach its chat: the command centre is told, nothing is lost.
    True when it was told (or had no chat to be told in)."""
    if kind is not RowKind.CARD or delivery_id is None:
        return False
    delivery = session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        return False
    delivery.status, delivery.last_error = "failed", str(error)[:512]
    report = session.get(Report, delivery.report_id)
    binding = session.get(Binding, delivery.binding_id) \
        if delivery.binding_id is not None else None
    if isinstance(error, RecipientGone) and binding is not None:
        bindings.mark_dead(binding, f"send refused: {error}", now)
    if delivery.role == COMMAND or report is None:
        log.error("card for %s could not reach the command centre chat %s: %s",
                  report.code if report else "?", delivery.chat_id, error)
        return False
    title = binding.title if binding is not None and binding.title else delivery.chat_id
    text = officer_text("alert.card_failed", code=report.code, title=title,
                        role=delivery.role, target=delivery.target_code, error=error)
    return tell_command_centre(session, text, now, report_id=report.id) > 0


def resident_unreachable(session: Session, channel: str, report_id: int,
                         error: SendError, now: datetime, *, held: bool = False) -> None:
    """A message to a resident cannot be delivered (window closed, bot blocked): the
    command centre sees it, so an officer can call the resident instead. ``held``: the
    update is kept and goes out when the resident next writes."""
    report = session.get(Report, report_id)
    if report is None:
        return
    if isinstance(error, DeliveryWindowClosed):
        why = officer_text("alert.unreachable.window_closed")
    elif isinstance(error, TemporarySendError):
        why = officer_text("alert.unreachable.temporary")
    else:
        why = officer_text("alert.unreachable.gone")
    phone = officer_text("alert.unreachable_phone", phone=report.phone) if report.phone else ""
    kept = officer_text("alert.unreachable_held") if held else ""
    text = officer_text("alert.resident_unreachable", code=report.code,
                        channel=channel.capitalize(), why=why, held=kept, phone=phone)
    tell_command_centre(session, text, now, report_id=report.id)
    reports.audit(session, actor="system", action="report.resident_unreachable", now=now,
                  report_id=report.id, channel=channel, error=str(error)[:200])
