"""Commands that change things, for the command centre's chats only: safety bulletins and
the residents' block list. Each returns the answer to post in the chat (Vietnamese).

- ``/bulletin <nội dung>`` (``/bantin``): a city-wide bulletin, as a draft with its audience;
  ``/bulletin Tân Phú | <nội dung>`` (a ward's name or code before ``|``): that ward's.
- ``/guibantin <số>`` sends the draft, ``/huybantin <số>`` drops it.
- ``/block SOS-… [lý do]`` blocks the resident who made that report (or ``/block
  telegram:123 [lý do]`` by platform id); ``/unblock`` takes them off the list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from sosbot.command_centre import bulletins
from sosbot.core.officer_texts import officer_text
from sosbot.officers.command_chat import find_ward
from sosbot.routing.rules import RoutingRules
from sosbot.storage import reports, residents
from sosbot.storage.tables import Reporter

log = logging.getLogger(__name__)

WARD_PREFIX_MAX = 60  # "Tân Phú |", "27031 |": longer text before a bar is the bulletin


@dataclass(frozen=True)
class Asked:
    """Who asked, where, and when."""

    session: Session
    rules: RoutingRules
    channel: str
    chat_id: str
    actor: str
    now: datetime


def bulletin_draft(asked: Asked, args: str) -> str:
    body, ward = args.strip(), None
    head, bar, rest = body.partition("|")
    if bar and len(head.strip()) <= WARD_PREFIX_MAX:
        found, problem = find_ward(asked.rules, head)
        if found is None:
            return officer_text("bulletin.ward_problem", problem=problem)
        ward, body = (found.code, found.full_name), rest.strip()
    try:
        draft = bulletins.draft(asked.session, body=body, ward=ward, created_by=asked.actor,
                                now=asked.now, origin=(asked.channel, asked.chat_id))
    except bulletins.BulletinError as exc:
        return str(exc)
    reports.audit(asked.session, actor=asked.actor, action="bulletin.drafted", now=asked.now,
                  bulletin=draft.id, ward=ward[0] if ward else None)
    return bulletins.preview(asked.session, draft, asked.now)


def _bulletin(asked: Asked, args: str) -> bulletins.Bulletin | str:
    word = args.strip().lstrip("#")
    if not word.isdigit():
        return officer_text("bulletin.ask_number")
    found = bulletins.locked(asked.session, int(word))
    return found if found is not None else officer_text("bulletin.unknown", number=word)


def bulletin_send(asked: Asked, args: str) -> str:
    found = _bulletin(asked, args)
    if isinstance(found, str):
        return found
    try:
        state = bulletins.start(asked.session, found, asked.now)
    except bulletins.BulletinError as exc:
        return str(exc)
    reports.audit(asked.session, actor=asked.actor, action="bulletin.sent", now=asked.now,
                  bulletin=found.id, total=state.total, skipped=state.skipped)
    queued = state.total - state.skipped
    return officer_text("bulletin.sending", id=found.id, queued=queued, skipped=state.skipped)


def bulletin_cancel(asked: Asked, args: str) -> str:
    found = _bulletin(asked, args)
    if isinstance(found, str):
        return found
    try:
        bulletins.cancel(asked.session, found, asked.now)
    except bulletins.BulletinError as exc:
        return str(exc)
    reports.audit(asked.session, actor=asked.actor, action="bulletin.cancelled",
                  now=asked.now, bulletin=found.id)
    return officer_text("bulletin.cancelled", id=found.id)


def _resident(asked: Asked, who: str) -> Reporter | str:
    """The resident a report code or ``channel:user id`` names."""
    if who.upper().startswith("SOS-"):
        report = reports.by_code(asked.session, who.upper())
        if report is None or report.reporter_id is None:
            return officer_text("block.no_reporter", code=who.upper())
        found = asked.session.get(Reporter, report.reporter_id)
    else:
        channel, colon, user_id = who.partition(":")
        found = residents.find(asked.session, channel.lower(), user_id) if colon else None
    if found is None:
        return officer_text("block.not_found", who=who)
    return found


def block(asked: Asked, args: str) -> str:
    who, _, reason = args.strip().partition(" ")
    if not who:
        return officer_text("block.ask")
    found = _resident(asked, who)
    if isinstance(found, str):
        return found
    label = f"{found.channel}:{found.platform_user_id}"
    if not residents.block(found, by=asked.actor, reason=reason.strip(), now=asked.now):
        return officer_text("block.already", label=label)
    # The chain names the reporter row, never the platform id: it is never rewritten, so
    # what it holds must become anonymous when purge anonymises the row.
    reports.audit(asked.session, actor=asked.actor, action="resident.blocked", now=asked.now,
                  resident=f"resident:{found.id}")
    log.warning("%s blocked resident:%s", asked.actor, found.id)
    return officer_text("block.done", label=label)


def unblock(asked: Asked, args: str) -> str:
    who = args.strip().split(" ")[0] if args.strip() else ""
    if not who:
        return officer_text("unblock.ask")
    found = _resident(asked, who)
    if isinstance(found, str):
        return found
    label = f"{found.channel}:{found.platform_user_id}"
    if not residents.unblock(found):
        return officer_text("unblock.not_blocked", label=label)
    reports.audit(asked.session, actor=asked.actor, action="resident.unblocked",
                  now=asked.now, resident=f"resident:{found.id}")
    return officer_text("unblock.done", label=label)


COMMANDS: dict[str, Callable[[Asked, str], str]] = {
    "bulletin": bulletin_draft, "bantin": bulletin_draft,
    "guibantin": bulletin_send, "bulletinsend": bulletin_send,
    "huybantin": bulletin_cancel, "bulletincancel": bulletin_cancel,
    "block": block, "chan": block,
    "unblock": unblock, "bochan": unblock,
}
