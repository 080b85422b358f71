"""A typed place → a short list of candidate 2025 wards, each saying how it was found.

Offline and always available: the gazetteer (places, and streets with house numbers), old
districts (a district that no longer exists gives the wards it became), ward names old and new
(the offline ward geocoder). An online geocoder's answers (``how == "nominatim"``) are merged
in by the caller when it has them (see :mod:`sosbot.geo.nominatim`).

Nothing here decides for the resident: the candidates are what the bot proposes, in order,
for the resident to confirm or change.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sosbot.geo import CITY_FILE, GAZETTEER_FILE, WARDS_FILE
from sosbot.geo.bare_wards import BareWards
from sosbot.geo.gazetteer import Gazetteer, GazetteerMatch
from sosbot.geo.offline_geocoder import OfflineWardGeocoder
from sosbot.geo.old_districts import DistrictMatch, OldDistricts
from sosbot.geo.place_words import Word, plain_words, words
from sosbot.geo.wards import WardIndex

log = logging.getLogger(__name__)

# A place whose point lies this close to another ward's polygon is proposed as the wards it
# touches, its own first, for the resident to pick: an intersection, a bridge or a market
# on a ward border is not one ward's. Measured on the labelled messages (bench/FINDINGS.md,
# "Border places"): at 80 m half of the wrong first proposals of the held-out set became
# lists holding the right ward, at the cost of a list instead of one place for 15 % of the
# right ones (the same one tap).
BORDER_M = 80.0
# Words before a bare old district's name that make it where someone goes, not where the
# incident is ("xe khách đi Thủ Đức bị lật", "mẹ tôi đi Bình Thạnh").
GOING = frozenset({"di", "sang", "len", "xuong"})
# Words with which a resident takes back the place just named ("ở Bình Lợi Trung, nhầm,
# Bình Quới"; "p Tân Sơn Hòa, à ko, p Tân Sơn"; round seventeen): what follows the last of
# them is read first, and is the place when it names one.
CORRECTIONS = frozenset({("nham",), ("a", "ko"), ("a", "khong")})

How = Literal["gazetteer", "street-number", "district", "ward-name", "nominatim"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One proposed place: its 2025 ward, a point in it, how it was found, and what to call
    it when asking the resident."""

    ward_code: str
    ward_name: str
    lat: float
    lon: float
    how: How
    label: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class PlaceReading:
    """What a text says about a place: the words that named it (as written) and the
    candidates, best first (empty when nothing was recognised)."""

    place_text: str | None
    candidates: tuple[Candidate, ...]


