# ruff: noqa: F811  (the fixture is imported, then used by name as pytest does)
"""The intake's journal through the real webhook (aiohttp's test client), SQLite and
PostgreSQL: a 200 means the events are recorded; their processing follows. A writer stopped
between the two leaves the journal to the next one, which processes it exactly once and in
order; a retried delivery after the recording is a duplicate; another web process's later
update of the same chat processes the earlier one first; and a processing that falls behind
makes the webhook refuse (503) instead of taking without bound."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.bots.messenger import security as messenger_security
from sosbot.bots.telegram.security import HEADER
from sosbot.core.model import Channel
from sosbot.intake import journal
from sosbot.intake.pipeline import Pipeline
from sosbot.intake.writer import IntakeWriter
from sosbot.storage.db import transaction
from sosbot.storage.tables import Conversation, InboundEvent, Outbox
from sosbot.webhooks import LOAD, WRITER
from tests.test_intake_batches import Clock
from tests.test_webhooks import SECRET, make_client, post, update  # noqa: F401  (fixture)
from tests.test_webhooks_zalo_messenger import APP_SECRET, messenger_batch


class Gate:
    """A writer's processing held shut (as if the writer were killed after recording) until
    ``open``; its recording goes on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, writer: Any) -> None:
        assert isinstance(writer, IntakeWriter)
        self._open = threading.Event()
        real = Pipeline.process

        def process(pipeline: Pipeline[Any], chunk: list[Any]) -> list[Any]:
            self._open.wait(30)  # the processing thread waits; the recording goes on
            return real(pipeline, chunk)

        monkeypatch.setattr(writer.pipeline, "process", process.__get__(writer.pipeline))

    def open(self) -> None:
        self._open.set()


@pytest.fixture
def gates() -> Iterator[list[Gate]]:
    made: list[Gate] = []
    yield made
    for gate in made:  # a writer's thread is never left waiting behind a test
        gate.open()


def journal_rows(engine: Engine) -> list[InboundEvent]:
    with transaction(engine) as session:
        return list(session.exec(select(InboundEvent).order_by(col(InboundEvent.id))).all())


def conversation_of(engine: Engine, chat: int) -> Conversation | None:
    with transaction(engine) as session:
        return session.exec(select(Conversation).where(
            Conversation.chat_id == str(chat))).one_or_none()


def outbox_count(engine: Engine) -> int:
    with transaction(engine) as session:
        return len(session.exec(select(Outbox)).all())


def assert_category_chosen(conversation: Conversation | None) -> None:
    """/start, then "1": the category menu answered, so both were taken, in that order."""
    assert conversation is not None
    assert conversation.state["stage"] != "category"
    assert conversation.state["draft"]["category"] is not None


async def test_a_200_means_recorded_and_the_processing_follows(
        make_client: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        gates: list[Gate]) -> None:
    client = await make_client()
    gate = Gate(monkeypatch, client.app[WRITER])
    gates.append(gate)
    status, answer = await post(client, update("/start", chat=7500), processed=False)
    assert (status, answer["description"]) == (200, "ok")
    [row] = journal_rows(engine)
    assert row.processed_at is None and conversation_of(engine, 7500) is None
    gate.open()
    await client.app[WRITER].processed()
    [row] = journal_rows(engine)
    assert row.processed_at is not None
    assert conversation_of(engine, 7500) is not None and outbox_count(engine) == 1


async def test_a_writer_stopped_after_recording_leaves_the_journal_to_the_next_one(
        make_client: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        gates: list[Gate], caplog: pytest.LogCaptureFixture) -> None:
    """Recorded and answered, never processed (the writer killed between the two): the next
    writer processes the rows before it takes anything, in the order they were recorded,
    once; a retry of an update after its recording is a duplicate."""
    first = await make_client()
    gate = Gate(monkeypatch, first.app[WRITER])
    gates.append(gate)
    start, category = update("/start", chat=7510), update("1", chat=7510)
    other = update("/start", chat=7511)
    for body in (start, category, other):
        assert (await post(first, body, processed=False))[0] == 200
    status, answer = await post(first, start, processed=False)  # the platform's retry
    assert (status, answer["description"]) == (200, "duplicate")
    assert [row.processed_at for row in journal_rows(engine)] == [None] * 3
    assert conversation_of(engine, 7510) is None

    caplog.set_level(logging.WARNING)
    second = await make_client()  # a new web process: its writer replays on start
    assert "3 deliveries recorded but not processed" in caplog.text
    assert all(row.processed_at is not None for row in journal_rows(engine))
    assert_category_chosen(conversation_of(engine, 7510))
    assert conversation_of(engine, 7511) is not None
    sent = outbox_count(engine)
    assert sent >= 3

    # Exactly once: the first writer's processing comes to them after all, and a replay
    # finds nothing.
    gate.open()
    await first.app[WRITER].processed()
    assert second.app[WRITER].commit.replay() == 0
    assert outbox_count(engine) == sent
    assert_category_chosen(conversation_of(engine, 7510))


