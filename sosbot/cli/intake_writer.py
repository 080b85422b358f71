"""``sosbot intake-writer``: the group commit in a process of its own.

Started by ``sosbot serve`` when ``web.intake_writer`` is ``process``, never by hand: it
reads deliveries from its stdin and answers on its stdout (``sosbot.intake.writer_process``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from sosbot.cli import Commands
from sosbot.config import load_settings
from sosbot.intake.writer_process import serve_deliveries
from sosbot.process_memory import release_startup_memory
from sosbot.runtime import group_commit


def register(commands: Commands) -> None:
    parser = commands.add_parser("intake-writer")
    parser.add_argument("--max-batch", type=int, default=None,
                        help="deliveries in one transaction at most (default: web.intake_batch)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        print("sosbot intake-writer is started by `sosbot serve` (web.intake_writer: "
              "process), not by hand", file=sys.stderr)
        return 2
    source, sink = os.dup(sys.stdin.fileno()), os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print goes to the log
    # The web process ends this one by closing its stdin, once its last request is answered:
    # a Ctrl-C or a SIGTERM to the whole process group must not cut a batch short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    settings = load_settings()
    commit = group_commit(settings)
    release_startup_memory()
    serve_deliveries(commit, source, sink, args.max_batch or settings.file.web.intake_batch)
    return 0
