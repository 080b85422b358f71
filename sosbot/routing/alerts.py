"""Telling the command centre: the one way every part of sosbot raises something for the
duty officers (a group lost, a card that could not be posted, a resident out of reach, a row
given up on). Each bound command-centre chat gets the text as a plain message."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from sosbot.core.model import Destination
from sosbot.core.outbox_rows import TextRow
from sosbot.routing.rules import COMMAND
from sosbot.storage import bindings, outbox


def tell_command_centre(session: Session, text: str, now: datetime, *,
                        report_id: int | None = None,
                        except_binding: int | None = None) -> int:
    """Queue ``text`` for every bound command-centre chat (but ``except_binding``); returns
    how many chats it goes to (0: none is bound, the caller logs what nobody was told)."""
    chats = [b for b in bindings.active_for(session, COMMAND, COMMAND)
             if except_binding is None or b.id != except_binding]
    for chat in chats:
        outbox.add(session, channel=chat.channel, chat_id=chat.chat_id,
                   destination=Destination.GROUP, row=TextRow.plain(text), now=now,
                   report_id=report_id)
    return len(chats)
