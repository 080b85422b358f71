"""Deliveries (one report, one target chat) and officers' acknowledgements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from sosbot.core.outbox_rows import RowKind
from sosbot.storage.db import RowsInsert
from sosbot.storage.outbox import OutboxStatus
from sosbot.storage.tables import Ack, Delivery, Outbox, Report


def create(session: Session, *, report_id: int, role: str, target_code: str, channel: str,
           chat_id: str, binding_id: int | None, now: datetime) -> Delivery:
    """One delivery as an ORM object, written at once (its id known): for the rare ones a
    caller goes on changing; a fan-out writes its deliveries with :func:`insert_many`."""
    delivery = Delivery(report_id=report_id, role=role, target_code=target_code,
                        channel=channel, chat_id=chat_id, binding_id=binding_id, created_at=now)
    session.add(delivery)
    session.flush()
    return delivery


@dataclass(frozen=True)
class NewDelivery:
    """A delivery just written by :func:`insert_many`: what its card's outbox row needs."""

    id: int
    report_id: int
    role: str
    target_code: str
    channel: str
    chat_id: str
    binding_id: int | None


_TABLE: sa.Table = Delivery.__table__  # type: ignore[attr-defined]
_INSERT = RowsInsert(_TABLE, ("report_id", "role", "target_code", "binding_id", "channel",
                               "chat_id", "status", "album_message_ids", "ack_state",
                               "escalation_level", "created_at"))


def insert_many(session: Session, targets: list[tuple[str, str, str, str, int | None]], *,
                report_id: int, now: datetime, status: str = "pending",
                ack_state: str = "new") -> list[NewDelivery]:
    """One pending delivery per (role, target code, channel, chat id, binding id), written
    with one prepared statement (no ORM objects: a fan-out runs for every report)."""
    if not targets:
        return []
    rows: list[dict[str, Any]] = [
        {"report_id": report_id, "role": role, "target_code": code, "binding_id": binding,
         "channel": channel, "chat_id": chat_id, "status": status, "album_message_ids": [],
         "ack_state": ack_state, "escalation_level": 0, "created_at": now}
        for role, code, channel, chat_id, binding in targets]
    ids = _INSERT(session, rows)
    return [NewDelivery(id=int(row_id), report_id=report_id, role=role, target_code=code,
                        channel=channel, chat_id=chat_id, binding_id=binding)
            for row_id, (role, code, channel, chat_id, binding) in zip(ids, targets,
                                                                      strict=True)]


def for_report(session: Session, report_id: int) -> list[Delivery]:
    return for_reports(session, [report_id]).get(report_id, [])


def for_reports(session: Session, report_ids: Sequence[int]) -> dict[int, list[Delivery]]:
    """Each report's deliveries, oldest first, in one query for all of them."""
    found: dict[int, list[Delivery]] = {}
    if not report_ids:
        return found
    for delivery in session.exec(select(Delivery).where(col(Delivery.report_id)
                                                        .in_(report_ids))
                                 .order_by(col(Delivery.id))).all():
        found.setdefault(delivery.report_id, []).append(delivery)
    return found


def by_ids(session: Session, delivery_ids: Sequence[int]) -> dict[int, Delivery]:
    """Deliveries by id, in one query."""
    if not delivery_ids:
        return {}
    return {d.id: d for d in session.exec(select(Delivery).where(
        col(Delivery.id).in_(delivery_ids))).all() if d.id is not None}


_CHATS_OF_REPORT = sa.select(_TABLE.c.channel, _TABLE.c.chat_id).where(
    _TABLE.c.report_id == sa.bindparam("report_id"))


def chats_of_report(session: Session, report_id: int) -> set[tuple[str, str]]:
    """The (channel, chat id) pairs a report already has a delivery to."""
    return {(channel, chat_id) for channel, chat_id in
            session.execute(_CHATS_OF_REPORT, {"report_id": report_id})}


def sharing_card(session: Session, channel: str, chat_id: str,
                 message_id: str) -> list[Delivery]:
    """Every delivery whose card is message ``message_id``: one, or a batch card's reports."""
    return list(session.exec(select(Delivery).where(
        Delivery.channel == channel, Delivery.chat_id == chat_id,
        Delivery.card_message_id == message_id).order_by(col(Delivery.id))).all())


def in_chat_for_code(session: Session, channel: str, chat_id: str,
                     code: str) -> Delivery | None:
    return session.exec(
        select(Delivery).join(Report, col(Report.id) == col(Delivery.report_id))
        .where(Delivery.channel == channel, Delivery.chat_id == chat_id, Report.code == code)
    ).first()


def edits_pending(session: Session, delivery_ids: list[int]) -> set[int]:
    """Those of these deliveries whose card edit is already waiting: it will show the
    latest state."""
    if not delivery_ids:
        return set()
    return {int(i) for i in session.exec(select(Outbox.delivery_id).where(
        col(Outbox.delivery_id).in_(delivery_ids), Outbox.method == RowKind.CARD_EDIT,
        Outbox.status == OutboxStatus.PENDING)) if i is not None}


def record_ack(session: Session, *, delivery: Delivery, action: str, user_id: str,
               user_name: str, now: datetime) -> Ack:
    ack = Ack(report_id=delivery.report_id, delivery_id=delivery.id, action=action,
              channel=delivery.channel, chat_id=delivery.chat_id, user_id=user_id,
              user_name=user_name[:256], at=now)
    session.add(ack)
    return ack


def move_chat(session: Session, channel: str, old_chat_id: str, new_chat_id: str) -> int:
    """Deliveries follow a group that became a supergroup; returns how many moved."""
    rows = session.exec(select(Delivery).where(Delivery.channel == channel,
                                               Delivery.chat_id == old_chat_id)).all()
    for row in rows:
        row.chat_id = new_chat_id
    return len(rows)


def in_chat_for_report(session: Session, report_id: int, channel: str,
                       chat_id: str) -> Delivery | None:
    return session.exec(select(Delivery).where(
        Delivery.report_id == report_id, Delivery.channel == channel,
        Delivery.chat_id == chat_id)).first()


def latest_merged(session: Session, main_report_id: int, channel: str,
                  chat_id: str) -> tuple[Report, Delivery] | None:
    """The most recent near-duplicate merged into a report, with its delivery to this chat."""
    row = session.exec(
        select(Report, Delivery).join(Delivery, col(Delivery.report_id) == col(Report.id))
        .where(Report.duplicate_of_id == main_report_id, Delivery.channel == channel,
               Delivery.chat_id == chat_id)
        .order_by(col(Report.id).desc())
    ).first()
    return (row[0], row[1]) if row is not None else None
