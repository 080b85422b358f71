"""Old (pre-2025) districts → the 2025 wards that replaced them.

"quận 1", "Q.Tân Phú", "huyện Củ Chi", "TP Thủ Đức", "Dĩ An" name a district that no longer
exists; the wards it became are a short list to choose from. The table is derived from
``vietnamadminunits``' old → new conversion tables (every old ward of the district, including
the parts of old wards that were split), for the three old provinces that now form the city.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sosbot.geo.place_words import Word, plain_words
from sosbot.geo.wards import WardIndex

_PROVINCES = ("thanhphohochiminh", "tinhbinhduong", "tinhbariavungtau")
_NEW_PROVINCE = "thanhphohochiminh"
# Type words written before a district's name, as plain words (abbreviations are expanded
# by place_words: "q" → "quan", "tp" → "thanh pho").
_TYPE_WORDS: tuple[tuple[str, ...], ...] = (
    ("quan",), ("huyen",), ("thanh", "pho"), ("thi", "xa"), ("district",),
)
# Districts merged into Thủ Đức city in 2021, which residents still name ("quận 9", "Q2"):
# written with their type word only, each is the 2025 wards of the old wards it held.
_MERGED_2021: dict[str, tuple[str, tuple[str, ...]]] = {
    "Quận 2": ("thanhphothuduc", (
        "Thảo Điền", "An Phú", "An Khánh", "Bình Trưng Đông", "Bình Trưng Tây", "Cát Lái",
        "Thạnh Mỹ Lợi", "An Lợi Đông", "Thủ Thiêm")),
    "Quận 9": ("thanhphothuduc", (
        "Long Bình", "Long Thạnh Mỹ", "Tân Phú", "Hiệp Phú", "Tăng Nhơn Phú A",
        "Tăng Nhơn Phú B", "Phước Long B", "Phước Long A", "Trường Thạnh", "Long Phước",
        "Long Trường", "Phước Bình", "Phú Hữu")),
}


@dataclass(frozen=True, slots=True)
class District:
    """An old district and the 2025 wards it became (sorted by code)."""

    key: str
    name: str  # "Quận 1", "Quận Tân Phú", "Thành phố Thủ Đức"
    ward_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DistrictMatch:
    """An old district named in ``words[start:end]``; ``typed`` when written with its type
    word ("quận Tân Phú", "Q.1"), not bare ("Tân Phú")."""

    district: District
    start: int
    end: int
    typed: bool


class OldDistricts:
    """Finds old districts in typed text (loads ``vietnamadminunits``' tables once)."""

    def __init__(self, index: WardIndex) -> None:
        """Build the table of district names and their 2025 wards."""
        from vietnamadminunits.converter import converter_2025
        from vietnamadminunits.parser import parser_from_2025, parser_legacy

        new_codes: dict[str, str] = {}
        for table in (parser_from_2025.DICT_PROVINCE_WARD_NO_ACCENTED,
                      parser_from_2025.DICT_PROVINCE_WARD_ACCENTED):
            for key, entry in table.get(_NEW_PROVINCE, {}).items():
                new_codes[key] = str(entry["wardCode"])
        by_old: dict[str, set[str]] = {}  # "province_district_" prefix → new ward codes
        by_ward: dict[str, set[str]] = {}  # "province_district_ward" → new ward codes
        for new_key, olds in converter_2025.DICT_PROVINCE_WARD_NO_DIVIDED[_NEW_PROVINCE].items():
            for old in olds:
                by_old.setdefault(_district_prefix(old), set()).add(new_codes[new_key])
                by_ward.setdefault(old, set()).add(new_codes[new_key])
        for old, news in converter_2025.DICT_PROVINCE_WARD_DIVIDED[_NEW_PROVINCE].items():
            by_old.setdefault(_district_prefix(old), set()).update(
                new_codes[n["newWardKey"]] for n in news)
            by_ward.setdefault(old, set()).update(new_codes[n["newWardKey"]] for n in news)
        self._typed: dict[tuple[str, ...], District] = {}
        self._bare: dict[tuple[str, ...], District] = {}
        for province in _PROVINCES:
            for dkey, entry in parser_legacy.DICT_PROVINCE_DISTRICT[province].items():
                codes = tuple(sorted(c for c in by_old.get(f"{province}_{dkey}_", ())
                                     if c in index))
                if not codes:
                    continue
                district = District(f"{province}_{dkey}", str(entry["district"]), codes)
                short = plain_words(str(entry["districtShort"]))
                bare = short[1:] if short[0] in ("quan", "huyen") else short
                for type_words in _TYPE_WORDS:
                    self._typed.setdefault((*type_words, *bare), district)
                if not bare[0].isdigit():  # "Tân Phú" alone; "1" alone is no district
                    self._bare.setdefault(bare, district)
        legacy_wards = parser_legacy.DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED[_NEW_PROVINCE]
        for name, (dkey, ward_names) in _MERGED_2021.items():
            keys = [f"{_NEW_PROVINCE}_{dkey}_{wkey}"
                    for wkey, entry in legacy_wards[dkey].items()
                    if entry["wardShort"] in ward_names]
            codes = tuple(sorted({c for k in keys for c in by_ward.get(k, ()) if c in index}))
            if codes:
                district = District(f"{_NEW_PROVINCE}_{plain_words(name)[-1]}", name, codes)
                for type_words in _TYPE_WORDS:
                    self._typed.setdefault((*type_words, *plain_words(name)[1:]), district)
        self._longest = max(len(k) for k in (*self._typed, *self._bare))

    @property
    def districts(self) -> list[District]:
        """Every old district known (once each)."""
        return list({d.key: d for d in (*self._typed.values(), *self._bare.values())}.values())

    def find(self, text_words: Sequence[Word]) -> list[DistrictMatch]:
        """Old districts named in ``text_words``, in order; a typed mention is preferred over
        a bare one at the same place."""
        plain = [w.plain for w in text_words]
        out: list[DistrictMatch] = []
        i = 0
        while i < len(plain):
            for length in range(min(self._longest, len(plain) - i), 0, -1):
                key = tuple(plain[i:i + length])
                typed = self._typed.get(key)
                bare = self._bare.get(key)
                if typed is not None or bare is not None:
                    district = typed or bare
                    assert district is not None
                    out.append(DistrictMatch(district, i, i + length, typed is not None))
                    i += length
                    break
            else:
                i += 1
        return out


def _district_prefix(old_key: str) -> str:
    province, district, _ = old_key.split("_", 2)
    return f"{province}_{district}_"
