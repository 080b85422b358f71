"""Graph API error answers → the core's send errors.

Graph answers an error with ``{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}`` (HTTP 400 for most, 5xx when Meta itself failed). The codes that matter to
the Send API (Messenger Platform "Common Error Codes"):

======================  ==========================================  =======================
code / subcode          meaning                                     raised here
======================  ==========================================  =======================
4, 17, 32, 613          request limit reached                       RateLimited
80001, 80006 (BUC)      business use case limit (Pages, Messenger)  RateLimited
551                     this person isn't available right now       RecipientGone
190                     invalid or expired access token             PermanentSendError
10 / 2018278, 2534022   sent outside the allowed messaging window   DeliveryWindowClosed
1, 2; HTTP 5xx          unknown / temporary server error            TemporarySendError
100 (/1893061)          invalid parameter; also a retired tag       PermanentSendError
anything else           the request itself is wrong                 PermanentSendError
======================  ==========================================  =======================

A page access token's calls fall under Business Use Case (BUC) rate limits (Meta, "Rate
Limits", graph-api/overview/rate-limiting: "requests made with system user or page access
tokens are subject to Business Use Case Rate Limits"); the codes 80001 (Pages) and 80006
(Messenger) are from that page's BUC table as remembered, not re-read on 2026-12-07: see
docs/platforms/messenger.md for how to confirm them. The wait comes from the
``X-Business-Use-Case-Usage`` header (``estimated_time_to_regain_access``, minutes).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sosbot.core.errors import (
    DeliveryWindowClosed,
    PermanentSendError,
    RateLimited,
    RecipientGone,
    SendError,
    TemporarySendError,
)

log = logging.getLogger(__name__)

PAGE_RATE_LIMIT = 613
APP_RATE_LIMITS = frozenset({4, 17, 32})
BUSINESS_USE_CASE_LIMITS = frozenset({80001, 80006})
USER_UNAVAILABLE = 551
INVALID_TOKEN = 190
PERMISSION = 10
OUTSIDE_WINDOW_SUBCODES = frozenset({2018278, 2534022})
TEMPORARY_CODES = frozenset({1, 2})
# With no usage header to go by: a per-second page limit clears fast, app limits slowly.
PAGE_RATE_RETRY_S = 10.0
APP_RATE_RETRY_S = 60.0


@dataclass(frozen=True)
class GraphError:
    """One Graph API error answer."""

    status: int
    message: str
    type: str = ""
    code: int | None = None
    subcode: int | None = None
    fbtrace_id: str | None = None

    def describe(self) -> str:
        """A log-friendly one-liner: "(#613) … [code 613, trace Ab12]"."""
        code = f"code {self.code}" if self.code is not None else f"HTTP {self.status}"
        if self.subcode is not None:
            code += f"/{self.subcode}"
        trace = f", trace {self.fbtrace_id}" if self.fbtrace_id else ""
        return f"{self.message} [{code}{trace}]"


def parse_graph_error(status: int, body: bytes) -> GraphError:
    """The error in a Graph answer; a body that is not Graph's shape keeps the HTTP status."""
    try:
        data = json.loads(body)
        error = data["error"]
        if not isinstance(error, dict):
            raise TypeError("error is not an object")
    except (ValueError, KeyError, TypeError):
        text = body[:200].decode("utf-8", "replace").strip()
        return GraphError(status=status, message=text or f"HTTP {status}")
    return GraphError(
        status=status,
        message=str(error.get("message") or ""),
        type=str(error.get("type") or ""),
        code=_int(error.get("code")),
        subcode=_int(error.get("error_subcode")),
        fbtrace_id=str(error["fbtrace_id"]) if error.get("fbtrace_id") else None,
    )


def to_send_error(error: GraphError, headers: Mapping[str, str] | None = None) -> SendError:
    """The core error a Graph error stands for."""
    text = error.describe()
    if error.code == PAGE_RATE_LIMIT or error.code in APP_RATE_LIMITS \
            or error.code in BUSINESS_USE_CASE_LIMITS:
        default = PAGE_RATE_RETRY_S if error.code == PAGE_RATE_LIMIT else APP_RATE_RETRY_S
        return RateLimited(_regain_access_s(headers) or default, text)
    if error.code == USER_UNAVAILABLE:
        # The resident blocked the page (or left Messenger): as Telegram's "blocked by the
        # user", the command centre is told (someone can call them) and a subscriber is
        # unsubscribed from bulletins.
        return RecipientGone(f"the resident is unavailable on Messenger: {text}")
    if error.code == INVALID_TOKEN:
        return PermanentSendError(f"the page access token is invalid or expired: {text}")
    if error.code == PERMISSION and error.subcode in OUTSIDE_WINDOW_SUBCODES:
        return DeliveryWindowClosed(f"outside Messenger's messaging window: {text}")
    if error.status >= 500 or error.code in TEMPORARY_CODES:
        return TemporarySendError(text)
    return PermanentSendError(text)


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _regain_access_s(headers: Mapping[str, str] | None) -> float | None:
    """Seconds until access returns, from ``X-Business-Use-Case-Usage`` (given in minutes)."""
    raw = (headers or {}).get("X-Business-Use-Case-Usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
        minutes = max(
            float(item.get("estimated_time_to_regain_access") or 0)
            for items in usage.values() for item in items
        )
    except (ValueError, TypeError, AttributeError):
        log.info("unreadable X-Business-Use-Case-Usage header: %.200s", raw)
        return None
    return minutes * 60.0 if minutes > 0 else None
