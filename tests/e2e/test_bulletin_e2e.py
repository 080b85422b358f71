"""A safety bulletin to 1,000 subscribers on three platforms, end to end: `sosbot serve`, two
`sosbot worker` processes and PostgreSQL; the Telegram, Zalo and Messenger emulators with
their rate limits on. Every subscriber whose platform allows a message gets exactly one;
those outside Zalo's 7-day or Messenger's 24-hour window are skipped and counted; no
platform answers 429; the command centre gets the final count. Then a ward's bulletin with
a photo reaches that ward's subscribers on each platform."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlmodel import col, select

from sosbot.emulators.telegram.state import EmulatorConfig
from sosbot.storage.db import make_engine, transaction
from sosbot.storage.tables import Conversation, Subscription, utcnow
from tests.conftest import _reset_postgres
from tests.e2e.harness import (
    TOKEN,
    System,
    free_port,
    start_resident_platforms,
    start_system,
    stop_system,
)
from tests.e2e.test_routing_e2e import bound_group, wait_for
from tests.e2e.test_telegram_report import photo

pytestmark = pytest.mark.e2e
APP_ID, APP_SECRET, OA_SECRET = "1234567890123456789", "zalo-app-secret", "zalo-oa-secret-key"
FB_SECRET, FB_VERIFY, FB_TOKEN = "messenger-app-secret", "messenger-verify", "EAAG-page-token"
TELEGRAM_N, ZALO_N, MESSENGER_N = 400, 300, 300
ZALO_STALE, MESSENGER_STALE = 50, 50  # outside the platform's window: skipped
ZALO_BY_CHAT = 5  # Zalo residents who subscribe through the conversation itself
TELEGRAM_FIRST = 700_000
HEADLINE = "Cảnh giác thủ đoạn giả danh công an gọi điện yêu cầu chuyển tiền"


class World:
    def __init__(self, system: System, zalo: str, messenger: str, database_url: str) -> None:
        self.system, self.zalo, self.messenger = system, zalo, messenger
        self.engine = make_engine(database_url)

    async def call(self, base: str, method: str, path: str,
                   body: dict[str, Any] | None = None) -> Any:
        async with self.system.http.request(method, f"{base}{path}", json=body) as response:
            data = await response.json()
            assert response.status == 200, (path, data)
            return data


@pytest.fixture
async def world(tmp_path: Path, ward_data: Path, redis: Redis, redis_url: str,
                queue_name: str, postgres_url: str) -> AsyncIterator[World]:
    web_port = free_port()
    started = await start_resident_platforms(
        web_port, zalo_app_id=APP_ID, zalo_app_secret=APP_SECRET, zalo_oa_secret=OA_SECRET,
        messenger_app_secret=FB_SECRET, messenger_verify=FB_VERIFY, page_token=FB_TOKEN)
    zalo_url, messenger_url, env = started.zalo_url, started.messenger_url, started.env
    # PostgreSQL, as in production; Telegram's flood limits on in its emulator.
    _reset_postgres(postgres_url)
    system, telegram = await start_system(
        tmp_path, ward_data, postgres_url, redis_url, queue_name, workers=2,
        emulator_config=EmulatorConfig(retry_base_s=0.2, limits=True), extra_env=env,
        channels={"zalo": {"enabled": True}, "messenger": {"enabled": True}})
    found = World(system, zalo_url, messenger_url, postgres_url)
    try:
        await found.call(messenger_url, "POST", "/_emu/subscribe", {})
        yield found
    finally:
        found.engine.dispose()
        await stop_system(system, telegram)
        await started.cleanup()


async def in_chunks(calls: list[Callable[[], Awaitable[Any]]], size: int = 50) -> list[Any]:
    results: list[Any] = []
    for start in range(0, len(calls), size):
        results += await asyncio.gather(*(call() for call in calls[start:start + size]))
    return results


async def until(predicate: Callable[[], bool], what: str, system: System,
                timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen in {timeout}s\n{system.logs()}")
        await asyncio.sleep(0.5)


def subscribed(world: World, channel: str) -> int:
    with transaction(world.engine) as session:
        return len(session.exec(select(Subscription.id).where(
            Subscription.channel == channel, col(Subscription.active).is_(True))).all())


def conversations(world: World, channel: str) -> int:
    with transaction(world.engine) as session:
        return len(session.exec(select(Conversation.id).where(
            Conversation.channel == channel)).all())


def seed(world: World, channel: str, chat_ids: list[str], *, idle: timedelta | None = None,
         ward: str | None = None) -> None:
    """Subscriptions made earlier; ``idle``: the resident last wrote that long ago."""
    now = utcnow()
    with transaction(world.engine) as session:
        for chat_id in chat_ids:
            session.add(Subscription(channel=channel, chat_id=chat_id, scope="city",
                                     created_at=now, updated_at=now))
            if idle is not None:
                conversation = session.exec(select(Conversation).where(
                    Conversation.channel == channel, Conversation.chat_id == chat_id)).first()
                if conversation is None:
                    conversation = Conversation(channel=channel, chat_id=chat_id,
                                                updated_at=now)
                    session.add(conversation)
                # The column and the conversation's own state agree, as the code keeps them.
                conversation.last_activity_at = now - idle
                conversation.state = {**(conversation.state or {}),
                                      "last_activity_epoch": (now - idle).timestamp()}


def bulletin_texts(messages: list[dict[str, Any]], *fields: str) -> int:
    return sum(HEADLINE in json.dumps({k: m.get(k) for k in fields}, ensure_ascii=False)
               for m in messages)


async def test_a_bulletin_reaches_1000_subscribers_exactly_once_within_the_limits(
        world: World, tmp_path: Path) -> None:
    system = world.system
    command = await bound_group(system, 8301, "TTTTCH", "command")

    # Telegram: 400 residents (the platform has no messaging window).
    telegram_ids = [TELEGRAM_FIRST + i for i in range(TELEGRAM_N)]
    await in_chunks([lambda i=i: system.control("/_emu/users", {
        "id": i, "first_name": f"Dân {i}", "language_code": "vi"}) for i in telegram_ids])
    seed(world, "telegram", [str(i) for i in telegram_ids])

    # Zalo: 300 followers (following is an interaction); 50 of them last wrote 8 days ago.
    zalo_ids = [r["id"] for r in await in_chunks([
        lambda i=i: world.call(world.zalo, "POST", "/_emu/users", {"name": f"Zalo {i}"})
        for i in range(ZALO_N)])]
    for user in zalo_ids[:ZALO_BY_CHAT]:  # through the conversation: /dangky, then "1"
        for content in ("/dangky", "1"):
            await world.call(world.zalo, "POST", "/_emu/send", {"from": user, "text": content})
    await until(lambda: subscribed(world, "zalo") == ZALO_BY_CHAT, "Zalo subscriptions",
                system)
    # Every follow has been taken in (each greets the follower) before the clock is set back.
    await until(lambda: conversations(world, "zalo") == ZALO_N, "Zalo follows", system)
    fresh_zalo = zalo_ids[:ZALO_N - ZALO_STALE]
    stale_zalo = zalo_ids[ZALO_N - ZALO_STALE:]
    seed(world, "zalo", [str(u) for u in fresh_zalo[ZALO_BY_CHAT:]], idle=timedelta(hours=3))
    seed(world, "zalo", [str(u) for u in stale_zalo], idle=timedelta(days=8))

    # Messenger: 250 residents write /dangky and answer "1" (the city); 50 never wrote.
    psids = [r["psid"] for r in await in_chunks([
        lambda i=i: world.call(world.messenger, "POST", "/_emu/users",
                               {"first_name": f"FB {i}"}) for i in range(MESSENGER_N)])]
    cut = MESSENGER_N - MESSENGER_STALE
    fresh_fb, stale_fb = psids[:cut], psids[cut:]
    for content in ("/dangky", "1"):
        for start in range(0, len(fresh_fb), 50):
            answer = await world.call(world.messenger, "POST", "/_emu/send_batch", {"events": [
                {"from": psid, "text": content} for psid in fresh_fb[start:start + 50]]})
            assert set(answer["deliveries"]) == {200}, answer
        await asyncio.sleep(1)
    await until(lambda: subscribed(world, "messenger") == len(fresh_fb),
                "Messenger subscriptions", system)
    seed(world, "messenger", stale_fb, idle=timedelta(days=2))
    total = TELEGRAM_N + ZALO_N + MESSENGER_N
    assert sum(subscribed(world, c) for c in ("telegram", "zalo", "messenger")) == total

    # The command centre sends it from the command line and follows it to the end.
    text_file = tmp_path / "bulletin.txt"
    text_file.write_text(f"{HEADLINE}. Công an không làm việc qua điện thoại.\n",
                         encoding="utf-8")
    out = await system.run("bulletin", "--file", str(text_file), "--yes",
                           "--timeout", "300", timeout=360)
    expected_sent = TELEGRAM_N + len(fresh_zalo) + len(fresh_fb)
    skipped = ZALO_STALE + MESSENGER_STALE
    assert f"Sẽ gửi tới {expected_sent} người đăng ký" in out, out
    assert f"done: sent {expected_sent}, skipped {skipped} (window closed), failed 0" in out

    # Exactly once each, on their own platform; nothing to those outside the window.
    telegram_got = await in_chunks([
        lambda i=i: system.control(f"/_emu/chats/{i}/messages?token={TOKEN}")
        for i in telegram_ids])
    assert [bulletin_texts(c["messages"], "text") for c in telegram_got] == [1] * TELEGRAM_N
    zalo_got = await in_chunks([lambda u=u: world.call(
        world.zalo, "GET", f"/_emu/users/{u}/messages") for u in zalo_ids])
    assert [bulletin_texts([m for m in c["messages"] if m.get("from") == "oa"], "text")
            for c in zalo_got] == [1] * len(fresh_zalo) + [0] * ZALO_STALE
    fb_got = await in_chunks([lambda p=p: world.call(
        world.messenger, "GET", f"/_emu/users/{p}/messages") for p in psids])
    assert [bulletin_texts([m for m in c["messages"] if m["direction"] == "out"], "message", "text")
            for c in fb_got] == [1] * len(fresh_fb) + [0] * MESSENGER_STALE

    # Within the platforms' limits: not one 429 (or its Zalo/Graph equivalent).
    telegram_calls = await system.control("/_emu/calls")
    assert not [c for c in telegram_calls if c.get("status") == 429]
    zalo_calls = (await world.call(world.zalo, "GET", "/_emu/calls"))
    zalo_calls = zalo_calls.get("calls", zalo_calls) if isinstance(zalo_calls, dict) \
        else zalo_calls
    assert not [c for c in zalo_calls if c.get("error") == -32]
    fb_calls = await world.call(world.messenger, "GET", "/_emu/calls")
    fb_calls = fb_calls.get("calls", fb_calls) if isinstance(fb_calls, dict) else fb_calls
    assert not [c for c in fb_calls if (c.get("error") or {}).get("code") in (4, 613)]

    # The command centre's chat gets the final count from the sweeper.
    final = await wait_for(system, command, lambda ms: any(
        "đã gửi xong" in (m.get("text") or "") for m in ms), timeout=60)
    line = next(m["text"] for m in final if "đã gửi xong" in (m.get("text") or ""))
    assert f"tới {total} người đăng ký: gửi được {expected_sent}, bỏ qua {skipped}" in line
    assert "lỗi 0" in line


async def test_a_wards_bulletin_with_a_photo_reaches_that_ward_on_every_platform(
        world: World, tmp_path: Path) -> None:
    system = world.system
    await system.control("/_emu/users", {"id": 710_001, "first_name": "Mai"})
    zalo_user = (await world.call(world.zalo, "POST", "/_emu/users", {"name": "Lan"}))["id"]
    psid = (await world.call(world.messenger, "POST", "/_emu/users",
                             {"first_name": "Hoa"}))["psid"]
    await world.call(world.messenger, "POST", "/_emu/send", {"from": psid, "text": "chào"})
    await until(lambda: _has_conversation(world, "messenger", psid), "Messenger hello", system)
    other = 710_002
    await system.control("/_emu/users", {"id": other, "first_name": "Khoa"})
    now = utcnow()
    with transaction(world.engine) as session:
        for channel, chat_id in (("telegram", "710001"), ("zalo", str(zalo_user)),
                                 ("messenger", psid)):
            session.add(Subscription(channel=channel, chat_id=chat_id, scope="ward",
                                     ward_code="27031", ward_name="Phường Tân Phú",
                                     created_at=now, updated_at=now))
        session.add(Subscription(channel="telegram", chat_id=str(other), scope="ward",
                                 ward_code="26743", created_at=now, updated_at=now))
    (tmp_path / "b.txt").write_text(f"{HEADLINE} (phường Tân Phú)", encoding="utf-8")
    (tmp_path / "b.jpg").write_bytes(photo((200, 30, 30)))
    out = await system.run("bulletin", "--ward", "Tân Phú", "--file", str(tmp_path / "b.txt"),
                           "--image", str(tmp_path / "b.jpg"), "--yes", "--timeout", "120",
                           timeout=180)
    assert "done: sent 3, skipped 0 (window closed), failed 0" in out, out
    telegram = (await system.control(f"/_emu/chats/710001/messages?token={TOKEN}"))["messages"]
    sent = [m for m in telegram if m["from"]["is_bot"] and m.get("photo")]
    assert len(sent) == 1 and HEADLINE in sent[0]["caption"]
    assert "BẢN TIN AN NINH TRẬT TỰ — Phường Tân Phú" in sent[0]["caption"]
    nothing = (await system.control(f"/_emu/chats/{other}/messages?token={TOKEN}"))["messages"]
    assert not [m for m in nothing if m["from"]["is_bot"]]
    zalo = (await world.call(world.zalo, "GET", f"/_emu/users/{zalo_user}/messages"))
    oa = [m for m in zalo["messages"] if m.get("from") == "oa"]
    assert bulletin_texts(oa, "text", "attachment", "message") == 1
    fb = [m for m in (await world.call(world.messenger, "GET",
                                       f"/_emu/users/{psid}/messages"))["messages"]
          if m["direction"] == "out"]
    assert any("image" in json.dumps(m, ensure_ascii=False) for m in fb), fb
    assert bulletin_texts(fb, "message", "text") == 1, fb


def _has_conversation(world: World, channel: str, chat_id: str) -> bool:
    with transaction(world.engine) as session:
        return session.exec(select(Conversation.id).where(
            Conversation.channel == channel, Conversation.chat_id == chat_id)).first() \
            is not None
