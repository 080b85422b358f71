"""A statistical reading of a message's category, for when no keyword or pattern points to one.

The keyword tables (:mod:`sosbot.core.incident_words`, :mod:`sosbot.core.incident_patterns`)
read what they were written for and nothing else; each new set of residents' messages names
incidents in words they lack. This model reads the rest the way a person who has seen the
labelled messages would: a multinomial naive Bayes over the message folded to toneless lower
case (:func:`sosbot.core.sanitize.fold`), its words, word pairs and the 3–5-letter pieces of
each word, so that a typo or a missing diacritic still shares most of its pieces with the
word it means. Besides the four categories it knows a fifth class, everyday sentences
("chào bạn", "cảm ơn"), so that a greeting is not read as an incident.

It proposes a category only when its posterior is at least the model's threshold, chosen by
cross-validation over the labelled sets so that its proposals are rarely wrong (a wrong
proposal costs the resident the tap a missing one would). Trained offline, never at run
time: ``python -m bench.train_category`` writes ``category_model.json`` beside this module
from ``bench/data`` (the held-out set of the current round excluded). The file holds whole
counts only, so the training reproduces it byte for byte.
"""

from __future__ import annotations

__all__ = ["CategoryModel", "Proposal", "features", "model", "propose"]

import functools
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sosbot.core.model import Category
from sosbot.core.sanitize import fold

MODEL_FILE = Path(__file__).resolve().parent / "category_model.json"
# The class of everyday sentences: no incident, nothing to propose.
EVERYDAY = "none"
_DIGITS = re.compile(r"\d+")


def features(text: str) -> list[str]:
    """The features of ``text``, each once, sorted: its folded words (digits as "0"), each
    pair of neighbouring words, and each word's 3-, 4- and 5-letter pieces with its edges
    marked ("<chay>" gives "<ch", "cha", …, "ay>")."""
    words = [_DIGITS.sub("0", w) for w in fold(text).split()]
    out: set[str] = set()
    for i, word in enumerate(words):
        out.add("w " + word)
        if i + 1 < len(words):
            out.add("b " + word + " " + words[i + 1])
        marked = "<" + word + ">"
        for n in (3, 4, 5):
            out.update("c " + marked[k:k + n] for k in range(len(marked) - n + 1))
    return sorted(out)


@dataclass(frozen=True)
class Proposal:
    """The model's reading: the likeliest class and its posterior probability."""

    label: str
    probability: float

    @property
    def category(self) -> Category | None:
        return None if self.label == EVERYDAY else Category(self.label)


class CategoryModel:
    """Naive Bayes over :func:`features`, from whole counts (see the module docstring)."""

    def __init__(self, classes: Mapping[str, int], counts: Mapping[str, Iterable[int]],
                 alpha: float, temperature: float, everyday_prior: float,
                 threshold: float) -> None:
        """``classes``: messages per class, in the classes' order; ``counts[f][k]``: the
        messages of class k having feature f; ``alpha``: additive smoothing;
        ``temperature``: what the features' evidence is divided by (the pieces of one word
        are not independent: naive Bayes counts the same evidence many times over);
        ``everyday_prior``: how likely a message is no incident before its words are read
        (the categories share the rest equally; the model reads only what the keywords
        could not, where everyday sentences are common)."""
        self.labels = tuple(classes)
        self.threshold = threshold
        self.temperature = temperature
        rest = (1 - everyday_prior) / (len(self.labels) - 1)
        self._prior = [math.log(everyday_prior if c == EVERYDAY else rest)
                       for c in self.labels]
        table = {f: tuple(n) for f, n in counts.items()}
        totals = [sum(n[k] for n in table.values()) for k in range(len(self.labels))]
        denominators = [t + alpha * len(table) for t in totals]
        self._log = {f: tuple(math.log((n[k] + alpha) / denominators[k])
                              for k in range(len(self.labels))) for f, n in table.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> CategoryModel:
        classes = data["classes"]
        counts = data["counts"]
        assert isinstance(classes, dict) and isinstance(counts, dict)
        numbers = [data[k] for k in ("alpha", "temperature", "everyday_prior", "threshold")]
        assert all(isinstance(n, (int, float)) for n in numbers)
        alpha, temperature, prior, threshold = (float(n) for n in numbers)  # type: ignore
        return cls(classes, counts, alpha, temperature, prior, threshold)

    def posterior(self, text: str) -> dict[str, float]:
        """The probability of each class for ``text`` (features never seen count for
        nothing)."""
        evidence = [0.0] * len(self.labels)
        for f in features(text):
            logs = self._log.get(f)
            if logs is not None:
                evidence = [e + lg for e, lg in zip(evidence, logs, strict=True)]
        scores = [p + e / self.temperature
                  for p, e in zip(self._prior, evidence, strict=True)]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        return {c: w / total for c, w in zip(self.labels, weights, strict=True)}

    def read(self, text: str) -> Proposal:
        """The likeliest class for ``text`` (the first in the classes' order on a tie)."""
        post = self.posterior(text)
        label = max(self.labels, key=lambda c: post[c])
        return Proposal(label, post[label])

    def propose(self, text: str) -> Category | None:
        """A category for ``text`` when the model is sure enough of one, else None."""
        reading = self.read(text)
        if reading.probability < self.threshold:
            return None
        return reading.category


@functools.lru_cache(maxsize=1)
def model() -> CategoryModel:
    """The model shipped in the package (read once)."""
    return CategoryModel.from_dict(json.loads(MODEL_FILE.read_text(encoding="utf-8")))


def propose(text: str) -> Category | None:
    """The shipped model's proposal for ``text`` (see :meth:`CategoryModel.propose`)."""
    return model().propose(text)
