"""``sosbot reports``: the stored reports, newest first."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from sosbot.cli import Commands
from sosbot.config import load_settings
from sosbot.runtime import engine_for
from sosbot.storage.db import transaction
from sosbot.storage.reports import list_reports


def register(commands: Commands) -> None:
    parser = commands.add_parser("reports")
    parser.add_argument("--json", action="store_true", help="a JSON array instead of a table")
    parser.add_argument("--limit", type=int, default=1000)
    parser.set_defaults(func=run)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def run(args: argparse.Namespace) -> int:
    engine = engine_for(load_settings())
    with transaction(engine) as session:
        rows = list_reports(session, args.limit)
    if args.json:
        print(json.dumps([
            {"code": r.code, "category": r.category.value, "status": r.status.value,
             "lat": r.location.lat if r.location else None,
             "lon": r.location.lon if r.location else None,
             "accuracy_m": r.location.accuracy_m if r.location else None,
             "channel": r.channel.value, "created_at": _iso(r.created_at_epoch),
             "media_count": r.media_count, "media_missing": r.media_missing,
             "ward_code": r.ward_code, "description": r.description,
             "address_text": r.address_text}
            for r in rows
        ], ensure_ascii=False, indent=2))
        return 0
    print(f"{'code':<11} {'category':<9} {'status':<12} {'lat':>9} {'lon':>10} "
          f"{'channel':<9} {'created (UTC)':<16} media")
    missing = 0
    for r in rows:
        lat = f"{r.location.lat:.5f}" if r.location else "-"
        lon = f"{r.location.lon:.5f}" if r.location else "-"
        created = datetime.fromtimestamp(r.created_at_epoch, UTC)
        print(f"{r.code:<11} {r.category.value:<9} {r.status.value:<12} {lat:>9} {lon:>10} "
              f"{r.channel.value:<9} {created:%Y-%m-%d %H:%M} {r.media_count:>5}"
              + (f" ({r.media_missing} missing)" if r.media_missing else ""))
        missing += r.media_missing
    print(f"{len(rows)} report(s)" + (f"; {missing} media could not be downloaded"
                                      if missing else ""))
    return 0
