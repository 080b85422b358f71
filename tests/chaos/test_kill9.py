"""Kill -9 of the web process and of the workers at random moments while residents report
fires through the Telegram emulator.

After everything is started again and the outbox has drained: every resident whose every
update the platform saw answered 2xx has exactly one report, was told its code exactly once,
and every card (the fire police's and the command centre's) was posted exactly once.

SOSBOT_CHAOS_REPORTS sets the number of residents (CI: 10; docs/reliability/durability.md
records the large runs), SOSBOT_CHAOS_SEED the kill schedule, SOSBOT_CHAOS_WORKERS the
number of worker processes (CI: 2) and SOSBOT_CHAOS_CONCURRENCY how many residents report
at once (CI: 12). SOSBOT_CHAOS_ESCALATION_MINUTES sets the escalation step of every
category: nobody acknowledges the cards here, so a run longer than the step keeps adding
reminders and alerts and never settles. The CI-sized run keeps the configured steps; a
larger run defaults to a day, so that "settled" means nothing more to send.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from redis import Redis

from sosbot.emulators.telegram.state import EmulatorConfig
from sosbot.geo.wards import WardIndex
from tests.chaos import rig
from tests.conftest import _reset_postgres
from tests.e2e.harness import System, free_port, start_system, stop_system

pytestmark = pytest.mark.e2e
FIRE_OFFICER, DUTY_OFFICER = 9201, 9202
FIRST_RESIDENT = 7_300_000
CI_REPORTS, CI_WORKERS, CI_CONCURRENCY = 10, 2, 12
LARGE_RUN_ESCALATION_MINUTES = 24 * 60
DIAGNOSED = 5  # chats whose database rows, messages and log lines a failure prints


def escalation_minutes(count: int) -> int | None:
    """The escalation step for this run, or None to keep the configured ones."""
    if os.environ.get("SOSBOT_CHAOS_ESCALATION_MINUTES"):
        return rig.env_int("SOSBOT_CHAOS_ESCALATION_MINUTES", 1)
    return LARGE_RUN_ESCALATION_MINUTES if count > CI_REPORTS else None


def escalation_config(tmp: Path, ward_data: Path, queue_name: str, minutes: int) -> Path:
    """tests/e2e/harness.py's config.yaml, with every category's escalation step set."""
    config = tmp / "chaos-config.yaml"
    config.write_text(yaml.safe_dump({
        "geo": {"wards_file": str(ward_data / "hcmc-wards-2025.geojson.gz"),
                "city_file": str(ward_data / "hcmc-city-2025.geojson.gz")},
        "queue": {"name": queue_name, "sweep_interval_s": 1, "outbox_stale_after_s": 5},
        "channels": {"zalo": {"enabled": False}, "messenger": {"enabled": False}},
        "routing": {"escalation_minutes": {c: minutes for c in
                                           ("fire", "traffic", "security", "other")}},
    }))
    return config


@pytest.fixture
async def chaos(tmp_path: Path, ward_data: Path, postgres_url: str, redis: Redis,
                redis_url: str, queue_name: str) -> AsyncIterator[rig.Chaos]:
    _reset_postgres(postgres_url)
    web_port = free_port()
    extra_env = {"SOSBOT_TEST_WEB_PORT": str(web_port)}
    minutes = escalation_minutes(rig.report_count(CI_REPORTS))
    if minutes is not None:
        extra_env["SOSBOT_CONFIG"] = str(escalation_config(tmp_path, ward_data, queue_name,
                                                           minutes))
    system, emulator = await start_system(
        tmp_path, ward_data, postgres_url, redis_url, queue_name,
        workers=rig.env_int("SOSBOT_CHAOS_WORKERS", CI_WORKERS),
        # Flood limits off: this is about losing and repeating, not pacing. The emulator
        # retries a webhook that fails or cannot be reached, as Telegram does (for hours):
        # 12 retries, the last ~14 min after the first try. With 9 (~100 s) a long run lost
        # updates the platform gave up on: the web process, killed every half minute or so,
        # spends seconds loading the ward map, and the sparse late retries all fell into
        # those gaps.
        emulator_config=EmulatorConfig(limits=False, retry_base_s=0.2, max_retries=12),
        extra_env=extra_env)
    try:
        yield rig.Chaos(system, web_port)
    finally:
        await stop_system(system, emulator)


async def kill_at_random(chaos: rig.Chaos, rng: random.Random, stop: asyncio.Event) -> None:
    """1–4 s after the system is whole again, SIGKILL the web process or a worker, and
    start it again 0–1 s later (the web process takes seconds to load the ward map)."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), rng.uniform(1.0, 4.0))
            return
        except TimeoutError:
            pass
        victim = rng.choice(chaos.names())
        await chaos.kill9(victim)
        await asyncio.sleep(rng.uniform(0.0, 1.0))
        await chaos.start(victim)
        await chaos.healthy()


