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
from sosbot.storage.tables import Conversation, Reporter

# Built once: building a statement costs more CPU than running it, and these run for every
# update a resident sends.
_REPORTER = select(Reporter).where(Reporter.channel == sa.bindparam("channel"),
                                   Reporter.platform_user_id == sa.bindparam("user_id"))
_LOCKED_CONVERSATION = select(Conversation).where(
    Conversation.channel == sa.bindparam("channel"),
    Conversation.chat_id == sa.bindparam("chat_id")).with_for_update()
_REPORTERS = select(Reporter).where(sa.tuple_(Reporter.channel, Reporter.platform_user_id)
                                    .in_(sa.bindparam("keys", expanding=True)))
_LOCKED_CONVERSATIONS = select(Conversation).where(
    sa.tuple_(Conversation.channel, Conversation.chat_id)
    .in_(sa.bindparam("keys", expanding=True))
).order_by(Conversation.id).with_for_update()  # type: ignore[arg-type]

# What ``open_private_chats`` found or created in this session: (channel, user or chat id).
_REPORTERS_OPEN = "sosbot.reporters.open"
_CONVERSATIONS_OPEN = "sosbot.conversations.open"


def open_private_chats(session: Session, chats: list[tuple[str, str, Sender]],
                       now: datetime) -> None:
    """Load the reporters and lock the conversations of these (channel, chat id, sender)
    private chats, creating those that are new, in four statements for all of them:
    :func:`reporter_for` and :func:`locked_conversation` then find them without a query.
    Several deliveries stored in one transaction pay for their residents' rows once."""
    reporters: dict[tuple[str, str], Reporter] = session.info.setdefault(_REPORTERS_OPEN, {})
    wanted = {(channel, sender.user_id): sender for channel, _, sender in chats
              if (channel, sender.user_id) not in reporters}
    if wanted:
        # In key order: two web processes creating the same residents wait for each other
        # rather than deadlock (PostgreSQL).
        _INSERT_REPORTERS(session, [_reporter_row(channel, sender, now)
                                    for (channel, _), sender in sorted(wanted.items())])
        for reporter in session.exec(_REPORTERS, params={"keys": list(wanted)}):
            reporters[(reporter.channel, reporter.platform_user_id)] = reporter
    conversations: dict[tuple[str, str], Conversation] = session.info.setdefault(
        _CONVERSATIONS_OPEN, {})
    new = {(channel, chat_id): reporters[(channel, sender.user_id)].id
           for channel, chat_id, sender in chats if (channel, chat_id) not in conversations}
    if new:
        fresh_state = ConversationState().model_dump(mode="json")
        _INSERT_CONVERSATIONS(session, [
            {"channel": channel, "chat_id": chat_id, "reporter_id": reporter_id,
             "state": fresh_state, "has_draft": False, "updated_at": now}
            for (channel, chat_id), reporter_id in sorted(new.items())])
        for conversation in session.exec(_LOCKED_CONVERSATIONS, params={"keys": list(new)}):
            conversations[(conversation.channel, conversation.chat_id)] = conversation


_INSERT_REPORTERS = InsertMissing(
    Reporter.__table__,  # type: ignore[attr-defined]
    ("channel", "platform_user_id", "display_name", "username", "lang", "created_at"),
    key=("channel", "platform_user_id"))
_INSERT_CONVERSATIONS = InsertMissing(
    Conversation.__table__,  # type: ignore[attr-defined]
    ("channel", "chat_id", "reporter_id", "state", "has_draft", "updated_at"),
    key=("channel", "chat_id"))


def _reporter_row(channel: str, sender: Sender, now: datetime) -> dict[str, Any]:
    return {"channel": channel, "platform_user_id": sender.user_id,
            "display_name": sender.display_name[:256], "username": sender.username,
            "lang": DEFAULT_LANG, "created_at": now}


def _new_reporter(channel: str, sender: Sender, now: datetime) -> Reporter:
    return Reporter(**_reporter_row(channel, sender, now))


def _new_conversation(channel: str, chat_id: str, reporter_id: int | None,
                      now: datetime) -> Conversation:
    return Conversation(channel=channel, chat_id=chat_id, reporter_id=reporter_id,
                        state=ConversationState().model_dump(mode="json"), updated_at=now)


def reporter_for(session: Session, channel: str, sender: Sender, now: datetime) -> Reporter:
    """The reporter for this platform user, created on first contact, names kept current."""
    reporter = session.info.get(_REPORTERS_OPEN, {}).get((channel, sender.user_id))
    if reporter is None:
        reporter = session.exec(_REPORTER, params={"channel": channel,
                                                   "user_id": sender.user_id}).first()
    if reporter is None:
        reporter = _new_reporter(channel, sender, now)
        session.add(reporter)
        session.flush()
    elif sender.display_name and reporter.display_name != sender.display_name[:256]:
        reporter.display_name = sender.display_name[:256]
        reporter.username = sender.username
    return reporter


def locked_conversation(session: Session, channel: str, chat_id: str, reporter_id: int | None,
                        now: datetime) -> Conversation:
    """The chat's conversation row, locked for this transaction (created when new).

    The row lock (PostgreSQL) serialises two web processes handling the same chat; SQLite
    serialises all writers already (BEGIN IMMEDIATE).
    """
    conversation = session.info.get(_CONVERSATIONS_OPEN, {}).get((channel, chat_id))
    if conversation is None:
        conversation = session.exec(_LOCKED_CONVERSATION,
                                    params={"channel": channel, "chat_id": chat_id}).first()
    if conversation is None:
        conversation = _new_conversation(channel, chat_id, reporter_id, now)
        session.add(conversation)
        session.flush()
    return conversation


def load_state(conversation: Conversation) -> ConversationState:
    return ConversationState.model_validate(conversation.state or {})


_SAVE = sa.update(Conversation.__table__).where(  # type: ignore[attr-defined]
    Conversation.__table__.c.id == sa.bindparam("conversation_id")  # type: ignore[attr-defined]
).values({name: sa.bindparam(name) for name in
          ("state", "has_draft", "last_activity_at", "updated_at")})


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
    if conversation.id is None or conversation in session.new:
        for name, value in values.items():
            setattr(conversation, name, value)
        return
    session.info.setdefault(_UNSAVED, {})[conversation.id] = values
    for name, value in values.items():
        set_committed_value(conversation, name, value)


def write_states(session: Session) -> None:
    """Write the states :func:`save_state` kept, one UPDATE for all of them."""
    unsaved: dict[int, dict[str, Any]] = session.info.pop(_UNSAVED, {})
    if unsaved:
        session.connection().execute(_SAVE, [{"conversation_id": conversation_id, **values}
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