class PlaceReader:
    """Reads typed places offline (see the module docstring)."""

    def __init__(self, index: WardIndex, gazetteer: Gazetteer, *,
                 districts: OldDistricts | None = None,
                 ward_geocoder: OfflineWardGeocoder | None = None,
                 border_m: float = BORDER_M, bare_names: bool = True) -> None:
        """Build from the ward index and the gazetteer (the district table and the ward
        geocoder are built from the index unless given); ``border_m``: see
        :data:`BORDER_M` (0 proposes a place's own ward alone); ``bare_names``: read 2025
        ward names written bare (:mod:`sosbot.geo.bare_wards`)."""
        self.index = index
        self.border_m = border_m
        self.gazetteer = gazetteer
        self.districts = districts or OldDistricts(index)
        self.ward_geocoder = ward_geocoder or OfflineWardGeocoder(index)
        self.bare_wards = BareWards(index) if bare_names else None
        gazetteer.reserve([*(plain_words(w.name) for w in index.wards),
                           *(plain_words(d.name) for d in self.districts.districts)])

    def read(self, text: str, online: Sequence[Candidate] = ()) -> PlaceReading:
        """The candidates for ``text``; ``online`` (an online geocoder's answers for the same
        text) are placed after the gazetteer's own and before the wider guesses, each on a
        ward border followed by the other wards it touches, as the gazetteer's places are.
        A place taken back (:data:`CORRECTIONS`) gives way to the one named after it."""
        corrected = _after_correction(text)
        if corrected is not None:
            reading = self._read(corrected, online)
            if reading.candidates:
                return reading
        return self._read(text, online)

    def _read(self, text: str, online: Sequence[Candidate]) -> PlaceReading:
        online = [near for answer in online for near in self._beside(answer)]
        ws = words(text)
        places = self.gazetteer.find(ws, text)
        named = [m for m in self.districts.find(ws)
                 if not any(p.start < m.end and m.start < p.end for p in places)
                 and not (not m.typed and m.start > 0 and ws[m.start - 1].plain in GOING)]
        district_codes = self._district_codes(named)
        exact: list[Candidate] = []  # a place, or a street and house number
        along: list[Candidate] = []  # the wards a street without a number passes through
        for match in places:
            if match.point is not None and not self._off_district(match, district_codes):
                exact.extend(self._beside(self._at(match)))
            else:
                along.extend(self._along(match))
        if district_codes:
            inside = [c for c in exact if c.ward_code in district_codes]
            exact = inside or exact
            narrowed = [c for c in along if c.ward_code in district_codes]
            along = narrowed or along
        ward, typed = self.ward_geocoder.read(text)
        by_name: list[Candidate] = []
        if ward is not None and ward.ward_code is not None:
            by_name.append(Candidate(ward.ward_code, self.index.by_code(ward.ward_code).name,
                                     ward.lat, ward.lon, "ward-name", ward.label))
            # An old ward divided between several new ones: all of them, the conversion
            # tables' default first (its label "old ward → new ward", each with its own).
            old_name = ward.label.rsplit(" → ", 1)[0]
            for code in ward.also:
                new = self.index.by_code(code)
                lat, lon = self.index.centroid(code)
                by_name.append(Candidate(code, new.name, lat, lon, "ward-name",
                                         f"{old_name} → {new.full_name}"))
        bare = [] if by_name or self.bare_wards is None else self._bare(text, ws, places, named)
        bare += [] if by_name else self._named_after(ws, places, exact)
        if bare:
            codes = {c.ward_code for c in bare}
            inside = [c for c in bare if c.ward_code in district_codes]
            bare = inside or bare
            along = [c for c in along if c.ward_code in codes] or along
        wide: list[Candidate] = []
        if not (exact or by_name or bare or along or online):
            wide = self._district_candidates(named, district_codes)
        if typed and by_name:
            # The resident wrote the ward as a ward ("phường Cầu Kiệu"): a place named in it
            # comes first, then the ward itself, before a place's approximate point in
            # another ward.
            codes = {c.ward_code for c in by_name}
            inside = [c for c in exact if c.ward_code in codes]
            ordered = _unique([*inside, *by_name, *exact, *online, *along, *wide])
        else:
            ordered = _unique([*exact, *by_name, *bare, *online, *along, *wide])
        return PlaceReading(self._place_text(text, ws, places, named, ordered), tuple(ordered))

    def _bare(self, text: str, ws: Sequence[Word], places: Sequence[GazetteerMatch],
              named: Sequence[DistrictMatch]) -> list[Candidate]:
        """The wards named bare where a place stands (:mod:`sosbot.geo.bare_wards`)."""
        assert self.bare_wards is not None
        found = self.bare_wards.find(
            text, ws, [*((m.start, m.end) for m in places), *((m.start, m.end) for m in named)],
            [m.end for m in places])
        out = []
        for match in found:
            for code in match.codes:
                ward = self.index.by_code(code)
                lat, lon = self.index.centroid(code)
                out.append(Candidate(code, ward.name, lat, lon, "ward-name", ward.full_name))
        return out

    def _named_after(self, ws: Sequence[Word], places: Sequence[GazetteerMatch],
                     exact: Sequence[Candidate]) -> list[Candidate]:
        """A landmark whose whole name is a 2025 ward's, typed bare ("đèn đỏ Cầu Kiệu": the
        bridge, or the ward named after it): that ward too, after the landmark's own."""
        if self.bare_wards is None:
            return []
        seen = {c.ward_code for c in exact}
        out = []
        for match in places:
            if match.place is None:
                continue
            for code in self.bare_wards.named_after(ws[match.start:match.end]):
                if code not in seen:
                    seen.add(code)
                    ward = self.index.by_code(code)
                    lat, lon = self.index.centroid(code)
                    out.append(Candidate(code, ward.name, lat, lon, "ward-name",
                                         ward.full_name))
        return out

    def _off_district(self, match: GazetteerMatch, district_codes: set[str]) -> bool:
        """A house number placed outside the old district the resident named ("hẻm 12
        Nguyễn Trãi q5" where number 12 is in quận 1): the street's wards in that district
        are offered instead of the number's point."""
        if match.street is None or match.point is None or not district_codes:
            return False
        found = self.index.ward_for(*match.point).ward
        return found is not None and found.code not in district_codes

    def _at(self, match: GazetteerMatch) -> Candidate:
        assert match.point is not None
        lat, lon = match.point
        if match.place is not None:
            code = match.place.ward_code
            how: How = "gazetteer"
        else:
            found = self.index.ward_for(lat, lon).ward
            assert found is not None, f"gazetteer point outside the city: {match.label}"
            code, how = found.code, "street-number"
        return Candidate(code, self.index.by_code(code).name, lat, lon, how, match.label)

    def _beside(self, place: Candidate) -> list[Candidate]:
        """A place, then the other wards within ``border_m`` of its point, nearest first,
        each with a point inside it next to the place (what the report's place becomes if
        the resident picks that ward)."""
        if self.border_m <= 0:
            return [place]
        return [place, *(Candidate(n.ward.code, n.ward.name, n.lat, n.lon, place.how,
                                   place.label)
                         for n in self.index.wards_near(place.lat, place.lon, self.border_m)
                         if n.ward.code != place.ward_code)]

    def _along(self, match: GazetteerMatch) -> list[Candidate]:
        assert match.street is not None
        seen: dict[str, Candidate] = {}
        for lat, lon in match.street.samples():
            ward = self.index.ward_for(lat, lon).ward
            if ward is not None and ward.code not in seen:
                seen[ward.code] = Candidate(ward.code, ward.name, lat, lon, "gazetteer",
                                            f"{match.street.name}, {ward.full_name}")
        return list(seen.values())

    @staticmethod
    def _district_codes(named: Sequence[DistrictMatch]) -> set[str]:
        typed = [m for m in named if m.typed]
        return {c for m in (typed or named) for c in m.district.ward_codes}

    def _district_candidates(self, named: Sequence[DistrictMatch],
                             codes: set[str]) -> list[Candidate]:
        # A bare district name that is also a 2025 ward's name ("Thủ Đức") most likely
        # means that ward: it goes first.
        first = {self.index.find_by_name(" ".join(plain_words(m.district.name)[-2:]))[0].code
                 for m in named if not m.typed
                 and self.index.find_by_name(" ".join(plain_words(m.district.name)[-2:]))}
        labels = {c: m.district.name for m in named for c in m.district.ward_codes}
        out = []
        for code in sorted(codes, key=lambda c: (c not in first, c)):
            ward = self.index.by_code(code)
            lat, lon = self.index.centroid(code)
            out.append(Candidate(code, ward.name, lat, lon, "district",
                                 f"{ward.full_name} ({labels.get(code, '')} cũ)"))
        return out

    @staticmethod
    def _place_text(text: str, ws: Sequence[Word], places: Sequence[GazetteerMatch],
                    named: Sequence[DistrictMatch],
                    candidates: Sequence[Candidate]) -> str | None:
        spans = [(m.start, m.end) for m in places] + [(m.start, m.end) for m in named]
        if spans:
            start = ws[min(s for s, _ in spans)].start
            end = ws[max(e for _, e in spans) - 1].end
            return text[start:end]
        if candidates:
            return candidates[0].label
        return None


