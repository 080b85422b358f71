"""``sosbot digest``: the command-centre digest, printed (and its images saved)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from sosbot.cli import Commands
from sosbot.command_centre import posting
from sosbot.command_centre.charts import reports_per_hour_png, time_to_ack_png
from sosbot.command_centre.digest_map import digest_map_png
from sosbot.config import load_settings
from sosbot.runtime import engine_for, routing_rules
from sosbot.storage.db import transaction


def register(commands: Commands) -> None:
    parser = commands.add_parser("digest")
    parser.add_argument("--print", action="store_true", dest="print_text",
                        help="print the digest text (the default)")
    parser.add_argument("--period", default="24h", help="e.g. 24h, 7d (default 24h)")
    parser.add_argument("--out", type=Path, default=None,
                        help="also write the charts and the map as PNG files here")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    rules = routing_rules(settings)
    now = datetime.now(UTC)
    with transaction(engine_for(settings)) as session:
        d = posting.digest_for(session, rules, now, posting.period(args.period))
    print(posting.text(d))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, png in (("reports-per-hour.png", reports_per_hour_png(d)),
                          ("time-to-ack.png", time_to_ack_png(d)),
                          ("map.png", digest_map_png(d, settings.geo.wards_file))):
            (args.out / name).write_bytes(png)
            print(f"wrote {args.out / name}")
    return 0
