"""The read-only JSON API as an aiohttp sub-application (mounted at ``/api/v1``).

Every answer is JSON (or CSV for the CSV export), errors included. Access needs
``Authorization: Bearer <token>``. The plain token sees no personal data: no reporter, none
of the resident's words, the pin rounded to about 100 m. The second token, ``pii_token``,
sees all of it, and each such answer is first recorded in the keyed audit log
(pii_reads.py). ``/openapi.json`` is public: it describes, never reveals.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from sosbot.api import export, pii_reads, queries
from sosbot.api.openapi import build_openapi
from sosbot.api.params import (
    FILTER_NAMES,
    PAGE_NAMES,
    REPORT_CODE,
    WARD_CODE,
    BadParameter,
    Filters,
    check_names,
    parse_filters,
    parse_page,
)
from sosbot.storage.audit import AuditKeyMissing

log = logging.getLogger(__name__)

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
DEFAULT_EXPORT_CAP = 50_000


class Access(Enum):
    """What a request's bearer token allows."""

    PLAIN = "plain"
    PII = "pii"


@dataclass(frozen=True)
class ApiDeps:
    engine: Engine
    token: str
    pii_token: str
    clock: Callable[[], datetime]
    export_cap: int


API = web.AppKey("api_deps", ApiDeps)
ACCESS = web.RequestKey("sosbot_api_access", Access)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    text = json.dumps(body, ensure_ascii=False, allow_nan=False)
    return web.Response(text=text, status=status, headers=headers,
                        content_type="application/json", charset="utf-8")


def error(status: int, message: str, **extra: Any) -> web.Response:
    headers = {"WWW-Authenticate": 'Bearer realm="sosbot"'} if status == 401 else None
    return _json({"error": message, **extra}, status=status, headers=headers)


def _token_matches(given: bytes, configured: str) -> bool:
    # An empty configured token accepts nothing; compare_digest is constant-time.
    return bool(configured) and hmac.compare_digest(given, configured.encode())


def access_of(header: str | None, deps: ApiDeps) -> Access | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    given = value.strip().encode("utf-8", "surrogateescape")
    pii = _token_matches(given, deps.pii_token)
    plain = _token_matches(given, deps.token)  # both compared: timing says nothing
    if pii:
        return Access.PII
    return Access.PLAIN if plain else None


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """JSON for every failure: bad parameters, unknown routes, database trouble, bugs."""
    try:
        return await handler(request)
    except BadParameter as exc:
        return error(400, f"bad parameter {exc.parameter}: {exc.message}",
                     parameter=exc.parameter)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error(exc.status, exc.reason, **({"allow": exc.headers["Allow"]}
                                                  if "Allow" in exc.headers else {}))
    except (OperationalError, InterfaceError, PoolTimeout) as exc:
        log.error("api: database unavailable on %s: %s", request.path, exc)
        return error(503, "database unavailable, retry later")
    except AuditKeyMissing as exc:
        log.error("api: personal-data read on %s not served, it cannot be recorded: %s",
                  request.path, exc)
        return error(503, "personal data reads cannot be recorded now, retry later")
    except Exception:
        log.exception("api: unhandled error on %s %s", request.method, request.path)
        return error(500, "internal error")


@web.middleware
async def _auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.match_info.handler is openapi:  # public: it describes, never reveals
        return await handler(request)
    access = access_of(request.headers.get("Authorization"), request.app[API])
    if access is None:
        log.info("api: refused %s %s from %s (no valid token)", request.method,
                 request.path, request.remote)
        return error(401, "a valid bearer token is required")
    request[ACCESS] = access
    return await handler(request)


def _pii(request: web.Request) -> bool:
    return request.get(ACCESS) is Access.PII


