"""Outbox delivery and media download through the real Telegram client against the emulator."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from PIL import Image
from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.bots.telegram.outbound import TelegramOutbound
from sosbot.core.actions import Choice, OutgoingMessage
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.model import ConversationState, Destination, Draft, Stage
from sosbot.core.outbox_rows import TextRow
from sosbot.delivery import context, jobs, lanes, media_downloads, outgoing
from sosbot.delivery import sending as delivery
from sosbot.delivery.context import JobContext, Limits
from sosbot.delivery.queueing import DELIVER, ESCALATE, SERIALIZER, Dispatcher
from sosbot.delivery.send_rate import SendRateLimiter
from sosbot.delivery.sweeper import sweep
from sosbot.emulators.telegram.app import create_app as create_emulator
from sosbot.emulators.telegram.state import BotSpec, EmulatorConfig
from sosbot.loop_thread import BackgroundLoop
from sosbot.runtime import delivery_extensions
from sosbot.storage import outbox
from sosbot.storage.db import transaction
from sosbot.storage.media_store import MediaStore
from sosbot.storage.tables import Conversation, Media, Outbox
from tests.conftest import closed_port, routing_rules

TOKEN = "7000000001:TEST-delivery-token"
USER = 5101


@pytest.fixture
async def emulator() -> AsyncIterator[str]:
    app = create_emulator(bots=[BotSpec(token=TOKEN, username="sos_test_bot")],
                          config=EmulatorConfig(retry_base_s=0.05))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        await http.post(f"{base}/_emu/users", json={"first_name": "Lan", "id": USER})
    yield base
    await runner.cleanup()


@pytest.fixture
def loop_thread() -> Iterator[BackgroundLoop]:
    loop = BackgroundLoop().start()
    yield loop
    loop.stop()


def make_context(engine: Engine, redis: Redis, queue_name: str, base: str,
                 loop: BackgroundLoop, media_dir: Path, settings: ConversationSettings,
                 start: bool = True, **limits: Any) -> JobContext:
    telegram = TelegramOutbound(TOKEN, base, timeout_s=3)

    def clock() -> datetime:
        return datetime.now(UTC)

    if start:
        loop.run(telegram.start())
    return JobContext(engine=engine, redis=redis, dispatcher=Dispatcher(redis, queue_name),
                      outbound={"telegram": telegram}, media_store=MediaStore(media_dir),
                      conversation=settings, limits=Limits(**limits), run=loop.run_any,
                      clock=clock, limiter=SendRateLimiter(redis, clock),
                      sleep=time.sleep, extensions=delivery_extensions(None),
                      rules=routing_rules())


@pytest.fixture
async def ctx(engine: Engine, redis: Redis, queue_name: str, emulator: str,
              loop_thread: BackgroundLoop, tmp_path: Path,
              conversation_settings: ConversationSettings) -> JobContext:
    # Off the test's event loop: the emulator answering getMe runs on it.
    return await asyncio.get_running_loop().run_in_executor(None, lambda: make_context(
        engine, redis, queue_name, emulator, loop_thread, tmp_path / "media",
        conversation_settings, max_send_attempts=2, media_attempts=2))


def queue_messages(engine: Engine, texts: list[str], chat: int = USER) -> list[int]:
    now = datetime.now(UTC)
    with transaction(engine) as session:
        rows = [outbox.add(session, destination=Destination.RESIDENT,
                           channel="telegram", chat_id=str(chat), row=TextRow.plain(text), now=now)
                for text in texts]
        session.flush()
        return [row.id for row in rows if row.id is not None]


async def in_thread(func: Any, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, func, *args)


async def emulator_get(base: str, path: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(f"{base}{path}") as response:
        return await response.json()


async def emulator_post(base: str, path: str, body: dict[str, Any]) -> Any:
    async with aiohttp.ClientSession() as http, http.post(f"{base}{path}",
                                                          json=body) as response:
        return await response.json()


async def bot_texts(base: str, chat: int = USER) -> list[str]:
    messages = (await emulator_get(base, f"/_emu/chats/{chat}/messages"))["messages"]
    return [m.get("text", "") for m in messages if m["from"]["is_bot"]]


async def run_job(ctx: JobContext, ids: list[int]) -> str:
    """Run a ``deliver_outbox_rows`` job of these rows as a worker does (its context
    installed), off the test's event loop; what the job returned."""
    context.install(ctx)
    try:
        return str(await in_thread(jobs.deliver_outbox_rows, ids))
    finally:
        context.install(None)


