"""Coordinates out of a shared map link (Google Maps, OpenStreetMap, Apple, Bing, ``geo:``).

Messenger has no location attachment any more: a resident who shares a place from a map app
sends a link, which reaches the webhook as a ``fallback`` attachment. Many such links carry
the point itself; this module finds it. Short links (``maps.app.goo.gl/…``) carry none and
give ``None``: the conversation then treats the link as text.
"""

from __future__ import annotations

import logging
import math
import re
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)

_NUM = r"[-+]?\d{1,3}(?:\.\d+)?"
_PAIR = re.compile(rf"^\s*(?:loc:)?\s*({_NUM})\s*[,~]\s*({_NUM})(?:[,;].*)?\s*$")
_AT = re.compile(rf"@({_NUM}),({_NUM})")
_DATA_3D4D = re.compile(rf"!3d({_NUM})!4d({_NUM})")
_MAP_FRAGMENT = re.compile(rf"map=\d+(?:\.\d+)?/({_NUM})/({_NUM})")
_GEO_URI = re.compile(rf"^geo:({_NUM}),({_NUM})")
# Query parameters that hold "lat,lon", in order of preference.
_PAIR_PARAMS = ("q", "query", "ll", "sll", "center", "destination", "daddr", "saddr",
                "where1", "cp", "coordinates")
# Facebook wraps outgoing links in a redirect that carries the real URL in ``u``.
_REDIRECT_HOSTS = ("l.facebook.com", "lm.facebook.com", "l.messenger.com")


def coordinates_from_url(url: str) -> tuple[float, float] | None:
    """``(lat, lon)`` from a map link, or None when the link holds no usable point."""
    url = _unwrap(url.strip())
    geo = _GEO_URI.match(url)
    if geo:
        return _valid(geo.group(1), geo.group(2))
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    query = parse_qs(parts.query)
    # Explicit marker first: OSM puts the marker in mlat/mlon and the view in #map.
    if "mlat" in query and "mlon" in query:
        found = _valid(query["mlat"][0], query["mlon"][0])
        if found:
            return found
    for name in _PAIR_PARAMS:
        for value in query.get(name, ()):
            match = _PAIR.match(unquote(value))
            if match:
                found = _valid(match.group(1), match.group(2))
                if found:
                    return found
    path = unquote(parts.path)
    for pattern in (_DATA_3D4D, _AT):
        match = pattern.search(path) or pattern.search(unquote(parts.query))
        if match:
            found = _valid(match.group(1), match.group(2))
            if found:
                return found
    fragment = _MAP_FRAGMENT.search(parts.fragment)
    if fragment:
        return _valid(fragment.group(1), fragment.group(2))
    return None


def urls_in(text: str) -> list[str]:
    """The http(s) URLs written in ``text``, in order."""
    return re.findall(r"https?://[^\s<>\"']+", text)


def _unwrap(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.hostname in _REDIRECT_HOSTS:
        target = parse_qs(parts.query).get("u")
        if target:
            return target[0]
    return url


def _valid(lat_text: str, lon_text: str) -> tuple[float, float] | None:
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    if lat == 0.0 and lon == 0.0:  # "null island": an unset point, not a place
        return None
    return lat, lon
