"""The outbox: messages to send, written with the change that caused them, sent by workers.

Priority: a chat sends its pending rows URGENT first, then ROUTINE, each in the order
written (by id). Urgent is what an officer or a resident waits for: cards, their edits,
notes and albums, answers in a conversation or to a command, the command centre's
alerts. Routine is what nobody waits for this minute: digests (their text and images) and
safety bulletins. Rows of one priority keep their order, so a card's edit still follows
its card and its album follows it too; a digest's images follow its text. The producer
says which when it writes the row (the kind alone cannot: a digest's text is a
``message`` like any officer's answer).

A row is written from its payload's dataclass (``sosbot.core.outbox_rows``): the class names
the row's kind (``outbox.method``, a ``RowKind``), ``to_json`` gives the payload stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from sosbot.core.model import Destination
from sosbot.core.outbox_rows import RowKind, RowPayload
from sosbot.storage.db import RowsInsert
from sosbot.storage.driver_statements import DriverStatement
from sosbot.storage.tables import Delivery, Outbox

# In ``session.info``: the rows added since the last take, as (owner, Outbox or id); the
# resident messages added but not written yet, as (owner, row); whose rows are added now.
_ADDED = "sosbot.outbox.added"
_UNWRITTEN = "sosbot.outbox.unwritten"
_OWNER = "sosbot.outbox.owner"


class OutboxStatus(StrEnum):
    """What became of an outbox row: the values stored in ``outbox.status`` (a StrEnum, so
    a member is the very string stored and compares equal to it)."""

    PENDING = "pending"  # to send (or being sent)
    SENT = "sent"
    FAILED = "failed"
    # A resident's update the platform's window refused: kept until the resident writes
    # again, then FOLDED into one message (sosbot.residents.held_updates).
    HELD = "held"
    FOLDED = "folded"
    # A bulletin's row its resident could not be sent (window closed): not a failure
    # (sosbot.command_centre.bulletins).
    SKIPPED = "skipped"


# The members under their old names, for callers that read them from this module.
PENDING = OutboxStatus.PENDING
SENT = OutboxStatus.SENT
FAILED = OutboxStatus.FAILED
HELD = OutboxStatus.HELD
FOLDED = OutboxStatus.FOLDED
URGENT = 0
ROUTINE = 1


def add(session: Session, *, channel: str, chat_id: str, destination: Destination,
        row: RowPayload, now: datetime, report_id: int | None = None,
        delivery_id: int | None = None, priority: int = URGENT) -> Outbox:
    """One row to send: ``row``, its payload, names its kind. ``destination`` has no
    default: whether a chat is a resident's or a group's decides how it is sent and what
    its failure means, and only the producer knows."""
    destination = Destination(destination)  # a wrong value fails here, before any write
    method, payload = _kind_of(row), row.to_json()
    # Marked queued now: the caller queues it right after commit, and if that fails the
    # sweeper finds it once ``enqueued_at`` is stale.
    write_messages(session)  # rows added before this one keep the lower ids (send order)
    stored = Outbox(channel=channel, chat_id=chat_id, destination=destination,
                    method=method, payload=payload,
                    report_id=report_id, delivery_id=delivery_id, not_before=now,
                    created_at=now, enqueued_at=now, status=OutboxStatus.PENDING,
                    priority=priority)
    session.add(stored)
    session.info.setdefault(_ADDED, []).append((session.info.get(_OWNER), stored))
    return stored


def _kind_of(row: RowPayload) -> RowKind:
    """The kind a payload's class names; a value that is no row payload is refused
    (TypeError) before anything is written."""
    kind = getattr(type(row), "KIND", None)
    if not isinstance(kind, RowKind):
        raise TypeError(f"not an outbox row payload: {type(row).__name__}")
    return kind


_TABLE: sa.Table = Outbox.__table__  # type: ignore[attr-defined]
_INSERT = RowsInsert(_TABLE, ("channel", "chat_id", "destination", "method", "payload",
                               "report_id", "delivery_id", "not_before", "created_at",
                               "enqueued_at", "status", "attempts", "priority"))


def _row(channel: str, chat_id: str, destination: Destination, row: RowPayload,
         now: datetime, report_id: int | None, delivery_id: int | None) -> dict[str, Any]:
    return {"channel": channel, "chat_id": chat_id,
            "destination": Destination(destination).value, "method": _kind_of(row).value,
            "payload": row.to_json(), "report_id": report_id, "delivery_id": delivery_id,
            "not_before": now, "created_at": now, "enqueued_at": now,
            "status": OutboxStatus.PENDING.value, "attempts": 0, "priority": URGENT}


def _insert(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Rows written at once with one prepared statement (no ORM objects), their ids kept
    for :func:`take_added` in the order written."""
    write_messages(session)
    return _write(session, [(session.info.get(_OWNER), row) for row in rows])


