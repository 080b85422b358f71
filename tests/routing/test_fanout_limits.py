"""Fan-out at Telegram's flood limits, and after a Redis restart, through the routing rig.

A burst of 200 fire reports to one ward must reach the ward, PC07 and the command centre
without a single 429, each group staying under 20 messages a rolling minute, near-duplicates
folded into one card per incident; a Redis that restarts empty in the middle of a fan-out
must cost neither a card nor a duplicate once the sweeper has run.

Reports are made directly (create_report + route, as submission does) rather than through
the resident conversation, which would take minutes at one message a second per chat.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.bots.telegram.outbound import rate_rules
from sosbot.config import DuplicateWindow, QueueConfig, RoutingConfig
from sosbot.core.actions import OutgoingMessage
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.model import Category, Draft, Location
from sosbot.core.outbox_rows import Text
from sosbot.delivery import context
from sosbot.delivery.context import JobContext, Limits
from sosbot.delivery.job_guard import GuardedJob
from sosbot.delivery.queueing import SERIALIZER
from sosbot.delivery.sweeper import sweep
from sosbot.geo.wards import WardIndex
from sosbot.routing.fanout import MERGED, distance_m, route
from sosbot.storage import outbox, reports
from sosbot.storage.db import transaction
from sosbot.storage.tables import Delivery, Outbox, Report, utcnow
from tests.conftest import _CLAIM
from tests.routing.flow import Rig, tan_phu_groups

CARD_TEXT = Text(OutgoingMessage(text="🚨 SOS-260001"))  # a send that posts a message

WARD_OFFICER, FIRE_OFFICER, DUTY_OFFICER = 9101, 9102, 9103
TAN_PHU_WARD = "27031"
# Phường Tân Phú has 2.52 km²: with the default 500 m fire radius it holds at most about 11
# incident spots far enough apart not to merge. This deployment's config narrows the fire
# radius so 25 distinct fires fit, 300 m apart (well over the radius plus the jitter).
FIRE_RADIUS_M = 200.0
SPOT_SPACING_M = 300.0
JITTER_M = 4.0
BURST_SPOTS = 25
BURST_REPORTS = 200
# What Telegram allows a group, and what the emulator enforces.
GROUP_LIMIT, GROUP_WINDOW_S = 20, 60.0
# Calls that create (or rewrite) a message and so count against a group's limit.
COUNTED = frozenset({"sendMessage", "sendPhoto", "sendVideo", "sendDocument", "sendLocation",
                     "sendMediaGroup", "editMessageText", "editMessageCaption",
                     "editMessageReplyMarkup"})
CARD_HEAD = re.compile(r"^🔥 CHÁY NỔ — (SOS-\d+)")
DUPLICATES = re.compile(r"➕ (\d+) báo cáo trùng")
M_PER_DEG_LAT = 111_320.0
SCHEDULER_INTERVAL_S = 1.0  # how often rq's scheduler moves due jobs (RQScheduler.interval)


def routing_config(batch_cards_from: int = 0) -> RoutingConfig:
    """Fires 300 m apart are distinct incidents. Batch cards off unless asked for: these
    tests hold sosbot's limiter to the platform's caps with one card per incident."""
    base = RoutingConfig()
    return RoutingConfig(duplicates={
        **base.duplicates,
        Category.FIRE: DuplicateWindow(radius_m=FIRE_RADIUS_M, window_minutes=60)},
        batch_cards_from=batch_cards_from)


@pytest.fixture
async def rig(engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
              conversation_settings: ConversationSettings,
              tmp_path: Path) -> AsyncIterator[Rig]:
    rig = Rig(engine, redis, queue_name, wards, conversation_settings, tmp_path,
              config=routing_config())
    # The emulator answers 429 past Telegram's flood limits.
    async with rig.running(limits=True):
        yield rig


@pytest.fixture
async def groups(rig: Rig) -> dict[str, int]:
    """The Tân Phú ward group, the fire police (PC07) and the command centre, bound."""
    return await tan_phu_groups(rig, WARD_OFFICER, FIRE_OFFICER, DUTY_OFFICER)


# -- helpers -------------------------------------------------------------------------------

def incident_spots(wards: WardIndex, count: int) -> list[tuple[float, float]]:
    """``count`` points of a hexagonal lattice (SPOT_SPACING_M) around the ward's centroid,
    each strictly inside Phường Tân Phú, nearest the centroid first."""
    lat0, lon0 = wards.centroid(TAN_PHU_WARD)
    m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(lat0))
    row_step = SPOT_SPACING_M * math.sqrt(3) / 2
    found: list[tuple[float, float, float]] = []
    for row in range(-20, 21):
        for column in range(-20, 21):
            x = column * SPOT_SPACING_M + (row % 2) * SPOT_SPACING_M / 2
            y = row * row_step
            lat, lon = lat0 + y / M_PER_DEG_LAT, lon0 + x / m_per_deg_lon
            match = wards.ward_for(lat, lon)
            if match.ward is not None and match.ward.code == TAN_PHU_WARD \
                    and match.how == "inside":
                found.append((math.hypot(x, y), lat, lon))
    found.sort()
    assert len(found) >= count, f"only {len(found)} spots fit in Phường Tân Phú"
    spots = [(lat, lon) for _, lat, lon in found[:count]]
    closest = min(distance_m(*a, *b) for i, a in enumerate(spots) for b in spots[i + 1:])
    assert closest >= FIRE_RADIUS_M + 50, closest
    return spots


def jittered(spot: tuple[float, float], rng: random.Random) -> tuple[float, float]:
    """A point a few metres from ``spot``, still inside the ward."""
    lat, lon = spot
    m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(lat))
    angle, radius = rng.uniform(0, 2 * math.pi), rng.uniform(0, JITTER_M)
    return (lat + radius * math.sin(angle) / M_PER_DEG_LAT,
            lon + radius * math.cos(angle) / m_per_deg_lon)


def submit(rig: Rig, points: Sequence[tuple[float, float]],
           now: Callable[[], datetime] = utcnow) -> tuple[list[str], list[int]]:
    """One report per point, each stored and routed in its own transaction exactly as a
    submission does; returns the codes and the outbox rows to queue."""
    codes: list[str] = []
    ids: list[int] = []
    for index, (lat, lon) in enumerate(points):
        draft = Draft(category=Category.FIRE,
                      location=Location(lat=lat, lon=lon, accuracy_m=15),
                      description=f"Cháy, khói đen (người báo {index})")
        actor = f"telegram:{800_000 + index}"
        with transaction(rig.engine) as session:
            when = now()
            new = reports.create_report(session, channel="telegram",
                                        chat_id=str(800_000 + index), reporter_id=None,
                                        draft=draft, lang="vi", phone=None, now=when,
                                        actor=actor)
            route(session, new.report, when, rig.rules, actor)
            assert new.report.ward_code == TAN_PHU_WARD, (lat, lon, new.report.ward_code)
            codes.append(new.report.code)
            ids += outbox.take_added(session)
    return codes, ids


def enqueue_due_scheduled(redis: Redis, queue_name: str) -> int:
    """What rq's scheduler does each tick (rq 2.12, RQScheduler.enqueue_scheduled_jobs):
    move the jobs whose time has come from the scheduled registry onto the queue."""
    queue = Queue(queue_name, connection=redis, serializer=SERIALIZER)
    registry = queue.scheduled_job_registry
    job_ids = registry.get_jobs_to_schedule()
    if not job_ids:
        return 0
    with redis.pipeline() as pipeline:
        for job in Job.fetch_many(job_ids, connection=redis, serializer=SERIALIZER):
            if job is not None:
                queue.enqueue_job(job, pipeline=pipeline, at_front=job.should_enqueue_at_front())
        for job_id in job_ids:
            registry.remove(job_id, pipeline=pipeline)
        pipeline.execute()
    return len(job_ids)


def pending_outbox(rig: Rig) -> int:
    with transaction(rig.engine) as session:
        return len(session.exec(select(Outbox.id).where(Outbox.status == outbox.PENDING)).all())


@dataclasses.dataclass
class WorkerRun:
    seconds: float = 0.0
    drains: int = 0
    jobs: int = 0
    scheduled_moved: int = 0
    sweeps: int = 0
    swept_rows: int = 0


async def run_worker(rig: Rig, ctx: JobContext, bound_s: float,
                     sweep_every_s: float | None = None) -> WorkerRun:
    """Work the queue as ``sosbot worker`` does (jobs, rq's scheduler every second, and the
    sweeper every ``sweep_every_s`` when given) until no outbox row is pending, within
    ``bound_s``."""
    run = WorkerRun()
    started = time.monotonic()
    next_tick = started
    next_sweep = started + sweep_every_s if sweep_every_s is not None else math.inf
    while True:
        run.jobs += await rig.drain()
        run.drains += 1
        if time.monotonic() >= next_tick:
            next_tick = time.monotonic() + SCHEDULER_INTERVAL_S
            moved = enqueue_due_scheduled(rig.redis, rig.queue_name)
            run.scheduled_moved += moved
            if moved:
                continue
        if pending_outbox(rig) == 0:
            break
        now = time.monotonic()
        assert now - started < bound_s, \
            f"{pending_outbox(rig)} outbox rows still pending after {bound_s:.0f}s: {run}"
        if now >= next_sweep:
            swept = await rig.in_thread(sweep, ctx)
            run.sweeps += 1
            run.swept_rows += swept.outbox_requeued
            next_sweep += sweep_every_s or math.inf
            continue
        await asyncio.sleep(0.2)
    run.seconds = time.monotonic() - started
    return run


async def api_calls(rig: Rig) -> list[dict[str, Any]]:
    async with rig.http.get(f"{rig.emu}/_emu/calls") as response:
        calls: list[dict[str, Any]] = await response.json()
        return calls


async def counted_sends(rig: Rig, calls: list[dict[str, Any]],
                        chat: int) -> list[tuple[float, int, str]]:
    """(time, messages, method) of every successful call that counts against the group's
    limit; an album counts one message per item (its size is read from the chat)."""
    albums = Counter(m["media_group_id"] for m in await rig.bot_messages(chat)
                     if m.get("media_group_id"))
    sizes = iter(albums.values())  # in the order the albums were sent
    sends = []
    for call in calls:
        if call["chat_id"] != chat or call["status"] != 200 or call["method"] not in COUNTED:
            continue
        cost = next(sizes) if call["method"] == "sendMediaGroup" else 1
        sends.append((float(call["at"]), cost, str(call["method"])))
    return sorted(sends)


def busiest_window(sends: list[tuple[float, int, str]]) -> int:
    """The most messages in any rolling GROUP_WINDOW_S seconds."""
    busiest = 0
    for i, (start, _, _) in enumerate(sends):
        busiest = max(busiest, sum(cost for at, cost, _ in sends[i:]
                                   if at < start + GROUP_WINDOW_S))
    return busiest


def earliest_last_send(sends: list[tuple[float, int, str]], burst_from: float) -> float:
    """When the group's last message could have gone at the earliest under its limit, given
    the messages sent before ``burst_from`` and everything else sent as soon as allowed."""
    before = [at for at, cost, _ in sends if at < burst_from for _ in range(cost)]
    later = sum(cost for at, cost, _ in sends if at >= burst_from)
    times = list(before)
    for _ in range(later):
        limit_from = times[-GROUP_LIMIT] + GROUP_WINDOW_S if len(times) >= GROUP_LIMIT else 0.0
        times.append(max(burst_from, limit_from))
    return times[-1]


def cards_by_code(messages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The report cards in a chat, by report code (edits show in place: the latest text)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        head = CARD_HEAD.match(message.get("text") or "")
        if head and message.get("reply_markup"):
            found.setdefault(head.group(1), []).append(message)
    return found


# -- the tests -----------------------------------------------------------------------------

@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_burst_of_200_reports_to_one_ward_stays_under_telegrams_limits(
        rig: Rig, groups: dict[str, int], wards: WardIndex) -> None:
    spots = incident_spots(wards, BURST_SPOTS)
    rng = random.Random(27031)
    points = [spots[i % BURST_SPOTS] if i < BURST_SPOTS else jittered(spots[i % BURST_SPOTS], rng)
              for i in range(BURST_REPORTS)]
    # Jobs run on the wall clock, as in a worker: the limiter counts real seconds too.
    ctx = rig.on_the_wall_clock()
    context.install(ctx)

    created_at = time.time()
    codes, ids = await rig.in_thread(submit, rig, points)
    rig.ctx.dispatcher.outbox(ids)
    burst_from = time.time()
    run = await run_worker(rig, ctx, bound_s=180.0, sweep_every_s=QueueConfig().sweep_interval_s)

    calls = await api_calls(rig)
    assert [c for c in calls if c["status"] == 429] == [], "Telegram had to answer 429"
    mains = codes[:BURST_SPOTS]
    with transaction(rig.engine) as session:
        by_code = {r.code: r for r in session.exec(select(Report)).all()}
        deliveries = session.exec(select(Delivery)).all()
        rows = session.exec(select(Outbox)).all()
        merged_into = Counter(r.duplicate_of_id for r in by_code.values()
                              if r.duplicate_of_id is not None)
    assert sorted(r.code for r in by_code.values() if r.duplicate_of_id is None) == \
        sorted(mains)
    cards_out = [d for d in deliveries if d.ack_state != MERGED]
    assert len(cards_out) == BURST_SPOTS * 3
    assert all(d.status == "sent" and d.card_message_id for d in cards_out), \
        [(d.id, d.status, d.last_error) for d in cards_out if d.status != "sent"]
    assert Counter(r.status for r in rows) == {outbox.SENT: len(rows)}

    figures: dict[str, dict[str, Any]] = {}
    for name, chat in groups.items():
        found = cards_by_code(await rig.bot_messages(chat))
        assert sorted(found) == sorted(mains), f"{name}: cards {sorted(found)}"
        for code, copies in found.items():
            assert len(copies) == 1, f"{name}: {len(copies)} cards for {code}"
            report = by_code[code]
            assert report.id is not None
            expected = merged_into[report.id]
            assert report.duplicates == expected == BURST_REPORTS // BURST_SPOTS - 1
            shown = DUPLICATES.search(copies[0]["text"])
            assert shown is not None and int(shown.group(1)) == expected, \
                f"{name}: {code} shows {shown and shown.group(0)}, {expected} merged"
        sends = await counted_sends(rig, calls, chat)
        assert busiest_window(sends) <= GROUP_LIMIT, f"{name}: {busiest_window(sends)}"
        card_times = [c["at"] for c in calls if c["chat_id"] == chat
                      and c["method"] == "sendMessage" and c["status"] == 200
                      and c["at"] >= burst_from]
        figures[name] = {
            "messages": sum(cost for _, cost, _ in sends),
            "in burst": sum(cost for at, cost, _ in sends if at >= burst_from),
            "edits": sum(1 for _, _, m in sends if m.startswith("edit")),
            "busiest minute": busiest_window(sends),
            "last card s": max(card_times) - burst_from,
            "earliest possible s": earliest_last_send(sends, burst_from) - burst_from}
    # The point of the burst: more than a minute's worth for each group, so the limit bit.
    assert all(f["messages"] > GROUP_LIMIT for f in figures.values()), figures

    print(f"\nburst: {BURST_REPORTS} reports at {BURST_SPOTS} spots stored and routed in "
          f"{burst_from - created_at:.1f}s; delivered in {run.seconds:.1f}s "
          f"({run.jobs} jobs over {run.drains} drains, {run.scheduled_moved} scheduled jobs "
          f"moved, {run.sweeps} sweeps re-queued {run.swept_rows} rows); "
          f"{len(calls)} Bot API calls, 0 answered 429")
    for name, f in figures.items():
        print(f"  {name:8} {f['messages']} messages ({f['in burst']} in the burst, "
              f"{f['edits']} edits), busiest rolling minute {f['busiest minute']}/"
              f"{GROUP_LIMIT}, last card at {f['last card s']:.1f}s vs. "
              f"{f['earliest possible s']:.1f}s at the earliest")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_cards_queued_behind_a_deferred_card_go_when_the_group_frees_up(
        rig: Rig, groups: dict[str, int], wards: WardIndex) -> None:
    """Without the sweeper: the scheduler's re-queue of a deferred card is all it takes."""
    ctx = rig.on_the_wall_clock()
    context.install(ctx)
    # The ward group's minute is full: 20 messages went there 55 s ago (by another worker).
    group_rule = [rule for rule in rate_rules(str(groups["ward"]), CARD_TEXT)
                  if rule.key.startswith("telegram:group:")]
    while ctx.limiter.try_acquire(group_rule, now=time.time() - 55) == 0:
        pass
    codes, ids = await rig.in_thread(submit, rig, incident_spots(wards, 3))
    rig.ctx.dispatcher.outbox(ids)
    # The first ward card waits ~6 s for the window; the two behind it must follow it.
    await run_worker(rig, ctx, bound_s=25.0)
    found = cards_by_code(await rig.bot_messages(groups["ward"]))
    assert sorted(found) == sorted(codes)


