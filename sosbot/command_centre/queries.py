"""The digest's database reads: plain rows, no aggregation beyond what SQL does portably.

Every query is bounded by time and works the same on SQLite and PostgreSQL; statistics
(percentiles, rankings) are computed in Python by :mod:`sosbot.command_centre.digest`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from sosbot.storage.outbox import OutboxStatus
from sosbot.storage.tables import Ack, Delivery, InboundEvent, Outbox, Report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportRow:
    """The columns of a report the digest needs."""

    id: int
    code: str
    category: str
    status: str
    ward_code: str | None
    ward_name: str | None
    lat: float | None
    lon: float | None
    escalation_level: int
    created_at: datetime


@dataclass(frozen=True)
class DeliveryAckRow:
    """One delivery of a report in the period, with the time of its first acknowledgement."""

    report_id: int
    role: str
    target_code: str
    status: str
    first_ack_at: datetime | None


@dataclass(frozen=True)
class FailureRow:
    """A delivery or outbox row that failed, with the platform's error."""

    kind: str  # "delivery" or "outbox"
    report_code: str | None
    channel: str
    chat_id: str
    what: str  # the delivery's role:target, or the outbox method
    error: str | None
    at: datetime


def reports_between(session: Session, since: datetime, until: datetime) -> list[ReportRow]:
    """Reports created in ``[since, until)``, oldest first."""
    rows = session.exec(
        select(Report).where(Report.created_at >= since, Report.created_at < until)
        .order_by(col(Report.created_at), col(Report.id))
    ).all()
    return [ReportRow(id=r.id or 0, code=r.code, category=r.category, status=r.status,
                      ward_code=r.ward_code, ward_name=r.ward_name, lat=r.lat, lon=r.lon,
                      escalation_level=r.escalation_level, created_at=r.created_at)
            for r in rows]


def delivery_acks(session: Session, since: datetime, until: datetime) -> list[DeliveryAckRow]:
    """Every delivery of the period's reports and its first acknowledgement.

    The first acknowledgement is the earliest ``ack`` row of the delivery; a delivery marked
    acknowledged without any ``ack`` row (older data) falls back to ``delivery.acked_at``.
    """
    first_ack = (
        select(col(Ack.delivery_id).label("delivery_id"), sa.func.min(Ack.at).label("first_at"))
        .where(col(Ack.delivery_id).is_not(None))
        .group_by(col(Ack.delivery_id))
        .subquery()
    )
    query = (
        sa.select(col(Delivery.report_id), col(Delivery.role), col(Delivery.target_code),
               col(Delivery.status), col(Delivery.acked_at), first_ack.c.first_at)
        .join(Report, col(Report.id) == col(Delivery.report_id))
        .outerjoin(first_ack, first_ack.c.delivery_id == col(Delivery.id))
        .where(col(Report.created_at) >= since, col(Report.created_at) < until)
        .order_by(col(Delivery.id))
    )
    out = []
    for report_id, role, target, status, acked_at, first_at in session.execute(query).all():
        # A min() over a TypeDecorator column comes back raw (naive) from SQLite.
        first = _aware(first_at) if first_at is not None else acked_at
        out.append(DeliveryAckRow(report_id=report_id, role=role, target_code=target,
                                  status=status, first_ack_at=first))
    return out


def failures_between(session: Session, since: datetime, until: datetime) -> list[FailureRow]:
    """Failed deliveries and failed outbox rows created in ``[since, until)``, oldest first."""
    out: list[FailureRow] = []
    deliveries = session.exec(
        select(Delivery, Report.code).join(Report, col(Report.id) == col(Delivery.report_id))
        .where(Delivery.status == "failed", Delivery.created_at >= since,
               Delivery.created_at < until)
        .order_by(col(Delivery.created_at), col(Delivery.id))
    ).all()
    for d, code in deliveries:
        out.append(FailureRow(kind="delivery", report_code=code, channel=d.channel,
                              chat_id=d.chat_id, what=f"{d.role}:{d.target_code}",
                              error=d.last_error, at=d.created_at))
    rows = session.exec(
        select(Outbox, Report.code).outerjoin(Report, col(Report.id) == col(Outbox.report_id))
        .where(Outbox.status == OutboxStatus.FAILED, Outbox.created_at >= since,
               Outbox.created_at < until)
        .order_by(col(Outbox.created_at), col(Outbox.id))
    ).all()
    for o, code in rows:
        out.append(FailureRow(kind="outbox", report_code=code, channel=o.channel,
                              chat_id=o.chat_id, what=o.method, error=o.last_error,
                              at=o.created_at))
    out.sort(key=lambda f: f.at)
    return out


def last_inbound_by_channel(session: Session, since: datetime,
                            until: datetime) -> dict[str, datetime]:
    """The latest inbound event per channel received in ``[since, until]``."""
    rows = session.exec(
        select(col(InboundEvent.channel), sa.func.max(InboundEvent.received_at))
        .where(InboundEvent.received_at >= since, InboundEvent.received_at <= until)
        .group_by(col(InboundEvent.channel))
    ).all()
    return {channel: _aware(last) for channel, last in rows if last is not None}


def _aware(value: datetime | str) -> datetime:
    """A UTC-aware datetime from what an aggregate returned (naive UTC, or text on SQLite)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
