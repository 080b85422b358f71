"""A platform-neutral OutgoingMessage → the Send API's ``message`` object. Pure.

Messenger takes plain text (no markup to escape), up to 2,000 characters. Choices become
quick replies (at most 13, titles of at most 20 characters) when they fit, otherwise numbered
lines followed by the conversation's ``choice_hint``. A link becomes a button template with
one URL button (its text at most 640 characters; longer texts carry the link as text instead).
Messenger has no keyboard that shares a location or phone number: ``request`` and
``remove_keyboard`` have nothing to render (the router puts the location page in ``link``).
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

from sosbot.core.actions import Choice, OutgoingMessage
from sosbot.core.sanitize import truncate

log = logging.getLogger(__name__)

TEXT_LIMIT = 2000
TEMPLATE_TEXT_LIMIT = 640
MAX_QUICK_REPLIES = 13
TITLE_LIMIT = 20
PAYLOAD_LIMIT = 1000
_TRAILING = " \t/-–—,.;:·|("


def utf16_len(text: str) -> int:
    """Length as Meta counts it (UTF-16 code units: an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def short_title(label: str, limit: int = TITLE_LIMIT) -> str:
    """``label`` fitted to ``limit`` UTF-16 units: cut at a word boundary, with an ellipsis.

    "An ninh trật tự / tội phạm" (26) → "An ninh trật tự…"; a leading emoji goes first:
    "📍 Gửi vị trí của tôi" (21) → "Gửi vị trí của tôi".
    """
    label = " ".join(unicodedata.normalize("NFC", label).split())
    if utf16_len(label) <= limit:
        return label
    head, _, rest = label.partition(" ")
    if rest and not any(ch.isalnum() for ch in head):
        label = rest
        if utf16_len(label) <= limit:
            return label
    cut = label
    while cut and utf16_len(cut) > limit - 1:
        cut = cut[:-1]
    space = cut.rfind(" ")
    if space >= limit // 3:  # a word boundary not too far back
        cut = cut[:space]
    cut = cut.rstrip(_TRAILING)
    return (cut or label[: limit - 1]) + "…"


def flat_choices(message: OutgoingMessage) -> list[Choice]:
    """The choices in the order the conversation numbers them (row by row)."""
    return [choice for row in message.choices for choice in row]


def render_message(message: OutgoingMessage) -> dict[str, Any]:
    """The ``message`` object of a Send API call."""
    choices = flat_choices(message)
    text = unicodedata.normalize("NFC", message.text)
    quick: list[dict[str, str]] = []
    if len(choices) > MAX_QUICK_REPLIES or any(utf16_len(c.value) > PAYLOAD_LIMIT
                                               for c in choices):
        text = numbered(text, choices, message.choice_hint)
    elif choices:
        quick = [{"content_type": "text", "title": short_title(c.label), "payload": c.value}
                 for c in choices]
    out: dict[str, Any]
    if message.link is not None:
        label, url = message.link
        if utf16_len(text) <= TEMPLATE_TEXT_LIMIT and text.strip():
            out = {"attachment": {"type": "template", "payload": {
                "template_type": "button",
                "text": text,
                "buttons": [{"type": "web_url", "url": url, "title": short_title(label)}],
            }}}
        else:  # too long for a template: keep every word, give the link as text
            out = {"text": truncate(f"{text}\n\n{label}: {url}".strip(), TEXT_LIMIT)}
    else:
        out = {"text": truncate(text, TEXT_LIMIT) or "…"}
    if quick:
        out["quick_replies"] = quick
    return out


def numbered(text: str, choices: list[Choice], hint: str) -> str:
    """``text`` followed by "1. label" lines and the hint, for too many choices."""
    lines = [f"{index}. {choice.label}" for index, choice in enumerate(choices, start=1)]
    parts = [text.rstrip(), "\n".join(lines)]
    if hint:
        parts.append(hint)
    return "\n\n".join(part for part in parts if part)
