"""Address → point: the offline ward-name geocoder, geopy/Nominatim against a local fake
Nominatim over real HTTP, and the chain."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from sosbot.geo import CITY_FILE, WARDS_FILE
from sosbot.geo.geocoding import (
    ChainGeocoder,
    Geocoder,
    GeocodeResult,
    GeocodingUnavailable,
    GeopyGeocoder,
)
from sosbot.geo.offline_geocoder import OfflineWardGeocoder
from sosbot.geo.wards import WardIndex

USER_AGENT = "sosbot-tests/0.1 (police intake bot test suite)"


@pytest.fixture(scope="module")
def index() -> WardIndex:
    return WardIndex.from_file(WARDS_FILE, CITY_FILE)


@pytest.fixture(scope="module")
def offline(index: WardIndex) -> OfflineWardGeocoder:
    return OfflineWardGeocoder(index)


# ----- offline: new ward names ---------------------------------------------------------------

NEW_NAMES = [
    ("Phường Tân Phú", "Phường Tân Phú"),
    ("P. Tân Phú", "Phường Tân Phú"),
    ("phuong tan phu", "Phường Tân Phú"),
    ("P.Tân Phú", "Phường Tân Phú"),
    ("p tan phu, tp hcm", "Phường Tân Phú"),
    ("Tan Phu Ward, Ho Chi Minh City", "Phường Tân Phú"),
    ("Phường Phú Mỹ", "Phường Phú Mỹ"),
    ("xã Bình Hưng", "Xã Bình Hưng"),
    ("Đặc khu Côn Đảo", "Đặc khu Côn Đảo"),
    ("12 Nguyễn Huệ, phường Sài Gòn", "Phường Sài Gòn"),
    ("123 Nguyễn Thái Bình, Phường Sài Gòn, Quận 1", "Phường Sài Gòn"),
    ("Phường Tân Sơn Nhất", "Phường Tân Sơn Nhất"),  # not the shorter "Tân Sơn"
    ("P.Tân Sơn Nhì, TP.HCM", "Phường Tân Sơn Nhì"),
    ("Phường Bình Hòa", "Phường Bình Hoà"),  # new tone placement vs the data's old one
    ("phuong binh hoa", "Phường Bình Hoà"),
    ("Xã Thanh An", "Xã Thanh An"),  # diacritics written: Thanh ≠ Thạnh
    ("Xã Thạnh An", "Xã Thạnh An"),
    ("Nhà tôi ở phường Tân Phú gần chợ", "Phường Tân Phú"),
    ("ấp Phú Mỹ, xã Bình Mỹ", "Xã Bình Mỹ"),
    ("Bến Thành", "Phường Bến Thành"),  # a bare name that means only one thing
    ("gần chợ\nBến Thành\nTP HCM", "Phường Bến Thành"),  # lines separate like commas
]


@pytest.mark.parametrize(("text", "expected"), NEW_NAMES)
async def test_new_ward_names(
    offline: OfflineWardGeocoder, index: WardIndex, text: str, expected: str
) -> None:
    result = await offline.geocode(text)
    assert result is not None, text
    assert result.how == "ward_name"
    ward = index.by_code(result.ward_code or "")
    assert ward.full_name == expected
    assert result.label == expected
    assert (result.lat, result.lon) == index.centroid(ward.code)
    assert index.ward_for(result.lat, result.lon).ward == ward


def test_every_ward_by_its_own_name(offline: OfflineWardGeocoder, index: WardIndex) -> None:
    ambiguous_without_diacritics = {"xa thanh an", "Thanh An Commune"}
    for ward in index.wards:
        for text in (
            ward.full_name,
            f"12 Lê Lợi, {ward.full_name}, TP.HCM",
            ward.full_name_en,
            offline_plain(ward.full_name),
        ):
            result = offline.resolve(text)
            if text in ambiguous_without_diacritics:
                assert result is None
                continue
            assert result is not None and result.ward_code == ward.code, text


def offline_plain(text: str) -> str:
    from sosbot.geo.ward_names import fold_diacritics

    return fold_diacritics(text)


# ----- offline: old (pre-2025) wards ---------------------------------------------------------

OLD_NAMES = [
    ("Phường Bến Nghé, Quận 1", "Phường Sài Gòn"),
    ("12 Nguyễn Huệ, P. Bến Nghé, Q.1, TP.HCM", "Phường Sài Gòn"),
    ("P. 12, Q. Tân Bình", "Phường Bảy Hiền"),
    ("Phường 12, Quận Tân Bình, Thành phố Hồ Chí Minh", "Phường Bảy Hiền"),
    ("phuong 7 quan 3", "Phường Xuân Hoà"),  # Phường 7 became Võ Thị Sáu in 2020
    ("f7 q3", "Phường Xuân Hoà"),
    ("Phường Tân Phú, Quận 7", "Phường Tân Mỹ"),  # the district wins over the new name
    ("Phường Phú Mỹ, Quận 7", "Phường Tân Mỹ"),  # split ward: the tables' default
    ("phường Tân Phú, tp thủ đức", "Phường Tăng Nhơn Phú"),
    ("Phường Linh Trung, TP. Thủ Đức", "Phường Linh Xuân"),
    ("xã Tân Phú Trung, huyện Củ Chi", "Xã Củ Chi"),
    ("Phường Chánh Nghĩa, Thủ Dầu Một, Bình Dương", "Phường Thủ Dầu Một"),
    ("Phường 5, TP Vũng Tàu", "Phường Vũng Tàu"),
    ("Huyện Côn Đảo", "Đặc khu Côn Đảo"),
    ("phường phú mỹ, thị xã phú mỹ", "Phường Phú Mỹ"),
    # without the district, when no other old ward and no new ward had the name
    ("xã Tân Phú Trung", "Xã Củ Chi"),
    ("danh nhau o p. Ben Nghe", "Phường Sài Gòn"),
    ("tai nan o phuong thao dien", "Phường An Khánh"),
    ("có trộm ở phường Phạm Ngũ Lão", "Phường Bến Thành"),
]


@pytest.mark.parametrize(("text", "expected"), OLD_NAMES)
async def test_old_wards_are_converted(
    offline: OfflineWardGeocoder, index: WardIndex, text: str, expected: str
) -> None:
    result = await offline.geocode(text)
    assert result is not None, text
    assert result.how == "old_ward"
    ward = index.by_code(result.ward_code or "")
    assert ward.full_name == expected
    assert result.label.endswith(f"→ {expected}")
    assert (result.lat, result.lon) == index.centroid(ward.code)


def test_a_divided_old_ward_names_every_ward_it_went_to(
    offline: OfflineWardGeocoder, index: WardIndex
) -> None:
    """Đa Kao went to Sài Gòn (the tables' default) and, in part, to Tân Định: both."""
    for text in ("chay nha o phuong da kao", "Phường Đa Kao, Quận 1"):
        result = offline.resolve(text)
        assert result is not None, text
        assert index.by_code(result.ward_code or "").name == "Sài Gòn"
        assert [index.by_code(c).name for c in result.also] == ["Tân Định"]
    undivided = offline.resolve("Phường Bến Nghé, Quận 1")
    assert undivided is not None and undivided.also == ()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "cứu tôi với",
        "Tân Phú",  # new ward, old wards in D7 and Thủ Đức, and a former district
        "Phú Mỹ",  # new ward in Bà Rịa, and old wards in D7 / Thủ Dầu Một
        "xa thanh an",  # Xã Thanh An or Xã Thạnh An?
        "Sài Gòn",  # usually the whole city
        "12 Nguyễn Huệ, Sài Gòn",
        "Landmark 81, Bình Thạnh",  # a former district, now also one of its wards
        "Quận Tân Bình",
        "cầu Phú Mỹ",  # a bridge in D7, not Phường Phú Mỹ
        "phường Hòa Phú",  # an old ward without its district, and two old wards had the name
        "Thảo Điền",  # an old ward's name without its type word
        "cháy ký túc xá làng đại học",  # "xá" is no "xã"; "làng đại" no old "Láng Dài"
        "Biên Hòa, Đồng Nai",
        "Phường Tân Phong, Biên Hòa, Đồng Nai",
        "Phường Tân Phú, Phường Tân Định",  # two different wards
    ],
)
def test_unresolvable(offline: OfflineWardGeocoder, text: str) -> None:
    assert offline.resolve(text) is None, text


