"""Putting work on rq: deterministic job ids, so queueing the same thing twice is harmless.

Job functions are named by their import path, so this module needs no import of them; the
worker runs only those named in ``jobs.JOBS`` (see ``job_guard``). Jobs are written as JSON,
never pickled: their arguments are plain ids, and a worker that unpickles what it reads from
Redis runs the code of whoever can write to Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from redis import Redis
from rq import Queue, Worker
from rq.serializers import JSONSerializer

log = logging.getLogger(__name__)

# Every queue, worker and job object of sosbot's names this serializer (see the docstring).
SERIALIZER = JSONSerializer
JOB_TIMEOUT_S = 120
# Nothing reads a job's return value (the outcome is in the database and the log): rq
# deletes a finished job at once instead of writing its result to Redis.
RESULT_TTL_S = 0
FAILURE_TTL_S = 7 * 24 * 3600

DELIVER = "sosbot.delivery.jobs.deliver_outbox"
DELIVER_ROWS = "sosbot.delivery.jobs.deliver_outbox_rows"
DOWNLOAD = "sosbot.delivery.jobs.download_media"
ESCALATE = "sosbot.delivery.jobs.escalate_report"
LOOKUP_PLACE = "sosbot.delivery.jobs.lookup_place"
WARM = "sosbot.delivery.jobs.warm_outbox"
_PREFIX = {DELIVER: "outbox", DELIVER_ROWS: "outbox", DOWNLOAD: "media", ESCALATE: "escalate",
           LOOKUP_PLACE: "place", WARM: "warm"}
# Rows queued together (the cards and receipts of a group commit's submissions, a
# bulletin's messages) share jobs of up to this many rows: each rq job costs a worker
# about as much CPU as a send, and a report's rows go to different chats anyway. Measured
# at 20 reports/s (bench/FINDINGS.md): 1 row a job p99 1.8-3.0 s, 2: 0.64 s,
# 4: 0.33-0.38 s, 8: 0.20-0.23 s.
ROWS_PER_JOB = 8


def places_queue(queue_name: str) -> str:
    """The queue of typed places' lookups, beside ``queue_name``: a lookup holds its worker
    for the geocoder's whole answer time, so it never waits in front of a resident's reply.
    Every worker serves it after its main queue (``sosbot worker``), and
    ``sosbot worker --only-places`` serves it alone."""
    return f"{queue_name}-places"


class Dispatcher:
    """Queues delivery and download jobs on one rq queue, typed places' lookups on their
    own (:func:`places_queue`)."""

    def __init__(self, redis: Redis, queue_name: str) -> None:
        self.redis = redis
        self.queue = Queue(queue_name, connection=redis, serializer=SERIALIZER)
        self.places = Queue(places_queue(queue_name), connection=redis, serializer=SERIALIZER)

    def _options(self, job: str, key: int | str, attempt: int) -> dict[str, Any]:
        """The deterministic id (``key``: the item's id, or FIRST_COUNT for several rows)
        and the lifetimes of a job."""
        return {"job_id": f"{_PREFIX[job]}-{key}-{attempt}", "result_ttl": RESULT_TTL_S,
                "failure_ttl": FAILURE_TTL_S}

    def now(self, job: str, items: Sequence[tuple[int, int]]) -> None:
        """Queue ``job`` for each (id, attempt), in one round trip."""
        if not items:
            return
        self.queue.enqueue_many([
            Queue.prepare_data(job, args=(item_id,), timeout=JOB_TIMEOUT_S,
                               **self._options(job, item_id, attempt))
            for item_id, attempt in items
        ])

    def later(self, job: str, item_id: int, delay_s: float, attempt: int) -> None:
        """Queue ``job`` for one id after ``delay_s`` seconds (needs a worker's scheduler)."""
        self.later_many([(job, item_id, delay_s, attempt)])

    def later_many(self, items: Sequence[tuple[str, int, float, int]]) -> None:
        """Queue each (job, id, delay in seconds, attempt) for later, in one round trip."""
        if not items:
            return
        with self.redis.pipeline() as pipeline:
            for job, item_id, delay_s, attempt in items:
                self.queue.enqueue_in(timedelta(seconds=max(delay_s, 0.0)), job, item_id,
                                      job_timeout=JOB_TIMEOUT_S, pipeline=pipeline,
                                      **self._options(job, item_id, attempt))
            pipeline.execute()

    def backlog(self) -> tuple[int, int, int]:
        """(jobs queued, jobs scheduled for later, workers serving this queue): what the
        operator's status reads (counts only; no job is read)."""
        return _backlog(self.queue)

    def places_backlog(self) -> tuple[int, int, int]:
        """The same for the places queue (typed places' lookups): every worker serves it
        after its main queue, and ``sosbot worker --only-places`` serves it alone."""
        return _backlog(self.places)

    def waiting(self) -> int:
        """Outbox rows (and other items) whose jobs no worker has taken yet: a job of
        several rows counts as that many."""
        return sum(_rows_of(job_id) for job_id in self.queue.get_job_ids())

    def outbox(self, ids: Sequence[int]) -> None:
        """Queue the sending of these new rows, in order, in one round trip: a job for
        each ROWS_PER_JOB of them."""
        jobs = []
        for start in range(0, len(ids), ROWS_PER_JOB):
            group = list(ids[start:start + ROWS_PER_JOB])
            job, args, key = (DELIVER, (group[0],), str(group[0])) if len(group) == 1 \
                else (DELIVER_ROWS, (group,), f"{group[0]}_{len(group)}")
            jobs.append(Queue.prepare_data(job, args=args, timeout=JOB_TIMEOUT_S,
                                           **self._options(job, key, 0)))
        if jobs:
            self.queue.enqueue_many(jobs)

    def media(self, ids: Sequence[int]) -> None:
        self.now(DOWNLOAD, [(i, 0) for i in ids])

    def place_lookups(self, ids: Sequence[int]) -> None:
        """Queue the lookup of these typed places (storage.place_lookups rows) on the places
        queue, in one round trip."""
        if ids:
            self.places.enqueue_many([
                Queue.prepare_data(LOOKUP_PLACE, args=(i,), timeout=JOB_TIMEOUT_S,
                                   **self._options(LOOKUP_PLACE, i, 0)) for i in ids])


def _rows_of(job_id: str) -> int:
    """How many rows a job carries, from its id (``outbox-FIRST_COUNT-TAG`` for several)."""
    _, several, count = job_id.rpartition("-")[0].partition("_")
    return int(count) if several and count.isdigit() else 1


def _backlog(queue: Queue) -> tuple[int, int, int]:
    return queue.count, queue.scheduled_job_registry.count, Worker.count(queue=queue)
