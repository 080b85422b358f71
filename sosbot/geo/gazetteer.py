"""The offline gazetteer: well-known places and streets of Ho Chi Minh City, shipped in
``geo/data/gazetteer-hcmc.json`` (provenance in ``geo/data/README.md``).

Places (markets, hospitals, schools, bridges, stations, the airport, intersections,
landmarks) have a point; streets have house-number anchors, and a number between two anchors
is placed by linear interpolation ("số 5 Nguyễn Huệ", "25 Lê Duẩn"). Names are matched on
plain words (:mod:`sosbot.geo.place_words`), so diacritics and the usual abbreviations do not
matter.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sosbot.geo.place_words import Word, house_number, plain_words

log = logging.getLogger(__name__)

# A house number this far beyond a street's last anchor is still placed (at the anchor).
_NUMBER_SLACK = 0.15
# Words that may stand between a house number and the street's name ("25 đường Lê Duẩn").
_BETWEEN_NUMBER_AND_STREET = frozenset({"duong", "pho", "dai", "lo"})
# Words after which a number names a district or ward, not a house.
_UNIT_WORDS = frozenset({"quan", "phuong", "district", "ward", "khu"})


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
        items: list[Place | Street] = [*self.places, *self.streets]
        for item in items:
            for name in item.names:
                key = plain_words(name)
                entries = self._names.setdefault(key, [])
                if item not in entries:
                    entries.append(item)
        self._longest = max((len(k) for k in self._names), default=0)

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

    def find(self, text_words: Sequence[Word]) -> list[GazetteerMatch]:
        """Every place or street named in ``text_words``, longest names first where they
        overlap, in the order they appear."""
        plain = [w.plain for w in text_words]
        found: list[GazetteerMatch] = []
        i = 0
        while i < len(plain):
            for length in range(min(self._longest, len(plain) - i), 0, -1):
                items = self._names.get(tuple(plain[i:i + length]))
                if items:
                    found.extend(self._matches(plain, i, i + length, items))
                    i += length
                    break
            else:
                i += 1
        return found

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
