"""Coverage-guided fuzzing (atheris/libFuzzer) of every parser and of ``step``, in CI.

Each target runs in a child process for ``SOSBOT_FUZZ_SECONDS`` (10 by default): any
input that raises anything but the documented PayloadError fails the test, with the
exception, and is saved under ``var/fuzz``. ``python -m tests.fuzz.run --seconds 600``
runs the same targets for longer.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .run import TARGET_NAMES, fuzz_in_child

SECONDS = int(os.environ.get("SOSBOT_FUZZ_SECONDS", "10"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "fuzz"


@pytest.mark.parametrize("target", TARGET_NAMES)
def test_no_input_raises(target: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    outcome = fuzz_in_child(target, SECONDS, 0, ARTIFACTS)
    print(f"\n{target}: {outcome.runs} inputs tried in {outcome.seconds} s")
    assert outcome.finding == "", outcome.finding
    assert outcome.exit_code == 0
    assert outcome.runs >= 1000  # the fuzzer really ran (about 3000–9000 inputs a second)
