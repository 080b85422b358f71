"""Signed, expiring button data for officers' cards.

A button carries ``<action>.<delivery id>.<expiry>.<signature>`` (well under Telegram's
64 bytes). The signature is an HMAC of the rest with a server secret, so a pressed button
can be trusted to name the delivery it was attached to — and a forged or stale one refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum


class OfficerAction(StrEnum):
    ACKNOWLEDGE = "k"
    IN_PROGRESS = "p"
    RESOLVE = "r"
    FALSE_REPORT = "f"
    SPLIT = "s"


@dataclass(frozen=True)
class SignedAction:
    action: OfficerAction
    delivery_id: int
    expires_epoch: int


class CallbackRefused(ValueError):
    """The button data is forged, malformed or expired."""


def _signature(secret: str, body: str) -> str:
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")


def sign(secret: str, action: OfficerAction, delivery_id: int, expires_epoch: int) -> str:
    if not secret:
        raise ValueError("no callback secret configured")
    body = f"{action.value}.{delivery_id}.{expires_epoch}"
    return f"{body}.{_signature(secret, body)}"


def verify(secret: str, data: str, now_epoch: float) -> SignedAction:
    """The action a button carries; raises CallbackRefused unless genuine and current."""
    parts = data.split(".")
    # Genuine data is ASCII; anything else (even a lone surrogate from a JSON escape) is not.
    if len(parts) != 4 or not secret or not data.isascii():
        raise CallbackRefused("malformed")
    body = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3], _signature(secret, body)):
        raise CallbackRefused("bad signature")
    try:
        action = OfficerAction(parts[0])
        delivery_id, expires = int(parts[1]), int(parts[2])
    except ValueError as exc:
        raise CallbackRefused("malformed") from exc
    if now_epoch > expires:
        raise CallbackRefused("expired")
    return SignedAction(action, delivery_id, expires)


def looks_signed(data: str) -> bool:
    """Officer buttons have four dot-separated parts; residents' choices never do."""
    return data.count(".") == 3
