"""Train the statistical category reading (:mod:`sosbot.core.category_model`) offline.

``python -m bench.train_category`` counts the features of the labelled messages of
:data:`TRAINING_SETS` (the in-sample set and held-out sets 1–11; never the current round's
held-out set) and of the everyday sentences (``bench/data/everyday_messages.txt``, the class
``none``), chooses the threshold by leave-one-set-out cross-validation (:func:`choose`), and
writes ``sosbot/core/category_model.json``. Whole counts only, in a fixed order: the same
data gives the same file, byte for byte (``tests/core/test_category_model.py`` checks the
shipped file against it). ``--report`` prints the cross-validation instead of writing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sosbot.core.category_model import EVERYDAY, MODEL_FILE, CategoryModel, features
from sosbot.core.model import Category
from sosbot.core.understanding import keyword_category

DATA = Path(__file__).resolve().parent / "data"
TRAINING_SETS = (
    "resident_messages.jsonl", "resident_messages_heldout.jsonl",
    "resident_messages_heldout2.jsonl", "resident_messages_heldout3.jsonl",
    "resident_messages_heldout4.jsonl", "resident_messages_heldout5.jsonl",
    "resident_messages_heldout6.jsonl", "resident_messages_heldout7.jsonl",
    "resident_messages_heldout8.jsonl", "resident_messages_heldout9.jsonl",
    "resident_messages_heldout10.jsonl", "resident_messages_heldout11.jsonl",
)
EVERYDAY_FILE = DATA / "everyday_messages.txt"
CLASSES = (Category.FIRE.value, Category.TRAFFIC.value, Category.SECURITY.value,
           Category.OTHER.value, EVERYDAY)
ALPHA = 0.1
# Naive Bayes counts a word's evidence once per piece of it: divided by this, its posterior
# is less sure of itself and a threshold means something (cross-validated: 10 rather than
# 3 or 5 keeps the everyday sentences silent at a lower threshold).
TEMPERATURE = 10.0
# The model reads only the messages the keywords could not, where everyday sentences are
# common: no incident is as likely as the four categories together before the words are
# read (with the classes' shares in the data, 14 % of it, a railing or a dropped phone
# read as an incident).
EVERYDAY_PRIOR = 0.5
# A feature counts only if this many training messages have it (keeps the file small; a
# piece seen once says little).
MIN_MESSAGES = 2
# The threshold: the lowest at which the cross-validated proposals are right at least three
# times for each wrong one on the messages the keywords leave without a category (those it
# is used on), at least 95 % of the time over every labelled message, and none of the
# everyday sentences is read as an incident (round eight: with set 7 in the training, "at
# most 1 %" chose 0.75, where two everyday sentences of the tests — a child riding
# recklessly, sitting on a balcony railing — were read as incidents at 0.83; "none" chooses
# 0.85; round nine, with set 8 too, the same criteria choose 0.88).
MIN_PRECISION_SILENT = 0.75
MIN_PRECISION_ALL = 0.95
MAX_EVERYDAY_READ = 0.0
THRESHOLDS = tuple(round(0.5 + 0.01 * k, 2) for k in range(50))
Example = tuple[str, str]  # (text, class)


def load_sets(names: Sequence[str] = TRAINING_SETS) -> list[list[Example]]:
    """The labelled messages, one list per set, then the everyday sentences as a last set."""
    sets = []
    for name in names:
        lines = (DATA / name).read_text(encoding="utf-8").splitlines()
        sets.append([(row["text"], row["category"]) for row in map(json.loads, lines) if row])
    everyday = [line for line in EVERYDAY_FILE.read_text(encoding="utf-8").splitlines()
                if line.strip()]
    sets.append([(line, EVERYDAY) for line in everyday])
    return sets


def count(examples: Sequence[Example]) -> dict[str, Any]:
    """The model's data (without its threshold): messages per class, and per feature the
    messages of each class having it."""
    classes = dict.fromkeys(CLASSES, 0)
    counts: dict[str, list[int]] = {}
    for text, label in examples:
        classes[label] += 1
        k = CLASSES.index(label)
        for f in features(text):
            counts.setdefault(f, [0] * len(CLASSES))[k] += 1
    kept = {f: n for f, n in sorted(counts.items()) if sum(n) >= MIN_MESSAGES}
    return {"classes": classes, "alpha": ALPHA, "temperature": TEMPERATURE,
            "everyday_prior": EVERYDAY_PRIOR, "counts": kept}


def cross_validate(sets: Sequence[Sequence[Example]]) -> list[tuple[str, str, float, bool]]:
    """Each message read by a model trained without its set (the everyday sentences split
    in five): (class, the model's class, its probability, the keywords propose nothing)."""
    folds = [list(s) for s in sets[:-1]]
    everyday = sets[-1]
    folds += [list(everyday[k::5]) for k in range(5)]
    out = []
    for k, fold_ in enumerate(folds):
        rest = [e for j, f in enumerate(folds) if j != k for e in f]
        trained = CategoryModel.from_dict({**count(rest), "threshold": 1.0})
        for text, label in fold_:
            reading = trained.read(text)
            out.append((label, reading.label, reading.probability,
                        keyword_category(text) is None))
    return out


def precision_at(results: Sequence[tuple[str, str, float, bool]],
                 threshold: float) -> tuple[int, int]:
    """(right, wrong) category proposals at ``threshold`` (``none`` is no proposal)."""
    right = wrong = 0
    for label, read, p, _ in results:
        if p >= threshold and read != EVERYDAY:
            right += read == label
            wrong += read != label
    return right, wrong


def choose(results: Sequence[tuple[str, str, float, bool]]) -> float:
    """The lowest threshold meeting :data:`MIN_PRECISION_SILENT`, :data:`MIN_PRECISION_ALL`
    and :data:`MAX_EVERYDAY_READ` (the last threshold if none does)."""
    labelled = [r for r in results if r[0] != EVERYDAY]
    silent = [r for r in labelled if r[3]]
    everyday = [r for r in results if r[0] == EVERYDAY]
    for t in THRESHOLDS:
        if precision_at(everyday, t)[1] > MAX_EVERYDAY_READ * len(everyday):
            continue
        if all(_precision(subset, t) >= least for subset, least in
               ((silent, MIN_PRECISION_SILENT), (labelled, MIN_PRECISION_ALL))):
            return t
    return THRESHOLDS[-1]


def _precision(results: Sequence[tuple[str, str, float, bool]], threshold: float) -> float:
    right, wrong = precision_at(results, threshold)
    return right / (right + wrong) if right + wrong else 1.0


def train(sets: Sequence[Sequence[Example]] | None = None) -> dict[str, Any]:
    """The model's data, threshold included."""
    sets = load_sets() if sets is None else sets
    threshold = choose(cross_validate(sets))
    data = count([e for s in sets for e in s])
    counts = data.pop("counts")
    return {**data, "threshold": threshold, "counts": counts}


def dumps(data: dict[str, Any]) -> str:
    """The file's text: one feature a line, so that a change reads as a diff."""
    head = {k: v for k, v in data.items() if k != "counts"}
    lines = [json.dumps(f, ensure_ascii=False) + ": " + json.dumps(n, separators=(",", ":"))
             for f, n in data["counts"].items()]
    body = json.dumps(head, ensure_ascii=False)[:-1]  # the classes in the counts' order
    return body + ', "counts": {\n' + ",\n".join(lines) + "\n}}\n"


def report(results: Sequence[tuple[str, str, float, bool]]) -> dict[str, Any]:
    """Per threshold, the cross-validated (right, wrong) proposals: over every labelled
    message, over those the keywords leave without a category, and the everyday sentences
    read as an incident; and the threshold chosen."""
    labelled = [r for r in results if r[0] != EVERYDAY]
    silent = [r for r in labelled if r[3]]
    everyday = [r for r in results if r[0] == EVERYDAY]
    rows: dict[str, Any] = {"chosen": choose(results), "keywords_silent": len(silent)}
    for t in THRESHOLDS:
        rows[str(t)] = {"all": precision_at(labelled, t), "keywords_silent":
                        precision_at(silent, t), "everyday_read": precision_at(everyday, t)[1]}
    return rows


def main(argv: Sequence[str] = ()) -> int:
    sets = load_sets()
    if "--report" in argv:
        json.dump(report(cross_validate(sets)), sys.stdout, indent=1)
        print()
        return 0
    MODEL_FILE.write_text(dumps(train(sets)), encoding="utf-8")
    print(f"wrote {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
