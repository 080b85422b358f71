"""Run the atheris fuzz targets: ``python -m tests.fuzz.run --seconds 600``.

Without ``--target`` every target runs in turn, each in a child process of its own (libFuzzer
ends its process when done), and a table of inputs tried is printed; the exit status is
non-zero when any target found an input that raises. Findings (the crashing inputs) are
written under ``--artifacts``. ``--target NAME`` runs one target in this process.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import atheris

_RUNS = re.compile(rb"stat::number_of_executed_units:\s*(\d+)")
REPO = Path(__file__).resolve().parents[2]
TARGET_NAMES = ("parse_messenger", "parse_telegram", "parse_zalo", "step")


@dataclass(frozen=True)
class Outcome:
    target: str
    runs: int
    seconds: float
    exit_code: int
    finding: str  # the first lines of the uncaught exception, empty when none

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.finding


def fuzz_in_this_process(name: str, seconds: int, runs: int, artifacts: Path) -> None:
    """Instrument the project, then hand the target to libFuzzer (which exits the process)."""
    with atheris.instrument_imports(include=["sosbot"]):
        from tests.fuzz.fuzz_targets import TARGETS
        from tests.fuzz.payloads import PLATFORMS, encode
    corpus = Path(tempfile.mkdtemp(prefix=f"sosbot-fuzz-{name}-"))
    if name.startswith("parse_"):
        # Seeds: every documented payload, as a raw body (first byte 0 picks "raw").
        for fixture, payload in PLATFORMS[name.removeprefix("parse_")].fixtures.items():
            (corpus / fixture).write_bytes(b"\x00" + encode(payload))
    args = [sys.argv[0], str(corpus), f"-max_total_time={seconds}", "-print_final_stats=1",
            f"-artifact_prefix={artifacts}/", "-rss_limit_mb=4096", "-max_len=65536"]
    if runs:
        args.append(f"-runs={runs}")
    atheris.Setup(args, TARGETS[name])
    atheris.Fuzz()


def fuzz_in_child(name: str, seconds: int, runs: int, artifacts: Path) -> Outcome:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.run", "--target", name, "--seconds", str(seconds),
         "--runs", str(runs), "--artifacts", str(artifacts)],
        capture_output=True, timeout=seconds + 120, check=False, cwd=REPO)
    output = done.stdout + done.stderr
    found = _RUNS.search(output)
    finding = ""
    if b"Uncaught Python exception" in output:
        tail = output.split(b"Uncaught Python exception", 1)[1]
        finding = tail.decode("utf-8", "replace").strip()[:2000]
    return Outcome(target=name, runs=int(found.group(1)) if found else 0,
                   seconds=round(time.monotonic() - started, 1),
                   exit_code=done.returncode, finding=finding)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=TARGET_NAMES)
    parser.add_argument("--seconds", type=int, default=60, help="per target")
    parser.add_argument("--runs", type=int, default=0, help="stop after this many inputs")
    parser.add_argument("--artifacts", type=Path, default=Path("var/fuzz"))
    parser.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    options = parser.parse_args(argv)
    options.artifacts.mkdir(parents=True, exist_ok=True)
    if options.target:
        fuzz_in_this_process(options.target, options.seconds, options.runs,
                             options.artifacts.resolve())
        return 0
    outcomes = [fuzz_in_child(name, options.seconds, options.runs, options.artifacts)
                for name in TARGET_NAMES]
    if options.json:
        print(json.dumps([asdict(o) for o in outcomes], indent=2))
    else:
        print(f"{'target':<18}{'inputs tried':>14}{'seconds':>10}  result")
        for o in outcomes:
            print(f"{o.target:<18}{o.runs:>14}{o.seconds:>10}  "
                  f"{'ok' if o.ok else 'FAILED: ' + (o.finding.splitlines() or ['?'])[0]}")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
