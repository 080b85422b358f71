"""The offline gazetteer: well-known places and streets of Ho Chi Minh City, shipped in
``geo/data/gazetteer-hcmc.json`` (provenance in ``geo/data/README.md``).

Places (markets, hospitals, schools, bridges, stations, the airport, intersections,
landmarks) have a point; streets have house-number anchors, and a number between two anchors
is placed by linear interpolation ("số 5 Nguyễn Huệ", "25 Lê Duẩn"). Names are matched on
plain words (:mod:`sosbot.geo.place_words`), so missing diacritics and the usual
abbreviations do not matter; but a name must be *meant* as a place:

- written with diacritics, its words must carry the name's own ("bọn xã", the gang, is not
  "Bốn Xã"; "cây gỗ", wood, is not "Cây Gõ"); a word typed without diacritics matches any;
- a short name made of everyday Vietnamese syllables (one or two words, not beginning with a
  place word such as "chợ" or "cầu") typed without diacritics needs a place word, a
  preposition or a house number before it ("ở bon xa", "ngã tư bon xa", "25 le duan"), or to
  stand alone between commas: "bon xa hoi den dang dap pha" names no place. A name with a
  word no Vietnamese syllable spells ("Landmark 81", "Bitexco", "RMIT") is strong enough
  alone;
- right after "phường" it is a ward's name ("phường Cầu Kiệu"), not the place.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sosbot.geo.place_words import Word, house_number, plain_words, words
from sosbot.geo.ward_names import has_diacritics, tone_key

log = logging.getLogger(__name__)

# A house number this far beyond a street's last anchor is still placed (at the anchor).
_NUMBER_SLACK = 0.15
# Words that may stand between a house number and the street's name ("25 đường Lê Duẩn").
_BETWEEN_NUMBER_AND_STREET = frozenset({"duong", "pho", "dai", "lo"})
# Words after which a number names a district or ward, not a house.
_UNIT_WORDS = frozenset({"quan", "phuong", "district", "ward", "khu"})
# Plain words that, right before a short name typed without diacritics, make it a place:
# prepositions ("ở", "gần", "trước", "near") and place words ("đường", "ngã tư", "khu").
_PLACE_CONTEXT = frozenset({
    "o", "tai", "gan", "truoc", "sau", "canh", "doi", "dien", "ngay", "trong", "ngoai", "tren",
    "duoi", "phia", "khu", "den", "toi", "qua", "ve", "tu", "at", "near", "in", "on", "to",
    "from", "by", "duong", "pho", "hem", "so", "nha", "nga", "vong", "xoay", "cho", "cau",
    "ben", "ga", "quan", "phuong", "street", "road",
})
# First words that make a short name a place by themselves ("chợ Rẫy", "cầu Kiệu").
_PLACE_FIRST_WORDS = frozenset({"cho", "cau", "nga", "ben", "ga", "so", "san", "cong",
                                "benh", "truong", "vong", "duong", "pho", "hem"})
_STANDALONE_MARKS = ",;:.!?\n()"
# What a place is called before its own name ("Khu du lịch Suối Tiên", "bệnh viện Chợ Rẫy"),
# plain words, longest first where they overlap. A place's name without it ("Suối Tiên")
# is its distinctive name: written after any of these ("khu vui chơi Suối Tiên") it names
# the place too (see :meth:`Gazetteer.find`).
_KIND_WORDS: tuple[tuple[str, ...], ...] = tuple(sorted((
    ("khu", "du", "lich"), ("khu", "vui", "choi"), ("cong", "vien"), ("benh", "vien"),
    ("truong", "dai", "hoc"), ("dai", "hoc"), ("truong",), ("cho",), ("ben", "xe"),
    ("ben", "pha"), ("ga",), ("cau",), ("nga", "tu"), ("nga", "ba"), ("nga", "sau"),
    ("nga", "bay"), ("vong", "xoay"), ("nha", "tho"), ("chua",), ("sieu", "thi"),
    ("trung", "tam", "thuong", "mai"), ("ttm",), ("bao", "tang"), ("nha", "hat"),
    ("san", "van", "dong"), ("san", "bay"), ("cang",), ("khu", "cong", "nghiep"), ("kcn",),
    ("nha", "van", "hoa"), ("cong", "vien", "nuoc"), ("bv",), ("dh",), ("khu",)),
    key=len, reverse=True))
_KIND_LAST_WORDS = frozenset(k[-1] for k in _KIND_WORDS)
# English kinds of place written after the name ("Hoang Van Thu park", "Ben Thanh market"),
# and the Vietnamese kind written before it: the place is looked up in Vietnamese order.
_ENGLISH_KINDS: dict[str, tuple[str, ...]] = {
    "park": ("cong", "vien"), "market": ("cho",), "hospital": ("benh", "vien"),
    "bridge": ("cau",), "pagoda": ("chua",), "church": ("nha", "tho"),
    "cathedral": ("nha", "tho"), "museum": ("bao", "tang"), "stadium": ("san", "van", "dong"),
    "theatre": ("nha", "hat"), "theater": ("nha", "hat"), "university": ("dai", "hoc"),
}
# A distinctive name may not begin with a family name (a street or a school named after a
# person: "Lê Hồng Phong", "Tôn Đức Thắng"), nor hold a word that many names share.
_FAMILY_NAMES = frozenset({"nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu",
                           "vo", "dang", "bui", "do", "ho", "ngo", "duong", "ly", "ton",
                           "dinh", "truong", "mai", "cao", "ha", "lam", "trinh", "ung"})
_SHARED_WORDS = frozenset({"thanh", "pho", "quoc", "te", "gia", "cong", "nghiep", "kinh",
                           "su", "pham", "y", "duoc", "nhan", "dan", "moi", "cu", "market",
                           "hospital", "co", "so", "thpt", "chuyen", "metro", "sai", "gon",
                           "noi", "hoc", "tan", "son", "nhat", "thuong", "chinh", "vuong",
                           "thuat", "truc", "mien"})
# One Vietnamese syllable without diacritics: onset, vowels, final consonant.
_SYLLABLE_RE = re.compile(r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdghklmnpqrstvx])?"
                          r"[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?$")


@dataclass(frozen=True, slots=True)
class Place:
    """A named place with one point and the 2025 ward it lies in."""

    id: str
    kind: str
    name: str
    names: tuple[str, ...]
    lat: float
    lon: float
    ward_code: str
    precision: str  # "exact" (a looked-up coordinate) or "approximate"
    source: str


@dataclass(frozen=True, slots=True)
class Anchor:
    """A house number's position on a street."""

    number: int
    lat: float
    lon: float
    ward_code: str


