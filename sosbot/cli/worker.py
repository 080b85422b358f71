"""``sosbot worker``: runs rq jobs (sends, downloads, timers) and the sweeper."""

from __future__ import annotations

import argparse
import logging
import sys
import threading

from prometheus_client import start_http_server
from redis.exceptions import RedisError
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from sosbot import metrics
from sosbot.cli import Commands
from sosbot.config import load_settings
from sosbot.config_checks import off_machine_platforms, problems, unguarded_redis
from sosbot.delivery import chat_holds, context
from sosbot.delivery import lanes as lanes_of
from sosbot.delivery.context import JobContext
from sosbot.delivery.jobs import CHATS_AT_ONCE
from sosbot.delivery.queueing import places_queue
from sosbot.delivery.sweeper import sweep
from sosbot.loop_thread import BackgroundLoop
from sosbot.process_memory import release_startup_memory
from sosbot.runtime import engine_for, job_context, redis_for
from sosbot.storage.db import connection_shortfall

log = logging.getLogger(__name__)

# rq's worker waits for a job in a blocking pop of up to its dequeue timeout (worker_ttl
# 420 - 15 s) and raises the socket timeout of the connections made after to 415 s; one
# made before with a shorter timeout (the warm-up's, 30 s) timed out in an idle worker's
# pop, rq quit ("Redis connection timeout") and the worker process ended half a minute into
# a quiet spell. Every connection of a worker process gets rq's timeout from the start.
WORKER_SOCKET_TIMEOUT_S = 420.0


def register(commands: Commands) -> None:
    parser = commands.add_parser("worker")
    parser.add_argument("--burst", action="store_true",
                        help="sweep once, run every queued job, then exit")
    parser.add_argument("--metrics-port", type=int, default=None,
                        help="serve this worker's Prometheus metrics on 127.0.0.1:PORT")
    parser.add_argument("--lanes", type=int, default=None,
                        help="jobs taken at once by this process (default: queue.worker_lanes)")
    parser.add_argument("--only-places", action="store_true",
                        help="serve typed places' lookups only (the QUEUE-places queue); "
                             "run one beside the others when a geocoder is configured")
    parser.add_argument("--demo", action="store_true",
                        help="accept the built-in demo secrets; only with every platform API "
                             "on this machine (the emulators, as `sosbot demo` runs them)")
    parser.set_defaults(func=run)


def _sweep_forever(ctx: JobContext, interval_s: float, stop: threading.Event) -> None:
    """Sweep at once, then every ``interval_s``. The first sweep runs here, beside the rq
    loop, not before it: a worker takes its first job as soon as it is up (a sweep's first
    database round trips took seconds of a start-up, while residents' replies waited)."""
    _first_sweep(ctx)
    while not stop.wait(interval_s):
        try:
            report = sweep(ctx)
            if report.outbox_requeued or report.media_requeued or report.drafts_expired:
                log.info("sweep: %s", report)
        except Exception:
            log.exception("sweep failed; trying again in %.0fs", interval_s)


def _warm_up(ctx: JobContext) -> None:
    """Open what the first job would otherwise open while a resident waits: a database
    connection in the pool and the rate limiter's script in Redis."""
    try:
        with ctx.engine.begin() as db:
            db.execute(text("SELECT 1"))
        ctx.limiter.load()
    except (RedisError, SQLAlchemyError) as exc:
        log.warning("warming up skipped (%s); the first job connects instead", exc)


def _check_connections(engine: Engine, connections: int) -> None:
    """Warn at start when PostgreSQL could not give this worker its pool at its fullest
    (lanes + chats): at 3 a.m. in a flood, not now, the sends would wait or fail."""
    try:
        short = connection_shortfall(engine, connections)
    except SQLAlchemyError as exc:
        log.warning("could not read PostgreSQL's connection limit (%s)", exc)
        return
    if short is not None:
        log.warning("%s", short)