def _write(session: Session, owned: list[tuple[Any, dict[str, Any]]]) -> list[int]:
    ids = _INSERT(session, [row for _, row in owned])
    session.info.setdefault(_ADDED, []).extend(
        (owner, row_id) for (owner, _), row_id in zip(owned, ids, strict=True))
    return ids


def add_messages(session: Session, *, channel: str, chat_id: str, destination: Destination,
                 messages: Sequence[RowPayload], now: datetime) -> None:
    """Several rows to one chat, in order: what one resident update
    answers. They are written with the next rows written otherwise, or by
    :func:`write_messages`, :func:`take_added` or the commit, whichever comes first: the
    answers of a whole batch of updates go in one statement."""
    owner = session.info.get(_OWNER)
    session.info.setdefault(_UNWRITTEN, []).extend(
        (owner, _row(channel, chat_id, destination, row, now, None, None))
        for row in messages)


def write_messages(session: Session) -> None:
    """Write the messages :func:`add_messages` holds back (before anything reads the
    outbox in this transaction)."""
    waiting = session.info.pop(_UNWRITTEN, None)
    if waiting:
        _write(session, waiting)


@sa.event.listens_for(sa.orm.Session, "before_commit")
def _written_before_commit(session: Session) -> None:
    write_messages(session)


def owned_by(session: Session, owner: Any) -> None:
    """Rows added from now on belong to ``owner`` (one delivery of several stored in this
    transaction): :func:`take_added_by_owner` tells them apart."""
    session.info[_OWNER] = owner


def take_added_by_owner(session: Session) -> dict[Any, list[int]]:
    """Ids of the rows this session added since the last take, each owner's in the order
    they were added (written and flushed first)."""
    write_messages(session)
    added: list[tuple[Any, Outbox | int]] = session.info.pop(_ADDED, [])
    if any(isinstance(row, Outbox) for _, row in added):
        session.flush()
    owned: dict[Any, list[int]] = {}
    for owner, row in added:
        row_id = row if isinstance(row, int) else row.id
        if row_id is not None:
            owned.setdefault(owner, []).append(row_id)
    return owned


def take_added(session: Session) -> list[int]:
    """Ids of the rows this session added since the last call, in the order they were
    added (written and flushed first)."""
    owned = take_added_by_owner(session)
    return sorted(row_id for ids in owned.values() for row_id in ids)


@dataclass(frozen=True)
class PendingRow:
    """An outbox row as the send path reads it: the columns it needs, read by one Core
    statement into this plain value (no ORM object, no identity map, nothing to flush).
    What the send path writes back, it writes by UPDATE (``mark_started``,
    ``record_sent``)."""

    id: int
    channel: str
    chat_id: str
    method: str
    payload: dict[str, Any]
    attempts: int
    not_before: datetime
    destination: str
    report_id: int | None
    delivery_id: int | None
    bulletin_id: int | None
    attempt_started_at: datetime | None
    idempotency_key: str | None
    # Read by ``next_for_chat`` alone (None when not read): whether any other row of the
    # chat is pending (False: once this one is sent, the chat has nothing left that its
    # holder could have seen); and, for a card, whether other cards of the chat wait after
    # it (False: no batch can form, and ``waiting_cards`` need not be asked).
    rows_behind: bool | None = None
    cards_behind: bool | None = None


_BEHIND_FIELDS = ("rows_behind", "cards_behind")
_PENDING_COLUMNS = [_TABLE.c[field.name] for field in fields(PendingRow)
                    if field.name not in _BEHIND_FIELDS]
# Built once: a statement SQLAlchemy has seen is executed from its compiled cache.
_BEHIND = _TABLE.alias("behind")
_OF_THE_CHAT = (_BEHIND.c.channel == _TABLE.c.channel, _BEHIND.c.chat_id == _TABLE.c.chat_id,
                _BEHIND.c.status == OutboxStatus.PENDING)
