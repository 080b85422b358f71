"""``sosbot understand "TEXT" [--json]``: what sosbot reads in a resident's message.

Prints the category and the place named, read by the same code the conversation uses
(``core.understanding`` for the category, ``geo.place_understanding`` for the place), and the
candidate wards with how each was found. Offline by default; with
``SOSBOT_GEOCODER_URL`` set (or ``geocoder.url`` in config.yaml) the online geocoder is asked
too, through Redis (cache and rate limit) like the worker does.
"""

from __future__ import annotations

import argparse
import json
import sys

from sosbot.cli import Commands


def register(commands: Commands) -> None:
    parser = commands.add_parser("understand")
    parser.add_argument("text", help="a resident's message, as typed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sosbot.config import load_settings
    from sosbot.core.understanding import understand
    from sosbot.geo.place_understanding import packaged_reader

    text: str = args.text
    settings = load_settings()
    reader = packaged_reader()
    online_note = "offline"
    url = settings.geocoder.url
    if url:
        from redis import Redis

        from sosbot.geo.nominatim import (
            GeocoderSettings,
            NominatimPlaces,
            PlaceFinder,
            SharedRateLimit,
        )

        cfg = settings.geocoder
        redis = Redis.from_url(settings.redis_url)
        online = NominatimPlaces(
            GeocoderSettings(url=url, user_agent=cfg.user_agent, timeout_s=cfg.timeout_s,
                             limit=cfg.limit, cache_ttl_s=cfg.cache_ttl_s),
            reader.index, redis, SharedRateLimit(redis, 1.0 / cfg.requests_per_s))
        reading, asked = PlaceFinder(reader, online).find(text)
        online_note = f"online geocoder {url}: " + ("asked" if asked else "unavailable")
    else:
        reading = reader.read(text)
    guessed = understand(text).category  # what the conversation states back to the resident
    category = guessed.value if guessed is not None else None
    if args.json:
        json.dump({"category": category, "place_text": reading.place_text,
                   "candidates": [{"ward_code": c.ward_code, "ward_name": c.ward_name,
                                   "lat": round(c.lat, 6), "lon": round(c.lon, 6),
                                   "how": c.how} for c in reading.candidates]},
                  sys.stdout, ensure_ascii=False)
        print()
        return 0
    print(f"category: {category or '(not recognised)'}")
    print(f"place:    {reading.place_text or '(none named)'}  [{online_note}]")
    if not reading.candidates:
        print("no candidate ward: ask the resident for a pin or a point on the map")
    for i, c in enumerate(reading.candidates, 1):
        print(f"  {i}. {c.ward_name} ({c.ward_code})  {c.lat:.5f},{c.lon:.5f}  "
              f"by {c.how}: {c.label}")
    return 0
