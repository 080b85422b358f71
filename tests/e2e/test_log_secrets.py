"""End to end: whoever reads the logs cannot take over the bot, nor learn who reported.

The real `sosbot serve` and `sosbot worker` processes (and the one-off commands, set-webhook
among them) run a full report on Telegram, Zalo and Messenger, with secrets of a
recognisable shape; everything they write is captured. At INFO (text) and at DEBUG (JSON
lines, with the HTTP clients' lines asked for), no secret appears: not the bot token, not
Zalo's tokens (issued by the emulator while the test runs), not the page token, not the
webhook or callback secrets, not the database password. At INFO, no resident's platform id
and no phone number appears either."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from aiohttp import web
from redis import Redis

from sosbot.emulators.zalo.state import STATE_KEY as ZALO_STATE
from tests.conftest import _reset_postgres
from tests.e2e.harness import (
    CALLBACK_SECRET,
    SECRET,
    TOKEN,
    System,
    b64,
    free_port,
    start_resident_platforms,
    start_system,
    stop_system,
)
from tests.e2e.test_routing_e2e import bound_group, wait_for
from tests.e2e.test_telegram_report import PIN, photo

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

ZALO_APP_ID = "1234567890123456789"
ZALO_APP_SECRET = "ZALO-APP-SECRET-zalo0123456789"
ZALO_OA_SECRET = "ZALO-OA-SECRET-zalo0123456789"
MESSENGER_APP_SECRET = "MESSENGER-APP-SECRET-0123456789"
MESSENGER_VERIFY = "MESSENGER-VERIFY-SECRET-0123456789"
PAGE_TOKEN = "EAAGSECRETpageTOKENmessenger0123456789abcdef"
DB_PASSWORD = "DB-PASSWORD-SECRET-0123456789"
API_TOKEN = "API-TOKEN-SECRET-0123456789abc"
API_PII_TOKEN = "API-PII-TOKEN-SECRET-0123456789"
RESIDENT_TELEGRAM_ID = 5550001234
PHONE = "+84909876543"
PHONE_DIGITS = "909876543"  # in +84…, 84… and 0… alike


@dataclass
class Platforms:
    system: System
    zalo_url: str
    messenger_url: str
    zalo: web.AppRunner


@pytest.fixture(params=[("INFO", "text"), ("DEBUG", "json")], ids=["info-text", "debug-json"])
async def platforms(request: pytest.FixtureRequest, tmp_path: Path, ward_data: Path,
                    redis: Redis, redis_url: str, queue_name: str,
                    postgres_url: str) -> AsyncIterator[Platforms]:
    level, log_format = request.param
    _reset_postgres(postgres_url)
    # PostgreSQL here trusts local connections: the password is carried and never checked.
    database_url = sa.engine.make_url(postgres_url).set(password=DB_PASSWORD) \
        .render_as_string(hide_password=False)
    web_port = free_port()
    started = await start_resident_platforms(
        web_port, zalo_app_id=ZALO_APP_ID, zalo_app_secret=ZALO_APP_SECRET,
        zalo_oa_secret=ZALO_OA_SECRET, messenger_app_secret=MESSENGER_APP_SECRET,
        messenger_verify=MESSENGER_VERIFY, page_token=PAGE_TOKEN)
    zalo, zalo_url, messenger_url = started.zalo, started.zalo_url, started.messenger_url
    env = {**started.env, "SOSBOT_LOG_LEVEL": level, "SOSBOT_LOG_FORMAT": log_format,
           # At DEBUG the HTTP clients' own lines are asked for: they must come out redacted.
           "SOSBOT_LOG_HTTP": "1" if level == "DEBUG" else "",
           "SOSBOT_API_TOKEN": API_TOKEN, "SOSBOT_API_PII_TOKEN": API_PII_TOKEN}
    # The text run also has the intake writer in a child process of its own.
    writer = "process" if log_format == "text" else "thread"
    system, telegram = await start_system(
        tmp_path, ward_data, database_url, redis_url, queue_name, extra_env=env,
        channels={"zalo": {"enabled": True}, "messenger": {"enabled": True}},
        config_extra={"web": {"intake_writer": writer}})
    try:
        yield Platforms(system, zalo_url, messenger_url, zalo)
    finally:
        await stop_system(system, telegram)
        await started.cleanup()


async def emu(system: System, base: str, method: str, path: str,
              body: dict[str, Any] | None = None) -> Any:
    async with system.http.request(method, f"{base}{path}", json=body) as response:
        data = await response.json()
        assert response.status == 200, data
        return data


async def until(system: System, what: str, check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"never happened: {what}\n{system.logs()}")


async def report_on_telegram(system: System) -> None:
    mai = await system.user(RESIDENT_TELEGRAM_ID, "Mai")
    await mai.send(text="/start")
    menu = await mai.expect_text("Bạn muốn báo sự việc gì?")
    await mai.press(menu, "cat:fire")
    await mai.expect_text("Sự việc xảy ra ở đâu?")
    await mai.send(location=PIN)
    await mai.expect_text("mô tả ngắn gọn")
    await mai.send(text="Cháy nhà kho gỗ")
    await mai.send(photo={"data_b64": b64(photo((200, 30, 30)))})
    received = await mai.expect_text("Đã nhận")
    await mai.press(received, "done")
    summary = await mai.expect_text("Vui lòng kiểm tra lại tin báo")
    await mai.press(summary, "submit")
    await mai.expect_text("Mã tin báo của bạn: SOS-")
    await mai.expect_text("chia sẻ số điện thoại")
    await mai.send(contact={"phone_number": PHONE, "first_name": "Mai",
                            "user_id": RESIDENT_TELEGRAM_ID})
    await mai.expect_text("Cảm ơn bạn. Số điện thoại")


async def report_on_zalo(system: System, base: str) -> str:
    lan = (await emu(system, base, "POST", "/_emu/users", {"name": "Lan"}))["id"]
    inbox = f"/_emu/users/{lan}/messages"

    async def oa_texts() -> list[str]:
        messages = (await emu(system, base, "GET", inbox))["messages"]
        return [m.get("text") or "" for m in messages if m.get("from") == "oa"]

    await until(system, "the Zalo welcome", lambda: _has(oa_texts, "Trả lời bằng số", 0))
    for content, answer in [
        ({"text": "2"}, "Sự việc xảy ra ở đâu"),
        ({"location": {"latitude": "10.7776", "longitude": "106.6437"}}, "mô tả ngắn gọn"),
        ({"text": "Xe tải va chạm xe máy"}, "gửi ảnh hoặc video"),
        ({"image": [{"data_b64": b64(photo((220, 200, 0)))}]}, "Đã nhận"),
        ({"text": "xong"}, "Vui lòng kiểm tra lại tin báo"),
        ({"text": "1"}, "Mã tin báo của bạn"),
    ]:
        seen = len(await oa_texts())
        await emu(system, base, "POST", "/_emu/send", {"from": lan, **content})
        await until(system, f"Zalo answers {answer!r}",
                    lambda a=answer, n=seen: _has(oa_texts, a, n))
    return str(lan)


async def _has(texts: Any, fragment: str, after: int) -> bool:
    return any(fragment in text for text in (await texts())[after:])


async def report_on_messenger(system: System, base: str) -> str:
    await emu(system, base, "POST", "/_emu/subscribe", {})
    psid = (await emu(system, base, "POST", "/_emu/users", {"first_name": "Tuấn"}))["psid"]

    async def page_said(fragment: str, after: int) -> tuple[dict[str, Any], int] | None:
        messages = [m for m in (await emu(system, base, "GET", f"/_emu/users/{psid}/messages"))
                    ["messages"] if m["direction"] == "out"]
        for index, message in enumerate(messages[after:], start=after):
            if fragment in json.dumps(message, ensure_ascii=False):
                return message, index + 1
        return None

    async def say(fragment: str, after: int, **content: Any) -> tuple[dict[str, Any], int]:
        answer = await emu(system, base, "POST", "/_emu/send", {"from": psid, **content})
        assert answer["deliveries"] == [200], (answer, system.logs())
        found: tuple[dict[str, Any], int] = await until(
            system, f"the page says {fragment!r}", lambda: page_said(fragment, after))
        return found

    # The words name the category (issue 20): said back, and the place asked at once.
    _, seen = await say("Mình hiểu: 🚨", 0, text="Có người lạ cạy cửa")
    ask, seen = await until(system, "the page asks where", lambda: page_said("/l/", seen))
    link = next(b["url"] for b in ask["attachment"]["payload"]["buttons"] if b.get("url"))
    # What the location page's script posts (tests/location_page drives the real page).
    async with system.http.post(link, json={"lat": 10.7776, "lon": 106.6437,
                                            "accuracy_m": 30}) as response:
        assert response.status == 200, await response.text()
    _, seen = await until(system, "the page asks for photos",
                          lambda: page_said("gửi ảnh hoặc video", seen))
    _, seen = await say("Đã nhận 1 ảnh/video", seen,
                        image={"data_b64": b64(photo((90, 60, 200)))})
    _, seen = await say("Vui lòng kiểm tra lại tin báo", seen,
                        quick_reply={"payload": "done", "text": "Xong"})
    await say("Mã tin báo của bạn", seen, quick_reply={"payload": "submit", "text": "Gửi"})
    return str(psid)


async def test_no_secret_and_no_resident_in_the_logs(platforms: Platforms) -> None:
    system = platforms.system
    level = system.env["SOSBOT_LOG_LEVEL"]
    command = await bound_group(system, 8203, "TTTTCH", "command")
    await report_on_telegram(system)
    zalo_user = await report_on_zalo(system, platforms.zalo_url)
    psid = await report_on_messenger(system, platforms.messenger_url)
    # Every card reached the police: the workers sent (and logged) everything.
    await wait_for(system, command, lambda ms: sum(
        "Mã tin báo" in (m.get("text") or "") or "SOS-" in (m.get("text") or "")
        for m in ms) >= 3, timeout=60)
    zalo_state = platforms.zalo.app[ZALO_STATE]
    issued = [*zalo_state.access_tokens, *zalo_state.refresh_tokens]
    for process in system.processes:
        await process.stop()
    logs = {process.name: process.log.read_text(errors="replace")
            for process in system.processes}
    everything = "\n".join([*logs.values(), *system.outputs])

    assert "report SOS-" in logs["web"] or "report SOS-" in logs["worker-0"], everything
    assert len(issued) >= 3, "the worker refreshed Zalo's token at least once"
    secrets = {"bot token": TOKEN, "webhook secret": SECRET, "callback secret": CALLBACK_SECRET,
               "zalo app secret": ZALO_APP_SECRET, "zalo oa secret": ZALO_OA_SECRET,
               "messenger app secret": MESSENGER_APP_SECRET, "verify token": MESSENGER_VERIFY,
               "page token": PAGE_TOKEN, "database password": DB_PASSWORD,
               "api token": API_TOKEN, "api pii token": API_PII_TOKEN,
               **{f"zalo token {index}": token for index, token in enumerate(issued)}}
    # As written, and as a URL carries them (httpx writes a bot token's colon as %3A).
    leaked = {name: _line_with(everything, form) for name, value in secrets.items()
              for form in (value, quote(value, safe="")) if form in everything}
    assert not leaked, leaked
    assert "E2ESECRETtoken" not in everything  # no part of the bot token either
    if level == "INFO":
        residents = {"telegram user id": str(RESIDENT_TELEGRAM_ID), "zalo user id": zalo_user,
                     "messenger psid": psid, "phone number": PHONE_DIGITS}
        named = {name: _line_with(everything, value) for name, value in residents.items()
                 if value in everything}
        assert not named, named
    else:
        assert "[redacted]" in everything, "the HTTP clients' lines were there, redacted"
        records = [json.loads(line) for name in ("web", "worker-0")
                   for line in logs[name].splitlines() if line.strip()]
        assert any(record.get("request_id", "").startswith("job:") for record in records)
        assert any(record.get("request_id") and record["logger"].startswith("sosbot.")
                   and not record["request_id"].startswith("job:") for record in records)


def _line_with(text: str, value: str) -> str:
    return next(line for line in text.splitlines() if value in line)[:300]
