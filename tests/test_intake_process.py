# ruff: noqa: F811  (the fixture is imported, then used by name as pytest does)
"""The intake writer as a process of its own (``web.intake_writer: process``), through the
real webhook: a real ``sosbot intake-writer`` child on SQLite and PostgreSQL and real Redis.
What is answered 200 is committed; a child that dies costs 503s (the platforms retry), never
a delivery, and a new one takes over."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from redis import Redis
from rq import Queue
from sqlalchemy.engine import Engine
from sqlmodel import select

from sosbot.delivery.queueing import SERIALIZER
from sosbot.intake.writer_process import Frames, IntakeProcess, WriterCommand, encode
from sosbot.storage.db import transaction
from sosbot.storage.tables import Conversation, InboundEvent, Outbox
from sosbot.webhooks import WRITER
from tests.test_webhooks import make_client, post, update  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def writer_command(tmp_path: Path, engine: Engine, redis_url: str, queue_name: str,
                   ward_data: Path) -> WriterCommand:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "geo": {"wards_file": str(ward_data / "hcmc-wards-2025.geojson.gz"),
                "city_file": str(ward_data / "hcmc-city-2025.geojson.gz")},
        "queue": {"name": queue_name}}))
    env = {**os.environ, "SOSBOT_CONFIG": str(config),
           "DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "REDIS_URL": redis_url, "PYTHONPATH": str(REPO)}
    return WriterCommand(argv=(sys.executable, "-m", "sosbot.cli", "intake-writer"), env=env)


def test_frames_wait_for_whole_messages_and_keep_their_order() -> None:
    frames = Frames()
    data = b"".join(encode(("m", i, "x" * i)) for i in range(5))
    frames.feed(data[:7])
    assert frames.take() == []  # not even one whole frame yet
    frames.feed(data[7:40])
    first = frames.take()
    frames.feed(data[40:])
    assert first + frames.take(2) + frames.take() == [("m", i, "x" * i) for i in range(5)]
    assert frames.take() == []


async def test_deliveries_are_stored_by_the_child_and_queued(
        make_client: Any, writer_command: WriterCommand, engine: Engine, redis: Redis,
        queue_name: str) -> None:
    client = await make_client(writer_process=writer_command)
    writer = client.app[WRITER]
    assert isinstance(writer, IntakeProcess) and writer.ready and writer.pid != os.getpid()
    first = update("/start", chat=8000)
    answers = await asyncio.gather(*(post(client, update("/start", chat=8000 + i))
                                     for i in range(1, 30)), post(client, first))
    assert [status for status, _ in answers] == [200] * 30
    status, answer = await post(client, first)  # the platform's retry: stored once
    assert (status, answer["description"]) == (200, "duplicate")
    with transaction(engine) as session:
        conversations = session.exec(select(Conversation)).all()
        rows = session.exec(select(Outbox)).all()
    assert sorted(int(c.chat_id) for c in conversations) == list(range(8000, 8030))
    assert all(c.state["stage"] == "category" for c in conversations)
    carried = [row_id for job in Queue(queue_name, connection=redis,
                                       serializer=SERIALIZER).get_jobs()
               for row_id in (job.args[0] if isinstance(job.args[0], list) else [job.args[0]])]
    assert sorted(carried) == sorted(row.id for row in rows) and len(rows) == 30
    response = await client.get("/readyz")
    assert (await response.json())["intake"] == "ok"


async def test_a_dead_child_costs_503s_then_a_new_one_takes_over(
        make_client: Any, writer_command: WriterCommand, engine: Engine,
        caplog: pytest.LogCaptureFixture) -> None:
    client = await make_client(writer_process=writer_command)
    writer = client.app[WRITER]
    assert isinstance(writer, IntakeProcess) and writer.pid is not None
    writer.restart_delay_s = 0.1
    assert (await post(client, update("/start", chat=8100)))[0] == 200
    dead = writer.pid
    os.kill(dead, signal.SIGKILL)
    lost = update("xin chào", chat=8101)
    status, answer = await post(client, lost)
    assert status == 503 and "retry" in answer["description"]
    for _ in range(600):  # the new child loads the ward data first
        if writer.ready:
            break
        await asyncio.sleep(0.1)
    assert writer.ready and writer.pid != dead and writer.restarts == 1
    assert (await post(client, lost))[0] == 200  # the platform's retry is taken
    with transaction(engine) as session:
        chats = sorted(e.chat_id for e in session.exec(select(InboundEvent)).all())
    assert chats == ["8100", "8101"]
    assert "intake writer process ended unexpectedly (exit code -9)" in caplog.text


async def test_a_child_that_cannot_start_stops_the_web_process_from_starting(
        make_client: Any, writer_command: WriterCommand) -> None:
    broken = WriterCommand(argv=writer_command.argv,
                           env={**writer_command.env, "DATABASE_URL": "nosuchdb://x"})
    with pytest.raises(RuntimeError, match="did not start"):
        await make_client(writer_process=broken)


async def test_a_child_killed_between_recording_and_processing_leaves_it_to_the_next(
        make_client: Any, writer_command: WriterCommand, engine: Engine) -> None:
    """kill -9 of the child after it recorded (and the webhooks were answered 200) and
    before its processing committed: the next child processes the journal's rows before
    it is ready, in order, once."""
    if engine.dialect.name != "postgresql":
        pytest.skip("on SQLite the one write lock that holds the processing holds the "
                    "recording too")
    client = await make_client(writer_process=writer_command)
    writer = client.app[WRITER]
    assert isinstance(writer, IntakeProcess) and writer.pid is not None
    writer.restart_delay_s = 0.1
    dead = writer.pid
    # The processing waits for the conversations' lock (it opens them); the recording
    # touches only the journal.
    with engine.connect() as blocker:
        held = blocker.begin()
        blocker.execute(sa.text("LOCK TABLE conversation IN EXCLUSIVE MODE"))
        for text in ("/start", "1"):
            status, _ = await post(client, update(text, chat=8200), processed=False)
            assert status == 200
        with transaction(engine) as session:
            rows = session.exec(select(InboundEvent)).all()
        assert [row.processed_at for row in rows] == [None, None]
        os.kill(dead, signal.SIGKILL)
        held.rollback()
    for _ in range(600):  # the new child loads the ward data and replays first
        if writer.ready and writer.pid != dead:
            break
        await asyncio.sleep(0.1)
    assert writer.ready and writer.pid != dead
    await writer.processed()
    with transaction(engine) as session:
        rows = session.exec(select(InboundEvent)).all()
        conversation = session.exec(select(Conversation)).one()
        sent = session.exec(select(Outbox)).all()
    assert all(row.processed_at is not None for row in rows)
    assert conversation.state["draft"]["category"] is not None  # /start, then "1"
    assert len(sent) == 2  # the menu and the category's answer, once each
