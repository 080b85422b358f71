"""Message content rules of the Telegram emulator: text, captions, entities, reply markup."""

from __future__ import annotations

import logging
import re
from typing import Any

from .errors import bad_request
from .html_text import HtmlParseError, parse_html, utf16_len

log = logging.getLogger(__name__)

# Bot API reference (https://core.telegram.org/bots/api, checked 2026-12-07): sendMessage
# text "1-4096 characters after entities parsing", captions "0-1024 characters after
# entities parsing", InlineKeyboardButton callback_data "1-64 bytes". Lengths are counted
# here in UTF-16 units, the unit of Telegram's entity offsets: the stricter of the two
# readings (one measurement found Telegram counting code points; docs/platforms/telegram.md),
# so a bot that passes here passes on Telegram. Error descriptions as Telegram answers them:
# "Bad Request: message is too long" (tdlib/telegram-bot-api issues #374, #655),
# "Bad Request: message caption is too long" (tactilenews/100eyes#1594, 2023),
# "Bad Request: BUTTON_DATA_INVALID".
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

_AUTO_ENTITY_RE = re.compile(
    r"(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/]))"
    r"|(?P<url>https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'])"
    r"|(?P<mention>(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?!\w))"
    r"|(?P<hashtag>(?<![\w#])#\w*[^\W\d]\w*)"
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram finds by itself in a user's text: commands, URLs, mentions, tags."""
    entities: list[dict[str, Any]] = []
    for match in _AUTO_ENTITY_RE.finditer(text):
        kind = match.lastgroup or "url"
        entities.append(
            {
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
                "type": kind,
            }
        )
    return entities


def _clean_entities(raw: Any, field_name: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise bad_request(f"can't parse {field_name} JSON object")
    out: list[dict[str, Any]] = []
    for ent in raw:
        offset, length, kind = ent.get("offset"), ent.get("length"), ent.get("type")
        if not isinstance(offset, int) or not isinstance(length, int) or not isinstance(kind, str):
            raise bad_request(f"can't parse {field_name} JSON object")
        out.append({k: v for k, v in ent.items() if v is not None})
    out.sort(key=lambda e: (e["offset"], -e["length"]))
    return out


def format_text(
    text: str, parse_mode: str | None, entities: Any, *, field_name: str = "entities"
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of ``text`` under ``parse_mode`` or explicit ``entities``."""
    mode = (parse_mode or "").strip()
    if mode and entities is None:
        if mode.lower() == "html":
            try:
                return parse_html(text)
            except HtmlParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        if mode.lower() in ("markdown", "markdownv2"):
            log.warning("parse_mode %s is not interpreted by the emulator; text kept as is", mode)
            return text, []
        raise bad_request(f"unsupported parse_mode {mode!r}")
    return text, _clean_entities(entities, field_name)


def message_text(text: str | None, parse_mode: str | None, entities: Any) -> dict[str, Any]:
    """``{"text", "entities"?}`` for a message, validated like sendMessage does."""
    if text is None or not text.strip():
        raise bad_request("message text is empty")
    plain, ents = format_text(text, parse_mode, entities)
    if not plain.strip():
        raise bad_request("message text is empty")
    if utf16_len(plain) > MAX_TEXT:
        raise bad_request("message is too long")
    out: dict[str, Any] = {"text": plain}
    if ents:
        out["entities"] = ents
    return out


def message_caption(caption: str | None, parse_mode: str | None, entities: Any) -> dict[str, Any]:
    """``{"caption", "caption_entities"?}`` (empty when there is no caption)."""
    if caption is None or caption == "":
        return {}
    plain, ents = format_text(caption, parse_mode, entities, field_name="caption_entities")
    if utf16_len(plain) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    if not plain:
        return {}
    out: dict[str, Any] = {"caption": plain}
    if ents:
        out["caption_entities"] = ents
    return out


def _check_inline_keyboard(rows: Any) -> list[list[dict[str, Any]]]:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request(
            'can\'t parse inline keyboard button: field "inline_keyboard" must be '
            "an Array of Arrays"
        )
    clean: list[list[dict[str, Any]]] = []
    for row in rows:
        clean_row: list[dict[str, Any]] = []
        for button in row:
            if not isinstance(button, dict):
                raise bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            text = button.get("text")
            if not isinstance(text, str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if not text.strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            actions = [a for a in _BUTTON_ACTIONS if button.get(a) is not None]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are "
                    "unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None:
                if not isinstance(data, str) or not data:
                    raise bad_request("BUTTON_DATA_INVALID")
                if len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and (not isinstance(url, str) or ":" not in url):
                raise bad_request("BUTTON_URL_INVALID")
            clean_row.append({k: v for k, v in button.items() if v is not None})
        clean.append(clean_row)
    return clean


def reply_markup(raw: Any) -> dict[str, Any] | None:
    """Validate a ``reply_markup``; return what the sent Message carries (inline only)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        return {"inline_keyboard": _check_inline_keyboard(raw["inline_keyboard"])}
    if "keyboard" in raw:
        rows = raw["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse reply keyboard markup JSON object")
        for row in rows:
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise bad_request("can't parse keyboard button: Text must be non-empty")
        return None
    if raw.get("remove_keyboard") or raw.get("force_reply"):
        return None
    raise bad_request("can't parse reply keyboard markup JSON object")


def keyboard_effect(raw: Any) -> tuple[bool, dict[str, Any] | None]:
    """How a (validated) ``reply_markup`` changes the user's reply keyboard.

    ``(True, markup)`` shows a keyboard, ``(True, None)`` removes it, ``(False, None)``
    leaves it as it was (inline keyboards, force_reply, no markup).
    """
    if not isinstance(raw, dict):
        return False, None
    if "keyboard" in raw:
        return True, {k: v for k, v in raw.items() if v is not None}
    if raw.get("remove_keyboard"):
        return True, None
    return False, None


def has_callback_button(message: dict[str, Any], data: str) -> bool:
    """Whether a stored message carries an inline button with ``callback_data == data``."""
    markup = message.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if button.get("callback_data") == data:
                return True
    return False


def strip_for_reply(message: dict[str, Any]) -> dict[str, Any]:
    """A message as nested in ``reply_to_message`` (without its own reply)."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}
