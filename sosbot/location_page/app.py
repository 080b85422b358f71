"""The location page as an aiohttp sub-application, mounted under ``/l``.

=========================  ====================================================================
``GET /l/{token}``         the map page (Vietnamese, English when the ticket says ``en``), or
                           404 with a clear message when the token is unknown, used or expired
``POST /l/{token}``        ``{"lat", "lon", "accuracy_m"}`` (JSON): checked (400), the ticket
                           consumed (410 if already used, 404 if unknown or expired), then
                           ``on_point`` stores the point and returns the confirmation text
``GET /l/wards.json``      the simplified ward polygons the page draws
``GET /l/static/…``        the page's script, map module and styles
=========================  ====================================================================

Every answer forbids framing, sniffing and referrers (the token is in the URL) and allows
scripts, styles and requests to this origin only.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from sosbot.core.pseudonyms import chat_label

from .page import render_gone, render_page
from .texts import texts_for
from .tokens import LocationTicket, LocationTokens, well_formed

log = logging.getLogger(__name__)

PREFIX = "/l"
STATIC_DIR = Path(__file__).parent / "static"
MAX_BODY_BYTES = 4096
BODY_TIMEOUT_S = 10.0
MAX_ACCURACY_M = 100_000.0

OnPoint = Callable[[LocationTicket, float, float, float | None], Awaitable[str]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

TOKENS_KEY = web.AppKey("location_tokens", LocationTokens)
ON_POINT_KEY: web.AppKey[OnPoint] = web.AppKey("location_on_point")



@dataclass(frozen=True)
class ServedShapes:
    """The ward polygons as served: the JSON, and the same compressed once at start-up (a
    few hundred kB of JSON compressed per request cost every page load tens of
    milliseconds of the web process's CPU)."""

    plain: bytes
    gzipped: bytes

    @classmethod
    def of(cls, plain: bytes) -> ServedShapes:
        return cls(plain=plain, gzipped=gzip.compress(plain, compresslevel=9, mtime=0))


SHAPES_KEY = web.AppKey("location_ward_shapes", ServedShapes)

_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


class BadPoint(ValueError):
    """A posted point that is not a place on Earth."""


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Add the page's security headers to every answer, errors included."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers.update(_SECURITY_HEADERS)
    if isinstance(response, web.HTTPException):
        raise response
    return response


def parse_point(body: Any) -> tuple[float, float, float | None]:
    """``(lat, lon, accuracy_m)`` from a posted JSON object; BadPoint when it is not sane."""
    if not isinstance(body, dict):
        raise BadPoint("body must be a JSON object")
    values: list[float | None] = []
    for name, low, high, required in (("lat", -90.0, 90.0, True), ("lon", -180.0, 180.0, True),
                                      ("accuracy_m", 0.0, MAX_ACCURACY_M, False)):
        value = body.get(name)
        if value is None and not required:
            values.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadPoint(f"{name} must be a number")
        try:
            number = float(value)
        except OverflowError:  # an integer past a double's range (10**400)
            raise BadPoint(f"{name} must be between {low:g} and {high:g}") from None
        if not math.isfinite(number) or not low <= number <= high:
            raise BadPoint(f"{name} must be between {low:g} and {high:g}")
        values.append(number)
    lat, lon, accuracy = values
    assert lat is not None and lon is not None
    return lat, lon, accuracy


def _json(status: int, lang: str | None, *, ok: bool, key: str | None = None,
          message: str | None = None, error: str | None = None) -> web.Response:
    text = message if message is not None else texts_for(lang)[key] if key else ""
    body: dict[str, Any] = {"ok": ok, "message": text}
    if error:
        body["error"] = error
    return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})


