"""The sandbox as an aiohttp sub-application (``sosbot demo`` mounts it at ``/sandbox/``).

==========================  =====================================================================
``GET /``                   the page (static HTML, script and styles; nothing from a CDN)
``GET /api/events``         server-sent events: the whole picture (panes, timeline, clock) each
                            time it changes
``GET /api/state``          the same picture, once
``POST /api/seed``          make and bind the demo groups (once; later calls change nothing)
``POST /api/act``           ``{"pane", "action"}``: the pane's person does it (``actions.py``)
``POST /api/clock``         ``{"minutes"}``: fast-forward escalations and the emulators' clocks
``GET /api/wards.json``     the simplified ward polygons the map draws
``GET /api/media?u=``       a photo or video from one of the emulators
==========================  =====================================================================
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from sosbot.delivery.queueing import Dispatcher
from sosbot.location_page.app import STATIC_DIR as LOCATION_STATIC
from sosbot.runtime import redis_for

from .actions import SAMPLES, BadAction, perform
from .clock import MAX_JUMP_MINUTES, SimulatedClock, escalate_due
from .emulators import EmulatorRefused, Emulators
from .state import Picture
from .world import SandboxConfig, World

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_ACTION_BYTES = 30 * 1024 * 1024  # a 20 MB video, base64-encoded
EVENT_INTERVAL_S = 0.4
KEEPALIVE_S = 15.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Sandbox:
    """Everything one sandbox app holds."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.emulators = Emulators(config.urls)
        self.world = World(config, self.emulators)
        self.clock = SimulatedClock()
        self.picture = Picture(self.world, self.emulators, self.clock)
        self.stopping = asyncio.Event()
        self._dispatcher: Dispatcher | None = None

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            self._dispatcher = Dispatcher(redis_for(self.config.redis_url),
                                          self.config.queue_name)
        return self._dispatcher


SANDBOX: web.AppKey[Sandbox] = web.AppKey("sandbox")


def _sandbox(request: web.Request) -> Sandbox:
    return request.app[SANDBOX]


def _bad(request: web.Request, status: int, message: str) -> web.Response:
    log.warning("sandbox %s %s: %d %s", request.method, request.path, status, message)
    return web.json_response({"error": message}, status=status)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bad input is 400 with a log line; an emulator's refusal is passed on as 400/502."""
    try:
        return await handler(request)
    except BadAction as exc:
        return _bad(request, 400, str(exc))
    except EmulatorRefused as exc:
        return _bad(request, exc.status if 400 <= exc.status < 500 else 502, str(exc))
    except (aiohttp.ClientError, TimeoutError) as exc:
        return _bad(request, 502, f"an emulator did not answer: {exc!r}")
    except web.HTTPRequestEntityTooLarge:
        log.warning("sandbox %s %s: 413 body too large", request.method, request.path)
        raise


