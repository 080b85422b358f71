"""End to end on Messenger: a resident reports a security incident, sets the place on the
one-time location page in headless Chromium, adds a photo; the ward's group gets the card;
the officer's acknowledgement reaches the resident on Messenger."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from redis import Redis

from sosbot.emulators.messenger.app import create_app as create_messenger
from sosbot.emulators.messenger.state import MessengerEmulatorConfig
from tests.e2e.harness import TOKEN, System, b64, free_port, start_system, stop_system
from tests.e2e.test_routing_e2e import bound_group, wait_for
from tests.e2e.test_telegram_report import photo
from tests.location_page.test_location_page import CHROMIUM_ARGS, _browser_or_skip

pytestmark = pytest.mark.e2e
APP_SECRET, VERIFY, PAGE_TOKEN = "messenger-app-secret", "messenger-verify", "EAAG-page-token"


@pytest.fixture
async def messenger_system(tmp_path: Path, ward_data: Path, redis: Redis, redis_url: str,
                           queue_name: str) -> AsyncIterator[tuple[System, str]]:
    web_port = free_port()
    emulator = web.AppRunner(create_messenger(config=MessengerEmulatorConfig(
        webhook_url=f"http://127.0.0.1:{web_port}/webhooks/messenger", app_secret=APP_SECRET,
        verify_token=VERIFY, page_token=PAGE_TOKEN)))
    await emulator.setup()
    port = free_port()
    await web.TCPSite(emulator, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}"
    env = {"MESSENGER_APP_SECRET": APP_SECRET, "MESSENGER_VERIFY_TOKEN": VERIFY,
           "MESSENGER_PAGE_TOKEN": PAGE_TOKEN, "MESSENGER_API_BASE": url,
           "SOSBOT_PUBLIC_URL": f"http://127.0.0.1:{web_port}",
           "SOSBOT_TEST_WEB_PORT": str(web_port)}
    running, telegram = await start_system(
        tmp_path, ward_data, f"sqlite:///{tmp_path / 'e2e.db'}", redis_url, queue_name,
        extra_env=env, channels={"zalo": {"enabled": False}, "messenger": {"enabled": True}})
    try:
        yield running, url
    finally:
        await stop_system(running, telegram)
        await emulator.cleanup()


async def emu(system: System, base: str, method: str, path: str,
              body: dict[str, Any] | None = None) -> Any:
    async with system.http.request(method, f"{base}{path}", json=body) as response:
        data = await response.json()
        assert response.status == 200, data
        return data


async def page_says(system: System, base: str, psid: str, fragment: str,
                    after: int, timeout: float = 30) -> tuple[dict[str, Any], int]:
    """Wait for a message from the page containing ``fragment``; (message, new count)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = [m for m in (await emu(system, base, "GET", f"/_emu/users/{psid}/messages"))
               ["messages"] if m["direction"] == "out"]
        for index, message in enumerate(out[after:], start=after):
            if fragment in json.dumps(message, ensure_ascii=False):
                return message, index + 1
        await asyncio.sleep(0.2)
    raise AssertionError(f"the page never said {fragment!r}: {out}\n{system.logs()}")


