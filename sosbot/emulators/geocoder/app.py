"""GET /search, shaped like Nominatim's, answered from the gazetteer file.

Nominatim's search API (https://nominatim.org/release-docs/latest/api/Search/ and
.../api/Output/, checked 2026-12-07): ``q``, ``format`` (``json``: the OSM key as ``class``;
``jsonv2``: as ``category``, plus ``place_rank``, ``addresstype``, ``name``),
``countrycodes`` (comma-separated ISO 3166-1 alpha-2), ``viewbox=<x1>,<y1>,<x2>,<y2>``
(longitudes and latitudes of two corners), ``bounded=1`` (only results inside the viewbox),
``limit`` (default 10, at most 40). A result has ``place_id``, ``licence``, ``osm_type``,
``osm_id``, ``lat`` and ``lon`` as strings, ``display_name``, the class/category and
``type``, ``importance`` and ``boundingbox`` ([min lat, max lat, min lon, max lon], strings).

From the public server's usage policy (https://operations.osmfoundation.org/policies/nominatim/,
checked 2026-12-07), what a client must cope with: a request without a User-Agent
identifying the application is refused (403 here), and more than one request per second from
one client is refused (429 here, per client address and User-Agent).

``answer_delay_s`` makes every search answer that much later, as a loaded or distant server
would (the benchmarks' slow geocoder; 0 by default).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from sosbot.emulators.common.ratelimit import SlidingWindowLimiter
from sosbot.emulators.geocoder.matching import Hit, search

log = logging.getLogger(__name__)

LICENCE = "Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright"
DEFAULT_LIMIT = 10
MAX_LIMIT = 40
# kind in the gazetteer → (OSM key, value) as Nominatim reports it
_OSM_TAGS = {
    "market": ("amenity", "marketplace"), "hospital": ("amenity", "hospital"),
    "school": ("amenity", "university"), "bridge": ("man_made", "bridge"),
    "station": ("public_transport", "station"), "airport": ("aeroway", "aerodrome"),
    "intersection": ("highway", "junction"), "landmark": ("tourism", "attraction"),
    "street": ("highway", "primary"),
}


@dataclass(frozen=True)
class GeocoderEmulatorConfig:
    gazetteer_path: Path
    requests_per_s: float = 1.0  # per client; the public server's policy
    answer_delay_s: float = 0.0  # each search answers this much later (a slow server)
    clock: Callable[[], float] = time.monotonic


@dataclass
class GeocoderState:
    config: GeocoderEmulatorConfig
    gazetteer: dict[str, Any]
    limiter: SlidingWindowLimiter
    requests: int = 0  # answered /search requests (200 or not), for the tests


STATE_KEY = web.AppKey("geocoder_state", GeocoderState)


def create_app(config: GeocoderEmulatorConfig) -> web.Application:
    """The emulator's aiohttp application."""
    gazetteer = json.loads(config.gazetteer_path.read_text(encoding="utf-8"))
    limiter = SlidingWindowLimiter(1, 1.0 / config.requests_per_s, clock=config.clock)
    app = web.Application()
    app[STATE_KEY] = GeocoderState(config, gazetteer, limiter)
    app.router.add_get("/search", _search)
    app.router.add_get("/status", _status)
    return app


async def _status(request: web.Request) -> web.Response:
    return web.Response(text="OK")


async def _search(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    state.requests += 1
    agent = request.headers.get("User-Agent", "").strip()
    if not agent:
        log.info("geocoder emulator: 403, no User-Agent from %s", request.remote)
        return web.Response(status=403, text="Access blocked: identify your application "
                                             "with a User-Agent (usage policy).")
    wait = state.limiter.try_acquire((request.remote, agent))
    if wait > 0:
        log.info("geocoder emulator: 429 for %s (%s)", request.remote, agent)
        return web.Response(status=429, text="Too many requests: at most one per second.",
                            headers={"Retry-After": str(max(1, round(wait)))})
    q = request.query
    fmt = q.get("format", "xml")
    if fmt not in ("json", "jsonv2"):
        return web.Response(status=400, text="format: only json and jsonv2 are emulated")
    query = q.get("q", "").strip()
    if not query:
        return web.json_response([])
    try:
        limit = min(max(int(q.get("limit", DEFAULT_LIMIT)), 1), MAX_LIMIT)
        box = _viewbox(q.get("viewbox"))
    except ValueError as exc:
        return web.Response(status=400, text=f"bad parameter: {exc}")
    countries = {c.strip().lower() for c in q.get("countrycodes", "").split(",") if c.strip()}
    if countries and "vn" not in countries:
        return web.json_response([])
    if state.config.answer_delay_s > 0:
        await asyncio.sleep(state.config.answer_delay_s)
    hits = search(state.gazetteer, query)
    if box is not None and q.get("bounded") == "1":
        hits = [h for h in hits if box[0] <= h.lon <= box[2] and box[1] <= h.lat <= box[3]]
    return web.json_response([_result(h, fmt) for h in hits[:limit]])


def _viewbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) from ``x1,y1,x2,y2`` in any corner order."""
    if not raw:
        return None
    parts = [float(p) for p in raw.split(",")]
    if len(parts) != 4:
        raise ValueError("viewbox needs four numbers")
    x1, y1, x2, y2 = parts
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def _result(hit: Hit, fmt: str) -> dict[str, Any]:
    entry = hit.entry
    key, value = _OSM_TAGS.get(entry["kind"], ("place", "locality"))
    name = entry["name"]
    if hit.number is not None:
        key, value, name = "place", "house", f"{hit.number} {entry['name']}"
    ident = zlib.crc32(f"{entry['id']}#{hit.number}".encode())
    ward = entry.get("ward_name") or entry["anchors"][0]["ward_name"]
    d = 0.0005
    out: dict[str, Any] = {
        "place_id": ident, "licence": LICENCE, "osm_type": "node", "osm_id": ident,
        "lat": f"{hit.lat:.7f}", "lon": f"{hit.lon:.7f}",
        "display_name": f"{name}, Phường {ward}, Thành phố Hồ Chí Minh, Việt Nam",
        "type": value, "importance": round(min(0.3 + 0.1 * hit.words, 0.9), 5),
        "boundingbox": [f"{hit.lat - d:.7f}", f"{hit.lat + d:.7f}",
                        f"{hit.lon - d:.7f}", f"{hit.lon + d:.7f}"],
    }
    if fmt == "jsonv2":
        out.update({"category": key, "place_rank": 30, "addresstype": value, "name": name})
    else:
        out["class"] = key
    return out
