"""Residents' names from their Zalo profile (issue 19): the emulator serves the follower
profile endpoint, the sweeper's job asks it once per resident and keeps the name in the
reporter row, which every card reads when it is rendered (``delivery.card_posts``)
instead of "Người báo tin (Zalo)"."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from sosbot.bots.zalo.outbound import ZaloOutbound
from sosbot.delivery import profiles
from sosbot.storage.db import transaction
from sosbot.storage.tables import Reporter
from tests.bots.zalo.conftest import Emu

NOW = datetime(2026, 12, 7, 4, 30, tzinfo=UTC)


def add_reporter(engine: Engine, user_id: str, name: str = "") -> None:
    with transaction(engine) as session:
        session.add(Reporter(channel="zalo", platform_user_id=user_id, display_name=name,
                             created_at=NOW))


async def fill(engine: Engine, outbound: ZaloOutbound) -> int:
    loop = asyncio.get_running_loop()

    def run(coro: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(30)  # type: ignore[arg-type]

    return await asyncio.to_thread(profiles.fill_names, engine, {"zalo": outbound}, run, NOW)


def names(engine: Engine) -> dict[str, tuple[str, datetime | None]]:
    with transaction(engine) as session:
        return {r.platform_user_id: (r.display_name, r.profile_checked_at)
                for r in session.exec(select(Reporter))}


def profile_calls(emu: Emu) -> int:
    return sum(1 for c in emu.state.calls if c["path"] == "/v3.0/oa/user/detail")


async def test_the_adapter_reads_the_display_name_from_the_profile(
        emu: Emu, outbound: ZaloOutbound) -> None:
    user = await emu.user("Trần Văn Bình")
    assert await outbound.display_name(user) == "Trần Văn Bình"


async def test_each_resident_is_asked_once_and_the_name_kept(
        emu: Emu, outbound: ZaloOutbound, engine: Engine) -> None:
    lan, stranger = await emu.user("Nguyễn Thị Lan"), "1234567890123456789"
    add_reporter(engine, lan)
    add_reporter(engine, stranger)  # unknown to the OA: Zalo answers an error, final
    assert await fill(engine, outbound) == 2
    assert names(engine) == {lan: ("Nguyễn Thị Lan", NOW), stranger: ("", NOW)}
    calls = profile_calls(emu)
    assert await fill(engine, outbound) == 0  # cached: nobody is asked again
    assert profile_calls(emu) == calls == 2


async def test_a_resident_with_a_name_is_not_asked(
        emu: Emu, outbound: ZaloOutbound, engine: Engine) -> None:
    add_reporter(engine, await emu.user("Lê Hoa"), name="Hoa (đã có tên)")
    assert await fill(engine, outbound) == 0
    assert profile_calls(emu) == 0


async def test_a_passing_failure_leaves_the_resident_to_the_next_sweep(
        emu: Emu, outbound: ZaloOutbound, engine: Engine) -> None:
    user = await emu.user("Phạm Minh")
    add_reporter(engine, user)
    await emu.post("/_emu/faults", {"path": "/v3.0/oa/user/detail", "http_status": 502})
    assert await fill(engine, outbound) == 0
    assert names(engine)[user] == ("", None)
    assert await fill(engine, outbound) == 1
    assert names(engine)[user] == ("Phạm Minh", NOW)

