"""The lookup_place job: a conversation's typed place gets its candidate wards in the worker
(real rq worker, Redis, SQLite and PostgreSQL), online when the geocoder answers, offline
when it is unset or down."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.cli.worker import worker_queues
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.model import ConversationState
from sosbot.delivery import context, jobs
from sosbot.delivery.context import JobContext, Limits
from sosbot.delivery.job_guard import guarded_worker
from sosbot.delivery.queueing import SERIALIZER, Dispatcher, places_queue
from sosbot.delivery.send_rate import SendRateLimiter
from sosbot.emulators.geocoder.app import GeocoderEmulatorConfig
from sosbot.geo import GAZETTEER_FILE
from sosbot.geo.nominatim import GeocoderSettings, NominatimPlaces, PlaceFinder, SharedRateLimit
from sosbot.geo.place_understanding import PlaceReader, packaged_reader
from sosbot.runtime import delivery_extensions
from sosbot.storage import conversations, place_lookups
from sosbot.storage.db import transaction
from sosbot.storage.media_store import MediaStore
from sosbot.storage.tables import Conversation, Outbox
from tests.conftest import routing_rules
from tests.geo.test_nominatim import Emulator, FakeClock, _free_port


@pytest.fixture(scope="module")
def reader() -> PlaceReader:
    return packaged_reader()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator(GeocoderEmulatorConfig(GAZETTEER_FILE, requests_per_s=1000.0))
    yield emu
    emu.close()


def _context(engine: Engine, redis: Redis, queue_name: str, tmp_path: Path,
             places: PlaceFinder) -> JobContext:
    def clock() -> datetime:
        return datetime.now(UTC)

    return JobContext(engine=engine, redis=redis, dispatcher=Dispatcher(redis, queue_name),
                      outbound={}, media_store=MediaStore(tmp_path / "media"),
                      conversation=ConversationSettings(), limits=Limits(),
                      run=lambda aw: None, clock=clock, limiter=SendRateLimiter(redis, clock),
                      sleep=time.sleep, extensions=delivery_extensions(None),
                      rules=routing_rules(), places=places)


def _online(url: str, reader: PlaceReader, redis: Redis) -> NominatimPlaces:
    clock = FakeClock()
    return NominatimPlaces(GeocoderSettings(url=url, timeout_s=2.0), reader.index, redis,
                           SharedRateLimit(redis, 1.0, clock=clock, sleep=clock.sleep))


def _run_lookup(ctx: JobContext, queue_name: str, conversation_id: int, text: str) -> int:
    with transaction(ctx.engine) as session:
        lookup_id = place_lookups.request(session, conversation_id, text,
                                          datetime.now(UTC)).id
    assert lookup_id is not None
    ctx.dispatcher.place_lookups([lookup_id])
    context.install(ctx)
    try:
        guarded_worker(ctx.redis, *worker_queues(queue_name, only_places=False)).work(burst=True)
    finally:
        context.install(None)
    return lookup_id


def test_the_job_stores_online_and_offline_candidates_for_the_conversation(
        engine: Engine, redis: Redis, queue_name: str, tmp_path: Path, reader: PlaceReader,
        emulator: Emulator) -> None:
    ctx = _context(engine, redis, queue_name, tmp_path,
                   PlaceFinder(reader, _online(emulator.url, reader, redis)))
    # A street through two wards: the online answer (its middle) leads them.
    _run_lookup(ctx, queue_name, 7, "đường Âu Cơ")
    with transaction(engine) as session:
        row = place_lookups.latest_for(session, 7)
        assert row is not None and row.status == place_lookups.DONE
        hows = [c["how"] for c in row.candidates]
        assert row.candidates[0]["ward_name"] == "Tân Phú"
        assert "nominatim" in hows  # the emulator answered through geopy
        assert len({c["ward_code"] for c in row.candidates}) == len(row.candidates)
        assert row.done_at is not None
    # The online answer for a place the offline reading also knows lands in the same ward.
    _run_lookup(ctx, queue_name, 8, "bệnh viện Chợ Rẫy")
    with transaction(engine) as session:
        row = place_lookups.latest_for(session, 8)
        assert row is not None and [c["ward_name"] for c in row.candidates] == ["Chợ Lớn"]


def test_with_the_geocoder_down_the_job_stores_the_offline_reading(
        engine: Engine, redis: Redis, queue_name: str, tmp_path: Path,
        reader: PlaceReader) -> None:
    down = _online(f"http://127.0.0.1:{_free_port()}", reader, redis)
    ctx = _context(engine, redis, queue_name, tmp_path, PlaceFinder(reader, down))
    _run_lookup(ctx, queue_name, 9, "25 Lê Duẩn, Sài Gòn")
    with transaction(engine) as session:
        row = place_lookups.latest_for(session, 9)
        assert row is not None and row.status == place_lookups.OFFLINE
        assert row.candidates[0]["how"] == "street-number"
        assert row.candidates[0]["ward_name"] == "Sài Gòn"


def test_a_lookup_is_done_once(engine: Engine, redis: Redis, queue_name: str, tmp_path: Path,
                               reader: PlaceReader) -> None:
    ctx = _context(engine, redis, queue_name, tmp_path, PlaceFinder(reader))
    lookup_id = _run_lookup(ctx, queue_name, 10, "Q.Tân Phú")
    context.install(dataclasses.replace(ctx, places=None))  # a second run touches nothing
    try:
        assert jobs.lookup_place(lookup_id) == place_lookups.OFFLINE
        assert jobs.lookup_place(999_999) == "gone"
    finally:
        context.install(None)
    with transaction(engine) as session:
        row = place_lookups.get(session, lookup_id)
        assert row is not None and {c["how"] for c in row.candidates} == {"district"}


def test_a_worker_serves_its_queue_then_the_places_queue() -> None:
    assert worker_queues("sosbot", only_places=False) == ("sosbot", "sosbot-places")
    assert worker_queues("sosbot", only_places=True) == ("sosbot-places",)


def test_lookups_wait_on_their_own_queue_behind_residents_replies(
        engine: Engine, redis: Redis, queue_name: str, tmp_path: Path,
        reader: PlaceReader) -> None:
    """A lookup holds its worker for the geocoder's whole answer time: it goes on the places
    queue, a worker takes the main queue's jobs first, and a places-only worker takes
    nothing else."""
    ctx = _context(engine, redis, queue_name, tmp_path, PlaceFinder(reader))
    main = Queue(queue_name, connection=redis, serializer=SERIALIZER)
    places = Queue(places_queue(queue_name), connection=redis, serializer=SERIALIZER)
    with transaction(engine) as session:
        lookup_id = place_lookups.request(session, 11, "Q.Tân Phú", datetime.now(UTC)).id
    assert lookup_id is not None
    ctx.dispatcher.place_lookups([lookup_id])
    assert (main.count, places.count) == (0, 1)
    ctx.dispatcher.outbox([987654])  # a resident's reply, queued after the lookup
    assert (main.count, places.count) == (1, 1)
    context.install(ctx)
    try:
        guarded_worker(redis, *worker_queues(queue_name, only_places=False)).work(
            burst=True, max_jobs=1)
        assert (main.count, places.count) == (0, 1)  # the reply went first
        ctx.dispatcher.outbox([987655])
        guarded_worker(redis, *worker_queues(queue_name, only_places=True)).work(burst=True)
        assert (main.count, places.count) == (1, 0)  # the places worker took the lookup only
    finally:
        context.install(None)
    with transaction(engine) as session:
        row = place_lookups.get(session, lookup_id)
        assert row is not None and row.status != place_lookups.PENDING


def test_the_job_is_on_the_workers_allow_list() -> None:
    assert jobs.JOBS["sosbot.delivery.jobs.lookup_place"] is jobs.lookup_place


def _resident_says(ctx: JobContext, chat_id: str, messages: list[str]) -> list[int]:
    """A resident's messages through intake (the conversation's settings from ``ctx``);
    the place lookups they asked for."""
    from sosbot.core.events import TextReceived
    from sosbot.core.model import Channel, ChatRef, Sender
    from sosbot.intake.take import IntakePolicy, take_batch

    chat = ChatRef(channel=Channel.TELEGRAM, chat_id=chat_id)
    sender = Sender(user_id=chat_id)
    policy = IntakePolicy(conversation=ctx.conversation, rules=ctx.rules)
    lookups: list[int] = []
    for n, words in enumerate(messages):
        with transaction(ctx.engine) as session:
            results = take_batch(session, [([TextReceived(
                text=words, chat=chat, sender=sender, event_id=f"{chat_id}-{n}")], {})],
                datetime.now(UTC), policy)
            lookups += [i for r in results for i in r.place_lookup_ids]
    return lookups



def _rows_and_state(engine: Engine, chat_id: str) -> tuple[list[Outbox], ConversationState]:
    """What was queued to the resident's chat, in order, and their conversation now."""
    with transaction(engine) as session:
        rows = list(session.exec(select(Outbox).where(Outbox.chat_id == chat_id)
                                 .order_by(col(Outbox.id))).all())
        state = conversations.load_state(session.exec(
            select(Conversation).where(Conversation.chat_id == chat_id)).one())
    return rows, state