def statuses(engine: Engine, ids: list[int]) -> list[str]:
    with transaction(engine) as session:
        rows = session.exec(select(Outbox).where(col(Outbox.id).in_(ids))
                            .order_by(col(Outbox.id))).all()
        return [row.status for row in rows]


async def test_rows_of_a_chat_are_sent_in_order_by_any_job(ctx: JobContext, engine: Engine,
                                                           emulator: str) -> None:
    ids = queue_messages(engine, ["một", "hai", "ba"])
    assert await in_thread(delivery.deliver, ctx, ids[-1]) == "sent"
    assert await bot_texts(emulator) == ["một", "hai", "ba"]
    assert statuses(engine, ids) == ["sent"] * 3
    # The older rows' own jobs find nothing left to do.
    assert await in_thread(delivery.deliver, ctx, ids[0]) == "sent"
    assert await bot_texts(emulator) == ["một", "hai", "ba"]


def queued_rows(ctx: JobContext) -> list[int]:
    """The outbox rows of the delivery jobs waiting on the queue, in queue order."""
    return [int(job.args[0]) for job in ctx.dispatcher.queue.get_jobs()
            if job.func_name.endswith("deliver_outbox")]


async def test_a_job_finding_its_chat_busy_leaves_the_row_to_the_holder(
        ctx: JobContext, engine: Engine, emulator: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A job never waits for a chat another worker holds: the holder sends its row, and a row
    queued after the holder's last look is handed to a fresh job when the holder lets go."""
    first = queue_messages(engine, ["một"])
    late: list[int] = []
    outcomes: list[str] = []
    send_chat = delivery._send_chat

    def a_new_row_after_the_last_look(*args: Any) -> tuple[str, int]:
        result = send_chat(*args)  # found nothing more; the lock is not yet let go
        if not late:
            # Another worker's job for a row committed just now: the lock is taken.
            late.extend(queue_messages(engine, ["hai"]))
            outcomes.append(delivery.deliver(ctx, late[0]))
        return result

    monkeypatch.setattr(delivery, "_send_chat", a_new_row_after_the_last_look)
    assert await in_thread(delivery.deliver, ctx, first[0]) == "sent"
    assert outcomes == ["chat busy"]
    assert statuses(engine, first + late) == ["sent", "pending"]
    assert queued_rows(ctx) == late  # handed on, not stranded until the sweeper
    monkeypatch.setattr(delivery, "_send_chat", send_chat)
    assert await in_thread(delivery.deliver, ctx, late[0]) == "sent"
    assert await bot_texts(emulator) == ["một", "hai"]


async def test_a_busy_chat_gives_other_chats_a_turn(ctx: JobContext, engine: Engine,
                                                    emulator: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "MAX_SENDS_PER_JOB", 2)
    ids = queue_messages(engine, ["1", "2", "3", "4", "5"])
    assert await in_thread(delivery.deliver, ctx, ids[0]) == "continued"
    assert statuses(engine, ids) == ["sent"] * 2 + ["pending"] * 3
    assert queued_rows(ctx) == [ids[2]]
    assert await in_thread(delivery.deliver, ctx, ids[2]) == "continued"
    assert await in_thread(delivery.deliver, ctx, ids[4]) == "sent"
    assert await bot_texts(emulator) == ["1", "2", "3", "4", "5"]


async def test_user_text_is_escaped_and_buttons_rendered(ctx: JobContext, engine: Engine,
                                                         emulator: str) -> None:
    nasty = "<b>Cháy</b> & <script>x</script> 5 < 6"
    now = datetime.now(UTC)
    with transaction(engine) as session:
        row = outbox.add(session, destination=Destination.RESIDENT,
                         channel="telegram", chat_id=str(USER), row=TextRow(OutgoingMessage(
                             text=nasty, choices=((Choice("Gửi", "submit"),),))), now=now)
        session.flush()
        row_id = row.id
    assert await in_thread(delivery.deliver, ctx, row_id) == "sent"
    message = (await emulator_get(emulator, f"/_emu/chats/{USER}/messages"))["messages"][-1]
    assert message["text"] == nasty
    assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "submit"


async def test_our_limiter_keeps_a_burst_under_telegrams_limit(ctx: JobContext, engine: Engine,
                                                                emulator: str) -> None:
    ids = queue_messages(engine, [f"tin {i}" for i in range(7)])
    assert await in_thread(delivery.deliver, ctx, ids[-1]) == "sent"
    assert await bot_texts(emulator) == [f"tin {i}" for i in range(7)]
    calls = await emulator_get(emulator, "/_emu/calls")
    assert [c["status"] for c in calls if c["method"] == "sendMessage"] == [200] * 7


async def test_a_job_sleeps_for_its_own_row_only(ctx: JobContext, engine: Engine,
                                                 emulator: str) -> None:
    """Past its own row, a job that would have to wait for the rate limit puts the chat back
    in the queue instead of sleeping: other chats' jobs get the worker meanwhile."""
    ids = queue_messages(engine, [f"tin {i}" for i in range(7)])
    assert await in_thread(delivery.deliver, ctx, ids[0]) == "continued"
    sent_at_once = statuses(engine, ids).count("sent")
    assert 1 <= sent_at_once < 7  # the limiter's burst, then no sleeping for others' rows
    assert queued_rows(ctx) == [ids[sent_at_once]]
    assert await in_thread(delivery.deliver, ctx, ids[-1]) == "sent"  # its own: it waits
    assert await bot_texts(emulator) == [f"tin {i}" for i in range(7)]


async def test_a_platform_429_defers_the_chat_until_retry_after(
        ctx: JobContext, engine: Engine, emulator: str, redis: Redis, queue_name: str) -> None:
    # The platform is stricter than our limiter expects: it must say 429, and we obey.
    await emulator_post(emulator, "/_emu/config", {"private_capacity": 1, "private_per_s": 0.25})
    ids = queue_messages(engine, ["first", "second"])
    assert await in_thread(delivery.deliver, ctx, ids[1]) == "deferred"
    assert statuses(engine, ids) == ["sent", "pending"]
    with transaction(engine) as session:
        second = session.get(Outbox, ids[1])
        assert second is not None and second.attempts == 0
        wait = (second.not_before - datetime.now(UTC)).total_seconds()
    assert 2 < wait <= 4.5
    assert Queue(queue_name, connection=redis,
                 serializer=SERIALIZER).scheduled_job_registry.count == 1
    # Before the time has come the job waits instead of sending.
    assert await in_thread(delivery.deliver, ctx, ids[1]) == "waiting"
    await asyncio.sleep(wait + 0.1)
    assert await in_thread(delivery.deliver, ctx, ids[1]) == "sent"
    calls = await emulator_get(emulator, "/_emu/calls")
    assert [c["status"] for c in calls if c["method"] == "sendMessage"] == [200, 429, 200]


async def test_blocked_user_fails_for_good(ctx: JobContext, engine: Engine,
                                           emulator: str) -> None:
    await emulator_post(emulator, f"/_emu/users/{USER}/block", {"token": TOKEN})
    ids = queue_messages(engine, ["a", "b"])
    assert await in_thread(delivery.deliver, ctx, ids[1]) == "sent"
    assert statuses(engine, ids) == ["failed", "failed"]
    with transaction(engine) as session:
        row = session.get(Outbox, ids[0])
        assert row is not None and "RecipientGone" in (row.last_error or "")


async def test_temporary_failures_are_retried_then_given_up(
        engine: Engine, redis: Redis, queue_name: str, loop_thread: BackgroundLoop,
        tmp_path: Path, conversation_settings: ConversationSettings) -> None:
    dead = make_context(engine, redis, queue_name, f"http://127.0.0.1:{closed_port()}", loop_thread,
                        tmp_path, conversation_settings, start=False, max_send_attempts=2)
    [row_id] = queue_messages(engine, ["không tới được"])
    assert await in_thread(delivery.deliver, dead, row_id) == "deferred"
    with transaction(engine) as session:
        row = session.get(Outbox, row_id)
        assert row is not None and row.attempts == 1 and row.status == "pending"
        row.not_before = datetime.now(UTC)
    assert await in_thread(delivery.deliver, dead, row_id) == "sent"  # nothing left pending
    assert statuses(engine, [row_id]) == ["failed"]


def _jpeg(width: int = 1000, height: int = 700) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (220, 60, 20)).save(buffer, "JPEG")
    return buffer.getvalue()


