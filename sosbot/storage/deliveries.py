"""Deliveries (one report, one target chat) and officers' acknowledgements."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from sosbot.storage.tables import Ack, Delivery, Outbox, Report


def create(session: Session, *, report_id: int, role: str, target_code: str, channel: str,
           chat_id: str, binding_id: int | None, now: datetime) -> Delivery:
    delivery = new(report_id=report_id, role=role, target_code=target_code, channel=channel,
                   chat_id=chat_id, binding_id=binding_id, now=now)
    session.add(delivery)
    session.flush()
    return delivery


def new(*, report_id: int, role: str, target_code: str, channel: str, chat_id: str,
        binding_id: int | None, now: datetime) -> Delivery:
    """A delivery not yet added: a fan-out adds its deliveries together, one INSERT."""
    return Delivery(report_id=report_id, role=role, target_code=target_code, channel=channel,
                    chat_id=chat_id, binding_id=binding_id, created_at=now)


def for_report(session: Session, report_id: int) -> list[Delivery]:
    return list(session.exec(select(Delivery).where(Delivery.report_id == report_id)
                             .order_by(col(Delivery.id))).all())


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


def edit_pending(session: Session, delivery_id: int) -> bool:
    """A card edit for this delivery is already waiting: it will show the latest state."""
    return session.exec(select(Outbox.id).where(
        Outbox.delivery_id == delivery_id, Outbox.method == "card_edit",
        Outbox.status == "pending")).first() is not None


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
