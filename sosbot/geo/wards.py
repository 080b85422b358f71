"""Ward geometry: which ward (phường / xã / đặc khu) of Ho Chi Minh City a point lies in.

The city's 168 commune-level units after the 1 July 2025 reform are loaded from a gzipped
GeoJSON FeatureCollection (WGS84, ``[lon, lat]``).  All geometry work is done in a local metric
frame: an equirectangular projection around :data:`REFERENCE_LAT` (10.8°N), so tolerances and
distances are in metres.  The scale error of that projection is below 0.7 % anywhere in the
city (Côn Đảo, at 8.7°N, is the worst case), i.e. about 3 m at the 500 m "nearest" limit.

Classification of a point (see :class:`WardMatch`):

``inside``
    inside exactly one ward and farther than the boundary tolerance (default 5 m) from any
    other ward.
``boundary``
    within the boundary tolerance of two or more wards (on a shared border, or in one of the
    tiny slivers, a few m² each, where neighbouring polygons overlap or leave a gap).
    ``touching`` lists them all (sorted by code); the primary ward is the one whose interior
    contains the point, else the lowest code.
``nearest``
    in no ward, but within ``nearest_max_m`` (default 500 m) of one and inside the city
    outline (with its own tolerance, default 50 m).  A point within the boundary tolerance of
    a single ward (a pin a few metres off the coast line) is always ``nearest``, whatever the
    outline says: the ward polygons are more precise than the outline.
``outside``
    anything else: ``ward`` is None.

The ward polygons are authoritative: a point inside a ward polygon is ``inside``/``boundary``
even where the (much coarser) city outline disagrees.

The records a lookup answers (:class:`Ward`, :class:`WardMatch`, :class:`WardNear`) are in
``sosbot.geo.ward_matches``; many points at once are classified by ``sosbot.geo.ward_batches``
(:meth:`WardIndex.classify` and :meth:`WardIndex.wards_for` call it).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from sosbot.geo import ward_batches
from sosbot.geo.city import DEFAULT_CITY_TOLERANCE_M, CityOutline
from sosbot.geo.frame import (
    M_PER_DEG_LAT,
    M_PER_DEG_LON,
    load_features,
    polygonal,
    project_geometries,
)
from sosbot.geo.ward_batches import WardBatch
from sosbot.geo.ward_matches import Ward, WardMatch, WardNear
from sosbot.geo.ward_names import (
    NAME_PREFIX_RE,
    NAME_SUFFIX_RE,
    has_diacritics,
    name_keys,
)

__all__ = ["WardIndex"]

log = logging.getLogger(__name__)

DEFAULT_BOUNDARY_TOLERANCE_M = 5.0
DEFAULT_NEAREST_MAX_M = 500.0


class WardIndex:
    """Point → ward lookups over the city's ward polygons (see the module docstring)."""

    def __init__(
        self,
        wards: Sequence[Ward],
        geometries_lonlat: Sequence[BaseGeometry],
        city: CityOutline | None = None,
        *,
        boundary_tolerance_m: float = DEFAULT_BOUNDARY_TOLERANCE_M,
        nearest_max_m: float = DEFAULT_NEAREST_MAX_M,
    ) -> None:
        """Build the index.

        ``geometries_lonlat[i]`` is the (Multi)Polygon of ``wards[i]`` in ``[lon, lat]`` order.
        Without a ``city`` outline, ``nearest`` is decided by distance alone.
        """
        if len(wards) != len(geometries_lonlat):
            raise ValueError("wards and geometries differ in length")
        if boundary_tolerance_m < 0 or nearest_max_m < boundary_tolerance_m:
            raise ValueError("need 0 <= boundary_tolerance_m <= nearest_max_m")
        order = sorted(range(len(wards)), key=lambda i: wards[i].code)
        self._wards: tuple[Ward, ...] = tuple(wards[i] for i in order)
        if len({w.code for w in self._wards}) != len(self._wards):
            raise ValueError("duplicate ward codes")
        self._by_code = {w.code: i for i, w in enumerate(self._wards)}
        self.city = city
        self.boundary_tolerance_m = float(boundary_tolerance_m)
        self.nearest_max_m = float(nearest_max_m)

        raw = np.empty(len(order), dtype=object)
        raw[:] = [geometries_lonlat[i] for i in order]
        projected = project_geometries(raw)
        valid = shapely.is_valid(projected)
        if not valid.all():
            log.info("repairing %d invalid ward geometries", int((~valid).sum()))
        fixed = shapely.make_valid(projected)
        self._geoms = np.array([polygonal(g) for g in fixed], dtype=object)
        shapely.prepare(self._geoms)
        self._warm_up()
        self._tree = shapely.STRtree(self._geoms)
        self._centroids = self._representative_points()
        self._names = self._build_name_table()

    # ----- construction ---------------------------------------------------------------------

    @classmethod
    def from_file(
        cls,
        path: Path,
        city_path: Path | None = None,
        *,
        boundary_tolerance_m: float = DEFAULT_BOUNDARY_TOLERANCE_M,
        nearest_max_m: float = DEFAULT_NEAREST_MAX_M,
        city_tolerance_m: float = DEFAULT_CITY_TOLERANCE_M,
    ) -> WardIndex:
        """Load the wards from a gzipped GeoJSON FeatureCollection, and the city outline from
        ``city_path`` if given (see :meth:`CityOutline.from_file`)."""
        features = load_features(path)
        wards: list[Ward] = []
        geoms: list[BaseGeometry] = []
        for feature in features:
            props = feature["properties"]
            unit_type = props["unit_type"]
            if unit_type not in ("phuong", "xa", "dac_khu"):
                raise ValueError(f"{path}: ward {props.get('code')}: bad unit_type {unit_type!r}")
            wards.append(
                Ward(
                    code=str(props["code"]),
                    name=props["name"],
                    name_en=props["name_en"],
                    full_name=props["full_name"],
                    full_name_en=props["full_name_en"],
                    unit_type=unit_type,
                    area_km2=float(props["area_km2"]),
                )
            )
            geoms.append(shapely.geometry.shape(feature["geometry"]))
        city = (
            CityOutline.from_file(city_path, tolerance_m=city_tolerance_m)
            if city_path is not None
            else None
        )
        index = cls(
            wards,
            geoms,
            city,
            boundary_tolerance_m=boundary_tolerance_m,
            nearest_max_m=nearest_max_m,
        )
        log.info(
            "loaded %d wards (%d vertices) from %s",
            len(wards),
            int(shapely.get_num_coordinates(index._geoms).sum()),
            path,
        )
        return index

    def _warm_up(self) -> None:
        """Build the prepared geometries' lazy indexes (point-in-area locator and facet-distance
        index) now, rather than during the first lookups that need them."""
        bounds = shapely.bounds(self._geoms)
        corners = shapely.points(bounds[:, 0], bounds[:, 1])
        shapely.intersects_xy(self._geoms, bounds[:, 0], bounds[:, 1])
        shapely.dwithin(self._geoms, corners, 1.0)

    def _representative_points(self) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for geom in self._geoms:
            parts = shapely.get_parts(geom)
            largest = parts[int(np.argmax(shapely.area(parts)))]
            pt = shapely.point_on_surface(largest)
            out.append((pt.y / M_PER_DEG_LAT, pt.x / M_PER_DEG_LON))
        return out

    def _build_name_table(self) -> dict[str, list[int]]:
        table: dict[str, list[int]] = {}
        for i, ward in enumerate(self._wards):
            for name in {ward.name, ward.name_en}:
                plain, _ = name_keys(name)
                table.setdefault(plain, [])
                if i not in table[plain]:
                    table[plain].append(i)
        return table

    # ----- simple accessors -----------------------------------------------------------------

    @property
    def wards(self) -> tuple[Ward, ...]:
        """All wards, sorted by code."""
        return self._wards

    def by_code(self, code: str) -> Ward:
        """The ward with this code; :class:`KeyError` if there is none."""
        try:
            return self._wards[self._by_code[code]]
        except KeyError:
            raise KeyError(f"no ward with code {code!r}") from None

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __len__(self) -> int:
        return len(self._wards)

    def centroid(self, code: str) -> tuple[float, float]:
        """A representative ``(lat, lon)`` of the ward, guaranteed to lie inside it
        (``point_on_surface`` of its largest part)."""
        if code not in self._by_code:
            raise KeyError(f"no ward with code {code!r}")
        return self._centroids[self._by_code[code]]

    def find_by_name(self, text: str) -> list[Ward]:
        """Wards whose name is ``text`` (Vietnamese or English; prefix such as "Phường"/"P."/
        "Xã"/"Đặc khu" and suffix "Ward" optional; diacritics optional).

        If ``text`` carries diacritics and some ward's name matches them exactly (tone-mark
        placement aside), only those are returned, so ``"Thạnh An"`` finds one ward while
        ``"thanh an"`` finds both "Thanh An" and "Thạnh An".  Returns [] if nothing matches.
        """
        bare = NAME_SUFFIX_RE.sub("", NAME_PREFIX_RE.sub("", text, count=1))
        plain, accented = name_keys(bare)
        found = [self._wards[i] for i in self._names.get(plain, [])]
        if has_diacritics(text) and len(found) > 1:
            exact = [w for w in found if name_keys(w.name)[1] == accented]
            if exact:
                return exact
        return found

    # ----- single lookups -------------------------------------------------------------------

    def in_service_area(self, lat: float, lon: float) -> bool:
        """Is a report from here the city's to take? In (or next to) a ward, or inside the
        city outline. The ward polygons decide first: they are more precise than the
        outline, which misses strips of wards along the rivers and the coast."""
        if self.ward_for(lat, lon).ward is not None:
            return True
        return self.city is not None and self.city.contains(lat, lon)

    def ward_for(self, lat: float, lon: float) -> WardMatch:
        """Classify one point (WGS84 degrees).  Raises ValueError on non-finite input."""
        x = float(lon) * M_PER_DEG_LON
        y = float(lat) * M_PER_DEG_LAT
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError("latitude/longitude must be finite numbers")
        tol = self.boundary_tolerance_m
        geoms = self._geoms
        # wards whose bounding box is within the tolerance, in code order
        cand = np.sort(self._tree.query(shapely.box(x - tol, y - tol, x + tol, y + tol)))
        point: BaseGeometry | None = None
        if cand.size:
            hit = shapely.intersects_xy(geoms[cand], x, y)
            if cand.size == 1 and hit[0]:  # the common case: no other ward anywhere near
                return WardMatch(self._wards[int(cand[0])], "inside")
            point = shapely.Point(x, y)
            others = cand[~hit]
            if others.size:
                others = others[shapely.dwithin(geoms[others], point, tol)]
            near = np.sort(np.concatenate([cand[hit], others]))
            if near.size == 1:
                i = int(near[0])
                if hit.any():
                    return WardMatch(self._wards[i], "inside")
                return WardMatch(
                    self._wards[i], "nearest", (), float(shapely.distance(geoms[i], point))
                )
            if near.size > 1:
                held = cand[hit]
                inner = held[shapely.contains_xy(geoms[held], x, y)] if held.size else held
                primary = int(inner[0]) if inner.size == 1 else int(near[0])
                dist = (
                    0.0
                    if inner.size == 1 or primary in held
                    else float(shapely.distance(geoms[primary], point))
                )
                touching = tuple(self._wards[int(j)] for j in near)
                return WardMatch(self._wards[primary], "boundary", touching, dist)
        if self.city is not None and not self.city.contains(lat, lon):
            return WardMatch(None, "outside", (), math.inf)
        idx, dists = self._tree.query_nearest(
            point if point is not None else shapely.Point(x, y),
            max_distance=self.nearest_max_m,
            return_distance=True,
            all_matches=True,
        )
        if idx.size == 0:
            return WardMatch(None, "outside", (), math.inf)
        best = float(dists.min())
        i = int(idx[dists == best].min())
        return WardMatch(self._wards[i], "nearest", (), best)

    def wards_near(self, lat: float, lon: float, radius_m: float) -> list[WardNear]:
        """The wards within ``radius_m`` of a point, nearest first (ties by code), each with
        its distance and a point inside it as close to the given one as it sensibly gets:
        the point itself for the ward it lies in, else a point a few metres inside the
        other ward's edge (so that :meth:`ward_for` gives that ward back)."""
        x = float(lon) * M_PER_DEG_LON
        y = float(lat) * M_PER_DEG_LAT
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError("latitude/longitude must be finite numbers")
        r = float(radius_m)
        cand = self._tree.query(shapely.box(x - r, y - r, x + r, y + r))
        if not cand.size:
            return []
        point = shapely.Point(x, y)
        dists = shapely.distance(self._geoms[cand], point)
        primary = self.ward_for(lat, lon).ward
        out = []
        for d, i in sorted((float(d), int(i)) for d, i in zip(dists, cand, strict=True)
                           if d <= r):
            if primary is self._wards[i]:
                out.append(WardNear(self._wards[i], d, float(lat), float(lon)))
                continue
            inside = self._point_inside(i, point, d)
            out.append(WardNear(self._wards[i], d, inside.y / M_PER_DEG_LAT,
                                inside.x / M_PER_DEG_LON))
        return out

    def _point_inside(self, i: int, point: shapely.Point, distance_m: float) -> shapely.Point:
        """A point of ward ``i`` near ``point``, clear of its edge by twice the boundary
        tolerance where the ward is wide enough."""
        geom = self._geoms[i]
        margin = 2 * self.boundary_tolerance_m
        reach = point.buffer(distance_m + 3 * margin + 10.0)
        for area in (shapely.buffer(geom, -margin), geom):
            near = shapely.intersection(area, reach)
            if not near.is_empty:
                return shapely.point_on_surface(near)
        return shapely.point_on_surface(geom)

    # ----- batch lookups: sosbot.geo.ward_batches ------------------------------------------

    def classify(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> WardBatch:
        """Vectorised :meth:`ward_for`: classify many points at once (same results)."""
        return ward_batches.classify(self._geoms, self._tree, self.city, lats, lons,
                                     boundary_tolerance_m=self.boundary_tolerance_m,
                                     nearest_max_m=self.nearest_max_m)

    def matches(self, batch: WardBatch) -> list[WardMatch]:
        """Turn a :class:`WardBatch` into :class:`WardMatch` objects."""
        return ward_batches.matches(self._wards, batch)

    def wards_for(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> list[WardMatch]:
        """Vectorised :meth:`ward_for` returning one :class:`WardMatch` per point."""
        return self.matches(self.classify(lats, lons))

    def codes(self, batch: WardBatch) -> list[str | None]:
        """The primary ward code of each point of ``batch`` (None when outside)."""
        return ward_batches.codes(self._wards, batch)
