"""End to end with real processes: groups bound with `sosbot bind-code`, a fire in Phường Tân
Phú reaching the ward, PC07 and the command centre with its photos, an officer's ✅ reaching
the resident, a forged press refused, and escalation driven by `sosbot tick --at`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from tests.e2e.harness import TOKEN, Resident, System, b64, start_system, stop_system
from tests.e2e.test_telegram_report import photo

pytestmark = pytest.mark.e2e
TAN_PHU = {"latitude": 10.77760, "longitude": 106.64370, "horizontal_accuracy": 15}


@pytest.fixture
async def system(tmp_path: Path, ward_data: Path, redis: Redis, redis_url: str,
                 queue_name: str) -> AsyncIterator[System]:
    running, emulator = await start_system(tmp_path, ward_data,
                                           f"sqlite:///{tmp_path / 'e2e.db'}", redis_url,
                                           queue_name)
    try:
        yield running
    finally:
        await stop_system(running, emulator)


async def group_messages(system: System, chat: int) -> list[dict[str, Any]]:
    data = await system.control(f"/_emu/chats/{chat}/messages")
    return [m for m in data["messages"] if m["from"]["is_bot"]]


async def wait_for(system: System, chat: int, predicate: Any,
                   timeout: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = await group_messages(system, chat)
        if predicate(messages):
            return messages
        await asyncio.sleep(0.2)
    raise AssertionError(f"chat {chat} never got there: "
                         f"{[m.get('text') for m in await group_messages(system, chat)]}\n"
                         f"{system.logs()}")


async def bound_group(system: System, officer: int, title: str, *target: str) -> int:
    await system.control("/_emu/users", {"id": officer, "first_name": f"Cán bộ {officer}"})
    chat = (await system.control("/_emu/groups", {"title": title, "type": "supergroup",
                                                  "members": [officer]}))["id"]
    await system.control(f"/_emu/groups/{chat}/add_bot", {"token": TOKEN, "by": officer})
    printed = await system.run("bind-code", *target)
    code = printed.split("binding code: ")[1].split()[0]
    await system.control("/_emu/send", {"token": TOKEN, "from": officer, "chat_id": chat,
                                        "text": f"/bind {code}"})
    await wait_for(system, chat, lambda ms: any("liên kết với" in (m.get("text") or "")
                                                for m in ms))
    return int(chat)


def cards(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if (m.get("text") or "").startswith("🔥 CHÁY NỔ")]


def card_photos(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The photos posted as replies to the chat's one fire card (nothing else counts)."""
    found = cards(messages)
    if len(found) != 1:
        return []
    return [m for m in messages if m.get("photo")
            and (m.get("reply_to_message") or {}).get("message_id") == found[0]["message_id"]]


async def report_fire(resident: Resident, description: str, photos: list[bytes]) -> None:
    await resident.send(text="/start")
    menu = await resident.expect_text("Bạn muốn báo sự việc gì?")
    await resident.press(menu, "cat:fire")
    await resident.expect_text("Sự việc xảy ra ở đâu?")
    await resident.send(location=TAN_PHU)
    await resident.expect_text("mô tả ngắn gọn")
    await resident.send(text=description)
    ask = await resident.expect_text("gửi ảnh hoặc video")
    if photos:
        await resident.send(album=[{"type": "photo", "data_b64": b64(p)} for p in photos])
        ask = await resident.expect_text("Đã nhận các ảnh/video")
    await resident.press(ask, "done" if photos else "skip")
    summary = await resident.expect_text("Vui lòng kiểm tra lại tin báo")
    await resident.press(summary, "submit")


async def test_fire_routed_acknowledged_and_escalated(system: System) -> None:
    ward = await bound_group(system, 8101, "CA phường Tân Phú", "ward", "27031")
    pc07 = await bound_group(system, 8102, "PC07", "dept", "PC07")
    command = await bound_group(system, 8103, "TTTTCH", "command")
    await system.control("/_emu/users", {"id": 8199, "first_name": "Người lạ"})
    other = (await system.control("/_emu/groups", {"title": "Nhóm khác", "type": "supergroup",
                                                   "members": [8199]}))["id"]
    await system.control(f"/_emu/groups/{other}/add_bot", {"token": TOKEN, "by": 8199})

    mai = await system.user(7101, "Mai")
    await report_fire(mai, "Cháy nhà kho, có người mắc kẹt",
                      [photo((210, 40, 40)), photo((40, 40, 210))])
    submitted = await mai.expect_text("Mã tin báo của bạn:")
    code = submitted["text"].split("Mã tin báo của bạn: ")[1].split()[0]
    assert "Công an phường Tân Phú" in submitted["text"]

    for chat in (ward, pc07, command):
        messages = await wait_for(system, chat, lambda ms: len(card_photos(ms)) == 2)
        [card] = cards(messages)
        assert code in card["text"] and "Phường Tân Phú" in card["text"]
        assert card_photos(messages) == [m for m in messages if m.get("photo")]

    card = cards(await group_messages(system, ward))[0]
    ack = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await system.control("/_emu/press", {"token": TOKEN, "from": 8199, "chat_id": other,
                                         "message_id": card["message_id"], "data": ack,
                                         "force": True})
    await system.control("/_emu/press", {"token": TOKEN, "from": 8101, "chat_id": ward,
                                         "message_id": card["message_id"], "data": ack})
    told = await mai.expect_text("đã tiếp nhận tin báo")
    assert told["text"].startswith(f"Công an phường Tân Phú đã tiếp nhận tin báo {code}")
    answers = await system.control("/_emu/callback_answers")
    assert any("không được giao" in (a["text"] or "") for a in answers)
    await wait_for(system, command, lambda ms: "Đã tiếp nhận" in cards(ms)[0]["text"])

    # A second fire far enough away not to be a duplicate, and nobody acknowledges it.
    an = await system.user(7102, "An")
    await an.send(text="/start")
    menu = await an.expect_text("Bạn muốn báo sự việc gì?")
    await an.press(menu, "cat:fire")
    await an.expect_text("Sự việc xảy ra ở đâu?")
    await an.send(location={"latitude": 10.7656, "longitude": 106.6337})  # Tân Phú, 1.7 km off
    await an.expect_text("mô tả ngắn gọn")
    await an.send(text="Cháy xưởng nhựa")
    ask = await an.expect_text("gửi ảnh hoặc video")
    await an.press(ask, "skip")
    summary = await an.expect_text("Vui lòng kiểm tra lại tin báo")
    await an.press(summary, "submit")
    second = (await an.expect_text("Mã tin báo của bạn:"))["text"].split(
        "Mã tin báo của bạn: ")[1].split()[0]

    later = datetime.now(UTC) + timedelta(minutes=4, seconds=30)
    ticked = await system.run("tick", "--at", later.isoformat())
    assert "1 report(s) escalated" in ticked, ticked
    await wait_for(system, command, lambda ms: any(
        (m.get("text") or "").startswith("🚨 QUÁ HẠN") and second in m["text"] for m in ms))
    reminders = [m for m in await group_messages(system, ward)
                 if (m.get("text") or "").startswith("⏰ NHẮC")]
    assert [second in m["text"] for m in reminders] == [True]
