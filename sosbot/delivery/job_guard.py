"""The worker runs sosbot's own jobs and nothing else.

An rq job names the function to run by its import path, and rq's default serializer is
pickle, so anyone who can write to the shared Redis could have every worker run any code
(``Queue('sosbot').enqueue('os.system', …)``, or a pickle whose loading runs code). Here:

- jobs are read as JSON (``queueing.SERIALIZER``): a pickled job's data simply fails to
  decode, and pickle never runs on anything read from Redis;
- a job runs only if it names one of ``jobs.JOBS`` with plain arguments; the function is
  taken from that table, never imported by name;
- the other places where rq would import or call something a job names (success, failure
  and stopped callbacks) or send something somewhere (webhooks) are closed: sosbot uses none.

A refused job is logged (ERROR, with the function it names) and fails through rq's usual
path without running: it is kept in the queue's failed-job registry (for ``failure_ttl``),
where an operator sees it with ``rq info`` as the evidence of someone writing to Redis, and
the worker carries on with the next job.
"""

from __future__ import annotations

import logging
import os
import pickletools
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from redis import Redis
from rq import Queue, SimpleWorker
from rq.exceptions import DeserializationError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from sosbot import log_setup
from sosbot.core.errors import RefusedJob
from sosbot.delivery.jobs import JOBS
from sosbot.delivery.queueing import SERIALIZER

log = logging.getLogger(__name__)

# How long a stopping worker waits for the scheduler it forked before killing it.
SCHEDULER_STOP_S = 10.0
SCHEDULER_SIGNAL_EVERY_S = 0.5


def refusal(job: Job) -> str | None:
    """Why this job must not run, or None when it is one of sosbot's own."""
    try:
        name, instance, args, kwargs = job.func_name, job.instance, job.args, job.kwargs
    except DeserializationError:
        return ("its data is not a sosbot job (not JSON: a pickled or forged payload, "
                f"naming {_pickled_name(job.data)!r})")
    if not isinstance(name, str) or name not in JOBS:
        return f"{name!r} is not one of sosbot's job functions"
    if instance is not None or not isinstance(args, list | tuple) or kwargs:
        return f"{name} with an object, or with arguments other than plain ids"
    if (job._success_callback_name or job._failure_callback_name
            or job._stopped_callback_name or job.webhooks):
        return f"{name} with callbacks or webhooks, which sosbot never sets"
    return None


def _pickled_name(data: bytes) -> str | None:
    """The function a pickled rq job names (the first string in it), read by disassembling
    the pickle, which runs nothing of it; None when it is no pickle."""
    try:
        for opcode, arg, _ in pickletools.genops(data):
            if isinstance(arg, str) and "UNICODE" in opcode.name:
                return arg
    except Exception:  # garbage of any kind: there is just no name to show
        return None
    return None


class GuardedJob(Job):
    """An rq job that runs only a function of ``jobs.JOBS`` and calls nothing else."""

    @property
    def func(self) -> Callable[..., Any]:
        reason = refusal(self)
        if reason is not None:
            raise RefusedJob(f"job {self.id} refused: {reason}")
        return JOBS[self.func_name]  # type: ignore[index]  # a str in JOBS, checked above

    # rq would import these by the name stored in the job's hash: sosbot sets none.
    @property
    def success_callback(self) -> None:
        return None

    @property
    def failure_callback(self) -> None:
        return None

    @property
    def stopped_callback(self) -> None:
        return None

    @property
    def should_retry(self) -> bool:
        # A refused job's retry count (the writer's to choose) would only bring it back.
        return refusal(self) is None and bool(super().should_retry)

    def send_webhooks(self, status: str | JobStatus, *, exc_string: str | None = None) -> None:
        """Send nothing: sosbot registers no webhook, and a forged job's would have the
        worker post to any address it names."""


