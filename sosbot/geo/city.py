"""The city outline: is a point in Ho Chi Minh City at all?"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from sosbot.geo.frame import (
    M_PER_DEG_LAT,
    M_PER_DEG_LON,
    FloatArray,
    load_features,
    project,
    project_geometries,
)

log = logging.getLogger(__name__)

DEFAULT_CITY_TOLERANCE_M = 50.0


class CityOutline:
    """The city's outline, for "is this pin in Ho Chi Minh City at all?".

    :meth:`contains` is True within ``tolerance_m`` (default 50 m) of the outline, so pins on the
    coast or on the provincial border are not refused.  Note that the published outline is
    much coarser than the ward polygons (their borders differ by ~150 m on median), so the
    ward polygons take precedence wherever both are available.
    """

    def __init__(
        self, geometry_lonlat: BaseGeometry, *, tolerance_m: float = DEFAULT_CITY_TOLERANCE_M
    ) -> None:
        """Build from a (Multi)Polygon in ``[lon, lat]`` order."""
        if tolerance_m < 0:
            raise ValueError("tolerance_m must be >= 0")
        self.tolerance_m = tolerance_m
        projected = project_geometries(np.array([shapely.make_valid(geometry_lonlat)]))[0]
        self._area: BaseGeometry = (
            shapely.buffer(projected, tolerance_m, quad_segs=4) if tolerance_m else projected
        )
        shapely.prepare(self._area)
        min_lon, min_lat, max_lon, max_lat = geometry_lonlat.bounds
        self.bbox: tuple[float, float, float, float] = (min_lat, min_lon, max_lat, max_lon)
        """``(min_lat, min_lon, max_lat, max_lon)`` of the outline itself."""

    @classmethod
    def from_file(cls, path: Path, *, tolerance_m: float = DEFAULT_CITY_TOLERANCE_M) -> CityOutline:
        """Load the outline from a gzipped GeoJSON FeatureCollection (all features unioned)."""
        features = load_features(path)
        geoms = [shapely.geometry.shape(f["geometry"]) for f in features]
        if not geoms:
            raise ValueError(f"{path}: no features")
        outline = shapely.union_all(shapely.make_valid(np.array(geoms)))
        log.debug("city outline %s: %d vertices", path, shapely.get_num_coordinates(outline))
        return cls(outline, tolerance_m=tolerance_m)

    def contains(self, lat: float, lon: float) -> bool:
        """True if the point is in the city (or within the tolerance of its outline)."""
        x, y = lon * M_PER_DEG_LON, lat * M_PER_DEG_LAT
        return bool(shapely.intersects_xy(self._area, x, y))

    def contains_many(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Vectorised :meth:`contains`."""
        x, y = project(lats, lons)
        return self._contains_xy(x, y)

    def _contains_xy(self, x: FloatArray, y: FloatArray) -> npt.NDArray[np.bool_]:
        return cast(npt.NDArray[np.bool_], shapely.intersects_xy(self._area, x, y))
