"""The ``sosbot`` command: one subcommand per module, each with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from sosbot import log_setup
from sosbot.core.errors import ConfigError

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    from sosbot.cli import (
        admin,
        bulletin,
        demo,
        digest,
        intake_writer,
        privacy,
        reports,
        routing_admin,
        serve,
        ward_for,
        worker,
    )

    parser = argparse.ArgumentParser(
        prog="sosbot",
        description="Emergency-report intake for city police over Telegram, Zalo and "
                    "Messenger.")
    parser.add_argument("--log-level", default=os.environ.get("SOSBOT_LOG_LEVEL", "INFO"),
                        help="DEBUG, INFO, WARNING or ERROR (env SOSBOT_LOG_LEVEL); "
                             "SOSBOT_LOG_FORMAT=json for one JSON object per line")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (serve, worker, demo, admin, routing_admin, reports, digest, ward_for,
                   privacy, bulletin, intake_writer):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        log_setup.configure(args.log_level)
    except ValueError as exc:
        print(f"sosbot: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"sosbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
