"""Telegram webhook authentication: the secret token given to setWebhook."""

from __future__ import annotations

import secrets

HEADER = "X-Telegram-Bot-Api-Secret-Token"


def secret_matches(received: str | None, expected: str) -> bool:
    """Constant-time comparison; with no secret configured nothing is accepted."""
    if not expected or received is None:
        return False
    # surrogatepass: a header of undecodable bytes arrives with lone surrogates in it.
    return secrets.compare_digest(received.encode("utf-8", "surrogatepass"),
                                  expected.encode("utf-8"))
