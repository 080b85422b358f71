"""Redis is not a back door: a job planted on sosbot's queue by anyone who can write to Redis
is not run by the worker, which logs it and goes on with sosbot's own jobs."""

from __future__ import annotations

import ast
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from redis import Redis
from rq import Callback, Queue
from rq.job import Job
from rq.serializers import JSONSerializer

import sosbot
from sosbot.cli import main
from sosbot.config_checks import unguarded_redis
from sosbot.core.errors import RefusedJob
from sosbot.delivery import jobs, queueing
from sosbot.delivery.job_guard import GuardedJob, refusal
from sosbot.delivery.queueing import (
    DELIVER,
    DELIVER_ROWS,
    DOWNLOAD,
    ESCALATE,
    LOOKUP_PLACE,
    SERIALIZER,
    WARM,
    Dispatcher,
)
from tests.e2e.harness import System, start_system, stop_system
from tests.privacy.test_secrets import GOOD


class Planted:
    """An argument whose unpickling runs a shell command (pickle calls what __reduce__ names)."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (self.command,))


def plant(redis: Redis, queue_name: str, how: str, marker: Path) -> str:
    """Queue a job that would create ``marker`` if a worker ran (or unpickled) it."""
    command = f"touch {marker}"
    if how == "pickle":  # what was seen to run within 3 s: rq's default serializer
        job = Queue(queue_name, connection=redis).enqueue("os.system", command)
    elif how == "pickle-payload":  # runs on unpickling, before any function is looked up
        job = Queue(queue_name, connection=redis).enqueue("builtins.print", Planted(command))
    else:  # the JSON sosbot writes, naming a function that is not one of sosbot's jobs
        job = Queue(queue_name, connection=redis,
                    serializer=JSONSerializer).enqueue("os.system", command)
    return job.id


@pytest.fixture
async def system(tmp_path: Path, ward_data: Path, redis: Redis, redis_url: str,
                 queue_name: str) -> AsyncIterator[System]:
    running, emulator = await start_system(tmp_path, ward_data,
                                           f"sqlite:///{tmp_path / 'e2e.db'}", redis_url,
                                           queue_name)
    try:
        yield running
    finally:
        await stop_system(running, emulator)


@pytest.mark.e2e
async def test_the_worker_runs_no_planted_job_and_goes_on_with_sosbots(
        system: System, redis: Redis, queue_name: str, tmp_path: Path) -> None:
    kinds = ["pickle", "pickle-payload", "json"]
    markers = {how: tmp_path / f"ran-{how}" for how in kinds}
    planted = {how: plant(redis, queue_name, how, markers[how]) for how in kinds}

    # Queued after the planted jobs (one queue, first in first out): the welcome's delivery.
    lan = await system.user(7301, "Lan")
    await lan.send(text="/start")
    await lan.expect_text("Bạn muốn báo sự việc gì?")

    assert [how for how, marker in markers.items() if marker.exists()] == []
    logs = (tmp_path / "worker-0.log").read_text()
    for how, job_id in planted.items():
        assert f"job {job_id} on queue {queue_name} refused, not run" in logs, how
    assert "'os.system' is not one of sosbot's job functions" in logs
    assert "not JSON: a pickled or forged payload, naming 'os.system'" in logs
    assert "not JSON: a pickled or forged payload, naming 'builtins.print'" in logs
    failed = Queue(queue_name, connection=redis, serializer=SERIALIZER).failed_job_registry
    assert sorted(failed.get_job_ids()) == sorted(planted.values())


def test_only_sosbots_plain_jobs_pass(redis: Redis, queue_name: str) -> None:
    def job(func: str, *args: Any, **options: Any) -> Job:
        created = GuardedJob.create(func, args=args, connection=redis, serializer=SERIALIZER,
                                    **options)
        created.save()
        return GuardedJob.fetch(created.id, connection=redis, serializer=SERIALIZER)

    assert refusal(job(DELIVER, 7)) is None
    assert refusal(job(DELIVER_ROWS, [7, 8])) is None
    assert "'os.system' is not one of" in (refusal(job("os.system", "id")) or "")
    assert "arguments other than plain ids" in (refusal(job(DOWNLOAD, 7, kwargs={"x": 1}))
                                                or "")
    with_callback = job(ESCALATE, 7, on_failure=Callback("os.system"))
    assert "callbacks or webhooks" in (refusal(with_callback) or "")
    # Even were it run, the callback would not be imported: there is none.
    assert with_callback.failure_callback is None
    refused = job("subprocess.run", ["id"])
    with pytest.raises(RefusedJob):
        _ = refused.func
    assert GuardedJob.fetch(job(ESCALATE, 9).id, connection=redis,
                            serializer=SERIALIZER).func is jobs.escalate_report


def test_every_job_sosbot_queues_is_in_the_allow_list(redis: Redis, queue_name: str) -> None:
    # What the Dispatcher can queue (it refuses a name it has no id prefix for) …
    assert set(queueing._PREFIX) == set(jobs.JOBS) == {DELIVER, DELIVER_ROWS, DOWNLOAD,
                                                         ESCALATE, LOOKUP_PLACE, WARM}
    assert all(f"{f.__module__}.{f.__name__}" == name for name, f in jobs.JOBS.items())
    with pytest.raises(KeyError):
        Dispatcher(redis, queue_name).now("os.system", [(1, 0)])
    # … and nothing else in sosbot queues work or touches rq.
    package = Path(sosbot.__file__).parent
    trees = {path.relative_to(package).as_posix(): ast.parse(path.read_text())
             for path in package.rglob("*.py")}
    queuers = {name for name, tree in trees.items() for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and node.attr in QUEUEING}
    rq_users = {name for name, tree in trees.items() for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom | ast.Import)
                and any(alias.name == "rq" or alias.name.startswith("rq.")
                        for alias in node.names) or isinstance(node, ast.ImportFrom)
                and (node.module or "").split(".")[0] == "rq"}
    assert queuers == {"delivery/queueing.py"}
    # lanes.py runs more guarded workers (job_guard's) on threads: it queues nothing.
    assert rq_users == {"delivery/queueing.py", "delivery/job_guard.py", "delivery/lanes.py"}


# rq's ways of putting a job on Redis (Queue's methods and Job.create).
QUEUEING = {"enqueue", "enqueue_call", "enqueue_in", "enqueue_at", "enqueue_many",
            "enqueue_job", "prepare_data", "create_job"}


@pytest.mark.parametrize(("url", "warned"), [
    ("redis://127.0.0.1:6379/0", False),
    ("redis://localhost/0", False),
    ("redis://[::1]:6379", False),
    ("unix:///run/redis/redis.sock?db=0", False),
    ("redis://10.0.3.7:6379/0", True),
    ("redis://redis.internal/0", True),
    ("redis://sosbot@10.0.3.7:6379/0", True),  # an ACL user with no password
    ("redis://sosbot:Pw7kR2xq9@10.0.3.7:6379/0", False),
    ("redis://:Pw7kR2xq9@10.0.3.7:6379/0", False),
    ("redis://10.0.3.7:6379/0?password=Pw7kR2xq9", False),
    ("rediss://redis.internal:6380/0", False),
])
def test_a_redis_off_this_machine_without_password_or_tls_is_warned_of(url: str,
                                                                       warned: bool) -> None:
    assert bool(unguarded_redis(url)) is warned


def test_check_config_warns_of_an_open_redis_and_still_passes(
        tmp_path: Path, ward_data: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"geo": {
        "wards_file": str(ward_data / "hcmc-wards-2025.geojson.gz"),
        "city_file": str(ward_data / "hcmc-city-2025.geojson.gz")}}))
    # Otherwise a deployment check-config accepts (tests/test_config.py: _production_env).
    for name, value in {**GOOD, "SOSBOT_CONFIG": str(config),
                        "SOSBOT_PUBLIC_URL": "https://sos.example.vn",
                        "ZALO_REFRESH_TOKEN": "Rt5Yh8Uj2Ik4Ol7Pa9Sd3Fg6",
                        "REDIS_URL": "redis://10.0.3.7:6379/0"}.items():
        monkeypatch.setenv(name, value)
    assert main(["check-config"]) == 0
    out, err = capsys.readouterr()
    assert "configuration OK" in out
    assert "warning: REDIS_URL: 10.0.3.7 is not this machine" in err
    monkeypatch.setenv("REDIS_URL", "rediss://:Pw7kR2xq9@10.0.3.7:6380/0")
    assert main(["check-config"]) == 0
    assert "REDIS_URL" not in capsys.readouterr().err