async def test_media_download_stores_the_largest_photo(ctx: JobContext, engine: Engine,
                                                       emulator: str) -> None:
    data = _jpeg()
    await emulator_post(emulator, "/_emu/send", {
        "token": TOKEN, "from": USER, "wait": False,
        "photo": {"data_b64": base64.b64encode(data).decode()}})
    message = (await emulator_get(emulator, f"/_emu/chats/{USER}/messages"))["messages"][-1]
    largest = message["photo"][-1]
    with transaction(engine) as session:
        good = Media(channel="telegram", kind="photo", platform_file_id=largest["file_id"],
                     created_at=datetime.now(UTC))
        bad = Media(channel="telegram", kind="photo", platform_file_id="no-such-file",
                    created_at=datetime.now(UTC))
        session.add_all([good, bad])
        session.flush()
        good_id, bad_id = good.id, bad.id
    assert await in_thread(media_downloads.download, ctx, good_id) == "stored"
    assert await in_thread(media_downloads.download, ctx, bad_id) == "failed"
    with transaction(engine) as session:
        stored = session.get(Media, good_id)
        failed = session.get(Media, bad_id)
    assert stored is not None and stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.mime == "image/jpeg" and stored.size == len(data)
    assert ctx.media_store.read(stored.sha256) == data
    assert failed is not None and failed.error


