"""Zalo webhook authentication: the ``X-ZEvent-Signature`` MAC and replay refusal.

Zalo signs every event with ``mac=<sha256 hex>`` of the body's ``app_id``, the raw request
bytes, the body's ``timestamp`` and the OA Secret Key, concatenated in that order. It is a
plain SHA-256, not an HMAC, and it covers the bytes exactly as received: never re-serialise
the JSON before checking it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from sosbot.core.errors import PayloadError
from sosbot.core.webhook_body import decode_body

log = logging.getLogger(__name__)

HEADER = "X-ZEvent-Signature"
PREFIX = "mac="


def expected_mac(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The lowercase hex digest Zalo puts after ``mac=`` for this body."""
    digest = hashlib.sha256()
    digest.update(app_id.encode("utf-8"))
    digest.update(raw_body)
    digest.update(timestamp.encode("utf-8"))
    digest.update(oa_secret_key.encode("utf-8"))
    return digest.hexdigest()


def signature_ok(raw_body: bytes, header: str | None, oa_secret_key: str) -> bool:
    """True when ``header`` is the MAC of ``raw_body`` under ``oa_secret_key``.

    ``app_id`` and ``timestamp`` are read from the body itself. The ``mac=`` prefix is
    optional; the comparison is in constant time. With no secret nothing is accepted.
    """
    if not oa_secret_key or not header:
        return False
    fields = _signed_fields(raw_body)
    if fields is None:
        return False
    app_id, timestamp = fields
    received = header.strip()
    if received[: len(PREFIX)].lower() == PREFIX:
        received = received[len(PREFIX):]
    expected = expected_mac(app_id, raw_body, timestamp, oa_secret_key)
    return hmac.compare_digest(received.strip().lower().encode("ascii", "replace"),
                               expected.encode("ascii"))


def is_url_check(raw_body: bytes, header: str | None) -> bool:
    """True for Zalo's check of a newly configured webhook URL: an unsigned POST whose body
    is an empty JSON object (``{}``, whitespace allowed). Such a request carries nothing to
    store; anything else unsigned is still refused.
    """
    if header is not None and header.strip():
        return False
    if len(raw_body) > 64:
        return False
    try:
        data: Any = decode_body(raw_body)
    except PayloadError:
        return False
    return isinstance(data, dict) and not data


def too_old(timestamp_ms: str, now: float, window_s: float) -> bool:
    """True when an event stamped ``timestamp_ms`` (epoch milliseconds, as Zalo sends it)
    is older than ``window_s`` seconds at ``now`` (epoch seconds), or is not a timestamp.

    Only age is refused: a clock running ahead on Zalo's side is not a replay.
    """
    try:
        stamp_s = int(str(timestamp_ms).strip()) / 1000.0
    except ValueError:
        return True
    except OverflowError:  # past any float: far in the future, which is not a replay
        return False
    return now - stamp_s > window_s


def _signed_fields(raw_body: bytes) -> tuple[str, str] | None:
    try:
        data: Any = decode_body(raw_body)
    except PayloadError:
        return None
    if not isinstance(data, dict):
        return None
    app_id, timestamp = data.get("app_id"), data.get("timestamp")
    if isinstance(app_id, bool) or isinstance(timestamp, bool):
        return None
    if not isinstance(app_id, str | int) or not isinstance(timestamp, str | int):
        return None
    return str(app_id), str(timestamp)
