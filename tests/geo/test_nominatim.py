"""The geopy client against the geocoder emulator: the issue's typed places resolve online as
offline; the emulator's usage-policy refusals; the client's cache and shared rate limit."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from aiohttp import web
from redis import Redis

from sosbot.emulators.geocoder.app import STATE_KEY, GeocoderEmulatorConfig, create_app
from sosbot.geo import GAZETTEER_FILE
from sosbot.geo.geocoding import GeocodingUnavailable
from sosbot.geo.nominatim import (
    GeocoderSettings,
    NominatimPlaces,
    PlaceFinder,
    SharedRateLimit,
    parse_geocoder_url,
)
from sosbot.geo.place_understanding import PlaceReader, packaged_reader
from sosbot.loop_thread import BackgroundLoop


class FakeClock:
    """Seconds that move only when told (or when someone sleeps)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Emulator:
    def __init__(self, config: GeocoderEmulatorConfig) -> None:
        self.loop = BackgroundLoop().start()
        self.app = create_app(config)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"

        async def start() -> web.AppRunner:
            runner = web.AppRunner(self.app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.port).start()
            return runner

        self.runner = self.loop.run(start())

    def close(self) -> None:
        self.loop.run(self.runner.cleanup())
        self.loop.stop()


@pytest.fixture
def emulator_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(emulator_clock: FakeClock) -> Iterator[Emulator]:
    emu = Emulator(GeocoderEmulatorConfig(GAZETTEER_FILE, clock=emulator_clock))
    yield emu
    emu.close()


@pytest.fixture(scope="module")
def reader() -> PlaceReader:
    return packaged_reader()


def _client(emulator: Emulator, reader: PlaceReader, redis: Redis, clock: FakeClock,
            emulator_clock: FakeClock, **settings: object) -> NominatimPlaces:
    def sleep(seconds: float) -> None:  # the client waits: both clocks move on
        clock.sleep(seconds)
        emulator_clock.now += seconds

    rate = SharedRateLimit(redis, 1.0, clock=clock, sleep=sleep)
    return NominatimPlaces(GeocoderSettings(url=emulator.url, **settings),  # type: ignore[arg-type]
                           reader.index, redis, rate)


ISSUE_PLACES = ["số 5 Nguyễn Huệ, quận 1", "chợ Bến Thành", "25 Lê Duẩn, Sài Gòn",
                "ngã tư Hàng Xanh", "sân bay Tân Sơn Nhất", "cau sai gon",
                "chợ Tân Phú, đường Âu Cơ", "Q.Tân Phú"]


def test_the_issues_typed_places_resolve_through_geopy_and_the_emulator(
        emulator: Emulator, emulator_clock: FakeClock, reader: PlaceReader,
        redis: Redis) -> None:
    clock = FakeClock()
    places = _client(emulator, reader, redis, clock, emulator_clock)
    for text in ISSUE_PLACES:
        online = places.candidates(text)
        offline = reader.read(text).candidates
        if text == "Q.Tân Phú":  # a district is no place: the gazetteer's district table
            assert online == [] and offline[0].how == "district"
            continue
        assert online, text
        assert {c.how for c in online} == {"nominatim"}
        # the emulator's best answer is in the ward the offline reading proposes first
        assert online[0].ward_code == offline[0].ward_code, text
    # the client kept to one request a second: it waited between its seven requests
    assert clock.slept == [1.0] * (len(ISSUE_PLACES) - 1)


def test_the_emulator_speaks_nominatims_jsonv2(emulator: Emulator) -> None:
    import json
    import urllib.request

    request = urllib.request.Request(
        f"{emulator.url}/search?q=cho+ben+thanh&format=jsonv2&countrycodes=vn"
        "&viewbox=106.3,11.2,107.1,10.3&bounded=1&limit=3",
        headers={"User-Agent": "sosbot-test"})
    with urllib.request.urlopen(request) as answer:
        results = json.load(answer)
    first = results[0]
    assert isinstance(first["place_id"], int)
    assert isinstance(first["lat"], str) and isinstance(first["lon"], str)
    assert first["category"] == "amenity" and first["type"] == "marketplace"
    assert len(first["boundingbox"]) == 4 and all(isinstance(b, str)
                                                   for b in first["boundingbox"])
    assert "Bến Thành" in first["display_name"] and 0 < first["importance"] <= 1


def _status(url: str, agent: str | None) -> int:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url)
    if agent is not None:
        request.add_header("User-Agent", agent)
    else:
        request.add_header("User-Agent", "")  # urllib would send its own otherwise
    try:
        with urllib.request.urlopen(request) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_the_emulator_refuses_without_a_user_agent_and_past_one_request_a_second(
        emulator: Emulator, emulator_clock: FakeClock) -> None:
    url = f"{emulator.url}/search?q=cau+sai+gon&format=json"
    assert _status(url, None) == 403
    assert _status(url, "sosbot-test") == 200
    assert _status(url, "sosbot-test") == 429  # the same second
    emulator_clock.now += 1.0
    assert _status(url, "sosbot-test") == 200


