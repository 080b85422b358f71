"""Recording what became of a send: the outbox row, and what its delivery, bulletin or
resident learns from it, in the transaction that records it."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from sosbot import metrics
from sosbot.core.errors import (
    DeliveryWindowClosed,
    QuotaExceeded,
    RecipientGone,
    SendCrashed,
    SendError,
    TemporarySendError,
)
from sosbot.core.model import Destination
from sosbot.core.officer_texts import officer_labels, officer_text
from sosbot.core.outbox_rows import DELIVERY_KINDS, RowKind
from sosbot.delivery import card_posts
from sosbot.delivery.extensions import DeliveryExtensions
from sosbot.residents import held_updates
from sosbot.routing.alerts import tell_command_centre
from sosbot.storage import outbox, platform_usage
from sosbot.storage.outbox import OutboxStatus
from sosbot.storage.tables import Binding, Delivery, Outbox, Report

log = logging.getLogger(__name__)


def is_plain(kind: RowKind | None) -> bool:
    """A row whose sent record is the row's and, for a card, its delivery's: no more (an
    album's message ids are added to its delivery's)."""
    return kind is not None and kind is not RowKind.CARD_ALBUM


def record_sent(session: Session, row_id: int, channel: str, kind: RowKind | None,
                delivery_id: int | None, *, message_id: str | None, attempts: int,
                now: datetime, members: tuple[int, ...] = ()) -> None:
    """A plain row (``is_plain``, not a bulletin's) sent: recorded by UPDATEs alone
    (``delivery_id``: the row's column; a card marks its delivery sent too). ``members``:
    a batch card's rows, its lead (``row_id``) first, all cards of one chat."""
    metrics.DELIVERIES.labels(channel, OutboxStatus.SENT).inc(max(len(members), 1))
    outbox.record_sent(session, row_id, message_id=message_id, attempts=attempts, now=now,
                       card_delivery_id=delivery_id if kind is RowKind.CARD else None,
                       members=members)


def record(session: Session, extensions: DeliveryExtensions, row_id: int,
           status: OutboxStatus,
           now: datetime, *, error: SendError | None, message_id: str | None,
           attempts: int | None) -> None:
    """Record any outcome of row ``row_id`` (locked for the update); the producer that owns
    the row (a bulletin's, say) decides the status it ends with. A status that is not an
    ``OutboxStatus`` is refused (ValueError) before anything is written."""
    status = OutboxStatus(status)
    stored = session.get(Outbox, row_id, with_for_update=True)
    if stored is None:
        return
    metrics.DELIVERIES.labels(stored.channel, status).inc()
    status = extensions.outcome(session, stored, status, error, now)
    destination = Destination(stored.destination)
    if status == OutboxStatus.FAILED and isinstance(error, DeliveryWindowClosed) \
            and held_updates.holdable(destination, stored.method, stored.payload):
        status = OutboxStatus.HELD  # delivered, folded into one message, when the resident writes
    stored.status = status
    stored.last_error = f"{type(error).__name__}: {error}"[:512] if error else None
    stored.platform_message_id = message_id
    if attempts is not None:
        stored.attempts = attempts
    if status == OutboxStatus.SENT:
        stored.sent_at = now
    told = False
    if stored.method in DELIVERY_KINDS:
        kind = RowKind(stored.method)
        if status == OutboxStatus.SENT:
            card_posts.after_sent(session, kind, stored.delivery_id, message_id, now)
        elif error is not None:
            told = card_posts.after_failed(session, kind, stored.delivery_id, error, now)
    elif status in (OutboxStatus.FAILED, OutboxStatus.HELD) and stored.report_id is not None \
            and destination == Destination.RESIDENT \
            and isinstance(error, DeliveryWindowClosed | RecipientGone | TemporarySendError):
        card_posts.resident_unreachable(session, stored.channel, stored.report_id, error, now,
                                        held=status == OutboxStatus.HELD)
    if status == OutboxStatus.FAILED and isinstance(error, SendCrashed) and not told:
        tell_command_centre(session, _crashed_text(session, stored, error), now,
                            report_id=stored.report_id)
    if status == OutboxStatus.FAILED and isinstance(error, QuotaExceeded):
        _quota_refused(session, stored, error, now)


# The command centre is told of the 1st, 10th, 100th… send the platform refused for its
# quota in a month: at once, and again as it grows, never once per resident of a bulletin.
_TELL_AT = frozenset({1, 10, 100, 1000, 10000})


def _quota_refused(session: Session, stored: Outbox, error: QuotaExceeded,
                   now: datetime) -> None:
    refused = platform_usage.count(session, stored.channel, platform_usage.REFUSED, now)
    if refused not in _TELL_AT:
        return
    name = stored.channel.capitalize()
    told = tell_command_centre(session, officer_text(
        "alert.quota_refused", platform=name, code=error.code, refused=refused,
        month=platform_usage.month_of(now)), now, report_id=stored.report_id)
    if not told:
        log.error("%s quota refused %d sends this month and no command centre chat is bound "
                  "to be told", stored.channel, refused)


def _crashed_text(session: Session, stored: Outbox, error: SendCrashed) -> str:
    """What the command centre reads about a row given up because it kept raising."""
    report = session.get(Report, stored.report_id) if stored.report_id is not None else None
    about = officer_text("alert.crashed_about", code=report.code) if report is not None else ""
    delivery = session.get(Delivery, stored.delivery_id) \
        if stored.delivery_id is not None else None
    binding = session.get(Binding, delivery.binding_id) \
        if delivery is not None and delivery.binding_id is not None else None
    if delivery is not None or stored.destination == Destination.GROUP:
        where = officer_text("alert.crashed_group",
                             title=binding.title if binding and binding.title else stored.chat_id)
    else:
        where = officer_text("alert.crashed_person", channel=stored.channel.capitalize())
    kinds = officer_labels("alert.crashed_what.")
    what = kinds.get(stored.method, kinds["message"])
    return officer_text("alert.crashed", what=what, about=about, where=where,
                        attempts=stored.attempts, error=error, row=stored.id)
