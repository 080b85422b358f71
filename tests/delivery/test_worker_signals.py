"""A worker process stopped by SIGTERM (a deploy, the demo stopping) ends cleanly whenever
the signal comes, and leaves nothing it forked behind (rq's scheduler): before, a signal
while it loaded the ward map, or between rq forking its scheduler and installing its own
handlers, killed it at once, and the orphaned scheduler logged tracebacks once Redis went.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from redis import Redis
from rq import Worker

from sosbot.cli.worker import WORKER_SOCKET_TIMEOUT_S
from sosbot.delivery import lanes
from sosbot.delivery.job_guard import GuardedWorker, guarded_worker
from sosbot.runtime import redis_for
from sosbot.storage.db import make_engine
from sosbot.storage.migrate import upgrade
from tests.conftest import closed_port
from tests.e2e.harness import CALLBACK_SECRET, SECRET, TOKEN

STOP_WITHIN_S = 30.0


@pytest.fixture
def worker_env(tmp_path: Path, ward_data: Path, redis_url: str,
               queue_name: str) -> dict[str, str]:
    database_url = f"sqlite:///{tmp_path / 'sosbot.db'}"
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "geo": {"wards_file": str(ward_data / "hcmc-wards-2025.geojson.gz"),
                "city_file": str(ward_data / "hcmc-city-2025.geojson.gz")},
        "queue": {"name": queue_name},
        "channels": {"zalo": {"enabled": False}, "messenger": {"enabled": False}},
    }))
    return {**os.environ, "SOSBOT_CONFIG": str(config), "DATABASE_URL": database_url,
            "REDIS_URL": redis_url, "SOSBOT_MEDIA_DIR": str(tmp_path / "media"),
            "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "SOSBOT_CALLBACK_SECRET": CALLBACK_SECRET,
            "TELEGRAM_API_BASE": f"http://127.0.0.1:{closed_port()}",
            "SOSBOT_LOG_LEVEL": "INFO"}


@pytest.fixture
def started(tmp_path: Path, worker_env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen([sys.executable, "-m", "sosbot.cli", "worker"], env=worker_env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log.close()


def group_alive(group: int) -> bool:
    """Whether any process of the group is still running (a zombie is not)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state != "Z":
            return True
    return False