def test_a_refusal_makes_the_geocoder_unavailable_and_the_offline_reading_remains(
        emulator: Emulator, emulator_clock: FakeClock, reader: PlaceReader,
        redis: Redis) -> None:
    clock = FakeClock()
    places = _client(emulator, reader, redis, clock, emulator_clock)
    places.candidates("chợ Bến Thành")
    redis.delete(NominatimPlaces.cache_key("cau sai gon"))
    # the client's own clock moves on, the emulator's does not: the server says 429
    clock.now += 5
    with pytest.raises(GeocodingUnavailable):
        places.candidates("cau sai gon")


def test_when_the_geocoder_is_down_the_offline_reading_remains(reader: PlaceReader,
                                                               redis: Redis) -> None:
    clock = FakeClock()
    down = NominatimPlaces(GeocoderSettings(url=f"http://127.0.0.1:{_free_port()}",
                                            timeout_s=2.0), reader.index, redis,
                           SharedRateLimit(redis, 1.0, clock=clock, sleep=clock.sleep))
    reading, asked = PlaceFinder(reader, down).find("cau sai gon")
    assert not asked
    assert reading.candidates[0].how == "gazetteer"
    assert reading.candidates[0].label == "Cầu Sài Gòn"


def test_a_geocoder_slower_than_the_timeout_is_unavailable_and_the_offline_reading_remains(
        reader: PlaceReader, redis: Redis) -> None:
    slow = Emulator(GeocoderEmulatorConfig(GAZETTEER_FILE, answer_delay_s=3.0))
    try:
        clock = FakeClock()
        places = NominatimPlaces(GeocoderSettings(url=slow.url, timeout_s=0.5), reader.index,
                                 redis, SharedRateLimit(redis, 1.0, clock=clock,
                                                        sleep=clock.sleep))
        reading, asked = PlaceFinder(reader, places).find("cau sai gon")
        assert not asked and slow.app[STATE_KEY].requests == 1  # it was asked, too slowly
        assert reading.candidates[0].label == "Cầu Sài Gòn"
    finally:
        slow.close()


def test_answers_are_cached_by_their_normalised_words(
        emulator: Emulator, emulator_clock: FakeClock, reader: PlaceReader,
        redis: Redis) -> None:
    clock = FakeClock()
    places = _client(emulator, reader, redis, clock, emulator_clock)
    first = places.candidates("Chợ Bến Thành")
    asked = emulator.app[STATE_KEY]
    before = asked.requests
    again = places.candidates("cho ben thanh")  # the same words without diacritics
    assert again == first and asked.requests == before
    assert redis.ttl(NominatimPlaces.cache_key("cho ben thanh")) > 0
    assert "thanh" not in NominatimPlaces.cache_key("cho ben thanh")  # no text in the key


def test_the_shared_rate_limit_waits_for_the_next_slot(redis: Redis) -> None:
    clock = FakeClock()
    one = SharedRateLimit(redis, 1.0, clock=clock, sleep=clock.sleep)
    other = SharedRateLimit(redis, 1.0, clock=clock, sleep=clock.sleep)  # another worker
    one.acquire()
    other.acquire()
    one.acquire()
    assert clock.slept == [1.0, 1.0]
    clock.now += 3
    other.acquire()
    assert clock.slept == [1.0, 1.0]


def test_the_shared_rate_limit_gives_up_rather_than_wait_too_long(redis: Redis) -> None:
    clock = FakeClock()
    limit = SharedRateLimit(redis, 5.0, clock=clock, sleep=clock.sleep, max_wait_s=2.0)
    limit.acquire()
    with pytest.raises(GeocodingUnavailable):
        limit.acquire()
    assert clock.slept == []


def test_answers_outside_the_service_area_are_dropped(reader: PlaceReader,
                                                      redis: Redis) -> None:
    class Located:
        def __init__(self, lat: float, lon: float, address: str) -> None:
            self.latitude, self.longitude, self.address = lat, lon, address

    class Server:  # stands in for geopy's Nominatim: answers a point in Hanoi and one here
        def geocode(self, query: str, **kwargs: object) -> list[Located]:
            assert kwargs["bounded"] is True and kwargs["country_codes"] == "vn"
            return [Located(21.0285, 105.8542, "Hà Nội"),
                    Located(10.7725, 106.698, "Chợ Bến Thành")]

    clock = FakeClock()
    places = NominatimPlaces(GeocoderSettings(url="http://127.0.0.1:1"), reader.index, redis,
                             SharedRateLimit(redis, 1.0, clock=clock, sleep=clock.sleep),
                             geolocator=Server())
    found = places.candidates("chợ")
    assert [c.label for c in found] == ["Chợ Bến Thành"]
    assert found[0].ward_name == "Bến Thành"


@pytest.mark.parametrize("url", ["ftp://x", "127.0.0.1:8084", "http://", "http://h/?q=1"])
def test_a_bad_geocoder_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_geocoder_url(url)


def test_a_geocoder_url_with_a_path_keeps_it() -> None:
    assert parse_geocoder_url("https://geo.example.org/nominatim/") == (
        "https", "geo.example.org/nominatim")