async def test_sweeper_requeues_stranded_rows_and_expires_idle_drafts(
        ctx: JobContext, engine: Engine, redis: Redis, queue_name: str) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    [row_id] = queue_messages(engine, ["bị kẹt"])
    state = ConversationState(stage=Stage.CATEGORY, draft=Draft(),
                              last_activity_epoch=long_ago.timestamp())
    with transaction(engine) as session:
        stuck = session.get(Outbox, row_id)
        assert stuck is not None
        stuck.enqueued_at = long_ago
        session.add(Conversation(channel="telegram", chat_id="5202", state=state.model_dump(
            mode="json"), has_draft=True, last_activity_at=long_ago, updated_at=long_ago))
    report = await in_thread(sweep, ctx)
    assert (report.outbox_requeued, report.drafts_expired) == (1, 1)
    with transaction(engine) as session:
        expired = session.exec(select(Outbox).where(Outbox.chat_id == "5202")).one()
        conversation = session.exec(select(Conversation)).one()
    assert "30 phút" in expired.payload["text"]
    assert conversation.has_draft is False
    jobs = Queue(queue_name, connection=redis, serializer=SERIALIZER).job_ids
    assert len(jobs) == 2 and any(job.startswith(f"outbox-{row_id}-") for job in jobs)
    assert (await in_thread(sweep, ctx)).outbox_requeued == 0, "re-queued once, not every sweep"


async def test_sweeper_does_not_multiply_a_backlog_the_workers_are_behind_on(
        ctx: JobContext, engine: Engine, redis: Redis, queue_name: str) -> None:
    """A big bulletin: hundreds of rows wait on the queue longer than the stale time. Their
    jobs are there; the sweeper must not add another job per row at every sweep."""
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    ids = queue_messages(engine, [f"bản tin {n}" for n in range(30)])
    with transaction(engine) as session:
        for row_id in ids:
            row = session.get(Outbox, row_id)
            assert row is not None
            row.enqueued_at = long_ago
    ctx.dispatcher.outbox(ids)  # their jobs, still waiting for a worker
    queue = Queue(queue_name, connection=redis, serializer=SERIALIZER)
    assert queue.count == 4  # eight rows a job (the last six)
    assert ctx.dispatcher.waiting() == 30
    assert (await in_thread(sweep, ctx)).outbox_requeued == 0
    assert queue.count == 4
    # Jobs that are gone (Redis lost them) are queued again, and only as many rows as they
    # carried.
    for job_id in queue.job_ids[:2]:
        queue.remove(job_id)
    assert (await in_thread(sweep, ctx)).outbox_requeued == 16
    assert ctx.dispatcher.waiting() == 30


