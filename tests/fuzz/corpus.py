"""The kept fuzzing corpus: ``tests/fuzz/corpus/<target>/``, replayed by CI, grown by long runs.

Each target's folder holds the inputs worth keeping, one file each:

- ``<target>/*``: inputs a random run found to reach new code (merged in by
  ``python -m tests.fuzz.run``, which keeps only those adding coverage), and hand-made ones;
- ``<target>/crashes/*``: every input that ever made the target fail, fixed since; they stay
  as regressions.

A parser target's files are webhook **bodies**, exactly as they would arrive: readable,
and the same input whatever the fuzz target's way of spending bytes becomes. The ``step``
target's files are the fuzzer's bytes themselves (there is no other form of them). To these
the documented fixtures are added, as the seeds of every parser target.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

from .fuzz_targets import parser_body, raw_input
from .payloads import PLATFORMS, encode

CORPUS = Path(__file__).resolve().parent / "corpus"
CRASHES = "crashes"
MAX_KEPT = 16 * 1024
"""A new input longer than this is not kept (unless it failed): the corpus lives in git, and
what a long body reaches, a short one nearly always reaches too."""


def _platform(target: str) -> str | None:
    return target.removeprefix("parse_") if target.startswith("parse_") else None


def to_input(target: str, stored: bytes) -> bytes:
    """The fuzzer input for a kept file."""
    return stored if _platform(target) is None else raw_input(stored)


def to_stored(target: str, data: bytes) -> bytes:
    """What is kept of a fuzzer input: the body it made, for a parser target."""
    platform = _platform(target)
    return data if platform is None else parser_body(platform, data)


def seeds(target: str) -> Iterator[tuple[str, bytes]]:
    """The documented fixtures, as kept files of a parser target (none for ``step``)."""
    platform = _platform(target)
    if platform is None:
        return
    for name, payload in sorted(PLATFORMS[platform].fixtures.items()):
        yield f"fixture:{name}", encode(payload)


def kept(target: str, corpus: Path = CORPUS) -> Iterator[tuple[str, bytes]]:
    """Every file kept for ``target``, crashes included, in a fixed order."""
    folder = corpus / target
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            yield str(path.relative_to(corpus)), path.read_bytes()


def structured(target: str, count: int = 64) -> list[tuple[str, bytes]]:
    """Fuzzer inputs in the two other modes of a parser target (edits to a fixture, bytes
    spliced into one), from fixed pseudo-random bytes: kept bodies are all in the raw mode,
    and a random run would otherwise seldom leave it (none for ``step``)."""
    if _platform(target) is None:
        return []
    made = random.Random(18)  # fixed: the same inputs on every run
    return [(f"structured:{mode}.{index}", made.randbytes(made.randrange(8, 400)) + bytes([mode]))
            for index in range(count) for mode in (1, 2)]


def inputs(target: str, corpus: Path = CORPUS) -> list[tuple[str, bytes]]:
    """``(name, fuzzer input)`` for every seed and kept file of ``target``."""
    return [*((name, to_input(target, stored)) for name, stored in seeds(target)),
            *structured(target),
            *((name, to_input(target, stored)) for name, stored in kept(target, corpus))]


def keep(target: str, data: bytes, *, crash: bool, corpus: Path = CORPUS) -> Path | None:
    """Keep a fuzzer input (as its stored form); None when the same file is already kept,
    or when it did not fail and is longer than MAX_KEPT."""
    stored = to_stored(target, data)
    if not crash and len(stored) > MAX_KEPT:
        return None
    folder = corpus / target / (CRASHES if crash else "")
    if any(stored == old for _, old in (*seeds(target), *kept(target, corpus))):
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / hashlib.sha1(stored).hexdigest()[:16]
    path.write_bytes(stored)
    return path
