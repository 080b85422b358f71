"""Runs the real system for end-to-end tests: `sosbot serve` and `sosbot worker` as processes,
the Telegram emulator on loopback, and a resident played through the emulator's control API."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from sosbot.emulators.telegram.app import create_app as create_emulator
from sosbot.emulators.telegram.state import BotSpec, EmulatorConfig

# Shaped like a real bot token (digits, colon, 35 characters), so that a log line leaking it
# would look like the real thing (tests/e2e/test_log_secrets.py).
TOKEN = "7000000002:E2ESECRETtokenE2ESECRETtokenE2ESECR"
SECRET = "e2e-webhook-secret-0123456789"
CALLBACK_SECRET = "e2e-callback-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    name: str
    proc: asyncio.subprocess.Process
    log: Path

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} log ---\n" + "\n".join(text.splitlines()[-lines:])


@dataclass
class System:
    """The running system and a resident-side view of the emulator."""

    tmp: Path
    env: dict[str, str]
    emulator_url: str
    web_url: str
    http: aiohttp.ClientSession
    processes: list[Process] = field(default_factory=list)
    # Everything the one-off commands (`run`) wrote, stdout and stderr.
    outputs: list[str] = field(default_factory=list)

    async def run(self, *args: str, timeout: float = 60) -> str:
        """Run a `sosbot` subcommand to completion; its stdout."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sosbot.cli", *args, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
        self.outputs.append(f"$ sosbot {' '.join(args)}\n{out.decode()}{err.decode()}")
        assert proc.returncode == 0, f"sosbot {' '.join(args)} failed:\n{err.decode()}"
        return out.decode()

    async def start(self, name: str, *args: str) -> Process:
        log = self.tmp / f"{name}.log"
        handle = log.open("wb")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sosbot.cli", *args, env=self.env,
            stdout=handle, stderr=asyncio.subprocess.STDOUT)
        process = Process(name, proc, log)
        self.processes.append(process)
        return process

    async def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.emulator_url}{path}"
        if body is None:
            async with self.http.get(url) as response:
                assert response.status == 200, await response.text()
                return await response.json()
        async with self.http.post(url, json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def user(self, user_id: int, first_name: str) -> Resident:
        await self.control("/_emu/users", {"id": user_id, "first_name": first_name,
                                           "language_code": "vi"})
        return Resident(self, user_id)

    def logs(self) -> str:
        return "\n".join(process.tail() for process in self.processes)


@dataclass
class Resident:
    """A resident chatting with the bot in their private chat."""

    system: System
    user_id: int
    seen: int = 0

    async def send(self, **content: Any) -> dict[str, Any]:
        answer = await self.system.control("/_emu/send", {"token": TOKEN, "from": self.user_id,
                                                         **content})
        assert all(status == 200 for status in answer["deliveries"]), answer
        return answer  # type: ignore[no-any-return]

    async def messages(self) -> list[dict[str, Any]]:
        data = await self.system.control(f"/_emu/chats/{self.user_id}/messages?token={TOKEN}")
        return data["messages"]  # type: ignore[no-any-return]

    async def keyboard(self) -> Any:
        """The reply keyboard the resident's app shows now (None when there is none)."""
        data = await self.system.control(f"/_emu/chats/{self.user_id}/messages?token={TOKEN}")
        return data.get("reply_keyboard")

    async def bot_messages(self) -> list[dict[str, Any]]:
        return [m for m in await self.messages() if m["from"]["is_bot"]]

    async def expect(self, predicate: Callable[[dict[str, Any]], bool],
                     timeout: float = 20) -> dict[str, Any]:
        """Wait for a new bot message that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            fresh = (await self.bot_messages())[self.seen:]
            for index, message in enumerate(fresh):
                if predicate(message):
                    self.seen += index + 1
                    return message
            await asyncio.sleep(0.1)
        texts = [m.get("text") for m in await self.bot_messages()]
        raise AssertionError(f"no such bot message within {timeout}s; saw {texts}\n"
                             f"{self.system.logs()}")

    async def expect_text(self, fragment: str, timeout: float = 20) -> dict[str, Any]:
        return await self.expect(lambda m: fragment in (m.get("text") or ""), timeout)

    async def press(self, message: dict[str, Any], data: str) -> None:
        answer = await self.system.control("/_emu/press", {
            "token": TOKEN, "from": self.user_id, "chat_id": self.user_id,
            "message_id": message["message_id"], "data": data})
        assert all(status == 200 for status in answer["deliveries"]), answer


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def start_system(tmp: Path, ward_data: Path, database_url: str, redis_url: str,
                       queue_name: str, *, workers: int = 1,
                       emulator_config: EmulatorConfig | None = None,
                       extra_env: dict[str, str] | None = None,
                       channels: dict[str, Any] | None = None,
                       config_extra: dict[str, Any] | None = None,
                       ) -> tuple[System, web.AppRunner]:
    emulator = web.AppRunner(create_emulator(
        bots=[BotSpec(token=TOKEN, username="sos_antt_e2e_bot", first_name="SOS ANTT")],
        config=emulator_config or EmulatorConfig(retry_base_s=0.2)))
    await emulator.setup()
    emulator_port = free_port()
    await web.TCPSite(emulator, "127.0.0.1", emulator_port).start()
    emulator_url = f"http://127.0.0.1:{emulator_port}"

    config = tmp / "config.yaml"
    config.write_text(yaml.safe_dump({
        "geo": {"wards_file": str(ward_data / "hcmc-wards-2025.geojson.gz"),
                "city_file": str(ward_data / "hcmc-city-2025.geojson.gz")},
        "queue": {"name": queue_name, "sweep_interval_s": 1, "outbox_stale_after_s": 5},
        "channels": channels or {"zalo": {"enabled": False}, "messenger": {"enabled": False}},
        # The wall clock drives these processes: a digest due on the hour would land in the
        # command centre's chat in the middle of a test that counts what arrives there.
        "digest": {"every_minutes": 0, "daily_at": None},
        **(config_extra or {}),
    }))
    env = {**os.environ, "SOSBOT_CONFIG": str(config), "DATABASE_URL": database_url,
           "REDIS_URL": redis_url, "SOSBOT_MEDIA_DIR": str(tmp / "media"),
           "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
           "TELEGRAM_API_BASE": emulator_url, "SOSBOT_CALLBACK_SECRET": CALLBACK_SECRET,
           "SOSBOT_LOG_LEVEL": "INFO", **(extra_env or {})}
    web_port = int(env.get("SOSBOT_TEST_WEB_PORT") or free_port())
    system = System(tmp=tmp, env=env, emulator_url=emulator_url,
                    web_url=f"http://127.0.0.1:{web_port}", http=aiohttp.ClientSession())
    try:
        await _start_processes(system, web_port, workers)
    except BaseException:
        await stop_system(system, emulator)  # nothing left running when start-up fails
        raise
    return system, emulator


async def _start_processes(system: System, web_port: int, workers: int) -> None:
    await system.run("migrate")
    await system.start("web", "serve", "--port", str(web_port))
    for index in range(workers):
        await system.start(f"worker-{index}", "worker")
    deadline = time.monotonic() + 90  # a loaded machine takes a while to load the wards
    while True:
        try:
            async with system.http.get(f"{system.web_url}/readyz") as response:
                if response.status == 200:
                    break
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the web process did not become healthy\n" + system.logs())
        await asyncio.sleep(0.2)
    await system.run("set-webhook", f"{system.web_url}/webhooks/telegram")


async def stop_system(system: System, emulator: web.AppRunner) -> None:
    for process in system.processes:
        await process.stop()
    await system.http.close()
    await emulator.cleanup()


@dataclass
class ResidentPlatforms:
    """The Zalo and Messenger emulators, running, pointed at the web app on ``web_port``,
    with the environment that connects sosbot to them (``env``)."""

    zalo: web.AppRunner
    messenger: web.AppRunner
    zalo_url: str
    messenger_url: str
    env: dict[str, str]

    async def cleanup(self) -> None:
        await self.zalo.cleanup()
        await self.messenger.cleanup()


async def start_resident_platforms(web_port: int, *, zalo_app_id: str, zalo_app_secret: str,
                                   zalo_oa_secret: str, messenger_app_secret: str,
                                   messenger_verify: str,
                                   page_token: str) -> ResidentPlatforms:
    """Start the Zalo and Messenger emulators on free ports and seed a Zalo refresh token."""
    from sosbot.emulators.messenger.app import create_app as create_messenger
    from sosbot.emulators.messenger.state import MessengerEmulatorConfig
    from sosbot.emulators.zalo.app import create_app as create_zalo
    from sosbot.emulators.zalo.state import ZaloEmulatorConfig

    web_url = f"http://127.0.0.1:{web_port}"
    zalo = web.AppRunner(create_zalo(config=ZaloEmulatorConfig(
        app_id=zalo_app_id, app_secret=zalo_app_secret, oa_secret_key=zalo_oa_secret,
        webhook_url=f"{web_url}/webhooks/zalo", retry_schedule_s=(0.3, 1.0, 2.0))))
    messenger = web.AppRunner(create_messenger(config=MessengerEmulatorConfig(
        webhook_url=f"{web_url}/webhooks/messenger", app_secret=messenger_app_secret,
        verify_token=messenger_verify, page_token=page_token)))
    urls = []
    for runner in (zalo, messenger):
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        urls.append(f"http://127.0.0.1:{port}")
    zalo_url, messenger_url = urls
    async with aiohttp.ClientSession() as http, \
            http.post(f"{zalo_url}/_emu/tokens", json={}) as response:
        tokens = await response.json()
    env = {"ZALO_APP_ID": zalo_app_id, "ZALO_APP_SECRET": zalo_app_secret,
           "ZALO_OA_SECRET_KEY": zalo_oa_secret, "ZALO_API_BASE": zalo_url,
           "ZALO_OAUTH_BASE": zalo_url, "ZALO_REFRESH_TOKEN": tokens["refresh_token"],
           "MESSENGER_APP_SECRET": messenger_app_secret,
           "MESSENGER_VERIFY_TOKEN": messenger_verify, "MESSENGER_PAGE_TOKEN": page_token,
           "MESSENGER_API_BASE": messenger_url, "SOSBOT_PUBLIC_URL": web_url,
           "SOSBOT_TEST_WEB_PORT": str(web_port)}
    return ResidentPlatforms(zalo, messenger, zalo_url, messenger_url, env)