@dataclass(frozen=True, slots=True)
class Street:
    """A street with house-number anchors in increasing order."""

    id: str
    name: str
    names: tuple[str, ...]
    anchors: tuple[Anchor, ...]
    source: str

    def point_at(self, number: int) -> tuple[float, float] | None:
        """Where house ``number`` is (interpolated between anchors), or None when the number
        is far outside the street's range."""
        first, last = self.anchors[0], self.anchors[-1]
        span = max(last.number - first.number, 1)
        if number < first.number - span * _NUMBER_SLACK or \
                number > last.number + span * _NUMBER_SLACK:
            return None
        if number <= first.number:
            return first.lat, first.lon
        for a, b in zip(self.anchors, self.anchors[1:], strict=False):
            if a.number <= number <= b.number:
                t = (number - a.number) / max(b.number - a.number, 1)
                return a.lat + t * (b.lat - a.lat), a.lon + t * (b.lon - a.lon)
        return last.lat, last.lon

    def samples(self, step_deg: float = 0.0005) -> list[tuple[float, float]]:
        """Points along the street (about every 50 m), for the wards it passes through."""
        out: list[tuple[float, float]] = []
        for a, b in zip(self.anchors, self.anchors[1:], strict=False):
            n = max(1, math.ceil(math.hypot(b.lat - a.lat, b.lon - a.lon) / step_deg))
            out.extend((a.lat + (b.lat - a.lat) * i / n, a.lon + (b.lon - a.lon) * i / n)
                       for i in range(n))
        last = self.anchors[-1]
        out.append((last.lat, last.lon))
        return out


