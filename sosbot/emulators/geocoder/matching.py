"""The emulator's own reading of a query: folded words, residents' abbreviations, names found
as runs of words. Written apart from production's (sosbot.geo.place_words) on purpose: a
mistake there must not be mirrored here."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_WORD_RE = re.compile(r"\d+[a-z]?(?:/\d+[a-z]?)*|[^\W\d_]+\d*|\d+", re.IGNORECASE)
# Abbreviations residents use, as Nominatim's Vietnamese abbreviation list would expand them.
_EXPAND = {
    "q": "quan", "p": "phuong", "f": "phuong", "d": "duong", "h": "huyen", "tp": "thanh pho",
    "bv": "benh vien", "dh": "dai hoc", "cv": "cong vien", "bx": "ben xe", "sb": "san bay",
    "svd": "san van dong", "hcm": "ho chi minh", "tphcm": "thanh pho ho chi minh",
    "sg": "sai gon", "cmt8": "cach mang thang 8",
}
_NGA = {"3": "ba", "4": "tu", "5": "nam", "6": "sau", "7": "bay"}


def fold(text: str) -> str:
    """Lower case, no diacritics, đ → d."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d")


def query_words(text: str) -> list[str]:
    """The plain words of a query, abbreviations expanded ("Q.Tân Phú" → quan tan phu,
    "ngã 4" → nga tu, "q1" → quan 1)."""
    out: list[str] = []
    for raw in _WORD_RE.findall(fold(unicodedata.normalize("NFC", text))):
        glued = re.match(r"^(q|p|f|d|ng)(\d+)$", raw)
        if raw in _EXPAND:
            parts = _EXPAND[raw].split()
        elif glued and glued.group(1) == "ng":
            parts = ["nga", _NGA.get(glued.group(2), glued.group(2))]
        elif glued:
            parts = [_EXPAND.get(glued.group(1), glued.group(1)), glued.group(2)]
        else:
            parts = [raw]
        if out and out[-1] == "nga" and parts[0] in _NGA:
            parts = [_NGA[parts[0]], *parts[1:]]
        out.extend(parts)
    return out


@dataclass(frozen=True)
class Hit:
    """A gazetteer entry found in a query, with where it is and how well it matched."""

    entry: dict[str, Any]
    lat: float
    lon: float
    words: int  # how many words of the query its name covered
    number: int | None = None


def _find(words: Sequence[str], name: Sequence[str]) -> int:
    n = len(name)
    for i in range(len(words) - n + 1):
        if list(words[i:i + n]) == list(name):
            return i
    return -1


def _number_before(words: Sequence[str], at: int) -> int | None:
    j = at - 1
    while j >= 0 and words[j] in ("duong", "pho"):
        j -= 1
    if j < 0 or (j > 0 and words[j - 1] in ("quan", "phuong")):
        return None
    m = re.match(r"^(\d{1,5})", words[j])
    return int(m.group(1)) if m else None


def _on_street(street: dict[str, Any], number: int) -> tuple[float, float] | None:
    anchors = street["anchors"]
    lo, hi = anchors[0]["number"], anchors[-1]["number"]
    slack = max(hi - lo, 1) * 0.15
    if number < lo - slack or number > hi + slack:
        return None
    for a, b in zip(anchors, anchors[1:], strict=False):
        if a["number"] <= number <= b["number"]:
            t = (number - a["number"]) / max(b["number"] - a["number"], 1)
            return a["lat"] + t * (b["lat"] - a["lat"]), a["lon"] + t * (b["lon"] - a["lon"])
    end = anchors[0] if number < lo else anchors[-1]
    return end["lat"], end["lon"]


def search(gazetteer: dict[str, Any], query: str) -> list[Hit]:
    """Every place or street the query names, best (longest name) first."""
    words = query_words(query)
    hits: list[Hit] = []
    for place in gazetteer["places"]:
        best = max((len(n.split()) for n in place["names_plain"]
                    if _find(words, query_words(n)) >= 0), default=0)
        if best:
            hits.append(Hit(place, place["lat"], place["lon"], best))
    for street in gazetteer["streets"]:
        for name in sorted(street["names_plain"], key=len, reverse=True):
            at = _find(words, query_words(name))
            if at < 0:
                continue
            number = _number_before(words, at)
            point = _on_street(street, number) if number is not None else None
            if point is None:  # the street itself: its middle anchor
                mid = street["anchors"][len(street["anchors"]) // 2]
                hits.append(Hit(street, mid["lat"], mid["lon"], len(name.split())))
            else:
                hits.append(Hit(street, point[0], point[1], len(name.split()) + 1, number))
            break
    hits.sort(key=lambda h: -h.words)
    return hits