def wait_for(condition: Callable[[], bool], worker: subprocess.Popen[bytes], what: str,
             log: Path, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert worker.poll() is None, f"the worker ended first\n{log.read_text()}"
        assert time.monotonic() < deadline, f"{what}\n{log.read_text()}"
        time.sleep(0.05)


def stopped_cleanly(worker: subprocess.Popen[bytes], log: Path) -> None:
    worker.send_signal(signal.SIGTERM)
    code = worker.wait(timeout=STOP_WITHIN_S)
    text = log.read_text()
    assert code == 0, text
    deadline = time.monotonic() + 5  # its scheduler, stopped by it, may still be exiting
    while group_alive(worker.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_alive(worker.pid), "a process the worker forked outlived it\n" + text
    assert "Traceback" not in text, text


def test_a_sigterm_while_the_worker_loads_ends_it_cleanly(
        started: subprocess.Popen[bytes], tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    # Loading the ward map: the signal handlers are in place, rq's worker is not yet.
    wait_for(lambda: "loaded 168 wards" in log.read_text(), started,
             "the worker never loaded", log)
    stopped_cleanly(started, log)


def test_a_sigterm_to_a_running_idle_worker_stops_it_and_its_scheduler(
        started: subprocess.Popen[bytes], tmp_path: Path, redis_url: str,
        queue_name: str) -> None:
    log = tmp_path / "worker.log"
    redis = Redis.from_url(redis_url)
    try:
        wait_for(lambda: any(queue_name in worker.queue_names()
                             for worker in Worker.all(connection=redis)),
                 started, "the worker never registered with rq", log)
    finally:
        redis.close()
    stopped_cleanly(started, log)


def test_a_stop_noted_before_rq_took_the_signals_stops_the_worker_and_its_scheduler(
        redis_url: str, queue_name: str) -> None:
    """The signal comes after the last look at ``asked`` and before rq's handlers: the
    worker stops before its first pop, and its teardown stops the scheduler it forked."""
    asked = threading.Event()
    made: list[GuardedWorker] = []

    def make(redis: Redis, *queues: str) -> GuardedWorker:
        worker = guarded_worker(redis, *queues)
        made.append(worker)
        asked.set()  # as if SIGTERM came now, noted by lanes.hold_stop_signals
        return worker

    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    redis = Redis.from_url(redis_url)
    try:
        # As in a worker process (its own handler: hold_stop_signals), not whatever an
        # earlier test's in-process rq worker left in pytest's process: a forked scheduler
        # inheriting rq's handler of a copied worker ignored the teardown's SIGTERM, and
        # the join waited for ever (seen once under load).
        lanes.hold_stop_signals()
        began = time.monotonic()
        lanes.work(redis, (queue_name,), burst=False, with_scheduler=True, make=make,
                   asked=asked)
        assert time.monotonic() - began < STOP_WITHIN_S
    finally:
        # rq's worker installed its handlers in this (pytest's) process: put them back.
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])
        redis.close()
    [worker] = made
    assert worker.scheduler is not None, "rq started no scheduler: the case is not tested"
    process = worker.scheduler._process
    assert process is not None and not process.is_alive()


def test_a_process_forked_before_its_own_handlers_is_ended_by_a_stop_signal() -> None:
    """rq forks its scheduler before either sets its handlers: the child inherits
    ``hold_stop_signals``' handler, and a SIGTERM there must end it (the default), not be
    noted in the child's copy of the parent's event."""
    import multiprocessing

    forking = multiprocessing.get_context("fork")
    running = forking.Event()
    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        asked = lanes.hold_stop_signals()
        child = forking.Process(target=_sleep_once_running, args=(running,))
        child.start()
        # (CPython drops a signal that reaches a child before it has reset its signal
        # state after the fork: the signal goes once the child runs its own code.)
        assert running.wait(STOP_WITHIN_S)
        os.kill(child.pid, signal.SIGTERM)  # type: ignore[arg-type]
        child.join(STOP_WITHIN_S)
        assert child.exitcode == -signal.SIGTERM
        assert not asked.is_set()  # the parent noted nothing
    finally:
        if child.is_alive():
            child.kill()
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])


def _sleep_once_running(running: Any, deaf: bool = False) -> None:
    if deaf:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    running.set()
    time.sleep(60)


def test_a_scheduler_deaf_to_the_stop_signal_is_killed_not_waited_for_ever(
        redis_url: str, queue_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The teardown's wait for the scheduler is bounded: one that never ends on SIGTERM
    (a signal lost in its first instants, as CPython may lose one) is killed."""
    import multiprocessing
    from types import SimpleNamespace

    from sosbot.delivery import job_guard

    monkeypatch.setattr(job_guard, "SCHEDULER_STOP_S", 1.0)
    forking = multiprocessing.get_context("fork")
    running = forking.Event()
    child = forking.Process(target=_sleep_once_running, args=(running, True))
    child.start()
    redis = Redis.from_url(redis_url)
    try:
        assert running.wait(STOP_WITHIN_S)
        worker = guarded_worker(redis, queue_name)
        worker.scheduler = SimpleNamespace(_process=child)  # type: ignore[assignment]
        began = time.monotonic()
        worker.stop_scheduler()
        assert not child.is_alive() and child.exitcode == -signal.SIGKILL
        assert time.monotonic() - began < 10
    finally:
        if child.is_alive():
            child.kill()
        redis.close()


def test_a_workers_redis_connections_outlast_rqs_blocking_pop(redis_url: str,
                                                             queue_name: str) -> None:
    """Every connection of a worker process waits longer than rq's longest blocking pop:
    one made with a shorter timeout (the warm-up's, 30 s) timed out in an idle worker's pop
    and the worker process ended half a minute into a quiet spell."""
    redis = redis_for(redis_url, socket_timeout=WORKER_SOCKET_TIMEOUT_S)
    try:
        redis.ping()  # the warm-up's connection, made before rq's worker
        worker = guarded_worker(redis, queue_name)
        made = redis.connection_pool.connection_kwargs["socket_timeout"]
        assert made > worker.dequeue_timeout and made >= worker.connection_timeout
    finally:
        redis.close()
