"""Officers' side, through the Telegram emulator and the real app (tests/routing/flow.py):
binding codes are single-use, expire, and stop working for a chat that guessed too often;
buttons expire; acknowledgements count only from chats the report was given to.

What tests/routing/test_routing_flow.py and tests/core/test_callbacks.py already prove is
not repeated here: a wrong code and the guessing limit's message, a forged signature, a
button pressed in an unbound chat, expired and re-signed data at the unit level.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.geo.wards import WardIndex
from sosbot.storage import bindings
from sosbot.storage.db import transaction
from sosbot.storage.tables import Ack, Binding, BindingCode
from tests.routing.flow import TAN_PHU, Rig

RESIDENT, WARD_OFFICER, OTHER_OFFICER, STRANGER = 9301, 9302, 9303, 9304
WARD, OTHER_WARD = "27031", "26743"  # Tân Phú; Bến Thành


# Driven through the emulator: on the production database only (the SQLite path is the
# same code, covered by the storage and webhook tests on both).
pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

@pytest.fixture
async def rig(engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
              conversation_settings: ConversationSettings,
              tmp_path: Path) -> AsyncIterator[Rig]:
    rig = Rig(engine, redis, queue_name, wards, conversation_settings, tmp_path)
    await rig.start()
    for user, name in ((RESIDENT, "Hoa"), (WARD_OFFICER, "Trung úy Phúc"),
                       (OTHER_OFFICER, "Thượng úy Nam"), (STRANGER, "Người lạ")):
        await rig.user(user, name)
    try:
        yield rig
    finally:
        await rig.stop()


def new_code(rig: Rig, kind: str = "ward", target: str = WARD,
             ttl: timedelta = timedelta(minutes=15)) -> str:
    with transaction(rig.engine) as session:
        return bindings.create_code(session, kind, target, rig.clock(), ttl)


def bound_chats(rig: Rig) -> set[str]:
    with transaction(rig.engine) as session:
        return {b.chat_id for b in session.exec(select(Binding)).all()}


async def last_text(rig: Rig, chat: int) -> str:
    return str((await rig.bot_messages(chat))[-1]["text"])


async def test_a_binding_code_binds_one_chat_only(rig: Rig) -> None:
    first = await rig.group("CA phường Tân Phú", [WARD_OFFICER])
    second = await rig.group("Nhóm giả mạo", [STRANGER])
    code = new_code(rig)
    await rig.send(WARD_OFFICER, chat=first, text=f"/bind {code}")
    await rig.send(STRANGER, chat=second, text=f"/bind {code}")
    assert "đã dùng" in await last_text(rig, second)
    await rig.send(STRANGER, chat=second, text=f"/bind {code.lower().replace('-', ' ')}")
    assert "đã dùng" in await last_text(rig, second)
    assert bound_chats(rig) == {str(first)}


async def test_a_binding_code_expires(rig: Rig) -> None:
    group = await rig.group("CA phường Tân Phú", [WARD_OFFICER])
    code = new_code(rig, ttl=timedelta(minutes=15))
    rig.clock.advance(minutes=15, seconds=1)
    await rig.send(WARD_OFFICER, chat=group, text=f"/bind {code}")
    assert "hết hạn" in await last_text(rig, group)
    assert bound_chats(rig) == set()


async def test_after_too_many_guesses_even_a_valid_code_waits_an_hour(rig: Rig) -> None:
    group = await rig.group("Nhóm đoán mã", [STRANGER])
    for guess in ("AAAA-BBBB", "CCCC-DDDD", "EEEE-FFFF", "GGGG-HHHH", "JJJJ-KKKK"):
        await rig.send(STRANGER, chat=group, text=f"/bind {guess}")
    code = new_code(rig, ttl=timedelta(hours=2))
    await rig.send(STRANGER, chat=group, text=f"/bind {code}")
    assert "quá nhiều lần" in await last_text(rig, group)
    assert bound_chats(rig) == set()
    with transaction(rig.engine) as session:  # the refused attempt did not use the code up
        assert session.exec(select(BindingCode).where(
            col(BindingCode.used_at).is_not(None))).all() == []
    rig.clock.advance(hours=1, minutes=1)
    await rig.send(STRANGER, chat=group, text=f"/bind {code}")
    assert bound_chats(rig) == {str(group)}


async def ward_report(rig: Rig) -> tuple[int, int, str, dict[str, Any]]:
    """A fire report routed to the bound Tân Phú group, plus a group bound elsewhere."""
    ward = await rig.group("CA phường Tân Phú", [WARD_OFFICER])
    other = await rig.group("CA phường khác", [OTHER_OFFICER])
    await rig.send(WARD_OFFICER, chat=ward, text=f"/bind {new_code(rig)}")
    await rig.send(OTHER_OFFICER, chat=other, text=f"/bind {new_code(rig, target=OTHER_WARD)}")
    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy quán cà phê trên đường Âu Cơ")
    card = next(m for m in await rig.bot_messages(ward)
                if code in (m.get("text") or "") and m.get("reply_markup"))
    return ward, other, code, card


def acks(rig: Rig) -> list[Ack]:
    with transaction(rig.engine) as session:
        return list(session.exec(select(Ack)).all())


async def test_a_button_pressed_after_it_expired_is_refused(rig: Rig) -> None:
    ward, _, _, card = await ward_report(rig)
    data = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    rig.clock.advance(days=rig.rules.config.callback_ttl_days, minutes=1)
    await rig.press(WARD_OFFICER, ward, int(card["message_id"]), data)
    assert acks(rig) == []
    assert "hết hạn" in (await rig.get_callback_answers())[-1]["text"]


async def test_acknowledgements_count_only_from_the_chats_given_the_report(rig: Rig) -> None:
    ward, other, code, card = await ward_report(rig)
    data = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    # A bound group that was not given this report: the genuine button, /ack with the code,
    # and a reply naming it are all refused.
    await rig.press(OTHER_OFFICER, other, int(card["message_id"]), data,
                    force=True)
    await rig.send(OTHER_OFFICER, chat=other, text=f"/ack {code}")
    assert "không được giao" in await last_text(rig, other)
    await rig.send(OTHER_OFFICER, chat=other, text=f"/xong {code}")
    assert "không được giao" in await last_text(rig, other)
    # The resident's own chat cannot acknowledge either.
    await rig.send(RESIDENT, text=f"/ack {code}")
    assert acks(rig) == []
    await rig.send(WARD_OFFICER, chat=ward, text=f"/ack {code}")
    [ack] = acks(rig)
    assert (ack.chat_id, ack.user_id) == (str(ward), str(WARD_OFFICER))
