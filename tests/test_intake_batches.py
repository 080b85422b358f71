# ruff: noqa: F811  (the fixture is imported, then used by name as pytest does)
"""Group commit and overload through the real webhook (aiohttp's test client) on SQLite and
PostgreSQL: many deliveries share a transaction, one bad delivery costs no other, and past
``max_in_flight`` or ``max_queue_delay_ms`` the webhook answers 503 at once and stores
nothing."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy.engine import Engine
from sqlmodel import select

from sosbot.bots.telegram.security import HEADER
from sosbot.delivery.queueing import SERIALIZER
from sosbot.intake import group_commit
from sosbot.intake import take as intake
from sosbot.storage.db import transaction
from sosbot.storage.tables import Conversation, InboundEvent, Outbox
from sosbot.webhooks import LOAD, LOCKS, WRITER
from tests.test_webhooks import SECRET, make_client, post, update  # noqa: F401  (fixture)

RESIDENTS = 60


async def test_concurrent_deliveries_share_transactions_and_all_are_stored(
        make_client: Any, engine: Engine, redis: Redis, queue_name: str) -> None:
    client = await make_client()
    answers = await asyncio.gather(*(post(client, update("/start", chat=7000 + i))
                                     for i in range(RESIDENTS)))
    assert [status for status, _ in answers] == [200] * RESIDENTS
    writer = client.app[WRITER]
    assert writer.stored == RESIDENTS
    assert writer.batches < RESIDENTS  # several deliveries per commit
    with transaction(engine) as session:
        conversations = session.exec(select(Conversation)).all()
        rows = session.exec(select(Outbox)).all()
    assert sorted(int(c.chat_id) for c in conversations) == list(range(7000, 7000 + RESIDENTS))
    assert all(c.state["stage"] == "category" for c in conversations)
    assert len(rows) == RESIDENTS
    carried = [row_id for job in Queue(queue_name, connection=redis,
                                       serializer=SERIALIZER).get_jobs()
               for row_id in (job.args[0] if isinstance(job.args[0], list) else [job.args[0]])]
    assert sorted(carried) == sorted(row.id for row in rows)  # each row in one job


async def test_one_failing_delivery_costs_no_other_in_its_batch(
        make_client: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """A delivery whose processing fails, alone too, was answered 200 once recorded: the
    others of its batch are processed, its journal row is marked processed with the error
    logged (never retried for ever), and nothing of it is stepped."""
    real = intake.take_recorded
    first_taken, others_queued = threading.Event(), threading.Event()

    def failing_for_one(session: Any, events: Any, fresh: Any, now: Any, policy: Any,
                        counts: Any = None) -> Any:
        chat = events[0].chat.chat_id
        if chat == "7000":  # the first batch: hold the writer until the others queue up
            first_taken.set()
            others_queued.wait(10)
        if chat == "7013":
            raise ValueError("a fault injected for chat 7013")
        return real(session, events, fresh, now, policy, counts)

    monkeypatch.setattr(intake, "take_recorded", failing_for_one)
    client = await make_client()
    pending = [asyncio.create_task(post(client, update("/start", chat=7000)))]
    await asyncio.get_running_loop().run_in_executor(None, first_taken.wait, 10)
    pending += [asyncio.create_task(post(client, update("/start", chat=7000 + i)))
                for i in range(1, 20)]
    await asyncio.sleep(0.5)
    others_queued.set()
    answers = await asyncio.gather(*pending)
    assert [status for status, _ in answers] == [200] * 20
    with transaction(engine) as session:
        events = session.exec(select(InboundEvent)).all()
        stepped = {c.chat_id for c in session.exec(select(Conversation)).all()}
    assert {e.chat_id for e in events} == {str(7000 + i) for i in range(20)}
    assert all(e.processed_at is not None for e in events)
    assert stepped == {str(7000 + i) for i in range(20)} - {"7013"}
    assert "processing them one by one" in caplog.text
    assert "could not be processed (ValueError: a fault injected for chat 7013)" in caplog.text


async def test_past_the_limit_in_flight_the_webhook_answers_503_and_stores_nothing(
        make_client: Any, engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    client = await make_client(max_in_flight=3, max_queue_delay_ms=60_000)
    caplog.set_level(logging.WARNING)
    # Three deliveries of one chat: the first holds the chat, the others wait behind it.
    async with client.app[LOCKS].hold(("telegram", "7100")):
        waiting = [asyncio.create_task(post(client, update(f"tin {i}", chat=7100)))
                   for i in range(3)]
        await asyncio.sleep(0.3)
        response = await client.post("/webhooks/telegram", json=update("/start", chat=7200),
                                     headers={"X-Telegram-Bot-Api-Secret-Token":
                                              "test-secret-0123456789abcdef"})
        assert response.status == 503 and response.headers["Retry-After"] == "1"
        assert "retry" in (await response.json())["description"]
    assert [status for status, _ in await asyncio.gather(*waiting)] == [200, 200, 200]
    with transaction(engine) as session:
        chats = [e.chat_id for e in session.exec(select(InboundEvent)).all()]
    assert chats == ["7100"] * 3
    assert "overloaded (in flight): 3 deliveries in flight (limit 3)" in caplog.text
    # Once the load has passed, the same update is taken.
    status, _ = await post(client, update("/start", chat=7200))
    assert status == 200


def hold_recording(monkeypatch: pytest.MonkeyPatch, chat: str
                   ) -> tuple[threading.Event, threading.Event]:
    """The writer held inside the transaction recording ``chat``'s delivery: set ``held``
    once it is, and waits there until ``release`` is set."""
    real = group_commit.record_batch
    held, release = threading.Event(), threading.Event()

    def holding(session: Any, batch: Any, now: Any, policy: Any) -> Any:
        if batch[0][0][0].chat.chat_id == chat:
            held.set()
            release.wait(30)
        return real(session, batch, now, policy)

    monkeypatch.setattr(group_commit, "record_batch", holding)
    return held, release


class Clock:
    """The admission's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_once_deliveries_wait_past_the_target_new_ones_are_refused_at_once(
        make_client: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    held, release = hold_recording(monkeypatch, "7300")
    clock = Clock()
    client = await make_client(max_queue_delay_ms=50, shed_min_waiting=2, monotonic=clock)
    caplog.set_level(logging.WARNING)
    first = asyncio.create_task(post(client, update("/start", chat=7300)))
    try:
        await asyncio.get_running_loop().run_in_executor(None, held.wait, 10)
        # Not yet past the target: taken, and it waits for the writer like the first.
        second = asyncio.create_task(post(client, update("/start", chat=7301)))
        while client.app[LOAD].count < 2:
            await asyncio.sleep(0.01)
        clock.now += 0.051
        # The writer is still held: a refusal that waited for it would never come back.
        for chat in (7302, 7303):
            response = await asyncio.wait_for(client.post(
                "/webhooks/telegram", json=update("/start", chat=chat),
                headers={HEADER: SECRET}), 10)
            assert response.status == 503 and response.headers["Retry-After"] == "1"
        assert not first.done() and not second.done()
        assert "overloaded (waited): 2 deliveries in flight" in caplog.text
    finally:
        release.set()
    assert [status for status, _ in await asyncio.gather(first, second)] == [200, 200]
    # The writer caught up: taken again.
    status, _ = await post(client, update("/start", chat=7304))
    assert status == 200
    with transaction(engine) as session:
        stored = sorted(e.chat_id for e in session.exec(select(InboundEvent)).all())
    assert stored == ["7300", "7301", "7304"]


async def test_a_chats_updates_share_a_batch_in_the_order_they_came(
        make_client: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chat's next update does not wait for the commit of the one before: the writer
    stores deliveries in the order they were handed over, so both go in one batch, in
    order."""
    held, release = hold_recording(monkeypatch, "7400")
    client = await make_client()
    first = asyncio.create_task(post(client, update("/start", chat=7400)))
    try:
        await asyncio.get_running_loop().run_in_executor(None, held.wait, 10)
        steps = [asyncio.create_task(post(client, update(text, chat=7401)))
                 for text in ("/start", "1")]  # the first step, then a category
        while client.app[LOAD].count < 3:
            await asyncio.sleep(0.01)
    finally:
        release.set()
    answers = await asyncio.gather(first, *steps)
    assert [status for status, _ in answers] == [200, 200, 200]
    writer = client.app[WRITER]
    assert writer.stored == 3 and writer.batches == 2  # the chat's two in one batch
    with transaction(engine) as session:
        conversation = session.exec(select(Conversation).where(
            Conversation.chat_id == "7401")).one()
    assert conversation.state["stage"] != "category"  # "1" was taken after /start
    assert conversation.state["draft"]["category"] is not None
