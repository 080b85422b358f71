"""Words of a typed place as residents write them: folded, with their abbreviations expanded.

"Q.Tân Phú", "q1", "p.12", "đ. Âu Cơ", "ngã 4 Hàng Xanh", "bv chợ rẫy", "cau sai gon" all
become the same plain words as the names they stand for, each word keeping where it was in
the text (so the place can be quoted back as written).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sosbot.geo.ward_names import fold_diacritics

#: Longest text looked at (characters).
MAX_PLACE_TEXT = 1000

# A word, a house number ("25", "25A", "25/3", "12bis"), or a letter glued to a number
# ("q1", "p12", "f7").
_TOKEN_RE = re.compile(r"\d+[a-z]?(?:/\d+[a-z]?)*|[^\W\d_]+\d*|\d+", re.IGNORECASE)
_GLUED_RE = re.compile(r"^(q|p|f|d|ng|cmt)(\d+)$")

# Abbreviations (plain, lower-case) → the plain words they stand for.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "q": ("quan",),
    "p": ("phuong",),
    "f": ("phuong",),
    "h": ("huyen",),
    "tp": ("thanh", "pho"),
    "tx": ("thi", "xa"),
    "d": ("duong",),
    "bv": ("benh", "vien"),
    "dh": ("dai", "hoc"),
    "svd": ("san", "van", "dong"),
    "cv": ("cong", "vien"),
    "bx": ("ben", "xe"),
    "sb": ("san", "bay"),
    "hcm": ("ho", "chi", "minh"),
    "tphcm": ("thanh", "pho", "ho", "chi", "minh"),
    "sg": ("sai", "gon"),
    "cmt8": ("cach", "mang", "thang", "8"),
}
# "ngã 4" → "ngã tư", and so on: the number of roads meeting.
_NGA_NUMBERS = {"3": "ba", "4": "tu", "5": "nam", "6": "sau", "7": "bay"}


@dataclass(frozen=True, slots=True)
class Word:
    """One plain word and where (character offsets) it came from in the text."""

    plain: str
    start: int
    end: int


def words(text: str) -> list[Word]:
    """The plain words of ``text`` with abbreviations expanded (see the module docstring)."""
    text = unicodedata.normalize("NFC", text[:MAX_PLACE_TEXT])
    out: list[Word] = []
    for m in _TOKEN_RE.finditer(text):
        raw = fold_diacritics(m.group(0))
        start, end = m.start(), m.end()
        glued = _GLUED_RE.match(raw)
        parts: tuple[str, ...]
        if raw in ABBREVIATIONS:
            parts = ABBREVIATIONS[raw]
        elif glued and glued.group(1) == "ng":  # "ng4" → "nga tu"
            parts = ("nga", _NGA_NUMBERS.get(glued.group(2), glued.group(2)))
        elif glued:
            parts = (*ABBREVIATIONS.get(glued.group(1), (glued.group(1),)), glued.group(2))
        else:
            parts = (raw,)
        if out and out[-1].plain == "nga" and parts[0] in _NGA_NUMBERS:
            parts = (_NGA_NUMBERS[parts[0]], *parts[1:])
        out.extend(Word(p, start, end) for p in parts)
    return out


def plain_words(name: str) -> tuple[str, ...]:
    """The plain words of a name (as :func:`words`, without the offsets)."""
    return tuple(w.plain for w in words(name))


def house_number(token: str) -> int | None:
    """The leading number of a house number ("25" → 25, "25a" → 25, "25/3" → 25)."""
    m = re.match(r"^(\d{1,5})(?![\d])", token)
    return int(m.group(1)) if m else None
