"""Words typed without diacritics that have several toned readings (issue 20, round twelve).

A resident in a hurry types "chay" for "cháy" (fire), "chạy" (to run, to ride), "chảy" (to
flow, to bleed) and "chay" (vegetarian) alike. :data:`AMBIGUOUS` holds, for each such bare
form of a keyword (one word or a phrase, folded), its toned readings, the keyword's own
first, each with the neighbours that confirm it. :func:`read_bare` decides, one rule for
all of them: the keyword's own (incident) reading when a neighbour confirms it; else the
first other reading a neighbour confirms; else the keyword's own (a message to an
emergency line is read for the emergency when nothing says otherwise). A keyword typed with
its diacritics is never looked up here: "cháy" is always fire.

Pure data and one function for :mod:`sosbot.core.understanding`, which finds the keywords
and gives :func:`read_bare` the phrase found at a word (to confirm a reading by another
word of its category nearby: "lửa", "khói" beside a bare "chay").
"""

from __future__ import annotations

__all__ = ["AMBIGUOUS", "Reading", "read_bare"]

from collections.abc import Callable
from dataclasses import dataclass

from sosbot.core.model import Category
from sosbot.core.sanitize import fold

_FIRE, _TRAF, _OTHER = Category.FIRE, Category.TRAFFIC, Category.OTHER