def _after_correction(text: str) -> str | None:
    """The text from the last words that take a place back (:data:`CORRECTIONS`) on, if
    any and if anything follows them (the words stay: "à ko, Tân Định" is a ward named
    after a comma)."""
    ws = words(text)
    found = [(ws[i].start, ws[i + len(c) - 1].end) for i in range(len(ws))
             for c in CORRECTIONS if tuple(w.plain for w in ws[i:i + len(c)]) == c]
    if not found:
        return None
    start, end = max(found)
    return text[start:] if text[end:].strip(" ,.;:!?") else None


def _unique(candidates: Sequence[Candidate]) -> list[Candidate]:
    seen: set[str] = set()
    out = []
    for c in candidates:
        if c.ward_code not in seen:
            seen.add(c.ward_code)
            out.append(c)
    return out


@functools.cache
def packaged_reader() -> PlaceReader:
    """A reader over the data shipped in the package (built once, ~1 s)."""
    index = WardIndex.from_file(WARDS_FILE, CITY_FILE)
    return PlaceReader(index, Gazetteer.from_file(GAZETTEER_FILE))


def understand_place(text: str, reader: PlaceReader | None = None) -> list[Candidate]:
    """The candidate wards for a typed place, best first (offline; see :class:`PlaceReader`)."""
    return list((reader or packaged_reader()).read(text).candidates)
