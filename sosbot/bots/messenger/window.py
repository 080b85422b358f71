"""Messenger's messaging windows: which ``messaging_type`` (and tag) a send may use.

A page may answer a resident with ``messaging_type: RESPONSE`` within 24 hours of the
resident's last message. After that only a tagged message goes through, and Meta retired
the tags that fitted a report's status update: ``CONFIRMED_EVENT_UPDATE``,
``POST_PURCHASE_UPDATE`` and ``ACCOUNT_UPDATE`` are answered with error 100 ("Invalid
parameter") since 2026-04-27 (Meta's "Send a message" page, message-tags section, as quoted
in chatwoot/chatwoot#14669 and #14674; erxes/erxes#9177; see docs/platforms/messenger.md).
None of them is ever sent (``RETIRED_TAGS``).

What remains is ``HUMAN_AGENT``: 7 days after the resident's last message, only for words a
person wrote, and only for pages Meta approved for it. sosbot uses it for officers' own
words (a ``/hoi`` question: ``ResidentTerms.officer_words``) and only when
``channels.messenger.human_agent`` is true in config.yaml. Everything else that would go out
after the 24 hours is refused here with DeliveryWindowClosed, before any API call: a report
status update is then kept and delivered when the resident next writes (see
``sosbot.residents.held_updates``).

Delivery says with each send when the resident last wrote
(``ResidentTerms.last_user_message_at``, epoch seconds).
"""

from __future__ import annotations

import logging

from sosbot.core.errors import DeliveryWindowClosed
from sosbot.core.outbox_rows import ResidentTerms

log = logging.getLogger(__name__)

WINDOW_S = 24 * 3600.0
HUMAN_AGENT_WINDOW_S = 7 * 24 * 3600.0
HUMAN_AGENT = "HUMAN_AGENT"
# Retired by Meta on 2026-04-27; a send carrying one fails with (#100) Invalid parameter.
RETIRED_TAGS = frozenset({"CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"})
# A message sent in a window's last minute may reach Meta after it closed.
DEFAULT_MARGIN_S = 60.0


def messaging_fields(terms: ResidentTerms, now: float, *, human_agent: bool = False,
                     margin_s: float = DEFAULT_MARGIN_S) -> dict[str, str]:
    """``messaging_type`` (and ``tag``) for a send at ``now``; raise DeliveryWindowClosed.

    ``human_agent``: the page is approved for the HUMAN_AGENT tag and config.yaml enables
    it. Only a send marked ``officer_words`` is ever tagged, and only with HUMAN_AGENT.
    """
    last = terms.last_user_message_at
    if last is None:
        log.warning("a send without last_user_message_at; letting Meta judge the window")
        return {"messaging_type": "RESPONSE"}
    age = now - float(last)
    if age < WINDOW_S - margin_s:
        return {"messaging_type": "RESPONSE"}
    if human_agent and terms.officer_words \
            and age < HUMAN_AGENT_WINDOW_S - margin_s:
        return {"messaging_type": "MESSAGE_TAG", "tag": HUMAN_AGENT}
    if age < WINDOW_S:
        return {"messaging_type": "RESPONSE"}
    why = "HUMAN_AGENT's 7 days are over too" if human_agent and terms.officer_words \
        else "no message tag fits this message"
    raise DeliveryWindowClosed(
        f"the resident last wrote {age / 3600:.1f} h ago: Messenger's 24-hour window is "
        f"closed and {why}"
    )
