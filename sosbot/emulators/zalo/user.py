"""What emulated users do: write to the OA or in a group, follow, and group life.

Each action becomes a webhook event in Zalo's documented shape (string ids, a string
``timestamp`` in milliseconds, coordinates as strings) and is POSTed to the webhook.
Files a user sends are kept and served back at ``/_emu/files/{id}``, which is the
``payload.url`` the event carries.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import mimetypes
from typing import Any

from .errors import ControlError
from .state import Group, User, ZaloEmulatorState, new_hex_id

log = logging.getLogger(__name__)

CONTENT_KINDS = ("text", "location", "image", "video", "file", "sticker", "link",
                 "business_card")


def _b64(spec: dict[str, Any], kind: str) -> bytes:
    raw = spec.get("data_b64")
    if not isinstance(raw, str) or not raw:
        raise ControlError(f"{kind}.data_b64 is required")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(f"{kind}.data_b64 is not base64") from None


def _spec(value: Any, kind: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ControlError(f"{kind} must be an object")
    return value


def _optional_str(spec: dict[str, Any], name: str) -> str | None:
    value = spec.get(name)
    if value is not None and not isinstance(value, str):
        raise ControlError(f"{name} must be a string")
    return value or None


def _coordinate(value: Any, what: str) -> str:
    """Zalo sends coordinates as strings; the emulator lets tests send anything numeric."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ControlError(f"{what} must be a number or a string")
    return str(value)


def _file_url(origin: str, file_id: str) -> str:
    return f"{origin}/_emu/files/{file_id}"


def _media(state: ZaloEmulatorState, kind: str, spec: dict[str, Any],
           origin: str) -> dict[str, Any]:
    data = _b64(spec, kind)
    name = _optional_str(spec, "file_name")
    default_mime = {"image": "image/jpeg", "video": "video/mp4"}.get(kind,
                                                                     "application/octet-stream")
    mime = _optional_str(spec, "mime_type") or \
        (mimetypes.guess_type(name)[0] if name else None) or default_mime
    stored = state.add_file(data, mime, name)
    url = _file_url(origin, stored.id)
    if kind == "image":
        return {"type": "image", "payload": {"thumbnail": url, "url": url}}
    if kind == "video":
        return {"type": "video", "payload": {"thumbnail": url, "description": "", "url": url}}
    if name is None:
        raise ControlError("file.file_name is required")
    return {"type": "file", "payload": {
        "size": str(len(data)), "name": name, "checksum": hashlib.md5(data).hexdigest(),
        "type": name.rsplit(".", 1)[-1].lower() if "." in name else "", "url": url}}


def message_of(state: ZaloEmulatorState, user: User, kind: str, value: Any,
               origin: str) -> dict[str, Any]:
    """The ``message`` object of a ``user_send_<kind>`` event (``msg_id`` included)."""
    message: dict[str, Any] = {"msg_id": new_hex_id()}
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise ControlError("text must be a non-empty string")
        message["text"] = value
        return message
    if kind == "image" and isinstance(value, list):
        if not 1 <= len(value) <= 10:
            raise ControlError("image must be an object or a list of 1 to 10 objects")
        specs = [_spec(item, kind) for item in value]
    else:
        specs = [_spec(value, kind)]
    spec = specs[0]
    if kind == "location":
        message["attachments"] = [{"type": "location", "payload": {"coordinates": {
            "latitude": _coordinate(spec.get("latitude"), "latitude"),
            "longitude": _coordinate(spec.get("longitude"), "longitude")}}}]
    elif kind in ("image", "video", "file"):
        message["attachments"] = [_media(state, kind, item, origin) for item in specs]
        caption = _optional_str(spec, "caption")
        if caption:
            message["text"] = caption
    elif kind == "sticker":
        sticker = _optional_str(spec, "id") or new_hex_id()
        message["attachments"] = [{"type": "sticker", "payload": {
            "id": sticker,
            "url": f"https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid={sticker}"}}]
    elif kind == "link":
        url = _optional_str(spec, "url")
        if url is None or not url.startswith(("http://", "https://")):
            raise ControlError("link.url must be an http(s) URL")
        message["text"] = url
        message["attachments"] = [{"type": "link", "payload": {
            "thumbnail": "", "description": _optional_str(spec, "description") or "",
            "url": url}}]
    else:  # business_card
        phone = _optional_str(spec, "phone")
        if phone is None:
            raise ControlError("business_card.phone is required")
        owner = _optional_str(spec, "user_id") or user.id
        details = {"qrCodeUrl": f"https://qr.zalo.me/{owner}", "phone": phone,
                   "userId": owner}
        message["attachments"] = [{"type": "link", "payload": {
            "thumbnail": "", "title": _optional_str(spec, "name") or user.name,
            "description": json.dumps(details), "url": f"https://zalo.me/{owner}"}}]
    return message


def content_of(params: dict[str, Any]) -> tuple[str, Any]:
    """The one content kind of a /_emu/send body, and its value."""
    kinds = [kind for kind in CONTENT_KINDS if params.get(kind) is not None]
    if len(kinds) != 1:
        raise ControlError(f"give exactly one of {', '.join(CONTENT_KINDS)}")
    return kinds[0], params[kinds[0]]


def user_event(state: ZaloEmulatorState, user: User, kind: str, message: dict[str, Any],
               group: Group | None) -> dict[str, Any]:
    """A ``user_send_<kind>`` (or ``user_send_group_<kind>``) webhook event."""
    event: dict[str, Any] = {"app_id": state.config.app_id, "sender": {"id": user.id},
                             "user_id_by_app": user.id_by_app}
    if group is None:
        event.update(recipient={"id": state.config.oa_id}, event_name=f"user_send_{kind}")
    else:
        event.update(oa_id=state.config.oa_id, recipient={"id": group.id},
                     event_name=f"user_send_group_{kind}")
    event.update(message=message, timestamp=state.now_ms())
    return event


def follow_event(state: ZaloEmulatorState, user: User, follow: bool) -> dict[str, Any]:
    """A ``follow`` or ``unfollow`` event."""
    return {"oa_id": state.config.oa_id, "follower": {"id": user.id},
            "user_id_by_app": user.id_by_app, "event_name": "follow" if follow else "unfollow",
            "app_id": state.config.app_id, "timestamp": state.now_ms(),
            "source": "oa_profile"}


def group_event(state: ZaloEmulatorState, group: Group, name: str,
                actor: str | None = None, **extra: Any) -> dict[str, Any]:
    """A group-life event (``create_group``, ``disperse_group``, ``user_join_group``…)."""
    event: dict[str, Any] = {"app_id": state.config.app_id, "oa_id": state.config.oa_id,
                             "event_name": name, "timestamp": state.now_ms(),
                             "sender": {"id": actor or state.config.oa_id},
                             "recipient": {"id": group.id},
                             "group_info": {"group_id": group.id, "group_name": group.name}}
    event.update(extra)
    return event
