"""The aiohttp application: each platform's webhook, and health.

A webhook handler authenticates, parses, and hands the events to the intake writer, which
records them with the deliveries that arrived meanwhile in one database transaction (the
journal, on a thread or process of its own, so the event loop never blocks on the database);
once they are committed the handler answers 200. Right after, the writer processes them
(conversation steps, routing, outbox rows) and queues the outbox rows on rq. The handler
never sends a message itself. Updates from one chat are recorded and processed in arrival
order (the writer takes them in the order they are handed over). When a new delivery would
wait too long for its commit (``max_queue_delay_ms``, ``intake.admission``), the processing
is more than ``max_backlog_s`` behind, or ``max_in_flight`` are waiting already, it answers
503 with ``Retry-After`` at once, and the platforms retry.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, partial
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis import Redis
from sqlalchemy.engine import Engine

from sosbot import health, log_setup, metrics
from sosbot.api import create_api_app
from sosbot.bots.messenger import security as messenger_security
from sosbot.chat_locks import KeyedLocks
from sosbot.config import MessengerConfig, WebConfig, ZaloConfig
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.errors import PayloadError
from sosbot.core.events import PlatformEvent
from sosbot.core.texts import text
from sosbot.core.webhook_body import decode_body
from sosbot.delivery.queueing import Dispatcher
from sosbot.intake.admission import Admission
from sosbot.intake.group_commit import RETRY_LATER
from sosbot.intake.journal import page_point
from sosbot.intake.take import IntakePolicy, IntakeResult
from sosbot.intake.writer import IntakeWriter
from sosbot.intake.writer_process import IntakeProcess, WriterCommand
from sosbot.location_page import PREFIX as LOCATION_PREFIX
from sosbot.location_page import LocationTicket, LocationTokens, create_location_app
from sosbot.platform_webhooks import (
    MESSENGER,
    ZALO,
    PlatformWebhook,
    Refusal,
    Secrets,
    telegram_for,
)
from sosbot.routing.rules import RoutingRules

log = logging.getLogger(__name__)
# A caller's X-Request-Id is kept only when it cannot smuggle anything into a log line.
REQUEST_ID_SHAPE = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class WebDeps:
    """Everything the web process shares between requests."""

    engine: Engine
    redis: Redis
    dispatcher: Dispatcher
    conversation: ConversationSettings
    telegram_secret: str  # empty: the Telegram webhook is not served
    rules: RoutingRules
    telegram_path: str = "/webhooks/telegram"
    telegram_username: str = ""  # the bot's @name: commands for other bots are ignored
    zalo_oa_secret: str = ""  # empty: the Zalo webhook is not served
    zalo_path: str = "/webhooks/zalo"
    messenger_app_secret: str = ""  # empty: the Messenger webhook is not served
    messenger_verify_token: str = ""
    messenger_path: str = "/webhooks/messenger"
    # Older deliveries are refused as replays. The defaults here are config.py's, once.
    zalo_replay_window_s: float = ZaloConfig().replay_window_s
    messenger_replay_window_s: float = MessengerConfig().replay_window_s
    location_tokens: LocationTokens | None = None  # the one-time location page, when served
    ward_shapes: bytes = b""
    api_token: str = ""  # the read-only JSON API; empty: not served
    api_pii_token: str = ""  # the token that also shows residents' personal data
    max_body_bytes: int = WebConfig().max_body_bytes
    # A body not received within this many seconds is answered 408 and its connection
    # closed: a client trickling its body (a slowloris) does not hold a connection long.
    body_timeout_s: float = WebConfig().body_timeout_s
    # True: health, metrics and the JSON API are left off this app, for the internal
    # listener (create_internal_app) to serve on a port of its own.
    internal_listener: bool = False
    # Deliveries being handled at once; beyond it a webhook answers 503 and the platform
    # retries later, so an overload queues at the platforms, not in this process's memory.
    max_in_flight: int = WebConfig().max_in_flight
    # A delivery that would wait longer than this for its commit is refused likewise
    # (intake.admission): what is taken is answered quickly, what is not is refused at once.
    max_queue_delay_ms: float = WebConfig().max_queue_delay_ms
    shed_min_waiting: int = WebConfig().shed_min_waiting
    # ... and likewise once the oldest delivery answered and not processed yet has waited
    # longer than this: the processing's backlog is bounded, not only the recording's.
    max_backlog_s: float = WebConfig().max_backlog_s
    intake_batch: int = WebConfig().intake_batch  # deliveries in one transaction at most
    # How to start the intake writer as a process of its own; None: a thread of this one.
    writer_process: WriterCommand | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    monotonic: Callable[[], float] = time.monotonic  # the admission's clock

    @cached_property
    def webhook_secrets(self) -> Secrets:
        return Secrets(telegram_secret=self.telegram_secret, zalo_oa_secret=self.zalo_oa_secret,
                       messenger_app_secret=self.messenger_app_secret,
                       zalo_replay_window_s=self.zalo_replay_window_s,
                       messenger_replay_window_s=self.messenger_replay_window_s)


DEPS = web.AppKey("deps", WebDeps)
LOCKS = web.AppKey("locks", KeyedLocks)
WRITER = web.AppKey[IntakeWriter | IntakeProcess]("writer")


@dataclass
class ShedLog:
    """When a refusal was last logged (one line a second, not one per refusal)."""

    last: float = float("-inf")


LOAD = web.AppKey("load", Admission)
SHED_LOG = web.AppKey("shed_log", ShedLog)


def create_app(deps: WebDeps) -> web.Application:
    app = web.Application(client_max_size=deps.max_body_bytes,
                          middlewares=[_request_ids, _errors])
    app[DEPS] = deps
    app[LOCKS] = KeyedLocks()
    app[LOAD] = Admission(deps.max_queue_delay_ms / 1000, deps.max_in_flight, deps.monotonic,
                          min_waiting=deps.shed_min_waiting,
                          max_backlog_s=deps.max_backlog_s)
    app[SHED_LOG] = ShedLog()
    app[WRITER] = IntakeProcess(deps.writer_process) if deps.writer_process is not None \
        else IntakeWriter(deps.engine,
                          IntakePolicy(conversation=deps.conversation, rules=deps.rules),
                          deps.dispatcher, deps.clock, max_batch=deps.intake_batch)
    app.on_startup.append(_start_writer)
    app.on_cleanup.append(_stop_writer)
    if deps.telegram_secret:
        app.router.add_post(deps.telegram_path, partial(platform_webhook,
                                                           platform=telegram_for(
                                                               deps.telegram_username)))
    if deps.zalo_oa_secret:
        app.router.add_post(deps.zalo_path, partial(platform_webhook, platform=ZALO))
        app.router.add_get(deps.zalo_path, zalo_url_check)
    if deps.messenger_app_secret:
        app.router.add_get(deps.messenger_path, messenger_verification)
        app.router.add_post(deps.messenger_path, partial(platform_webhook, platform=MESSENGER))
    if not deps.internal_listener:
        _add_internal_routes(app)
    if deps.location_tokens is not None and deps.ward_shapes:
        app.add_subapp(LOCATION_PREFIX, create_location_app(
            tokens=deps.location_tokens, ward_shapes=deps.ward_shapes,
            on_point=lambda ticket, lat, lon, accuracy: location_point(
                app, ticket, lat, lon, accuracy)))
    return app


def create_internal_app(public: web.Application) -> web.Application:
    """Health, metrics and the JSON API of the web process whose public app is ``public``,
    for a listener of their own (``web.internal_port``): not reachable from the internet
    when that port is not."""
    app = web.Application(middlewares=[_errors])
    app[DEPS] = public[DEPS]
    app[WRITER] = public[WRITER]  # started and stopped with the public app
    _add_internal_routes(app)
    return app


def _add_internal_routes(app: web.Application) -> None:
    deps = app[DEPS]
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/statusz", statusz)
    app.router.add_get("/metrics", metrics_endpoint)
    if deps.api_token:
        app.add_subapp("/api/v1", create_api_app(engine=deps.engine, token=deps.api_token,
                                                 pii_token=deps.api_pii_token))


async def _start_writer(app: web.Application) -> None:
    await app[WRITER].start()


async def _stop_writer(app: web.Application) -> None:
    await app[WRITER].stop()


async def location_point(app: web.Application, ticket: LocationTicket, lat: float, lon: float,
                         accuracy: float | None) -> str:
    """A point from the location page joins the resident's conversation like a pin: recorded
    in the journal with its coordinates (so that it can be processed again after a crash,
    ``intake.journal.page_point``), processed right after, as a webhook's events are."""
    deps = app[DEPS]
    event, payload = page_point(ticket.channel, ticket.chat_id, ticket.token, lat, lon,
                                accuracy)
    response = await accept(app, [event], payload)
    if response.status >= 500:
        raise RuntimeError("the point could not be stored")
    ward = deps.rules.locate(lat, lon).ward
    if ward is None:
        return text(ticket.lang, "page_point_received")
    place = ward.full_name_en if ticket.lang == "en" else ward.full_name
    return text(ticket.lang, "page_point_in_ward", place=place)