async def show_page(request: web.Request) -> web.Response:
    """``GET /l/{token}``: the map page, or the page saying the link cannot be used."""
    tokens = request.app[TOKENS_KEY]
    token = request.match_info["token"]
    ticket = await asyncio.to_thread(tokens.peek, token)
    headers = {"Cache-Control": "no-store"}
    if ticket is None:
        used = await asyncio.to_thread(tokens.used_lang, token)
        return web.Response(text=render_gone(used), status=404, content_type="text/html",
                            headers=headers)
    return web.Response(text=render_page(ticket), content_type="text/html", headers=headers)


async def receive_point(request: web.Request) -> web.Response:
    """``POST /l/{token}``: store the resident's point, once."""
    tokens = request.app[TOKENS_KEY]
    token = request.match_info["token"]
    if request.content_type != "application/json":
        return _json(415, None, ok=False, key="bad_point", error="send application/json")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _json(413, None, ok=False, key="bad_point", error="body too large")
    try:  # a point is a few bytes: one trickled in (a slow client) is cut
        raw = await asyncio.wait_for(request.content.read(MAX_BODY_BYTES + 1), BODY_TIMEOUT_S)
    except TimeoutError:
        return _json(408, None, ok=False, key="bad_point", error="body too slow")
    if len(raw) > MAX_BODY_BYTES:
        return _json(413, None, ok=False, key="bad_point", error="body too large")
    try:
        lat, lon, accuracy = parse_point(json.loads(raw))
    except (ValueError, UnicodeDecodeError) as exc:  # BadPoint and JSON errors alike
        return _json(400, None, ok=False, key="bad_point", error=str(exc))
    if not well_formed(token):
        return _json(404, None, ok=False, key="expired", error="unknown link")
    ticket = await asyncio.to_thread(tokens.consume, token)
    if ticket is None:
        used = await asyncio.to_thread(tokens.used_lang, token)
        if used is not None:
            return _json(410, used, ok=False, key="used", error="link already used")
        return _json(404, None, ok=False, key="expired", error="unknown or expired link")
    try:
        confirmation = await request.app[ON_POINT_KEY](ticket, lat, lon, accuracy)
    except Exception:  # the edge: the resident must be able to try again
        log.exception("storing the location of %s failed",
                      chat_label(ticket.channel, ticket.chat_id))
        await asyncio.to_thread(tokens.restore, ticket)
        return _json(500, ticket.lang, ok=False, key="send_failed", error="not stored")
    log.info("location page: point received for %s", chat_label(ticket.channel, ticket.chat_id))
    return _json(200, ticket.lang, ok=True, message=confirmation)


async def serve_ward_shapes(request: web.Request) -> web.Response:
    """``GET /l/wards.json``: the ward polygons, gzipped (once, at start-up) when the
    browser takes it."""
    shapes = request.app[SHAPES_KEY]
    headers = {"Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
    body = shapes.plain
    if "gzip" in request.headers.get("Accept-Encoding", "").lower():
        body = shapes.gzipped
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body, content_type="application/json", charset="utf-8",
                        headers=headers)


def create_location_app(*, tokens: LocationTokens, ward_shapes: bytes,
                        on_point: OnPoint) -> web.Application:
    """The location page sub-application; mount it with ``app.add_subapp(PREFIX, ...)``.

    ``on_point(ticket, lat, lon, accuracy_m)`` stores the point for the ticket's chat and
    returns the confirmation the page shows (e.g. "Đã nhận vị trí: Phường Tân Phú").
    """
    app = web.Application(middlewares=[security_headers])
    app[TOKENS_KEY] = tokens
    app[ON_POINT_KEY] = on_point
    app[SHAPES_KEY] = ServedShapes.of(ward_shapes)
    app.router.add_get("/wards.json", serve_ward_shapes)
    app.router.add_static("/static/", STATIC_DIR, append_version=False)
    app.router.add_get(r"/{token:[A-Za-z0-9_-]{8,128}}", show_page)
    app.router.add_post(r"/{token:[A-Za-z0-9_-]{8,128}}", receive_point)
    return app
