"""The ward polygons the location page draws as its base map, small enough for a phone.

The 168 ward MultiPolygons (5 MB of GeoJSON) are simplified as one coverage with
``shapely.coverage_simplify``: every shared border is simplified once, so neighbouring
wards still meet exactly (simplifying polygon by polygon would open gaps and overlaps
along every border). Work is done in metres (an equirectangular frame around the city), so
``tolerance_m`` means what it says; coordinates are then rounded to 5 decimals (about 1 m)
and written as compact GeoJSON with each ward's ``code``, ``name`` (Vietnamese, e.g.
"Phường Tân Phú"), ``name_en`` and ``label`` (a ``[lon, lat]`` inside it for its name).
"""

from __future__ import annotations

import gzip
import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import mapping, shape

log = logging.getLogger(__name__)

REFERENCE_LAT = 10.8
_EARTH_RADIUS_M = 6_371_008.8
_M_PER_DEG_LAT = _EARTH_RADIUS_M * math.pi / 180.0
_M_PER_DEG_LON = _M_PER_DEG_LAT * math.cos(math.radians(REFERENCE_LAT))
DECIMALS = 5

Coords = npt.NDArray[np.float64]


def _to_metres(coords: Coords) -> Coords:
    return coords * np.array([_M_PER_DEG_LON, _M_PER_DEG_LAT])


def _to_degrees(coords: Coords) -> Coords:
    return coords / np.array([_M_PER_DEG_LON, _M_PER_DEG_LAT])


def _rounded(value: Any) -> Any:
    """Coordinates rounded, with points that rounding made equal dropped from each ring."""
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], float):
        return [round(value[0], DECIMALS), round(value[1], DECIMALS)]
    if isinstance(value, (list, tuple)) and value and _is_ring(value):
        ring: list[list[float]] = []
        for point in value:
            rounded = [round(point[0], DECIMALS), round(point[1], DECIMALS)]
            if not ring or rounded != ring[-1]:
                ring.append(rounded)
        return ring
    if isinstance(value, (list, tuple)):
        return [_rounded(item) for item in value]
    return value


def _is_ring(value: Any) -> bool:
    first = value[0]
    return isinstance(first, (list, tuple)) and bool(first) and isinstance(first[0], float)


def _label_point(geometry: shapely.Geometry) -> list[float]:
    """Where the ward's name goes: a point surely inside its largest part."""
    parts = list(getattr(geometry, "geoms", [geometry]))
    largest = max(parts, key=lambda part: part.area)
    point = shapely.point_on_surface(largest)
    return [round(point.x, DECIMALS), round(point.y, DECIMALS)]


def build_ward_shapes(wards_geojson_gz: Path, tolerance_m: float = 30) -> bytes:
    """Compact GeoJSON of the simplified wards (UTF-8 bytes, a few hundred kB)."""
    with gzip.open(wards_geojson_gz, "rt", encoding="utf-8") as handle:
        source = json.load(handle)
    features = source["features"]
    geometries = np.array([shape(f["geometry"]) for f in features], dtype=object)
    metric = shapely.transform(geometries, _to_metres)
    simplified = shapely.coverage_simplify(metric, tolerance_m, simplify_boundary=True)
    degrees = shapely.transform(simplified, _to_degrees)
    out_features = []
    for feature, geometry in zip(features, degrees, strict=True):
        props = feature["properties"]
        geo = mapping(geometry)
        out_features.append({
            "type": "Feature",
            "properties": {"code": str(props["code"]),
                           "name": props.get("full_name") or props["name"],
                           "name_en": props.get("full_name_en") or props.get("name_en") or "",
                           "label": _label_point(geometry)},
            "geometry": {"type": geo["type"], "coordinates": _rounded(geo["coordinates"])},
        })
    body = {"type": "FeatureCollection", "features": out_features}
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    log.info("ward shapes: %d wards, %d bytes at %.0f m tolerance", len(out_features),
             len(data), tolerance_m)
    return data
