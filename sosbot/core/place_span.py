"""The words of a resident's message that most likely name the place (:func:`place_span`).

Split from :mod:`sosbot.core.understanding`, which reads the category: a heuristic for what
to look up and to quote back ("Có cháy ở chợ Tân Phú, cứu với!" → "chợ Tân Phú"). Words are
matched tone-aware, as the category words are: written with diacritics a word must carry
them ("quán", a shop, is not "quận"); written without, it matches what it folds to.
"""

from __future__ import annotations

__all__ = ["place_span"]

import re
import unicodedata

from sosbot.core.sanitize import fold

_WORD_RE = re.compile(r"\w+", re.UNICODE)

# Words after which a place follows ("ở chợ Bến Thành", "gần cầu Sài Gòn").
_BEFORE_PLACE = frozenset({
    "ở", "o", "tại", "gần", "gan", "trước", "truoc", "đối", "doi", "cạnh", "canh", "ngay",
    "khu", "kv", "at", "near", "on", "in", "trên", "tren", "ngoài", "ngoai", "đầu", "dau",
    "cuối", "cuoi", "phía",
})
_NOT_BEFORE_PLACE = {"tai": {"nan", "nạn"}, "canh": {"sat", "sát"}, "doi": {"no", "nợ"},
                     "dau": {"bung", "bụng", "dau", "đầu", "lắm"},
                     "khu": set(), "on": set(), "in": set(), "ngay": set()}
# Words that begin a place themselves ("chợ Bến Thành", "số 5 Nguyễn Huệ", "q1").
_PLACE_NOUNS = frozenset({
    "số", "so", "hẻm", "hem", "kiệt", "ngõ", "ngo", "đường", "duong", "đ", "d", "phố", "chợ",
    "cho", "cầu", "cau", "ngã", "nga", "vòng", "bùng", "quận", "quan", "q", "phường", "phuong",
    "p", "f", "tp", "thành", "huyện", "huyen", "xã", "bệnh", "benh", "bv", "trường", "truong",
    "sân", "san", "bến", "ben", "ga", "công", "nhà", "chùa", "chua", "chung", "cc", "tòa",
    "toà", "toa", "siêu", "sieu", "kp", "kcn", "cây", "cay", "trạm", "tram", "ủy", "ubnd",
    "hầm", "ham", "cảng", "cang", "đại", "dh", "street", "road", "market", "bridge",
    "district", "ward", "airport", "hospital", "school", "sài", "sai", "sg", "hcm", "tphcm",
    "landmark", "bitexco", "vincom", "aeon", "lotte", "coop", "bigc", "emart", "circle",
})
# Words for a gang or a bunch of people, before a slang "xã" ("bọn xã", "tụi xã").
_GANG_WORDS = frozenset({"bon", "tui", "dam", "may", "lu", "thang"})
_GLUED_PLACE = re.compile(r"^(q|p|f|d|đ)\d+$")
# Words after which "cho" is the verb, not the market ("cho tôi", "cho hỏi").
_CHO_VERB_NEXT = frozenset({"toi", "tôi", "minh", "mình", "em", "anh", "chi", "chị", "hoi",
                            "hỏi", "biet", "biết", "xin", "nguoi", "người", "ba", "me", "con",
                            "no", "nó", "ho", "họ", "tui", "ai"})
# Words that end a place ("... chợ Tân Phú cứu với").
_AFTER_PLACE = frozenset({
    "cứu", "cuu", "giúp", "giup", "nhanh", "đang", "dang", "có", "co", "bị", "bi", "rồi",
    "roi", "lắm", "lam", "quá", "qua", "help", "please", "với", "voi", "mọi", "moi", "ơi",
    "oi", "ai", "đi", "kìa", "kia", "khẩn", "khan", "gấp", "gap", "thì", "thi", "mà", "ma",
    "nè", "ne", "luôn", "luon", "vừa", "vua", "xảy", "xay", "là", "la", "này", "nay",
    "hiện", "hien", "không", "khong", "được", "duoc", "người", "nguoi", "xe", "now", "is",
    "are", "has", "there", "some", "a", "the", "and", "và", "va", "đó", "do", "nhé", "nhe",
    "ạ", "mấy", "may", "anh", "chị", "em", "tôi", "toi", "mình", "minh",
    "hai", "ba", "bốn", "nhiều", "nhieu", "lúc", "luc", "sáng", "tối", "chiều", "trưa",
    "cháy", "chay", "nổ", "cướp", "cuop", "đánh", "danh", "đâm", "tai", "gây", "gay",
})
# After a comma a place goes on only with these ("số 5 Nguyễn Huệ, quận 1").
_PLACE_GOES_ON = frozenset({"quận", "quan", "q", "phường", "phuong", "p", "f", "tp", "thành",
                            "sài", "sai", "sg", "hcm", "tphcm", "huyện", "huyen", "xã", "xa",
                            "gần", "gan", "đường", "duong", "d", "đ", "ngã", "nga", "hẻm",
                            "hem", "district", "ward", "city", "thủ", "thu", "gò", "go",
                            "bình", "binh", "tân", "tan", "phú", "phu", "nhà", "nha"})
