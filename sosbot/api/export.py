"""CSV and GeoJSON renderings of report items."""

from __future__ import annotations

import csv
import io
import json
import logging
from typing import Any

from sosbot.api.queries import ITEM_FIELDS, REPORTER_FIELDS, Item

log = logging.getLogger(__name__)

# Spreadsheets run cells starting with these as formulas (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TEXT_FIELDS = frozenset({"ward_name", "address_text", "description", "reporter_display_name",
                          "reporter_username"})


def csv_columns(pii: bool) -> list[str]:
    columns = list(ITEM_FIELDS)
    if pii:
        columns += [f"reporter_{name}" for name in REPORTER_FIELDS]
    return columns


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if column in _TEXT_FIELDS and text.startswith(_FORMULA_START):
        return "'" + text
    return text


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
        writer.writerow([_cell(column, flat.get(column)) for column in columns])
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
