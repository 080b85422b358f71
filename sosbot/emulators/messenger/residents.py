"""What emulated residents do: write, tap quick replies and buttons, share media and links.

``POST /_emu/send`` takes ``from`` (a PSID) and exactly one of:

- ``text``: a string (``reply_to``: the mid it answers, optional);
- ``quick_reply``: ``{payload, text}`` (the tapped title travels as text);
- ``postback``: ``{payload, title}``;
- ``image`` / ``video`` / ``file`` / ``audio``: ``{data_b64, mime_type?, file_name?}``; the
  bytes are served back at the attachment URL the webhook carries;
- ``sticker``: ``{sticker_id?, form?}`` with form ``sticker`` (the new attachment type,
  default) or ``transitional`` (the ``image`` + ``sticker`` pair Meta sends until 30 Aug 2026);
- ``fallback``: ``{url, title?, text?}``, a shared link;
- ``location``: ``{lat, long, title?}``, the legacy location attachment;
- ``read`` / ``delivery``: ``{}``, receipts for what the page sent.

``POST /_emu/send_batch`` takes ``{"events": [<send bodies>], "wait"}`` and delivers them
all in one webhook POST, one entry each. Both answer ``{"mids", "deliveries"}``: the mids
of the messages made, and the final HTTP status of each POST (with ``wait``, the default).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import logging
from typing import Any

from aiohttp import web
from PIL import Image, UnidentifiedImageError

from sosbot.emulators.common.request_body import BodyError, Params, read_json_object

from .errors import ControlError
from .graph import public_base
from .state import STATE_KEY, EmulatorState, Resident

log = logging.getLogger(__name__)

KINDS = ("text", "quick_reply", "postback", "image", "video", "file", "audio", "sticker",
         "fallback", "location", "read", "delivery")
LIKE_STICKER_ID = 369239263222822
_DEFAULT_MIME = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/mpeg",
                 "file": "application/octet-stream"}
_DEFAULT_NAME = {"image": "image.jpg", "video": "video.mp4", "audio": "audioclip.mp4",
                 "file": "file.bin"}


def _string(spec: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = spec.get(name)
    if value is None or value == "":
        if required:
            raise ControlError(f"{name} must be a non-empty string")
        return None
    if not isinstance(value, str):
        raise ControlError(f"{name} must be a string")
    return value


def _object(params: Params, name: str) -> dict[str, Any]:
    value = params.raw(name)
    if not isinstance(value, dict):
        raise ControlError(f"{name} must be an object")
    return value


def _bytes(spec: dict[str, Any], kind: str) -> bytes:
    value = spec.get("data_b64")
    if not isinstance(value, str) or not value:
        raise ControlError(f"{kind}.data_b64 must be a non-empty base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(f"{kind}.data_b64 is not valid base64") from None


def _tiny_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (66, 103, 178)).save(out, format="PNG")
    return out.getvalue()


def _media(state: EmulatorState, base: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    data = _bytes(spec, kind)
    if kind == "image":
        try:
            Image.open(io.BytesIO(data)).verify()
        except (UnidentifiedImageError, OSError, SyntaxError):
            raise ControlError("image.data_b64 is not an image Pillow can read") from None
    mime = _string(spec, "mime_type", required=False) or _DEFAULT_MIME[kind]
    name = _string(spec, "file_name", required=False) or _DEFAULT_NAME[kind]
    stored = state.store_file(data, mime, name.replace("/", "_"))
    return {"attachments": [{"type": kind, "payload": {"url": base + stored.path()}}]}


def _sticker(state: EmulatorState, base: str, spec: dict[str, Any]) -> dict[str, Any]:
    sticker_id = spec.get("sticker_id", LIKE_STICKER_ID)
    if isinstance(sticker_id, bool) or not isinstance(sticker_id, int):
        raise ControlError("sticker.sticker_id must be an integer")
    url = base + state.store_file(_tiny_png(), "image/png", "sticker.png").path()
    sticker = {"type": "sticker", "payload": {"url": url, "sticker_id": sticker_id}}
    form = spec.get("form", "sticker")
    if form == "sticker":
        return {"attachments": [sticker]}
    if form == "transitional":
        image = {"type": "image", "payload": {"url": url, "sticker_id": sticker_id}}
        return {"sticker_id": sticker_id, "attachments": [image, sticker]}
    raise ControlError("sticker.form must be sticker or transitional")


def _fallback(spec: dict[str, Any]) -> dict[str, Any]:
    url = _string(spec, "url")
    assert url is not None
    payload: dict[str, Any] = {"url": url}
    title = _string(spec, "title", required=False)
    if title:
        payload["title"] = title
    text = _string(spec, "text", required=False) or url
    return {"text": text, "attachments": [{"type": "fallback", "payload": payload}]}


def _location(resident: Resident, spec: dict[str, Any]) -> dict[str, Any]:
    lat, lon = spec.get("lat"), spec.get("long")
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in (lat, lon)):
        raise ControlError("location needs numbers lat and long")
    assert isinstance(lat, int | float) and isinstance(lon, int | float)
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise ControlError("location lat/long out of range")
    title = _string(spec, "title", required=False) or f"{resident.first_name}'s Location"
    url = ("https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.bing.com%2Fmaps%2Fdefault.aspx"
           f"%3Fv%3D2%26pc%3DFACEBK%26mid%3D8100%26where1%3D{lat}%252C%2B{lon}")
    return {"attachments": [{"title": title, "url": url, "type": "location",
                             "payload": {"coordinates": {"lat": lat, "long": lon}}}]}


def _message(state: EmulatorState, base: str, resident: Resident, kind: str,
             params: Params) -> dict[str, Any]:
    if kind == "text":
        text = params.raw("text")
        if not isinstance(text, str) or not text:
            raise ControlError("text must be a non-empty string")
        message: dict[str, Any] = {"text": text}
        reply_to = params.get_str("reply_to")
        if reply_to:
            message["reply_to"] = {"mid": reply_to, "is_self_reply": False}
        return message
    spec = _object(params, kind)
    if kind == "quick_reply":
        payload = _string(spec, "payload")
        return {"text": _string(spec, "text", required=False) or payload,
                "quick_reply": {"payload": payload}}
    if kind in ("image", "video", "file", "audio"):
        return _media(state, base, kind, spec)
    if kind == "sticker":
        return _sticker(state, base, spec)
    if kind == "fallback":
        return _fallback(spec)
    return _location(resident, spec)


def build_event(state: EmulatorState, base: str, params: Params) -> tuple[dict[str, Any],
                                                                          str | None]:
    """One messaging event from a send body, recorded in the timeline; and its mid."""
    psid = params.get_str("from", required=True)
    resident = state.resident(psid or "")
    if resident is None:
        raise ControlError(f"unknown resident {psid!r}")
    kinds = [k for k in KINDS if params.raw(k) is not None]
    if len(kinds) != 1:
        raise ControlError(f"give exactly one of {', '.join(KINDS)}")
    kind = kinds[0]
    now_ms = state.clock.now_ms()
    page = {"id": state.config.page_id}
    if kind in ("read", "delivery"):
        watermark: dict[str, Any] = {"watermark": now_ms}
        if kind == "delivery":
            sent = [m["mid"] for m in resident.timeline if m["direction"] == "out"]
            watermark = {"mids": sent[-1:], "watermark": now_ms}
        return {"sender": {"id": resident.psid}, "recipient": page, kind: watermark}, None
    mid = state.new_mid()
    if kind == "postback":
        spec = _object(params, "postback")
        body = {"mid": mid, "title": _string(spec, "title", required=False) or "",
                "payload": _string(spec, "payload")}
        event_kind, content = "postback", body
    else:
        content = {"mid": mid, **_message(state, base, resident, kind, params)}
        event_kind = "message"
    resident.last_message_at = state.clock.now()
    resident.timeline.append({"direction": "in", "mid": mid, "timestamp": now_ms,
                              event_kind: content})
    event = {"sender": {"id": resident.psid}, "recipient": page, "timestamp": now_ms,
             event_kind: content}
    return event, mid


async def _deliver(state: EmulatorState, events: list[dict[str, Any]],
                   wait: bool) -> list[int | None]:
    if not state.config.webhook_url or not state.subscribed:
        raise ControlError("no verified webhook: set webhook_url, then POST /_emu/subscribe",
                           status=409)
    future = state.deliver(events)
    if not wait:
        return [None]
    return [await asyncio.shield(future)]


async def _params(request: web.Request) -> Params:
    try:
        return Params(values=await read_json_object(request))
    except BodyError as exc:
        raise ControlError(str(exc)) from None


async def handle_send(request: web.Request) -> web.Response:
    """``POST /_emu/send``: one resident does one thing."""
    state = request.app[STATE_KEY]
    params = await _params(request)
    event, mid = build_event(state, public_base(request, state), params)
    deliveries = await _deliver(state, [event], params.get_bool("wait", True))
    return web.json_response({"mids": [mid] if mid else [], "deliveries": deliveries})


async def handle_send_batch(request: web.Request) -> web.Response:
    """``POST /_emu/send_batch``: several residents' events in one webhook POST."""
    state = request.app[STATE_KEY]
    params = await _params(request)
    items = params.raw("events")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise ControlError("events must be a non-empty list of send bodies")
    base = public_base(request, state)
    built = [build_event(state, base, Params(values=item)) for item in items]
    deliveries = await _deliver(state, [event for event, _ in built],
                                params.get_bool("wait", True))
    return web.json_response({"mids": [mid for _, mid in built if mid],
                              "deliveries": deliveries})
