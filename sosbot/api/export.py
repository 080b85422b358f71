"""CSV and GeoJSON renderings of report items."""

from __future__ import annotations

import csv
import io
import json
import logging
from typing import Any

from sosbot.api.queries import ITEM_FIELDS, REPORTER_FIELDS, Item

log = logging.getLogger(__name__)

# Spreadsheets run cells starting with these as formulas (CSV injection; OWASP "CSV
# Injection": prefix such a cell with a single quote so it is read as text).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_columns(pii: bool) -> list[str]:
    columns = list(ITEM_FIELDS)
    if pii:
        columns += [f"reporter_{name}" for name in REPORTER_FIELDS]
    return columns


def cell(value: Any) -> str:
    """One CSV cell. Every text cell is neutralised, not only the free-text ones: a phone
    number (+84…), a chat id (-100…) or a username comes from outside too. Numbers stay
    numbers (a negative coordinate is not a formula)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = str(value)
        return "'" + text if text.startswith(FORMULA_START) else text
    return str(value)


def to_csv(items: list[Item], *, pii: bool) -> bytes:
    """UTF-8 with a byte-order mark (so spreadsheets show Vietnamese), a header row, CRLF."""
    out = io.StringIO()
    columns = csv_columns(pii)
    writer = csv.writer(out)
    writer.writerow(columns)
    for item in items:
        flat = dict(item)
        for key, value in (item.get("reporter") or {}).items():
            flat[f"reporter_{key}"] = value
        writer.writerow([cell(flat.get(column)) for column in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_geojson(items: list[Item], *, truncated: bool) -> bytes:
    """A FeatureCollection of Points [lon, lat]; reports without a point are left out."""
    features = [
        {"type": "Feature",
         "geometry": {"type": "Point", "coordinates": [item["lon"], item["lat"]]},
         "properties": item}
        for item in items if item["lat"] is not None and item["lon"] is not None
    ]
    collection = {"type": "FeatureCollection", "features": features, "truncated": truncated}
    return json.dumps(collection, ensure_ascii=False, allow_nan=False).encode("utf-8")
