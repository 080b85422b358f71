"""The Zalo world for tests: the emulator and a webhook receiver on loopback, the token
store on a SQLite file, and a real Redis lock."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from redis.exceptions import RedisError
from sqlalchemy.engine import Engine

from sosbot.bots.zalo.outbound import ZaloOutbound
from sosbot.bots.zalo.tokens import LockFactory, TokenManager
from sosbot.emulators.zalo.app import ZaloEmulatorConfig, create_app
from sosbot.emulators.zalo.state import STATE_KEY, ZaloEmulatorState
from sosbot.storage.db import make_engine
from sosbot.storage.migrate import upgrade
from sosbot.storage.tokens import DbTokenStore, seed
from tests.conftest import TEST_REDIS_URL, unavailable

OA_SECRET = "test-oa-secret-key"


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@dataclass
class Receiver:
    """A webhook endpoint that records raw deliveries and answers scripted statuses."""

    url: str = ""
    script: list[int] = field(default_factory=list)
    deliveries: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.deliveries.append((await request.read(), dict(request.headers)))
        return web.Response(status=self.script.pop(0) if self.script else 200, text="ok")


@dataclass
class Emu:
    """The emulator, its state, and a client for its control API."""

    base: str
    http: aiohttp.ClientSession
    state: ZaloEmulatorState
    receiver: Receiver

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.http.request(method, self.base + path, json=body) as resp:
            return resp.status, await resp.json()

    async def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        status, payload = await self.call("POST", path, body or {})
        assert status == 200, payload
        return payload

    async def get(self, path: str) -> Any:
        status, payload = await self.call("GET", path)
        assert status == 200, payload
        return payload

    async def user(self, name: str = "Nguyễn Thị Lan", **extra: Any) -> str:
        return str((await self.post("/_emu/users", {"name": name, **extra}))["id"])

    async def sent_by_oa(self, kind: str, chat_id: str) -> list[dict[str, Any]]:
        messages = (await self.get(f"/_emu/{kind}/{chat_id}/messages"))["messages"]
        return [m for m in messages if m["from"] == "oa"]

    async def refreshes(self) -> list[dict[str, Any]]:
        return list((await self.get("/_emu/tokens"))["refreshes"])


@pytest.fixture
async def emu() -> AsyncIterator[Emu]:
    receiver = Receiver()
    hook_app = web.Application()
    hook_app.router.add_post("/hook", receiver.handle)
    hook_runner, hook_base = await serve(hook_app)
    receiver.url = hook_base + "/hook"
    config = ZaloEmulatorConfig(oa_secret_key=OA_SECRET, webhook_url=receiver.url,
                                retry_schedule_s=(0.05, 0.1))
    app = create_app(config=config)
    runner, base = await serve(app)
    async with aiohttp.ClientSession() as http:
        yield Emu(base, http, app[STATE_KEY], receiver)
    await runner.cleanup()
    await hook_runner.cleanup()


@pytest.fixture
def token_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'zalo.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(token_engine: Engine) -> DbTokenStore:
    return DbTokenStore(token_engine, "zalo")


async def seed_from_emulator(emu: Emu, engine: Engine) -> str:
    """An administrator authorises the app and seeds the refresh token Zalo gave."""
    pair = await emu.post("/_emu/tokens")
    seed(engine, "zalo", pair["refresh_token"], datetime.now(UTC))
    return str(pair["refresh_token"])


def manager(emu: Emu, store: DbTokenStore, lock: LockFactory) -> TokenManager:
    config = emu.state.config
    return TokenManager(store, lock, app_id=config.app_id, app_secret=config.app_secret,
                        oauth_base=emu.base)


def process_lock() -> LockFactory:
    """One process, one lock: enough when a test runs a single worker."""
    lock = asyncio.Lock()
    return lambda: lock


@pytest.fixture
async def redis_lock() -> AsyncIterator[Callable[[], LockFactory]]:
    """Makes factories of one Redis lock (a fresh name per test), as workers share it."""
    client = aioredis.Redis.from_url(TEST_REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        unavailable(f"Redis at {TEST_REDIS_URL}", str(exc))
    name = f"sosbot-test:zalo-token-refresh:{uuid.uuid4().hex}"

    def factory() -> LockFactory:
        return lambda: client.lock(name, timeout=30, blocking_timeout=20)

    yield factory
    await client.aclose()


@pytest.fixture
async def outbound(emu: Emu, store: DbTokenStore,
                   token_engine: Engine) -> AsyncIterator[ZaloOutbound]:
    await seed_from_emulator(emu, token_engine)
    adapter = ZaloOutbound(manager(emu, store, process_lock()), api_base=emu.base)
    yield adapter
    await adapter.close()
