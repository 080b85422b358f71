"""``sosbot audit verify`` and ``audit rekey`` (the audit log's keyed hash chain) and
``sosbot purge`` (retention)."""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import UTC, datetime, timedelta

from sosbot.cli import Commands
from sosbot.config import load_settings
from sosbot.runtime import engine_for
from sosbot.storage import audit, purge
from sosbot.storage.db import transaction
from sosbot.storage.media_store import MediaStore

_AGE = re.compile(r"^(\d+)([dwh])$")
_ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")
MIN_RETENTION = timedelta(days=30)  # a typo such as 1d must not wipe last month's reports


def register(commands: Commands) -> None:
    audit_cmd = commands.add_parser("audit")
    audit_sub = audit_cmd.add_subparsers(dest="audit_command", required=True,
                                         metavar="ACTION")
    verify = audit_sub.add_parser("verify", help="walk the hash chain; exit 1 at a broken row")
    verify.add_argument("--anchor", action="append", default=[], metavar="ID:HASH",
                        help="a row id and hash printed by an earlier run (kept outside the "
                             "database); it must still be in the chain — repeatable")
    verify.set_defaults(func=run_verify)
    rekey = audit_sub.add_parser(
        "rekey", help="once, after upgrading: re-hash the rows written before the chain was "
                      "keyed with SOSBOT_AUDIT_KEY (service stopped)")
    rekey.set_defaults(func=run_rekey)

    purge_cmd = commands.add_parser("purge")
    purge_cmd.add_argument("--older-than", required=True, metavar="AGE",
                           help="e.g. 365d (days), 52w (weeks); at least 30 days")
    purge_cmd.add_argument("--dry-run", action="store_true",
                           help="say what would go, change nothing")
    purge_cmd.set_defaults(func=run_purge)


def parse_age(text: str) -> timedelta:
    match = _AGE.match(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"not an age like 365d or 52w: {text!r}")
    number, unit = int(match.group(1)), match.group(2)
    return {"d": timedelta(days=number), "w": timedelta(weeks=number),
            "h": timedelta(hours=number)}[unit]


def run_verify(args: argparse.Namespace) -> int:
    anchors: dict[int, str] = {}
    for text in args.anchor:
        match = _ANCHOR.match(text.strip().lower())
        if match is None:
            print(f"sosbot audit verify: --anchor wants ID:HASH (64 hex digits), got {text!r}",
                  file=sys.stderr)
            return 2
        anchors[int(match.group(1))] = match.group(2)
    engine = engine_for(load_settings())
    started = time.monotonic()
    try:
        with transaction(engine) as session:
            verdict = audit.verify(session, anchors=anchors)
    except audit.AuditKeyMissing as exc:
        print(f"sosbot audit verify: {exc}", file=sys.stderr)
        return 2
    took = time.monotonic() - started
    print(f"audit log: {verdict.rows} rows, {verdict.checked} in the chain, "
          f"{verdict.unhashed_before_chain} from before the chain (not checked); "
          f"{took:.2f}s")
    if not verdict.ok:
        print(f"BROKEN at row {verdict.broken_id}: {verdict.reason}", file=sys.stderr)
        return 1
    if verdict.anchors_checked:
        print(f"anchors found intact: {', '.join(map(str, verdict.anchors_checked))}")
    if verdict.head_id is not None:
        print(f"chain intact; head {verdict.head_id}:{verdict.head_hash}")
        print("keep this head outside the database; pass it as --anchor next time to catch "
              "rows cut off the end")
    else:
        print("chain intact (no hashed rows yet)")
    return 0


def run_rekey(args: argparse.Namespace) -> int:
    engine = engine_for(load_settings())
    try:
        with transaction(engine) as session:
            outcome = audit.rekey(session)  # refused: it changed nothing
    except audit.AuditKeyMissing as exc:
        print(f"sosbot audit rekey: {exc}", file=sys.stderr)
        return 2
    if outcome.refused is not None:
        print(f"sosbot audit rekey: refused at row {outcome.refused.broken_id}: "
              f"{outcome.refused.reason}", file=sys.stderr)
        return 1
    print(f"audit log re-keyed: {outcome.unkeyed} rows re-hashed with the key, "
          f"{outcome.keyed} already keyed")
    if outcome.head_id is not None:
        print(f"head {outcome.head_id}:{outcome.head_hash} (anchors recorded before this "
              f"run no longer apply: keep this one)")
    return 0


def run_purge(args: argparse.Namespace) -> int:
    try:
        age = parse_age(args.older_than)
    except argparse.ArgumentTypeError as exc:
        print(f"sosbot purge: {exc}", file=sys.stderr)
        return 2
    if age < MIN_RETENTION:
        print(f"sosbot purge: --older-than {args.older_than} is under the 30-day minimum",
              file=sys.stderr)
        return 2
    settings = load_settings()
    engine = engine_for(settings)
    store = MediaStore(settings.media_dir)
    now = datetime.now(UTC)
    cutoff = now - age
    started = time.monotonic()
    if args.dry_run:
        summary = purge.plan(engine, cutoff, store)
    else:
        summary = purge.purge(engine, cutoff, now, store)
    took = time.monotonic() - started
    print(f"{'dry run: ' if args.dry_run else ''}personal data from before "
          f"{cutoff.isoformat(timespec='seconds')} ({took:.2f}s)")
    for line in summary.lines():
        print(f"  {line}")
    return 0
