"""``sosbot demo``: the whole system on embedded defaults, on this machine only.

SQLite under ./var, Redis at REDIS_URL or an embedded one, the Telegram Bot API emulator,
the web app, and one worker process. Residents are played through the emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from aiohttp import web

from sosbot import embedded_redis
from sosbot.bots.telegram.emulator import create_app as create_telegram_emulator
from sosbot.bots.telegram.emulator_state import BotSpec
from sosbot.bots.telegram.outbound import TelegramOutbound
from sosbot.config import (
    DEMO_CALLBACK_SECRET,
    DEMO_TELEGRAM_TOKEN,
    DEMO_WEBHOOK_SECRET,
    load_settings,
    problems,
)
from sosbot.runtime import engine_for, redis_for, web_deps
from sosbot.storage.migrate import upgrade
from sosbot.webhooks import WebDeps, create_app

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("demo", help="run everything locally on embedded defaults")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="the web app")
    parser.add_argument("--telegram-port", type=int, default=8081,
                        help="the Telegram Bot API emulator")
    parser.add_argument("--workers", type=int, default=1)
    parser.set_defaults(func=run)


def _demo_environment(args: argparse.Namespace) -> None:
    os.environ.setdefault("TELEGRAM_BOT_TOKEN", DEMO_TELEGRAM_TOKEN)
    os.environ.setdefault("TELEGRAM_WEBHOOK_SECRET", DEMO_WEBHOOK_SECRET)
    os.environ.setdefault("SOSBOT_CALLBACK_SECRET", DEMO_CALLBACK_SECRET)
    os.environ["TELEGRAM_API_BASE"] = f"http://{args.host}:{args.telegram_port}"


def run(args: argparse.Namespace) -> int:
    _demo_environment(args)
    settings = load_settings()
    found = problems(settings, demo=True)
    if found:
        print("sosbot demo: fix the configuration first:\n  - " + "\n  - ".join(found),
              file=sys.stderr)
        return 2
    engine = engine_for(settings)
    upgrade(engine)
    redis_url, embedded = embedded_redis.resolve(settings.redis_url, allow_embedded=True,
                                                 folder=Path("var"))
    os.environ["REDIS_URL"] = redis_url
    settings = load_settings()
    workers = [
        subprocess.Popen([sys.executable, "-m", "sosbot.cli", "--log-level",
                          logging.getLevelName(logging.getLogger().level), "worker"],
                         env=dict(os.environ))
        for _ in range(max(args.workers, 1))
    ]
    try:
        asyncio.run(_serve(args, web_deps(settings, engine, redis_for(redis_url)),
                           settings.file.channels.telegram.webhook_path, redis_url))
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
        if embedded is not None:
            embedded.stop()
    return 0


async def _serve(args: argparse.Namespace, deps: WebDeps, webhook_path: str,
                 redis_url: str) -> None:
    # Handlers first: a Ctrl-C during start-up then stops cleanly instead of a traceback.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    token = os.environ["TELEGRAM_BOT_TOKEN"]
    emulator = web.AppRunner(create_telegram_emulator(
        bots=[BotSpec(token=token, username="sos_antt_demo_bot", first_name="SOS ANTT")]))
    app = web.AppRunner(create_app(deps), access_log=None)
    await emulator.setup()
    await app.setup()
    await web.TCPSite(emulator, args.host, args.telegram_port).start()
    await web.TCPSite(app, args.host, args.port).start()

    telegram = TelegramOutbound(token, os.environ["TELEGRAM_API_BASE"])
    await telegram.start()
    webhook = f"http://{args.host}:{args.port}{webhook_path}"
    await telegram.set_webhook(webhook, os.environ["TELEGRAM_WEBHOOK_SECRET"])
    await telegram.close()

    emu = os.environ["TELEGRAM_API_BASE"]
    print(f"""
sosbot demo is running.
  web app (webhooks, health):  http://{args.host}:{args.port}/healthz
  Telegram emulator:           {emu}
  Redis:                       {redis_url}

Play a resident (in another terminal):
  curl -s -XPOST {emu}/_emu/users -d '{{"first_name":"Lan","id":5001}}'
  curl -s -XPOST {emu}/_emu/send -d '{{"token":"{token}","from":5001,"text":"/start"}}'
  curl -s {emu}/_emu/chats/5001/messages
  sosbot reports
Press Ctrl-C to stop.
""", flush=True)
    await stop.wait()
    print("stopping…", flush=True)
    await app.cleanup()
    await emulator.cleanup()
