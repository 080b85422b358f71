"""What a resident's own words say: the likely category, and the words naming a place.

Pure (nothing of sosbot but core; the statistical model's data file shipped beside it is
read once, on first use). Residents write in a hurry: with or without
diacritics, with abbreviations ("ko", "dc", "ng", "tngt", "q1", "p.", "đ.", "ngã 4"), slang
and English mixed in. The guess is only a proposal: the conversation states it and the
resident confirms or changes it before anything is filed.

Matching is tone-aware: a word written with diacritics matches only the same word ("chạy",
to run, is not "cháy", fire); a word written without any matches every keyword it folds to,
except the keywords marked *strict*, whose bare form is too common to mean anything alone
("no" is "nó"/"no" far more often than "nổ"): those count without diacritics only inside a
longer phrase ("phat no", "vu no").

Where no keyword or pattern points to a category, the statistical model
(:mod:`sosbot.core.category_model`, trained offline on the labelled messages) proposes one
if it is sure enough of it.
"""

from __future__ import annotations

__all__ = ["Understanding", "english_bases", "guess_category", "keyword_category", "place_span",
           "understand"]

import functools
import re
import unicodedata
from dataclasses import dataclass

from sosbot.core import category_model
from sosbot.core.incident_patterns import PATTERNS
from sosbot.core.incident_words import COLLOCATIONS as _COLLOCATIONS
from sosbot.core.incident_words import HURT
from sosbot.core.incident_words import NEGATIONS as _NEGATIONS
from sosbot.core.incident_words import PHRASES as _PHRASES
from sosbot.core.incident_words import REREAD as _REREAD
from sosbot.core.incident_words import SHORTHAND as _SHORTHAND
from sosbot.core.incident_words import SPELLED_WITH_SHORTHAND as _SPELLED_WITH_SHORTHAND
from sosbot.core.model import Category
from sosbot.core.place_span import place_span
from sosbot.core.sanitize import fold
from sosbot.core.toneless import AMBIGUOUS as _AMBIGUOUS
from sosbot.core.toneless import read_bare

_FIRE, _TRAF = Category.FIRE, Category.TRAFFIC

_WORD_RE = re.compile(r"\w+", re.UNICODE)
# Shorthands spelled by the word before them, typed bare: "ga" is gas, except in "nhà ga",
# "ngã ba" (typed "nga"), "ổ gà" (typed "o ga"), "hố ga" (a drain, typed "ho ga"); "ca" is
# the police, except a fishing boat's fish ("tàu cá", "ghe cá"; round nineteen: "tau ca ra
# khoi 3 ngay chua ve" is no police "ra khói").
_SPELLED_AFTER = {"ga": ("nha", "nga", "o", "ho"), "ca": ("tau", "ghe")}
# A last letter typed over and over ("chayy", "cháyyy"; round seventeen): no Vietnamese
# syllable ends in a doubled y, h, i, a, c, m or p, nor does an English word ("fall",
# "tree", "off" stay); "uu" is "ưu" typed bare ("cuu": "cứu").
_DRAWN_OUT_RE = re.compile(r"(?<=\w)([yhiacmp])\1+$")


@dataclass(frozen=True)
class _Phrase:
    words: tuple[str, ...]
    category: Category | None
    weight: int
    strict: bool


def _build() -> dict[str, list[_Phrase]]:
    """Phrases by their first word (as written and folded), longest first."""
    by_first: dict[str, list[_Phrase]] = {}
    for raw, category, weight in (*_PHRASES, *((c, None, 0) for c in _COLLOCATIONS)):
        strict = raw.startswith("!")
        ws = tuple(_lower(raw.lstrip("!")).split())
        phrase = _Phrase(ws, category, weight, strict)
        for key in {ws[0], fold(ws[0])}:
            by_first.setdefault(key, []).append(phrase)
    for phrases in by_first.values():
        # Longest first; among equals, the heavier one (a bare "chay" is "cháy" before
        # "chạy" in a message to an emergency line).
        phrases.sort(key=lambda p: (-len(p.words), -p.weight))
    return by_first


