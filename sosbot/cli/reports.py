"""``sosbot reports``: the stored reports, newest first."""

from __future__ import annotations

import argparse
import json

from sosbot.config import load_settings
from sosbot.runtime import engine_for
from sosbot.storage.db import transaction
from sosbot.storage.reports import list_reports


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("reports", help="list stored reports")
    parser.add_argument("--json", action="store_true", help="a JSON array instead of a table")
    parser.add_argument("--limit", type=int, default=1000)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    engine = engine_for(load_settings())
    with transaction(engine) as session:
        rows = list_reports(session, args.limit)
    if args.json:
        print(json.dumps([
            {"code": r.code, "category": r.category, "status": r.status, "lat": r.lat,
             "lon": r.lon, "channel": r.channel, "created_at": r.created_at.isoformat(),
             "media_count": r.media_count, "media_missing": r.media_missing,
             "description": r.description,
             "address_text": r.address_text}
            for r in rows
        ], ensure_ascii=False, indent=2))
        return 0
    print(f"{'code':<11} {'category':<9} {'status':<12} {'lat':>9} {'lon':>10} "
          f"{'channel':<9} {'created (UTC)':<16} media")
    missing = 0
    for r in rows:
        lat = f"{r.lat:.5f}" if r.lat is not None else "-"
        lon = f"{r.lon:.5f}" if r.lon is not None else "-"
        print(f"{r.code:<11} {r.category:<9} {r.status:<12} {lat:>9} {lon:>10} "
              f"{r.channel:<9} {r.created_at:%Y-%m-%d %H:%M} {r.media_count:>5}"
              + (f" ({r.media_missing} missing)" if r.media_missing else ""))
        missing += r.media_missing
    print(f"{len(rows)} report(s)" + (f"; {missing} media could not be downloaded"
                                      if missing else ""))
    return 0