_MAX_PLACE_WORDS = 12
# "đường" after these is the road in general ("chắn đường", "nằm đường"), not a street's name.
_ROAD_IN_GENERAL_AFTER = frozenset({"chan", "nam", "giua", "ra", "qua", "bang", "sang", "le",
                                    "mat", "lan", "tac", "ket", "het", "di", "ve", "ben"})
# A bare "co" is "có" (there is) before these, not the end of a name such as "Âu Cơ".
_CO_THEN = frozenset({"nguoi", "thang", "vu", "tieng", "khoi", "mot", "con", "dua", "bon",
                      "nhom", "xe", "ai", "chay", "dam", "cuop", "lua", "may", "2", "3"})


def _is(word: str, plain: str, vocabulary: frozenset[str]) -> bool:
    """``word`` is in ``vocabulary`` as written, or typed without diacritics and folding to
    one of it: tone-aware, as the category words ("quán", a shop, is not "quận")."""
    return word in vocabulary or (word == plain and plain in vocabulary)


def _starts_place(words: list[str], i: int) -> int | None:
    """Where a place begins if one begins at word ``i`` (after a preposition: the next
    word), else None."""
    w, plain = words[i], fold(words[i])
    nxt = fold(words[i + 1]) if i + 1 < len(words) else ""
    before = fold(words[i - 1]) if i > 0 else ""
    if _is(w, plain, _BEFORE_PLACE):
        if nxt and nxt not in _NOT_BEFORE_PLACE.get(plain, set()) and plain not in (
                "khu", "ngay") and nxt not in _AFTER_PLACE - _PLACE_NOUNS \
                and (plain != "doi" or nxt == "dien"):  # "đối diện", not "đòi" (demand)
            return i + 2 if plain == "doi" else i + 1
    if plain == "xa" and (nxt == "hoi" or before in _GANG_WORDS):
        return None  # "xã hội đen" (gangsters), "bọn xã" (those guys): slang, no commune
    if _is(w, plain, _PLACE_NOUNS) or _GLUED_PLACE.match(plain):
        if plain == "duong" and i > 0 and fold(words[i - 1]) in _ROAD_IN_GENERAL_AFTER:
            return None
        if plain == "cho" and (not nxt or nxt in _CHO_VERB_NEXT):
            return None
        if plain in ("so", "ga", "ben", "san", "cay", "ham", "nha", "cong", "sai", "thanh",
                     "dai", "toa", "tram", "chung", "sieu", "cang", "vong", "bung",
                     "benh", "truong", "nga", "d", "p", "q", "f") and not nxt:
            return None
        return i
    if re.fullmatch(r"\d+[a-z]?(/\d+[a-z]?)*", plain) and nxt and nxt not in _AFTER_PLACE \
            and not nxt.isdigit() and nxt not in ("nguoi", "chiec", "xe", "tuoi", "gio",
                                                   "phut", "h", "m", "km", "lan", "thang"):
        return i
    return None


def place_span(text: str) -> str | None:
    """The words of ``text`` that most likely name the place, as written, or None.

    A heuristic for what to look up and to quote back ("Có cháy ở chợ Tân Phú, cứu với!" →
    "chợ Tân Phú"); the geocoder decides whether it is a place."""
    tokens = [(w, s, e) for w, s, e in _word_spans(text)]
    words = [w for w, _, _ in tokens]
    for i in range(len(words)):
        start = _starts_place(words, i)
        if start is None or start >= len(words):
            continue
        end = start + 1
        while end < len(words) and end - start < _MAX_PLACE_WORDS:
            between = text[tokens[end - 1][2]:tokens[end][1]]
            plain = fold(words[end])
            if any(ch in between for ch in ".!?;\n") and not re.fullmatch(r"\.\s*", between):
                break
            if "," in between and plain not in _PLACE_GOES_ON and not plain.isdigit():
                break
            if words[end] == "có":
                break
            if words[end] == "co":
                after = fold(words[end + 1]) if end + 1 < len(words) else ""
                if after in _CO_THEN or after in _AFTER_PLACE:
                    break
            elif plain in _AFTER_PLACE and plain != "co" and words[end] not in _PLACE_NOUNS \
                    and plain not in _PLACE_GOES_ON:
                break
            end += 1
        span = text[tokens[start][1]:tokens[end - 1][2]].strip(" ,.-")
        alone = end - start == 1 and (fold(span) in _BEFORE_PLACE | _PLACE_NOUNS
                                      or span.lower() in _BEFORE_PLACE | _PLACE_NOUNS)
        if span and not alone:
            return span
    return None


def _word_spans(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end())
            for m in _WORD_RE.finditer(unicodedata.normalize("NFC", text).lower())]
