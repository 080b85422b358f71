"""Typed places through a Nominatim-compatible geocoder (geopy), for the worker.

``SOSBOT_GEOCODER_URL`` (or ``geocoder.url`` in config.yaml) is the base URL of a self-hosted
Nominatim or Photon-with-Nominatim-API; unset, there is no online geocoder and the offline
reading (:mod:`sosbot.geo.place_understanding`) is all there is. Every query is:

- bounded to the city (the outline's box as ``viewbox``, ``bounded=1``, ``countrycodes=vn``),
  and any answer outside the service area dropped, the rest mapped to their 2025 ward;
- cached in Redis by its normalised words (a hash: the resident's text is not a Redis key),
  for ``cache_ttl_s``;
- rate limited in Redis, shared by every worker (default one request per second, the public
  Nominatim's policy and a sane load for a small self-hosted one), waiting at most
  ``max_wait_s`` for its turn;
- given ``timeout_s`` to answer.

This runs in a worker job only, never in a webhook request (it blocks).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from redis import Redis

from sosbot.geo.geocoding import MAX_TEXT_LENGTH, GeocodingUnavailable
from sosbot.geo.place_understanding import Candidate, PlaceReader, PlaceReading
from sosbot.geo.place_words import words
from sosbot.geo.wards import WardIndex

log = logging.getLogger(__name__)

CACHE_PREFIX = "sosbot:geocode:"
RATE_KEY = "sosbot:geocoder:next"

# The slot after the last request, in ms of the caller's clock: take it when due, otherwise
# say how long to wait. One round trip, atomic across workers.
_TAKE_SLOT = """
local due = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
if now >= due then
  redis.call('SET', KEYS[1], now + tonumber(ARGV[2]), 'PX', tonumber(ARGV[3]))
  return 0
end
return due - now
"""


def parse_geocoder_url(url: str) -> tuple[str, str]:
    """``(scheme, domain)`` for geopy from a base URL ("http://127.0.0.1:8084",
    "https://geo.example.org/nominatim"); ValueError when it is not an http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
            or parts.fragment:
        raise ValueError(f"not an http(s) base URL: {url!r}")
    return parts.scheme, parts.netloc + parts.path.rstrip("/")


class SharedRateLimit:
    """At most one request per ``interval_s`` across every process sharing ``redis``."""

    def __init__(self, redis: Redis, interval_s: float, *, key: str = RATE_KEY,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep, max_wait_s: float = 10.0) -> None:
        """``clock`` (seconds) and ``sleep`` are injectable for the tests."""
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self._redis = redis
        self._interval_ms = int(interval_s * 1000)
        self._key = key
        self._clock = clock
        self._sleep = sleep
        self._max_wait_s = max_wait_s
        self._script = redis.register_script(_TAKE_SLOT)

    def acquire(self) -> None:
        """Wait for this process's turn; GeocodingUnavailable if it would wait too long."""
        waited = 0.0
        while True:
            wait_ms = int(self._script(keys=[self._key], args=[
                int(self._clock() * 1000), self._interval_ms, self._interval_ms * 10]))
            if wait_ms <= 0:
                return
            if waited + wait_ms / 1000 > self._max_wait_s:
                raise GeocodingUnavailable("geocoder rate limit: no turn within "
                                           f"{self._max_wait_s:g} s")
            self._sleep(wait_ms / 1000)
            waited += wait_ms / 1000


@dataclass(frozen=True)
class GeocoderSettings:
    """What :class:`NominatimPlaces` needs from the configuration."""

    url: str
    user_agent: str = "sosbot/1 (Ho Chi Minh City police emergency intake)"
    timeout_s: float = 5.0
    limit: int = 5
    cache_ttl_s: int = 24 * 3600


class NominatimPlaces:
    """Candidates for a typed place from a Nominatim-compatible server (see the module
    docstring)."""

    def __init__(self, settings: GeocoderSettings, index: WardIndex, redis: Redis,
                 rate: SharedRateLimit, *, geolocator: Any = None) -> None:
        """Configure; ``geolocator`` replaces geopy's Nominatim (tests only)."""
        self.settings = settings
        self._index = index
        self._redis = redis
        self._rate = rate
        if geolocator is None:
            from geopy.adapters import URLLibAdapter
            from geopy.geocoders import Nominatim

            scheme, domain = parse_geocoder_url(settings.url)
            geolocator = Nominatim(user_agent=settings.user_agent, domain=domain,
                                   scheme=scheme, timeout=settings.timeout_s,
                                   adapter_factory=URLLibAdapter)
        self._geolocator = geolocator
        if index.city is None:
            raise ValueError("the ward index needs the city outline (for the viewbox)")
        min_lat, min_lon, max_lat, max_lon = index.city.bbox
        self._viewbox = [(max_lat, min_lon), (min_lat, max_lon)]

    @staticmethod
    def cache_key(text: str) -> str:
        """The Redis key of a query: a hash of its normalised words."""
        normal = " ".join(w.plain for w in words(text[:MAX_TEXT_LENGTH]))
        return CACHE_PREFIX + hashlib.sha256(normal.encode()).hexdigest()

    def candidates(self, text: str) -> list[Candidate]:
        """The server's answers inside the service area, each with its ward; [] when it
        found nothing; GeocodingUnavailable when it cannot be asked."""
        from geopy.exc import GeocoderServiceError

        query = text.strip()[:MAX_TEXT_LENGTH]
        if not query:
            return []
        key = self.cache_key(query)
        cached = self._redis.get(key)
        if cached is not None:
            return [Candidate(**c) for c in json.loads(cached)]
        self._rate.acquire()
        try:
            found = self._geolocator.geocode(
                query, exactly_one=False, limit=self.settings.limit, language="vi",
                country_codes="vn", viewbox=self._viewbox, bounded=True) or []
        except GeocoderServiceError as exc:  # timeouts, refusals (403/429), bad answers
            log.warning("geocoder unavailable: %s", exc)
            raise GeocodingUnavailable(str(exc) or type(exc).__name__) from exc
        out: list[Candidate] = []
        for location in found:
            lat, lon = float(location.latitude), float(location.longitude)
            ward = self._index.ward_for(lat, lon).ward
            if ward is None:
                log.info("geocoder answer outside the service area dropped: %.5f,%.5f",
                         lat, lon)
                continue
            out.append(Candidate(ward.code, ward.name, lat, lon, "nominatim",
                                 str(location.address)[:200]))
        if self.settings.cache_ttl_s:
            self._redis.set(key, json.dumps([c.as_dict() for c in out]),
                            ex=self.settings.cache_ttl_s)
        return out


class PlaceFinder:
    """The offline reading, with the online geocoder's answers when there is one and it
    answers; the offline reading alone when it is unset, down or slow."""

    def __init__(self, reader: PlaceReader, online: NominatimPlaces | None = None) -> None:
        self.reader = reader
        self.online = online

    def find(self, text: str) -> tuple[PlaceReading, bool]:
        """The reading, and whether the online geocoder was asked successfully."""
        answers: list[Candidate] = []
        asked = False
        if self.online is not None:
            try:
                answers = self.online.candidates(text)
                asked = True
            except GeocodingUnavailable as exc:
                log.info("online geocoder unavailable, offline reading only: %s", exc)
        return self.reader.read(text, online=answers), asked
