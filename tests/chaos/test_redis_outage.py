"""Redis stopped for 30 s in the middle of a load, then started again (empty, as a Redis
without persistence comes back).

The test runs a Redis server of its own on a free port: the shared one on 6379 is never
touched. While Redis is away, every webhook still answers 200 (the updates and the messages
they cause are committed to the database's outbox); once it is back, the sweeper re-queues
the outbox, and every report is made once and every card posted once.

SOSBOT_CHAOS_REDIS_DOWN_S changes the length of the outage.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sosbot.emulators.telegram.state import EmulatorConfig
from sosbot.geo.wards import WardIndex
from tests.chaos import rig
from tests.conftest import IN_CI
from tests.e2e.harness import TOKEN, System, free_port, start_system, stop_system

pytestmark = pytest.mark.e2e
FIRE_OFFICER, DUTY_OFFICER = 9301, 9302
FIRST_RESIDENT, FIRST_NEWCOMER = 7_400_000, 7_410_000
DOWN_S = float(os.environ.get("SOSBOT_CHAOS_REDIS_DOWN_S", "30"))


class RedisServer:
    """A redis-server of the test's own, without persistence, that can be stopped."""

    def __init__(self, port: int, tmp: Path) -> None:
        self.port = port
        self.tmp = tmp
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            message = "redis-server is not installed"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
        self.proc = await asyncio.create_subprocess_exec(
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self.tmp),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise AssertionError(f"redis-server did not start on port {self.port}")

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(free_port(), tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def chaos(tmp_path: Path, ward_data: Path, redis_server: RedisServer,
                queue_name: str) -> AsyncIterator[rig.Chaos]:
    web_port = free_port()
    system, emulator = await start_system(
        tmp_path, ward_data, f"sqlite:///{tmp_path / 'chaos.db'}",
        f"redis://127.0.0.1:{redis_server.port}/0", queue_name, workers=2,
        emulator_config=EmulatorConfig(limits=False, retry_base_s=0.2, max_retries=9),
        extra_env={"SOSBOT_TEST_WEB_PORT": str(web_port)})
    try:
        yield rig.Chaos(system, web_port)
    finally:
        await stop_system(system, emulator)


async def first_bot_message(system: System, user_id: int) -> float:
    """When (monotonic) the resident first sees a message of the bot."""
    while not await rig.bot_messages(system, user_id):
        await asyncio.sleep(0.1)
    return time.monotonic()


async def test_redis_away_for_30s_loses_nothing(chaos: rig.Chaos, redis_server: RedisServer,
                                               wards: WardIndex, tmp_path: Path) -> None:
    system = chaos.system
    count = rig.report_count(6)
    pc07 = await rig.bound_group(system, FIRE_OFFICER, "PC07 trực ban", "dept", "PC07")
    command = await rig.bound_group(system, DUTY_OFFICER, "TTTTCH", "command")
    places = rig.spots(wards, count + 4)

    async with chaos.supervised():
        residents = asyncio.create_task(
            rig.run_residents(system, places[:count], FIRST_RESIDENT, concurrency=count))
        await asyncio.sleep(3.0)  # the load is under way

        await redis_server.stop()
        went = time.monotonic()
        # Residents who write while Redis is away are answered 200 all the same.
        newcomers = list(range(FIRST_NEWCOMER, FIRST_NEWCOMER + 4))
        statuses: list[int | None] = []
        for user_id in newcomers:
            await system.control("/_emu/users", {"id": user_id, "first_name": f"Dân {user_id}",
                                                  "language_code": "vi"})
            answer = await system.control("/_emu/send", {"token": TOKEN, "from": user_id,
                                                         "text": "/start"})
            statuses += answer["deliveries"]
        assert statuses == [200] * len(newcomers), system.logs()
        await asyncio.sleep(max(0.0, DOWN_S - (time.monotonic() - went)))
        silent = [u for u in newcomers if not await rig.bot_messages(system, u)]
        assert silent == newcomers  # nothing could be sent while Redis was away

        await redis_server.start()
        back = time.monotonic()
        firsts = await asyncio.gather(*(first_bot_message(system, u) for u in newcomers))
        outcomes = await residents
        left = await rig.settled(f"sqlite:///{tmp_path / 'chaos.db'}", timeout=180)
    assert left == 0, system.logs()

    failed = [o for o in outcomes if o.error or any(s != 200 for s in o.statuses)]
    assert failed == [], f"{failed[:3]}\n{system.logs()}"
    facts = rig.database_facts(f"sqlite:///{tmp_path / 'chaos.db'}")
    for outcome in outcomes:
        assert facts["reports_per_chat"][str(outcome.user_id)] == 1, outcome
        assert await rig.told_codes(system, outcome.user_id) == [outcome.code], outcome
    for user_id in newcomers:
        menus = [m for m in await rig.bot_messages(system, user_id)
                 if "Bạn muốn báo sự việc gì?" in (m.get("text") or "")]
        assert len(menus) == 1, user_id
    codes = {o.code for o in outcomes}
    for chat in (pc07, command):
        posted = rig.cards_by_code(await rig.bot_messages(system, chat))
        assert set(posted) == codes and set(posted.values()) == {1}, posted
    print(f"\nRedis away {DOWN_S:.0f}s: {len(statuses)} webhooks answered 200 meanwhile; "
          f"first send {min(firsts) - back:.1f}s and last waiting send "
          f"{max(firsts) - back:.1f}s after Redis was back; restarts {chaos.incarnations}")
