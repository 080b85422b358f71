"""Messenger webhook authentication: the subscription handshake and the payload signature.

Meta signs every webhook POST with the app secret: ``X-Hub-Signature-256: sha256=<hex>``,
the HMAC-SHA256 of the raw request body exactly as sent (Meta escapes non-ASCII characters
as ``\\uXXXX`` before signing, so the check must run on the received bytes, never on
re-serialised JSON). Subscribing a webhook, Meta first calls it with
``GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`` and expects the challenge
echoed back when the verify token is ours.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def sign(raw_body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends with ``raw_body``."""
    digest = hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def signature_ok(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether ``header`` is Meta's signature of ``raw_body``; constant time.

    With no app secret configured nothing is accepted.
    """
    if not app_secret or not header:
        return False
    received = header.strip()
    if received[: len(_PREFIX)].lower() != _PREFIX:
        return False
    expected = sign(raw_body, app_secret)
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, not a
    # refusal), and the header is whatever the sender wrote.
    given = (_PREFIX + received[len(_PREFIX):].lower()).encode("utf-8", "surrogatepass")
    return hmac.compare_digest(given, expected.encode("ascii"))


def verify_token_ok(given: str | None, expected: str) -> bool:
    """The subscription handshake's ``hub.verify_token`` check; constant time.

    With no verify token configured nothing is accepted.
    """
    if not expected or given is None:
        return False
    # surrogatepass: a query of undecodable bytes arrives with lone surrogates in it.
    return secrets.compare_digest(given.encode("utf-8", "surrogatepass"),
                                  expected.encode("utf-8"))


def too_old(timestamp_ms: int | float | None, now: float, window_s: float) -> bool:
    """Whether a delivery stamped ``timestamp_ms`` (epoch ms) is older than ``window_s``.

    Signed bodies can be replayed by whoever captured one; refusing those older than the
    window bounds the damage. A missing timestamp is not old (it proves nothing either way).
    """
    if timestamp_ms is None:
        return False
    try:
        stamp_s = float(timestamp_ms) / 1000.0
    except OverflowError:  # past any float: far in the future, which is not a replay
        return False
    return stamp_s < now - window_s
