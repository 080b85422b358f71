"""``sosbot worker``: runs rq jobs (sends, downloads, timers) and the sweeper."""

from __future__ import annotations

import argparse
import logging
import sys
import threading

from prometheus_client import start_http_server
from rq import Queue, SimpleWorker

from sosbot import metrics
from sosbot.config import load_settings, off_machine_platforms, problems
from sosbot.loop_thread import BackgroundLoop
from sosbot.routing import context
from sosbot.routing.context import JobContext
from sosbot.routing.sweeper import sweep
from sosbot.runtime import engine_for, job_context, redis_for

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("worker", help="run an rq worker for the outbound queue")
    parser.add_argument("--burst", action="store_true",
                        help="sweep once, run every queued job, then exit")
    parser.add_argument("--metrics-port", type=int, default=None,
                        help="serve this worker's Prometheus metrics on 127.0.0.1:PORT")
    parser.add_argument("--demo", action="store_true",
                        help="accept the built-in demo secrets; only with every platform API "
                             "on this machine (the emulators, as `sosbot demo` runs them)")
    parser.set_defaults(func=run)


def _sweep_forever(ctx: JobContext, interval_s: float, stop: threading.Event) -> None:
    while not stop.wait(interval_s):
        try:
            report = sweep(ctx)
            if report.outbox_requeued or report.media_requeued or report.drafts_expired:
                log.info("sweep: %s", report)
        except Exception:
            log.exception("sweep failed; trying again in %.0fs", interval_s)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    found = problems(settings, demo=args.demo)
    if args.demo:
        found += off_machine_platforms(settings)
    if found:
        print("sosbot worker: fix the configuration first:\n  - " + "\n  - ".join(found),
              file=sys.stderr)
        return 2
    engine = engine_for(settings)
    redis = redis_for(settings.redis_url)
    loop = BackgroundLoop().start()
    ctx = job_context(settings, engine, redis, loop)
    context.install(ctx)
    if args.metrics_port:
        start_http_server(args.metrics_port, addr="127.0.0.1", registry=metrics.REGISTRY)
    stop = threading.Event()
    try:
        log.info("first sweep: %s", sweep(ctx))
        if not args.burst:
            threading.Thread(target=_sweep_forever, name="sosbot-sweeper", daemon=True,
                             args=(ctx, settings.file.queue.sweep_interval_s, stop)).start()
        worker = SimpleWorker([Queue(settings.file.queue.name, connection=redis)],
                              connection=redis)
        worker.work(burst=args.burst, with_scheduler=True, logging_level="WARNING")
    finally:
        stop.set()
        loop.stop()
        context.install(None)
    return 0
