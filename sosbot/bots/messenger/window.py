"""Messenger's 24-hour standard messaging window: which ``messaging_type`` a send may use.

A page may answer a resident with ``messaging_type: RESPONSE`` within 24 hours of the
resident's last message. After that only a tagged message goes through, and of the tags
only ``CONFIRMED_EVENT_UPDATE`` fits us (an update on the report the resident filed). The
router says in each outbox payload when the resident last wrote (``last_user_message_at``,
epoch seconds) and whether this message may be tagged (``tag_allowed``: report status
updates may, conversation replies may not). A send that may not go out is refused here,
before any API call.
"""

from __future__ import annotations

import logging
from typing import Any

from sosbot.core.errors import DeliveryWindowClosed

log = logging.getLogger(__name__)

WINDOW_S = 24 * 3600.0
TAG = "CONFIRMED_EVENT_UPDATE"
# A message sent in the window's last minute may reach Meta after it closed: tag it if we may.
DEFAULT_MARGIN_S = 60.0


def messaging_fields(payload: dict[str, Any], now: float,
                     margin_s: float = DEFAULT_MARGIN_S) -> dict[str, str]:
    """``messaging_type`` (and ``tag``) for a send at ``now``; raise DeliveryWindowClosed."""
    tag_allowed = bool(payload.get("tag_allowed"))
    tagged = {"messaging_type": "MESSAGE_TAG", "tag": TAG}
    last = payload.get("last_user_message_at")
    if last is None:
        log.warning("outbox payload without last_user_message_at; letting Meta judge the window")
        return tagged if tag_allowed else {"messaging_type": "RESPONSE"}
    age = now - float(last)
    if age < WINDOW_S - margin_s:
        return {"messaging_type": "RESPONSE"}
    if tag_allowed:
        return tagged
    if age < WINDOW_S:
        return {"messaging_type": "RESPONSE"}
    raise DeliveryWindowClosed(
        f"the resident last wrote {age / 3600:.1f} h ago: Messenger's 24-hour window is "
        "closed and this message may not be sent as a tagged update"
    )
