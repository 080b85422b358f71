"""The digest's PNGs (charts and map) and its text, from a hand-built digest."""

from __future__ import annotations

import io
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sosbot.command_centre.charts import (
    CATEGORY_COLOURS,
    reports_per_hour_png,
    time_to_ack_png,
)
from sosbot.command_centre.digest import AckStats, Digest, QuietChannel, ReportItem, WardCount
from sosbot.command_centre.digest_map import digest_map_png, load_ward_shapes
from sosbot.command_centre.digest_text import TELEGRAM_LIMIT, render_digest
from sosbot.command_centre.queries import FailureRow
from sosbot.core.model import Category, ReportStatus

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
WARD_NAMES = ["Phường Bến Thành", "Phường Sài Gòn", "Phường Tân Định", "Phường Cầu Ông Lãnh",
              "Phường Xóm Chiếu", "Phường Bàn Cờ"]
STATUSES = [ReportStatus.RESOLVED, ReportStatus.IN_PROGRESS, ReportStatus.ACKNOWLEDGED,
            ReportStatus.ROUTED, ReportStatus.FALSE_REPORT]


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


@pytest.fixture(scope="module")
def wards(ward_data: Path) -> Path:
    return ward_data / "hcmc-wards-2025.geojson.gz"


@pytest.fixture(scope="module")
def digest(wards: Path) -> Digest:
    shapes = load_ward_shapes(wards.resolve())
    where = {shapes.names[i]: (shapes.codes[i], shapes.label_points[i])
             for i in range(len(shapes.codes))}
    items = []
    for n in range(40):
        name = WARD_NAMES[n % len(WARD_NAMES)]
        code, (lon, lat) = where[name]
        category = list(Category)[n % 4]
        status = STATUSES[n % len(STATUSES)]
        age = timedelta(minutes=23 * 60 - n * 33)
        items.append(ReportItem(
            code=f"SOS-26{n + 1:04d}", category=category, status=status, ward_code=code,
            ward_name=name, lat=lat + 0.002 * ((n * 7) % 5 - 2),
            lon=lon + 0.002 * ((n * 3) % 5 - 2), created_at=NOW - age,
            age_min=age.total_seconds() / 60, escalation_level=n % 4,
            overdue=status is ReportStatus.ROUTED))
    items.sort(key=lambda i: i.created_at)
    acks = tuple(AckStats(code=str(k), name=name, acked=5 + k, waiting=k % 2,
                          median_s=60.0 * (k + 2), p90_s=60.0 * (3 * k + 5))
                 for k, name in enumerate(WARD_NAMES))
    return Digest(
        since=NOW - timedelta(hours=24), until=NOW, now=NOW, total=len(items),
        by_status={s.value: sum(i.status is s for i in items) for s in STATUSES},
        by_category={c.value: sum(i.category is c for i in items) for c in Category},
        reports=tuple(items),
        open=tuple(i for i in items if i.status in (ReportStatus.ROUTED,
                                                    ReportStatus.ACKNOWLEDGED,
                                                    ReportStatus.IN_PROGRESS)),
        overdue=tuple(i for i in items if i.overdue), ack_by_ward=acks,
        ack_by_department=(AckStats("PC07", "Phòng Cảnh sát PCCC và CNCH", 3, 0, 90.0, 150.0),),
        busiest_wards=tuple(WardCount(str(k), name, 7 - k) for k, name in
                            enumerate(WARD_NAMES[:5])),
        failures=(FailureRow("delivery", "SOS-260003", "telegram", "-1001", "ward:26743",
                             "Forbidden: bot was kicked", NOW - timedelta(hours=2)),),
        quiet_channels=(QuietChannel("zalo", NOW - timedelta(hours=7)),),
    )


def open_png(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert (image.width, image.height) == (1200, 700)
    return np.asarray(image.convert("RGB"))


def near(pixels: np.ndarray, colour: str, tolerance: int = 12) -> np.ndarray:
    diff = np.abs(pixels.astype(int) - np.array(rgb(colour))).max(axis=2)
    return diff <= tolerance


def timed(render: object, *args: object) -> bytes:
    start = time.perf_counter()
    data = render(*args)  # type: ignore[operator]
    print(f"{render.__name__}: {time.perf_counter() - start:.2f} s")  # type: ignore[attr-defined]
    return data  # type: ignore[no-any-return]


def test_reports_per_hour_chart(digest: Digest) -> None:
    pixels = open_png(timed(reports_per_hour_png, digest))
    for category in Category:
        assert near(pixels, CATEGORY_COLOURS[category]).sum() > 500, category
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50


def test_time_to_ack_chart(digest: Digest) -> None:
    pixels = open_png(timed(time_to_ack_png, digest))
    assert near(pixels, "#2166ac").sum() > 2000 and near(pixels, "#f4a582").sum() > 2000
    empty = open_png(time_to_ack_png(replace(digest, ack_by_ward=())))
    assert (empty < 128).any()  # the "no data" text, on white


def test_the_map_shows_the_reports(digest: Digest, wards: Path) -> None:
    pixels = open_png(timed(digest_map_png, digest, wards))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200
    for category in Category:
        assert near(pixels, CATEGORY_COLOURS[category]).sum() > 50, category
    assert near(pixels, "#d7191c", 20).sum() > 200  # the overdue rings
    assert near(pixels, "#8c8c8c", 20).sum() > 500  # ward borders


def test_the_map_without_reports_shows_the_city(digest: Digest, wards: Path) -> None:
    empty = replace(digest, reports=(), open=(), overdue=(), total=0)
    pixels = open_png(digest_map_png(empty, wards))
    for category in Category:
        assert near(pixels, CATEGORY_COLOURS[category], 4).sum() < 400  # the legend only
    assert near(pixels, "#f7f6f1", 3).sum() > 100_000  # land
    assert near(pixels, "#dcebf5", 3).sum() > 100_000  # sea around the mainland


def test_the_text_fits_one_message(digest: Digest) -> None:
    text = render_digest(digest)
    assert len(text) <= TELEGRAM_LIMIT
    assert "QUÁ HẠN" in text and "Phường Bến Thành" in text and "Zalo" in text
    assert "Forbidden: bot was kicked" in text
    many = replace(digest, overdue=digest.reports * 10, open=digest.reports * 10)
    long = render_digest(many)
    assert len(long) <= TELEGRAM_LIMIT and "… và" in long and "tin báo khác" in long
