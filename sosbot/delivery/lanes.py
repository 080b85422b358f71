"""Lanes: one worker process takes several jobs at once.

A send waits for the platform's answer, and a round trip from Vietnam to Telegram's Bot API
takes a good part of a second's fifth. rq's worker runs one job at a time, so a worker
process that waits for each answer in turn sends a handful of messages a second, whatever
its CPU: at 20 reports a second the queue grew for the whole run (bench/FINDINGS.md,
session 8). So a worker process runs ``queue.worker_lanes`` rq workers: the main thread's
(which takes the signals and runs rq's scheduler) and one on a thread of its own for every
other lane. They share the process's job context: one database pool, one Redis client, one
client per platform and one ward map, loaded once.

What stays as it was: a chat is sent by one holder at a time (its Redis lock, whichever
lane or process holds it), so its messages keep their order; a job is JSON and one of
sosbot's own (``job_guard``); a lane killed with its process is a worker killed mid-send
(``chat_holds`` recovers its chats).

On a warm shutdown the main lane finishes its job and stops; every other lane is asked to
stop after its current job, and the process waits (up to ``STOP_WAIT_S``) for the lanes
that are busy. A lane idle in rq's blocking pop is left to end with the process: a job it
would pop at that moment stays queued, or, popped and never started, its rows are queued
again by the sweeper (``queue.outbox_stale_after_s``).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job
from rq.timeouts import TimerDeathPenalty

from sosbot.delivery.job_guard import GuardedWorker, guarded_worker

log = logging.getLogger(__name__)

# rq looks for its worker's address by the connection's client name, which a pooled
# connection shared by the lanes does not carry: it warns and writes "unknown" (shown by
# `rq info`), once per lane and start. Nothing is wrong; the warning is left out.
warnings.filterwarnings("ignore", message="CLIENT LIST command not supported",
                        module="rq")

STOP_WAIT_S = 60.0  # how long a stopping process waits for its busy lanes
REDIS_RETRY_MAX_S = 4.0
REDIS_POLL_S = 0.5


class LaneWorker(GuardedWorker):
    """A guarded rq worker on a thread that is not the main one: no signal handlers (the
    main lane's worker takes the signals), a job's timeout kept by a timer thread (rq's
    default uses SIGALRM, which only the main thread may set)."""

    death_penalty_class = TimerDeathPenalty

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.busy = threading.Event()

    def _install_signal_handlers(self) -> None:
        """The main thread's worker takes SIGTERM and SIGINT for the whole process."""

    def execute_job(self, job: Job, queue: Queue) -> None:
        self.busy.set()
        try:
            super().execute_job(job, queue)
        finally:
            self.busy.clear()


def hold_stop_signals() -> threading.Event:
    """Until rq's worker takes SIGTERM and SIGINT, note them instead of dying at once.

    A worker process spends seconds warming up (the ward map), and rq forks its scheduler
    before it installs its own handlers: a signal in between killed the process with
    Python's default action and left the forked scheduler running on its own (it then
    logged tracebacks once Redis went). A noted signal stops the process before its first
    job (see ``work``'s ``asked``). Call from the main thread.

    A process forked from this one before it sets handlers of its own (rq's scheduler,
    forked before rq's handlers) inherits this one; there a signal takes the default
    action, so the worker's teardown, which stops its scheduler by SIGTERM and waits for
    it, never waits for a scheduler that only noted the signal in its copy of ``asked``."""
    asked = threading.Event()
    owner = os.getpid()

    def note(signum: int, frame: object) -> None:
        if os.getpid() != owner:  # a forked child: the default action (ends it)
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        log.info("stop asked (signal %d) before the worker started; stopping", signum)
        asked.set()

    signal.signal(signal.SIGTERM, note)
    signal.signal(signal.SIGINT, note)
    return asked


def work(redis: Redis, queues: tuple[str, ...], *, burst: bool, with_scheduler: bool,
         make: Callable[..., GuardedWorker] = guarded_worker,
         stopping: threading.Event | None = None,
         started: Callable[[GuardedWorker], None] | None = None,
         asked: threading.Event | None = None) -> None:
    """Run an rq worker; when it gives up because Redis went away, wait for Redis and run
    it again, so sends resume within seconds of Redis coming back (without a restart that
    would load the ward map again). Ends when the worker stops for any other reason, or
    once ``stopping`` is set. ``asked`` (``hold_stop_signals``): a signal that came before
    rq's handlers were in place stops the worker before its first job."""
    while stopping is None or not stopping.is_set():
        if asked is not None and asked.is_set():
            return
        # Runs sosbot's own job functions only, read as JSON: see job_guard.
        worker = make(redis, *queues)
        worker.stop_asked = asked
        # rq waits up to a minute between tries when Redis is gone.
        worker.max_connection_wait_time = REDIS_RETRY_MAX_S
        if started is not None:
            started(worker)
        try:
            worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="WARNING")
        except RedisError as exc:
            log.warning("the rq worker lost Redis: %s", exc)
        if burst or getattr(worker, "_stop_requested", False) or answers(redis) \
                or (stopping is not None and stopping.is_set()):
            return
        log.warning("Redis does not answer; the worker starts again once it does")
        while not answers(redis):
            if stopping is not None and stopping.is_set():
                return
            time.sleep(REDIS_POLL_S)


def answers(redis: Redis) -> bool:
    try:
        return bool(redis.ping())
    except RedisError:
        return False


def lane_worker(redis: Redis, *queues: str) -> GuardedWorker:
    return guarded_worker(redis, *queues, worker_class=LaneWorker)


class Lanes:
    """The extra lanes of a worker process (the main thread runs the first)."""

    def __init__(self, redis: Redis, queues: tuple[str, ...], count: int) -> None:
        self.redis = redis
        self.queues = queues
        self.count = count
        self.stopping = threading.Event()
        self._workers: list[LaneWorker] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, name=f"sosbot-lane-{n + 2}",
                                          daemon=True) for n in range(count)]

    def start(self) -> Lanes:
        for thread in self._threads:
            thread.start()
        return self

    def _run(self) -> None:
        def started(worker: GuardedWorker) -> None:
            assert isinstance(worker, LaneWorker)
            with self._lock:
                self._workers.append(worker)

        try:
            work(self.redis, self.queues, burst=False, with_scheduler=False,
                 make=lane_worker, stopping=self.stopping, started=started)
        except Exception:
            log.exception("a worker lane stopped on an error; the others go on")

    def busy(self) -> int:
        with self._lock:
            return sum(1 for worker in self._workers if worker.busy.is_set())

    def stop(self, wait_s: float = STOP_WAIT_S) -> int:
        """Ask every lane to stop after its current job; wait for the busy ones. How many
        were still busy when the wait ended."""
        self.stopping.set()
        with self._lock:
            for worker in self._workers:
                worker._stop_requested = True
        deadline = time.monotonic() + wait_s
        while (left := self.busy()) and time.monotonic() < deadline:
            time.sleep(0.05)
        if left:
            log.warning("%d worker lanes were still busy after %.0f s; their chats are "
                        "recovered as a dead worker's", left, wait_s)
        # The idle ones end with the process, in rq's blocking pop: they say goodbye now,
        # so the count of workers (/statusz) is right at once, not after rq's TTL.
        with self._lock:
            idle = [worker for worker in self._workers if not worker.busy.is_set()]
        for worker in idle:
            try:
                worker.register_death()
            except RedisError as exc:
                log.warning("a worker lane could not unregister: %s", exc)
        return left
