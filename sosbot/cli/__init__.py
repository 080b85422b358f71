"""The ``sosbot`` command: one subcommand per module, each with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, Protocol

from sosbot import log_setup
from sosbot.core.errors import ConfigError

log = logging.getLogger(__name__)


#: Every command: the module under ``sosbot.cli`` that defines its arguments and runs it,
#: and what it does (for ``--help``). Only the chosen command's module is imported, so
#: ``sosbot --help`` and ``sosbot ward-for`` do not load the web app, the database layer or
#: matplotlib.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("serve", "run the web process (webhooks)"),
    "worker": ("worker", "run an rq worker for the outbound queue"),
    "demo": ("demo", "run everything locally, with the browser sandbox"),
    "migrate": ("admin", "create or upgrade the database schema"),
    "check-config": ("admin", "validate config.yaml and the environment"),
    "set-webhook": ("admin", "point Telegram at this service's public webhook URL"),
    "zalo-token": ("admin", "seed the Zalo OA refresh token"),
    "bind-code": ("routing_admin", "a one-time code to bind a group chat"),
    "bindings": ("routing_admin", "list the bound group chats"),
    "unbind": ("routing_admin", "stop sending reports to a group chat"),
    "tick": ("routing_admin", "run the escalations due at a given time"),
    "reports": ("reports", "list stored reports"),
    "digest": ("digest", "the command-centre digest"),
    "ward-for": ("ward_for", "print the ward (phường/xã/đặc khu) a point falls in"),
    "understand": ("understand", "what sosbot reads in a message: category, place, wards"),
    "audit": ("privacy", "check the tamper-evident audit log"),
    "purge": ("privacy", "remove personal data past retention; statistics stay"),
    "bulletin": ("bulletin", "send a safety bulletin to subscribers"),
    "intake-writer": ("intake_writer",
                      "(started by `sosbot serve`) store webhook deliveries for it"),
}


class Commands(Protocol):
    """Where a command module adds its command's parser (``register(commands)``)."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


class _OnlyChosen:
    """The subparsers as a command module sees them: the chosen command gets its real
    parser (with its help from ``COMMANDS``); the module's other commands get throwaways."""

    def __init__(self, commands: argparse._SubParsersAction, chosen: str) -> None:
        self.commands = commands
        self.chosen = chosen

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        if name != self.chosen:
            return argparse.ArgumentParser(prog=name, add_help=False)
        parser: argparse.ArgumentParser = self.commands.add_parser(
            name, help=COMMANDS[name][1], **kwargs)
        return parser


def _chosen(argv: Sequence[str]) -> str | None:
    """The command named in ``argv`` (the first word that is one), if any."""
    return next((word for word in argv if word in COMMANDS), None)


def _parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sosbot",
        description="Emergency-report intake for city police over Telegram, Zalo and "
                    "Messenger.")
    parser.add_argument("--log-level", default=os.environ.get("SOSBOT_LOG_LEVEL", "INFO"),
                        help="DEBUG, INFO, WARNING or ERROR (env SOSBOT_LOG_LEVEL); "
                             "SOSBOT_LOG_FORMAT=json for one JSON object per line")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = _chosen(argv)
    for name, (module_name, help_text) in COMMANDS.items():
        if name == chosen:
            module = importlib.import_module(f"sosbot.cli.{module_name}")
            module.register(_OnlyChosen(commands, name))
        else:
            commands.add_parser(name, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(argv)
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
