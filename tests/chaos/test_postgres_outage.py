"""PostgreSQL taken away in the middle of a load, then given back.

The system reaches PostgreSQL through a TCP proxy the test can cut (every connection reset,
new ones refused: what the system sees of a restarting server) without restarting the
cluster other test runs share. While it is cut, a webhook answers 503 so that the platform
retries, and the update leaves nothing behind: the same update sent again afterwards is
taken as new, once. Every resident's report is made once and every card posted once.

SOSBOT_CHAOS_PG_DOWN_S changes the length of the outage.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from redis import Redis

from sosbot.bots.telegram.security import HEADER
from sosbot.emulators.telegram.state import EmulatorConfig
from sosbot.geo.wards import WardIndex
from tests.chaos import rig
from tests.chaos.tcp_proxy import CuttableProxy
from tests.conftest import _reset_postgres
from tests.e2e.harness import SECRET, System, free_port, start_system, stop_system

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
FIRE_OFFICER, DUTY_OFFICER = 9401, 9402
FIRST_RESIDENT, DIRECT = 7_500_000, 7_510_000
DOWN_S = float(os.environ.get("SOSBOT_CHAOS_PG_DOWN_S", "10"))
# How long after the database is back the webhook may still answer "busy" (the backlog of
# the outage being processed) before the test calls it a failure.
BUSY_AFTER_S = 15.0


@pytest.fixture
async def proxy(postgres_url: str) -> AsyncIterator[CuttableProxy]:
    target = sa.engine.make_url(postgres_url)
    proxy = CuttableProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


@pytest.fixture
def proxied_url(postgres_url: str, proxy: CuttableProxy) -> str:
    _reset_postgres(postgres_url)
    url = sa.engine.make_url(postgres_url).set(host="127.0.0.1", port=proxy.port)
    return url.render_as_string(hide_password=False)


@pytest.fixture
async def chaos(tmp_path: Path, ward_data: Path, proxied_url: str, redis: Redis,
                redis_url: str, queue_name: str) -> AsyncIterator[rig.Chaos]:
    web_port = free_port()
    system, emulator = await start_system(
        tmp_path, ward_data, proxied_url, redis_url, queue_name, workers=2,
        emulator_config=EmulatorConfig(limits=False, retry_base_s=0.2, max_retries=9),
        extra_env={"SOSBOT_TEST_WEB_PORT": str(web_port)})
    try:
        yield rig.Chaos(system, web_port)
    finally:
        await stop_system(system, emulator)


def start_update(update_id: int, user_id: int) -> dict[str, Any]:
    """A resident's "/start", as Telegram would POST it."""
    user = {"id": user_id, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    return {"update_id": update_id, "message": {
        "message_id": 1, "date": int(time.time()), "from": user,
        "chat": {"id": user_id, "type": "private", "first_name": "Lan"}, "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}


async def post_update(system: System, update: dict[str, Any]) -> tuple[int, str]:
    async with system.http.post(f"{system.web_url}/webhooks/telegram", json=update,
                                headers={HEADER: SECRET}) as response:
        return response.status, (await response.json())["description"]


async def test_postgres_away_answers_503_and_leaves_nothing_half_written(
        chaos: rig.Chaos, proxy: CuttableProxy, wards: WardIndex, postgres_url: str) -> None:
    system = chaos.system
    count = rig.report_count(6)
    pc07 = await rig.bound_group(system, FIRE_OFFICER, "PC07 trực ban", "dept", "PC07")
    command = await rig.bound_group(system, DUTY_OFFICER, "TTTTCH", "command")
    await system.control("/_emu/users", {"id": DIRECT, "first_name": "Lan",
                                          "language_code": "vi"})

    async with chaos.supervised():
        residents = asyncio.create_task(rig.run_residents(
            system, rig.spots(wards, count), FIRST_RESIDENT, concurrency=count))
        await asyncio.sleep(3.0)  # the load is under way

        await proxy.cut()
        went = time.monotonic()
        update = start_update(990_000_001, DIRECT)
        assert await post_update(system, update) == (503, "database unavailable, retry later")
        await asyncio.sleep(max(0.0, DOWN_S - (time.monotonic() - went)))
        await proxy.restore()

        # The platform's retry of the refused update is new to the system, and taken once. In
        # the first moments back, what was recorded before the cut and not processed has waited
        # the whole outage (longer than web.max_backlog_s): the webhook may refuse at once with
        # "busy" until the processing catches up, and the platform tries again, as it would.
        answer = await post_update(system, update)
        back = time.monotonic()
        while answer == (503, "busy, retry later") and time.monotonic() - back < BUSY_AFTER_S:
            await asyncio.sleep(0.5)
            answer = await post_update(system, update)
        assert answer == (200, "ok")
        assert await post_update(system, update) == (200, "duplicate")
        outcomes = await residents
        left = await rig.settled(postgres_url, timeout=180)
    assert left == 0, system.logs()

    failed = [o for o in outcomes if o.error or any(s != 200 for s in o.statuses)]
    assert failed == [], f"{failed[:3]}\n{system.logs()}"
    facts = rig.database_facts(postgres_url)
    for outcome in outcomes:
        assert facts["reports_per_chat"][str(outcome.user_id)] == 1, outcome
        assert await rig.told_codes(system, outcome.user_id) == [outcome.code], outcome
    assert facts["deliveries"] == {"sent": 2 * count}, facts["deliveries"]
    menus = [m for m in await rig.bot_messages(system, DIRECT)
             if "Bạn muốn báo sự việc gì?" in (m.get("text") or "")]
    assert len(menus) == 1
    codes = {o.code for o in outcomes}
    for chat in (pc07, command):
        posted = rig.cards_by_code(await rig.bot_messages(system, chat))
        assert set(posted) == codes and set(posted.values()) == {1}, posted
    refused = rig.log_lines(system.tmp, "database unavailable, answering 503")
    print(f"\nPostgreSQL away {DOWN_S:.0f}s: {refused} webhooks answered 503, "
          f"{proxy.connections} connections through the proxy, "
          f"{chaos.incarnations} process restarts")
