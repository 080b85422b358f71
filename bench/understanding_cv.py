"""Leave-one-set-out cross-validation of the whole category reading (issue 20, round eleven).

``python -m bench.understanding_cv`` reads each labelled set (the in-sample set and held-out
sets 1–19; never the current round's held-out set) with the keywords and patterns and a
statistical model (:mod:`sosbot.core.category_model`) trained on every other set and the
everyday sentences, as :func:`sosbot.core.understanding.guess_category` reads a message; and
the everyday sentences (``bench/data/everyday_messages.txt``) in five parts, each by a model
trained without it. A mechanism is kept when it raises the labelled messages read right
without an everyday sentence read as an incident.

The keywords were written from sets 1–9's misses, so on those sets they are not held out:
what this measures for a keyword mechanism is what it changes where nothing was tuned for
it; for the model and the arbitration between the two it is a held-out figure.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from bench.train_category import count, load_sets
from sosbot.core.category_model import CategoryModel, model
from sosbot.core.understanding import guess_category

# The labelled sets cross-validated over: those the model trains on and the last round's.
SETS = (
    "resident_messages.jsonl", "resident_messages_heldout.jsonl",
    *(f"resident_messages_heldout{n}.jsonl" for n in range(2, 20)),
)


def cross_validate(threshold: float | None = None, *,
                   sets: Sequence[str] = SETS) -> dict[str, Any]:
    """Per labelled set, messages read right and wrong proposals; the everyday sentences
    read as an incident; and the misses, as ``set: read ≠ label: text``. The models of the
    folds propose at ``threshold`` (the shipped model's unless given)."""
    if threshold is None:
        threshold = model().threshold
    loaded = load_sets(sets)
    labelled, everyday = loaded[:-1], loaded[-1]
    parts = [everyday[k::5] for k in range(5)]
    out: dict[str, Any] = {"sets": {}, "misses": []}
    right_all = wrong_all = total = 0
    for k, name in enumerate(sets):
        rest = [e for j, s in enumerate(labelled) if j != k for e in s] + everyday
        trained = CategoryModel.from_dict({**count(rest), "threshold": threshold})
        right = wrong = 0
        for text, label in labelled[k]:
            read = guess_category(text, trained)
            value = None if read is None else read.value
            right += value == label
            wrong += value is not None and value != label
            if value != label:
                out["misses"].append(f"{name}: {value} ≠ {label}: {text}")
        out["sets"][name] = {"messages": len(labelled[k]), "right": right, "wrong": wrong}
        right_all, wrong_all, total = right_all + right, wrong_all + wrong, total + len(
            labelled[k])
    read_everyday = []
    for k, part in enumerate(parts):
        rest = [e for s in labelled for e in s] + [e for j, p in enumerate(parts) if j != k
                                                   for e in p]
        trained = CategoryModel.from_dict({**count(rest), "threshold": threshold})
        read_everyday += [f"{c.value}: {text}" for text, _ in part
                          if (c := guess_category(text, trained)) is not None]
    out["labelled"] = {"messages": total, "right": right_all, "wrong": wrong_all,
                       "right_pct": round(100 * right_all / total, 2)}
    out["everyday"] = {"sentences": len(everyday), "read_as_incident": read_everyday}
    return out


def main(argv: Sequence[str] = ()) -> int:
    return printed(cross_validate(), argv)


def printed(result: dict[str, Any], argv: Sequence[str]) -> int:
    """Print ``result`` as JSON, its ``misses`` only when ``--misses`` is in ``argv``."""
    if "--misses" not in argv:
        result.pop("misses")
    json.dump(result, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
