"""The Messenger emulator and a webhook that checks Meta's signature, both on loopback."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from sosbot.bots.messenger import inbound
from sosbot.bots.messenger.outbound import MessengerOutbound
from sosbot.bots.messenger.security import SIGNATURE_HEADER, signature_ok, verify_token_ok
from sosbot.core.events import PlatformEvent
from sosbot.emulators.messenger.app import MessengerEmulatorConfig, create_app

PAGE_TOKEN = "EAAtest-page-token-123"
APP_SECRET = "test-app-secret-4f2a"
VERIFY_TOKEN = "test-verify-token-9c1d"


@dataclass
class Webhook:
    """Our side: verifies the handshake and the signature, parses, records."""

    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    events: list[PlatformEvent] = field(default_factory=list)
    fail_next: int = 0
    attempts: int = 0

    async def verify(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("hub.mode") == "subscribe" and verify_token_ok(
                query.get("hub.verify_token"), VERIFY_TOKEN):
            return web.Response(text=query.get("hub.challenge", ""))
        return web.Response(status=403)

    async def receive(self, request: web.Request) -> web.Response:
        self.attempts += 1
        raw = await request.read()
        if not signature_ok(raw, request.headers.get(SIGNATURE_HEADER), APP_SECRET):
            return web.Response(status=403)
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.Response(status=500)
        self.bodies.append(raw)
        self.headers.append(dict(request.headers))
        self.events.extend(inbound.parse(raw))
        return web.Response(text="EVENT_RECEIVED")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/webhooks/messenger", self.verify)
        app.router.add_post("/webhooks/messenger", self.receive)
        return app


@dataclass
class Emu:
    """A running emulator, our webhook, and a JSON client for the control API."""

    base: str
    webhook_url: str
    http: aiohttp.ClientSession
    webhook: Webhook
    offset_s: float = 0.0

    async def post(self, path: str, body: dict[str, Any] | None = None,
                   status: int = 200) -> Any:
        async with self.http.post(self.base + path, json=body or {}) as resp:
            payload = await resp.json()
            assert resp.status == status, payload
            return payload

    async def get(self, path: str) -> Any:
        async with self.http.get(self.base + path) as resp:
            assert resp.status == 200
            return await resp.json()

    async def resident(self, name: str = "Lan") -> str:
        return str((await self.post("/_emu/users", {"first_name": name}))["psid"])

    async def say(self, psid: str, **content: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.post("/_emu/send", {"from": psid, **content})
        return result

    async def page_messages(self, psid: str) -> list[dict[str, Any]]:
        messages = (await self.get(f"/_emu/users/{psid}/messages"))["messages"]
        return [m for m in messages if m["direction"] == "out"]

    async def advance(self, seconds: float) -> None:
        await self.post("/_emu/clock", {"advance_s": seconds})
        self.offset_s += seconds

    def clock(self) -> float:
        """Our wall clock, kept in step with the emulator's."""
        return time.time() + self.offset_s

    def outbound(self, token: str = PAGE_TOKEN, *, human_agent: bool = False
                 ) -> MessengerOutbound:
        return MessengerOutbound(token, api_base=self.base, clock=self.clock,
                                 human_agent=human_agent)

    async def graph_post(self, psid: str, fields: dict[str, Any]) -> dict[str, Any]:
        """A raw Send API call with the page's token; Graph's answer, whatever its status."""
        url = f"{self.base}/v26.0/me/messages"
        async with self.http.post(url, params={"access_token": PAGE_TOKEN},
                                  json={"recipient": {"id": psid}, **fields}) as resp:
            answer: dict[str, Any] = await resp.json()
            return answer


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@asynccontextmanager
async def running_emulator(**overrides: Any) -> AsyncIterator[Emu]:
    """The emulator with our webhook subscribed (limits off unless overridden)."""
    webhook = Webhook()
    hook_runner, hook_base = await _serve(webhook.app())
    settings: dict[str, Any] = {"page_token": PAGE_TOKEN, "app_secret": APP_SECRET,
                                "verify_token": VERIFY_TOKEN, "limits": False,
                                "retry_base_s": 0.05, "max_retries": 3,
                                "webhook_url": hook_base + "/webhooks/messenger"}
    settings.update(overrides)
    emu_runner, base = await _serve(create_app(config=MessengerEmulatorConfig(**settings)))
    try:
        async with aiohttp.ClientSession() as http:
            emu = Emu(base, settings["webhook_url"], http, webhook)
            subscribed = await emu.post("/_emu/subscribe")
            assert subscribed["ok"], subscribed
            yield emu
    finally:
        await emu_runner.cleanup()
        await hook_runner.cleanup()