async def test_another_web_process_processes_the_earlier_update_of_its_chat_first(
        make_client: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        gates: list[Gate], caplog: pytest.LogCaptureFixture) -> None:
    """Two web processes: a resident's /start recorded by one whose processing lags, then
    their next message by the other. The second processes the /start first (it is earlier
    in the journal), then the message; the first then finds it done."""
    slow, fast = await make_client(), await make_client()
    gate = Gate(monkeypatch, slow.app[WRITER])
    gates.append(gate)
    caplog.set_level(logging.INFO)
    assert (await post(slow, update("/start", chat=7520), processed=False))[0] == 200
    assert (await post(fast, update("1", chat=7520)))[0] == 200
    assert "1 earlier unprocessed event(s) of the same chats processed first" in caplog.text
    assert all(row.processed_at is not None for row in journal_rows(engine))
    assert_category_chosen(conversation_of(engine, 7520))
    sent = outbox_count(engine)
    assert sent == 2  # the menu, then the category's answer
    gate.open()
    await slow.app[WRITER].processed()
    assert outbox_count(engine) == sent
    assert all(row.processed_at is not None for row in journal_rows(engine))


async def test_a_processing_backlog_past_its_bound_is_refused_at_once(
        make_client: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        gates: list[Gate], caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    client = await make_client(max_backlog_s=2.0, monotonic=clock)
    gate = Gate(monkeypatch, client.app[WRITER])
    gates.append(gate)
    caplog.set_level(logging.WARNING)
    assert (await post(client, update("/start", chat=7530), processed=False))[0] == 200
    assert (await post(client, update("/start", chat=7531), processed=False))[0] == 200
    assert client.app[LOAD].backlog == 2
    clock.now += 2.5  # the oldest unprocessed one has waited past the bound
    response = await client.post("/webhooks/telegram", json=update("/start", chat=7532),
                                 headers={HEADER: SECRET})
    assert response.status == 503 and response.headers["Retry-After"] == "1"
    assert "overloaded (backlog)" in caplog.text
    assert [row.chat_id for row in journal_rows(engine)] == ["7530", "7531"]
    gate.open()
    await client.app[WRITER].processed()
    assert client.app[LOAD].backlog == 0
    assert (await post(client, update("/start", chat=7532)))[0] == 200  # the retry is taken
    assert conversation_of(engine, 7532) is not None


async def test_a_messenger_batch_is_read_back_from_its_one_kept_payload(
        make_client: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        gates: list[Gate]) -> None:
    """Messenger's batch of three events from two senders keeps its payload with the first
    event only (the others point to it): replayed, all three are processed, in order."""
    secrets = {"messenger_app_secret": APP_SECRET, "messenger_verify_token": "v",
               "messenger_replay_window_s": 3600}
    first = await make_client(**secrets)
    gates.append(Gate(monkeypatch, first.app[WRITER]))
    body = messenger_batch()
    response = await first.post("/webhooks/messenger", data=body, headers={
        messenger_security.SIGNATURE_HEADER: messenger_security.sign(body, APP_SECRET),
        "Content-Type": "application/json"})
    assert response.status == 200
    rows = journal_rows(engine)
    assert [row.processed_at for row in rows] == [None] * 3
    assert [("same_delivery_as" in row.payload) for row in rows] == [False, True, True]
    await make_client(**secrets)  # replays
    assert all(row.processed_at is not None for row in journal_rows(engine))
    with transaction(engine) as session:
        chats = {c.chat_id for c in session.exec(select(Conversation)).all()}
    assert chats == {"6234567890123456", "7345678901234567"}


def test_a_location_page_point_is_kept_so_that_it_can_be_processed_again() -> None:
    event, payload = journal.page_point("zalo", "u42", "tok123", 10.79, 106.63, 12.5)
    [again] = journal.parse(Channel.ZALO.value, payload)
    assert again == event and event.event_id == "page:tok123"


async def test_concurrent_residents_keep_their_order_with_the_processing_behind(
        make_client: Any, engine: Engine) -> None:
    """Recording runs ahead of processing: each resident's /start and category, sent
    back to back without waiting for the processing, are processed in order."""
    client = await make_client()
    residents = range(7600, 7620)

    async def resident(chat: int) -> list[int]:
        statuses = []
        for text in ("/start", "1"):
            statuses.append((await post(client, update(text, chat=chat), processed=False))[0])
        return statuses

    answers = await asyncio.gather(*(resident(chat) for chat in residents))
    assert answers == [[200, 200]] * len(residents)
    await client.app[WRITER].processed()
    for chat in residents:
        assert_category_chosen(conversation_of(engine, chat))


async def test_connections_the_server_ended_cost_the_resident_nothing(
        make_client: Any, engine: Engine, database_url: str) -> None:
    """The server ends every pooled connection while they are in steady use (a restart, a
    failover): those used moments ago are not pinged before use (storage.db), so the
    recording and the processing each meet a dead one, and each tries once more on a new
    connection. The resident's update is answered 200 and processed, not refused or left
    for later."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to end its connections")
    client = await make_client()
    assert (await post(client, update("/start", chat=7560)))[0] == 200  # connections in use
    admin = sa.create_engine(engine.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as db:
            ended = db.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    finally:
        admin.dispose()
    assert ended >= 1
    status, answer = await post(client, update("1", chat=7560))
    assert (status, answer["description"]) == (200, "ok")
    assert_category_chosen(conversation_of(engine, 7560))
