"""What a message to a resident needs from the platform's side, added when it is sent.

- Where the conversation asks for a place, a link to the one-time location page (the only
  way on Messenger; an alternative to the pin on Telegram and Zalo); where it proposes a
  typed place back (``map_page``), the same page as a link button: "pick it on the map".
- On Messenger, the time of the resident's last message (the 24-hour window) and whether
  the message is an officer's own words (the only kind HUMAN_AGENT may carry).
- On Zalo, the resident's message a reply quotes and how Zalo will count it (``zalo_reply``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from sosbot.core.texts import text
from sosbot.delivery import zalo_reply
from sosbot.location_page import LocationTokens
from sosbot.storage import conversations

LINK_TTL_S = 30 * 60
OFFICER_WORDS = "officer"  # payload ``kind`` of a message a person (an officer) wrote


def enrich(session: Session, channel: str, chat_id: str, method: str, payload: dict[str, Any],
           *, tokens: LocationTokens | None, public_url: str,
           bulletin: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """``payload`` of a row to a resident (``Destination.RESIDENT``: delivery calls it for
    no other), with what the platform needs on a resident's side."""
    if method not in ("message", "media_group"):
        return payload
    link = method == "message" and tokens is not None and bool(public_url) and (
        payload.get("request") == "location"
        or (bool(payload.get("map_page")) and not payload.get("link")))
    state = None
    if link or channel == "messenger":  # the only sends that need the conversation
        conversation = session.exec(
            conversations.select_conversation(channel, chat_id)).first()
        state = conversations.load_state(conversation) if conversation is not None else None
    lang = state.lang if state is not None else "vi"
    enriched = dict(payload)
    if link and payload.get("request") == "location" and tokens is not None:
        ticket = tokens.issue(channel, chat_id, lang, ttl_s=LINK_TTL_S)
        url = f"{public_url.rstrip('/')}/l/{ticket.token}"
        if channel == "telegram":
            # Telegram keeps its own location keyboard; the page is offered beside it.
            line = text(lang, "location_link_line", url=url)
            enriched["text"] = f"{payload.get('text', '')}\n{line}"
        else:
            enriched["link"] = [text(lang, "location_link_label"), url]
    elif link and tokens is not None:  # a typed place proposed back: "pick it on the map"
        ticket = tokens.issue(channel, chat_id, lang, ttl_s=LINK_TTL_S)
        enriched["link"] = [text(lang, "location_link_label"),
                            f"{public_url.rstrip('/')}/l/{ticket.token}"]
    if channel == "messenger":
        enriched["last_user_message_at"] = state.last_activity_epoch if state else None
        # Officers' own words may carry Messenger's HUMAN_AGENT tag (when enabled); nothing
        # else is ever tagged (the tags for status updates were retired on 2026-04-27).
        enriched["officer_words"] = payload.get("kind") == OFFICER_WORDS
    if channel == "zalo" and now is not None:
        enriched.update(zalo_reply.terms(session, chat_id, now, bulletin=bulletin))
    return enriched