def _work(ctx: JobContext, queue_name: str) -> None:
    """A worker runs every queued job, the main queue's and the places'."""
    context.install(ctx)
    try:
        guarded_worker(ctx.redis, *worker_queues(queue_name, only_places=False)).work(
            burst=True)
    finally:
        context.install(None)


def test_the_job_feeds_the_candidates_back_and_the_resident_is_asked(
        engine: Engine, redis: Redis, queue_name: str, tmp_path: Path, reader: PlaceReader,
        emulator: Emulator) -> None:
    """Issue 20 item 3: a typed place the offline reading cannot settle is looked up by the
    worker; its answer steps the resident's conversation in the same job, and the
    confirmation ("Có phải ở đây không?" or the wards to pick from) is queued at once."""
    from sosbot.geo.place_options import offline_reader

    conversation = ConversationSettings(read_place=offline_reader(reader), online_places=True)
    ctx = dataclasses.replace(
        _context(engine, redis, queue_name, tmp_path,
                 PlaceFinder(reader, _online(emulator.url, reader, redis))),
        conversation=conversation)
    lookups = _resident_says(ctx, "6201", ["cháy nhà cứu với", "chợ Âu Cơ"])
    assert len(lookups) == 1  # the street runs through two wards: worth the online look
    with transaction(engine) as session:
        before = session.exec(select(Outbox).where(Outbox.chat_id == "6201")).all()
        offline_list = [row.payload["text"] for row in before][-1]
    assert "nhiều phường" in offline_list  # the offline wards are proposed at once
    ctx.dispatcher.place_lookups(lookups)
    _work(ctx, queue_name)
    rows, state = _rows_and_state(engine, "6201")
    asked = rows[-1].payload
    assert len(rows) == len(before) + 1
    assert asked["text"].startswith("🔎 Đã tìm thấy trên bản đồ.")
    assert asked.get("map_page") is True  # the map is one tap away
    assert state.draft is not None and state.draft.location is None  # nothing taken yet
    assert state.draft.place_options[0].how == "nominatim"
    assert state.draft.place_options[0].ward_name == "Phường Tân Phú"
    assert state.draft.place_lookup is None


