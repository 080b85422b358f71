"""Issue 18, item 4, end to end: a correctly signed Zalo ``user_send_image`` whose URL points
at a loopback server that is not the configured emulator (and redirects to an internal
page). The running web and worker processes must fetch nothing, store nothing and post
nothing of it; the report still reaches the ward's group, its photo marked failed."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from sosbot.emulators.zalo.webhook import signed_request
from tests.e2e import test_zalo_report
from tests.e2e.harness import System
from tests.e2e.test_zalo_report import APP_ID, OA_SECRET, oa_texts, zalo, zalo_wait

pytestmark = pytest.mark.e2e
zalo_system = test_zalo_report.zalo_system  # the web, a worker and the Zalo emulator


@dataclass
class Internal:
    """A page only this machine can reach, behind a redirect; every request recorded."""

    port: int = 0
    hits: list[str] = field(default_factory=list)


@pytest.fixture
async def internal() -> AsyncIterator[Internal]:
    server = Internal()

    async def page(request: web.Request) -> web.StreamResponse:
        server.hits.append(request.path)
        if request.path == "/redir":
            raise web.HTTPFound("/internal")
        return web.Response(body=b"\xff\xd8\xff\xe0 internal admin page",
                            content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/{tail:.*}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    server.port = runner.addresses[0][1]
    yield server
    await runner.cleanup()


def _media_rows(db: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT platform_file_id, status, error FROM media ORDER BY id").fetchall()


async def test_forged_image_url_is_not_fetched_and_the_report_goes_through(
        zalo_system: tuple[System, str], internal: Internal, tmp_path: Path) -> None:
    system, zalo_url = zalo_system
    officer = (await zalo(system, zalo_url, "POST", "/_emu/users",
                          {"name": "Trung úy Phát", "follow": False}))["id"]
    group = (await zalo(system, zalo_url, "POST", "/_emu/groups",
                        {"name": "CA phường Tân Phú", "members": [officer]}))["id"]
    printed = await system.run("bind-code", "ward", "27031")
    code = printed.split("binding code: ")[1].split()[0]
    await zalo(system, zalo_url, "POST", "/_emu/send",
               {"from": officer, "group_id": group, "text": f"/bind {code}"})
    await zalo_wait(system, zalo_url, f"/_emu/groups/{group}/messages",
                    lambda ms: any("liên kết với" in t for t in oa_texts(ms)))

    lan = (await zalo(system, zalo_url, "POST", "/_emu/users", {"name": "Lan"}))["id"]
    inbox = f"/_emu/users/{lan}/messages"

    async def say(content: dict[str, Any], answer: str) -> None:
        seen = len(oa_texts((await zalo(system, zalo_url, "GET", inbox))["messages"]))
        if "forged_url" in content:
            await _forged_image(system, lan, content["forged_url"])
        else:
            await zalo(system, zalo_url, "POST", "/_emu/send", {"from": lan, **content})
        await zalo_wait(system, zalo_url, inbox, lambda ms: any(
            answer in t for t in oa_texts(ms)[seen:]))

    await zalo_wait(system, zalo_url, inbox,
                    lambda ms: any("Trả lời bằng số" in t for t in oa_texts(ms)))
    await say({"text": "2"}, "Sự việc xảy ra ở đâu")
    await say({"location": {"latitude": "10.7776", "longitude": "106.6437"}}, "mô tả ngắn gọn")
    await say({"text": "Xe tải va chạm xe máy"}, "gửi ảnh hoặc video")
    attack = f"http://127.0.0.1:{internal.port}/redir"
    await say({"forged_url": attack}, "Đã nhận")
    await say({"text": "xong"}, "Vui lòng kiểm tra lại tin báo")
    await say({"text": "1"}, "Mã tin báo của bạn")
    texts = oa_texts((await zalo(system, zalo_url, "GET", inbox))["messages"])
    report = next(t for t in texts if "Mã tin báo của bạn" in t).split(
        "Mã tin báo của bạn: ")[1].split()[0]

    ward = await zalo_wait(system, zalo_url, f"/_emu/groups/{group}/messages",
                           lambda ms: any(report in t and "/ack" in t for t in oa_texts(ms)))
    db = tmp_path / "e2e.db"
    deadline = time.monotonic() + 30
    while any(status == "pending" for _, status, _ in _media_rows(db)):
        assert time.monotonic() < deadline, system.logs()
        await asyncio.sleep(0.2)
    [(url, status, error)] = _media_rows(db)
    assert url == attack and status == "failed" and "MediaRefused" in (error or "")
    assert internal.hits == []  # neither /redir nor /internal was ever requested
    media_dir = tmp_path / "media"
    assert not media_dir.exists() or not [p for p in media_dir.rglob("*") if p.is_file()]
    await asyncio.sleep(1.0)  # let any album that would follow the card be sent
    ward = (await zalo(system, zalo_url, "GET", f"/_emu/groups/{group}/messages"))["messages"]
    assert not [m for m in ward if m.get("from") == "oa" and m.get("attachments")]
    worker_log = "\n".join(p.log.read_text(errors="replace") for p in system.processes
                           if p.name.startswith("worker"))
    refused = [line for line in worker_log.splitlines() if "refused" in line]
    assert refused and all("WARNING" in line and lan not in line for line in refused), refused


async def _forged_image(system: System, sender: str, url: str) -> None:
    """What someone holding the OA secret key (or replaying a tampered capture) can POST."""
    event = {"app_id": APP_ID, "sender": {"id": sender}, "user_id_by_app": "9" * 18,
             "recipient": {"id": "388613280878808645"}, "event_name": "user_send_image",
             "message": {"msg_id": f"forged-{time.time_ns()}", "text": "",
                         "attachments": [{"type": "image",
                                          "payload": {"thumbnail": url, "url": url}}]},
             "timestamp": str(int(time.time() * 1000))}
    body, headers = signed_request(event, OA_SECRET)
    async with system.http.post(f"{system.web_url}/webhooks/zalo", data=body,
                                headers=headers) as response:
        assert response.status == 200, await response.text()
