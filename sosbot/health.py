"""What the load balancer needs to know, and what an operator's alert needs to know.

They are not the same. A web process can take webhooks as long as the database answers and
its intake writer runs: nothing is answered 200 before it is stored, and while Redis is
down the outbox keeps the work until the sweeper queues it again. So the load balancer's
check (``/readyz``) looks at the database, the intake writer and the ward data only; taking
every web process out of the pool because Redis is down would turn a delay into lost
reports. Redis, the groups bound, the workers and the backlog are the operator's
(``/statusz`` and the Prometheus gauges), for an alert and a human.

Each function here blocks (a database or Redis round trip): call it on a thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from prometheus_client import Gauge
from redis import Redis
from sqlalchemy.engine import Engine

from sosbot import metrics
from sosbot.delivery.queueing import Dispatcher
from sosbot.storage import bindings, outbox
from sosbot.storage.db import ping, transaction

log = logging.getLogger(__name__)

OK = "ok"


def _error(exc: Exception) -> str:
    return f"error: {type(exc).__name__}"


def database_check(engine: Engine) -> str:
    try:
        ping(engine)
    except Exception as exc:  # noqa: BLE001 - a health check reports any failure as such
        metrics.DEPENDENCY_UP.labels("database").set(0)
        return _error(exc)
    metrics.DEPENDENCY_UP.labels("database").set(1)
    return OK


def redis_check(redis: Redis) -> str:
    try:
        redis.ping()
    except Exception as exc:  # noqa: BLE001 - a health check reports any failure as such
        metrics.DEPENDENCY_UP.labels("redis").set(0)
        return _error(exc)
    metrics.DEPENDENCY_UP.labels("redis").set(1)
    return OK


def readiness(engine: Engine, *, intake_ready: bool) -> dict[str, str]:
    """The load balancer's checks: can this process store a webhook now? Not Redis. (The
    ward data needs no check: a web process cannot be built without its routing rules.)"""
    return {"database": database_check(engine),
            "intake": OK if intake_ready else "writer not running"}


def operator_status(engine: Engine, redis: Redis, dispatcher: Dispatcher, *,
                    intake_ready: bool) -> dict[str, Any]:
    """Everything an operator's alert looks at, with the problems spelled out; also sets
    the Prometheus gauges (dependencies up, groups bound, workers, backlog, and the places
    queue's backlog and workers)."""
    status: dict[str, Any] = dict(readiness(engine, intake_ready=intake_ready))
    status["redis"] = redis_check(redis)
    problems = [f"{name}: {value}" for name, value in status.items() if value != OK]
    if status["database"] == OK:
        try:
            with transaction(engine) as session:
                groups = bindings.active_counts(session)
                pending = outbox.pending_count(session)
        except Exception as exc:  # noqa: BLE001 - the database went away between two calls
            problems.append(f"database: {_error(exc)}")
            groups, pending = {}, 0
        status["groups"] = groups
        status["outbox_pending"] = pending
        for kind, count in groups.items():
            metrics.BOUND_GROUPS.labels(kind).set(count)
        metrics.OUTBOX_PENDING.set(pending)
        if groups and not any(groups.values()):
            problems.append("groups: no group is bound; reports reach nobody (run `sosbot "
                            "bind-code command` and bind the command centre's group)")
        elif groups and not groups["command"]:
            problems.append("groups: no command-centre group is bound; reports of wards "
                            "without a group of their own reach nobody")
    if status["redis"] == OK:
        main = _backlog(dispatcher.backlog, metrics.QUEUE_DEPTH, metrics.WORKERS, problems)
        if main is not None:
            queued, scheduled, workers = main
            status["queue"] = {"queued": queued, "scheduled": scheduled}
            status["workers"] = workers
            if not workers:
                problems.append("workers: none is running; nothing is being sent")
        places = _backlog(dispatcher.places_backlog, metrics.PLACES_QUEUE_DEPTH,
                          metrics.PLACES_WORKERS, problems)
        if places is not None:
            queued, scheduled, workers = places
            status["places_queue"] = {"queued": queued, "scheduled": scheduled,
                                      "workers": workers}
            if queued and not workers:
                problems.append(f"places: {queued} typed places wait for their lookup and "
                                "no worker serves the places queue")
    status["problems"] = problems
    status["ok"] = not problems
    return status


def _backlog(read: Callable[[], tuple[int, int, int]], depth: Gauge, workers: Gauge,
             problems: list[str]) -> tuple[int, int, int] | None:
    """A queue's (queued, scheduled, workers), its gauges set; None, with the problem
    listed, when Redis went away between two calls."""
    try:
        found = read()
    except Exception as exc:  # noqa: BLE001 - Redis went away between two calls
        problems.append(f"redis: {_error(exc)}")
        return None
    depth.labels("queued").set(found[0])
    depth.labels("scheduled").set(found[1])
    workers.set(found[2])
    return found
