"""A local emulator of the Messenger Platform, for end-to-end tests without internet.

It plays both sides of Meta:

- the Graph API a page talks to: the Send API (``POST /{version}/me/messages``, JSON, form
  or multipart with ``filedata``), the Attachment Upload API and the User Profile API, with
  Graph's success and error shapes, the 24-hour window judged on a controllable clock,
  message tags, and the page's send rate limit (613);
- the webhook Meta calls: residents, played through the control API under ``/_emu/``
  (see :mod:`.emulator_control` and :mod:`.emulator_residents`), write to the page and the
  emulator POSTs the batched, signed events to the subscribed webhook, retrying until 200.

Run it standalone with::

    python -m sosbot.emulators.messenger.app --host 127.0.0.1 --port 8083 \\
        --webhook-url http://127.0.0.1:8080/webhooks/messenger
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from sosbot.emulators.common import faults, idempotency
from sosbot.emulators.common.control import answer_control

from .control import add_control_routes
from .graph import add_graph_routes
from .state import STATE_KEY, EmulatorState, MessengerEmulatorConfig

log = logging.getLogger(__name__)

__all__ = ["STATE_KEY", "EmulatorState", "MessengerEmulatorConfig", "create_app", "main"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def control_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Control API errors as 400 ``{"error": ...}`` (never a traceback), with permissive
    CORS so a browser sandbox page can drive the emulator."""
    if not request.path.startswith("/_emu/"):
        return await handler(request)
    return await answer_control(request, handler)


def create_app(*, config: MessengerEmulatorConfig | None = None) -> web.Application:
    """An aiohttp application emulating the Messenger Platform under ``config``."""
    cfg = config or MessengerEmulatorConfig()
    state = EmulatorState(cfg)
    app = web.Application(client_max_size=cfg.max_upload_bytes + 1024 * 1024,
                          middlewares=[control_errors])
    app[STATE_KEY] = state
    add_control_routes(app)
    faults.install(app)
    idempotency.install(app)
    add_graph_routes(app)

    async def close_state(_: web.Application) -> None:
        await state.close()

    app.on_cleanup.append(close_state)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point: run the emulator until interrupted."""
    defaults = MessengerEmulatorConfig()
    parser = argparse.ArgumentParser(description="Local Messenger Platform emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8083)
    parser.add_argument("--webhook-url", help="where to POST events (verify with /_emu/subscribe)")
    parser.add_argument("--page-id", default=defaults.page_id)
    parser.add_argument("--page-token", default=defaults.page_token)
    parser.add_argument("--app-secret", default=defaults.app_secret)
    parser.add_argument("--verify-token", default=defaults.verify_token)
    parser.add_argument("--no-limits", action="store_true", help="disable the rate limit")
    parser.add_argument("--echoes", action="store_true", help="send message_echoes")
    parser.add_argument("--retry-base-s", type=float, default=1.0)
    parser.add_argument("--max-retries", type=int, default=8)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = MessengerEmulatorConfig(
        page_id=args.page_id, page_token=args.page_token, app_secret=args.app_secret,
        verify_token=args.verify_token, webhook_url=args.webhook_url,
        limits=not args.no_limits, echoes=args.echoes, retry_base_s=args.retry_base_s,
        max_retries=args.max_retries)
    log.info("Messenger emulator on http://%s:%s", args.host, args.port)
    web.run_app(create_app(config=config), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
