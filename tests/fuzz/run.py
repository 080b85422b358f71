"""Random, coverage-guided fuzzing that grows the kept corpus: ``python -m tests.fuzz.run``.

``--seconds N`` (per target, 60 by default) runs every target, or those named with
``--target``, each in a child process (libFuzzer ends its process when done), starting from
the kept corpus (tests/fuzz/corpus.py) and the fixtures. Afterwards:

- every input that failed is added to ``<corpus>/<target>/crashes/``, to stay a regression
  that CI replays (``tests/fuzz/test_atheris.py``) once it is fixed;
- the new inputs are merged into ``<corpus>/<target>/`` by libFuzzer's ``-merge=1``, which
  keeps only those that reach code the corpus did not.

A table of inputs tried, findings and inputs kept is printed; the exit status is non-zero
when any target found an input that fails. ``git status tests/fuzz/corpus`` shows what to
commit. CI itself never runs this (its outcome would depend on chance).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

_RUNS = re.compile(rb"stat::number_of_executed_units:\s*(\d+)")
REPO = Path(__file__).resolve().parents[2]
TARGET_NAMES = ("parse_messenger", "parse_telegram", "parse_zalo", "step")
FINDINGS = ("crash-", "timeout-", "oom-", "leak-")  # libFuzzer's artifact prefixes
LIBFUZZER = ["-print_final_stats=1", "-rss_limit_mb=4096", "-max_len=65536", "-timeout=20"]


@dataclass(frozen=True)
class Outcome:
    target: str
    runs: int
    seconds: float
    exit_code: int
    finding: str  # the first lines of the uncaught exception, empty when none
    crashes: list[str]  # the kept files of the inputs that failed
    kept: int  # new inputs merged into the corpus

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.finding and not self.crashes


def libfuzzer_in_this_process(name: str, args: list[str]) -> None:
    """Instrument the project, then hand the target and ``args`` to libFuzzer (which exits
    the process). libFuzzer runs its own first argument for ``-merge``: the wrapper that
    :func:`fuzz_in_child` writes, named in ``SOSBOT_FUZZ_SELF``."""
    import atheris

    with atheris.instrument_imports(include=["sosbot"]):
        from tests.fuzz.fuzz_targets import TARGETS
    atheris.Setup([os.environ.get("SOSBOT_FUZZ_SELF", sys.argv[0]), *args], TARGETS[name])
    atheris.Fuzz()


def _libfuzzer(name: str, work: Path, args: list[str], timeout: float
               ) -> subprocess.CompletedProcess[bytes]:
    # libFuzzer starts ``argv[0] <flags>`` through the shell to merge: give it a command.
    wrapper = work / "self.sh"
    wrapper.write_text(f"#!/bin/sh\ncd {shlex.quote(str(REPO))} && exec "
                       f"{shlex.quote(sys.executable)} -m tests.fuzz.run --libfuzzer {name} "
                       '"$@"\n')
    wrapper.chmod(0o755)
    return subprocess.run([str(wrapper), *args], capture_output=True, timeout=timeout,
                          check=False, cwd=REPO,
                          env={**os.environ, "SOSBOT_FUZZ_SELF": str(wrapper)})


def fuzz_in_child(name: str, seconds: int, runs: int, corpus: Path) -> Outcome:
    """One random run of ``name`` from the kept corpus; findings and new inputs kept."""
    from tests.fuzz import corpus as kept_corpus

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"sosbot-fuzz-{name}-") as temporary:
        work = Path(temporary)
        seeds, new, artifacts = work / "seeds", work / "new", work / "artifacts"
        for folder in (seeds, new, artifacts):
            folder.mkdir()
        for index, (_, data) in enumerate(kept_corpus.inputs(name, corpus)):
            (seeds / f"{index:05}").write_bytes(data)
        before = {p.name for p in seeds.iterdir()}
        # New inputs go to the first folder; the second is read only.
        args = [str(new), str(seeds), f"-max_total_time={seconds}",
                f"-artifact_prefix={artifacts}/", *LIBFUZZER]
        if runs:
            args.append(f"-runs={runs}")
        done = _libfuzzer(name, work, args, seconds + 300)
        output = done.stdout + done.stderr
        crashes = [kept_corpus.keep(name, path.read_bytes(), crash=True, corpus=corpus)
                   for path in sorted(artifacts.iterdir()) if path.name.startswith(FINDINGS)]
        # Of the new inputs, keep those that reach code the corpus does not.
        # (A unit that fails here failed above too: its artifact is not kept twice.)
        _libfuzzer(name, work, [str(seeds), str(new), "-merge=1",
                                f"-artifact_prefix={work}/", *LIBFUZZER], 600)
        added = [kept_corpus.keep(name, path.read_bytes(), crash=False, corpus=corpus)
                 for path in sorted(seeds.iterdir()) if path.name not in before]
    found = _RUNS.search(output)
    finding = ""
    if b"Uncaught Python exception: ===" in output:
        tail = output.split(b"Uncaught Python exception: ===", 1)[1]
        finding = tail.decode("utf-8", "replace").strip()[:2000]
    elif done.returncode != 0:
        finding = output.decode("utf-8", "replace").strip()[-2000:]
    return Outcome(target=name, runs=int(found.group(1)) if found else 0,
                   seconds=round(time.monotonic() - started, 1), exit_code=done.returncode,
                   finding=finding, crashes=[str(p) for p in crashes if p is not None],
                   kept=sum(1 for p in added if p is not None))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--libfuzzer"]:  # the child: argv is the target, then libFuzzer's flags
        libfuzzer_in_this_process(argv[1], argv[2:])
        return 0
    from tests.fuzz.corpus import CORPUS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=TARGET_NAMES, action="append",
                        help="run this target (repeatable); all of them by default")
    parser.add_argument("--seconds", type=int, default=60, help="per target")
    parser.add_argument("--runs", type=int, default=0, help="stop after this many inputs")
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help="the kept corpus to start from and to grow")
    parser.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    options = parser.parse_args(argv)
    outcomes = [fuzz_in_child(name, options.seconds, options.runs, options.corpus.resolve())
                for name in options.target or TARGET_NAMES]
    if options.json:
        print(json.dumps([asdict(o) for o in outcomes], indent=2))
    else:
        print(f"{'target':<18}{'inputs tried':>14}{'seconds':>10}{'kept':>6}  result")
        for o in outcomes:
            result = "ok" if o.ok else "FAILED: " + ((o.finding.splitlines() or ["?"])[0])
            print(f"{o.target:<18}{o.runs:>14}{o.seconds:>10}{o.kept:>6}  {result}")
            for path in o.crashes:
                print(f"{'':<18}failing input kept: {path}")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
