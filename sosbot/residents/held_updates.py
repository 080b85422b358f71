"""Updates a resident could not be sent, kept and delivered when the resident writes again.

Messenger lets a page message a resident for 24 hours after the resident's last message
(the tags that reached further for status updates were retired on 2026-04-27), Zalo for 7
days: a resident who reported at 2 a.m. and writes again three days later would otherwise
never hear what became of the report. A report status update that a platform's window
refuses (DeliveryWindowClosed, before or from the platform) is kept as an outbox row in
state HELD (delivery's ``send_outcomes``), and the command centre is told. The next time
the resident writes, which opens a new window, every held update of that chat goes out in
one message, before the answer to what they wrote; the held rows become FOLDED.

The same holds on every platform with a window; nothing here is Messenger's.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session

from sosbot.core.actions import OutgoingMessage
from sosbot.core.model import Destination
from sosbot.core.outbox_rows import BadOutboxRow, MessageKind, RowKind, TextRow, read_row
from sosbot.core.texts import text
from sosbot.storage import held_rows, outbox, reports
from sosbot.storage.outbox import OutboxStatus

log = logging.getLogger(__name__)

# Kinds of the messages kept when a window refuses them: report status updates. (An
# officer's question is not: its answer window is an hour, and the conversation would not
# take a reply days later as the answer.)
HOLDABLE_KINDS = frozenset({MessageKind.STATUS})
FOLDED_KIND = MessageKind.HELD_UPDATES


def holdable(destination: Destination, method: str, payload: dict[str, Any]) -> bool:
    """Whether a row refused by a closed window is kept for the resident's return."""
    if destination != Destination.RESIDENT or method != RowKind.MESSAGE:
        return False
    try:
        row = read_row(method, payload)
    except BadOutboxRow:
        return False
    return isinstance(row, TextRow) and row.kind in HOLDABLE_KINDS


def release(session: Session, channel: str, chat_id: str, lang: str,
            now: datetime) -> int | None:
    """The resident wrote: their held updates go out as one message. The new row's id, or
    None when nothing was held."""
    held = held_rows.held_for_chat(session, channel, chat_id)
    if not held:
        return None
    lines = "\n".join(f"• {row.payload.get('text', '')}" for row in held)
    body = text(lang, "held_updates", count=len(held), lines=lines)
    folded = TextRow(OutgoingMessage(text=body), kind=FOLDED_KIND,
                     folded=tuple(row.id for row in held if row.id is not None))
    row = outbox.add(session, channel=channel, chat_id=chat_id,
                     destination=Destination.RESIDENT, row=folded, now=now,
                     report_id=held[-1].report_id)
    session.flush()
    for old in held:
        old.status = OutboxStatus.FOLDED
        old.last_error = f"folded into outbox #{row.id}"
    for report_id in sorted({old.report_id for old in held if old.report_id is not None}):
        reports.audit(session, actor="system", action="report.updates_delivered_late",
                      now=now, report_id=report_id, outbox_id=row.id)
    log.info("%d held update(s) of a %s resident folded into outbox #%s", len(held), channel,
             row.id)
    return row.id