async def _db(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking query on a worker thread."""
    return await asyncio.to_thread(func, *args, **kwargs)


async def _record_pii_read(request: web.Request, codes: list[str]) -> None:
    """With the personal-data token: the audit row first, then the answer."""
    if not _pii(request):
        return
    deps = request.app[API]
    await _db(pii_reads.record, deps.engine, actor=pii_reads.reader(deps.pii_token),
              remote=request.remote, route=request.path, query=request.query_string,
              codes=codes, now=deps.clock())


def create_api_app(*, engine: Engine, token: str, pii_token: str,
                   clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                   export_cap: int = DEFAULT_EXPORT_CAP) -> web.Application:
    """The API sub-application; mount with ``app.add_subapp("/api/v1", ...)``."""
    if not token:
        log.warning("api: no token configured, every request will be refused")
    app = web.Application(middlewares=[_errors, _auth])
    app[API] = ApiDeps(engine=engine, token=token, pii_token=pii_token, clock=clock,
                       export_cap=export_cap)
    app.router.add_get("/reports", list_reports)
    app.router.add_get("/reports/{code}", report_detail)
    app.router.add_get("/wards/{code}/stats", ward_stats)
    app.router.add_get("/export.csv", export_csv)
    app.router.add_get("/export.geojson", export_geojson)
    app.router.add_get("/openapi.json", openapi)
    return app


async def list_reports(request: web.Request) -> web.Response:
    check_names(request.query, FILTER_NAMES + PAGE_NAMES)
    filters = parse_filters(request.query)
    page = parse_page(request.query)
    items, next_cursor = await _db(queries.list_reports, request.app[API].engine, filters,
                                   page, pii=_pii(request))
    await _record_pii_read(request, [item["code"] for item in items])
    return _json({"items": items, "next": next_cursor})


async def report_detail(request: web.Request) -> web.Response:
    check_names(request.query, ())
    code = request.match_info["code"]
    if not REPORT_CODE.fullmatch(code):
        return error(404, "no such report")
    item = await _db(queries.report_detail, request.app[API].engine, code, pii=_pii(request))
    if item is None:
        return error(404, "no such report")
    await _record_pii_read(request, [item["code"]])
    return _json(item)


async def ward_stats(request: web.Request) -> web.Response:
    check_names(request.query, ("since", "until"))
    ward = request.match_info["code"]
    if not WARD_CODE.fullmatch(ward):
        raise BadParameter("code", "not a ward code")
    filters = parse_filters(request.query)
    stats = await _db(queries.ward_stats, request.app[API].engine, ward, filters)
    stats["generated_at"] = request.app[API].clock().astimezone(UTC).isoformat()
    return _json(stats)


async def _export(request: web.Request) -> tuple[list[queries.Item], bool, Filters]:
    check_names(request.query, FILTER_NAMES)
    filters = parse_filters(request.query)
    deps = request.app[API]
    items, truncated = await _db(queries.export_reports, deps.engine, filters,
                                 deps.export_cap, pii=_pii(request))
    if truncated:
        log.warning("api: export capped at %d rows", deps.export_cap)
    await _record_pii_read(request, [item["code"] for item in items])
    return items, truncated, filters


def _export_headers(name: str, truncated: bool, rows: int) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"',
            "X-Export-Truncated": "true" if truncated else "false",
            "X-Export-Rows": str(rows)}


async def export_csv(request: web.Request) -> web.Response:
    items, truncated, _ = await _export(request)
    body = await asyncio.to_thread(export.to_csv, items, pii=_pii(request))
    return web.Response(body=body, content_type="text/csv", charset="utf-8",
                        headers=_export_headers("sosbot-reports.csv", truncated, len(items)))


async def export_geojson(request: web.Request) -> web.Response:
    items, truncated, _ = await _export(request)
    body = await asyncio.to_thread(export.to_geojson, items, truncated=truncated)
    return web.Response(body=body, content_type="application/geo+json", charset="utf-8",
                        headers=_export_headers("sosbot-reports.geojson", truncated,
                                                len(items)))


async def openapi(request: web.Request) -> web.Response:
    return _json(build_openapi())
