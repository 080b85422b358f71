"""The routing rig (Telegram emulator, web app, Redis, rq jobs) with police groups bound."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy.engine import Engine

from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.geo.wards import WardIndex
from tests.routing.flow import Rig

RESIDENT_A, RESIDENT_B = 9301, 9302
WARD_OFFICER, FIRE_OFFICER, DUTY_OFFICER, STRANGER = 9401, 9402, 9403, 9499


@pytest.fixture
async def rig(engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
              conversation_settings: ConversationSettings,
              tmp_path: Path) -> AsyncIterator[Rig]:
    rig = Rig(engine, redis, queue_name, wards, conversation_settings, tmp_path)
    async with rig.running():
        yield rig


@pytest.fixture
async def groups(rig: Rig) -> dict[str, int]:
    """The Tân Phú ward group, PC07 and the command centre bound; one unbound group."""
    for user, name in ((RESIDENT_A, "Nguyễn Thị Hoa"), (RESIDENT_B, "Trần Văn Bình"),
                       (WARD_OFFICER, "Trung úy Hùng"), (FIRE_OFFICER, "Đại úy Lâm"),
                       (DUTY_OFFICER, "Thiếu tá Vy"), (STRANGER, "Người lạ")):
        await rig.user(user, name)
    chats = {"ward": await rig.group("CA phường Tân Phú", [WARD_OFFICER]),
             "pc07": await rig.group("PC07 trực ban", [FIRE_OFFICER]),
             "command": await rig.group("TTTTCH", [DUTY_OFFICER]),
             "other": await rig.group("Nhóm tổ dân phố", [STRANGER])}
    await rig.bind(WARD_OFFICER, chats["ward"], "ward", "27031")
    await rig.bind(FIRE_OFFICER, chats["pc07"], "department", "PC07")
    await rig.bind(DUTY_OFFICER, chats["command"], "command", "command")
    return chats
