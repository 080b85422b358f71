"""A chat named in a log line without naming the person: a short keyed hash of the chat id.

Residents' platform ids are personal data; log lines above DEBUG carry ``chat_label(…)``
instead (``telegram:~3fa91c0b``). The same chat gets the same label in every process that
shares the key (set at start-up from the callback secret), so an operator can still follow
one chat through the logs, and ``sosbot`` can find the chat again from the label only by
hashing candidate ids with the key. Without the key a label cannot be reversed by hashing
every possible id, which an unkeyed hash of a ten-digit number would allow.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_key: bytes = secrets.token_bytes(32)  # until start-up sets a shared one


def use_key(secret: str) -> None:
    """Derive the labels' key from a secret every process of one deployment shares."""
    global _key
    if secret:
        _key = hmac.new(secret.encode(), b"sosbot log pseudonyms", hashlib.sha256).digest()


def chat_label(channel: str, chat_id: str | int) -> str:
    """``channel:~xxxxxxxx``: stable for one chat and key, and not the chat's id."""
    digest = hmac.new(_key, f"{channel}:{chat_id}".encode(), hashlib.sha256).hexdigest()
    return f"{channel}:~{digest[:8]}"
