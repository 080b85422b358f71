"""Inbound events: the record that makes a platform's retried delivery a no-op, and the
intake's journal (a row is processed once ``processed_at`` is set)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from sosbot.storage.db import InsertMissing
from sosbot.storage.driver_statements import DriverStatement, flushed
from sosbot.storage.tables import InboundEvent

_TABLE: sa.Table = InboundEvent.__table__  # type: ignore[attr-defined]
_RECORD = InsertMissing(_TABLE, ("channel", "event_id", "kind", "chat_id", "payload",
                                 "received_at"), key=("channel", "event_id"),
                        returning=("channel", "event_id", "id"))
# What a journal row carries for its replay.
_ROW = (_TABLE.c.id, _TABLE.c.channel, _TABLE.c.event_id, _TABLE.c.kind, _TABLE.c.chat_id,
        _TABLE.c.payload, _TABLE.c.received_at)


def record_new(session: Session, rows: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Record every event not recorded before, all in one statement; the (channel, event
    id) keys that were new, each with its row's id. A row whose key comes again later in
    ``rows`` is taken once, as it first comes.

    Each row names ``channel``, ``event_id``, ``kind``, ``chat_id``, ``payload`` and
    ``received_at``. On the (channel, event id) key: a concurrent delivery of the same event
    waits for the other transaction and then inserts nothing, and the transaction (which
    may hold several deliveries) is never aborted by it.
    """
    firsts: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        firsts.setdefault((row["channel"], row["event_id"]), row)
    return {(str(channel), str(event_id)): int(row_id)
            for channel, event_id, row_id in _RECORD(session, list(firsts.values()))}


def claim(session: Session, ids: Iterable[int], at: datetime) -> set[int]:
    """Mark the rows of ``ids`` not processed yet as processed at ``at``, in the caller's
    transaction; the ids it marked. A row another transaction is marking is waited for (its
    row lock), then left out if that one committed: a row is processed exactly once, by
    whichever transaction marks it, and unmarked again if that one rolls back."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    return {int(row_id) for (row_id,) in _CLAIM.rows(flushed(session), {"ids": wanted,
                                                                        "at": at})}


_CLAIM = DriverStatement(sa.update(_TABLE)
                         .where(_TABLE.c.id.in_(sa.bindparam("ids", expanding=True)),
                                _TABLE.c.processed_at.is_(None))
                         .values(processed_at=sa.bindparam("at")).returning(_TABLE.c.id))


@dataclass(frozen=True)
class JournalRow:
    """A recorded event as the journal keeps it."""

    id: int
    channel: str
    event_id: str
    kind: str
    chat_id: str | None
    payload: dict[str, Any]
    received_at: datetime


def unprocessed(session: Session, after_id: int = 0, limit: int = 1000,
                chats: Iterable[tuple[str, str]] | None = None,
                before_id: int | None = None) -> list[JournalRow]:
    """Rows not processed yet, in id order (the order they were recorded): after
    ``after_id``, below ``before_id`` and of ``chats`` when given, at most ``limit``."""
    by_channel = _by_channel(set(chats)) if chats is not None else None
    if by_channel == {}:
        return []
    channels = None if by_channel is None else len(by_channel)

    def build() -> Any:
        query = sa.select(*_ROW).where(_TABLE.c.processed_at.is_(None),
                                       _TABLE.c.id > sa.bindparam("after_id"))
        if before_id is not None:
            query = query.where(_TABLE.c.id < sa.bindparam("before_id"))
        if channels is not None:
            query = query.where(_chats_clause(channels))
        return query.order_by(_TABLE.c.id).limit(limit)

    statement = _statement(("unprocessed", before_id is not None, channels, limit), build)
    params = {"after_id": after_id, **_chat_params(by_channel or {})}
    if before_id is not None:
        params["before_id"] = before_id
    return [JournalRow(*row) for row in statement.rows(flushed(session), params)]


def payload_of(session: Session, channel: str, event_id: str) -> dict[str, Any] | None:
    """The payload kept with the event (``channel``, ``event_id``), or None."""
    return session.execute(sa.select(_TABLE.c.payload).where(
        _TABLE.c.channel == channel, _TABLE.c.event_id == event_id)).scalar_one_or_none()


def _by_channel(chats: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """The chats' ids by channel, both in order (the statement's shape and its parameters)."""
    by_channel: dict[str, list[str]] = {}
    for channel, chat_id in sorted(chats):
        by_channel.setdefault(channel, []).append(chat_id)
    return by_channel


def _chats_clause(channels: int) -> sa.ColumnElement[bool]:
    """Rows of any of the chats of ``channels`` channels: ``channel_N`` and its chat ids,
    ``chat_ids_N``, as parameters (see ``_chat_params``)."""
    return sa.or_(*(sa.and_(_TABLE.c.channel == sa.bindparam(f"channel_{n}"),
                            _TABLE.c.chat_id.in_(sa.bindparam(f"chat_ids_{n}", expanding=True)))
                    for n in range(channels)))


def _chat_params(by_channel: dict[str, list[str]]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for n, (channel, ids) in enumerate(by_channel.items()):
        params[f"channel_{n}"], params[f"chat_ids_{n}"] = channel, ids
    return params


# The journal's hot statements, made once for each shape they take (how many channels,
# which bounds) and run with parameters on the driver's cursor (storage.driver_statements):
# building a statement anew costs more Python than running it (about 0.35 ms of a 0.55 ms
# count of a chat's messages).
_STATEMENTS: dict[tuple[Any, ...], DriverStatement] = {}


def _statement(key: tuple[Any, ...], build: Callable[[], Any]) -> DriverStatement:
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = DriverStatement(build())
    return statement


def count(session: Session, channel: str | None = None) -> int:
    query = select(sa.func.count()).select_from(InboundEvent)
    if channel is not None:
        query = query.where(InboundEvent.channel == channel)
    return int(session.exec(query).one())


def chat_counts_since(session: Session, chats: set[tuple[str, str]], since: datetime,
                      not_kinds: frozenset[str] = frozenset(), before_id: int | None = None
                      ) -> dict[tuple[str, str], int]:
    """How many events each (channel, chat id) in ``chats`` sent since ``since``, those of
    ``not_kinds`` left out (and those recorded from ``before_id`` on, when given), in one
    statement (on the ``ix_inbound_event_chat`` index). Chats with none are left out."""
    by_channel = _by_channel(chats)
    if not by_channel:
        return {}
    kinds = sorted(not_kinds)

    def build() -> Any:
        query = (sa.select(_TABLE.c.channel, _TABLE.c.chat_id, sa.func.count())
                 .where(_chats_clause(len(by_channel)),
                        _TABLE.c.received_at >= sa.bindparam("since"),
                        _TABLE.c.kind.not_in(sa.bindparam("not_kinds", expanding=True)))
                 .group_by(_TABLE.c.channel, _TABLE.c.chat_id))
        if before_id is not None:
            query = query.where(_TABLE.c.id < sa.bindparam("before_id"))
        return query

    statement = _statement(("chat_counts", len(by_channel), before_id is not None), build)
    params = {"since": since, "not_kinds": kinds, **_chat_params(by_channel)}
    if before_id is not None:
        params["before_id"] = before_id
    return {(str(channel), str(chat_id)): int(n)
            for channel, chat_id, n in statement.rows(flushed(session), params)}
