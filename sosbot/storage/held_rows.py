"""A resident's held updates (outbox rows of status HELD): updates the platform's window
refused, kept until the resident writes again (``residents.held_updates`` folds them into
one message then). Read for every resident's message, found in few chats."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, col, select

from sosbot.storage.driver_statements import DriverStatement, flushed
from sosbot.storage.outbox import OutboxStatus
from sosbot.storage.tables import Outbox

_TABLE: sa.Table = Outbox.__table__  # type: ignore[attr-defined]
# In ``session.info``: the chats a batch asked about, and those of them with held rows.
_HELD_PROBE = "sosbot.outbox.held_probe"


def probe_held(session: Session, chats: Iterable[tuple[str, str]]) -> None:
    """Find out in one query which of ``chats`` (channel, chat id) have held updates: for
    the rest of the transaction :func:`held_for_chat` answers the others without a query of
    its own. Held rows are rare and every resident's message looks for them, so a batch of
    deliveries asks once instead of once a message. A row held by a worker after the probe
    waits for the resident's next message, as one held just after the transaction would."""
    wanted = set(chats)
    if not wanted:
        return
    found = _HELD_CHATS.rows(flushed(session),
                             {"chat_ids": sorted({chat_id for _, chat_id in wanted})})
    session.info[_HELD_PROBE] = (wanted, {(channel, chat_id) for channel, chat_id in found})


# Made once, run with parameters (building it per batch cost more than running it).
_HELD_CHATS = DriverStatement(
    sa.select(_TABLE.c.channel, _TABLE.c.chat_id).distinct()
    .where(_TABLE.c.status == OutboxStatus.HELD,
           _TABLE.c.chat_id.in_(sa.bindparam("chat_ids", expanding=True))))


def held_for_chat(session: Session, channel: str, chat_id: str) -> list[Outbox]:
    """A resident's held updates, oldest first, locked for update (PostgreSQL)."""
    probed = session.info.get(_HELD_PROBE)
    if probed is not None and (channel, chat_id) in probed[0] \
            and (channel, chat_id) not in probed[1]:
        return []  # none when the batch looked (probe_held)
    return list(session.exec(
        select(Outbox).where(Outbox.channel == channel, Outbox.chat_id == chat_id,
                             Outbox.status == OutboxStatus.HELD)
        .order_by(col(Outbox.id)).with_for_update()).all())


def held_count(session: Session) -> int:
    """How many updates wait, held, for their resident to write again."""
    return int(session.exec(select(sa.func.count()).select_from(Outbox)
                            .where(Outbox.status == OutboxStatus.HELD)).one())