def _answer(status: int, description: str) -> web.Response:
    return web.json_response({"ok": status < 400, "description": description}, status=status)


@web.middleware
async def _request_ids(request: web.Request,
                       handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                       ) -> web.StreamResponse:
    """Every log line of one request carries one id (JSON lines show it), also sent back in
    ``X-Request-Id``; a caller's own id is kept when it is a plain short token."""
    given = request.headers.get("X-Request-Id", "")
    rid = given if REQUEST_ID_SHAPE.fullmatch(given) else secrets.token_hex(8)
    with log_setup.request_id(rid):
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers["X-Request-Id"] = rid
            raise
        response.headers["X-Request-Id"] = rid
        return response


@web.middleware
async def _errors(request: web.Request,
                  handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                  ) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _answer(500, "internal error")


async def _read_body(request: web.Request, channel: str) -> bytes | web.Response:
    timeout_s = request.app[DEPS].body_timeout_s
    try:
        return await asyncio.wait_for(request.read(), timeout_s)
    except TimeoutError:
        log.warning("%s webhook: body not received within %.0f s from %s; connection closed",
                    channel, timeout_s, request.remote)
        metrics.WEBHOOKS.labels(channel, "body_timeout").inc()
        response = _answer(408, "request body too slow")
        response.force_close()
        # Sent now and the connection closed at once: left to aiohttp, it would go on
        # reading (and dropping) the rest of the body for up to 10 s before closing.
        await response.prepare(request)
        await response.write_eof()
        request.protocol.force_close()
        return response
    except web.HTTPRequestEntityTooLarge:
        log.warning("%s webhook: body over %d bytes from %s refused", channel,
                    request.app[DEPS].max_body_bytes, request.remote)
        return _answer(413, "request body too large")