@pytest.mark.parametrize(
    ("text", "ward"),
    [
        ("sạt lở bờ sông ở Bình Quới, 2 căn nhà sắp sụp", "Phường Bình Quới"),
        ("xe ben cán người đoạn qua Lái Thiêu", "Phường Lái Thiêu"),
        ("đánh nhau ở bãi biển Long Hải, ném chai", "Xã Long Hải"),
        ("sat lo o binh quoi co nha sap", "Phường Bình Quới"),  # "có" ends the name
        ("crashed on the way to Ben Thanh, I'm hurt", "Phường Bến Thành"),
        ("trộm lội vô nhà ở p. Bình Hưng", "Xã Bình Hưng"),  # a commune written "p."
        # after a kind of place of several words ("cảng cá": "cá" is no place word alone)
        ("cháy ghe ở cảng cá Phước Hải, lửa lớn", "Xã Phước Hải"),
        ("đánh nhau ở bến phà Cát Lái", "Phường Cát Lái"),
        # a name refused ("tắm Long": Tam Long with other diacritics) hides no other
        ("bãi tắm Long Hải có người bị sóng đánh", "Xã Long Hải"),
        ("bai tam long hai co nguoi duoi nuoc", "Xã Long Hải"),
    ],
)
def test_a_bare_ward_after_a_preposition_or_a_place_word(
    offline: OfflineWardGeocoder, text: str, ward: str
) -> None:
    result = offline.resolve(text)
    assert result is not None and result.label == ward, text


