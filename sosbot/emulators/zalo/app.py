"""A local emulator of the Zalo OA Open API and OAuth endpoint, for tests without internet.

Serves what sosbot uses of ``openapi.zalo.me`` (``/v3.0/oa/message/cs``,
``/v3.0/oa/group/message``, ``/v2.0/oa/upload/image``, ``/v3.0/oa/group/getgroupsofoa``)
and of ``oauth.zaloapp.com`` (``/v4/oa/access_token``) on one origin, with Zalo's error
codes (HTTP 200), its 4,000 requests a minute, the 48-hour free and 7-day messaging
windows and rotating single-use refresh tokens, all on a clock the control API can move.
Users and group members are played through ``/_emu/`` (see ``emulator_control``), and
their messages reach the webhook signed and retried as Zalo does. Run it standalone::

    python -m sosbot.emulators.zalo.app --port 8082 --webhook http://127.0.0.1:8080/webhooks/zalo
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
from .state import STATE_KEY, ZaloEmulatorConfig, ZaloEmulatorState

log = logging.getLogger(__name__)

__all__ = ["STATE_KEY", "ZaloEmulatorConfig", "ZaloEmulatorState", "create_app", "main"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Control requests get 400 ``{"error": …}`` when malformed (never a traceback) and
    permissive CORS; the API answers unknown paths with a JSON 404."""
    if not request.path.startswith("/_emu/"):
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return web.json_response({"error": -404, "message": "Not Found"}, status=404)
    return await answer_control(request, handler)


def create_app(*, config: ZaloEmulatorConfig | None = None) -> web.Application:
    """An aiohttp application emulating the Zalo OA API and OAuth under ``config``."""
    cfg = config or ZaloEmulatorConfig()
    state = ZaloEmulatorState(cfg)
    app = web.Application(client_max_size=25 * 1024 * 1024, middlewares=[json_errors])
    app[STATE_KEY] = state
    add_api_routes(app)
    faults.install(app)
    idempotency.install(app)
    add_control_routes(app)

    async def close_state(_: web.Application) -> None:
        await state.close()

    app.on_cleanup.append(close_state)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point: run the emulator until interrupted."""
    parser = argparse.ArgumentParser(description="Local Zalo OA API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--webhook", default=None, help="URL events are POSTed to")
    defaults = ZaloEmulatorConfig()
    parser.add_argument("--app-id", default=defaults.app_id)
    parser.add_argument("--app-secret", default=defaults.app_secret)
    parser.add_argument("--oa-id", default=defaults.oa_id)
    parser.add_argument("--oa-secret-key", default=defaults.oa_secret_key)
    parser.add_argument("--retry-schedule", default=None,
                        help="comma-separated webhook retry delays in seconds "
                             "(default: Zalo's 30,300,900,1800,3600)")
    parser.add_argument("--no-limits", action="store_true", help="disable the rate limit")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = ZaloEmulatorConfig(app_id=args.app_id, app_secret=args.app_secret,
                                oa_id=args.oa_id, oa_secret_key=args.oa_secret_key,
                                webhook_url=args.webhook, limits=not args.no_limits)
    if args.retry_schedule:
        config.retry_schedule_s = tuple(float(x) for x in args.retry_schedule.split(","))
    log.info("Zalo emulator on http://%s:%s (webhook %s)", args.host, args.port,
             args.webhook or "not set")
    web.run_app(create_app(config=config), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
