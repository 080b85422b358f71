"""Residents and their conversation state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from sosbot.core.model import ConversationState, Sender
from sosbot.core.texts import DEFAULT_LANG
from sosbot.storage.db import InsertMissing
from sosbot.storage.driver_statements import DriverStatement
from sosbot.storage.tables import Conversation, Reporter

# Built once: building a statement costs more CPU than running it, and these run for every
# batch of updates residents send.
_REPORTERS = select(Reporter).where(sa.tuple_(Reporter.channel, Reporter.platform_user_id)
                                    .in_(sa.bindparam("keys", expanding=True)))
_LOCKED_CONVERSATIONS = select(Conversation).where(
    sa.tuple_(Conversation.channel, Conversation.chat_id)
    .in_(sa.bindparam("keys", expanding=True))
).order_by(Conversation.id).with_for_update()  # type: ignore[arg-type]
_INSERT_REPORTERS = InsertMissing(
    Reporter.__table__,  # type: ignore[attr-defined]
    ("channel", "platform_user_id", "display_name", "username", "lang", "created_at"),
    key=("channel", "platform_user_id"))
_INSERT_CONVERSATIONS = InsertMissing(
    Conversation.__table__,  # type: ignore[attr-defined]
    ("channel", "chat_id", "reporter_id", "state", "has_draft", "updated_at"),
    key=("channel", "chat_id"))

# What this session has opened: (channel, platform user id) → Reporter and
# (channel, chat id) → Conversation.
_REPORTERS_OPEN = "sosbot.reporters.open"
_CONVERSATIONS_OPEN = "sosbot.conversations.open"


def open_reporters(session: Session, senders: list[tuple[str, Sender]],
                   now: datetime) -> dict[tuple[str, str], Reporter]:
    """The reporters of these (channel, sender) pairs, created on first contact: what this
    session has opened, by (channel, platform user id). One statement for all of them when
    they are all known (the common case), three when some are new, none for those this
    session opened already: several deliveries stored in one transaction pay for their
    residents' rows once."""
    opened: dict[tuple[str, str], Reporter] = session.info.setdefault(_REPORTERS_OPEN, {})
    wanted = {(channel, sender.user_id): sender for channel, sender in senders
              if (channel, sender.user_id) not in opened}
    if wanted:
        for reporter in session.exec(_REPORTERS, params={"keys": list(wanted)}):
            opened[(reporter.channel, reporter.platform_user_id)] = reporter
    missing = {key: sender for key, sender in wanted.items() if key not in opened}
    if missing:
        # In key order: two web processes creating the same residents wait for each other
        # rather than deadlock (PostgreSQL).
        _INSERT_REPORTERS(session, [
            {"channel": channel, "platform_user_id": user_id,
             "display_name": sender.display_name[:256], "username": sender.username,
             "lang": DEFAULT_LANG, "created_at": now}
            for (channel, user_id), sender in sorted(missing.items())])
        for reporter in session.exec(_REPORTERS, params={"keys": list(missing)}):
            opened[(reporter.channel, reporter.platform_user_id)] = reporter
    return opened


def open_conversations(session: Session, chats: list[tuple[str, str, int | None]],
                       now: datetime) -> dict[tuple[str, str], Conversation]:
    """The conversations of these (channel, chat id, reporter id) chats, created when new,
    loaded and locked for this transaction: one statement for all of them when they all
    exist (the common case), three when some are new, none for those this session opened
    already: what this session has opened, by (channel, chat id). The row locks
    (PostgreSQL) serialise two web processes handling the same chat; SQLite serialises
    all writers already (BEGIN IMMEDIATE). Two batches that each lock a chat the other is
    creating can deadlock (both would need the same new resident's first message at
    once): PostgreSQL then fails one, and the writer stores its deliveries again alone."""
    opened: dict[tuple[str, str], Conversation] = session.info.setdefault(
        _CONVERSATIONS_OPEN, {})
    new = {(channel, chat_id): reporter_id for channel, chat_id, reporter_id in chats
           if (channel, chat_id) not in opened}
    if new:
        for conversation in session.exec(_LOCKED_CONVERSATIONS, params={"keys": list(new)}):
            opened[(conversation.channel, conversation.chat_id)] = conversation
    missing = {key: reporter_id for key, reporter_id in new.items() if key not in opened}
    if missing:
        fresh_state = ConversationState().model_dump(mode="json")
        _INSERT_CONVERSATIONS(session, [
            {"channel": channel, "chat_id": chat_id, "reporter_id": reporter_id,
             "state": fresh_state, "has_draft": False, "updated_at": now}
            for (channel, chat_id), reporter_id in sorted(missing.items())])
        for conversation in session.exec(_LOCKED_CONVERSATIONS,
                                         params={"keys": list(missing)}):
            opened[(conversation.channel, conversation.chat_id)] = conversation
    return opened


