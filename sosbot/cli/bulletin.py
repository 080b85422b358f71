"""``sosbot bulletin``: send a safety bulletin to subscribers from the command line.

    sosbot bulletin --file canh-bao.txt [--ward "Tân Phú"|27031] [--image anh.jpg] [--yes]

Shows the audience first (per platform, and how many are outside their platform's window)
and asks for confirmation unless ``--yes``; then queues the sends and follows them with a
progress bar until every subscriber is sent, skipped or failed. The workers do the sending,
so ``sosbot worker`` must be running. The final count also goes to the command centre's
chats.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sqlalchemy.engine import Engine

from sosbot.cli import Commands
from sosbot.command_centre import bulletins
from sosbot.config import load_settings
from sosbot.delivery.queueing import Dispatcher
from sosbot.officers.command_chat import find_ward
from sosbot.runtime import engine_for, redis_for, routing_rules, utcnow
from sosbot.storage import outbox, reports
from sosbot.storage.db import transaction
from sosbot.storage.media_scrub import NotScrubbable, OutgoingMedia
from sosbot.storage.media_store import MediaRejected, MediaStore
from sosbot.storage.tables import Bulletin

BAR_WIDTH = 30


def register(commands: Commands) -> None:
    parser = commands.add_parser("bulletin")
    parser.add_argument("--file", type=Path, required=True,
                        help="the bulletin's text (UTF-8); '-' reads standard input")
    parser.add_argument("--ward", help="a ward's name or code; default: the whole city")
    parser.add_argument("--image", type=Path, help="a photo to send with it (JPEG/PNG)")
    parser.add_argument("--yes", action="store_true", help="send without asking")
    parser.add_argument("--no-wait", action="store_true",
                        help="queue the sends and return without following them")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="stop following after this many seconds (sending goes on)")
    parser.set_defaults(func=run)


def _text(path: Path) -> str:
    return sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = engine_for(settings)
    rules = routing_rules(settings)
    ward = None
    if args.ward:
        found, problem = find_ward(rules, args.ward)
        if found is None:
            print(f"sosbot bulletin: {problem}", file=sys.stderr)
            return 2
        ward = (found.code, found.full_name)
    try:
        body = _text(args.file)
    except OSError as exc:
        print(f"sosbot bulletin: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    sha256 = None
    if args.image:
        try:
            stored = MediaStore(settings.media_dir).put(args.image.read_bytes())
        except (OSError, MediaRejected) as exc:
            print(f"sosbot bulletin: cannot use {args.image}: {exc}", file=sys.stderr)
            return 2
        if not stored.mime.startswith("image/"):
            print(f"sosbot bulletin: {args.image} is {stored.mime}, not an image",
                  file=sys.stderr)
            return 2
        try:  # it leaves the system without its metadata: check that it can, now
            OutgoingMedia(MediaStore(settings.media_dir)).path_for(stored.sha256, stored.mime)
        except NotScrubbable as exc:
            print(f"sosbot bulletin: {args.image} cannot be sent: {exc}", file=sys.stderr)
            return 2
        sha256 = stored.sha256
    actor = "cli"
    now = utcnow()
    with transaction(engine) as session:
        try:
            draft = bulletins.draft(session, body=body, ward=ward, created_by=actor, now=now,
                                    media_sha256=sha256)
        except bulletins.BulletinError as exc:
            print(f"sosbot bulletin: {exc}", file=sys.stderr)
            return 2
        print(bulletins.preview(session, draft, now).rsplit("\n", 1)[0])
        bulletin_id = draft.id
    assert bulletin_id is not None
    if not args.yes and not _confirmed():
        with transaction(engine) as session:
            found_draft = bulletins.locked(session, bulletin_id)
            if found_draft is not None:
                bulletins.cancel(session, found_draft, utcnow())
        print("not sent")
        return 1
    with transaction(engine) as session:
        locked = bulletins.locked(session, bulletin_id)
        assert locked is not None
        state = bulletins.start(session, locked, utcnow())
        reports.audit(session, actor=actor, action="bulletin.sent", now=utcnow(),
                      bulletin=bulletin_id, total=state.total, skipped=state.skipped)
        queued = outbox.take_added(session)
    Dispatcher(redis_for(settings.redis_url), settings.file.queue.name).outbox(queued)
    print(f"bulletin #{bulletin_id}: {len(queued)} queued, {state.skipped} skipped "
          f"(outside the platform's window)")
    if args.no_wait:
        return 0
    return _follow(engine, bulletin_id, args.timeout)


def _confirmed() -> bool:
    if not sys.stdin.isatty():
        print("not a terminal: pass --yes to send", file=sys.stderr)
        return False
    return input("Send it? [y/N] ").strip().lower() in ("y", "yes", "c", "co", "có")


def _follow(engine: Engine, bulletin_id: int, timeout: float) -> int:
    """A progress bar on a terminal, a line every few seconds otherwise."""
    tty = sys.stderr.isatty()
    deadline = time.monotonic() + timeout
    last_line = 0.0
    while True:
        with transaction(engine) as session:
            bulletin = session.get(Bulletin, bulletin_id)
            assert bulletin is not None
            state = bulletins.progress(session, bulletin)
        line = (f"[{'#' * (BAR_WIDTH * state.percent // 100):<{BAR_WIDTH}}] "
                f"{state.handled}/{state.total}  sent {state.sent}  skipped {state.skipped}  "
                f"failed {state.failed}")
        if tty:
            print(f"\r{line}", end="", file=sys.stderr, flush=True)
        elif state.done or time.monotonic() - last_line >= 5:
            print(line, file=sys.stderr, flush=True)
            last_line = time.monotonic()
        if state.done:
            if tty:
                print(file=sys.stderr)
            print(f"done: sent {state.sent}, skipped {state.skipped} (window closed), "
                  f"failed {state.failed}")
            return 0 if state.failed == 0 else 3
        if time.monotonic() > deadline:
            print(f"\nstill sending after {timeout:.0f}s; the workers carry on",
                  file=sys.stderr)
            return 4
        time.sleep(0.5)
