"""The Zalo webhook against the emulator over HTTP (issue 19).

Zalo's check of a newly configured webhook URL: an unsigned POST of ``{}`` and a GET are
answered 200 with nothing stored; the emulator saves a URL only when its check is answered
200. A dissolved group is marked dead under either of the names sources give its event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from redis import Redis
from sqlalchemy.engine import Engine
from sqlmodel import select

from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.delivery.queueing import Dispatcher
from sosbot.emulators.zalo.app import ZaloEmulatorConfig
from sosbot.emulators.zalo.app import create_app as create_emulator
from sosbot.storage import inbound
from sosbot.storage.db import transaction
from sosbot.storage.tables import Binding
from sosbot.webhooks import WRITER, WebDeps, create_app
from tests.bots.zalo.conftest import serve
from tests.conftest import routing_rules

OA_SECRET = "oa-secret-key"


@pytest.fixture
async def client(aiohttp_client: Any, engine: Engine, redis: Redis, queue_name: str,
                 conversation_settings: ConversationSettings) -> TestClient:
    deps = WebDeps(engine=engine, redis=redis, dispatcher=Dispatcher(redis, queue_name),
                   conversation=conversation_settings, telegram_secret="t" * 20,
                   rules=routing_rules(), zalo_oa_secret=OA_SECRET,
                   zalo_replay_window_s=3600)
    return await aiohttp_client(create_app(deps))  # type: ignore[no-any-return]


@pytest.fixture
async def emulator() -> AsyncIterator[str]:
    runner, base = await serve(create_emulator(config=ZaloEmulatorConfig(
        oa_secret_key=OA_SECRET)))
    yield base
    await runner.cleanup()


def stored(engine: Engine) -> int:
    with transaction(engine) as session:
        return inbound.count(session)


async def test_emulator_saves_the_webhook_url_only_because_sosbot_answers_its_check(
        client: TestClient, emulator: str, engine: Engine) -> None:
    url = str(client.make_url("/webhooks/zalo"))
    async with aiohttp.ClientSession() as http:
        async with http.post(emulator + "/_emu/config", json={"webhook_url": url}) as resp:
            assert resp.status == 200, await resp.text()
            assert (await resp.json())["webhook_url"] == url
        async with http.get(emulator + "/_emu/webhooks") as resp:
            checks = (await resp.json())["url_checks"]
    assert checks == [{"url": url, "status": 200}]
    assert stored(engine) == 0


async def test_emulator_refuses_a_url_that_does_not_answer_its_check_200(
        client: TestClient, emulator: str) -> None:
    wrong = str(client.make_url("/webhooks/nowhere"))
    async with aiohttp.ClientSession() as http:
        async with http.post(emulator + "/_emu/config", json={"webhook_url": wrong}) as resp:
            assert resp.status == 400
            assert "404" in (await resp.json())["error"]
        async with http.get(emulator + "/_emu/config") as resp:
            assert (await resp.json())["webhook_url"] is None


@pytest.mark.parametrize("body", [b"{}", b" { } \n"])
async def test_unsigned_empty_object_is_answered_200_and_nothing_stored(
        client: TestClient, engine: Engine, body: bytes) -> None:
    response = await client.post("/webhooks/zalo", data=body,
                                 headers={"Content-Type": "application/json"})
    assert response.status == 200
    assert (await response.json())["description"] == "webhook URL check"
    assert stored(engine) == 0


async def test_get_on_the_webhook_path_is_200(client: TestClient, engine: Engine) -> None:
    response = await client.get("/webhooks/zalo")
    assert response.status == 200
    assert stored(engine) == 0


@pytest.mark.parametrize(("body", "headers"), [
    (b'{"event_name":"user_send_text"}', {}),           # unsigned, not empty
    (b"[]", {}),                                         # not an object
    (b"", {}),                                           # no body at all
    (b"{}", {"X-ZEvent-Signature": "mac=" + "0" * 64}),  # signed (wrongly): checked
])
async def test_anything_else_unsigned_or_forged_is_still_401(
        client: TestClient, engine: Engine, body: bytes, headers: dict[str, str]) -> None:
    response = await client.post("/webhooks/zalo", data=body, headers=headers)
    assert response.status == 401
    assert stored(engine) == 0


@pytest.mark.parametrize("event_name", ["disperse_group", "delete_group"])
async def test_a_dissolved_group_is_marked_dead_under_either_name(
        client: TestClient, engine: Engine, event_name: str) -> None:
    url = str(client.make_url("/webhooks/zalo"))
    runner, base = await serve(create_emulator(config=ZaloEmulatorConfig(
        oa_secret_key=OA_SECRET, webhook_url=url, retry_schedule_s=())))
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(base + "/_emu/groups", json={"name": "CA phường"}) as resp:
                created = await resp.json()
            assert created["statuses"] == [200]
            with transaction(engine) as session:
                session.add(Binding(channel="zalo", chat_id=created["id"], target_kind="ward",
                                    target_code="25747", title="CA phường",
                                    bound_at=datetime.now(UTC)))
            async with http.post(base + f"/_emu/groups/{created['id']}/disperse",
                                 json={"event_name": event_name}) as resp:
                assert (await resp.json())["statuses"] == [200]
    finally:
        await runner.cleanup()
    await client.app[WRITER].processed()  # a 200 means recorded; processed right after
    with transaction(engine) as session:
        binding = session.exec(select(Binding)).one()
        assert (binding.status, binding.dead_reason) == ("dead", f"bot removed ({event_name})")
