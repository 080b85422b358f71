"""A report that no group, or not its ward's group, received: the resident is told no more
than is true, the command centre (when bound) is told, and the operator can see it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy.engine import Engine

from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.geo.wards import WardIndex
from sosbot.metrics import REGISTRY
from tests.routing.flow import BEN_THANH, TAN_PHU, Rig

RESIDENT, DUTY_OFFICER = 9301, 9302


@pytest.fixture
async def rig(engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
              conversation_settings: ConversationSettings,
              tmp_path: Path) -> AsyncIterator[Rig]:
    rig = Rig(engine, redis, queue_name, wards, conversation_settings, tmp_path)
    async with rig.running():
        await rig.user(RESIDENT, "Mai")
        yield rig


def unrouted(missing: str) -> float:
    return REGISTRY.get_sample_value("sosbot_reports_unrouted_total",
                                     {"missing": missing}) or 0.0


async def confirmation(rig: Rig) -> str:
    told = [m["text"] for m in await rig.bot_messages(RESIDENT)]
    [text] = [t for t in told if "Mã tin báo của bạn" in t]
    return str(text)


async def test_a_report_no_group_received_is_not_said_to_be_sent_anywhere(rig: Rig) -> None:
    before = unrouted("all")
    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy nhà kho")
    text = await confirmation(rig)
    assert code in text
    assert "Trung tâm" not in text and "chuyển đến" not in text and "phường" not in text
    assert "đã ghi nhận tin báo" in text and "113" in text and "114" in text
    assert unrouted("all") == before + 1
    async with rig.http.get(rig.server.make_url("/statusz")) as answer:
        status = await answer.json()
    assert answer.status == 503
    assert any("no group is bound" in problem for problem in status["problems"])


async def test_a_ward_without_a_group_is_said_to_be_with_the_command_centre(rig: Rig) -> None:
    await rig.user(DUTY_OFFICER, "Thiếu tá Vy")
    command = await rig.group("TTTTCH", [DUTY_OFFICER])
    await rig.bind(DUTY_OFFICER, command, "command", "command")
    before = unrouted("ward")
    code = await rig.report(RESIDENT, "security", BEN_THANH, "Giật túi xách")
    text = await confirmation(rig)
    assert "Trung tâm Thông tin chỉ huy để điều phối" in text
    assert "Bến Thành" not in text  # the ward's police did not get it: not named
    card = [m["text"] for m in await rig.bot_messages(command) if code in (m.get("text") or "")]
    assert card and "chưa có nhóm nhận tin" in card[0]
    assert unrouted("ward") == before + 1


async def test_the_english_text_is_as_honest(rig: Rig) -> None:
    await rig.send(RESIDENT, text="/lang en")
    await rig.report(RESIDENT, "fire", TAN_PHU, "Warehouse fire")
    told = [m["text"] for m in await rig.bot_messages(RESIDENT)]
    [text] = [t for t in told if "Your report code" in t]
    assert "received and recorded" in text and "113" in text
    assert "command centre" not in text and "passed to" not in text