HANG_XANH = (10.8013, 106.7113)  # where Gia Định meets Thạnh Mỹ Tây


def _online_only_places(tmp_path: Path) -> Emulator:
    """The geocoder emulator answering for two places the offline gazetteer does not hold:
    one at Hàng Xanh, on a ward border, one well inside Bến Thành."""
    import json

    gazetteer = {"name": "test", "version": 1, "about": "places only the geocoder knows",
                 "streets": [], "places": [
                     {"id": "quan-ranh-gioi", "kind": "landmark", "name": "Quán Ranh Giới",
                      "names": ["Quán Ranh Giới"], "names_plain": ["quan ranh gioi"],
                      "lat": HANG_XANH[0], "lon": HANG_XANH[1], "ward_name": "Gia Định"},
                     {"id": "quan-giua-phuong", "kind": "landmark",
                      "name": "Quán Giữa Phường", "names": ["Quán Giữa Phường"],
                      "names_plain": ["quan giua phuong"], "lat": 10.7725, "lon": 106.6980,
                      "ward_name": "Bến Thành"}]}
    path = tmp_path / "online-only.json"
    path.write_text(json.dumps(gazetteer, ensure_ascii=False), encoding="utf-8")
    return Emulator(GeocoderEmulatorConfig(path, requests_per_s=1000.0))


