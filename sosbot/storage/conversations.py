"""Residents and their conversation state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from sosbot.core.model import ConversationState, Sender
from sosbot.core.texts import DEFAULT_LANG
from sosbot.storage.tables import Conversation, Reporter

# Built once: building a statement costs more CPU than running it, and these run for every
# update a resident sends.
_REPORTER = select(Reporter).where(Reporter.channel == sa.bindparam("channel"),
                                   Reporter.platform_user_id == sa.bindparam("user_id"))
_LOCKED_CONVERSATION = select(Conversation).where(
    Conversation.channel == sa.bindparam("channel"),
    Conversation.chat_id == sa.bindparam("chat_id")).with_for_update()


def reporter_for(session: Session, channel: str, sender: Sender, now: datetime) -> Reporter:
    """The reporter for this platform user, created on first contact, names kept current."""
    reporter = session.exec(_REPORTER, params={"channel": channel,
                                               "user_id": sender.user_id}).first()
    if reporter is None:
        reporter = Reporter(channel=channel, platform_user_id=sender.user_id,
                            display_name=sender.display_name[:256],
                            username=sender.username, lang=DEFAULT_LANG, created_at=now)
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
    conversation = session.exec(_LOCKED_CONVERSATION,
                                params={"channel": channel, "chat_id": chat_id}).first()
    if conversation is None:
        conversation = Conversation(channel=channel, chat_id=chat_id, reporter_id=reporter_id,
                                    state=ConversationState().model_dump(mode="json"),
                                    updated_at=now)
        session.add(conversation)
        session.flush()
    return conversation


def load_state(conversation: Conversation) -> ConversationState:
    return ConversationState.model_validate(conversation.state or {})


_SAVE = sa.update(Conversation.__table__).where(  # type: ignore[attr-defined]
    Conversation.__table__.c.id == sa.bindparam("conversation_id")  # type: ignore[attr-defined]
).values({name: sa.bindparam(name) for name in
          ("state", "has_draft", "last_activity_at", "updated_at")})


def save_state(session: Session, conversation: Conversation, state: ConversationState,
               now: datetime) -> None:
    """Write the new state: one prepared UPDATE for a stored row (the hot path of every
    update a resident sends), the loaded object kept in step with it."""
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
    session.execute(_SAVE, {"conversation_id": conversation.id, **values})
    for name, value in values.items():
        set_committed_value(conversation, name, value)


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
