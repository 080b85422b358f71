"""``sosbot demo``: the whole system on embedded defaults, on this machine only, with the
browser sandbox at one URL.

SQLite under ./var (fresh each run unless ``--keep-data``: the emulators forget their chats
when they stop, so yesterday's bindings would point at chats that no longer exist), an
embedded Redis under ./var, the Telegram, Zalo and Messenger emulators, the web app with
the sandbox mounted at ``/sandbox/``, and worker processes.

The demo runs only on services of its own: a ``DATABASE_URL`` or ``REDIS_URL`` in the
environment may be a deployment's, whose queued messages the demo's workers would send to
the emulators (lost to the residents and officers). It refuses them unless told with
``--use-external-services`` (then Redis is the one at REDIS_URL, or an embedded one when
nothing answers there).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy.engine import Engine

from sosbot import embedded_redis
from sosbot.bots.telegram.outbound import TelegramOutbound
from sosbot.cli import Commands
from sosbot.config import (
    DEFAULT_DATABASE_URL,
    DEMO_AUDIT_KEY,
    DEMO_CALLBACK_SECRET,
    DEMO_TELEGRAM_TOKEN,
    DEMO_WEBHOOK_SECRET,
    Settings,
    load_settings,
)
from sosbot.config_checks import problems
from sosbot.emulators.geocoder.app import GeocoderEmulatorConfig
from sosbot.emulators.geocoder.app import create_app as create_geocoder_emulator
from sosbot.emulators.messenger.app import create_app as create_messenger_emulator
from sosbot.emulators.messenger.state import MessengerEmulatorConfig
from sosbot.emulators.telegram.app import create_app as create_telegram_emulator
from sosbot.emulators.telegram.state import BotSpec, EmulatorConfig
from sosbot.emulators.zalo.app import create_app as create_zalo_emulator
from sosbot.emulators.zalo.state import ZaloEmulatorConfig
from sosbot.geo import GAZETTEER_FILE
from sosbot.runtime import engine_for, redis_for, web_deps
from sosbot.sandbox import SandboxConfig, create_sandbox_app
from sosbot.storage.migrate import upgrade
from sosbot.storage.tokens import seed
from sosbot.webhooks import WebDeps, create_app

log = logging.getLogger(__name__)

DEMO_ZALO_APP_ID = "360846524940903967"
DEMO_ZALO_APP_SECRET = "demo-zalo-app-secret"
DEMO_ZALO_OA_SECRET = "demo-zalo-oa-secret-key"
DEMO_MESSENGER_APP_SECRET = "demo-messenger-app-secret"
DEMO_MESSENGER_VERIFY = "demo-messenger-verify-token"
DEMO_MESSENGER_PAGE_TOKEN = "EAAG-demo-messenger-page-token"
DEMO_BOT_USERNAME = "sos_antt_demo_bot"
SANDBOX_PATH = "/sandbox/"


def register(commands: Commands) -> None:
    parser = commands.add_parser("demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="the web app and the sandbox")
    parser.add_argument("--telegram-port", type=int, default=8081,
                        help="the Telegram Bot API emulator")
    parser.add_argument("--zalo-port", type=int, default=8082, help="the Zalo OA API emulator")
    parser.add_argument("--messenger-port", type=int, default=8083,
                        help="the Messenger Platform emulator")
    parser.add_argument("--geocoder-port", type=int, default=8084,
                        help="the Nominatim-compatible geocoder emulator (the gazetteer)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--keep-data", action="store_true",
                        help="keep ./var/sosbot.db from the last run")
    parser.add_argument("--use-external-services", action="store_true",
                        help="use DATABASE_URL and REDIS_URL from the environment instead of "
                             "the demo's own SQLite and embedded Redis (never a deployment's: "
                             "the demo would send its queued messages to the emulators)")
    parser.set_defaults(func=run)


@dataclass(frozen=True)
class Ports:
    host: str
    web: int
    telegram: int
    zalo: int
    messenger: int
    geocoder: int = 8084

    def url(self, port: int) -> str:
        return f"http://{self.host}:{port}"


def _demo_environment(ports: Ports) -> None:
    os.environ.setdefault("TELEGRAM_BOT_TOKEN", DEMO_TELEGRAM_TOKEN)
    os.environ.setdefault("TELEGRAM_WEBHOOK_SECRET", DEMO_WEBHOOK_SECRET)
    os.environ.setdefault("SOSBOT_CALLBACK_SECRET", DEMO_CALLBACK_SECRET)
    os.environ.setdefault("SOSBOT_AUDIT_KEY", DEMO_AUDIT_KEY)
    os.environ["TELEGRAM_API_BASE"] = ports.url(ports.telegram)
    os.environ.setdefault("TELEGRAM_BOT_USERNAME", DEMO_BOT_USERNAME)
    zalo = ports.url(ports.zalo)
    os.environ.update({
        "ZALO_APP_ID": DEMO_ZALO_APP_ID, "ZALO_APP_SECRET": DEMO_ZALO_APP_SECRET,
        "ZALO_OA_SECRET_KEY": DEMO_ZALO_OA_SECRET, "ZALO_API_BASE": zalo,
        "ZALO_OAUTH_BASE": zalo,
        "MESSENGER_APP_SECRET": DEMO_MESSENGER_APP_SECRET,
        "MESSENGER_VERIFY_TOKEN": DEMO_MESSENGER_VERIFY,
        "MESSENGER_PAGE_TOKEN": DEMO_MESSENGER_PAGE_TOKEN,
        "MESSENGER_API_BASE": ports.url(ports.messenger),
        "SOSBOT_PUBLIC_URL": ports.url(ports.web),
        "SOSBOT_GEOCODER_URL": ports.url(ports.geocoder),
    })


def _fresh_database(keep: bool) -> None:
    """Start from an empty demo database: the emulators' chats do not outlive a run."""
    if keep or os.environ.get("DATABASE_URL"):
        return
    path = Path(DEFAULT_DATABASE_URL.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def foreign_services(environ: Mapping[str, str]) -> list[str]:
    """DATABASE_URL and REDIS_URL set in the environment: services that are not the
    demo's own (shown without their passwords)."""
    return [f"{name}={re.sub(r'//[^@/]*@', '//…@', value)}"
            for name in ("DATABASE_URL", "REDIS_URL") if (value := environ.get(name, ""))]


def run(args: argparse.Namespace) -> int:
    foreign = foreign_services(os.environ)
    if foreign and not args.use_external_services:
        print(f"sosbot demo: refusing to start on {', '.join(foreign)} from the environment.\n"
              f"The demo runs on its own SQLite database and embedded Redis under ./var; on "
              f"another database or Redis (a deployment's?) its workers would send the queued "
              f"messages to the local emulators, where nobody reads them.\n"
              f"Unset them, or pass --use-external-services if they are scratch services.",
              file=sys.stderr)
        return 2
    ports = Ports(args.host, args.port, args.telegram_port, args.zalo_port, args.messenger_port,
                  args.geocoder_port)
    _demo_environment(ports)
    _fresh_database(args.keep_data)
    settings = load_settings()
    found = problems(settings, demo=True)
    if found:
        print("sosbot demo: fix the configuration first:\n  - " + "\n  - ".join(found),
              file=sys.stderr)
        return 2
    engine = engine_for(settings)
    upgrade(engine)
    if args.use_external_services:
        redis_url, embedded = embedded_redis.resolve(settings.redis_url, allow_embedded=True,
                                                     folder=Path("var"))
    else:
        log.info("sosbot demo: starting an embedded one (its own Redis, under ./var)")
        embedded = embedded_redis.EmbeddedRedis(Path("var"))
        redis_url = embedded.url
    os.environ["REDIS_URL"] = redis_url
    workers: list[subprocess.Popen[bytes]] = []
    try:
        asyncio.run(_serve(args, ports, engine, workers))
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                # A lane busy with a send that retries (a platform already stopped) ends its
                # job within seconds.
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        for worker in workers:
            _end_group(worker.pid)
        if embedded is not None:
            embedded.stop()
    return 0


def _start_workers(count: int) -> list[subprocess.Popen[bytes]]:
    """Each worker in a process group of its own (the demo stops them, one signal each;
    a Ctrl-C in the terminal reaches the demo alone), so whatever a worker forked (rq's
    scheduler) is found and ended with it."""
    level = logging.getLevelName(logging.getLogger().level)
    return [subprocess.Popen([sys.executable, "-m", "sosbot.cli", "--log-level", level,
                              "worker", "--demo"], env=dict(os.environ),
                             start_new_session=True)
            for _ in range(max(count, 1))]


def _end_group(group: int, wait_s: float = 5.0) -> None:
    """End what is left of a stopped worker's process group: asked first, then killed."""
    deadline = time.monotonic() + wait_s
    try:
        os.killpg(group, signal.SIGTERM)
        while time.monotonic() < deadline:
            time.sleep(0.05)
            os.killpg(group, 0)
        log.warning("a stopped worker's child did not end within %.0f s; killed", wait_s)
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        return  # nothing left (the usual case: the worker stopped its scheduler itself)


async def _start(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def _serve(args: argparse.Namespace, ports: Ports, engine: Engine,
                 workers: list[subprocess.Popen[bytes]]) -> None:
    # Handlers first: a Ctrl-C during start-up then stops cleanly instead of a traceback.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    token = os.environ["TELEGRAM_BOT_TOKEN"]
    runners: list[web.AppRunner] = []
    try:
        runners.append(await _start(create_telegram_emulator(
            bots=[BotSpec(token=token, username=os.environ["TELEGRAM_BOT_USERNAME"],
                          first_name="SOS ANTT")],
            config=EmulatorConfig(retry_base_s=0.5)), args.host, ports.telegram))
        runners.append(await _start(create_zalo_emulator(config=ZaloEmulatorConfig(
            app_id=DEMO_ZALO_APP_ID, app_secret=DEMO_ZALO_APP_SECRET,
            oa_secret_key=DEMO_ZALO_OA_SECRET,
            webhook_url=f"{ports.url(ports.web)}/webhooks/zalo",
            retry_schedule_s=(1.0, 5.0, 30.0))), args.host, ports.zalo))
        runners.append(await _start(create_messenger_emulator(config=MessengerEmulatorConfig(
            webhook_url=f"{ports.url(ports.web)}/webhooks/messenger",
            app_secret=DEMO_MESSENGER_APP_SECRET, verify_token=DEMO_MESSENGER_VERIFY,
            page_token=DEMO_MESSENGER_PAGE_TOKEN, retry_base_s=0.5)),
            args.host, ports.messenger))
        runners.append(await _start(create_geocoder_emulator(GeocoderEmulatorConfig(
            gazetteer_path=GAZETTEER_FILE)), args.host, ports.geocoder))
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{ports.url(ports.zalo)}/_emu/tokens", json={}) as answer:
                tokens = await answer.json()
            # The stored pair (if any) was issued by an emulator that is gone: replace it.
            seed(engine, "zalo", tokens["refresh_token"], datetime.now(UTC))
            os.environ["ZALO_REFRESH_TOKEN"] = tokens["refresh_token"]
            settings = load_settings()
            workers.extend(_start_workers(args.workers))
            deps = web_deps(settings, engine, redis_for(os.environ["REDIS_URL"]))
            app = create_app(deps)
            app.add_subapp(SANDBOX_PATH.rstrip("/"), create_sandbox_app(
                _sandbox_config(settings, ports, token, deps, engine)))
            app.router.add_get("/", _to_sandbox)
            runners.append(await _start(app, args.host, ports.web))
            await _connect_platforms(http, settings, ports, token)
        print(f"""
sosbot demo is running. Open the sandbox in a browser:

    {ports.url(ports.web)}{SANDBOX_PATH}

Press Ctrl-C to stop.
""", flush=True)
        await stop.wait()
        print("stopping…", flush=True)
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


async def _to_sandbox(request: web.Request) -> web.Response:
    raise web.HTTPFound(SANDBOX_PATH)


def _sandbox_config(settings: Settings, ports: Ports, token: str, deps: WebDeps,
                    engine: Engine) -> SandboxConfig:
    return SandboxConfig(
        telegram_url=ports.url(ports.telegram), telegram_token=token,
        zalo_url=ports.url(ports.zalo), messenger_url=ports.url(ports.messenger),
        engine=engine, redis_url=os.environ["REDIS_URL"], queue_name=settings.file.queue.name,
        rules=deps.rules, ward_shapes=deps.ward_shapes,
        code_ttl=timedelta(minutes=settings.file.routing.binding_code_minutes))


async def _connect_platforms(http: aiohttp.ClientSession, settings: Settings, ports: Ports,
                             token: str) -> None:
    """Point the Telegram bot's webhook at the web app; let Messenger verify its webhook."""
    telegram = TelegramOutbound(token, os.environ["TELEGRAM_API_BASE"])
    await telegram.start()
    try:
        await telegram.set_webhook(
            f"{ports.url(ports.web)}{settings.file.channels.telegram.webhook_path}",
            os.environ["TELEGRAM_WEBHOOK_SECRET"])
    finally:
        await telegram.close()
    async with http.post(f"{ports.url(ports.messenger)}/_emu/subscribe", json={}) as answer:
        if answer.status != 200:
            log.error("Messenger webhook verification failed: %s", await answer.text())
