"""The one-time location page: tokens in a real Redis, the HTTP surface, the ward shapes,
and the page itself in headless Chromium driven by Playwright."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import shapely
from aiohttp import web
from aiohttp.test_utils import TestClient
from redis import Redis
from shapely.geometry import shape

from sosbot.geo.wards import WardIndex
from sosbot.location_page import (
    PREFIX,
    LocationTicket,
    LocationTokens,
    build_ward_shapes,
    create_location_app,
)

IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

ClientMaker = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


class Clock:
    """Wall time that a test can push forward."""

    def __init__(self) -> None:
        import time
        self.base = time.time
        self.offset = 0.0

    def __call__(self) -> float:
        return self.base() + self.offset


@dataclass
class Recorder:
    """``on_point``: names the ward the point fell in and remembers every call."""

    wards: WardIndex
    calls: list[tuple[LocationTicket, float, float, float | None]] = field(default_factory=list)
    fail: bool = False

    async def __call__(self, ticket: LocationTicket, lat: float, lon: float,
                       accuracy: float | None) -> str:
        if self.fail:
            self.fail = False
            raise RuntimeError("database down")
        self.calls.append((ticket, lat, lon, accuracy))
        match = self.wards.ward_for(lat, lon)
        name = match.ward.full_name if match.ward else "ngoài TP. Hồ Chí Minh"
        return f"Đã nhận vị trí: {name}"


@pytest.fixture(scope="session")
def shapes(ward_data: Path) -> bytes:
    return build_ward_shapes(ward_data / "hcmc-wards-2025.geojson.gz")


@pytest.fixture(scope="session")
def wards(ward_data: Path) -> WardIndex:
    return WardIndex.from_file(ward_data / "hcmc-wards-2025.geojson.gz")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(redis: Redis, clock: Clock) -> LocationTokens:
    return LocationTokens(redis, clock=clock)


@pytest.fixture
def recorder(wards: WardIndex) -> Recorder:
    return Recorder(wards)


@pytest.fixture
async def client(aiohttp_client: ClientMaker, tokens: LocationTokens, shapes: bytes,
                 recorder: Recorder) -> TestClient[Any, Any]:
    app = web.Application()
    app.add_subapp(PREFIX, create_location_app(tokens=tokens, ward_shapes=shapes,
                                               on_point=recorder))
    return await aiohttp_client(app)


# -- tokens ---------------------------------------------------------------------------------

def test_ticket_is_issued_peeked_and_consumed_once(tokens: LocationTokens) -> None:
    ticket = tokens.issue("messenger", "6100000000000001", "vi")
    assert len(ticket.token) >= 22 and tokens.peek(ticket.token) == ticket
    assert tokens.consume(ticket.token) == ticket
    assert tokens.consume(ticket.token) is None and tokens.peek(ticket.token) is None
    assert tokens.used_lang(ticket.token) == "vi"


def test_only_one_of_many_concurrent_consumers_wins(tokens: LocationTokens) -> None:
    ticket = tokens.issue("telegram", "5001", "en")
    results: list[LocationTicket | None] = []
    threads = [threading.Thread(target=lambda: results.append(tokens.consume(ticket.token)))
               for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r for r in results if r is not None] == [ticket]


def test_expired_ticket_is_gone(tokens: LocationTokens, clock: Clock) -> None:
    ticket = tokens.issue("zalo", "u1", "vi", ttl_s=60)
    clock.offset = 61
    assert tokens.peek(ticket.token) is None and tokens.consume(ticket.token) is None


def test_ticket_key_expires_in_redis(tokens: LocationTokens, redis: Redis) -> None:
    ticket = tokens.issue("zalo", "u1", "vi", ttl_s=90)
    assert 0 < redis.ttl(f"sosbot:location:ticket:{ticket.token}") <= 90


# -- HTTP -----------------------------------------------------------------------------------

async def test_page_is_vietnamese_by_default(client: TestClient[Any, Any],
                                             tokens: LocationTokens) -> None:
    ticket = tokens.issue("messenger", "61", "vi")
    resp = await client.get(f"/l/{ticket.token}")
    html = await resp.text()
    assert resp.status == 200 and '<html lang="vi">' in html
    assert "Sự việc xảy ra ở đâu?" in html and "Gửi vị trí này" in html
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["Cache-Control"] == "no-store"


async def test_page_is_english_when_the_ticket_says_so(client: TestClient[Any, Any],
                                                       tokens: LocationTokens) -> None:
    ticket = tokens.issue("telegram", "5001", "en")
    html = await (await client.get(f"/l/{ticket.token}")).text()
    assert '<html lang="en">' in html and "Send this location" in html


async def test_unknown_token_gets_a_clear_404(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/l/AAAAAAAAAAAAAAAAAAAAAA")
    html = await resp.text()
    assert resp.status == 404
    assert "Liên kết không đúng hoặc đã hết hạn" in html and "has expired" in html


async def test_point_is_taken_once(client: TestClient[Any, Any], tokens: LocationTokens,
                                   recorder: Recorder) -> None:
    ticket = tokens.issue("messenger", "61", "vi")
    point = {"lat": 10.79, "lon": 106.63, "accuracy_m": 12.5}
    resp = await client.post(f"/l/{ticket.token}", json=point)
    assert resp.status == 200
    assert await resp.json() == {"ok": True, "message": "Đã nhận vị trí: Phường Phú Thọ Hoà"}
    assert recorder.calls == [(ticket, 10.79, 106.63, 12.5)]
    again = await client.post(f"/l/{ticket.token}", json=point)
    assert again.status == 410 and "đã được dùng" in (await again.json())["message"]
    page = await client.get(f"/l/{ticket.token}")
    assert page.status == 404 and "đã được dùng" in await page.text()
    assert len(recorder.calls) == 1


async def test_expired_token_is_404(client: TestClient[Any, Any], tokens: LocationTokens,
                                    clock: Clock, recorder: Recorder) -> None:
    ticket = tokens.issue("messenger", "61", "vi", ttl_s=60)
    clock.offset = 120
    assert (await client.get(f"/l/{ticket.token}")).status == 404
    resp = await client.post(f"/l/{ticket.token}", json={"lat": 10.79, "lon": 106.63})
    assert resp.status == 404 and recorder.calls == []


@pytest.mark.parametrize("body", [
    {"lat": 91, "lon": 106.6}, {"lat": 10.7, "lon": -181}, {"lat": "10.7", "lon": 106.6},
    {"lat": 10.7}, {"lat": True, "lon": 106.6}, {"lat": 10.7, "lon": 106.6, "accuracy_m": -1},
    {"lat": 10.7, "lon": 106.6, "accuracy_m": "5"}, [10.7, 106.6], None,
    # Integers past a double's range (float() raises OverflowError, not ValueError).
    {"lat": 10**400, "lon": 106.6}, {"lat": 10.7, "lon": -(10**400)},
    {"lat": 10.7, "lon": 106.6, "accuracy_m": 10**400},
])
async def test_bad_points_are_400_and_keep_the_token(client: TestClient[Any, Any],
                                                     tokens: LocationTokens, body: Any) -> None:
    ticket = tokens.issue("messenger", "61", "vi")
    resp = await client.post(f"/l/{ticket.token}", data=json.dumps(body),
                             headers={"Content-Type": "application/json"})
    assert resp.status == 400, await resp.text()
    assert tokens.peek(ticket.token) == ticket


@pytest.mark.parametrize("raw", [b'{"lat": NaN, "lon": 106.6}', b'{"lat": Infinity, "lon": 1}',
                                 b"not json", b"\xff\xfe"])
async def test_non_finite_or_garbage_is_400(client: TestClient[Any, Any],
                                            tokens: LocationTokens, raw: bytes) -> None:
    ticket = tokens.issue("messenger", "61", "vi")
    resp = await client.post(f"/l/{ticket.token}", data=raw,
                             headers={"Content-Type": "application/json"})
    assert resp.status == 400


async def test_form_posts_are_refused(client: TestClient[Any, Any],
                                      tokens: LocationTokens) -> None:
    ticket = tokens.issue("messenger", "61", "vi")
    resp = await client.post(f"/l/{ticket.token}", data={"lat": "10.7", "lon": "106.6"})
    assert resp.status == 415 and tokens.peek(ticket.token) == ticket


async def test_failed_storage_gives_the_token_back(client: TestClient[Any, Any],
                                                   tokens: LocationTokens,
                                                   recorder: Recorder) -> None:
    ticket = tokens.issue("messenger", "61", "en")
    recorder.fail = True
    point = {"lat": 10.79, "lon": 106.63, "accuracy_m": None}
    failed = await client.post(f"/l/{ticket.token}", json=point)
    assert failed.status == 500 and (await failed.json())["message"].startswith("The location")
    retried = await client.post(f"/l/{ticket.token}", json=point)
    assert retried.status == 200 and recorder.calls[0][3] is None


async def test_ward_shapes_and_static_files(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/l/wards.json", headers={"Accept-Encoding": "gzip"})
    assert resp.status == 200 and resp.headers["Content-Encoding"] == "gzip"
    assert len((await resp.json())["features"]) == 168
    script = await client.get("/l/static/wardmap.js")
    assert script.status == 200 and "javascript" in script.content_type
    assert "export class WardMap" in await script.text()


async def test_ward_shapes_are_compressed_once_not_per_request(
        aiohttp_client: Any, tokens: LocationTokens, shapes: bytes,
        recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    import zlib

    from sosbot.location_page import app as location_app

    sub = create_location_app(tokens=tokens, ward_shapes=shapes, on_point=recorder)
    root = web.Application()
    root.add_subapp(PREFIX, sub)
    client = await aiohttp_client(root, auto_decompress=False)

    def no_more(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the shapes were compressed again for a request")

    # From here on, compressing anything (gzip or aiohttp's own zlib) fails the request.
    monkeypatch.setattr(location_app.gzip, "compress", no_more)
    monkeypatch.setattr(zlib, "compressobj", no_more)
    bodies = []
    for _ in range(2):
        resp = await client.get("/l/wards.json", headers={"Accept-Encoding": "gzip, br"})
        assert resp.status == 200 and resp.headers["Content-Encoding"] == "gzip"
        assert resp.headers["Vary"] == "Accept-Encoding"
        bodies.append(await resp.read())
    assert bodies[0] == bodies[1] == sub[location_app.SHAPES_KEY].gzipped
    assert gzip.decompress(bodies[0]) == shapes
    plain = await client.get("/l/wards.json", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and await plain.read() == shapes


# -- ward shapes ----------------------------------------------------------------------------

def test_ward_shapes_are_small_and_keep_shared_borders(shapes: bytes, ward_data: Path) -> None:
    assert len(shapes) < 1_000_000
    simplified = json.loads(shapes)["features"]
    assert len(simplified) == 168
    assert {"code", "name", "name_en", "label"} <= set(simplified[0]["properties"])
    coords = [c for f in simplified for c in json.dumps(f["geometry"]["coordinates"])
              .replace("[", "").replace("]", "").split(",")]
    assert all(len(c.split(".")[-1]) <= 5 for c in coords[:2000])
    with gzip.open(ward_data / "hcmc-wards-2025.geojson.gz", "rt", encoding="utf-8") as fh:
        original = json.load(fh)["features"]
    old = [shape(f["geometry"]) for f in original]
    new = [shape(f["geometry"]) for f in simplified]
    tree = shapely.STRtree(old)
    pairs = [(i, j) for i, g in enumerate(old) for j in tree.query(g, predicate="touches")
             if i < j][:80]
    assert len(pairs) >= 40
    for i, j in pairs:
        # Neighbours still share their border: no gap opened and no overlap made.
        assert new[i].intersection(new[j]).area < 1e-9
        assert new[i].boundary.intersection(new[j].boundary).length > 0 or \
            old[i].boundary.intersection(old[j].boundary).length == 0


# -- in a real browser ----------------------------------------------------------------------

def _browser_or_skip() -> Any:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        reason = "playwright is not installed (pip install playwright)"
    else:
        if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
            return async_playwright
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this is a failure, not a skip)")
    pytest.skip(reason)


async def test_resident_moves_the_point_and_sends_it(client: TestClient[Any, Any],
                                                     tokens: LocationTokens,
                                                     recorder: Recorder,
                                                     tmp_path: Path) -> None:
    async_playwright = _browser_or_skip()
    ticket = tokens.issue("messenger", "6100000000000001", "vi")
    url = str(client.make_url(f"/l/{ticket.token}"))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                geolocation={"latitude": 10.79, "longitude": 106.63, "accuracy": 25},
                permissions=["geolocation"], viewport={"width": 390, "height": 800},
                device_scale_factor=2, has_touch=True, locale="vi-VN")
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(url)
            # Selectors, not wait_for_function: the page's CSP forbids eval.
            await page.wait_for_selector("body[data-state='located']", state="attached",
                                         timeout=15000)
            assert await page.text_content("#ward") == "Phường Phú Thọ Hoà"
            assert "±25 m" in (await page.text_content("#detail") or "")
            await page.screenshot(path=str(tmp_path / "1-located.png"))

            box = await page.locator("#map").bounding_box()
            assert box is not None
            mx, my = await page.evaluate("window.sosLocationMap.project(10.79, 106.63)")
            start = (box["x"] + mx, box["y"] + my)
            await page.mouse.move(*start)
            await page.mouse.down()
            await page.mouse.move(start[0] + 70, start[1] + 50, steps=10)
            await page.mouse.up()
            dragged = await page.evaluate("window.sosLocationMap.getPoint()")
            assert dragged["lon"] > 106.63 and dragged["lat"] < 10.79
            assert dragged["accuracy_m"] is None
            assert "Vị trí do bạn chọn trên bản đồ" in (await page.text_content("#detail") or "")

            await page.touchscreen.tap(start[0] - 60, start[1] - 90)
            tapped = await page.evaluate("window.sosLocationMap.getPoint()")
            assert tapped["lat"] > 10.79 and tapped["lon"] < 106.63
            await page.screenshot(path=str(tmp_path / "2-moved.png"))

            await page.click("#submit")
            await page.wait_for_selector("body[data-state='sent']", state="attached",
                                         timeout=10000)
            shown = await page.text_content("#confirmation")
            await page.screenshot(path=str(tmp_path / "3-sent.png"), full_page=True)
        finally:
            await browser.close()
    [(got_ticket, lat, lon, accuracy)] = recorder.calls
    assert got_ticket == ticket and accuracy is None
    assert lat == pytest.approx(tapped["lat"], abs=1e-9)
    assert lon == pytest.approx(tapped["lon"], abs=1e-9)
    assert shown is not None and shown.startswith("Đã nhận vị trí: Phường")
    assert errors == []
    assert (tmp_path / "3-sent.png").stat().st_size > 10_000