@pytest.mark.parametrize(
    "text",
    [
        "ở Tân Phú, có cháy",  # a former district and several old wards: still refused
        "chiều nay về Bình Dương thăm mẹ thì bị giật túi",  # the old province
        "mong sống ở hoà bình",  # "hòa bình": peace
        "có người đi lạc ở chợ lớn gần nhà",  # "chợ lớn": a big market
        "ở bình quời có người ngất",  # written with other diacritics: another word
        "đánh nhau ở Bình Quới Tây Ninh",  # the name does not end there
        "kẹt xe ở Tân Sơn Nhất có chuyến bay trễ",  # most likely the airport
    ],
)
def test_a_bare_name_after_a_preposition_that_is_no_ward(
    offline: OfflineWardGeocoder, text: str
) -> None:
    assert offline.resolve(text) is None, text


@pytest.mark.parametrize(
    ("text", "ward"),
    [
        ("there's a fight outside a bar in Thao Dien, bottles everywhere", "Phường An Khánh"),
        ("cháy quán ở Bến Nghé", "Phường Sài Gòn"),
        ("o hiep phu co danh nhau", "Phường Tăng Nhơn Phú"),  # "có" ends the name
    ],
)
def test_an_old_ward_bare_after_a_preposition(
    offline: OfflineWardGeocoder, index: WardIndex, text: str, ward: str
) -> None:
    result, typed = offline.read(text)
    assert result is not None and result.how == "old_ward", text
    assert index.by_code(result.ward_code or "").full_name == ward
    assert not typed  # written bare: not named as a ward


@pytest.mark.parametrize("text", [
    "o Thao Dien Village",  # the name goes on: another place
    "Thảo Điền",  # bare, after nothing (as before)
])
def test_an_old_ward_bare_elsewhere_is_refused(offline: OfflineWardGeocoder, text: str) -> None:
    assert offline.resolve(text) is None, text


def test_long_input_is_truncated(offline: OfflineWardGeocoder) -> None:
    text = "x" * 5000 + ", Phường Tân Phú"
    assert offline.resolve(text) is None  # the ward name is beyond the first 1000 characters
    result = offline.resolve("Phường Tân Phú, " + "x" * 5000)
    assert result is not None and result.label == "Phường Tân Phú"


# ----- geopy against a local fake Nominatim --------------------------------------------------