async def test_kill9_loses_and_repeats_nothing(chaos: rig.Chaos, wards: WardIndex,
                                               postgres_url: str) -> None:
    system: System = chaos.system
    count = rig.report_count(CI_REPORTS)
    seed = int(os.environ.get("SOSBOT_CHAOS_SEED", "20261122"))
    concurrency = rig.env_int("SOSBOT_CHAOS_CONCURRENCY", CI_CONCURRENCY)
    pc07 = await rig.bound_group(system, FIRE_OFFICER, "PC07 trực ban", "dept", "PC07")
    command = await rig.bound_group(system, DUTY_OFFICER, "TTTTCH", "command")
    places = rig.spots(wards, count)
    started = time.monotonic()
    finished: list[rig.Outcome] = []

    def progress(outcome: rig.Outcome) -> None:
        finished.append(outcome)
        if len(finished) % 50 == 0:  # large runs only: CI's 10 never print
            print(f"\n{len(finished)}/{count} residents done in "
                  f"{time.monotonic() - started:.0f} s, kills {dict(chaos.kills)}, "
                  f"{sum(1 for o in finished if o.error)} stuck", flush=True)

    stop = asyncio.Event()
    killer = asyncio.create_task(kill_at_random(chaos, random.Random(seed), stop))
    try:
        outcomes = await rig.run_residents(system, places, FIRST_RESIDENT, concurrency,
                                           done=progress)
    finally:
        stop.set()
        await killer
    # Whatever the last kill interrupted is finished by the restarted processes.
    await chaos.healthy()
    left = await rig.settled(postgres_url, timeout=max(240, count))
    suspects = [o.user_id for o in outcomes if o.error]
    try:
        await check(chaos, outcomes, left, postgres_url, (pc07, command), suspects)
    except AssertionError:
        # Before the fixture drops the database: what each suspect chat came to.
        for chat in suspects[:DIAGNOSED]:
            print("\n" + await rig.diagnose(system, postgres_url, chat), flush=True)
        print("\n" + await figures(chaos, outcomes, concurrency, (pc07, command), started,
                                   failed=True), flush=True)
        raise
    print("\n" + await figures(chaos, outcomes, concurrency, (pc07, command), started),
          flush=True)


async def figures(chaos: rig.Chaos, outcomes: list[rig.Outcome], concurrency: int,
                  groups: tuple[int, int], started: float, failed: bool = False) -> str:
    """The run's figures (for docs/reliability/durability.md). After a failed check the
    duplicates are counted (cards posted more than once, codes told more than once) and
    the lost are the residents without their code."""
    system = chaos.system
    count = len(outcomes)
    replays = (await system.control("/_emu/idempotency"))["replays"]
    in_doubt = rig.log_lines(system.tmp, "is in doubt")
    workers = len(chaos.names()) - 1
    step = escalation_minutes(count)
    duplicates, lost = 0, 0
    if failed:
        for chat in groups:
            posted = rig.cards_by_code(await rig.bot_messages(system, chat))
            duplicates += sum(n - 1 for n in posted.values())
        for outcome in outcomes:
            told = await rig.told_codes(system, outcome.user_id)
            duplicates += max(0, len(told) - 1)
            lost += not told
    return (f"kill -9{' (FAILED)' if failed else ''}: {count} reports, {workers} workers, "
            f"{concurrency} at once, escalation step "
            f"{f'{step} min' if step else 'as configured'}, kills {dict(chaos.kills)}, "
            f"{in_doubt} sends in doubt, {replays} answered again by Idempotency-Key, "
            f"{duplicates} duplicates, {lost} lost, {time.monotonic() - started:.0f} s")


async def check(chaos: rig.Chaos, outcomes: list[rig.Outcome], left: int, postgres_url: str,
                groups: tuple[int, int], suspects: list[int]) -> None:
    """The checks made at the end; the chats a failed check is about are added to
    ``suspects`` before it fails (stuck residents are in it already)."""
    system = chaos.system
    count = len(outcomes)
    if left:
        suspects += [chat for chat in map(int, rig.pending_chats(postgres_url))
                     if chat not in suspects]
    assert left == 0, f"{left} outbox rows still pending\n{system.logs()}"

    failed = [o for o in outcomes if o.error]
    assert failed == [], f"{len(failed)} residents stuck, first: {failed[0].error}; " \
                         f"their webhook statuses: {[o.statuses for o in failed]}\n" \
                         f"{system.logs()}"
    acknowledged = [o for o in outcomes if o.statuses and all(200 <= s < 300
                                                              for s in o.statuses)]
    suspects += [o.user_id for o in outcomes if o not in acknowledged]
    assert len(acknowledged) == count, [o.statuses for o in outcomes]

    facts = rig.database_facts(postgres_url)
    for outcome in acknowledged:
        if facts["reports_per_chat"][str(outcome.user_id)] != 1:
            suspects.append(outcome.user_id)
        assert facts["reports_per_chat"][str(outcome.user_id)] == 1, outcome
        told = await rig.told_codes(system, outcome.user_id)
        if told != [outcome.code]:
            suspects.append(outcome.user_id)
        assert told == [outcome.code], outcome
    assert facts["deliveries"] == {"sent": 2 * count}, facts["deliveries"]
    assert set(facts["outbox"]) == {"sent"}, facts["outbox"]
    codes = {o.code for o in acknowledged}
    for chat in groups:
        posted = rig.cards_by_code(await rig.bot_messages(system, chat))
        by_code = {o.code: o.user_id for o in acknowledged}
        suspects += [by_code[c] for c in codes ^ set(posted) if c in by_code]
        suspects += [by_code[c] for c, n in posted.items() if n != 1 and c in by_code]
        assert set(posted) == codes
        assert set(posted.values()) == {1}, {c: n for c, n in posted.items() if n != 1}


def test_residents_report_from_inside_the_service_area(wards: WardIndex) -> None:
    """Every spot of a large run is one the bot accepts: inside a ward and inside the city
    outline. The N=250 run's "lost" resident 7300210 had been given a spot in Cát Lái
    outside the (coarser) outline, was told it was outside the city, and never got the
    description prompt: no update was lost."""
    assert wards.city is not None
    places = rig.spots(wards, 500)
    assert all(wards.city.contains(lat, lon) for lat, lon in places)
    assert (10.755340531800215, 106.78868618248916) not in places
