"""Cleaning what residents type before it is stored or shown to anyone."""

from __future__ import annotations

import re
import unicodedata

# Invisible characters that hide or reorder text. U+200D (zero-width joiner) stays: emoji
# sequences such as 👨‍🚒 need it.
_INVISIBLE = re.compile("[\u200b\u200c\u200e\u200f\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
# Lone surrogates too (a JSON "\\ud800" escape decodes to one): no UTF-8 can carry them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_user_text(value: str, limit: int) -> str:
    """Drop invisible and control characters, fold runs of spaces, trim to ``limit`` chars."""
    text = unicodedata.normalize("NFC", value)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _BLANK_LINES.sub("\n\n", _SPACES.sub(" ", text)).strip()
    return truncate(text, limit)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def fold(text: str) -> str:
    """Lower case without diacritics or punctuation: "Cháy nổ!" → "chay no"."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split())


_ZALO_MENTION = re.compile(r"\[@[^\]]*\]")


def neutralize_mentions(text: str) -> str:
    """Resident text relayed into a police group must not mention or ping anyone.

    Zalo's ``[@user_id]`` syntax is removed; any other ``@`` becomes a full-width ＠ that no
    platform reads as a mention.
    """
    return _ZALO_MENTION.sub("", text).replace("@", "＠")