def test_an_online_answer_on_a_ward_border_is_offered_as_the_wards_it_touches(
        engine: Engine, redis: Redis, queue_name: str, tmp_path: Path,
        reader: PlaceReader) -> None:
    """Round three of issue 20: a place only the online geocoder knows, within
    geo.place_understanding.BORDER_M of another ward, is stored as the wards it touches
    (its own first, each with a point inside it next to the place), as the gazetteer's
    border places are; one well inside its ward stays one place."""

    from sosbot.geo.place_understanding import BORDER_M

    touching = [n.ward.code for n in reader.index.wards_near(*HANG_XANH, BORDER_M)]
    assert len(touching) >= 2
    emu = _online_only_places(tmp_path)
    try:
        ctx = _context(engine, redis, queue_name, tmp_path,
                       PlaceFinder(reader, _online(emu.url, reader, redis)))
        _run_lookup(ctx, queue_name, 12, "Quán Ranh Giới")
        _run_lookup(ctx, queue_name, 13, "Quán Giữa Phường")
    finally:
        emu.close()
    with transaction(engine) as session:
        row = place_lookups.latest_for(session, 12)
        assert row is not None and row.status == place_lookups.DONE
        assert [c["ward_code"] for c in row.candidates] == touching
        assert {c["how"] for c in row.candidates} == {"nominatim"}
        assert len({c["label"] for c in row.candidates}) == 1  # one place on the line
        for c in row.candidates:
            ward = reader.index.ward_for(c["lat"], c["lon"]).ward
            assert ward is not None and ward.code == c["ward_code"]
            assert abs(c["lat"] - HANG_XANH[0]) < 0.002 and abs(c["lon"] - HANG_XANH[1]) < 0.002
        inside = place_lookups.latest_for(session, 13)
        assert inside is not None and [c["ward_name"] for c in inside.candidates] == ["Bến Thành"]


def test_the_resident_is_asked_which_side_of_the_border_an_online_answer_is_on(
        engine: Engine, redis: Redis, queue_name: str, tmp_path: Path,
        reader: PlaceReader) -> None:
    """The online border list reaches the resident as the gazetteer's does: "«…» nằm giáp
    ranh nhiều phường/xã" with one button a ward; nothing is taken before a tap."""

    from sosbot.geo.place_options import offline_reader
    from sosbot.geo.place_understanding import BORDER_M

    emu = _online_only_places(tmp_path)
    conversation = ConversationSettings(read_place=offline_reader(reader), online_places=True)
    try:
        ctx = dataclasses.replace(
            _context(engine, redis, queue_name, tmp_path,
                     PlaceFinder(reader, _online(emu.url, reader, redis))),
            conversation=conversation)
        lookups = _resident_says(ctx, "6202", ["cháy nhà cứu với", "Quán Ranh Giới"])
        assert len(lookups) == 1  # unknown offline: the geocoder is asked
        ctx.dispatcher.place_lookups(lookups)
        _work(ctx, queue_name)
    finally:
        emu.close()
    rows, state = _rows_and_state(engine, "6202")
    asked = rows[-1].payload
    assert asked["text"].startswith("🔎 Đã tìm thấy trên bản đồ.")
    assert "nằm giáp ranh nhiều phường/xã" in asked["text"]
    assert state.draft is not None and state.draft.location is None
    options = state.draft.place_options
    assert len(options) >= 2 and {o.how for o in options} == {"nominatim"}
    assert [o.ward_code for o in options] == \
        [n.ward.code for n in reader.index.wards_near(*HANG_XANH, BORDER_M)][:len(options)]
