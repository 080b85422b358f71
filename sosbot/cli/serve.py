"""``sosbot serve``: the web process (webhooks and health)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from aiohttp import web

from sosbot import embedded_redis
from sosbot.cli import Commands
from sosbot.config import WebConfig, load_settings
from sosbot.config_checks import problems, unguarded_redis
from sosbot.listeners import ConnectionGate, start_listener
from sosbot.process_memory import release_startup_memory
from sosbot.runtime import engine_for, redis_for, web_deps, writer_command
from sosbot.storage.migrate import current_revision, head_revision
from sosbot.webhooks import create_app, create_internal_app

log = logging.getLogger(__name__)


def register(commands: Commands) -> None:
    parser = commands.add_parser("serve")
    parser.add_argument("--host", default=None, help="default: web.host in config.yaml")
    parser.add_argument("--port", type=int, default=None, help="default: web.port")
    parser.add_argument("--embedded", action="store_true",
                        help="start an embedded Redis when none answers at REDIS_URL")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    found = problems(settings, demo=False)
    if found:
        print("sosbot serve: fix the configuration first:\n  - " + "\n  - ".join(found),
              file=sys.stderr)
        return 2
    for line in unguarded_redis(settings.redis_url):
        log.warning("%s", line)
    engine = engine_for(settings)
    revision = current_revision(engine)
    if revision != head_revision():
        print(f"sosbot serve: the database schema is at {revision or 'nothing'}, this code "
              f"needs {head_revision()}: run `sosbot migrate` first", file=sys.stderr)
        return 2
    redis_url, embedded = embedded_redis.resolve(settings.redis_url,
                                                 allow_embedded=args.embedded,
                                                 folder=Path("var"))
    writer = writer_command(settings, redis_url, args.log_level)
    app = create_app(web_deps(settings, engine, redis_for(redis_url), writer=writer))
    release_startup_memory()
    host = args.host or settings.file.web.host
    port = args.port or settings.file.web.port
    log.info("serving webhooks on http://%s:%d (database revision %s)", host, port, revision)
    try:
        asyncio.run(serve_until_stopped(app, host, port, settings.file.web))
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


async def serve_until_stopped(app: web.Application, host: str, port: int,
                              config: WebConfig) -> None:
    """Serve the public app (and the internal one on ``config.internal_port``) until SIGINT
    or SIGTERM, then stop gracefully: requests in flight get up to 10 s to finish."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runners: list[web.AppRunner] = []
    try:
        runners.append((await start_listener(
            app, host, port, ConnectionGate(config.max_connections, "public")))[0])
        if config.internal_port is not None:
            runners.append((await start_listener(
                create_internal_app(app), config.internal_host, config.internal_port,
                ConnectionGate(config.max_connections, "internal")))[0])
            log.info("health, metrics and the API on http://%s:%d only", config.internal_host,
                     config.internal_port)
        await stop.wait()
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
