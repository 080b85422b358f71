"""How Zalo signs a webhook delivery, written apart from the adapter's check.

Rule (Zalo OA "Xác thực webhook", checked 2026-11; DESIGN.md "Facts about the platforms"):
``X-ZEvent-Signature: mac=<hex SHA-256 of app_id + raw body + timestamp + OA secret key>``,
a plain digest (not an HMAC) over the bytes as sent. The emulator computes it here, with its
own code, so a mistake in the adapter's check cannot be mirrored by the emulator.
"""

from __future__ import annotations

from hashlib import sha256

SIGNATURE_HEADER = "X-ZEvent-Signature"


def signature_header(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The header value Zalo sends with ``body``: ``mac=`` and the lowercase hex digest."""
    material = b"".join((app_id.encode(), body, timestamp.encode(), oa_secret_key.encode()))
    return "mac=" + sha256(material).hexdigest()