async def platform_webhook(request: web.Request, platform: PlatformWebhook) -> web.Response:
    """One delivery from a platform: checked, parsed and stored before it is answered 200
    (the order of the checks: ``sosbot.platform_webhooks``)."""
    channel = platform.channel
    busy = _overloaded(request.app, channel)
    if busy is not None:  # before reading and parsing the body: a refusal costs little
        return busy
    secrets = request.app[DEPS].webhook_secrets
    refusal = platform.check_headers(secrets, request.headers)
    if refusal is not None:
        return _refuse(request, channel, refusal)
    body = await _read_body(request, channel)
    if isinstance(body, web.Response):
        return body
    probe = platform.probe(body, request.headers)
    if probe is not None:
        log.info("%s webhook: URL check from %s answered 200 (nothing stored)", channel,
                 request.remote)
        metrics.WEBHOOKS.labels(channel, "url_check").inc()
        return _answer(200, probe)
    refusal = platform.check_body(secrets, body, request.headers)
    if refusal is not None:
        return _refuse(request, channel, refusal)
    try:
        data = decode_body(body)
        events = platform.parse(data)
    except PayloadError as exc:
        log.warning("%s webhook: unparseable body refused (%s)", channel, exc)
        metrics.WEBHOOKS.labels(channel, "bad_request").inc()
        return _answer(400, f"bad {platform.noun}: {exc}")
    window = platform.too_old(secrets, data, body, events,
                              request.app[DEPS].clock().timestamp())
    if window is not None:
        log.warning("%s webhook: delivery older than %.0fs refused (replay?)", channel, window)
        metrics.WEBHOOKS.labels(channel, "too_old").inc()
        return _answer(401, "too old")
    return await accept(request.app, events, data)


def _refuse(request: web.Request, channel: str, refusal: Refusal) -> web.Response:
    log.warning("%s webhook: %s from %s", channel, refusal.log, request.remote)
    metrics.WEBHOOKS.labels(channel, refusal.metric).inc()
    return _answer(refusal.status, refusal.answer)


async def zalo_url_check(request: web.Request) -> web.Response:
    """A GET on the Zalo webhook path (a browser or a URL check): 200, nothing else."""
    log.info("zalo webhook: GET from %s answered 200 (nothing stored)", request.remote)
    metrics.WEBHOOKS.labels("zalo", "url_check").inc()
    return _answer(200, "zalo webhook")


async def messenger_verification(request: web.Request) -> web.Response:
    """Meta's subscription handshake: echo hub.challenge for the right verify token."""
    deps = request.app[DEPS]
    query = request.query
    if query.get("hub.mode") == "subscribe" and messenger_security.verify_token_ok(
            query.get("hub.verify_token"), deps.messenger_verify_token):
        return web.Response(text=query.get("hub.challenge", ""))
    log.warning("messenger verification refused from %s", request.remote)
    return _answer(403, "verification failed")


async def accept(app: web.Application, events: list[PlatformEvent],
                 payload: dict[str, Any]) -> web.Response:
    """Store the events (in order per chat), queue what they produced, answer 200."""
    if not events:
        return _answer(200, "ignored")
    busy = _overloaded(app, events[0].chat.channel.value)
    if busy is not None:  # the location page's points come here without the webhook's check
        return busy
    load = app[LOAD]
    token = load.enter()
    try:
        return await _accept(app, events, payload, token)
    finally:
        load.leave(token)