# Both from the chat's index; the cards' only for a card (CASE: no subquery for the rest).
_ROWS_BEHIND = sa.exists().where(*_OF_THE_CHAT, _BEHIND.c.id != _TABLE.c.id)
_CARDS_BEHIND = sa.case((_TABLE.c.method == RowKind.CARD, sa.exists().where(
    *_OF_THE_CHAT, _BEHIND.c.method == RowKind.CARD, _BEHIND.c.id > _TABLE.c.id)),
    else_=None)
# The send path's statements run on the driver's cursor (storage.driver_statements).
_NEXT_FOR_CHAT = DriverStatement(sa.select(*_PENDING_COLUMNS, _ROWS_BEHIND, _CARDS_BEHIND).where(
    _TABLE.c.channel == sa.bindparam("channel"), _TABLE.c.chat_id == sa.bindparam("chat_id"),
    _TABLE.c.status == OutboxStatus.PENDING).order_by(
    _TABLE.c.priority, _TABLE.c.id).limit(1).with_for_update())
_PENDING_BY_ID = sa.select(*_PENDING_COLUMNS).where(
    _TABLE.c.id.in_(sa.bindparam("ids", expanding=True)),
    _TABLE.c.status == OutboxStatus.PENDING)
_PENDING_LOCKED = DriverStatement(sa.select(*_PENDING_COLUMNS).where(
    _TABLE.c.id == sa.bindparam("row_id"),
    _TABLE.c.status == OutboxStatus.PENDING).with_for_update())


def next_for_chat(bind: sa.Connection, channel: str, chat_id: str) -> PendingRow | None:
    """The row of one chat to send next (due or not): its most urgent pending row, the
    oldest of them; locked for update until the transaction ends (PostgreSQL). Read
    from the index ``ix_outbox_chat_next`` in its order. A card says whether other cards
    of the chat wait after it (``cards_behind``), and any row whether other rows of the
    chat are pending (``rows_behind``), in the same statement."""
    found = _NEXT_FOR_CHAT.first(bind, {"channel": channel, "chat_id": chat_id})
    if found is None:
        return None
    *columns, rows, cards = found  # (columns: _PENDING_COLUMNS', which mypy cannot count)
    return PendingRow(*columns, bool(rows),  # type: ignore[call-arg]
                      None if cards is None else bool(cards))


def pending_locked(bind: sa.Connection, row_id: int) -> PendingRow | None:
    """Row ``row_id`` while it is pending, locked for update (PostgreSQL); else None."""
    found = _PENDING_LOCKED.first(bind, {"row_id": row_id})
    return PendingRow(*found) if found is not None else None


def pending_by_id(bind: sa.Connection, ids: Sequence[int]) -> list[PendingRow]:
    """Those of rows ``ids`` that are still pending, in the order of ``ids``."""
    if not ids:
        return []
    found = {values.id: PendingRow(*values)
             for values in bind.execute(_PENDING_BY_ID, {"ids": list(ids)})}
    return [found[row_id] for row_id in ids if row_id in found]


_START = sa.update(_TABLE).where(_TABLE.c.id == sa.bindparam("row_id"),
                                  _TABLE.c.status == OutboxStatus.PENDING).values(
    attempt_started_at=sa.bindparam("now"), idempotency_key=sa.bindparam("key"))
_STARTED = DriverStatement(_START)
_STARTED_WITH_PAYLOAD = DriverStatement(_START.values(payload=sa.bindparam("payload")))


def mark_started(bind: sa.Connection, row_id: int, *, key: str, now: datetime,
                 payload: dict[str, Any] | None = None) -> bool:
    """Record that row ``row_id`` is about to be sent, with its idempotency key (and, for a
    batch card, its payload naming the rows the send carries): one UPDATE, made only while
    the row is pending. False when it no longer was (a look read without holding the row's
    lock, and the row was decided meanwhile)."""
    if payload is None:
        changed = _STARTED.run(bind, {"row_id": row_id, "now": now, "key": key})
    else:
        changed = _STARTED_WITH_PAYLOAD.run(bind, {"row_id": row_id, "now": now, "key": key,
                                                   "payload": payload})
    return changed > 0


