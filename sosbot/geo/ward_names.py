"""Ward names as residents type them: with or without diacritics, tone marks anywhere."""

from __future__ import annotations

import re
import unicodedata

_TONE_MARKS = {"\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5"}
_WORD_RE = re.compile(r"\w+")


def fold_diacritics(text: str) -> str:
    """Lower-case ``text`` and strip Vietnamese diacritics (``"Đặc khu"`` → ``"dac khu"``)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")


def tone_key(word: str) -> str:
    """An accent-preserving key for one word, insensitive to where the tone mark is placed.

    ``"hoà"`` and ``"hòa"`` (old and new tone placement) give the same key; ``"thanh"`` and
    ``"thạnh"`` do not.
    """
    tones = ""
    kept: list[str] = []
    for ch in unicodedata.normalize("NFD", word.lower()):
        tone = _TONE_MARKS.get(ch)
        if tone is None:
            kept.append(ch)
        else:
            tones += tone
    return unicodedata.normalize("NFC", "".join(kept)) + tones


def name_keys(text: str) -> tuple[str, str]:
    """``(plain, accented)`` keys of a name: words folded without / with their diacritics."""
    words = _WORD_RE.findall(unicodedata.normalize("NFC", text))
    plain = " ".join(fold_diacritics(w) for w in words)
    accented = " ".join(tone_key(w) for w in words)
    return plain, accented


def has_diacritics(text: str) -> bool:
    """True if ``text`` contains any Vietnamese diacritic (or đ)."""
    lowered = unicodedata.normalize("NFC", text.lower())
    return fold_diacritics(lowered) != lowered


NAME_PREFIX_RE = re.compile(
    r"^\s*(?:phường|phuong|xã|xa|đặc\s+khu|dac\s+khu|ward|commune|p|x|đk|dk)(?:\s*\.\s*|\s+)",
    re.IGNORECASE,
)
NAME_SUFFIX_RE = re.compile(
    r"\s+(?:ward|commune|special\s+administrative\s+region)\s*$", re.IGNORECASE
)
