"""A finished job is cleaned up as rq does, without rq's look for dependent jobs (sosbot
queues none): the job deleted, its execution out of the started registry, the worker's
counts kept; no WATCH or SMEMBERS sent. A job that keeps its result still goes through
rq's own handling."""

from __future__ import annotations

from typing import Any

import pytest
from redis import Redis
from redis.client import Pipeline
from rq import Queue
from rq.job import Job, JobStatus

from sosbot.delivery import jobs
from sosbot.delivery.job_guard import GuardedJob, GuardedWorker, guarded_worker
from sosbot.delivery.queueing import SERIALIZER

NAME = "tests.delivery.test_job_success.note"
ran: list[int] = []


def note(item_id: int) -> int:
    ran.append(item_id)
    return item_id * 2


@pytest.fixture
def watched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The commands rq would send for dependents, recorded as they go."""
    sent: list[str] = []
    for command in ("watch", "smembers"):
        original = getattr(Pipeline, command)

        def recording(self: Pipeline, *args: Any, _name: str = command,
                      _original: Any = original) -> Any:
            sent.append(_name)
            return _original(self, *args)

        monkeypatch.setattr(Pipeline, command, recording)
    return sent


def run_one(redis: Redis, queue_name: str, item_id: int, result_ttl: int
            ) -> tuple[Queue, Job, GuardedWorker]:
    """Queue one job of ``note`` and run it with a burst of sosbot's worker."""
    ran.clear()
    queue = Queue(queue_name, connection=redis, serializer=SERIALIZER, job_class=GuardedJob)
    job = queue.enqueue(NAME, item_id, result_ttl=result_ttl, job_id=f"outbox-{item_id}-0")
    worker = guarded_worker(redis, queue_name)
    assert worker.work(burst=True)
    assert ran == [item_id]
    return queue, job, worker


def test_a_finished_job_is_deleted_without_a_look_for_dependents(
        redis: Redis, queue_name: str, monkeypatch: pytest.MonkeyPatch,
        watched: list[str]) -> None:
    monkeypatch.setitem(jobs.JOBS, NAME, note)
    queue, job, worker = run_one(redis, queue_name, 7, result_ttl=0)
    assert not Job.exists(job.id, connection=redis)
    assert queue.started_job_registry.get_job_ids() == []
    assert queue.failed_job_registry.get_job_ids() == []
    worker.refresh()
    assert worker.successful_job_count == 1
    assert redis.hget(worker.key, "total_working_time") is not None  # rq's count, kept
    assert watched == []


def test_a_job_that_keeps_its_result_goes_through_rqs_own(
        redis: Redis, queue_name: str, monkeypatch: pytest.MonkeyPatch,
        watched: list[str]) -> None:
    monkeypatch.setitem(jobs.JOBS, NAME, note)
    _, job, _ = run_one(redis, queue_name, 3, result_ttl=60)
    kept = GuardedJob.fetch(job.id, connection=redis, serializer=SERIALIZER)
    assert kept.get_status() == JobStatus.FINISHED
    assert kept.return_value() == 6
    assert "watch" in watched  # rq's own path, dependents and all
