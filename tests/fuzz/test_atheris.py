"""The atheris fuzz targets over the kept corpus, deterministically: CI's fuzzing.

Every target is run, in this process, on every seed (the fixtures), every input a random
run kept and every input that ever failed (tests/fuzz/corpus/<target>/crashes). Any input
that raises anything but the documented PayloadError fails the test, named with its file.
The same files give the same outcome on every run: CI does not depend on what a random
search happens to try. Random runs, which grow this corpus, are a command of their own:
``python -m tests.fuzz.run --seconds 600`` (see tests/fuzz/run.py).
"""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

from . import corpus
from .fuzz_targets import TARGETS, parser_body, raw_input
from .run import TARGET_NAMES


@pytest.mark.parametrize("target", TARGET_NAMES)
def test_no_input_raises(target: str) -> None:
    inputs = corpus.inputs(target)
    failures: list[str] = []
    for name, data in inputs:
        try:
            TARGETS[target](data)
        except Exception as exc:  # noqa: BLE001 - every failure is listed, with its file
            where = traceback.extract_tb(exc.__traceback__)[-1]
            failures.append(f"{name}: {exc!r:.300} at {where.filename}:{where.lineno}")
    print(f"\n{target}: {len(inputs)} kept inputs replayed")
    assert failures == []
    assert len(inputs) >= 10  # the corpus is there (a wrong path would replay nothing)


def test_every_target_has_a_corpus_and_every_parser_its_regressions() -> None:
    assert sorted(TARGETS) == sorted(TARGET_NAMES)
    for target in TARGET_NAMES:
        assert (corpus.CORPUS / target).is_dir(), target
        if target.startswith("parse_"):
            assert list((corpus.CORPUS / target / corpus.CRASHES).iterdir()), target
    reported = corpus.CORPUS / "parse_zalo" / "crashes" / "issue18-location-latitude-10e400.json"
    assert b'"latitude": 1' + b"0" * 400 + b"," in reported.read_bytes()


@pytest.mark.parametrize("target", [t for t in TARGET_NAMES if t.startswith("parse_")])
def test_a_kept_body_is_replayed_as_it_is(target: str) -> None:
    """Kept files of a parser target are bodies; the fuzzer input made of one parses that
    body unchanged (atheris's way of reading bytes is what ``raw_input`` relies on)."""
    for name, stored in corpus.kept(target):
        assert corpus.to_input(target, stored) == raw_input(stored)
        assert parser_body(target.removeprefix("parse_"), raw_input(stored)) == stored, name


def test_keep_adds_a_failing_input_once_as_a_body(tmp_path: Path) -> None:
    """What ``python -m tests.fuzz.run`` does with a finding: the body, under crashes/."""
    body = b'{"event_name": "user_send_location"}'
    first = corpus.keep("parse_zalo", raw_input(body), crash=True, corpus=tmp_path)
    assert first is not None and first.parent == tmp_path / "parse_zalo" / "crashes"
    assert first.read_bytes() == body
    assert corpus.keep("parse_zalo", raw_input(body), crash=False, corpus=tmp_path) is None
    assert ("parse_zalo/crashes/" + first.name, raw_input(body)) in corpus.inputs(
        "parse_zalo", tmp_path)
    long_body = b" " * (corpus.MAX_KEPT + 1) + b"{}"
    assert corpus.keep("parse_zalo", raw_input(long_body), crash=False, corpus=tmp_path) is None
    step_bytes = b"\x01\x02\x03"
    kept = corpus.keep("step", step_bytes, crash=False, corpus=tmp_path)
    assert kept is not None and kept.read_bytes() == step_bytes
