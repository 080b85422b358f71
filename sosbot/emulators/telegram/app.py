"""A local emulator of the Telegram Bot API, for end-to-end tests without internet.

Serves the Bot API at ``/bot<token>/<method>`` and files at ``/file/bot<token>/<path>`` so
that ``telegram.Bot(token, base_url=f"{emu}/bot", base_file_url=f"{emu}/file/bot")`` works
against it, plus a control API under ``/_emu/`` through which tests (or a browser sandbox)
create users and groups, make users write, press buttons, block the bot, and read back what
the bot did. Run it standalone with::

    python -m sosbot.emulators.telegram.app --host 127.0.0.1 --port 8081 --bot 123:ABC:mybot
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from sosbot.emulators.common import faults, idempotency
from sosbot.emulators.common.control import answer_control

from .api import add_api_routes
from .control import add_control_routes
from .state import STATE_KEY, BotSpec, EmulatorConfig, EmulatorState

log = logging.getLogger(__name__)

__all__ = ["STATE_KEY", "BotSpec", "EmulatorConfig", "EmulatorState", "create_app", "main"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """JSON errors everywhere: Telegram's 404 shape for unknown API paths, and for the
    control API 400 ``{"error": ...}`` on malformed requests (never a traceback), plus
    permissive CORS so a browser sandbox page can drive it."""
    if not request.path.startswith("/_emu/"):
        try:
            return await handler(request)
        except web.HTTPNotFound:
            body = {"ok": False, "error_code": 404, "description": "Not Found"}
            return web.json_response(body, status=404)
    return await answer_control(request, handler)


def create_app(
    *, bots: list[BotSpec] | None = None, config: EmulatorConfig | None = None
) -> web.Application:
    """An aiohttp application emulating the Bot API for ``bots`` under ``config``."""
    cfg = config or EmulatorConfig()
    state = EmulatorState(cfg)
    for spec in bots or []:
        state.add_bot(spec)
    app = web.Application(
        client_max_size=cfg.max_upload_bytes + 1024 * 1024, middlewares=[json_errors]
    )
    app[STATE_KEY] = state
    add_api_routes(app)
    faults.install(app)
    idempotency.install(app)
    add_control_routes(app)

    async def close_state(_: web.Application) -> None:
        await state.close()

    app.on_cleanup.append(close_state)
    return app


def parse_bot(value: str) -> BotSpec:
    """``TOKEN[:username]`` where TOKEN may itself be ``<digits>:<secret>``."""
    parts = value.split(":")
    if len(parts) >= 3:
        return BotSpec(":".join(parts[:-1]), parts[-1] or None)
    if len(parts) == 2 and not parts[0].isdigit():
        return BotSpec(parts[0], parts[1] or None)
    return BotSpec(value)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point: run the emulator until interrupted."""
    parser = argparse.ArgumentParser(description="Local Telegram Bot API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument(
        "--bot",
        action="append",
        default=[],
        metavar="TOKEN[:username]",
        type=parse_bot,
        help="register a bot (repeatable)",
    )
    parser.add_argument("--no-limits", action="store_true", help="disable flood control")
    parser.add_argument("--retry-base-s", type=float, default=1.0)
    parser.add_argument("--max-retries", type=int, default=8)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = EmulatorConfig(
        limits=not args.no_limits, retry_base_s=args.retry_base_s, max_retries=args.max_retries
    )
    app = create_app(bots=args.bot, config=config)
    log.info("Telegram emulator on http://%s:%s", args.host, args.port)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