async def _json_body(request: web.Request) -> dict[str, Any]:
    # Read by hand: the web app's body limit suits webhooks, not a video from disk.
    if request.content_length is not None and request.content_length > MAX_ACTION_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_ACTION_BYTES,
                                            actual_size=request.content_length)
    chunks, size = [], 0
    while chunk := await request.content.read(65536):
        size += len(chunk)
        if size > MAX_ACTION_BYTES:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_ACTION_BYTES, actual_size=size)
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks) or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadAction("the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadAction("the body must be a JSON object")
    return body


async def page(request: web.Request) -> web.StreamResponse:
    if not request.path.endswith("/"):
        raise web.HTTPFound(request.path + "/")
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def wardmap_js(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(LOCATION_STATIC / "wardmap.js",
                            headers={"Content-Type": "text/javascript"})


async def wards(request: web.Request) -> web.Response:
    return web.Response(body=_sandbox(request).config.ward_shapes,
                        content_type="application/json",
                        headers={"Cache-Control": "max-age=3600"})


async def state(request: web.Request) -> web.Response:
    return web.json_response(await _sandbox(request).picture.snapshot())


async def events(request: web.Request) -> web.StreamResponse:
    sandbox = _sandbox(request)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
    await response.prepare(request)
    last, written = "", time.monotonic()
    try:
        while not sandbox.stopping.is_set():
            try:
                data = json.dumps(await sandbox.picture.snapshot(), ensure_ascii=False)
            except (EmulatorRefused, OSError) as exc:
                log.warning("sandbox: could not read the emulators: %s", exc)
                data = last
            except Exception:  # noqa: BLE001 - the stream's edge: log it, keep the page open
                log.exception("sandbox: could not build the picture")
                data = last
            if data != last:
                await response.write(f"data: {data}\n\n".encode())
                last, written = data, time.monotonic()
            elif time.monotonic() - written > KEEPALIVE_S:
                await response.write(b": keep-alive\n\n")
                written = time.monotonic()
            # The next look at the world, unless the sandbox is stopping first.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sandbox.stopping.wait(), EVENT_INTERVAL_S)
    except ConnectionResetError:
        log.info("sandbox: a page closed its event stream")
    return response


async def seed(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    groups = await sandbox.world.seed()
    sandbox.picture.invalidate()
    return web.json_response({"groups": [g.public() for g in groups]})


async def act(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    body = await _json_body(request)
    pane_id = body.get("pane")
    if not isinstance(pane_id, str):
        raise BadAction("pane must be a string")
    await sandbox.world.ensure_residents()
    pane = sandbox.world.pane(pane_id)
    if pane is None:
        raise BadAction(f"unknown pane {pane_id!r}")
    answer = await perform(sandbox.emulators, pane, body.get("action"))
    sandbox.picture.invalidate()
    return web.json_response({"ok": True, "answer": answer})


async def clock(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    body = await _json_body(request)
    minutes = body.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or \
            not 1 <= minutes <= MAX_JUMP_MINUTES:
        raise BadAction(f"minutes must be an integer from 1 to {MAX_JUMP_MINUTES}")
    sandbox.clock.jump(minutes * 60, datetime.now(UTC))
    for platform in ("zalo", "messenger"):
        await sandbox.emulators.post(platform, "/_emu/clock", {"advance_s": minutes * 60})
    config = sandbox.config
    done = await asyncio.to_thread(escalate_due, config.engine, config.rules,
                                   sandbox.dispatcher, sandbox.clock)
    sandbox.picture.invalidate()
    return web.json_response({"offset_s": sandbox.clock.offset_s,
                              "escalated": [{"code": e.code, "level": e.level} for e in done]})


async def media(request: web.Request) -> web.Response:
    url = request.query.get("u", "")
    data, content_type = await _sandbox(request).emulators.fetch(url)
    return web.Response(body=data, content_type=content_type,
                        headers={"Cache-Control": "max-age=3600"})


async def samples(request: web.Request) -> web.Response:
    return web.json_response({"samples": list(SAMPLES)})


def create_sandbox_app(config: SandboxConfig) -> web.Application:
    """The sandbox; mount it with ``app.add_subapp("/sandbox", …)``."""
    app = web.Application(middlewares=[errors])
    sandbox = Sandbox(config)
    app[SANDBOX] = sandbox
    r = app.router
    r.add_get("", page)
    r.add_get("/", page)
    r.add_get("/wardmap.js", wardmap_js)
    r.add_static("/static", STATIC)
    r.add_get("/api/wards.json", wards)
    r.add_get("/api/state", state)
    r.add_get("/api/events", events)
    r.add_get("/api/samples", samples)
    r.add_get("/api/media", media)
    r.add_post("/api/seed", seed)
    r.add_post("/api/act", act)
    r.add_post("/api/clock", clock)

    async def shutdown(_: web.Application) -> None:
        sandbox.stopping.set()

    async def cleanup(_: web.Application) -> None:
        await sandbox.emulators.close()

    app.on_shutdown.append(shutdown)
    app.on_cleanup.append(cleanup)
    return app