async def test_security_report_on_messenger_with_the_location_page(
        messenger_system: tuple[System, str], tmp_path: Path) -> None:
    async_playwright = _browser_or_skip()
    system, base = messenger_system
    assert (await emu(system, base, "POST", "/_emu/subscribe", {}))
    ward = await bound_group(system, 8301, "CA phường Tân Phú", "ward", "27031")
    await bound_group(system, 8303, "TTTTCH", "command")
    psid = (await emu(system, base, "POST", "/_emu/users", {"first_name": "Tuấn"}))["psid"]

    async def say(**content: Any) -> None:
        answer = await emu(system, base, "POST", "/_emu/send", {"from": psid, **content})
        assert answer["deliveries"] == [200], (answer, system.logs())

    await say(text="Có người lạ cạy cửa nhà hàng xóm")
    # The words name the category (issue 20): said back, with a tap to confirm or change.
    understood, seen = await page_says(system, base, psid, "Mình hiểu: 🚨", 0)
    assert understood["messaging_type"] == "RESPONSE"
    replies = {q["payload"]: q["title"] for q in understood["quick_replies"]}
    assert set(replies) == {"cat:ok", "cat:change"}
    ask, seen = await page_says(system, base, psid, "/l/", seen)
    link = next(b["url"] for b in ask["attachment"]["payload"]["buttons"] if b.get("url"))

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium",
                                           args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                geolocation={"latitude": 10.7776, "longitude": 106.6437, "accuracy": 30},
                permissions=["geolocation"], viewport={"width": 390, "height": 800},
                locale="vi-VN")
            page = await context.new_page()
            await page.goto(link)
            await page.wait_for_selector("body[data-state='located']", state="attached",
                                         timeout=15000)
            assert await page.text_content("#ward") == "Phường Tân Phú"
            await page.click("#submit")
            await page.wait_for_selector("body[data-state='sent']", state="attached",
                                         timeout=15000)
            confirmation = await page.text_content("#confirmation") or ""
            await page.screenshot(path=str(tmp_path / "location-page.png"), full_page=True)
        finally:
            await browser.close()
    assert "Đã nhận vị trí: Phường Tân Phú" in confirmation

    _, seen = await page_says(system, base, psid, "gửi ảnh hoặc video", seen)
    await say(image={"data_b64": b64(photo((90, 60, 200)))})
    done, seen = await page_says(system, base, psid, "Đã nhận 1 ảnh/video", seen)
    await say(quick_reply={"payload": "done", "text": "Xong"})
    _, seen = await page_says(system, base, psid, "Vui lòng kiểm tra lại tin báo", seen)
    await say(quick_reply={"payload": "submit", "text": "Gửi tin báo"})
    submitted, seen = await page_says(system, base, psid, "Mã tin báo của bạn", seen)
    code = submitted["text"].split("Mã tin báo của bạn: ")[1].split()[0]

    messages = await wait_for(system, ward, lambda ms: any(
        code in (m.get("text") or "") for m in ms) and any(m.get("photo") for m in ms))
    card = next(m for m in messages if code in (m.get("text") or ""))
    # Messenger's webhooks carry no name, and sosbot asks Meta for none: the card says who
    # reported by platform, and says it (a missing reporter line fails here).
    assert "👤 Người báo tin (Messenger)" in card["text"] and "Tuấn" not in card["text"]
    ack = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await system.control("/_emu/press", {"token": TOKEN, "from": 8301, "chat_id": ward,
                                         "message_id": card["message_id"], "data": ack})
    told, _ = await page_says(system, base, psid, "đã tiếp nhận tin báo", seen)
    assert told["text"].startswith(f"Công an phường Tân Phú đã tiếp nhận tin báo {code}")
    assert told["messaging_type"] == "RESPONSE"


