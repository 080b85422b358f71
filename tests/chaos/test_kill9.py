"""Kill -9 of the web process and of the workers at random moments while residents report
fires through the Telegram emulator.

After everything is started again and the outbox has drained: every resident whose every
update the platform saw answered 2xx has exactly one report, was told its code exactly once,
and every card (the fire police's and the command centre's) was posted exactly once.

SOSBOT_CHAOS_REPORTS sets the number of residents (CI: 10; docs/reliability/durability.md
records the 500 run) and SOSBOT_CHAOS_SEED the kill schedule.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis import Redis

from sosbot.bots.telegram.emulator_state import EmulatorConfig
from sosbot.routing.geo import WardIndex
from tests.chaos import rig
from tests.conftest import _reset_postgres
from tests.e2e.harness import System, free_port, start_system, stop_system

pytestmark = pytest.mark.e2e
FIRE_OFFICER, DUTY_OFFICER = 9201, 9202
FIRST_RESIDENT = 7_300_000


@pytest.fixture(scope="module")
def wards(shared_data: Path) -> WardIndex:
    return WardIndex.from_file(shared_data / "hcmc-wards-2025.geojson.gz",
                               shared_data / "hcmc-city-2025.geojson.gz")


@pytest.fixture
async def chaos(tmp_path: Path, shared_data: Path, postgres_url: str, redis: Redis,
                redis_url: str, queue_name: str) -> AsyncIterator[rig.Chaos]:
    _reset_postgres(postgres_url)
    web_port = free_port()
    system, emulator = await start_system(
        tmp_path, shared_data, postgres_url, redis_url, queue_name, workers=2,
        # Flood limits off: this is about losing and repeating, not pacing. The emulator
        # retries a webhook that fails or cannot be reached, as Telegram does.
        emulator_config=EmulatorConfig(limits=False, retry_base_s=0.2, max_retries=9),
        extra_env={"SOSBOT_TEST_WEB_PORT": str(web_port)})
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
    count = rig.report_count(10)
    seed = int(os.environ.get("SOSBOT_CHAOS_SEED", "20261122"))
    pc07 = await rig.bound_group(system, FIRE_OFFICER, "PC07 trực ban", "dept", "PC07")
    command = await rig.bound_group(system, DUTY_OFFICER, "TTTTCH", "command")
    places = rig.spots(wards, count)

    stop = asyncio.Event()
    killer = asyncio.create_task(kill_at_random(chaos, random.Random(seed), stop))
    try:
        outcomes = await rig.run_residents(system, places, FIRST_RESIDENT, concurrency=12)
    finally:
        stop.set()
        await killer
    # Whatever the last kill interrupted is finished by the restarted processes.
    await chaos.healthy()
    left = await rig.settled(postgres_url, timeout=240)
    assert left == 0, f"{left} outbox rows still pending\n{system.logs()}"

    failed = [o for o in outcomes if o.error]
    assert failed == [], f"{len(failed)} residents stuck, first: {failed[0].error}\n" \
                         f"{system.logs()}"
    acknowledged = [o for o in outcomes if o.statuses and all(200 <= s < 300
                                                              for s in o.statuses)]
    assert len(acknowledged) == count, [o.statuses for o in outcomes]

    facts = rig.database_facts(postgres_url)
    for outcome in acknowledged:
        assert facts["reports_per_chat"][str(outcome.user_id)] == 1, outcome
        assert await rig.told_codes(system, outcome.user_id) == [outcome.code], outcome
    assert facts["deliveries"] == {"sent": 2 * count}, facts["deliveries"]
    assert set(facts["outbox"]) == {"sent"}, facts["outbox"]
    codes = {o.code for o in acknowledged}
    for chat in (pc07, command):
        posted = rig.cards_by_code(await rig.bot_messages(system, chat))
        assert set(posted) == codes
        assert set(posted.values()) == {1}, {c: n for c, n in posted.items() if n != 1}

    replays = (await system.control("/_emu/idempotency"))["replays"]
    in_doubt = rig.log_lines(system.tmp, "is in doubt")
    print(f"\nkill -9: {count} reports, kills {dict(chaos.kills)}, "
          f"{in_doubt} sends in doubt, {replays} answered again by Idempotency-Key")