def reporter_for(session: Session, channel: str, sender: Sender, now: datetime) -> Reporter:
    """The reporter for this platform user, created on first contact, names kept current."""
    reporter = open_reporters(session, [(channel, sender)], now)[(channel, sender.user_id)]
    if sender.display_name and reporter.display_name != sender.display_name[:256]:
        reporter.display_name = sender.display_name[:256]
        reporter.username = sender.username
    return reporter


def locked_conversation(session: Session, channel: str, chat_id: str, reporter_id: int | None,
                        now: datetime) -> Conversation:
    """The chat's conversation row, locked for this transaction (created when new)."""
    return open_conversations(session, [(channel, chat_id, reporter_id)], now)[
        (channel, chat_id)]


def load_state(conversation: Conversation) -> ConversationState:
    return ConversationState.model_validate(conversation.state or {})


_SAVE = DriverStatement(sa.update(Conversation.__table__).where(  # type: ignore[attr-defined]
    Conversation.__table__.c.id == sa.bindparam("conversation_id")  # type: ignore[attr-defined]
).values({name: sa.bindparam(name) for name in
          ("state", "has_draft", "last_activity_at", "updated_at")}))


# In ``session.info``: conversation id → the values its row is still to be updated with.
_UNSAVED = "sosbot.conversations.unsaved"


def save_state(session: Session, conversation: Conversation, state: ConversationState,
               now: datetime) -> None:
    """Keep the new state: the loaded object now, the stored row by one prepared UPDATE for
    all the conversations a transaction changed (the hot path of every update a resident
    sends), at :func:`write_states` or at the commit."""
    values = {
        "state": state.model_dump(mode="json"),
        "has_draft": state.draft is not None,
        "last_activity_at": datetime.fromtimestamp(state.last_activity_epoch, UTC)
        if state.last_activity_epoch is not None else None,
        "updated_at": now,
    }
    session.info.setdefault(_UNSAVED, {})[conversation.id] = values
    for name, value in values.items():
        set_committed_value(conversation, name, value)


def write_states(session: Session) -> None:
    """Write the states :func:`save_state` kept, one UPDATE for all of them."""
    unsaved: dict[int, dict[str, Any]] = session.info.pop(_UNSAVED, {})
    if unsaved:
        _SAVE.many(session.connection(), [{"conversation_id": conversation_id, **values}
                                          for conversation_id, values in unsaved.items()])


@sa.event.listens_for(sa.orm.Session, "before_commit")
def _written_before_commit(session: Session) -> None:
    write_states(session)


def idle_drafts(session: Session, older_than: datetime, limit: int = 500) -> list[int]:
    """Ids of conversations whose draft has had no activity since ``older_than``."""
    rows = session.exec(
        select(Conversation.id).where(col(Conversation.has_draft).is_(True),
                                      col(Conversation.last_activity_at) < older_than)
        .order_by(col(Conversation.last_activity_at)).limit(limit)
    ).all()
    return [row for row in rows if row is not None]


def select_conversation(channel: str, chat_id: str) -> Any:
    """The query for one chat's conversation row (not locked: for reading)."""
    return select(Conversation).where(Conversation.channel == channel,
                                      Conversation.chat_id == chat_id)
