"""A map of the digest's reports over the ward polygons, as PNG bytes (no tile server).

The ward shapes are simplified once per process with :func:`shapely.coverage_simplify`
(shared borders stay shared) and cached. The view is framed on the reports with a margin;
with no located report, the whole city but the far-off đặc khu Côn Đảo (which would
shrink the rest to a corner).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox

from sosbot.command_centre.charts import CATEGORY_COLOURS, LOCAL_TIME, new_figure, to_png
from sosbot.command_centre.digest import Digest, ReportItem
from sosbot.core.cards import STATUS_LABELS
from sosbot.core.model import FINAL_STATUSES, Category, ReportStatus
from sosbot.core.officer_texts import officer_text
from sosbot.core.texts import category_label
from sosbot.geo.frame import load_features

log = logging.getLogger(__name__)

SIMPLIFY_DEG = 0.0001  # ≈ 11 m: invisible at the scale of a few wards
MIN_MARGIN_DEG = 0.01  # ≈ 1.1 km around the reports
MARGIN_FRACTION = 0.12
OVERDUE_RING = "#d7191c"
STATUS_MARKERS: dict[ReportStatus, str] = {
    ReportStatus.NEW: "o", ReportStatus.ROUTED: "o", ReportStatus.ACKNOWLEDGED: "s",
    ReportStatus.IN_PROGRESS: "D", ReportStatus.RESOLVED: "P",
    ReportStatus.FALSE_REPORT: "X", ReportStatus.DUPLICATE: "X",
}


@dataclass(frozen=True)
class WardShapes:
    """Simplified ward outlines in ``[lon, lat]``: rings for borders, exteriors for fill."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    geoms: np.ndarray  # shapely geometries, simplified
    label_points: tuple[tuple[float, float], ...]  # (lon, lat) inside each ward
    rings: tuple[np.ndarray, ...]
    exteriors: tuple[np.ndarray, ...]
    bounds: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    mainland: tuple[float, float, float, float]  # the same without the đặc khu (Côn Đảo)


@lru_cache(maxsize=4)
def load_ward_shapes(path: Path) -> WardShapes:
    """The wards of ``path`` (gzipped GeoJSON), coverage-simplified; cached per process."""
    features = load_features(path)
    geoms = shapely.make_valid(np.array([shapely.geometry.shape(f["geometry"])
                                         for f in features]))
    simple = shapely.coverage_simplify(geoms, SIMPLIFY_DEG)
    rings: list[np.ndarray] = []
    exteriors: list[np.ndarray] = []
    points = []
    for geom in simple:
        parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
        for poly in parts:
            exteriors.append(np.asarray(poly.exterior.coords))
            rings.append(exteriors[-1])
            rings.extend(np.asarray(hole.coords) for hole in poly.interiors)
        largest = max(parts, key=lambda p: p.area) if parts else geom
        pt = shapely.point_on_surface(largest)
        points.append((pt.x, pt.y))
    total = shapely.total_bounds(simple)
    main = shapely.total_bounds(simple[[f["properties"]["unit_type"] != "dac_khu"
                                        for f in features]])
    log.info("ward shapes %s: %d wards, %d vertices after simplification", path,
             len(simple), int(shapely.get_num_coordinates(simple).sum()))
    return WardShapes(
        codes=tuple(str(f["properties"]["code"]) for f in features),
        names=tuple(str(f["properties"]["full_name"]) for f in features),
        geoms=simple, label_points=tuple(points), rings=tuple(rings),
        exteriors=tuple(exteriors),
        bounds=(float(total[0]), float(total[1]), float(total[2]), float(total[3])),
        mainland=(float(main[0]), float(main[1]), float(main[2]), float(main[3])),
    )


def frame(items: list[ReportItem], city: tuple[float, float, float, float],
          aspect: float) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) to show: the reports with a margin, else the
    city; widened or heightened to the axes' ``aspect`` (width / height on screen)."""
    if items:
        lons = [i.lon for i in items if i.lon is not None]
        lats = [i.lat for i in items if i.lat is not None]
        margin_lon = max(MIN_MARGIN_DEG, (max(lons) - min(lons)) * MARGIN_FRACTION)
        margin_lat = max(MIN_MARGIN_DEG, (max(lats) - min(lats)) * MARGIN_FRACTION)
        city = (min(lons) - margin_lon, min(lats) - margin_lat,
                max(lons) + margin_lon, max(lats) + margin_lat)
    min_lon, min_lat, max_lon, max_lat = city
    cos_lat = math.cos(math.radians((min_lat + max_lat) / 2))
    width, height = (max_lon - min_lon) * cos_lat, max_lat - min_lat
    if width < height * aspect:
        grow = (height * aspect / cos_lat - (max_lon - min_lon)) / 2
        min_lon, max_lon = min_lon - grow, max_lon + grow
    else:
        grow = (width / aspect - height) / 2
        min_lat, max_lat = min_lat - grow, max_lat + grow
    return min_lon, min_lat, max_lon, max_lat