@dataclass
class FakeNominatim:
    """A tiny Nominatim ``/search`` endpoint on 127.0.0.1, recording what it was asked."""

    results: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    delay_s: float = 0.0
    body: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)

    async def search(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            {
                "path": request.path,
                "query": dict(request.query),
                "user_agent": request.headers.get("User-Agent", ""),
            }
        )
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.body is not None:
            return web.Response(text=self.body, status=self.status, content_type="text/html")
        return web.json_response(self.results, status=self.status)


NGUYEN_HUE: dict[str, Any] = {
    "place_id": 123456,
    "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
    "osm_type": "way",
    "osm_id": 23456789,
    "lat": "10.7740120",
    "lon": "106.7038540",
    "class": "highway",
    "type": "pedestrian",
    "place_rank": 26,
    "importance": 0.41,
    "addresstype": "road",
    "name": "Phố đi bộ Nguyễn Huệ",
    "display_name": "Phố đi bộ Nguyễn Huệ, Phường Sài Gòn, Thành phố Hồ Chí Minh, Việt Nam",
    "boundingbox": ["10.7721", "10.7759", "106.7021", "106.7055"],
}


class ServerFactory(Protocol):
    def __call__(self, fake: FakeNominatim, prefix: str = "") -> Awaitable[str]: ...


@pytest.fixture
async def serve() -> AsyncIterator[ServerFactory]:
    """Start fake Nominatim servers; yields a factory returning each one's base URL."""
    servers: list[TestServer] = []

    async def start(fake: FakeNominatim, prefix: str = "") -> str:
        app = web.Application()
        app.router.add_get(f"{prefix}/search", fake.search)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
        return f"http://127.0.0.1:{server.port}{prefix}"

    yield start
    for server in servers:
        await server.close()


async def test_geopy_finds_a_place(serve: ServerFactory, index: WardIndex) -> None:
    fake = FakeNominatim(results=[NGUYEN_HUE])
    url = await serve(fake)
    async with GeopyGeocoder(
        "nominatim", url=url, user_agent=USER_AGENT, timeout_s=5.0, ward_index=index
    ) as geocoder:
        result = await geocoder.geocode("  phố đi bộ Nguyễn Huệ  ")
    assert result == GeocodeResult(
        lat=10.774012,
        lon=106.703854,
        ward_code="26740",
        how="geocoder",
        label=NGUYEN_HUE["display_name"],
    )
    (request,) = fake.requests
    assert request["path"] == "/search"
    query = request["query"]
    assert query["q"] == "phố đi bộ Nguyễn Huệ"
    assert query["format"] == "json"
    assert query["countrycodes"] == "vn"
    assert query.get("bounded", "0") == "0"  # biased, not restricted
    assert query["limit"] == "1"
    assert query["accept-language"] == "vi"
    lon1, lat1, lon2, lat2 = (float(v) for v in query["viewbox"].split(","))
    assert min(lon1, lon2) < 106.70 < max(lon1, lon2)
    assert min(lat1, lat2) < 10.77 < max(lat1, lat2)
    assert request["user_agent"] == USER_AGENT


async def test_geopy_without_ward_index_and_with_a_path_prefix(serve: ServerFactory) -> None:
    fake = FakeNominatim(results=[NGUYEN_HUE])
    url = await serve(fake, "/nominatim")
    geocoder = GeopyGeocoder("Nominatim", url=url + "/", user_agent=USER_AGENT, timeout_s=5.0)
    try:
        result = await geocoder.geocode("Nguyễn Huệ")
    finally:
        await geocoder.aclose()
    assert result is not None and result.ward_code is None
    assert fake.requests[0]["path"] == "/nominatim/search"