@dataclass(frozen=True, slots=True)
class GazetteerMatch:
    """A place or street named in a text: ``words[start:end]`` spelled it.

    For a street, ``number`` is the house number written before it (None if there was
    none) and ``point`` where that number is; for a place, ``point`` is the place's.
    """

    start: int
    end: int
    place: Place | None = None
    street: Street | None = None
    number: int | None = None
    point: tuple[float, float] | None = None

    @property
    def label(self) -> str:
        if self.place is not None:
            return self.place.name
        assert self.street is not None
        return f"{self.number} {self.street.name}" if self.number is not None \
            else self.street.name


class Gazetteer:
    """Places and streets, looked up by the plain words of their names."""

    def __init__(self, places: Sequence[Place], streets: Sequence[Street]) -> None:
        """Index the names of ``places`` and ``streets``."""
        self.places = tuple(places)
        self.streets = tuple(streets)
        self._names: dict[tuple[str, ...], list[Place | Street]] = {}
        # plain words → the names' own spellings (tone keys), for names with diacritics
        self._spellings: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        items: list[Place | Street] = [*self.places, *self.streets]
        for item in items:
            for name in item.names:
                key = plain_words(name)
                entries = self._names.setdefault(key, [])
                if item not in entries:
                    entries.append(item)
                spelled = _spelling(name, words(name))
                if any(spelled):
                    self._spellings.setdefault(key, set()).add(spelled)
        self._distinct = self._distinctive_names()
        self._longest = max((len(k) for k in (*self._names, *self._distinct)), default=0)

    def _distinctive_names(self) -> dict[tuple[str, ...], list[Place | Street]]:
        """Each place's name without its kind ("Suối Tiên" of "Khu du lịch Suối Tiên"),
        kept only when it has two words or more and belongs to that place alone: no other
        place's or street's name or distinctive name, and no ward's or old district's
        name written the same way would then be read as it."""
        found: dict[tuple[str, ...], set[str]] = {}
        owner: dict[str, Place] = {}
        for place in self.places:
            owner[place.id] = place
            for name in place.names:
                key = plain_words(name)
                kind = next((k for k in _KIND_WORDS if key[:len(k)] == k), None)
                rest = key[len(kind):] if kind is not None else ()
                if len(rest) >= 2 and rest[0] not in _FAMILY_NAMES and not any(
                        w in _SHARED_WORDS or not w.isalpha() for w in rest):
                    found.setdefault(rest, set()).add(place.id)
        return {key: [owner[next(iter(ids))]] for key, ids in found.items()
                if len(ids) == 1 and key not in self._names}

    def reserve(self, names: Iterable[tuple[str, ...]]) -> None:
        """Names (plain words) that are something else's: never read as a place's
        distinctive name (a ward's or an old district's: "Gò Vấp", "Phú Lâm")."""
        for name in names:
            self._distinct.pop(name, None)

    @classmethod
    def from_file(cls, path: Path) -> Gazetteer:
        """Load the JSON file (see ``geo/data/README.md`` for its shape)."""
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        places = [Place(id=p["id"], kind=p["kind"], name=p["name"], names=tuple(p["names"]),
                        lat=float(p["lat"]), lon=float(p["lon"]), ward_code=str(p["ward_code"]),
                        precision=p["precision"], source=p["source"])
                  for p in data["places"]]
        streets = [Street(id=s["id"], name=s["name"], names=tuple(s["names"]),
                          anchors=tuple(Anchor(int(a["number"]), float(a["lat"]),
                                               float(a["lon"]), str(a["ward_code"]))
                                        for a in s["anchors"]),
                          source=s["source"])
                   for s in data["streets"]]
        log.debug("gazetteer %s: %d places, %d streets", path, len(places), len(streets))
        return cls(places, streets)

    def find(self, text_words: Sequence[Word], text: str | None = None) -> list[GazetteerMatch]:
        """Every place or street named in ``text_words``, longest names first where they
        overlap, in the order they appear. With ``text`` (what ``text_words`` were read
        from) a name must also be meant as a place (see the module docstring)."""
        plain = [w.plain for w in text_words]
        found: list[GazetteerMatch] = []
        i = 0
        while i < len(plain):
            for length in range(min(self._longest, len(plain) - i), 0, -1):
                key = tuple(plain[i:i + length])
                items = self._names.get(key)
                if items is None and i > 0 and plain[i - 1] in _KIND_LAST_WORDS:
                    items = self._distinct.get(key)  # "khu vui chơi Suối Tiên"
                if items and (text is None or self._meant(text, text_words, i, i + length)):
                    found.extend(self._matches(plain, i, i + length, items))
                    i += length
                    break
                kind = _ENGLISH_KINDS.get(plain[i + length]) if i + length < len(plain) else None
                places = [p for p in self._names.get(kind + key, []) if isinstance(p, Place)] \
                    if kind is not None else []
                if places:  # "Hoang Van Thu park": công viên Hoàng Văn Thụ
                    found.extend(self._matches(plain, i, i + length + 1, places))
                    i += length + 1
                    break
            else:
                i += 1
        return found

    def _meant(self, text: str, ws: Sequence[Word], start: int, end: int) -> bool:
        """Whether ``ws[start:end]``, which spell a name's plain words, name that place."""
        key = tuple(w.plain for w in ws[start:end])
        if start > 0 and ws[start - 1].plain == "phuong":
            return False  # a ward's name ("phường Cầu Kiệu"), not the bridge
        written = _spelling(text, ws[start:end])
        spellings = self._spellings.get(key)
        if spellings and not any(
                all(not w or w == n for w, n in zip(written, name, strict=True))
                for name in spellings):
            return False  # written with other diacritics: another word
        if len(key) > 2 or key[0] in _PLACE_FIRST_WORDS or any(written) or \
                not all(_SYLLABLE_RE.match(w) for w in key):
            return True
        before = ws[start - 1].plain if start > 0 else None
        if before is not None and (before in _PLACE_CONTEXT or before in _KIND_LAST_WORDS
                                   or house_number(before)):
            return True
        head = text[ws[start - 1].end if start > 0 else 0:ws[start].start]
        tail = text[ws[end - 1].end:ws[end].start if end < len(ws) else len(text)]
        return (start == 0 or any(c in _STANDALONE_MARKS for c in head)) and \
            (end == len(ws) or any(c in _STANDALONE_MARKS for c in tail))

    def _matches(self, plain: Sequence[str], start: int, end: int,
                 items: Sequence[Place | Street]) -> list[GazetteerMatch]:
        out: list[GazetteerMatch] = []
        for item in items:
            if isinstance(item, Place):
                out.append(GazetteerMatch(start, end, place=item, point=(item.lat, item.lon)))
                continue
            number, first = _number_before(plain, start)
            point = item.point_at(number) if number is not None else None
            if point is None:
                number, first = None, start
            out.append(GazetteerMatch(first, end, street=item, number=number, point=point))
        return out


def _spelling(text: str, ws: Sequence[Word]) -> tuple[str, ...]:
    """The words as written, one per plain word (an abbreviation repeats): the tone key of
    a word written with diacritics, "" for one written without (it matches any)."""
    out = []
    for w in ws:
        raw = text[w.start:w.end]
        out.append(tone_key(raw) if has_diacritics(raw) else "")
    return tuple(out)


def _number_before(plain: Sequence[str], start: int) -> tuple[int | None, int]:
    """The house number written right before a street's name, and where it starts."""
    j = start - 1
    while j >= 0 and plain[j] in _BETWEEN_NUMBER_AND_STREET:
        j -= 1
    if j < 0:
        return None, start
    number = house_number(plain[j])
    if number is None or (j > 0 and plain[j - 1] in _UNIT_WORDS):  # "quận 1 Nguyễn Huệ"
        return None, start
    if j > 0 and plain[j - 1] in ("so", "nha"):  # "số 5", "nhà 12"
        j -= 1
    return number, j
