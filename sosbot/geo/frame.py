"""The local metric frame for geometry in Ho Chi Minh City, and loading the GeoJSON data.

An equirectangular projection around :data:`REFERENCE_LAT` (10.8°N): tolerances and
distances are in metres, with a scale error below 0.7 % anywhere in the city.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

FloatArray = npt.NDArray[np.float64]

#: Latitude (degrees) of the equirectangular projection's standard parallel.
REFERENCE_LAT = 10.8
_EARTH_RADIUS_M = 6_371_008.8
#: Metres per degree of longitude / latitude in the local frame.
M_PER_DEG_LON = _EARTH_RADIUS_M * math.cos(math.radians(REFERENCE_LAT)) * math.pi / 180.0
M_PER_DEG_LAT = _EARTH_RADIUS_M * math.pi / 180.0


def project(lats: npt.ArrayLike, lons: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Project WGS84 latitudes/longitudes to the local metric frame, returning ``(x, y)``."""
    x = np.asarray(lons, dtype=np.float64) * M_PER_DEG_LON
    y = np.asarray(lats, dtype=np.float64) * M_PER_DEG_LAT
    return x, y


def project_geometries(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    scale = np.array([M_PER_DEG_LON, M_PER_DEG_LAT])
    return cast(
        npt.NDArray[np.object_],
        shapely.transform(geoms, lambda coords: coords * scale),
    )


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygonal parts of ``geom`` (``make_valid`` can emit lines/points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    polys: list[BaseGeometry] = []
    for part in parts:
        polys.extend(shapely.get_parts(part))
    return shapely.MultiPolygon(polys)


def load_features(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    if data.get("type") != "FeatureCollection":
        raise ValueError(f"{path}: expected a GeoJSON FeatureCollection")
    return cast(list[dict[str, Any]], data["features"])


def check_finite(x: FloatArray, y: FloatArray) -> None:
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("latitude/longitude must be finite numbers")
