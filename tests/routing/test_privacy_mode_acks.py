"""Officers acknowledge in a group where sosbot is in Telegram's group privacy mode (the
default for every bot): ``/ack <code>``, ``nhận`` replying to the card and, once another
bot has written in the group, ``/ack@sosbot`` all reach sosbot; the chatter that privacy
mode withholds changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy.engine import Engine
from sqlmodel import select

from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.geo.wards import WardIndex
from sosbot.storage.db import transaction
from sosbot.storage.tables import Ack
from tests.routing.flow import TAN_PHU, TOKEN, Rig, tan_phu_groups

RESIDENT, WARD, FIRE, DUTY = 9301, 9302, 9303, 9304
WEATHER_BOT = "7300000009:WEATHER-token"


@pytest.fixture
async def rig(engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
              conversation_settings: ConversationSettings,
              tmp_path: Path) -> AsyncIterator[Rig]:
    rig = Rig(engine, redis, queue_name, wards, conversation_settings, tmp_path)
    async with rig.running():
        yield rig


async def acked_chats(rig: Rig) -> set[str]:
    with transaction(rig.engine) as session:
        return {ack.chat_id for ack in session.exec(select(Ack)).all()}


def card_of(messages: list[dict], code: str) -> dict:  # type: ignore[type-arg]
    return next(m for m in messages if code in (m.get("text") or "") and m.get("reply_markup"))


async def test_acks_reach_sosbot_in_privacy_mode(rig: Rig) -> None:
    async with rig.http.get(f"{rig.emu}/bot{TOKEN}/getMe") as response:
        assert (await response.json())["result"]["can_read_all_group_messages"] is False
    await rig.user(RESIDENT, "Mai")
    groups = await tan_phu_groups(rig, WARD, FIRE, DUTY)  # /bind went through: a command
    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy nhà kho gỗ trên đường Âu Cơ")

    chatter = await rig.send(WARD, chat=groups["ward"], text="ok")  # no reply, no command
    assert chatter["withheld"] == chatter["message_ids"]
    await rig.send(WARD, chat=groups["ward"], text=f"/ack {code}")
    assert await acked_chats(rig) == {str(groups["ward"])}

    card = card_of(await rig.bot_messages(groups["pc07"]), code)
    reply = await rig.send(FIRE, chat=groups["pc07"], text="Đã nhận",
                           reply_to_message_id=card["message_id"])
    assert reply["withheld"] == []
    assert await acked_chats(rig) == {str(groups["ward"]), str(groups["pc07"])}

    # Another bot writes in the command centre's group last: an unaddressed /ack goes to
    # it, not to sosbot (so the go-live checklist turns privacy mode off); /ack@sosbot works.
    await rig.post("/_emu/bots", {"token": WEATHER_BOT, "username": "weather_bot"})
    await rig.post(f"/_emu/groups/{groups['command']}/add_bot",
                   {"token": WEATHER_BOT, "by": DUTY})
    async with rig.http.post(f"{rig.emu}/bot{WEATHER_BOT}/sendMessage",
                             json={"chat_id": groups["command"], "text": "Trời mưa"}) as r:
        assert r.status == 200
    lost = await rig.send(DUTY, chat=groups["command"], text=f"/ack {code}")
    assert lost["withheld"] == lost["message_ids"]
    assert str(groups["command"]) not in await acked_chats(rig)
    await rig.send(DUTY, chat=groups["command"], text=f"/ack@sos_routing_bot {code}")
    assert str(groups["command"]) in await acked_chats(rig)



async def test_with_privacy_off_a_command_for_another_bot_is_not_acted_on(rig: Rig) -> None:
    """With privacy mode off (the go-live checklist) sosbot receives every command in its
    groups, those addressed to other bots too: ``/ack@weather_bot`` is not an officer's
    acknowledgement; ``/ack@SOS_Routing_Bot`` (any case) and a bare ``/ack`` are."""
    await rig.post("/_emu/privacy", {"token": TOKEN, "enabled": False})
    await rig.user(RESIDENT, "Mai")
    groups = await tan_phu_groups(rig, WARD, FIRE, DUTY)
    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy nhà kho gỗ trên đường Âu Cơ")
    await rig.post("/_emu/bots", {"token": WEATHER_BOT, "username": "weather_bot"})
    await rig.post(f"/_emu/groups/{groups['ward']}/add_bot", {"token": WEATHER_BOT, "by": WARD})

    other = await rig.send(WARD, chat=groups["ward"], text=f"/ack@weather_bot {code}")
    assert other["withheld"] == []  # delivered to sosbot, and left alone
    await rig.send(FIRE, chat=groups["pc07"], text=f"/ack@other_bot {code}")
    assert await acked_chats(rig) == set()

    await rig.send(WARD, chat=groups["ward"], text=f"/ack@SOS_Routing_Bot {code}")
    await rig.send(FIRE, chat=groups["pc07"], text=f"/ack {code}")
    assert await acked_chats(rig) == {str(groups["ward"]), str(groups["pc07"])}