@dataclass(frozen=True)
class Reading:
    """One toned reading of a bare form, and what confirms it.

    ``before``/``after``: folded words right before or right after the bare form;
    ``near``: words or phrases within ``window`` words either side (a one-word neighbour
    written without diacritics matches any word folding to it, one written with them only
    as written: "chó", a dog, is not "cho", for; a phrase typed bare matches it toned);
    ``kin``: another keyword of the reading's category within ``window`` words (not
    another bare ambiguous word, not the phrase the bare form is part of unless another
    word of the category is in it); ``fled``: a word
    right after that confirms only when one of ``FLEEING`` is within three words before
    and the word right before is not "bị" ("nó chạy luôn", but "nhà nó bị cháy luôn");
    ``fallback``: the reading taken when none is confirmed, where the bare form is far more
    often a common word than the incident's ("roi" is "rồi" before it is "rơi").
    """

    toned: str
    category: Category | None
    before: frozenset[str] = frozenset()
    after: frozenset[str] = frozenset()
    near: tuple[str, ...] = ()
    window: int = 1
    kin: bool = False
    fled: frozenset[str] = frozenset()
    fallback: bool = False  # the reading when none is confirmed (else the first)


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Where to, how, on what: a bare "chay" before these is "chạy" (round seven's RUNNING_NEXT;
# "lùi", reversing, and "hướng", heading for, round fourteen).
_RUNNING_NEXT = _set(
    "sang qua ra vao vo toi ve di len xuong lai theo tron thoat nhanh loan tan vong quanh "
    "ngang nguoc thang vuot xe bo moto honda wave sh vision airblade ab exciter vespa grab "
    "taxi oto ngay mat het rong toc lui huong")
# Someone fleeing, named within three words before "chay luon", "chay mat" (round eight).
FLEEING = _set("no han thang ten ke nguoi kia bo chung ta")
# Leaving a place: "ra khoi nha" is "ra khỏi nhà", not smoke (round eight's LEAVING_NEXT).
_LEAVING_NEXT = _set("nha phong truong cong cho day benh que tro xom hem lang chung")

AMBIGUOUS: dict[tuple[str, ...], tuple[Reading, ...]] = {
    ("chay",): (
        # fire: another fire word within six words ("lua chay sang nha ben")
        Reading("cháy", _FIRE, window=6, kin=True),
        # running, riding: where to, how, on what ("chay sang", "chay tron", "chay wave");
        # after "ôm", "vẫn" ("ôm chạy", "mà vẫn chạy", round twelve); someone fleeing
        Reading("chạy", None, before=_set("om van"), after=_RUNNING_NEXT,
                fled=_set("luon mat tron thoat")),
        # flowing, bleeding ("nuoc chay lenh lang", "mau chay nhieu", round twelve)
        Reading("chảy", None, after=_set("mau nuoc xiet manh lenh ri"),
                before=_set("nuoc mau")),
    ),
    # "ra khoi": boats putting out to sea ("ghe ra khơi", round ten's twin), or leaving a
    # place ("ra khỏi nhà"); smoke otherwise
    ("ra", "khoi"): (
        Reading("ra khói", _FIRE),
        Reading("ra khơi", None, window=8, near=(
            "ghe", "thuyền", "tàu cá", "ngư dân", "đánh cá", "đánh bắt", "ra biển", "đi biển",
            "trên biển", "boat")),
        Reading("ra khỏi", None, after=_LEAVING_NEXT),
    ),
    # "can nguoi": bitten by an animal, run over by a vehicle, or someone needed (rounds
    # nine and ten's twins)
    ("can", "nguoi"): (
        Reading("cắn người", _OTHER, window=6, near=(
            "chó", "con chó", "chó dữ", "rắn", "khỉ", "dog", "snake", "monkey")),
        Reading("cần người", None, window=1, near=(
            "giup", "giúp đỡ", "hỗ trợ", "phu", "khieng", "chở đi", "đưa đi", "trông",
            "help")),
        Reading("cán người", _TRAF, window=5, near=(
            "xe", "ô tô", "xe tải", "xe đầu kéo", "đầu kéo", "container", "xe ben", "xe buýt",
            "xe khách", "xe bồn", "bánh xe", "truck", "bus")),
    ),
}



def _common_first(happening: str, common: str, after: str) -> tuple[Reading, ...]:
    """A pattern's happening (round ten's PATTERN_TWINS) whose bare form is, far more
    often, a common word: the happening only after "bị" or before one of ``after`` ("roi
    xuong"); right after the pattern's thing ("cot dien do") is the pattern's to say."""
    return (Reading(happening, None, before=_set("bi"), after=_set(after)),
            Reading(common, None, fallback=True))


AMBIGUOUS.update({
    ("roi",): _common_first("rơi", "rồi", "xuong trung vao vo ra tu khoi tom"),
    ("do",): _common_first("đổ", "do", "xuong sap ra ram nhao ap vao vo len ngang nghieng de"),
    ("vo",): _common_first("vỡ", "vô", "tung nat toang vun tan"),
    ("de",): _common_first("đè", "để", "len trung chet bep nat kep"),
    ("sap",): _common_first("sập", "sắp", "xuong ham het toan nat"),
    ("be",): _common_first("bể", "bé", "nat tung toang vun"),
    ("gay",): _common_first("gãy", "gây", "do ngang doi gap lia"),
    ("nga",): _common_first("ngã", "ngã tư", "xuong ra rap nghieng vao vo trung ngang de"),
    ("toc",): _common_first("tốc", "tóc", "mai bay noc"),
    ("bung",): _common_first("bung", "bụng", "ra tung nap"),
    ("no",): _common_first("nổ", "nó", "tung dung bum bup lon phat ram cai tanh"),
})

# The phrase found at a word: (its words, its category) or None.
PhraseAt = Callable[[int], tuple[tuple[str, ...], Category | None] | None]


def read_bare(words: list[str], start: int, end: int, key: tuple[str, ...],
              phrase_at: PhraseAt, category_words: Callable[[Category], frozenset[str]],
              ) -> Reading:
    """The reading of the bare form ``key`` found at ``words[start:end]`` (see the module
    docstring). ``phrase_at(j)`` is the keyword phrase found at word ``j``;
    ``category_words(c)`` the one-word keywords of ``c``, folded."""
    readings = AMBIGUOUS[key]
    for reading in readings:
        if _confirmed(reading, words, start, end, phrase_at, category_words):
            return reading
    return next((r for r in readings if r.fallback), readings[0])


def _neighbour_at(words: list[str], j: int, phrase: str) -> bool:
    ws = phrase.split()
    if j + len(ws) > len(words):
        return False
    typed = words[j:j + len(ws)]
    if len(ws) > 1:  # a phrase typed bare matches it with its tones ("cho di", "chở đi")
        return all(t == w or fold(t) == t == fold(w) for t, w in zip(typed, ws, strict=True))
    return typed[0] == ws[0] or (fold(ws[0]) == ws[0] and fold(typed[0]) == ws[0])


def _confirmed(r: Reading, words: list[str], start: int, end: int, phrase_at: PhraseAt,
               category_words: Callable[[Category], frozenset[str]]) -> bool:
    before = fold(words[start - 1]) if start > 0 else None
    after = fold(words[end]) if end < len(words) else None
    if before in r.before or after in r.after:
        return True
    if after in r.fled and before != "bi" and any(
            fold(w) in FLEEING for w in words[max(0, start - 3):start]):
        return True
    lo, hi = max(0, start - r.window), min(len(words), end + r.window)
    if any(_neighbour_at(words, j, c) for j in range(lo, hi) if not start <= j < end
           for c in r.near):
        return True
    if not (r.kin and r.category is not None):
        return False
    own = category_words(r.category)
    for j in range(lo, hi):
        found = phrase_at(j)
        if found is None or found[1] is not r.category or j == start:
            continue
        ws, _ = found
        if len(ws) == 1 and fold(words[j]) == words[j] and (words[j],) in AMBIGUOUS:
            continue  # another bare ambiguous word confirms nothing
        inside = j < end and j + len(ws) > start
        if inside and not any(fold(w) in own for k, w in enumerate(ws)
                              if not start <= j + k < end):
            continue  # the phrase this bare form is part of, no other word of the category
        if j + len(ws) <= hi:
            return True
    return False