def _lower(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()


_BY_FIRST = _build()
_COLLOCATION_WORDS = frozenset(tuple(_lower(c).split()) for c in _COLLOCATIONS)


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """(word in lower case with its diacritics, start, end), shorthand expanded."""
    out: list[tuple[str, int, int]] = []
    found = list(_WORD_RE.finditer(_lower(text)))
    for n, m in enumerate(found):
        word = _DRAWN_OUT_RE.sub(r"\1", m.group(0))
        expanded = _SHORTHAND.get(word)  # as typed: "cá" (fish) is not "ca" (công an)
        # a shorthand that spells a phrase with the next word is that phrase ("ca sấu" is
        # "cá sấu", not "công an sấu")
        if expanded and n + 1 < len(found) and _spells_word(word, found[n + 1].group(0)):
            expanded = None
        if expanded and not (out and fold(out[-1][0]) in _SPELLED_AFTER.get(word, ())):
            out.extend((w, m.start(), m.end()) for w in expanded)
        else:
            out.append((word, m.start(), m.end()))
    return out


def _spells_word(word: str, following: str) -> bool:
    """``word`` and ``following`` are a two-word phrase of the category words, or a
    two-syllable word whose first syllable is a shorthand (:data:`SPELLED_WITH_SHORTHAND`)."""
    return (word, following) in _SPELLED_WITH_SHORTHAND or \
        _spells_phrase(word, following)


def _spells_phrase(word: str, following: str) -> bool:
    """``word`` and ``following`` are a two-word phrase of the category words."""
    return any(len(p.words) == 2 and _matches(word, p.words[0], False, False)
               and _matches(following, p.words[1], False, False)
               for p in _BY_FIRST.get(fold(word), []))


# English endings no Vietnamese syllable has: "pickpocketed", "following", "choking", "cars".
_ENGLISH_ENDINGS = ("ing", "ed", "es", "s")


@functools.lru_cache(maxsize=4096)
def english_bases(word: str) -> frozenset[str]:
    """The forms an English ``word`` may be inflected from ("stabbed" → stab, "choking" →
    choke, "robbers" → robber): empty for anything else, Vietnamese included (no syllable
    of it ends in -s, -ed or -ing)."""
    if not (word.isascii() and word.isalpha() and len(word) >= 4):
        return frozenset()
    out: set[str] = set()
    for ending in _ENGLISH_ENDINGS:
        base = word[: -len(ending)]
        if word.endswith(ending) and len(base) >= 3:
            out.update((base, base + "e"))
            if len(base) >= 4 and base[-1] == base[-2]:  # stabbed, robbing
                out.add(base[:-1])
    return frozenset(out)


def _matches(written: str, keyword: str, alone: bool, strict: bool) -> bool:
    if written == keyword:
        return True
    if keyword in english_bases(written):
        return True
    bare = fold(written) == written
    return bare and fold(keyword) == written and not (alone and strict)


def _match_at(words: list[str], i: int, context: bool = False) -> _Phrase | None:
    """The longest phrase at word ``i``; with ``context`` (a vehicle was just named) a
    strict word counts without diacritics too ("xe tai lat" is "xe tải lật")."""
    inflected = [p for base in english_bases(words[i]) for p in _BY_FIRST.get(base, [])]
    for phrase in _BY_FIRST.get(words[i], []) + _BY_FIRST.get(fold(words[i]), []) + inflected:
        n = len(phrase.words)
        if i + n <= len(words) and all(
                _matches(words[i + k], phrase.words[k], n == 1,
                         phrase.strict and not (context and phrase.category is _TRAF))
                for k in range(n)):
            return phrase
    return None


# Every phrase of every pattern by its first word (as written and folded): (pattern's
# position in PATTERNS, True for a thing / False for a happening, the phrase's words).
_PatternPhrase = tuple[int, bool, tuple[str, ...]]


def _index_patterns() -> dict[str, list[_PatternPhrase]]:
    by_first: dict[str, list[_PatternPhrase]] = {}
    for n, pattern in enumerate(PATTERNS):
        for is_thing, phrases in ((True, pattern.things), (False, pattern.happenings)):
            for phrase in phrases:
                ws = tuple(_lower(phrase.lstrip("!")).split())
                # a strict word ("!đò") is found only as written
                keys = {ws[0]} if phrase.startswith("!") else {ws[0], fold(ws[0])}
                for key in keys:
                    by_first.setdefault(key, []).append((n, is_thing, ws))
    return by_first


_PATTERNS_BY_FIRST = _index_patterns()


def _pattern_scores(words: list[str], keywords: bool,
                    toned: dict[int, str] | None = None) -> dict[Category, int]:
    """The patterns of :mod:`sosbot.core.incident_patterns` found in ``words``: a thing
    alone, or a thing and a happening within the pattern's window, either order (the two
    not the same words: "đổ" is not both the tree and its fall). ``toned`` holds the tones
    a collocation gave a bare word (``"sap trai cay"`` is "sạp", so not the "sập" of a
    structure giving way)."""
    toned = toned or {}
    # (pattern, is a thing) → the (start, end) of each of its phrases found
    found: dict[tuple[int, bool], list[tuple[int, int]]] = {}
    # (pattern) → the happenings typed as a bare form far more often a common word, with no
    # neighbour that makes them the happening ("bị nổ", "rơi xuống"): they count only right
    # after the pattern's thing
    weak: dict[int, list[tuple[int, int]]] = {}
    for i, word in enumerate(words):
        candidates = _PATTERNS_BY_FIRST.get(word, []) + _PATTERNS_BY_FIRST.get(fold(word), [])
        candidates += [c for base in english_bases(word)
                       for c in _PATTERNS_BY_FIRST.get(base, [])]
        for n, is_thing, phrase in candidates:
            size = len(phrase)
            if i + size <= len(words) and all(
                    _matches(words[i + k], phrase[k], False, False)
                    and toned.get(i + k, phrase[k]) == phrase[k] for k in range(size)):
                if not is_thing and size == 1 and _twin_happening(words, i, phrase[0]):
                    weak.setdefault(n, []).append((i, i + 1))
                else:
                    found.setdefault((n, is_thing), []).append((i, i + size))
    for n, spans in weak.items():
        ends = {te for _, te in found.get((n, True), [])}
        right_after = [h for h in spans if h[0] in ends]
        if right_after:
            found.setdefault((n, False), []).extend(right_after)
    def gap(h: tuple[int, int], things: list[tuple[int, int]]) -> int:
        """Words between a happening and the nearest of ``things`` (either side)."""
        (hs, he) = h
        return min((hs - te if hs >= te else ts - he if ts >= he else len(words))
                   for ts, te in things)

    # A happening two patterns share ("đổ": a scaffold falls, a load spills from a vehicle)
    # belongs to the nearer thing: "giàn giáo đổ xuống, đè 2 xe máy" is the scaffold.
    nearest: dict[tuple[int, int], int] = {}
    for (n, is_thing), spans in found.items():
        if not is_thing and (n, True) in found and not PATTERNS[n].frame:
            for h in spans:
                g = gap(h, found[(n, True)])
                nearest[h] = min(nearest.get(h, g), g)
    scores: dict[Category, int] = {}
    for n, pattern in enumerate(PATTERNS):
        things = found.get((n, True))
        if not things or (pattern.alone and keywords):
            continue
        if pattern.frame:
            if not any(_framed(words, h, things, pattern.window)
                       for h in found.get((n, False), [])):
                continue
        elif pattern.happenings:
            happenings = found.get((n, False), [])
            if not any(gap(h, things) < pattern.window and gap(h, things) <= nearest[h]
                       for h in happenings):
                continue
        scores[pattern.category] = scores.get(pattern.category, 0) + pattern.weight
    return scores


def _twin_happening(words: list[str], i: int, keyword: str) -> bool:
    """``words[i]`` matches the happening ``keyword`` only as its bare form, and that form is
    far more often a common word (:mod:`sosbot.core.toneless`: "roi" is "rồi" before it is
    "rơi"), with no neighbour that makes it the happening ("roi xuong", "bị rơi")."""
    word = words[i]
    readings = _AMBIGUOUS.get((word,))
    if readings is None or word == keyword or not any(r.fallback for r in readings):
        return False
    return read_bare(words, i, i + 1, (word,), lambda j: _phrase_at(words, j),
                     _category_words) is not readings[0]


# English words skipped between a verb and the person it is done to ("beating a woman").
_DETERMINERS = frozenset({"a", "an", "the", "his", "her", "my", "their", "our", "up", "on"})


def _framed(words: list[str], happening: tuple[int, int], things: list[tuple[int, int]],
            window: int) -> bool:
    """A thing ends within ``window`` words before the happening and one starts right after
    it, English determiners skipped ("chồng say rượu đánh vợ", "a man is beating a woman")."""
    hs, he = happening
    after = he
    while after < len(words) and words[after] in _DETERMINERS:
        after += 1
    if (any(te <= hs and hs - te < window for _, te in things)
            and any(ts == after for ts, _ in things)):
        return True
    # passive: a person, "bị", a person, the verb ("vợ bị chồng đập", "con bị bố đánh")
    return any(te == hs and ts >= 2 and fold(words[ts - 1]) == "bi"
               and any(te2 == ts - 1 for _, te2 in things) for ts, te in things)


def category_scores(text: str) -> dict[Category, int]:
    """Evidence per category: the weights of the phrases found, longest phrase first, and
    of the patterns found (:func:`_pattern_scores`)."""
    words = [w for w, _, _ in _tokens(text)]
    scores: dict[Category, int] = {}
    i = 0
    vehicle = False  # the phrase just before named a vehicle
    load = 0  # words of a vehicle's load still to pass
    toned: dict[int, str] = {}  # the words a collocation read, with their tones
    named_vehicle = False  # a vehicle named anywhere ("xe máy", "chạy xe")
    hurt = 0  # the weight of the words of a body hurt ("bất tỉnh", "ngã xuống")
    while i < len(words):
        # The longest phrase at this word wins; its words are not read again.
        best = _match_at(words, i, context=vehicle)
        if best is None:
            # a vehicle's load between it and what it did ("xe tải chở đất tông nhà", "xe
            # đưa đón công nhân lật"): up to three words after "chở"/"đưa" (round fifteen)
            load = 4 if vehicle and fold(words[i]) in ("cho", "dua") else load - 1
            vehicle = vehicle and load > 0
            i += 1
            continue
        category = best.category
        if category is _FIRE and _negated(words, i):
            category = None  # "chưa cháy", "không bị cháy": no fire (yet)
        elif category is not None:
            category = _toneless(words, i, best, category)  # "chay sang": ran
            if category is not None:
                category = _reread(words, i, i + len(best.words), best.words, category)
        if category is not None:
            scores[category] = scores.get(category, 0) + best.weight
        if category is Category.OTHER and " ".join(best.words) in HURT:
            hurt += best.weight
        vehicle = best.category is _TRAF and best.weight == 1
        # (not one someone is in or on: "bất tỉnh trong xe hơi đóng kín")
        named_vehicle = named_vehicle or (vehicle or "xe" in map(fold, best.words)) and not (
            i > 0 and fold(words[i - 1]) in ("trong", "tren"))
        if best.words in _COLLOCATION_WORDS:
            toned.update((i + k, w) for k, w in enumerate(best.words))
        i += len(best.words)
    if named_vehicle and hurt:
        # a body hurt beside a vehicle is the crash's ("xe máy ngã xuống…, bất tỉnh")
        scores[_TRAF] = scores.get(_TRAF, 0) + hurt
        scores[Category.OTHER] -= hurt
        if not scores[Category.OTHER]:
            del scores[Category.OTHER]
    for category, weight in _pattern_scores(words, bool(scores), toned).items():
        scores[category] = scores.get(category, 0) + weight
    return scores


def _negated(words: list[str], i: int) -> bool:
    """A negation right before word ``i``, or before "bị"/"có" before it."""
    before = [fold(w) for w in words[max(0, i - 2):i]]
    return bool(before) and (before[-1] in _NEGATIONS or len(before) == 2
                             and before[-1] in ("bi", "co") and before[0] in _NEGATIONS)


def _phrase_at(words: list[str], j: int) -> tuple[tuple[str, ...], Category | None] | None:
    found = _match_at(words, j)
    return None if found is None else (found.words, found.category)


def _category_words(category: Category) -> frozenset[str]:
    return _ONE_WORD.get(category, frozenset())


def _one_word() -> dict[Category, frozenset[str]]:
    """The keywords that stand alone, folded, by category ("lửa", "khói", "nổ" for fire)."""
    out: dict[Category, set[str]] = {}
    for phrases in _BY_FIRST.values():
        for p in phrases:
            if len(p.words) == 1 and p.category is not None:
                out.setdefault(p.category, set()).add(fold(p.words[0]))
    return {c: frozenset(ws) for c, ws in out.items()}


_ONE_WORD = _one_word()


def _toneless(words: list[str], i: int, found: _Phrase, category: Category) -> Category | None:
    """The category of the keyword ``found`` at word ``i`` as its bare forms' readings make
    it (:mod:`sosbot.core.toneless`): the whole phrase typed bare ("can nguoi"), or a bare
    word of it ("chay" in "roi chay sang": ran). Typed with diacritics, it stays."""
    n = len(found.words)
    typed = words[i:i + n]
    key = tuple(typed)
    if all(fold(w) == w for w in typed) and key in _AMBIGUOUS:
        if _AMBIGUOUS[key][0].category is category:
            return read_bare(words, i, i + n, key, lambda j: _phrase_at(words, j),
                             _category_words).category
        return category
    if n == 1:
        return category
    for k in range(i, i + n):
        own = _AMBIGUOUS.get((words[k],))
        if own is not None and own[0].category is category:
            reading = read_bare(words, k, k + 1, (words[k],), lambda j: _phrase_at(words, j),
                                _category_words)
            if reading.category is not category:
                return reading.category
    return category


def _context_at(words: list[str], j: int, phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    if j + n > len(words):
        return False
    if n == 1:  # as written (or an English inflection), not folded
        w = words[j]
        return (w == phrase[0] or phrase[0] in english_bases(w)) and not (
            w == "điện" and j + 1 < len(words) and fold(words[j + 1]) == "thoai")
    return all(_matches(words[j + k], phrase[k], False, False) for k in range(n))


_Rule = tuple[frozenset[tuple[str, ...]], tuple[tuple[str, ...], ...], int, Category | None]


@functools.lru_cache(maxsize=1)
def _reread_rules() -> tuple[_Rule, ...]:
    return tuple((frozenset(tuple(_lower(k).split()) for k in keys),
                  tuple(tuple(_lower(c).split()) for c in context), window, category)
                 for keys, context, window, category in _REREAD)


def _reread(words: list[str], start: int, end: int, phrase: tuple[str, ...],
            category: Category) -> Category | None:
    """The category of a keyword found at ``words[start:end]``, as its neighbours make it:
    :data:`_REREAD` ("bị giật" near a live wire is an electric shock)."""
    for keys, context, window, reread in _reread_rules():
        if phrase not in keys:
            continue
        for j in range(max(0, start - window), min(len(words), end + window)):
            if start <= j < end:
                continue
            if any(_context_at(words, j, c) for c in context):
                return reread
    return category


# Fire evidence this strong ("bốc cháy", "cháy luôn", two fire words) outranks a crash's.
_FIRE_NAMED = 5
# When two incidents are named with equal weight, the one needing the faster answer leads.
_PRIORITY = (Category.FIRE, Category.SECURITY, Category.TRAFFIC, Category.OTHER)


# Keyword evidence this weak (one word of weight 3 or less: a bare "dao", "giật", "đâm",
# "khói", or a vehicle and a word of weight 1) is overruled by a model this sure of another
# category (round eleven, by leave-one-set-out cross-validation over the in-sample set and
# sets 1–10: at 3 and 0.99, 3 messages more read right, 1 fewer, no everyday sentence more
# read as an incident; 4 or 5, or 0.95–0.98, fix as many and break more).
_WEAK_EVIDENCE = 3
_MODEL_SURE = 0.99


def guess_category(text: str,
                   model: category_model.CategoryModel | None = None) -> Category | None:
    """The likely category of ``text``: the keywords' and patterns' (:func:`keyword_category`)
    or, when they point to none, the statistical model's if it is sure enough
    (:mod:`sosbot.core.category_model`; ``model``, the shipped one unless given); None when
    neither proposes one. Where the keywords' evidence is weak (at most
    :data:`_WEAK_EVIDENCE`) and the model is all but sure (:data:`_MODEL_SURE`) of another
    category, the model's is proposed ("bảo vệ đang cúp cầu dao" is no knife beside "tủ
    điện xẹt lửa, mùi khét"). A model sure the message is everyday does not silence the
    keywords (cross-validated, it lost more incidents than it quietened everyday
    sentences)."""
    model = model or category_model.model()
    scores = category_scores(text)
    found = _decide(scores)
    if found is None:
        return model.propose(text)
    if scores[found] <= _WEAK_EVIDENCE:
        reading = model.read(text)
        if (reading.probability >= _MODEL_SURE and reading.category is not None
                and reading.category is not found):
            return reading.category
    return found


def keyword_category(text: str) -> Category | None:
    """The category the keywords and patterns point to, or None when none does."""
    return _decide(category_scores(text))


def _decide(scores: dict[Category, int]) -> Category | None:
    """The category ``scores`` (:func:`category_scores`) point to, or None."""
    if not scores:
        return None
    # Vehicles alone (weight 1 words) do not make a traffic report.
    best = max(_PRIORITY, key=lambda c: (scores.get(c, 0), -_PRIORITY.index(c)))
    if best is Category.TRAFFIC and scores[best] < 2:
        return None
    # A vehicle that catches fire ("xe tông cột điện rồi cháy luôn", "xe máy bốc cháy"), a
    # fallen live wire that sets one alight: the fire needs the fire brigade, whatever the
    # crash's or the fall's words weigh.
    if best in (Category.TRAFFIC, Category.OTHER) and scores.get(Category.FIRE, 0) >= _FIRE_NAMED:
        return Category.FIRE
    return best


@dataclass(frozen=True)
class Understanding:
    """What a message says: the likely category (None if no word points to one) and the
    words that seem to name a place (None if none do)."""

    category: Category | None
    place_text: str | None


def understand(text: str) -> Understanding:
    """Read a resident's message (see the module docstring)."""
    normalized = unicodedata.normalize("NFC", text)
    return Understanding(category=guess_category(normalized),
                         place_text=place_span(normalized))
