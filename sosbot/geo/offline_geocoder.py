"""Typed address → ward, without any network: ward names as residents write them.

New (post-2025) ward names with or without diacritics and type words, and old (pre-2025)
wards with their district (or with their type word alone when no other old ward and no new
ward had the name: "P. Bến Nghé"), converted with ``vietnamadminunits``' tables.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sosbot.geo.geocoding import MAX_TEXT_LENGTH, GeocodeResult
from sosbot.geo.ward_matches import Ward
from sosbot.geo.ward_names import fold_diacritics, has_diacritics, tone_key
from sosbot.geo.wards import WardIndex

log = logging.getLogger(__name__)

# Standalone abbreviations (plain, lower-case) → the words they stand for.
_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "p": ("phuong",),
    "f": ("phuong",),
    "x": ("xa",),
    "q": ("quan",),
    "h": ("huyen",),
    "tp": ("thanh", "pho"),
    "tx": ("thi", "xa"),
    "tt": ("thi", "tran"),
    "dk": ("dac", "khu"),
    "kp": ("khu", "pho"),
    "tphcm": ("thanh", "pho", "ho", "chi", "minh"),
    # the ward named as the city is spelled in English ("saigon ward"; round sixteen)
    "saigon": ("sai", "gon"),
}
_LETTER_NUMBER_RE = re.compile(r"^(p|f|q|x)(\d+)$")
# Word sequences naming the unit type right before a ward name.
_TYPE_PREFIXES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("dac", "khu"), "dac_khu"),
    (("phuong",), "phuong"),
    (("xa",), "xa"),
)
# English type words right after a ward name ("Tan Phu Ward").
_TYPE_SUFFIXES: dict[str, str] = {"ward": "phuong", "commune": "xa", "special": "dac_khu"}
# Words that, right before a name, mean it is not a ward: districts, provinces, streets,
# hamlets, bridges, rivers, markets ("Quận Tân Bình", "thị xã Phú Mỹ", "cầu Phú Mỹ").
_NOT_A_WARD_BEFORE: tuple[tuple[str, ...], ...] = (
    ("thi", "xa"),
    ("thi", "tran"),
    ("thanh", "pho"),
    ("khu", "pho"),
    ("quan",),
    ("huyen",),
    ("tinh",),
    ("district",),
    ("duong",),
    ("street",),
    ("hem",),
    ("ngo",),
    ("ngach",),
    ("kiet",),
    ("ap",),
    ("cau",),
    ("song",),
    ("kenh",),
    ("cho",),
)
# Words right before a bare name that make it a place: prepositions and place words ("ở
# Bình Quới", "đoạn qua Lái Thiêu", "bãi biển Long Hải", "to Ben Thanh").
_PLACE_BEFORE = frozenset({"o", "tai", "gan", "qua", "den", "toi", "ve", "tu", "bien",
                           "vung", "in", "at", "to", "near", "from"})
# Kinds of place written before a bare name, of several words or whose last word is no
# place word alone ("cảng cá Phước Hải", "bến phà Cát Lái", "bãi tắm Long Hải"): the name
# after one is the ward or commune where that port, wharf or beach is.
_PLACE_KIND_BEFORE: tuple[tuple[str, ...], ...] = (
    ("cang",), ("cang", "ca"), ("ben", "ca"), ("cho", "ca"), ("bai", "tam"), ("ben", "tau"),
    ("ben", "do"), ("ben", "pha"), ("khu", "du", "lich"),
)
# Names that, bare even after a preposition, are more likely something else: an old
# province ("về Bình Dương"), an everyday phrase ("ở hoà bình": at peace), the airport
# ("ở Tân Sơn Nhất": its terminals lie in Tân Sơn Hoà; the gazetteer knows them).
_NOT_BARE_AFTER_PLACE_WORD = frozenset({("binh", "duong"), ("hoa", "binh"), ("tay", "nam"),
                                        ("cho", "lon"), ("ba", "ria"),
                                        ("tan", "son", "nhat")})
# Words that end a name found after a place word ("ở Bình Quới có nhà sập").
_ENDS_NAME = frozenset({"co", "bi", "dang", "roi", "vua", "thi", "la", "nha", "khong", "is",
                        "and"})
# Words after a bare name that still let it end there ("Tân Phú TP HCM").
_TRAILING_OK = frozenset({"quan", "huyen", "thanh", "tinh", "thi", "hcm", "ho", "sai", "tphcm"})
# Bare names that usually mean the whole city.
_CITY_NAMES = frozenset({"sai gon", "saigon", "ho chi minh"})
_HARD_SEPARATORS = frozenset(",;:()[]{}/\\|-–—")
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_HCMC_PROVINCES = ("thanhphohochiminh", "tinhbinhduong", "tinhbariavungtau")
_NEW_PROVINCE = "thanhphohochiminh"
_OLD_PROVINCE_NAMES = ("Thành phố Hồ Chí Minh", "Tỉnh Bà Rịa - Vũng Tàu", "Tỉnh Bình Dương")
# Keywords of old wards that include the type word ("phuongbennghe", "phuong12", "p12").
_TYPED_OLD_KEYWORD_RE = re.compile(r"^(?:phuong|xa|thitran|ward|[pf]\d)")


@dataclass(frozen=True, slots=True)
class _Token:
    plain: str
    accented: str
    hard_before: bool  # a hard separator (comma, dash, start of text) precedes this token


@dataclass(frozen=True, slots=True)
class _NameMatch:
    wards: tuple[Ward, ...]  # more than one: ambiguous
    strength: int  # 2: with the right type word, 1: bare
    length: int  # number of words in the name


@dataclass(frozen=True, slots=True)
class _OldMatch:
    code: str
    label: str
    prefixed: bool  # the old ward appears with its type word ("Phường Bến Nghé", "P.12")
    also: tuple[str, ...] = ()  # the other new wards a divided old ward went to


def _tokenize(text: str) -> list[_Token]:
    """Words of ``text`` with abbreviations expanded and hard separators recorded."""
    tokens: list[_Token] = []
    hard = True
    lines = re.sub(r"[\r\n]+", ", ", unicodedata.normalize("NFC", text))
    for raw in _TOKEN_RE.findall(lines):
        if not (raw[0].isalnum() or raw[0] == "_"):
            if raw in _HARD_SEPARATORS:
                hard = True
            continue
        plain = fold_diacritics(raw)
        words: list[tuple[str, str]]
        m = _LETTER_NUMBER_RE.match(plain)
        if m:
            words = [(w, w) for w in (*_ABBREVIATIONS[m.group(1)], m.group(2))]
        elif plain in _ABBREVIATIONS:
            words = [(w, w) for w in _ABBREVIATIONS[plain]]
        else:
            words = [(plain, tone_key(raw))]
        for i, (p, a) in enumerate(words):
            tokens.append(_Token(p, a, hard_before=hard and i == 0))
        hard = False
    return tokens


def _plain_words(name: str) -> tuple[str, ...]:
    return tuple(fold_diacritics(w) for w in re.findall(r"\w+", name))


# The type words as written with their diacritics (tone keys).
_TYPE_SPELLINGS = {("phuong",): (tone_key("phường"),), ("xa",): (tone_key("xã"),),
                   ("thi", "tran"): (tone_key("thị"), tone_key("trấn"))}


def _spelled_as(tokens: Sequence[_Token], spelled: Sequence[str]) -> bool:
    """Each token typed without diacritics, or with the name's own (``spelled``: tone
    keys); an abbreviation ("P.", "f") counts as typed without."""
    return len(tokens) == len(spelled) and all(
        t.accented == t.plain or t.accented == s for t, s in zip(tokens, spelled, strict=True))


def _words_at(tokens: Sequence[_Token], end: int, words: tuple[str, ...]) -> bool:
    """True if ``tokens[end - len(words):end]`` spell ``words``."""
    start = end - len(words)
    return start >= 0 and all(tokens[start + k].plain == w for k, w in enumerate(words))


def _after_kind(tokens: Sequence[_Token], start: int) -> bool:
    """True if a kind of place (:data:`_PLACE_KIND_BEFORE`) is written, unbroken, right before
    ``tokens[start]``."""
    return any(_words_at(tokens, start, kind)
               and not any(t.hard_before for t in tokens[start - len(kind) + 1:start])
               for kind in _PLACE_KIND_BEFORE)


class OfflineWardGeocoder:
    """Recognises a ward name in free text, without any network access.

    New (post-2025) ward names are recognised with or without diacritics and type word
    ("Phường", "P.", "Xã", "X.", "Đặc khu", English "Ward"); old (pre-2025) wards need their
    district ("Phường Bến Nghé, Quận 1", "phuong 7 quan 3") and are converted to the new ward with
    ``vietnamadminunits``' conversion tables (an old ward split between several new wards goes to
    the one the tables mark as default, the others in the result's ``also``).  Precedence: an
    old ward written with its type word and district ("Phường Tân Phú, Quận 7" → Tân Mỹ), then
    a new ward with its type word, then an old ward without type word, then a bare new ward
    name. An old ward written with its type word
    but without its district ("P. Bến Nghé", "phuong thao dien") counts as written with it
    when it is unambiguous: no other old ward of the three old provinces and no new ward had
    that name (numbered wards never are).  Among names of equal standing the longest
    wins ("Tân Sơn Nhất" over "Tân Sơn"); two different wards of equal standing → None.

    A bare name (no type word) must stand on its own between commas (or at the start/end), and
    is refused if it is also an old district or an old ward that went elsewhere ("Tân Bình",
    "An Phú"), or "Sài Gòn" (usually the whole city).
    """

    def __init__(self, index: WardIndex) -> None:
        """Build the name tables (loads ``vietnamadminunits``' data, ~0.5 s the first time)."""
        from vietnamadminunits.converter import converter_2025
        from vietnamadminunits.parser import parser_from_2025, parser_legacy

        self._index = index
        self._legacy = parser_legacy
        # name (plain words) → wards
        self._names: dict[tuple[str, ...], list[Ward]] = {}
        for ward in index.wards:
            key = _plain_words(ward.name)
            self._names.setdefault(key, []).append(ward)
        self._max_name_len = max(len(k) for k in self._names)
        self._accented = {
            ward.code: tuple(tone_key(w) for w in re.findall(r"\w+", ward.name))
            for ward in index.wards
        }

        # old "province_district_ward" key → new ward code
        new_codes: dict[str, str] = {}
        for table in (
            parser_from_2025.DICT_PROVINCE_WARD_NO_ACCENTED,
            parser_from_2025.DICT_PROVINCE_WARD_ACCENTED,
        ):
            for key, entry in table.get(_NEW_PROVINCE, {}).items():
                new_codes[key] = str(entry["wardCode"])
        self._old_to_new: dict[str, str] = {}
        # a divided old ward → the other new wards it went to (besides the default)
        self._divided: dict[str, tuple[str, ...]] = {}
        for new_key, olds in converter_2025.DICT_PROVINCE_WARD_NO_DIVIDED[_NEW_PROVINCE].items():
            for old in olds:
                self._old_to_new[old] = new_codes[new_key]
        for old, news in converter_2025.DICT_PROVINCE_WARD_DIVIDED[_NEW_PROVINCE].items():
            default = next(n["newWardKey"] for n in news if n["isDefaultNewWard"])
            self._old_to_new[old] = new_codes[default]
            self._divided[old] = tuple(dict.fromkeys(
                new_codes[n["newWardKey"]] for n in news if n["newWardKey"] != default))
        missing = {c for c in (*self._old_to_new.values(),
                               *(c for cs in self._divided.values() for c in cs))
                   if c not in index}
        if missing:
            raise ValueError(f"conversion tables name wards missing from the index: {missing}")
        self._ambiguous_bare = self._build_ambiguous_bare()
        self._unique_old = self._build_unique_old()
        # other provinces' names (plain words), which make a text not about this city
        self._elsewhere = frozenset(
            _plain_words(p["provinceShort"]) for key, p in self._legacy.DICT_PROVINCE.items()
            if key not in _HCMC_PROVINCES)

    def _build_ambiguous_bare(self) -> frozenset[tuple[str, ...]]:
        """Names that, written bare, may well mean something other than the new ward."""
        out: set[tuple[str, ...]] = {tuple(n.split()) for n in _CITY_NAMES}
        legacy = self._legacy
        for province in _HCMC_PROVINCES:
            for dkey, district in legacy.DICT_PROVINCE_DISTRICT[province].items():
                name = _plain_words(district["districtShort"])
                whole = self._old_to_new.get(f"{province}_{dkey}_")
                if not (whole and [w.code for w in self._names.get(name, [])] == [whole]):
                    out.add(name)
                wards = legacy.DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED.get(province, {})
                for wkey, ward in wards.get(dkey, {}).items():
                    if not isinstance(ward["wardShort"], str):  # Côn Đảo has a NaN entry
                        continue
                    name = _plain_words(ward["wardShort"])
                    new = self._old_to_new.get(f"{province}_{dkey}_{wkey}")
                    if any(w.code != new for w in self._names.get(name, [])):
                        out.add(name)
        return frozenset(out)

    def _build_unique_old(self) -> dict[tuple[str, ...], tuple[str, str, tuple[str, ...], str]]:
        """Old ward names (plain words) that one old ward alone bore in the three old
        provinces and that no new ward bears → (its new ward's code, "old ward, district",
        the name's words with their diacritics as tone keys, its key in the tables)."""
        legacy = self._legacy
        seen: dict[tuple[str, ...], list[tuple[str | None, str, tuple[str, ...], str]]] = {}
        for province in _HCMC_PROVINCES:
            districts = legacy.DICT_PROVINCE_DISTRICT[province]
            for dkey, wards in legacy.DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED.get(
                    province, {}).items():
                for wkey, ward in wards.items():
                    short = ward["wardShort"]
                    if not isinstance(short, str) or not short.strip() or \
                            any(ch.isdigit() for ch in short):
                        continue  # numbered wards ("Phường 12") need their district
                    key = f"{province}_{dkey}_{wkey}"
                    seen.setdefault(_plain_words(short), []).append(
                        (self._old_to_new.get(key),
                         f"{ward['ward']}, {districts[dkey]['district']}",
                         tuple(tone_key(w) for w in re.findall(r"\w+", short)), key))
        return {name: (code, label, spelled, key) for name, [(code, label, spelled, key)]
                in ((n, o) for n, o in seen.items() if len(o) == 1)
                if code is not None and name not in self._names}

    async def geocode(self, text: str) -> GeocodeResult | None:
        """See :meth:`resolve` (this never touches the network)."""
        return self.resolve(text)

    def resolve(self, text: str) -> GeocodeResult | None:
        """The representative point of the ward named in ``text``, or None."""
        return self.read(text)[0]

    def read(self, text: str) -> tuple[GeocodeResult | None, bool]:
        """As :meth:`resolve`, and whether the ward was written with its type word
        ("phường Cầu Kiệu", "P. Bến Nghé", "Tan Phu Ward"): the resident named it as a ward."""
        text = text[:MAX_TEXT_LENGTH]
        tokens = _tokenize(text)
        if not tokens:
            return None, False
        old = self._old_ward(text, tokens)
        new = self._new_ward(tokens, has_diacritics(text))
        if old is not None and old.prefixed:
            return self._old_result(old), True
        if new is not None and new.strength == 2:
            result = self._new_result(new, text)
            return result, result is not None
        if old is not None:
            return self._old_result(old), False
        unique = self._unique_old_ward(text, tokens)
        if unique is not None:
            return self._old_result(unique), unique.prefixed
        if new is not None:
            return self._new_result(new, text), False
        return None, False

    # ----- new ward names -------------------------------------------------------------------

    def _new_ward(self, tokens: Sequence[_Token], accented_text: bool) -> _NameMatch | None:
        matches: list[_NameMatch] = []
        i = 0
        n = len(tokens)
        while i < n:
            found = None
            for length in range(min(self._max_name_len, n - i), 0, -1):
                key = tuple(t.plain for t in tokens[i : i + length])
                wards = self._names.get(key)
                if wards:
                    found = self._judge(tokens, i, length, wards, accented_text)
                    break
            if found is None:
                i += 1
                continue
            if found.strength:
                matches.append(found)
                i += found.length
            else:
                # a name refused does not hide the names overlapping it: in "bãi tắm Long
                # Hải", "tắm Long" (Tam Long, with other diacritics) is refused, and "Long
                # Hải" after "bãi tắm" is read
                i += 1
        if not matches:
            return None
        best_strength = max(m.strength for m in matches)
        top = [m for m in matches if m.strength == best_strength]
        best_length = max(m.length for m in top)
        top = [m for m in top if m.length == best_length]
        chosen = {w.code: w for m in top for w in m.wards}
        return _NameMatch(tuple(chosen.values()), best_strength, best_length)

    def _judge(
        self,
        tokens: Sequence[_Token],
        start: int,
        length: int,
        wards: list[Ward],
        accented_text: bool,
    ) -> _NameMatch:
        """Decide how much a name found at ``tokens[start:start + length]`` counts (0: not)."""
        end = start + length
        if accented_text and len(wards) > 1:
            spelled = tuple(t.accented for t in tokens[start:end])
            exact = [w for w in wards if self._accented[w.code] == spelled]
            wards = exact or wards
        type_start = start
        typed: str | None = None
        if not tokens[start].hard_before:  # words before a comma say nothing about the name
            for words in _NOT_A_WARD_BEFORE:
                if _words_at(tokens, start, words):
                    return _NameMatch(tuple(wards), 0, length)
            for words, unit_type in _TYPE_PREFIXES:
                if _words_at(tokens, start, words):
                    typed, type_start = unit_type, start - len(words)
                    break
        if typed is None and end < len(tokens) and not tokens[end].hard_before:
            typed = _TYPE_SUFFIXES.get(tokens[end].plain)
        if typed is not None and all(w.unit_type == typed for w in wards):
            return _NameMatch(tuple(wards), 2, length)
        key = tuple(t.plain for t in tokens[start:end])
        if typed in ("phuong", "xa") and len(wards) == 1 and wards[0].unit_type in (
                "phuong", "xa") and key not in self._ambiguous_bare:
            # "p. Bình Hưng" for the commune, "xã Tân Định" for the ward: residents do not
            # tell a ward from a commune; the name is one unit's and no other place's.
            return _NameMatch(tuple(wards), 2, length)
        # bare (or with the wrong type word): must stand on its own, and not be ambiguous
        standalone_start = tokens[type_start].hard_before
        standalone_end = (
            end == len(tokens) or tokens[end].hard_before or tokens[end].plain in _TRAILING_OK
        )
        if key not in self._ambiguous_bare and (
                (standalone_start and standalone_end)
                or ((standalone_end or tokens[end].plain in _ENDS_NAME)
                    and self._after_place_word(tokens, start, wards))):
            return _NameMatch(tuple(wards), 1, length)
        return _NameMatch(tuple(wards), 0, length)

    def _after_place_word(self, tokens: Sequence[_Token], start: int,
                          wards: Sequence[Ward]) -> bool:
        """A bare name right after a preposition or a place word ("ở Bình Quới", "bãi biển
        Long Hải"), spelled with the ward's own diacritics if written with any, of two words
        or more and not an everyday phrase: a ward meant as a place."""
        key = tuple(t.plain for t in tokens[start:start + len(self._accented[wards[0].code])])
        return (start > 0 and not tokens[start].hard_before
                and (tokens[start - 1].plain in _PLACE_BEFORE or _after_kind(tokens, start))
                and len(wards) == 1
                and len(key) >= 2 and key not in _NOT_BARE_AFTER_PLACE_WORD
                and _spelled_as(tokens[start:start + len(key)], self._accented[wards[0].code]))

    def _new_result(self, match: _NameMatch, text: str) -> GeocodeResult | None:
        if len(match.wards) != 1:
            log.debug("ambiguous ward name in %r: %s", text, [w.full_name for w in match.wards])
            return None
        ward = match.wards[0]
        lat, lon = self._index.centroid(ward.code)
        return GeocodeResult(lat, lon, ward.code, "ward_name", ward.full_name)

    # ----- old wards ------------------------------------------------------------------------

    def _old_ward(self, text: str, tokens: Sequence[_Token]) -> _OldMatch | None:
        legacy = self._legacy
        # As written, then as if in each of the three old provinces that now form the city
        # ("Phường 5, TP Vũng Tàu" only parses with its province).
        for candidate in (text, *(f"{text}, {province}" for province in _OLD_PROVINCE_NAMES)):
            unit = legacy.parse_address_legacy(candidate, keep_street=False, level=3)
            province, district, ward = unit.province_key, unit.district_key, unit.ward_key
            if province not in _HCMC_PROVINCES or not district:
                continue
            key = f"{province}_{district}_{ward or ''}"
            code = self._old_to_new.get(key)
            if code is None:
                continue
            new = self._index.by_code(code)
            old_name = f"{unit.ward}, {unit.district}" if ward else str(unit.district)
            joined = "".join(t.plain for t in tokens)
            prefixed = ward is not None and any(
                _TYPED_OLD_KEYWORD_RE.match(kw) and kw in joined
                for kw in self._old_keywords(province, district, ward)
            )
            return _OldMatch(code, f"{old_name} → {new.full_name}", prefixed,
                             self._divided.get(key, ()))
        return None

    def _unique_old_ward(self, text: str, tokens: Sequence[_Token]) -> _OldMatch | None:
        """An old ward written with its type word but not its district ("P. Bến Nghé",
        "phuong da kao"), or bare right after a preposition or a place word, as a new ward
        may be ("in Thao Dien", "ở Bến Nghé"; two words or more, ending there), when no other
        old ward and no new ward had that name, and the text names no province outside the
        city."""
        plain = [t.plain for t in tokens]
        if any(tuple(plain[i:i + n]) in self._elsewhere
               for n in (1, 2, 3) for i in range(len(plain))):
            return None
        for i in range(len(tokens)):
            typed = next((words for words in (("phuong",), ("xa",), ("thi", "tran"))
                          if _words_at(tokens, i, words)), None)
            bare = typed is None and i > 0 and not tokens[i].hard_before and (
                tokens[i - 1].plain in _PLACE_BEFORE or _after_kind(tokens, i))
            if not bare and (typed is None or not _spelled_as(tokens[i - len(typed):i],
                                                              _TYPE_SPELLINGS[typed])):
                continue  # no type word, or another word ("ký túc xá" is no "xã")
            for length in range(min(4, len(tokens) - i), 1 if bare else 0, -1):
                end = i + length
                if bare and not (end == len(tokens) or tokens[end].hard_before
                                 or tokens[end].plain in _ENDS_NAME | _TRAILING_OK):
                    continue  # the name goes on: not this one
                found = self._unique_old.get(tuple(t.plain for t in tokens[i:i + length]))
                if found is not None and _spelled_as(tokens[i:i + length], found[2]):
                    code, old_name, _, key = found
                    return _OldMatch(code, f"{old_name} → {self._index.by_code(code).full_name}",
                                     prefixed=not bare, also=self._divided.get(key, ()))
        return None

    def _old_keywords(self, province: str, district: str, ward: str) -> list[str]:
        legacy = self._legacy
        for table in (
            legacy.DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED,
            legacy.DICT_PROVINCE_DISTRICT_WARD_ACCENTED,
            legacy.DICT_PROVINCE_DISTRICT_WARD_SHORT_ACCENTED,
        ):
            entry = (table.get(province) or {}).get(district, {}).get(ward)
            if entry:
                return cast(list[str], entry["wardKeywords"])
        return []

    def _old_result(self, match: _OldMatch) -> GeocodeResult:
        lat, lon = self._index.centroid(match.code)
        return GeocodeResult(lat, lon, match.code, "old_ward", match.label, match.also)