async def test_geopy_no_result_is_none(serve: ServerFactory) -> None:
    fake = FakeNominatim(results=[])
    url = await serve(fake)
    async with GeopyGeocoder(
        "nominatim", url=url, user_agent=USER_AGENT, timeout_s=5.0
    ) as geocoder:
        assert await geocoder.geocode("nowhere at all") is None
        assert await geocoder.geocode("   ") is None  # not even asked
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    "fake",
    [
        FakeNominatim(status=500, results=[]),
        FakeNominatim(status=503, results=[]),
        FakeNominatim(status=429, results=[]),
        FakeNominatim(body="<html>not json</html>"),
    ],
    ids=["500", "503", "429", "not-json"],
)
async def test_geopy_server_errors_are_unavailable(
    serve: ServerFactory, fake: FakeNominatim
) -> None:
    url = await serve(fake)
    async with GeopyGeocoder(
        "nominatim", url=url, user_agent=USER_AGENT, timeout_s=5.0
    ) as geocoder:
        with pytest.raises(GeocodingUnavailable):
            await geocoder.geocode("Nguyễn Huệ")


async def test_geopy_timeout_is_unavailable(serve: ServerFactory) -> None:
    fake = FakeNominatim(results=[NGUYEN_HUE], delay_s=2.0)
    url = await serve(fake)
    async with GeopyGeocoder(
        "nominatim", url=url, user_agent=USER_AGENT, timeout_s=0.3
    ) as geocoder:
        with pytest.raises(GeocodingUnavailable):
            await geocoder.geocode("Nguyễn Huệ")


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_geopy_connection_refused_is_unavailable() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    async with GeopyGeocoder(
        "nominatim", url=url, user_agent=USER_AGENT, timeout_s=2.0
    ) as geocoder:
        with pytest.raises(GeocodingUnavailable):
            await geocoder.geocode("Nguyễn Huệ")


def test_geopy_configuration_errors() -> None:
    with pytest.raises(ValueError):
        GeopyGeocoder("googlev3", url=None, user_agent=USER_AGENT, timeout_s=5.0)
    with pytest.raises(ValueError):
        GeopyGeocoder("nominatim", url="ftp://example.org", user_agent=USER_AGENT, timeout_s=5.0)
    with pytest.raises(ValueError):
        GeopyGeocoder("nominatim", url=None, user_agent=" ", timeout_s=5.0)
    with pytest.raises(ValueError):
        GeopyGeocoder("nominatim", url=None, user_agent=USER_AGENT, timeout_s=0)


# ----- chain ---------------------------------------------------------------------------------


async def test_chain_prefers_offline_then_falls_back_to_geopy(
    serve: ServerFactory, offline: OfflineWardGeocoder
) -> None:
    fake = FakeNominatim(results=[NGUYEN_HUE])
    url = await serve(fake)
    geopy = GeopyGeocoder("nominatim", url=url, user_agent=USER_AGENT, timeout_s=5.0)
    chain = ChainGeocoder([offline, geopy])
    try:
        first = await chain.geocode("Phường Tân Phú")
        assert first is not None and first.how == "ward_name"
        assert fake.requests == []
        second = await chain.geocode("phố đi bộ Nguyễn Huệ")
        assert second is not None and second.how == "geocoder"
        assert len(fake.requests) == 1
    finally:
        await chain.aclose()


async def test_chain_skips_an_unavailable_geocoder(offline: OfflineWardGeocoder) -> None:
    broken = GeopyGeocoder(
        "nominatim", url=f"http://127.0.0.1:{_closed_port()}", user_agent=USER_AGENT, timeout_s=2.0
    )
    chain = ChainGeocoder([broken, offline])
    try:
        result = await chain.geocode("P. 12, Q. Tân Bình")
        assert result is not None and result.how == "old_ward"
        # nobody knows: None (one answered, one was unavailable)
        assert await chain.geocode("somewhere unknown") is None
    finally:
        await chain.aclose()


async def test_chain_all_unavailable_raises() -> None:
    geocoders: list[Geocoder] = [
        GeopyGeocoder(
            "nominatim",
            url=f"http://127.0.0.1:{_closed_port()}",
            user_agent=USER_AGENT,
            timeout_s=2.0,
        )
        for _ in range(2)
    ]
    chain = ChainGeocoder(geocoders)
    try:
        with pytest.raises(GeocodingUnavailable):
            await chain.geocode("Nguyễn Huệ")
    finally:
        await chain.aclose()
    with pytest.raises(ValueError):
        ChainGeocoder([])
