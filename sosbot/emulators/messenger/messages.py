"""Validation of the Send API's ``message`` object, with Graph's limits and error answers.

Limits (Messenger Platform reference): text 1–2,000 characters; at most 13 quick replies,
a text quick reply needs a title of at most 20 characters and a payload of at most 1,000;
a button template has text of at most 640 characters and 1–3 buttons whose titles are at
most 20 characters; attachments are ``image``, ``video``, ``audio``, ``file`` (by ``url``,
``attachment_id`` or an uploaded ``filedata``) or ``template``. Lengths are counted in
UTF-16 code units, as Meta's servers count them.
"""

from __future__ import annotations

import logging
from typing import Any

from .errors import GraphApiError, invalid_param

log = logging.getLogger(__name__)

TEXT_LIMIT = 2000
TEMPLATE_TEXT_LIMIT = 640
MAX_QUICK_REPLIES = 13
TITLE_LIMIT = 20
PAYLOAD_LIMIT = 1000
MEDIA_TYPES = ("image", "video", "audio", "file")
QUICK_REPLY_TYPES = ("text", "user_phone_number", "user_email")
BUTTON_TYPES = ("web_url", "postback", "phone_number")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _string(value: Any, name: str, limit: int, *, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            raise invalid_param(f"param {name} must be non-empty.")
        return None
    if not isinstance(value, str):
        raise invalid_param(f"param {name} must be a string.")
    if utf16_len(value) > limit:
        raise invalid_param(f"Length of param {name} must be less than or equal to {limit}")
    return value


def check_quick_replies(value: Any) -> list[dict[str, Any]]:
    """The quick replies, checked; Graph's error when one is wrong."""
    if not isinstance(value, list) or not value:
        raise invalid_param("param message[quick_replies] must be a non-empty array.")
    if len(value) > MAX_QUICK_REPLIES:
        raise invalid_param(
            f"param message[quick_replies] must have at most {MAX_QUICK_REPLIES} elements.")
    out = []
    for index, reply in enumerate(value):
        name = f"message[quick_replies][{index}]"
        if not isinstance(reply, dict):
            raise invalid_param(f"param {name} must be an object.")
        kind = reply.get("content_type")
        if kind not in QUICK_REPLY_TYPES:
            raise invalid_param(f"param {name}[content_type] must be one of "
                                f"{{{', '.join(t.upper() for t in QUICK_REPLY_TYPES)}}}")
        item: dict[str, Any] = {"content_type": kind}
        if kind == "text":
            item["title"] = _string(reply.get("title"), f"{name}[title]", TITLE_LIMIT)
            item["payload"] = _string(reply.get("payload"), f"{name}[payload]", PAYLOAD_LIMIT)
            if reply.get("image_url"):
                item["image_url"] = reply["image_url"]
        out.append(item)
    return out


def _button(button: Any, name: str) -> dict[str, Any]:
    if not isinstance(button, dict) or button.get("type") not in BUTTON_TYPES:
        raise invalid_param(f"param {name}[type] must be one of "
                            f"{{{', '.join(t.upper() for t in BUTTON_TYPES)}}}")
    out = {"type": button["type"],
           "title": _string(button.get("title"), f"{name}[title]", TITLE_LIMIT)}
    if button["type"] == "web_url":
        url = _string(button.get("url"), f"{name}[url]", 2048)
        assert url is not None
        if not url.startswith(("http://", "https://")):
            raise invalid_param(f"param {name}[url] must be a valid URL.")
        out["url"] = url
    else:
        out["payload"] = _string(button.get("payload"), f"{name}[payload]", PAYLOAD_LIMIT)
    return out


def _template(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise invalid_param("param message[attachment][payload] must be an object.")
    kind = payload.get("template_type")
    if kind != "button":  # other templates are taken as they come
        if not isinstance(kind, str) or not kind:
            raise invalid_param("param message[attachment][payload][template_type] is required.")
        return dict(payload)
    prefix = "message[attachment][payload]"
    text = _string(payload.get("text"), f"{prefix}[text]", TEMPLATE_TEXT_LIMIT)
    buttons = payload.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise invalid_param(f"param {prefix}[buttons] must have between 1 and 3 elements.")
    return {"template_type": "button", "text": text,
            "buttons": [_button(b, f"{prefix}[buttons][{i}]") for i, b in enumerate(buttons)]}


def check_attachment(value: Any, has_file: bool) -> dict[str, Any]:
    """The attachment, checked: ``{"type", "payload"}``; media payloads keep url/id/reuse."""
    if not isinstance(value, dict):
        raise invalid_param("param message[attachment] must be an object.")
    kind = value.get("type")
    if kind == "template":
        return {"type": "template", "payload": _template(value.get("payload"))}
    if kind not in MEDIA_TYPES:
        raise invalid_param("param message[attachment][type] must be one of "
                            "{IMAGE, AUDIO, VIDEO, FILE, TEMPLATE}")
    payload = value.get("payload") or {}
    if not isinstance(payload, dict):
        raise invalid_param("param message[attachment][payload] must be an object.")
    sources = [bool(payload.get("url")), bool(payload.get("attachment_id")), has_file]
    if sum(sources) != 1:
        raise invalid_param("Attachment must have exactly one of url, attachment_id or an "
                            "uploaded file (filedata)", 2018047)
    return {"type": kind, "payload": dict(payload)}


def check_message(message: Any, has_file: bool) -> dict[str, Any]:
    """A Send API ``message`` object, checked; raise the GraphApiError Graph would answer."""
    if not isinstance(message, dict) or not message:
        raise invalid_param("param message must be non-empty.")
    has_text, has_attachment = "text" in message, "attachment" in message
    if has_text == has_attachment:
        raise invalid_param("Must send either message text or an attachment", 2018013)
    out: dict[str, Any] = {}
    if has_text:
        out["text"] = _string(message.get("text"), "message[text]", TEXT_LIMIT)
    else:
        out["attachment"] = check_attachment(message["attachment"], has_file)
    if message.get("quick_replies") is not None:
        out["quick_replies"] = check_quick_replies(message["quick_replies"])
    if message.get("metadata") is not None:
        out["metadata"] = _string(message["metadata"], "message[metadata]", 1000)
    unknown = set(message) - {"text", "attachment", "quick_replies", "metadata"}
    if unknown:
        raise GraphApiError(100, f"(#100) Unknown parameter: message[{sorted(unknown)[0]}]")
    return out
