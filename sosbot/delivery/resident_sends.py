"""What a message to a resident needs from the platform's side, added when it is sent.

- Where the conversation asks for a place, a link to the one-time location page (the only
  way on Messenger; an alternative to the pin on Telegram and Zalo); where it proposes a
  typed place back (``map_page``), the same page as a link button: "pick it on the map".
- On Messenger, the time of the resident's last message (the 24-hour window) and whether
  the message is an officer's own words (the only kind HUMAN_AGENT may carry).
- On Zalo, the resident's message a reply quotes and how Zalo will count it (``zalo_reply``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlmodel import Session

from sosbot.core.outbox_rows import Album, ResidentTerms, Text
from sosbot.core.texts import text
from sosbot.delivery import zalo_reply
from sosbot.location_page import LocationTokens
from sosbot.storage import conversations

LINK_TTL_S = 30 * 60


def enrich(session: Session, channel: str, chat_id: str, send: Text | Album, *,
           tokens: LocationTokens | None, public_url: str, officer_words: bool = False,
           bulletin: bool = False, now: datetime | None = None) -> Text | Album:
    """``send`` to a resident (``Destination.RESIDENT``: delivery calls it for no other),
    with what the platform needs on a resident's side. ``officer_words``: the text is an
    officer's own (``MessageKind.OFFICER``)."""
    message = send.message if isinstance(send, Text) else None
    link = message is not None and tokens is not None and bool(public_url) and (
        message.request == "location" or (bool(message.map_page) and not message.link))
    state = None
    if link or channel == "messenger":  # the only sends that need the conversation
        conversation = session.exec(
            conversations.select_conversation(channel, chat_id)).first()
        state = conversations.load_state(conversation) if conversation is not None else None
    lang = state.lang if state is not None else "vi"
    if isinstance(send, Text) and message is not None and link:
        if message.request == "location" and tokens is not None:
            ticket = tokens.issue(channel, chat_id, lang, ttl_s=LINK_TTL_S)
            url = f"{public_url.rstrip('/')}/l/{ticket.token}"
            if channel == "telegram":
                # Telegram keeps its own location keyboard; the page is offered beside it.
                line = text(lang, "location_link_line", url=url)
                message = replace(message, text=f"{message.text}\n{line}")
            else:
                message = replace(message, link=(text(lang, "location_link_label"), url))
        elif tokens is not None:  # a typed place proposed back: "pick it on the map"
            ticket = tokens.issue(channel, chat_id, lang, ttl_s=LINK_TTL_S)
            message = replace(message, link=(text(lang, "location_link_label"),
                                             f"{public_url.rstrip('/')}/l/{ticket.token}"))
        send = replace(send, message=message)
    terms = ResidentTerms()
    if channel == "messenger":
        # Officers' own words may carry Messenger's HUMAN_AGENT tag (when enabled); nothing
        # else is ever tagged (the tags for status updates were retired on 2026-04-27).
        terms = replace(terms, last_user_message_at=state.last_activity_epoch if state else None,
                        officer_words=officer_words)
    if channel == "zalo" and now is not None:
        zalo = zalo_reply.terms(session, chat_id, now, bulletin=bulletin)
        terms = replace(terms, billing=zalo[zalo_reply.BILLING_KEY],
                        quote_message_id=zalo.get(zalo_reply.QUOTE_KEY))
    return replace(send, terms=terms)
