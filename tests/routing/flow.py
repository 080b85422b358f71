"""An in-process routing rig: the Telegram emulator, the real web app, real Redis and rq
jobs run by a drain loop, a controllable clock. Everything talks real HTTP on loopback."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import io
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image
from redis import Redis
from rq import Queue
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.bots.telegram.outbound import TelegramOutbound
from sosbot.config import RoutingConfig
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.delivery import context
from sosbot.delivery.context import JobContext, Limits
from sosbot.delivery.job_guard import GuardedJob
from sosbot.delivery.queueing import SERIALIZER, Dispatcher
from sosbot.delivery.send_rate import SendRateLimiter
from sosbot.emulators.telegram.app import create_app as create_emulator
from sosbot.emulators.telegram.state import BotSpec, EmulatorConfig
from sosbot.geo import WARDS_FILE
from sosbot.geo.wards import WardIndex
from sosbot.loop_thread import BackgroundLoop
from sosbot.routing.rules import RoutingRules
from sosbot.runtime import delivery_extensions
from sosbot.storage import bindings
from sosbot.storage.db import transaction
from sosbot.storage.media_store import MediaStore
from sosbot.storage.tables import Report, utcnow
from sosbot.webhooks import WRITER, WebDeps, create_app

TOKEN = "7000000003:ROUTING-token"
BOT_USERNAME = "sos_routing_bot"  # configured as channels.telegram.username
SECRET = "routing-webhook-secret-0123456789"
CALLBACK_SECRET = "routing-callback-secret-0123456789abcdef"
TAN_PHU = (10.77760, 106.64370)     # Âu Cơ street, Phường Tân Phú (27031)
BEN_THANH = (10.77250, 106.69800)   # Bến Thành market: no group bound in these tests


def jpeg(colour: tuple[int, int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, "JPEG")
    return base64.b64encode(buffer.getvalue()).decode()


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def sleep(self, seconds: float) -> None:
        """A job waiting for the rate limit waits on this clock, not for real: the limiter
        reads the same clock, so the wait is over at once."""
        self.advance(seconds=seconds)


class Rig:
    def __init__(self, engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
                 conversation: ConversationSettings, tmp: Path,
                 config: RoutingConfig | None = None) -> None:
        self.engine, self.redis, self.queue_name = engine, redis, queue_name
        self.rules = RoutingRules(config or RoutingConfig(), wards, CALLBACK_SECRET,
                                  wards_file=WARDS_FILE)
        self.conversation = conversation
        self.tmp = tmp
        self.clock = Clock()
        self.http = aiohttp.ClientSession()
        self.loop_thread = BackgroundLoop().start()

    async def start(self, *, limits: bool = False) -> None:
        self.emulator = web.AppRunner(create_emulator(
            bots=[BotSpec(token=TOKEN, username=BOT_USERNAME)],
            config=EmulatorConfig(retry_base_s=0.05, limits=limits)))
        await self.emulator.setup()
        site = web.TCPSite(self.emulator, "127.0.0.1", 0)
        await site.start()
        self.emu = f"http://127.0.0.1:{self.emulator.addresses[0][1]}"
        dispatcher = Dispatcher(self.redis, self.queue_name)
        self.server = TestServer(create_app(WebDeps(
            engine=self.engine, redis=self.redis, dispatcher=dispatcher,
            conversation=self.conversation, telegram_secret=SECRET, rules=self.rules,
            clock=self.clock, telegram_username=BOT_USERNAME)))
        await self.server.start_server()
        telegram = self.telegram = TelegramOutbound(TOKEN, self.emu, timeout_s=5)
        await asyncio.get_running_loop().run_in_executor(
            None, self.loop_thread.run, telegram.start())
        self.ctx = JobContext(
            engine=self.engine, redis=self.redis, dispatcher=dispatcher,
            outbound={"telegram": telegram}, media_store=MediaStore(self.tmp / "media"),
            conversation=self.conversation, limits=Limits(), run=self.loop_thread.run_any,
            clock=self.clock, limiter=SendRateLimiter(self.redis, self.clock),
            sleep=self.clock.sleep,
            extensions=delivery_extensions(None), rules=self.rules)
        context.install(self.ctx)
        await self.http.post(f"{self.emu}/bot{TOKEN}/setWebhook", json={
            "url": str(self.server.make_url("/webhooks/telegram")), "secret_token": SECRET})

    def on_the_wall_clock(self) -> JobContext:
        """The job context on the real clock, its rate limiter and real waits too: for tests
        against the emulator's flood limits, which count real seconds."""
        return dataclasses.replace(self.ctx, clock=utcnow,
                                   limiter=SendRateLimiter(self.redis, utcnow),
                                   sleep=time.sleep)

    @asynccontextmanager
    async def running(self, *, limits: bool = False) -> AsyncIterator[Rig]:
        """The rig started (emulator flood limits on with ``limits``), stopped on the way out."""
        await self.start(limits=limits)
        try:
            yield self
        finally:
            await self.stop()

    async def stop(self) -> None:
        context.install(None)
        await asyncio.get_running_loop().run_in_executor(
            None, self.loop_thread.run, self.telegram.close())
        await self.server.close()
        await self.emulator.cleanup()
        await self.http.close()
        self.loop_thread.stop()

    # -- the emulator's control API --------------------------------------------------------

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(f"{self.emu}{path}", json=body) as response:
            data = await response.json()
            assert response.status == 200, data
            return data

    async def messages(self, chat_id: int) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.emu}/_emu/chats/{chat_id}/messages") as response:
            return (await response.json())["messages"]  # type: ignore[no-any-return]

    async def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in await self.messages(chat_id) if m["from"]["is_bot"]]

    async def get_callback_answers(self) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.emu}/_emu/callback_answers") as response:
            return await response.json()  # type: ignore[no-any-return]

    async def in_thread(self, func: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, func, *args)

    async def user(self, user_id: int, name: str) -> int:
        await self.post("/_emu/users", {"id": user_id, "first_name": name})
        return user_id

    async def group(self, title: str, members: list[int]) -> int:
        group = (await self.post("/_emu/groups", {"title": title, "type": "supergroup",
                                                  "members": members}))["id"]
        await self.post(f"/_emu/groups/{group}/add_bot", {"token": TOKEN, "by": members[0]})
        await self.drain()
        return int(group)

    async def send(self, user: int, chat: int | None = None, **content: Any) -> Any:
        body = {"token": TOKEN, "from": user, **content}
        if chat is not None:
            body["chat_id"] = chat
        answer = await self.post("/_emu/send", body)
        await self.drain()
        return answer

    async def press(self, user: int, chat: int, message_id: int, data: str,
                    force: bool = False) -> None:
        await self.post("/_emu/press", {"token": TOKEN, "from": user, "chat_id": chat,
                                        "message_id": message_id, "data": data,
                                        "force": force})
        await self.drain()

    # -- the system's side -----------------------------------------------------------------

    async def drain(self, patience_s: float | None = None) -> int:
        """Run every queued rq job, as a worker would, until the queue is empty.

        With ``patience_s``, jobs queued for later (a send waiting for the platform's rate
        limit, a retry) that are due within that many seconds run too, as a worker's
        scheduler would move them, and the clock moves on with the wait. Without it, they
        stay scheduled, so tests of the clock decide when they run. The webhooks answered
        so far are processed first (a 200 means recorded)."""
        await self.server.app[WRITER].processed()
        queue = Queue(self.queue_name, connection=self.redis, serializer=SERIALIZER)
        scheduled = queue.scheduled_job_registry
        loop = asyncio.get_running_loop()
        deadline = None if patience_s is None else time.time() + patience_s
        ran = 0
        while True:
            raw = self.redis.lpop(queue.key)
            if raw is None:
                due = self.redis.zrange(scheduled.key, 0, 0, withscores=True)
                if deadline is None or not due or due[0][1] > deadline:
                    return ran
                job_id, at = due[0]
                pause = max(0.0, at - time.time())
                await asyncio.sleep(pause)
                # The system's clock moves on with the wait (at least rq's one-second grain).
                self.clock.advance(seconds=max(pause, 1.0))
                if not self.redis.zrem(scheduled.key, job_id):
                    continue
                raw = job_id
            # As sosbot's worker reads it: JSON, and only sosbot's job functions run.
            job = GuardedJob.fetch(raw.decode(), connection=self.redis, serializer=SERIALIZER)
            await loop.run_in_executor(None, job.perform)
            ran += 1

    async def bind(self, officer: int, group: int, kind: str, target: str) -> None:
        with transaction(self.engine) as session:
            code = bindings.create_code(session, kind, target, self.clock(),
                                        timedelta(minutes=15))
        await self.send(officer, chat=group, text=f"/bind {code}")

    async def report(self, resident: int, category: str, point: tuple[float, float],
                     description: str, photos: int = 0) -> str:
        """A resident reports through the whole Telegram conversation; returns the code."""
        await self.send(resident, text="/start")
        menu = (await self.bot_messages(resident))[-1]
        await self.press(resident, resident, menu["message_id"], f"cat:{category}")
        await self.send(resident, location={"latitude": point[0], "longitude": point[1],
                                            "horizontal_accuracy": 20})
        await self.send(resident, text=description)
        if photos:
            colours = [(200, 40 * i % 255, 30) for i in range(photos)]
            if photos == 1:
                await self.send(resident, photo={"data_b64": jpeg(colours[0])})
            else:
                await self.send(resident, album=[{"type": "photo", "data_b64": jpeg(c)}
                                                 for c in colours])
        last = (await self.bot_messages(resident))[-1]
        await self.press(resident, resident, last["message_id"],
                         "done" if photos else "skip")
        summary = (await self.bot_messages(resident))[-1]
        await self.press(resident, resident, summary["message_id"], "submit")
        with transaction(self.engine) as session:
            newest = session.exec(select(Report).order_by(col(Report.id).desc())).first()
        assert newest is not None
        return newest.code


async def tan_phu_groups(rig: Rig, ward_officer: int, fire_officer: int,
                         duty_officer: int) -> dict[str, int]:
    """The Tân Phú ward group, the fire police (PC07) and the command centre, each with its
    officer, bound."""
    for user, name in ((ward_officer, "Trung úy Hùng"), (fire_officer, "Đại úy Lâm"),
                       (duty_officer, "Thiếu tá Vy")):
        await rig.user(user, name)
    chats = {"ward": await rig.group("CA phường Tân Phú", [ward_officer]),
             "pc07": await rig.group("PC07 trực ban", [fire_officer]),
             "command": await rig.group("TTTTCH", [duty_officer])}
    await rig.bind(ward_officer, chats["ward"], "ward", "27031")
    await rig.bind(fire_officer, chats["pc07"], "department", "PC07")
    await rig.bind(duty_officer, chats["command"], "command", "command")
    return chats