def next_id_for_chat(bind: sa.Connection, channel: str, chat_id: str) -> int | None:
    """The id of the row :func:`next_for_chat` would find, read without locking it."""
    table = _TABLE
    return bind.execute(
        sa.select(table.c.id).where(table.c.channel == channel, table.c.chat_id == chat_id,
                                    table.c.status == OutboxStatus.PENDING)
        .order_by(table.c.priority, table.c.id).limit(1)).scalar()


Whereabouts = tuple[OutboxStatus, str, str]  # (status, channel, chat id) of a row

_WHERE_TO = DriverStatement(sa.select(
    _TABLE.c.id, _TABLE.c.status, _TABLE.c.channel, _TABLE.c.chat_id).where(
    _TABLE.c.id.in_(sa.bindparam("ids", expanding=True))))


def where_to(bind: sa.Connection, outbox_id: int) -> Whereabouts | None:
    """(status, channel, chat id) of one row, or None: a job's first look, without loading
    the row's payload."""
    return where_to_many(bind, [outbox_id]).get(outbox_id)


def where_to_many(bind: sa.Connection, ids: Sequence[int]) -> dict[int, Whereabouts]:
    """``where_to`` of several rows (a job's), in one query; a missing row is left out."""
    if not ids:
        return {}
    return {int(row_id): (OutboxStatus(status), str(channel), str(chat_id))
            for row_id, status, channel, chat_id in _WHERE_TO.rows(bind, {"ids": list(ids)})}


_WAITING_CARDS = sa.select(*_PENDING_COLUMNS).where(
    _TABLE.c.channel == sa.bindparam("channel"), _TABLE.c.chat_id == sa.bindparam("chat_id"),
    _TABLE.c.status == OutboxStatus.PENDING, _TABLE.c.method == RowKind.CARD,
    _TABLE.c.id >= sa.bindparam("from_id"), _TABLE.c.not_before <= sa.bindparam("now"),
    _TABLE.c.attempt_started_at.is_(None) | (_TABLE.c.id == sa.bindparam("from_id"))
).order_by(_TABLE.c.id).limit(sa.bindparam("limit"))


def waiting_cards(bind: sa.Connection, channel: str, chat_id: str, from_id: int,
                  now: datetime, limit: int, at_least: int = 1) -> list[PendingRow]:
    """The oldest cards due in one chat from row ``from_id`` on, none of them in doubt
    (a row whose send was started is sent again as it was, alone or with its batch); none
    when fewer than ``at_least`` wait. One statement, no ORM objects."""
    rows = [PendingRow(*values) for values in bind.execute(_WAITING_CARDS, {
        "channel": channel, "chat_id": chat_id, "from_id": from_id, "now": now,
        "limit": limit})]
    return rows if len(rows) >= at_least else []


_DELIVERY: sa.Table = Delivery.__table__  # type: ignore[attr-defined]
# A send's record, on the driver's cursor (storage.driver_statements).
_ROW_SENT = sa.update(_TABLE).where(_TABLE.c.id == sa.bindparam("row_id")).values(
    status=OutboxStatus.SENT, last_error=None, platform_message_id=sa.bindparam("message_id"),
    attempts=sa.bindparam("attempts"), sent_at=sa.bindparam("now"))
_CARD_SENT = sa.update(_DELIVERY).where(_DELIVERY.c.id == sa.bindparam("delivery_id")).values(
    card_message_id=sa.bindparam("message_id"), status="sent", sent_at=sa.bindparam("now"))
_SENT_ROW = DriverStatement(_ROW_SENT)
_SENT_CARD = DriverStatement(_CARD_SENT)
# On PostgreSQL a card's row and its delivery in one statement (the row's UPDATE a
# data-modifying WITH, run once whether read or not): the outcome of a card sent is then
# one statement, sent on its own, with no BEGIN and COMMIT around two (bench/FINDINGS.md,
# session 15). SQLite has no UPDATE inside WITH.
_SENT_CARD_ROW = DriverStatement(_CARD_SENT.add_cte(_ROW_SENT.cte("sent_row")))


def card_sent_at_once(dialect: sa.Dialect) -> bool:
    """Whether :func:`record_sent` writes a card sent (no batch's members) in one
    statement on this database: its row and its delivery together."""
    return dialect.name == "postgresql"