def digest_map_png(d: Digest, wards_geojson_gz: Path) -> bytes:
    """The period's reports on the ward map: colour = category, marker = status, a red ring
    around the overdue ones, and the names of the wards that had reports."""
    shapes = load_ward_shapes(wards_geojson_gz.resolve())
    located = [i for i in d.reports if i.lat is not None and i.lon is not None]
    fig = new_figure()
    box = (0.01, 0.01, 0.98, 0.92)
    width_px, height_px = fig.get_size_inches() * fig.dpi * np.array(box[2:])
    min_lon, min_lat, max_lon, max_lat = frame(located, shapes.mainland,
                                               float(width_px / height_px))
    ax = fig.add_axes(box)
    ax.set_facecolor("#dcebf5")  # water and the world outside the city
    ax.add_collection(PolyCollection(list(shapes.exteriors), facecolors="#f7f6f1",
                                     edgecolors="none", zorder=1))
    ax.add_collection(LineCollection(list(shapes.rings), colors="#8c8c8c", linewidths=0.5,
                                     zorder=2))
    mid_lat = (min_lat + max_lat) / 2
    ax.set_aspect(1 / math.cos(math.radians(mid_lat)), adjustable="box")
    ax.set_xlim(min_lon, max_lon)
    ax.set_ylim(min_lat, max_lat)
    ax.set_xticks([])
    ax.set_yticks([])
    _points(ax, located)
    _labels(ax, shapes, located)
    _legend(ax, located)
    title = officer_text("map.title", since=d.since.astimezone(LOCAL_TIME),
                         until=d.until.astimezone(LOCAL_TIME), located=len(located))
    if len(located) < d.total:
        title += officer_text("map.unlocated", count=d.total - len(located))
    if d.overdue:
        title += officer_text("map.overdue", count=len(d.overdue))
    fig.suptitle(title, fontsize=13, y=0.975)
    return to_png(fig)


def _xy(items: list[ReportItem]) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([i.lon for i in items], dtype=float),
            np.array([i.lat for i in items], dtype=float))


def _points(ax: Axes, items: list[ReportItem]) -> None:
    groups: dict[tuple[Category, ReportStatus], list[ReportItem]] = {}
    for item in items:
        groups.setdefault((item.category, item.status), []).append(item)
    for (category, status), group in groups.items():
        final = status in FINAL_STATUSES
        ax.scatter(*_xy(group), s=70, marker=STATUS_MARKERS[status],
                   color=CATEGORY_COLOURS[category], edgecolors="white" if final else "black",
                   linewidths=0.8, alpha=0.6 if final else 1.0, zorder=3 if final else 4)
    overdue = [i for i in items if i.overdue]
    if overdue:
        ax.scatter(*_xy(overdue), s=320, facecolors="none", edgecolors=OVERDUE_RING,
                   linewidths=2.5, zorder=5)


def _labels(ax: Axes, shapes: WardShapes, items: list[ReportItem]) -> None:
    """Names of the wards with reports, busiest first, skipping those that would overlap."""
    counts: dict[str, int] = {}
    for item in items:
        if item.ward_code:
            counts[item.ward_code] = counts.get(item.ward_code, 0) + 1
    index = {code: n for n, code in enumerate(shapes.codes)}
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    placed: list[Bbox] = []
    for code in sorted(counts, key=lambda c: -counts[c]):
        if code not in index:
            continue
        lon, lat = shapes.label_points[index[code]]
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            continue
        text = ax.text(lon, lat, shapes.names[index[code]], fontsize=9, ha="center",
                       va="bottom", color="#333333", zorder=3.5,
                       bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none",
                             "alpha": 0.7})
        box = text.get_window_extent(renderer).expanded(1.05, 1.2)
        if any(box.overlaps(other) for other in placed):
            text.remove()
        else:
            placed.append(box)


def _legend(ax: Axes, items: list[ReportItem]) -> None:
    handles = [Line2D([], [], marker="o", linestyle="none", markersize=9,
                      color=CATEGORY_COLOURS[c], label=category_label("vi", c))
               for c in Category]
    for status in sorted({i.status for i in items}, key=list(ReportStatus).index):
        handles.append(Line2D([], [], marker=STATUS_MARKERS[status], linestyle="none",
                              markersize=8, color="#777777", markeredgecolor="black",
                              label=STATUS_LABELS[status]))
    if any(i.overdue for i in items):
        handles.append(Line2D([], [], marker="o", linestyle="none", markersize=13,
                              markerfacecolor="none", markeredgecolor=OVERDUE_RING,
                              markeredgewidth=2.5, label=officer_text("map.legend_overdue")))
    ax.legend(handles=handles, loc="upper right", fontsize=9, framealpha=0.9)