async def _accept(app: web.Application, events: list[PlatformEvent],
                  payload: dict[str, Any], token: int) -> web.Response:
    channel = events[0].chat.channel.value
    started = time.perf_counter()
    # The writer stores deliveries in the order they are handed to it, so a chat's updates
    # keep their order once handed over, even in one batch: its lock is held until then,
    # not until the commit. A batch (Messenger) may hold several chats: each one's lock,
    # in a fixed order.
    keys = sorted({(e.chat.channel.value, e.chat.chat_id) for e in events})
    load = app[LOAD]
    try:
        async with AsyncExitStack() as locks:
            for key in keys:
                await locks.enter_async_context(app[LOCKS].hold(key))
            handed = app[WRITER].submit(events, payload)
    except BaseException:
        load.processed(token)
        raise
    handed.processed.add_done_callback(partial(_processed, load, token, channel))
    try:
        result = await asyncio.shield(handed.recorded)
    except RETRY_LATER as exc:
        # The platform will retry: nothing was half-written (the transaction rolled back).
        log.error("database unavailable, answering 503: %s", exc)
        metrics.WEBHOOKS.labels(channel, "unavailable").inc()
        return _answer(503, "database unavailable, retry later")
    log.debug("%s %s: %d new, %d duplicate, %d outbox, %.1f ms", channel,
              events[0].event_id, result.accepted, result.duplicates, len(result.outbox_ids),
              (time.perf_counter() - started) * 1000)
    metrics.WEBHOOKS.labels(channel, "accepted" if result.accepted else "duplicate").inc()
    return _answer(200, "ok" if result.accepted else "duplicate")


def _processed(load: Admission, token: int, channel: str,
               done: asyncio.Future[IntakeResult]) -> None:
    """A delivery's processing is over: out of the backlog, and what it did counted."""
    load.processed(token)
    if done.cancelled() or done.exception() is not None:
        return  # logged by the writer (or answered 503/500 already)
    result = done.result()
    for category in result.report_categories:
        metrics.REPORTS.labels(category).inc()
    for missing in result.unrouted:
        metrics.REPORTS_UNROUTED.labels(missing).inc()
    if result.over_limit:
        metrics.OVER_MESSAGE_LIMIT.labels(channel).inc(result.over_limit)


def _overloaded(app: web.Application, channel: str) -> web.Response | None:
    """503 with Retry-After when one more delivery would wait too long for its commit (or
    too many wait already); None to take it. The platform sends the update again."""
    load = app[LOAD]
    why = load.refusal()
    if why is None:
        return None
    metrics.WEBHOOKS.labels(channel, "overloaded").inc()
    now = load.clock()
    shed_log = app[SHED_LOG]
    if now - shed_log.last >= 1.0:
        log.warning("overloaded (%s): %d deliveries in flight (limit %d), the oldest waiting "
                    "for %.0f ms (limit %.0f ms); %d not processed yet, the oldest for "
                    "%.1f s (limit %.0f s); answered 503 to %d so far, the platforms will "
                    "retry", why, load.count, load.max_in_flight,
                    load.oldest_wait_s() * 1000, load.max_delay_s * 1000, load.backlog,
                    load.oldest_backlog_s(), load.max_backlog_s, load.refused)
        shed_log.last = now
    response = _answer(503, "busy, retry later")
    response.headers["Retry-After"] = "1"
    return response


async def healthz(request: web.Request) -> web.Response:
    """The process is alive and its event loop answers; nothing else is checked."""
    return web.json_response({"ok": True})


async def readyz(request: web.Request) -> web.Response:
    """What the load balancer needs: can this process store a webhook now? The database,
    the intake writer and the ward data; not Redis, whose outage webhooks outlive
    (``sosbot/health.py``)."""
    app = request.app
    checks = await asyncio.get_running_loop().run_in_executor(
        None, partial(health.readiness, app[DEPS].engine,
                      intake_ready=app[WRITER].ready))
    ready = all(value == health.OK for value in checks.values())
    return web.json_response({"ok": ready, **checks}, status=200 if ready else 503)


async def statusz(request: web.Request) -> web.Response:
    """What an operator's alert needs: Redis, the groups bound, the workers and the
    backlog as well; 503 with the problems listed when anything needs a human. Not for
    the load balancer."""
    status = await _operator_status(request.app)
    return web.json_response(status, status=200 if status["ok"] else 503)


async def _operator_status(app: web.Application) -> dict[str, Any]:
    deps = app[DEPS]
    return await asyncio.get_running_loop().run_in_executor(
        None, partial(health.operator_status, deps.engine, deps.redis, deps.dispatcher,
                      intake_ready=app[WRITER].ready))


async def metrics_endpoint(request: web.Request) -> web.Response:
    """Prometheus text format; dependencies, groups bound, workers and backlog measured
    now."""
    await _operator_status(request.app)
    body = generate_latest(metrics.REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