def test_rows_queued_together_share_jobs_of_up_to_eight(redis: Redis,
                                                        queue_name: str) -> None:
    dispatcher = Dispatcher(redis, queue_name)
    dispatcher.outbox(list(range(11, 28)))
    jobs = dispatcher.queue.get_jobs()
    assert [(job.func_name.rsplit(".", 1)[1], job.args) for job in jobs] == [
        ("deliver_outbox_rows", [list(range(11, 19))]),
        ("deliver_outbox_rows", [list(range(19, 27))]),
        ("deliver_outbox", [27])]
    assert dispatcher.waiting() == 17


async def test_a_job_of_several_rows_sends_each_and_a_failure_holds_back_none(
        ctx: JobContext, engine: Engine, emulator: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows of one job go to different chats; one row's failure (the database gone for
    it) does not keep the others from being sent, and the job still fails, so rq keeps it."""
    other = USER + 1
    await emulator_post(emulator, "/_emu/users", {"first_name": "Minh", "id": other})
    first = queue_messages(engine, ["cho Lan"])
    second = queue_messages(engine, ["cho Minh"], chat=other)
    third = queue_messages(engine, ["cho Lan lần nữa"])
    deliver = delivery.deliver

    def deliver_failing_second(job_ctx: JobContext, outbox_id: int, **how: Any) -> str:
        if outbox_id == second[0]:
            raise ConnectionError("database connection lost")
        return deliver(job_ctx, outbox_id, **how)

    monkeypatch.setattr(delivery, "deliver", deliver_failing_second)
    context.install(ctx)
    try:
        with pytest.raises(ConnectionError):
            await in_thread(jobs.deliver_outbox_rows, [*first, *second, *third])
    finally:
        context.install(None)
    assert await bot_texts(emulator) == ["cho Lan", "cho Lan lần nữa"]
    assert statuses(engine, [*first, *second, *third]) == ["sent", "pending", "sent"]
    monkeypatch.setattr(delivery, "deliver", deliver)
    assert await run_job(ctx, second) == "sent"
    assert await bot_texts(emulator, other) == ["cho Minh"]


def test_jobs_for_later_are_scheduled_in_one_round_trip(redis: Redis, queue_name: str) -> None:
    dispatcher = Dispatcher(redis, queue_name)
    before = time.time()
    dispatcher.later_many([(DELIVER, 7, 30.0, 1), (ESCALATE, 8, 120.0, 2)])
    after = time.time()
    registry = dispatcher.queue.scheduled_job_registry
    due = {job_id.decode(): at for job_id, at in redis.zrange(registry.key, 0, -1,
                                                              withscores=True)}
    assert set(due) == {"outbox-7-1", "escalate-8-2"}
    assert int(before + 30) <= due["outbox-7-1"] <= after + 30
    assert int(before + 120) <= due["escalate-8-2"] <= after + 120
    assert Job.fetch("escalate-8-2", connection=redis, serializer=SERIALIZER).args == [8]


async def two_chats_a_second_away(engine: Engine, emulator: str) -> tuple[list[int], list[int]]:
    """A row for each of two residents, with the platform answering every call a second
    late."""
    other = USER + 1
    await emulator_post(emulator, "/_emu/users", {"first_name": "Minh", "id": other})
    await emulator_post(emulator, "/_emu/config", {"answer_delay_s": 1.0})
    return queue_messages(engine, ["cho Lan"]), queue_messages(engine, ["cho Minh"], chat=other)


async def assert_sent_together(emulator: str) -> None:
    """Both sends reached the platform within the second the first one waited."""
    calls = [c for c in await emulator_get(emulator, "/_emu/calls")
             if c["method"] == "sendMessage"]
    assert len(calls) == 2
    assert abs(calls[0]["at"] - calls[1]["at"]) < 1.0  # the second did not wait for the first


async def test_a_worker_with_lanes_takes_jobs_at_once_and_stops_after_them(
        ctx: JobContext, engine: Engine, emulator: str, redis: Redis,
        queue_name: str) -> None:
    """Two lanes of one worker process take two jobs at once: while the platform takes a
    second to answer the first send, the second is already on its way (lanes.py); asked to
    stop, the lanes finish the sends they hold."""
    first, second = await two_chats_a_second_away(engine, emulator)
    context.install(ctx)
    running = lanes.Lanes(redis, (queue_name,), 2).start()
    try:
        ctx.dispatcher.outbox(first)
        ctx.dispatcher.outbox(second)
        deadline = time.monotonic() + 20
        while running.busy() < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert running.busy() == 2  # both jobs taken, neither answered yet
        assert await in_thread(running.stop) == 0  # waited for both sends
    finally:
        running.stopping.set()
        context.install(None)
    assert statuses(engine, [*first, *second]) == ["sent", "sent"]
    await assert_sent_together(emulator)


async def test_the_chats_of_one_job_are_sent_at_once(
        ctx: JobContext, engine: Engine, emulator: str) -> None:
    """A job's rows for two chats: while the platform takes a second to answer the first
    chat's send, the second chat's is already on its way (jobs.deliver_outbox_rows)."""
    first, second = await two_chats_a_second_away(engine, emulator)
    assert await run_job(ctx, [*first, *second]) == "sent,sent"
    await assert_sent_together(emulator)


# What a send costs the database: a fixed few statements per row, whatever the job's size.
# The send path reads a chat's next row and writes its start and its outcome with Core
# statements (``storage.outbox.PendingRow``, ``mark_started``, ``record_sent``), the outcome
# and the next look in one transaction with no savepoint: a plain text costs three
# statements, where ORM loads, flushes and a savepoint per send cost five
# (bench/FINDINGS.md, session 9).
# Per row sent: its outcome recorded (UPDATE), the chat's next row looked at (SELECT …
# FOR UPDATE) and, when there is one, its attempt started (UPDATE).
STATEMENTS_PER_TEXT = 3


async def test_a_jobs_texts_cost_three_statements_each(
        ctx: JobContext, engine: Engine, emulator: str, loop_thread: BackgroundLoop) -> None:
    # Flood limits off on both sides (`channels.telegram.flood_limits: false`, the
    # emulator's too): a row that waits for its slot, or is answered 429, starts its
    # attempt again in a transaction of its own, which is not what is counted here.
    await emulator_post(emulator, "/_emu/config", {"limits": False})
    telegram = TelegramOutbound(TOKEN, emulator, timeout_s=3, flood_limits=False)
    await in_thread(loop_thread.run, telegram.start())
    ctx = replace(ctx, outbound={"telegram": telegram})
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.split(None, 1)[0].upper() != "BEGIN":  # SQLite's; PostgreSQL has none
            statements.append(statement)

    spent = {}
    sent: list[str] = []
    for size in (2, 8):
        texts = [f"tin {size}-{n}" for n in range(size)]
        ids = queue_messages(engine, texts)
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert await run_job(ctx, ids) == "sent"
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert statuses(engine, ids) == ["sent"] * size
        sent += texts
        spent[size] = len(statements)
    assert await bot_texts(emulator) == sent
    # Six more rows cost six times one row's statements, and no more than three each.
    assert spent[8] - spent[2] == 6 * STATEMENTS_PER_TEXT, spent
    # The job's own: where its rows go, the first look and start, the last look.
    assert spent[2] <= 2 * STATEMENTS_PER_TEXT + 3, spent


async def test_a_row_alone_in_its_chat_is_recorded_without_a_second_look(
        ctx: JobContext, engine: Engine, emulator: str) -> None:
    """The look at a chat's next row says whether anything else of the chat is pending;
    when nothing is, the send's outcome is recorded without looking again (a row added
    meanwhile has a job of its own: see the busy chat's test above)."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    [alone] = queue_messages(engine, ["một mình"])
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert await run_job(ctx, [alone]) == "sent"
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statuses(engine, [alone]) == ["sent"]
    looks = [s for s in statements if s.startswith("SELECT outbox.id, outbox.channel")
             and "outbox.chat_id = " in s]
    assert len(looks) == 1, looks
    assert await bot_texts(emulator) == ["một mình"]


