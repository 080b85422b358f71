"""The place reading's totals over the labelled sets (issue 20): one command for what each
round of residents' words counted by hand before keeping a place rule.

``python -m bench.places_cv`` reads every message of the sets ``bench.understanding_cv``
cross-validates over (never the current round's held-out set) and the everyday sentences
as the conversation does (:func:`bench.understanding.place_outcome`), and prints the
totals: of the messages naming a ward, those given the right place alone or among the
candidates, a wrong place, a list without the ward, nothing; of those naming an old
district, those given its wards; the messages naming no place and the everyday sentences
given one. The place reader has no model, so nothing is held out per fold: a rule is kept
when these totals say it reads more right, no more wrong, and gives no more places where
none was named. ``--misses`` lists what was not read right.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

from bench.train_category import DATA, EVERYDAY_FILE
from bench.understanding import (
    AMONG,
    GIVEN_A_PLACE,
    LIST_WITHOUT,
    LISTED,
    MAX_PLACE_OPTIONS,
    NOT_FOUND,
    ONE_RIGHT,
    WRONG_PLACE,
    load,
    place_outcome,
)
from bench.understanding_cv import SETS, printed
from sosbot.geo.place_options import offline_reader
from sosbot.geo.place_understanding import packaged_reader

_MISSED = (WRONG_PLACE, LIST_WITHOUT, NOT_FOUND, GIVEN_A_PLACE)


def totals(sets: Sequence[str] = SETS) -> dict[str, Any]:
    """The place outcomes summed over ``sets`` and the everyday sentences, with the
    misses as ``set: outcome: text``."""
    read = offline_reader(packaged_reader())

    def codes(text: str) -> list[str]:
        return [option.ward_code for option in read(text)[1][:MAX_PLACE_OPTIONS]]

    outcomes: Counter[str] = Counter()
    misses: list[str] = []
    for name in sets:
        for message in load(DATA / name):
            outcome = place_outcome(message, codes(message["text"]))
            outcomes[outcome] += 1
            if outcome in _MISSED:
                misses.append(f"{name}: {outcome}: {message['text']}")
    everyday = [line for line in EVERYDAY_FILE.read_text(encoding="utf-8").splitlines()
                if line.strip()]
    everyday_given = [text for text in everyday if codes(text)]
    naming = sum(outcomes[o] for o in (ONE_RIGHT, AMONG, WRONG_PLACE, LIST_WITHOUT,
                                       NOT_FOUND))
    return {
        "naming_a_ward": naming,
        "right_or_among": outcomes[ONE_RIGHT] + outcomes[AMONG],
        "one_right": outcomes[ONE_RIGHT],
        "wrong_place": outcomes[WRONG_PLACE],
        "list_without_the_ward": outcomes[LIST_WITHOUT],
        "not_found": outcomes[NOT_FOUND],
        "districts_listed": outcomes[LISTED],
        "none_named_given_a_place": outcomes[GIVEN_A_PLACE],
        "everyday_sentences": len(everyday),
        "everyday_given_a_place": everyday_given,
        "misses": misses,
    }


def main(argv: Sequence[str] = ()) -> int:
    return printed(totals(), argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
