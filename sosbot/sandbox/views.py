"""Each emulator's chat log turned into one shape the page draws (pure functions).

A message is ``{id, who, name, text, media, location, buttons, at}``: ``who`` is ``me``
(the person the sandbox user plays in that pane), ``bot`` (the police account) or
``other``; ``media`` items are ``{kind, url}`` with URLs the sandbox proxies; ``buttons``
are rows of ``{label, act}`` where ``act`` is what pressing the button does (see
``actions.py``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

MEDIA_PATH = "api/media?u="
Message = dict[str, Any]


def media_url(url: str) -> str:
    return MEDIA_PATH + quote(url, safe="")


def _message(msg_id: str, who: str, name: str, at: float) -> Message:
    return {"id": msg_id, "who": who, "name": name, "text": "", "media": [],
            "location": None, "buttons": [], "at": at}


def first_contact(text: str) -> list[list[dict[str, Any]]]:
    """What an empty chat offers: the one tap that opens the conversation."""
    return [[{"label": text, "act": {"type": "text", "text": text}}]]


# -- Telegram -------------------------------------------------------------------------------


def telegram_messages(raw: list[dict[str, Any]], actor_id: str, file_url: Any,
                      names: dict[str, str]) -> list[Message]:
    """``file_url(file_id)`` gives the emulator URL of a stored file."""
    out = []
    for item in raw:
        sender = item.get("from") or {}
        sender_id = str(sender.get("id", ""))
        who = "bot" if sender.get("is_bot") else "me" if sender_id == actor_id else "other"
        name = names.get(sender_id) or " ".join(
            p for p in (sender.get("first_name"), sender.get("last_name")) if p)
        msg = _message(str(item.get("message_id")), who, name, float(item.get("date", 0)))
        msg["text"] = item.get("text") or item.get("caption") or _service_text(item)
        if item.get("photo"):
            largest = item["photo"][-1]
            msg["media"].append({"kind": "image", "url": media_url(file_url(largest["file_id"]))})
        for kind in ("video", "animation"):
            if item.get(kind):
                msg["media"].append({"kind": "video",
                                     "url": media_url(file_url(item[kind]["file_id"]))})
        if item.get("document"):
            msg["media"].append({"kind": "file", "name": item["document"].get("file_name"),
                                 "url": media_url(file_url(item["document"]["file_id"]))})
        place = item.get("location") or (item.get("venue") or {}).get("location")
        if place:
            msg["location"] = {"lat": place["latitude"], "lon": place["longitude"]}
        reply = item.get("reply_to_message")
        if reply:
            msg["reply_to"] = (reply.get("text") or reply.get("caption") or "")[:80]
        keyboard = (item.get("reply_markup") or {}).get("inline_keyboard") or []
        msg["buttons"] = [[_telegram_button(button, item) for button in row]
                          for row in keyboard]
        msg["edited"] = bool(item.get("edit_date"))
        out.append(msg)
    return out


def _service_text(item: dict[str, Any]) -> str:
    if item.get("contact"):
        return "📞 " + str(item["contact"].get("phone_number", ""))
    if item.get("sticker"):
        return str(item["sticker"].get("emoji") or "🖼️")
    if item.get("new_chat_members"):
        return "➕ " + ", ".join(m.get("first_name", "") for m in item["new_chat_members"])
    return ""


def _telegram_button(button: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    label = str(button.get("text", ""))
    if "callback_data" in button:
        return {"label": label, "act": {"type": "press", "data": button["callback_data"],
                                        "message_id": item.get("message_id")}}
    if "url" in button:
        return {"label": label, "act": {"type": "url", "url": button["url"]}}
    return {"label": label, "act": {"type": "text", "text": label}}


def telegram_keyboard(keyboard: dict[str, Any] | None) -> list[list[dict[str, Any]]]:
    """The reply keyboard under the composer: location requests open the map."""
    rows = []
    for row in (keyboard or {}).get("keyboard") or []:
        buttons = []
        for button in row:
            label = button["text"] if isinstance(button, dict) else str(button)
            if isinstance(button, dict) and button.get("request_location"):
                buttons.append({"label": label, "act": {"type": "map"}})
            elif isinstance(button, dict) and button.get("request_contact"):
                buttons.append({"label": label, "act": {"type": "contact"}})
            else:
                buttons.append({"label": label, "act": {"type": "text", "text": label}})
        rows.append(buttons)
    return rows


# -- Zalo -----------------------------------------------------------------------------------


def zalo_messages(raw: list[dict[str, Any]], actor_id: str,
                  names: dict[str, str]) -> list[Message]:
    out = []
    for item in raw:
        sender = str(item.get("from", ""))
        at = float(item.get("at") or 0) / 1000
        if sender == "oa":
            msg = _message(str(item.get("msg_id")), "bot", "", at)
            body = item
        else:
            who = "me" if sender == actor_id else "other"
            msg = _message(str(item.get("msg_id")), who, names.get(sender, sender), at)
            body = item.get("message") or {}
        msg["text"] = body.get("text") or ""
        for attachment in body.get("attachments") or []:
            _zalo_attachment(msg, attachment)
        msg["buttons"] = [[_zalo_button(button)] for button in item.get("buttons") or []]
        out.append(msg)
    return out


def _zalo_attachment(msg: Message, attachment: dict[str, Any]) -> None:
    kind = attachment.get("type")
    payload = attachment.get("payload") or {}
    if kind == "location":
        coords = payload.get("coordinates") or {}
        msg["location"] = {"lat": float(coords.get("latitude", 0)),
                           "lon": float(coords.get("longitude", 0))}
    elif kind in ("image", "video", "gif") and payload.get("url"):
        msg["media"].append({"kind": "video" if kind == "video" else "image",
                             "url": media_url(payload["url"])})
    elif kind == "file" and payload.get("url"):
        msg["media"].append({"kind": "file", "name": payload.get("name"),
                             "url": media_url(payload["url"])})
    elif kind == "link" and payload.get("url"):
        msg["text"] = (msg["text"] + "\n" + payload["url"]).strip()


def _zalo_button(button: dict[str, Any]) -> dict[str, Any]:
    label = str(button.get("title", ""))
    payload = button.get("payload")
    if button.get("type") == "oa.open.url" and isinstance(payload, dict):
        return {"label": label, "act": {"type": "url", "url": payload.get("url", "")}}
    # oa.query.show / oa.query.hide: tapping sends the payload as the user's message.
    return {"label": label, "act": {"type": "text", "text": str(payload or label)}}


# -- Messenger ------------------------------------------------------------------------------


def messenger_messages(raw: list[dict[str, Any]], actor_name: str) -> list[Message]:
    out = []
    for item in raw:
        at = float(item.get("timestamp") or 0) / 1000
        if item.get("direction") == "in":
            msg = _message(str(item.get("mid")), "me", actor_name, at)
            body = item.get("message") or {}
            postback = item.get("postback") or {}
            msg["text"] = body.get("text") or postback.get("title") or ""
            for attachment in body.get("attachments") or []:
                _messenger_attachment(msg, attachment)
        else:
            msg = _message(str(item.get("mid")), "bot", "", at)
            msg["text"] = item.get("text") or ""
            attachment = item.get("attachment")
            if attachment:
                _messenger_attachment(msg, attachment)
            msg["quick_replies"] = [
                {"label": q.get("title", ""), "act": {"type": "quick_reply",
                                                      "payload": q.get("payload", ""),
                                                      "title": q.get("title", "")}}
                for q in item.get("quick_replies") or [] if q.get("content_type") == "text"]
        out.append(msg)
    return out


def _messenger_attachment(msg: Message, attachment: dict[str, Any]) -> None:
    kind = attachment.get("type")
    payload = attachment.get("payload") or {}
    if kind == "template":
        msg["text"] = (msg["text"] + "\n" + str(payload.get("text") or "")).strip()
        msg["buttons"] = [[_messenger_button(b)] for b in payload.get("buttons") or []]
    elif kind in ("image", "video") and payload.get("url"):
        msg["media"].append({"kind": kind, "url": media_url(payload["url"])})
    elif kind in ("file", "audio") and payload.get("url"):
        msg["media"].append({"kind": "file", "url": media_url(payload["url"])})
    elif kind == "location":
        coords = payload.get("coordinates") or {}
        if coords:
            msg["location"] = {"lat": coords.get("lat"), "lon": coords.get("long")}


def _messenger_button(button: dict[str, Any]) -> dict[str, Any]:
    label = str(button.get("title", ""))
    if button.get("type") == "web_url":
        return {"label": label, "act": {"type": "url", "url": button.get("url", "")}}
    return {"label": label, "act": {"type": "postback", "payload": button.get("payload", ""),
                                    "title": label}}


def messenger_keyboard(messages: list[Message]) -> list[list[dict[str, Any]]]:
    """Quick replies show under the composer while the page's last message is the newest."""
    if not messages or messages[-1]["who"] != "bot":
        return []
    replies = messages[-1].get("quick_replies") or []
    return [replies] if replies else []