async def test_an_old_district_on_messenger_gives_its_wards_as_quick_replies(
        messenger_system: tuple[System, str]) -> None:
    """Issue 20 on Messenger (no pin there): an old district's wards are quick replies
    within Meta's limits (13, titles of 20), the map page a button beside them."""
    system, base = messenger_system
    assert (await emu(system, base, "POST", "/_emu/subscribe", {}))
    psid = (await emu(system, base, "POST", "/_emu/users", {"first_name": "Vy"}))["psid"]

    async def say(**content: Any) -> None:
        answer = await emu(system, base, "POST", "/_emu/send", {"from": psid, **content})
        assert answer["deliveries"] == [200], (answer, system.logs())

    await say(text="danh nhau o Q.Tan Phu")
    wards, seen = await page_says(system, base, psid, "gồm nhiều phường", 0)
    quick = wards["quick_replies"]
    assert 7 <= len(quick) <= 13
    assert all(len(q["title"].encode("utf-16-le")) // 2 <= 20 for q in quick)
    assert "Phường Tây Thạnh" in [q["title"] for q in quick]
    buttons = wards["attachment"]["payload"]["buttons"]
    assert "/l/" in buttons[0]["url"]  # pick it on the map instead
    pick = next(q for q in quick if q["title"] == "Phường Tây Thạnh")
    await say(quick_reply={"payload": pick["payload"], "text": pick["title"]})
    _, seen = await page_says(system, base, psid, "gửi ảnh hoặc video", seen)
    await say(quick_reply={"payload": "skip", "text": "Bỏ qua"})
    summary, seen = await page_says(system, base, psid, "Vui lòng kiểm tra lại tin báo", seen)
    assert "Tây Thạnh" in json.dumps(summary, ensure_ascii=False)
    await say(quick_reply={"payload": "submit", "text": "Gửi tin báo"})
    await page_says(system, base, psid, "Mã tin báo của bạn", seen)
    report = json.loads(await system.run("reports", "--json"))[0]
    assert report["category"] == "security"


async def test_a_resident_back_after_three_days_gets_the_update_she_missed(
        messenger_system: tuple[System, str]) -> None:
    """Reported at night, acknowledged after Messenger's 24 hours: no retired tag is tried,
    the update waits; when she writes again it comes first, in one message."""
    system, base = messenger_system
    assert (await emu(system, base, "POST", "/_emu/subscribe", {}))
    ward = await bound_group(system, 8311, "CA phường Tân Phú", "ward", "27031")
    command = await bound_group(system, 8313, "TTTTCH", "command")
    psid = (await emu(system, base, "POST", "/_emu/users", {"first_name": "Hoa"}))["psid"]

    async def say(**content: Any) -> None:
        answer = await emu(system, base, "POST", "/_emu/send", {"from": psid, **content})
        assert answer["deliveries"] == [200], (answer, system.logs())

    await say(text="Hai xe máy va chạm, một người bị thương")
    _, seen = await page_says(system, base, psid, "Mình hiểu: 🚗 Tai nạn giao thông", 0)
    _, seen = await page_says(system, base, psid, "Sự việc xảy ra ở đâu", seen)
    await say(text="12 Âu Cơ, phường Tân Phú")
    _, seen = await page_says(system, base, psid, "Có phải ở đây không?", seen)
    await say(quick_reply={"payload": "place:1", "text": "✅ Đúng, ở đây"})
    _, seen = await page_says(system, base, psid, "gửi ảnh hoặc video", seen)
    await say(quick_reply={"payload": "skip", "text": "Bỏ qua"})
    _, seen = await page_says(system, base, psid, "Vui lòng kiểm tra lại tin báo", seen)
    await say(quick_reply={"payload": "submit", "text": "Gửi tin báo"})
    submitted, seen = await page_says(system, base, psid, "Mã tin báo của bạn", seen)
    code = submitted["text"].split("Mã tin báo của bạn: ")[1].split()[0]
    assert "chỉ được nhắn cho bạn trong 24 giờ" in submitted["text"]
    assert "Tình trạng tin báo" in [q["title"] for q in submitted["quick_replies"]]

    messages = await wait_for(system, ward, lambda ms: any(
        code in (m.get("text") or "") for m in ms))
    card = next(m for m in messages if code in (m.get("text") or ""))
    await emu(system, base, "POST", "/_emu/clock", {"advance_s": 3 * 24 * 3600})
    ack = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await system.control("/_emu/press", {"token": TOKEN, "from": 8311, "chat_id": ward,
                                         "message_id": card["message_id"], "data": ack})
    await wait_for(system, command, lambda ms: any(
        "sẽ gửi ngay khi người báo tin nhắn lại" in (m.get("text") or "") for m in ms))
    calls = await emu(system, base, "GET", "/_emu/calls")
    assert not any(c.get("tag") not in (None, "HUMAN_AGENT") for c in calls)

    await say(text="Cho hỏi tin báo của tôi thế nào rồi?")
    folded, after = await page_says(system, base, psid, "chưa cho phép chúng tôi gửi", seen)
    assert f"đã tiếp nhận tin báo {code}" in folded["text"]
    assert folded["messaging_type"] == "RESPONSE" and folded["tag"] is None
    out = [m for m in (await emu(system, base, "GET", f"/_emu/users/{psid}/messages"))
           ["messages"] if m["direction"] == "out"]
    assert sum("chưa cho phép chúng tôi gửi" in (m.get("text") or "") for m in out) == 1
    assert after == seen + 1, "the kept update goes before the answer to her message"
