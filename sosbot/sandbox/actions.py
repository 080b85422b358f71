"""What the sandbox user does in a pane, carried out through that platform's emulator.

An action is a JSON object with ``type``: ``text`` {text}, ``press`` {message_id, data}
(a Telegram inline button), ``quick_reply`` / ``postback`` {payload, title} (Messenger),
``location`` {lat, lon}, ``contact`` (Telegram's "share my phone number"), ``media``
{kind: photo|video, data_b64, name?} or ``sample`` {name} (one of the bundled sample
photos). Anything else is a ``BadAction`` (400).
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
from pathlib import Path
from typing import Any

from .emulators import Emulators
from .world import Pane

log = logging.getLogger(__name__)

SAMPLES_DIR = Path(__file__).parent / "static" / "samples"
SAMPLES = ("fire.jpg", "traffic.jpg", "flood.jpg")
MAX_TEXT = 2000
MAX_MEDIA_BYTES = 20 * 1024 * 1024
DEMO_PHONE = "+84901234567"


class BadAction(ValueError):
    """An action the page should never send: answered 400."""


def _text(action: dict[str, Any], name: str, limit: int = MAX_TEXT) -> str:
    value = action.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadAction(f"{name} must be a non-empty string of at most {limit} characters")
    return value


def _coordinate(action: dict[str, Any], name: str, bound: float) -> float:
    value = action.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not math.isfinite(value) or abs(value) > bound:
        raise BadAction(f"{name} must be a number within ±{bound}")
    return float(value)


def sample_bytes(name: str) -> bytes:
    if name not in SAMPLES:
        raise BadAction(f"unknown sample {name!r}")
    return (SAMPLES_DIR / name).read_bytes()


def _media(action: dict[str, Any]) -> tuple[str, str, str]:
    """(photo|video, base64 data, file name)."""
    if action["type"] == "sample":
        name = action.get("name")
        data = sample_bytes(name if isinstance(name, str) else "")
        return "photo", base64.b64encode(data).decode(), str(name)
    kind = action.get("kind")
    if kind not in ("photo", "video"):
        raise BadAction("kind must be photo or video")
    raw = action.get("data_b64")
    if not isinstance(raw, str) or not raw:
        raise BadAction("data_b64 is required")
    try:
        size = len(base64.b64decode(raw, validate=True))
    except (binascii.Error, ValueError):
        raise BadAction("data_b64 is not base64") from None
    if size == 0 or size > MAX_MEDIA_BYTES:
        raise BadAction(f"the file must be 1 byte to {MAX_MEDIA_BYTES // 2**20} MB")
    name = action.get("name") if isinstance(action.get("name"), str) else None
    return str(kind), raw, name or ("photo.jpg" if kind == "photo" else "video.mp4")


async def perform(emulators: Emulators, pane: Pane, action: Any) -> Any:
    """Do ``action`` as the pane's person; the emulator's answer."""
    if not isinstance(action, dict) or not isinstance(action.get("type"), str):
        raise BadAction("action must be an object with a type")
    handler = {"telegram": _telegram, "zalo": _zalo, "messenger": _messenger}[pane.platform]
    return await handler(emulators, pane, action)


async def _telegram(emulators: Emulators, pane: Pane, action: dict[str, Any]) -> Any:
    token = emulators.urls.telegram_token
    base = {"token": token, "from": int(pane.actor_id), "chat_id": int(pane.chat_id)}
    kind = action["type"]
    if kind == "text":
        return await emulators.post("telegram", "/_emu/send", {**base, "text": _text(action,
                                                                                   "text")})
    if kind == "press":
        message_id = action.get("message_id")
        if isinstance(message_id, bool) or not isinstance(message_id, int):
            raise BadAction("message_id must be an integer")
        return await emulators.post("telegram", "/_emu/press", {
            **base, "message_id": message_id, "data": _text(action, "data", 64)})
    if kind == "contact" and pane.kind == "resident":
        # Telegram's "share my phone number": the resident's own contact card.
        return await emulators.post("telegram", "/_emu/send", {**base, "contact": {
            "phone_number": DEMO_PHONE, "first_name": pane.actor_name,
            "user_id": int(pane.actor_id)}})
    if kind == "location":
        return await emulators.post("telegram", "/_emu/send", {**base, "location": {
            "latitude": _coordinate(action, "lat", 90), "longitude":
                _coordinate(action, "lon", 180)}})
    if kind in ("media", "sample"):
        media, data, name = _media(action)
        spec: dict[str, Any] = {"data_b64": data}
        if media == "video":
            spec["file_name"] = name
        return await emulators.post("telegram", "/_emu/send", {**base, media: spec})
    raise BadAction(f"Telegram has no action {kind!r}")


async def _zalo(emulators: Emulators, pane: Pane, action: dict[str, Any]) -> Any:
    base: dict[str, Any] = {"from": pane.actor_id}
    if pane.kind == "group":
        base["group_id"] = pane.chat_id
    kind = action["type"]
    if kind == "text":
        return await emulators.post("zalo", "/_emu/send", {**base, "text": _text(action,
                                                                               "text")})
    if kind == "location" and pane.kind == "resident":
        return await emulators.post("zalo", "/_emu/send", {**base, "location": {
            # Zalo sends coordinates as strings.
            "latitude": str(_coordinate(action, "lat", 90)),
            "longitude": str(_coordinate(action, "lon", 180))}})
    if kind in ("media", "sample"):
        media, data, name = _media(action)
        if media == "photo":
            return await emulators.post("zalo", "/_emu/send", {**base, "image": {
                "data_b64": data}})
        return await emulators.post("zalo", "/_emu/send", {**base, "video": {
            "data_b64": data, "file_name": name}})
    raise BadAction(f"Zalo has no action {kind!r} here")


async def _messenger(emulators: Emulators, pane: Pane, action: dict[str, Any]) -> Any:
    base = {"from": pane.actor_id}
    kind = action["type"]
    if kind == "text":
        return await emulators.post("messenger", "/_emu/send", {**base, "text": _text(
            action, "text")})
    if kind in ("quick_reply", "postback"):
        payload = _text(action, "payload", 1000)
        title = _text(action, "title", 200)
        body = {"payload": payload, "text": title} if kind == "quick_reply" else \
            {"payload": payload, "title": title}
        return await emulators.post("messenger", "/_emu/send", {**base, kind: body})
    if kind in ("media", "sample"):
        media, data, name = _media(action)
        spec = {"data_b64": data, "file_name": name}
        return await emulators.post("messenger", "/_emu/send", {
            **base, "image" if media == "photo" else "video": spec})
    raise BadAction(f"Messenger has no action {kind!r}")
