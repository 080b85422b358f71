"""Many points at once: the vectorised form of :meth:`WardIndex.ward_for
<sosbot.geo.wards.WardIndex.ward_for>`, with the same results.

Points are classified with array operations over the index's projected ward polygons and
spatial tree (one query for all points, not one per point), into a :class:`WardBatch` of
arrays; :func:`matches` turns it into :class:`~sosbot.geo.ward_matches.WardMatch` objects
when they are wanted. The rules (inside, boundary, nearest, outside) are those of
``sosbot.geo.wards``' docstring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from sosbot.geo.city import CityOutline
from sosbot.geo.frame import FloatArray, check_finite, project
from sosbot.geo.ward_matches import MatchHow, Ward, WardMatch

#: Codes used in :attr:`WardBatch.how`, indexable by those codes.
HOW_CODES: tuple[MatchHow, ...] = ("inside", "boundary", "nearest", "outside")
_INSIDE, _BOUNDARY, _NEAREST, _OUTSIDE = 0, 1, 2, 3

IntArray = npt.NDArray[np.intp]
GeometryArray = npt.NDArray[np.object_]


@dataclass(frozen=True, slots=True)
class WardBatch:
    """Vectorised result of :meth:`WardIndex.classify`; turn it into matches with
    :meth:`WardIndex.matches`.

    ``ward_idx[i]`` is the position in :attr:`WardIndex.wards` of point i's primary ward (-1 if
    none), ``how[i]`` an index into :data:`HOW_CODES`, ``distance_m[i]`` as in
    :class:`WardMatch`.  The wards touching boundary point i are
    ``touch_idx[touch_indptr[i]:touch_indptr[i + 1]]`` (CSR layout, empty for other points).
    """

    ward_idx: IntArray
    how: npt.NDArray[np.uint8]
    distance_m: FloatArray
    touch_indptr: IntArray
    touch_idx: IntArray

    def __len__(self) -> int:
        return int(self.ward_idx.shape[0])


def classify(geoms: GeometryArray, tree: shapely.STRtree, city: CityOutline | None,
             lats: npt.ArrayLike, lons: npt.ArrayLike, *, boundary_tolerance_m: float,
             nearest_max_m: float) -> WardBatch:
    """Classify many points (WGS84 degrees) against the wards' projected polygons ``geoms``
    and their ``tree``: what :meth:`WardIndex.ward_for` says of each, as arrays."""
    x, y = project(lats, lons)
    x = np.atleast_1d(x).ravel()
    y = np.atleast_1d(y).ravel()
    if x.shape != y.shape:
        raise ValueError("lats and lons differ in length")
    check_finite(x, y)
    n = x.shape[0]
    tol = boundary_tolerance_m
    ward_idx = np.full(n, -1, dtype=np.intp)
    how = np.full(n, _OUTSIDE, dtype=np.uint8)
    dist = np.full(n, math.inf, dtype=np.float64)
    if n == 0:
        empty = np.zeros(0, dtype=np.intp)
        return WardBatch(ward_idx, how, dist, np.zeros(1, dtype=np.intp), empty)

    points = shapely.points(x, y)
    boxes = shapely.box(x - tol, y - tol, x + tol, y + tol)
    pi, wi = tree.query(boxes)
    keep = shapely.dwithin(geoms[wi], points[pi], tol)
    pi, wi = pi[keep], wi[keep]
    order = np.lexsort((wi, pi))  # by point, then ward (== code) order
    pi, wi = pi[order], wi[order]
    count = np.bincount(pi, minlength=n)

    # exactly one ward within the tolerance: inside it, or a few metres off its edge
    single = count[pi] == 1
    sp, sw = pi[single], wi[single]
    ward_idx[sp] = sw
    hit = shapely.intersects_xy(geoms[sw], x[sp], y[sp])
    how[sp[hit]] = _INSIDE
    dist[sp[hit]] = 0.0
    off_p, off_w = sp[~hit], sw[~hit]
    how[off_p] = _NEAREST
    dist[off_p] = shapely.distance(geoms[off_w], points[off_p])

    # several wards within the tolerance: boundary
    multi = ~single
    mp, mw = pi[multi], wi[multi]
    touch_indptr = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(np.where(count > 1, count, 0), out=touch_indptr[1:])
    if mp.size:
        inner = shapely.contains_xy(geoms[mw], x[mp], y[mp])
        inner_count = np.bincount(mp[inner], minlength=n)
        first = np.ones(mp.size, dtype=bool)
        first[1:] = mp[1:] != mp[:-1]
        bp = mp[first]
        ward_idx[bp] = mw[first]  # lowest code
        unique_inner = inner & (inner_count[mp] == 1)
        ward_idx[mp[unique_inner]] = mw[unique_inner]
        how[bp] = _BOUNDARY
        dist[bp] = 0.0
        # primary not containing the point (on the border, or in a gap): may be off it
        chk = bp[inner_count[bp] != 1]
        if chk.size:
            on = shapely.intersects_xy(geoms[ward_idx[chk]], x[chk], y[chk])
            far = chk[~on]
            dist[far] = shapely.distance(geoms[ward_idx[far]], points[far])
    touch_idx = mw.astype(np.intp)

    # no ward within the tolerance: nearest within nearest_max_m and in the city, or outside
    rest = np.flatnonzero(count == 0)
    if rest.size and city is not None:
        rest = rest[city._contains_xy(x[rest], y[rest])]
    if rest.size:
        (qi, qw), qd = tree.query_nearest(
            points[rest],
            max_distance=nearest_max_m,
            return_distance=True,
            all_matches=True,
        )
        if qi.size:
            order = np.lexsort((qw, qd, qi))  # per point: shortest, then lowest code
            qi, qw, qd = qi[order], qw[order], qd[order]
            first = np.ones(qi.size, dtype=bool)
            first[1:] = qi[1:] != qi[:-1]
            hit_pts = rest[qi[first]]
            ward_idx[hit_pts] = qw[first]
            how[hit_pts] = _NEAREST
            dist[hit_pts] = qd[first]
    return WardBatch(ward_idx, how, dist, touch_indptr, touch_idx)


def matches(wards: Sequence[Ward], batch: WardBatch) -> list[WardMatch]:
    """Turn a :class:`WardBatch` into :class:`WardMatch` objects; ``wards`` in the index's
    order (by code)."""
    out: list[WardMatch] = []
    ptr = batch.touch_indptr.tolist()
    touch = batch.touch_idx.tolist()
    for i, (w, h, d) in enumerate(
        zip(batch.ward_idx.tolist(), batch.how.tolist(), batch.distance_m.tolist(), strict=True)
    ):
        if h == _INSIDE:
            out.append(WardMatch(wards[w], "inside"))
        elif h == _OUTSIDE:
            out.append(WardMatch(None, "outside", (), d))
        elif h == _NEAREST:
            out.append(WardMatch(wards[w], "nearest", (), d))
        else:
            touching = tuple(wards[j] for j in touch[ptr[i] : ptr[i + 1]])
            out.append(WardMatch(wards[w], "boundary", touching, d))
    return out


def codes(wards: Sequence[Ward], batch: WardBatch) -> list[str | None]:
    """The primary ward code of each point of ``batch`` (None when outside)."""
    found = [w.code for w in wards]
    return [found[i] if i >= 0 else None for i in batch.ward_idx.tolist()]
