"""2025 ward names written bare, without "phường"/"p"/"xã", where a place stands.

Residents name their ward as they say it: "chay nha o tan dinh", "gan cho, ben thanh",
"cau thu thiem do xuong, an khanh", "duong pham the hien chanh hung". A 2025 ward's name
found in a message counts as that ward when it stands where a place stands:

- right after a place preposition ("ở", "tại", "gần", "cạnh", "trước", "khu", "đoạn",
  "ngay"…), or after a ward's type word the ward geocoder did not take ("p Phước Thành", a
  commune; round fourteen);
- right after a comma, a full stop or another clause mark ("…, an khanh");
- right after a street or a landmark the gazetteer knows ("đường Phạm Thế Hiển Chánh
  Hưng"), or after a kind of place it does not know ("cầu Bình Hưng", "vòng xoay An Lạc",
  "hẻm Tam Bình", "kcx Tân Thuận", "phà Bình Khánh", "nhà trọ Vườn Lài"): a landmark named
  after the ward it is in; after a business, what it makes between or not ("xưởng gỗ Lái
  Thiêu", "dãy trọ công nhân Thuận Giao"); after a road's number ("tỉnh lộ 15 Nhuận
  Đức") or a neighbourhood's ("khu phố 3 Tân Hải"); after a street, an alley or a crossing
  and up to four words of its name ("đường Phạm Thế Hiển Bình Đông"; round seventeen); after
  a school with its level, a restaurant, a supermarket, a factory, a beach, a substation, a
  junction, a drinking place, an oven, a corner ("trường thpt Hạnh Thông", "nhà hàng Tân
  Thuận", "lò bánh mì Xóm Chiếu", "góc Tô Ký Trung Mỹ Tây"; round eighteen); not
  after a canal ("kênh Nhiêu Lộc" runs through many wards); a landmark the
  gazetteer knows whose whole name is a ward's ("Cầu Kiệu") gives that ward too (round
  fifteen, :meth:`BareWards.named_after`);

thus not after a person word ("chị Minh Phụng", "ông Tân Hưng": a person), nor as part
of a longer name (another ward's, a gazetteer place's or street's, an old district's:
those are read by their own rules; a bare old district name gives that district's wards).
Written with diacritics, its words must carry the ward's own. A name that is also an
everyday phrase or the whole city ("hòa bình", "Sài Gòn", "Chợ Lớn") is never taken bare.

A name shared by two wards ("Thanh An", "Thạnh An" typed bare) gives both: the resident
picks. Before a bare old district's name, "đi", "sang", "lên", "xuống" make it a
destination, not the place (:data:`sosbot.geo.place_understanding.GOING`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sosbot.geo.place_words import Word, plain_words
from sosbot.geo.ward_names import has_diacritics, tone_key
from sosbot.geo.wards import WardIndex

# Words right before a bare name that make it a place ("ở Tân Định", "đoạn Bình Triệu",
# "ngay Hiệp Bình": right at).
PREPOSITIONS = frozenset({"o", "tai", "gan", "canh", "truoc", "khu", "kv", "doan", "vung",
                          "phia", "ngoai", "trong", "quanh", "doc", "ngay", "at", "in",
                          "near",
                          "the"})  # "at the tan khanh market" (round eighteen)
# A ward's or a commune's type word ("p" and "f" are read "phuong"): reached only where the
# ward geocoder refused the name after it — the type word not the unit's ("p Phước Thành",
# a commune; "xã Tân Thành", a ward) and the name an old ward's of another new ward too.
# The 2025 unit is meant: residents do not tell a ward from a commune.
TYPE_WORDS = frozenset({"phuong", "xa"})
# Kinds of place whose name may be a ward's ("cầu Bình Hưng", "vòng xoay An Lạc", "hẻm Tam
# Bình"): the last word of the kind, as plain words. Not "chợ": a market named after a ward
# may lie in another ("chợ Tân Mỹ" is in Tân Thuận). Round eighteen: a school with its
# level ("trường thpt Hạnh Thông", "tiểu học Vĩnh Lộc"), "nhà hàng", "siêu thị", "nhà
# máy", "bãi biển", "trạm biến áp", "nút giao", a neighbourhood without its number ("khu
# phố Tân Hiệp").
KIND_WORDS = frozenset({"cau", "xoay", "tu", "ba", "nam", "sau", "bay", "duong", "kcx",
                        "kcn", "cang", "ben", "ga", "cu", "ktx", "vien", "hoc", "truong",
                        "hem", "vuot", "dao", "pha", "tro", "thpt", "thcs", "hang", "thi",
                        "may", "bien", "ap", "giao", "pho",
                        "tram",  # a bus stop ("trạm Vĩnh Hội"; round nineteen)
                        "xe"})  # a coach station ("bến xe Phú Lâm"; round twenty)
# A business named after its ward, what it makes or sells written between or not ("xưởng
# gỗ Lái Thiêu", "kho sơn Đông Hưng Thuận", "tiệm net Bình Tây", "chung cư cũ Bàn Cờ"):
# the kind, then at most two words (round fifteen: "tiệm bánh mì Xóm Chiếu", "dãy trọ
# công nhân Thuận Giao"), then the name; a kiln or an oven, a drinking place (round
# eighteen: "lò bánh mì Xóm Chiếu", "quán nhậu Tân Khánh").
BUSINESS_WORDS = frozenset({"xuong", "kho", "tiem", "cu", "tro", "lo", "nhau"})
# A street, an alley or a crossing whose name is not the ward's, written before the ward
# ("đường Phạm Thế Hiển Bình Đông", "hẻm 45 Bến Vân Đồn Xóm Chiếu", "ngã tư Phan Đăng Lưu
# Đức Nhuận"; round seventeen): the kind, then at most ``STREET_NAME_WORDS`` words, then
# the name. The gazetteer knows few streets; a street's name is its own words.
STREET_WORDS = frozenset({"duong", "hem", "tu", "ba",
                          "goc"})  # a corner ("góc Tô Ký Trung Mỹ Tây"; round eighteen)
STREET_NAME_WORDS = 4
# A road's number before the name ("tỉnh lộ 15 Nhuận Đức", "đường số 7 An Lạc", "hẻm 12
# Tam Bình"): the word before the number.
ROAD_WORDS = frozenset({"lo", "so", "ql", "tl", "dt", "hem", "kiet", "ngo", "duong"})
# A road's number joined to its word ("ql13 Thuận Giao", "tl8", "dt743"; round nineteen).
_ROAD_NUMBER_RE = re.compile(r"(?:ql|tl|dt)\d+[a-z]?")
# A numbered neighbourhood before the name ("khu phố 3 Tân Hải", "ấp 2 Bình Lợi", "tổ 5",
# "kp 4"; round seventeen): the word before the number.
NEIGHBOURHOOD_WORDS = frozenset({"pho", "ap", "to", "kp"})
# A kind word is one only after these (a bare "tu", "ba", "nam" is a number or a person
# otherwise: "ngã tư", "ngã ba"; "chung cư", "công viên", "cầu vượt").
_KIND_NEEDS: dict[str, tuple[str, ...]] = {
    "tu": ("nga",), "ba": ("nga",), "nam": ("nga",), "sau": ("nga",), "bay": ("nga",),
    "cu": ("chung",), "vien": ("benh", "cong"), "hoc": ("dai", "tieu"), "xoay": ("vong",),
    "vuot": ("cau",), "hang": ("nha",), "thi": ("sieu",), "may": ("nha",), "bien": ("bai",),
    "ap": ("bien",), "giao": ("nut",), "pho": ("khu",), "nhau": ("quan",),
    "xe": ("ben",)}
# Names never taken bare: everyday phrases, the whole city, an old province.
NEVER_BARE = frozenset({("hoa", "binh"), ("sai", "gon"), ("cho", "lon"), ("tay", "nam"),
                        ("binh", "duong"), ("ba", "ria"), ("tan", "son", "nhat")})
_CLAUSE_MARKS = ",;.:!?\n()-–"


@dataclass(frozen=True, slots=True)
class BareWard:
    """A ward name found bare in ``words[start:end]``; ``codes``: its wards, best first."""

    start: int
    end: int
    codes: tuple[str, ...]


class BareWards:
    """Finds 2025 ward names written bare where a place stands (see the module docstring)."""

    def __init__(self, index: WardIndex) -> None:
        """Build the table of the 2025 wards' names."""
        self._codes: dict[tuple[str, ...], list[str]] = {}
        # a name → its 2025 wards' own spellings (tone keys)
        self._spellings: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for ward in index.wards:
            key = plain_words(ward.name)
            self._codes.setdefault(key, []).append(ward.code)
            self._spellings.setdefault(key, []).append(
                tuple(tone_key(w) for w in ward.name.split()))
        for key in NEVER_BARE:  # found, so that no shorter name is read in it, and refused
            self._codes[key] = []
        self._longest = max(len(k) for k in self._codes)

    def find(self, text: str, ws: Sequence[Word],
             taken: Iterable[tuple[int, int]] = (),
             after: Iterable[int] = ()) -> list[BareWard]:
        """Ward names written bare in ``ws`` (the words of ``text``) where a place stands;
        ``taken``: spans (word offsets) read as something else (places, streets, old
        districts); ``after``: where a street or place the gazetteer knows ends."""
        taken = list(taken)
        after = set(after)
        plain = [w.plain for w in ws]
        out: list[BareWard] = []
        i = 0
        while i < len(plain):
            for length in range(min(self._longest, len(plain) - i), 1, -1):
                key = tuple(plain[i:i + length])
                codes = self._codes.get(key)
                if codes is None:
                    continue
                end = i + length
                if codes and not any(s < end and i < e for s, e in taken) and \
                        self._spelled(text, ws[i:end], self._spellings[key]) and \
                        self._stands_as_place(text, ws, i, after):
                    out.append(BareWard(i, end, tuple(codes)))
                    i = end - 1
                break  # the longest name here decides: its words are no shorter name
            i += 1
        return out

    def named_after(self, ws: Sequence[Word]) -> tuple[str, ...]:
        """The wards whose whole name is the words ``ws`` (a landmark the gazetteer knows:
        "Cầu Kiệu" is the bridge and the ward named after it; "Chợ Bến Thành" is no
        ward's name), none for a name never taken bare ("Sài Gòn")."""
        return tuple(self._codes.get(tuple(w.plain for w in ws), ()))

    @staticmethod
    def _spelled(text: str, ws: Sequence[Word],
                 spellings: Sequence[tuple[str, ...]]) -> bool:
        """Each word typed without diacritics or with one of the wards' own."""
        written = [text[w.start:w.end] for w in ws]
        return any(all(not has_diacritics(w) or tone_key(w) == s
                       for w, s in zip(written, spelled, strict=False))
                   for spelled in spellings)

    @staticmethod
    def _stands_as_place(text: str, ws: Sequence[Word], i: int, after: set[int]) -> bool:
        if i == 0:
            return False
        prev = ws[i - 1].plain
        between = text[ws[i - 1].end:ws[i].start]
        if any(c in _CLAUSE_MARKS for c in between):
            return True
        if prev in PREPOSITIONS or prev in TYPE_WORDS or i in after:
            return True
        if prev.isdigit():
            return i > 1 and ws[i - 2].plain in ROAD_WORDS | NEIGHBOURHOOD_WORDS
        if _ROAD_NUMBER_RE.fullmatch(prev):
            return True
        if _kind_at(ws, i - 1, KIND_WORDS):
            return True
        return _kind_before(text, ws, i, BUSINESS_WORDS, 2) or \
            _kind_before(text, ws, i, STREET_WORDS, STREET_NAME_WORDS)


def _kind_before(text: str, ws: Sequence[Word], i: int, kinds: frozenset[str],
                 most: int) -> bool:
    """One of ``kinds`` stands before ``ws[i]`` with at most ``most`` words between, in the
    same clause."""
    return any(i > k and _kind_at(ws, i - 1 - k, kinds) and
               not any(c in _CLAUSE_MARKS for c in text[ws[i - 1 - k].end:ws[i - 1].start])
               for k in range(most + 1))


def _kind_at(ws: Sequence[Word], j: int, kinds: frozenset[str]) -> bool:
    """``ws[j]`` is one of ``kinds``, with the word it needs before it if any."""
    need = _KIND_NEEDS.get(ws[j].plain)
    return ws[j].plain in kinds and (need is None or (j > 0 and ws[j - 1].plain in need))
