"""What every emulator's control API (``/_emu/…``) shares: its error, and how a control
request is answered — JSON errors, never a traceback, and permissive CORS so a browser
sandbox page can drive the emulator."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from sosbot.emulators.common.request_body import ParamError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PREFIX = "/_emu/"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
}


class ControlError(Exception):
    """A malformed or impossible control request; answered 400 (or ``status``) as JSON."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def is_control(request: web.Request) -> bool:
    return request.path.startswith(PREFIX)


async def answer_control(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Run a control handler; malformed requests become 400 ``{"error": …}``."""
    if request.method == "OPTIONS":
        return web.Response(status=204, headers=CORS)
    response: web.StreamResponse
    try:
        response = await handler(request)
    except ControlError as exc:
        response = web.json_response({"error": exc.message}, status=exc.status)
    except ParamError as exc:
        response = web.json_response({"error": str(exc)}, status=400)
    except web.HTTPException as exc:
        response = web.json_response({"error": exc.reason}, status=exc.status)
    except (TypeError, ValueError, KeyError) as exc:
        log.exception("malformed control request %s %s", request.method, request.path)
        response = web.json_response({"error": f"malformed request: {exc}"}, status=400)
    if not response.prepared:
        response.headers.update(CORS)
    return response
