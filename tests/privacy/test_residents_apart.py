"""Nothing about one resident is ever shown to another, and a reporter's name and phone
reach only the police chats the report was routed to."""

from __future__ import annotations

from typing import Any

import pytest

from tests.privacy.conftest import DUTY_OFFICER, RESIDENT_A, RESIDENT_B, STRANGER, WARD_OFFICER
from tests.privacy.steps import cards, photo_with_gps, report
from tests.routing.flow import TAN_PHU, Rig

A = {"name": "Nguyễn Thị Hoa", "phone": "0901234567",
     "description": "Cháy kho gỗ nhà ông Tư, có bình gas trong bếp"}
B = {"name": "Trần Văn Bình", "phone": "0987654321",
     "description": "Khói đen bốc lên từ cuối hẻm 45"}
NEARBY = (TAN_PHU[0] + 0.001, TAN_PHU[1])  # 110 m away: a near-duplicate of A's fire


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("text") or m.get("caption") or "") for m in messages)


def leaks(text: str, resident: dict[str, str]) -> list[str]:
    return [value for value in (resident["name"], resident["phone"], resident["description"],
                                resident["description"][:20]) if value in text]


async def share_phone(rig: Rig, resident: int, phone: str) -> None:
    await rig.send(resident, contact={"phone_number": phone, "first_name": "X",
                                      "user_id": resident})


# Driven through the emulator: on the production database only (the SQLite path is the
# same code, covered by the storage and webhook tests on both).
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_duplicate_reporter_hears_nothing_of_the_first(
        rig: Rig, groups: dict[str, int]) -> None:
    first = await report(rig, RESIDENT_A, "fire", TAN_PHU, A["description"],
                         photo=photo_with_gps())
    await share_phone(rig, RESIDENT_A, A["phone"])
    second = await report(rig, RESIDENT_B, "fire", NEARBY, B["description"])
    await share_phone(rig, RESIDENT_B, B["phone"])
    told_b = texts(await rig.bot_messages(RESIDENT_B))
    assert f"mã tin báo {first}" in told_b  # B is told the incident is already handled …
    assert leaks(told_b, A) == []  # … and nothing about who reported it or what they said

    # Officers act on the main card: acknowledge, ask the first reporter, resolve.
    card = cards(await rig.bot_messages(groups["ward"]))[0]
    assert first in card["text"]
    buttons = card["reply_markup"]["inline_keyboard"]
    await rig.press(WARD_OFFICER, groups["ward"], card["message_id"], buttons[0][0]
                    ["callback_data"])
    await rig.send(WARD_OFFICER, chat=groups["ward"], text="/hoi Kho có người ở lại không?",
                   reply_to_message_id=card["message_id"])
    await rig.send(RESIDENT_A, text=f"Không có ai, số nhà tôi gọi {A['phone']}")
    await rig.send(DUTY_OFFICER, chat=groups["command"], text=f"/report {first}")
    await rig.send(DUTY_OFFICER, chat=groups["command"], text=f"/report {second}")

    told_a = texts(await rig.bot_messages(RESIDENT_A))
    told_b = texts(await rig.bot_messages(RESIDENT_B))
    assert "Kho có người ở lại không?" in told_a
    assert "Kho có người ở lại không?" not in told_b
    assert leaks(told_b, A) == [] and leaks(told_a, B) == []


# Driven through the emulator: on the production database only (the SQLite path is the
# same code, covered by the storage and webhook tests on both).
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_name_and_phone_reach_only_the_bound_police_chats(
        rig: Rig, groups: dict[str, int]) -> None:
    code = await report(rig, RESIDENT_A, "fire", TAN_PHU, A["description"])
    await share_phone(rig, RESIDENT_A, A["phone"])
    await report(rig, RESIDENT_B, "traffic", (10.80010, 106.66020), B["description"])
    # Someone in an unbound group asks about the report: refused, nothing shown.
    await rig.send(STRANGER, chat=groups["other"], text=f"/report {code}")
    await rig.send(DUTY_OFFICER, chat=groups["command"], text=f"/report {code}")

    police = {name: texts(await rig.bot_messages(groups[name]))
              for name in ("ward", "pc07", "command")}
    for name, text in police.items():
        assert A["phone"] in text, name  # the officers handling it can call back
        assert A["name"] in text, name
    other = texts(await rig.bot_messages(groups["other"]))
    assert leaks(other, A) == [] and leaks(other, B) == []
    assert leaks(texts(await rig.bot_messages(RESIDENT_B)), A) == []
    assert leaks(texts(await rig.bot_messages(RESIDENT_A)), B) == []