async def test_a_row_decided_while_its_look_renders_it_is_not_sent(
        ctx: JobContext, engine: Engine, emulator: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A chat's look on PostgreSQL holds no lock on the row it reads (its statements each
    in autocommit): a row decided by anyone else between the read and the start of its
    attempt (here failed from another connection, as a purge or an operator would) is not
    started, so not sent, and the look goes on to the next row. (With the row locked, the
    other connection would wait for the look: its lock_timeout fails it.)"""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's look is one transaction: nothing else writes meanwhile")
    decided, sent = queue_messages(engine, ["quyết định ở nơi khác", "gửi tiếp"])
    prepare = outgoing.prepare

    def decide_then_prepare(job_ctx: JobContext, session: Any, row: Any) -> Any:
        if row.id == decided:
            with engine.connect() as other:
                other.exec_driver_sql("SET lock_timeout = '2s'")
                other.exec_driver_sql(
                    "UPDATE outbox SET status = 'failed' WHERE id = %(id)s", {"id": decided})
                other.commit()
        return prepare(job_ctx, session, row)

    monkeypatch.setattr(outgoing, "prepare", decide_then_prepare)
    assert await run_job(ctx, [decided, sent]) == "sent"
    assert statuses(engine, [decided, sent]) == ["failed", "sent"]
    assert await bot_texts(emulator) == ["gửi tiếp"]


async def test_a_row_sent_stays_sent_when_the_look_at_the_next_one_raises(
        ctx: JobContext, engine: Engine, emulator: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A send's outcome and the look at the chat's next row share a transaction (no
    savepoint): when preparing the next row raises, the outcome is recorded again alone and
    committed, so the row sent is not sent again; the next row's failure is counted as its
    attempt, and it waits for its retry."""
    sent, poisoned = queue_messages(engine, ["gửi được", "chuẩn bị lỗi"])
    prepare = outgoing.prepare

    def prepare_failing(job_ctx: JobContext, session: Any, row: Any) -> Any:
        if row.id == poisoned:
            raise RuntimeError("render broke")
        return prepare(job_ctx, session, row)

    monkeypatch.setattr(outgoing, "prepare", prepare_failing)
    assert await run_job(ctx, [sent, poisoned]) == "deferred"
    assert await bot_texts(emulator) == ["gửi được"]
    with transaction(engine) as session:
        first, second = session.get(Outbox, sent), session.get(Outbox, poisoned)
        assert first is not None and second is not None
        assert (first.status, first.attempts, first.attempt_started_at is not None) \
            == ("sent", 1, True)
        assert (second.status, second.attempts) == ("pending", 1)
        assert "RuntimeError: render broke" in (second.last_error or "")