# The other cards a batch card carried: sent with the lead's message, their attempts
# untouched (only the lead's send was tried), their deliveries marked sent in one go.
_MEMBER_IDS: sa.BindParameter[list[int]] = sa.bindparam("row_ids", expanding=True)
_SENT_MEMBERS = sa.update(_TABLE).where(_TABLE.c.id.in_(_MEMBER_IDS)).values(
    status=OutboxStatus.SENT, last_error=None, platform_message_id=sa.bindparam("message_id"),
    sent_at=sa.bindparam("now"))
_SENT_MEMBER_CARDS = sa.update(_DELIVERY).where(_DELIVERY.c.id.in_(
    sa.select(_TABLE.c.delivery_id).where(_TABLE.c.id.in_(_MEMBER_IDS))
    .scalar_subquery())).values(
    card_message_id=sa.bindparam("message_id"), status="sent", sent_at=sa.bindparam("now"))


def record_sent(session: Session, outbox_id: int, *, message_id: str | None, attempts: int,
                now: datetime, card_delivery_id: int | None = None,
                members: Sequence[int] = ()) -> None:
    """Record a plain row as sent, by UPDATEs rather than loading it: the common case of
    every send (a card also marks its delivery sent, with the card's message id).
    ``members``: the other card rows a batch card carried with ``outbox_id`` (its lead),
    recorded sent with it, in two statements however many they are."""
    connection = session.connection()
    sent = {"row_id": outbox_id, "message_id": message_id, "attempts": attempts, "now": now,
            "delivery_id": card_delivery_id}
    if card_delivery_id is not None and card_sent_at_once(connection.dialect):
        _SENT_CARD_ROW.run(connection, sent)
    else:
        _SENT_ROW.run(connection, sent)
        if card_delivery_id is not None:
            _SENT_CARD.run(connection, sent)
    others = [row_id for row_id in members if row_id != outbox_id]
    if others:
        values = {"row_ids": others, "message_id": message_id, "now": now}
        connection.execute(_SENT_MEMBERS, values)
        connection.execute(_SENT_MEMBER_CARDS, values)


def stranded(session: Session, now: datetime, stale_after: timedelta,
             limit: int = 500) -> list[Outbox]:
    """Pending rows that are due and that no job has picked up for a while (or ever)."""
    stale = now - stale_after
    return list(session.exec(
        select(Outbox).where(Outbox.status == OutboxStatus.PENDING, Outbox.not_before <= now,
                             (col(Outbox.enqueued_at).is_(None))
                             | (col(Outbox.enqueued_at) < stale))
        .order_by(col(Outbox.id)).limit(limit)
    ).all())


class DeliveryRef(Protocol):
    """What a delivery's outbox row names: a stored ``Delivery`` or a ``NewDelivery``."""

    @property
    def id(self) -> int | None: ...
    @property
    def report_id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def chat_id(self) -> str: ...


def for_deliveries(session: Session, targets: Sequence[DeliveryRef], row: RowPayload,
                   now: datetime) -> list[int]:
    """One row per delivery (card, edit, album, note), rendered when it is sent, all in one
    statement (a fan-out's cards); returns their ids. A delivery is a report's copy in a
    police group chat: its rows go to that group (``Destination.GROUP``), always."""
    rows = []
    for delivery in targets:
        assert delivery.id is not None
        # The delivery is the row's ``delivery_id`` column, read from there (not stored in
        # the payload as well).
        rows.append(_row(delivery.channel, delivery.chat_id, Destination.GROUP, row, now,
                         delivery.report_id, delivery.id))
    return _insert(session, rows) if rows else []


def for_delivery(session: Session, delivery: DeliveryRef, row: RowPayload,
                 now: datetime) -> int:
    """One row about one delivery; returns its id."""
    return for_deliveries(session, [delivery], row, now)[0]


def rows_of_delivery(session: Session, delivery_id: int, kind: RowKind) -> list[Outbox]:
    return list(session.exec(select(Outbox).where(Outbox.delivery_id == delivery_id,
                                                  Outbox.method == kind)).all())


def send_now(session: Session, ids: list[int], now: datetime) -> None:
    """Make rows due at ``now`` (they were written at another, simulated time)."""
    for row in session.exec(select(Outbox).where(col(Outbox.id).in_(ids))).all():
        row.not_before = min(row.not_before, now)


def pending_count(session: Session) -> int:
    return int(session.exec(select(sa.func.count()).select_from(Outbox)
                            .where(Outbox.status == OutboxStatus.PENDING)).one())
