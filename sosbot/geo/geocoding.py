"""Typed address → point, for reports that come without a location pin.

* ``offline_geocoder.OfflineWardGeocoder`` needs no network: it recognises a ward name in
  free text, either a
  post-2025 ward ("Phường Tân Phú", "p.tan phu", "12 Nguyễn Huệ, phường Sài Gòn") or a pre-2025
  ward with its district ("Phường Bến Nghé, Quận 1", "P. 12, Q. Tân Bình"), converted to the new
  ward with the ``vietnamadminunits`` conversion tables, and answers the ward's representative
  point.
* :class:`GeopyGeocoder` asks a Nominatim server (public or self-hosted) through geopy's
  asynchronous aiohttp adapter, biased to Ho Chi Minh City.
* :class:`ChainGeocoder` tries several in order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from sosbot.geo.wards import WardIndex

log = logging.getLogger(__name__)

#: Longest address text sent to a geocoder (characters).
MAX_TEXT_LENGTH = 1000

GeocodeHow = Literal["ward_name", "old_ward", "geocoder"]

#: Default Nominatim bias box around mainland Ho Chi Minh City: ((north, west), (south, east)).
HCMC_VIEWBOX: tuple[tuple[float, float], tuple[float, float]] = ((11.51, 106.32), (10.32, 107.58))


class GeocodingUnavailable(Exception):
    """The geocoding service could not be reached or failed (network error, timeout, HTTP
    error, unparseable answer); the caller should fall back to something else."""


@dataclass(frozen=True, slots=True)
class GeocodeResult:
    """A geocoded point.  ``ward_code`` is the post-2025 ward when known; ``also`` the
    other post-2025 wards the named place may lie in (an old ward divided between several
    new ones: ``ward_code`` is the one the conversion tables mark as default)."""

    lat: float
    lon: float
    ward_code: str | None
    how: GeocodeHow
    label: str
    also: tuple[str, ...] = ()


class Geocoder(Protocol):
    """Anything that turns typed text into a point."""

    async def geocode(self, text: str) -> GeocodeResult | None:
        """The point for ``text``, or None if it cannot be resolved.  May raise
        :class:`GeocodingUnavailable`."""
        ...


# --------------------------------------------------------------------------------------------
# Online: geopy / Nominatim
# --------------------------------------------------------------------------------------------


class GeopyGeocoder:
    """Nominatim through geopy's asynchronous :class:`~geopy.adapters.AioHTTPAdapter`.

    ``url`` selects a self-hosted server (``"http://127.0.0.1:8080"``,
    ``"https://geo.example.org/nominatim"``); None means the public
    nominatim.openstreetmap.org (mind its usage policy: a real ``user_agent``, ≤ 1 request/s).
    Queries are biased (not restricted) to Ho Chi Minh City.  With a ``ward_index`` the result's
    ``ward_code`` is filled in.  Close with :meth:`aclose` (or use ``async with``).
    """

    def __init__(
        self,
        geocoder_name: str = "nominatim",
        *,
        url: str | None = None,
        user_agent: str,
        timeout_s: float = 5.0,
        viewbox: tuple[tuple[float, float], tuple[float, float]] | None = HCMC_VIEWBOX,
        country_codes: str | None = "vn",
        language: str = "vi",
        ward_index: WardIndex | None = None,
    ) -> None:
        """Configure; nothing is connected until the first :meth:`geocode`."""
        if geocoder_name.strip().lower() != "nominatim":
            raise ValueError(f"unsupported geocoder {geocoder_name!r} (supported: nominatim)")
        if not user_agent.strip():
            raise ValueError("user_agent must identify the application")
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self._domain: str | None = None
        self._scheme: str | None = None
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"bad geocoder url {url!r}")
            self._scheme = parts.scheme
            self._domain = parts.netloc + parts.path.rstrip("/")
        self._user_agent = user_agent
        self._timeout_s = timeout_s
        self._viewbox = viewbox
        self._country_codes = country_codes
        self._language = language
        self._ward_index = ward_index
        self._geocoder: Any = None

    def _client(self) -> Any:
        if self._geocoder is None:
            from geopy.adapters import AioHTTPAdapter
            from geopy.geocoders import Nominatim

            kwargs: dict[str, Any] = {
                "user_agent": self._user_agent,
                "timeout": self._timeout_s,
                "adapter_factory": AioHTTPAdapter,
            }
            if self._domain is not None:
                kwargs["domain"] = self._domain
                kwargs["scheme"] = self._scheme
            self._geocoder = Nominatim(**kwargs)
        return self._geocoder

    async def geocode(self, text: str) -> GeocodeResult | None:
        """Ask the server; None when it finds nothing, :class:`GeocodingUnavailable` when it
        cannot be asked."""
        from geopy.exc import GeocoderServiceError

        query = text.strip()[:MAX_TEXT_LENGTH]
        if not query:
            return None
        kwargs: dict[str, Any] = {"exactly_one": True, "language": self._language}
        if self._country_codes:
            kwargs["country_codes"] = self._country_codes
        if self._viewbox is not None:
            kwargs["viewbox"] = self._viewbox
            kwargs["bounded"] = False
        try:
            location = await self._client().geocode(query, **kwargs)
        except GeocoderServiceError as exc:  # timeouts, connection errors, HTTP errors, bad JSON
            log.warning("geocoder unavailable: %s", exc)
            raise GeocodingUnavailable(str(exc) or type(exc).__name__) from exc
        if location is None:
            return None
        lat, lon = float(location.latitude), float(location.longitude)
        code = None
        if self._ward_index is not None:
            match = self._ward_index.ward_for(lat, lon)
            code = match.ward.code if match.ward is not None else None
        return GeocodeResult(lat, lon, code, "geocoder", str(location.address))

    async def aclose(self) -> None:
        """Close the HTTP session (if one was opened)."""
        if self._geocoder is not None:
            geocoder, self._geocoder = self._geocoder, None
            await geocoder.__aexit__(None, None, None)

    async def __aenter__(self) -> GeopyGeocoder:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


# --------------------------------------------------------------------------------------------
# Chain
# --------------------------------------------------------------------------------------------


class ChainGeocoder:
    """Tries each geocoder in order until one answers.

    A geocoder that returns None or raises :class:`GeocodingUnavailable` passes the question to
    the next.  If none answers, the result is None, unless every one of them was unavailable,
    in which case :class:`GeocodingUnavailable` is raised.
    """

    def __init__(self, geocoders: Sequence[Geocoder]) -> None:
        """Chain ``geocoders`` (tried in this order)."""
        if not geocoders:
            raise ValueError("ChainGeocoder needs at least one geocoder")
        self._geocoders = tuple(geocoders)

    async def geocode(self, text: str) -> GeocodeResult | None:
        """The first answer, see the class docstring."""
        failures: list[GeocodingUnavailable] = []
        for geocoder in self._geocoders:
            try:
                result = await geocoder.geocode(text)
            except GeocodingUnavailable as exc:
                log.info("%s unavailable, trying the next: %s", type(geocoder).__name__, exc)
                failures.append(exc)
                continue
            if result is not None:
                return result
        if len(failures) == len(self._geocoders):
            raise GeocodingUnavailable("; ".join(str(f) for f in failures))
        return None

    async def aclose(self) -> None:
        """Close every chained geocoder that can be closed."""
        for geocoder in self._geocoders:
            closer = getattr(geocoder, "aclose", None)
            if closer is not None:
                await closer()