class GuardedWorker(SimpleWorker):
    """rq's in-process worker, reading jobs as JSON, running only sosbot's job functions."""

    job_class = GuardedJob
    # A stop signal noted before rq installed its handlers (lanes.hold_stop_signals).
    stop_asked: threading.Event | None = None

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()
        if self.stop_asked is not None and self.stop_asked.is_set():
            # rq's loop checks this before its first pop; its teardown stops the scheduler.
            self._stop_requested = True

    def stop_scheduler(self) -> None:
        """rq's (SIGTERM to the scheduler process, then wait for it), bounded: CPython
        drops a signal that reaches a forked child before it has reset its signal state,
        and rq's teardown, right after the fork when a stop came early, then waited for
        ever. The SIGTERM is sent again every half second; a scheduler still running after
        SCHEDULER_STOP_S is killed (its lock in Redis expires by itself)."""
        process = self.scheduler._process if self.scheduler is not None else None
        if process is None or not process.pid:
            return
        deadline = time.monotonic() + SCHEDULER_STOP_S
        while process.is_alive() and time.monotonic() < deadline:
            try:
                os.kill(process.pid, signal.SIGTERM)
            except OSError:  # gone already
                break
            process.join(SCHEDULER_SIGNAL_EVERY_S)
        if process.is_alive():
            log.warning("the rq scheduler (pid %d) did not stop within %.0f s; killed",
                        process.pid, SCHEDULER_STOP_S)
            process.kill()
            process.join(SCHEDULER_STOP_S)

    def perform_job(self, job: Job, queue: Queue) -> bool:
        # Every log line of one job carries the job's id (``log_setup``'s request id).
        with log_setup.request_id(f"job:{job.id}"):
            return bool(super().perform_job(job, queue))

    def execute_job(self, job: Job, queue: Queue) -> None:
        reason = refusal(job)
        if reason is not None:
            # rq then fails it without running it: GuardedJob.func raises RefusedJob (or
            # reading the job's data raises DeserializationError) inside rq's perform_job.
            log.error("job %s on queue %s refused, not run (kept in the failed jobs): %s",
                      job.id, queue.name, reason)
        super().execute_job(job, queue)

    def handle_job_success(self, job: Job, queue: Queue,
                           started_job_registry: StartedJobRegistry) -> None:
        """rq's, without its look for dependent jobs. sosbot queues no job that depends on
        another (no ``depends_on``), so rq's WATCH and SMEMBERS of each job's dependents'
        set were two round trips to Redis a job that always found it empty (a delivery job
        sends a few messages: those round trips were a real part of its cost). What rq
        writes is written as it does, in one MULTI: the worker's counts, the job deleted
        (sosbot keeps no result), its execution out of the started registry. A job that
        keeps its result or repeats (none of sosbot's) goes through rq's own."""
        result_ttl = job.get_result_ttl(self.default_result_ttl)
        if result_ttl != 0 or job.repeats_left:
            super().handle_job_success(job, queue, started_job_registry)
            return
        assert job.started_at is not None and job.ended_at is not None
        with self.connection.pipeline() as pipeline:
            self.increment_successful_job_count(pipeline=pipeline)
            self.increment_total_working_time(job.ended_at - job.started_at, pipeline)
            job.cleanup(result_ttl, pipeline=pipeline, remove_from_queue=False)
            self.cleanup_execution(job, pipeline=pipeline)
            pipeline.execute()
        self.log.info("Successfully completed job %s in %ss on worker %s", job.id,
                      job.ended_at - job.started_at, self.name)

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        # A refusal was logged in one line above; rq's own would add a traceback of its
        # internals. The failed job keeps that traceback in its exc_info all the same.
        if isinstance(exc_info[1], RefusedJob | DeserializationError):
            return
        super().handle_exception(job, *exc_info)


def guarded_worker(redis: Redis, *queue_names: str,
                   worker_class: type[GuardedWorker] = GuardedWorker) -> GuardedWorker:
    """A worker for these queues that runs sosbot's jobs only; rq takes a job from the
    first queue that has one, in this order."""
    queues = [Queue(name, connection=redis, serializer=SERIALIZER, job_class=GuardedJob)
              for name in queue_names]
    return worker_class(queues, connection=redis, serializer=SERIALIZER,
                        job_class=GuardedJob)