async def test_a_jobs_sends_end_no_transaction_by_rollback(ctx: JobContext, engine: Engine,
                                                            emulator: str) -> None:
    """A rollback makes psycopg drop the connection's prepared statements (storage.db.
    end_read): a worker's common path reads, sends and records without one."""
    rollbacks: list[int] = []

    def count(_conn: Any) -> None:
        rollbacks.append(1)

    event.listen(engine, "rollback", count)
    try:
        for text in ("một", "hai", "ba"):
            assert await run_job(ctx, queue_messages(engine, [text])) == "sent"
        assert await in_thread(delivery.deliver, ctx, queue_messages(engine, ["bốn"])[0]) \
            == "sent"
    finally:
        event.remove(engine, "rollback", count)
    assert await bot_texts(emulator) == ["một", "hai", "ba", "bốn"]
    assert rollbacks == []


async def test_a_dead_holders_chat_is_watched_again_when_the_database_fails_mid_way(
        ctx: JobContext, engine: Engine, emulator: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The chat watch takes a dead holder's chat out of HELD before it reads the chat's next
    row: a read that fails puts it back, so the next watch queues it (not the sweeper, a
    minute later)."""
    from sqlalchemy.exc import OperationalError

    from sosbot.delivery import chat_holds

    ids = queue_messages(engine, ["còn chờ"])
    ctx.redis.delete(chat_holds.HELD)
    ctx.redis.hset(chat_holds.HELD, f"telegram:{USER}", "dead-holder")  # and no lock
    read = outbox.next_id_for_chat

    def failing(*args: Any) -> int | None:
        raise OperationalError("SELECT", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(outbox, "next_id_for_chat", failing)
    with pytest.raises(OperationalError):
        chat_holds.recover(ctx)
    assert ctx.redis.hget(chat_holds.HELD, f"telegram:{USER}") == b"dead-holder"
    assert queued_rows(ctx) == []
    monkeypatch.setattr(outbox, "next_id_for_chat", read)
    assert chat_holds.recover(ctx) == 1
    assert queued_rows(ctx) == ids
    assert ctx.redis.hget(chat_holds.HELD, f"telegram:{USER}") is None
