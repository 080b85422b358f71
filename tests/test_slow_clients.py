"""Slow clients and the internal port, over real HTTP on loopback: a body trickled in is cut,
connections beyond the cap are refused with a 503, and health, metrics and the API can
be kept off the public port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from redis import Redis
from sqlalchemy.engine import Engine

from sosbot.bots.telegram.security import HEADER
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.delivery.queueing import Dispatcher
from sosbot.listeners import ConnectionGate, start_listener
from sosbot.webhooks import WebDeps, create_app, create_internal_app
from tests.conftest import routing_rules

SECRET = "slow-clients-secret-0123456789"
PATIENCE_S = 30  # how long a test waits for an answer at most; never what it asserts


@pytest.fixture
def deps(engine: Engine, redis: Redis, queue_name: str,
         conversation_settings: ConversationSettings) -> WebDeps:
    return WebDeps(engine=engine, redis=redis, dispatcher=Dispatcher(redis, queue_name),
                   conversation=conversation_settings, telegram_secret=SECRET,
                   rules=routing_rules(), body_timeout_s=0.5)


class Served:
    def __init__(self) -> None:
        self.runners: list[web.AppRunner] = []

    async def start(self, app: web.Application, gate: ConnectionGate) -> int:
        runner, site = await start_listener(app, "127.0.0.1", 0, gate, shutdown_timeout=1)
        self.runners.append(runner)
        return site.port


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    served = Served()
    yield served
    for runner in reversed(served.runners):
        await runner.cleanup()


async def answer_of(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection."""
    return await asyncio.wait_for(reader.read(), PATIENCE_S)


async def test_a_trickled_body_is_cut(deps: WebDeps, served: Served) -> None:
    port = await served.start(create_app(deps), ConnectionGate(100))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /webhooks/telegram HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 1000\r\n"
                 + f"{HEADER}: {SECRET}\r\n\r\n".encode() + b'{"update_id": 1')
    await writer.drain()  # and then nothing more: the rest of the body never comes
    answer = await answer_of(reader)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"request body too slow" in answer


async def until(condition: Any) -> None:
    for _ in range(PATIENCE_S * 100):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


async def test_connections_beyond_the_cap_are_refused_with_503(deps: WebDeps,
                                                              served: Served) -> None:
    gate = ConnectionGate(2)
    port = await served.start(create_app(deps), gate)
    idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
    await until(lambda: gate.open == 2)  # two slow clients hold every connection
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = await answer_of(reader)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 503") and b"Retry-After: 1" in answer
    assert gate.refused == 1
    idle[0][1].close()
    await until(lambda: gate.open == 1)
    async with aiohttp.ClientSession() as http, \
            http.get(f"http://127.0.0.1:{port}/healthz") as response:
        assert response.status == 200  # a freed place is taken again
    idle[1][1].close()


async def test_health_metrics_and_api_only_on_the_internal_port(
        deps: WebDeps, served: Served) -> None:
    from dataclasses import replace

    deps = replace(deps, internal_listener=True, api_token="api-token-0123456789abcdefgh")
    public = create_app(deps)
    public_port = await served.start(public, ConnectionGate(100, "public"))
    internal_port = await served.start(create_internal_app(public),
                                       ConnectionGate(100, "internal"))
    async with aiohttp.ClientSession() as http:
        for path in ("/healthz", "/readyz", "/statusz", "/metrics", "/api/v1/openapi.json"):
            async with http.get(f"http://127.0.0.1:{public_port}{path}") as response:
                assert response.status == 404, path
        async with http.get(f"http://127.0.0.1:{internal_port}/healthz") as response:
            assert response.status == 200
        async with http.get(f"http://127.0.0.1:{internal_port}/readyz") as response:
            assert (await response.json())["intake"] == "ok"  # the public app's writer
        async with http.get(f"http://127.0.0.1:{internal_port}/metrics") as response:
            assert response.status == 200 and "sosbot_webhooks_total" in await response.text()
        async with http.get(f"http://127.0.0.1:{internal_port}/api/v1/openapi.json") as resp:
            assert resp.status == 200
        async with http.post(f"http://127.0.0.1:{public_port}/webhooks/telegram",
                             json={"update_id": 77, "message": {
                                 "message_id": 1, "date": 1763820000,
                                 "chat": {"id": 5, "type": "private", "first_name": "Lan"},
                                 "from": {"id": 5, "is_bot": False, "first_name": "Lan"},
                                 "text": "/start"}},
                             headers={HEADER: SECRET}) as response:
            assert response.status == 200  # the webhooks stay on the public port