@pytest.mark.parametrize("database_url", ["sqlite", pytest.param(
    "postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_redis_restarted_in_the_middle_of_a_fan_out_loses_and_repeats_no_card(
        rig: Rig, groups: dict[str, int], wards: WardIndex) -> None:
    spots = incident_spots(wards, 10)
    codes, ids = await rig.in_thread(submit, rig, spots, rig.clock)
    assert len(ids) == 3 * len(spots)
    rig.ctx.dispatcher.outbox(ids)

    # A worker gets through part of the queue (one job of four: eight rows each, six last) …
    queue = Queue(rig.queue_name, connection=rig.redis, serializer=SERIALIZER)
    assert queue.count == 4
    for _ in range(1):
        raw = rig.redis.lpop(queue.key)
        assert isinstance(raw, bytes)
        job = GuardedJob.fetch(raw.decode(), connection=rig.redis, serializer=SERIALIZER)
        await rig.in_thread(job.perform)
    left = pending_outbox(rig)
    assert 0 < left < len(ids)

    # … then Redis restarts with nothing (it keeps nothing on disk): queue, jobs, chat locks
    # and the limiter's counts are gone. The test session's claim on this database stays.
    claim = rig.redis.get(_CLAIM)
    rig.redis.flushdb()
    if claim is not None:
        rig.redis.set(_CLAIM, claim, ex=6 * 3600)
    assert queue.count == 0

    # A worker starting again sweeps: rows no job has taken for a while go back on the queue.
    rig.clock.advance(seconds=Limits().outbox_stale_after_s + 1)
    swept = await rig.in_thread(sweep, rig.ctx)
    assert swept.outbox_requeued == left
    # Then it works as a worker does, on the real clock: rq's scheduler and the emulator's
    # flood limits count real seconds, so the rate limiter must too.
    ctx = rig.on_the_wall_clock()
    context.install(ctx)
    await run_worker(rig, ctx, bound_s=90.0)

    calls = await api_calls(rig)
    assert [c for c in calls if c["status"] == 429] == []
    with transaction(rig.engine) as session:
        deliveries = session.exec(select(Delivery)).all()
        assert session.exec(select(Outbox).where(
            col(Outbox.status) != outbox.SENT)).all() == []
    assert len(deliveries) == 3 * len(spots)
    assert all(d.status == "sent" and d.card_message_id for d in deliveries)
    for name, chat in groups.items():
        found = cards_by_code(await rig.bot_messages(chat))
        assert {code: len(copies) for code, copies in found.items()} == \
            dict.fromkeys(codes, 1), name