def _first_sweep(ctx: JobContext) -> None:
    try:
        log.info("first sweep: %s", sweep(ctx))
    except RedisError as exc:
        log.warning("first sweep skipped, Redis does not answer (%s)", exc)
    except Exception:
        log.exception("first sweep failed; the next one comes at the sweep interval")


def _watch_chats(ctx: JobContext, stop: threading.Event) -> None:
    """Queue again, within seconds, the chats of a worker that died (chat_holds)."""
    while not stop.wait(chat_holds.WATCH_S):
        try:
            chat_holds.recover(ctx)
        except Exception:
            log.exception("looking for chats whose holder died failed; trying again")


def worker_queues(queue_name: str, *, only_places: bool) -> tuple[str, ...]:
    """The queues a worker serves, in the order rq takes from them: residents' sends
    before typed places' lookups, which hold a worker for the geocoder's answer time."""
    places = places_queue(queue_name)
    return (places,) if only_places else (queue_name, places)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    found = problems(settings, demo=args.demo)
    if args.demo:
        found += off_machine_platforms(settings)
    if found:
        print("sosbot worker: fix the configuration first:\n  - " + "\n  - ".join(found),
              file=sys.stderr)
        return 2
    for line in unguarded_redis(settings.redis_url):
        log.warning("%s", line)
    # From here a SIGTERM (a deploy, the demo stopping) is noted until rq takes the signals.
    asked = lanes_of.hold_stop_signals()
    lanes = 1 if args.burst else max(1, args.lanes or settings.file.queue.worker_lanes)
    # Each lane may hold a connection while it sends, and so may each chat it sends to at
    # once (jobs.CHATS_AT_ONCE); the sweeper and the chat watch take one each.
    connections = lanes + CHATS_AT_ONCE + 4
    engine = engine_for(settings, connections=connections)
    redis = redis_for(settings.redis_url, socket_timeout=WORKER_SOCKET_TIMEOUT_S)
    loop = BackgroundLoop().start()
    ctx = job_context(settings, engine, redis, loop)
    context.install(ctx)
    if args.metrics_port:
        start_http_server(args.metrics_port, addr="127.0.0.1", registry=metrics.REGISTRY)
    stop = threading.Event()
    try:
        _warm_up(ctx)
        _check_connections(engine, connections)
        # The ward map and the modules live as long as the process: frozen, a full
        # collection (about 80 ms of 226,000 objects, holding every lane) no longer walks them.
        release_startup_memory()
        if asked.is_set():
            return 0
        if args.only_places:  # the other workers sweep and watch the chats
            log.info("serving typed places' lookups only (queue %s)",
                     places_queue(settings.file.queue.name))
        elif args.burst:  # sweep once, then run what is queued (with what the sweep queued)
            _first_sweep(ctx)
        else:
            threading.Thread(target=_sweep_forever, name="sosbot-sweeper", daemon=True,
                             args=(ctx, settings.file.queue.sweep_interval_s, stop)).start()
            threading.Thread(target=_watch_chats, name="sosbot-chat-watch", daemon=True,
                             args=(ctx, stop)).start()
        queues = worker_queues(settings.file.queue.name, only_places=args.only_places)
        others = lanes_of.Lanes(redis, queues, lanes - 1).start()
        try:
            lanes_of.work(redis, queues, burst=args.burst, with_scheduler=True, asked=asked)
        finally:
            others.stop()
    finally:
        stop.set()
        _close_adapters(ctx, loop)
        loop.stop()
        context.install(None)
    return 0


def _close_adapters(ctx: JobContext, loop: BackgroundLoop) -> None:
    """Close each platform client's connections before the loop they live on stops."""
    for channel, adapter in ctx.outbound.items():
        try:
            loop.run(adapter.close(), timeout=5.0)
        except Exception as exc:  # noqa: BLE001 - stopping anyway; the next adapter too
            log.warning("closing the %s client failed: %s", channel, exc)
