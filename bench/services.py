"""What a benchmark runs against: a Redis database and a PostgreSQL database of its own, the
real `sosbot serve` / `sosbot worker` processes, the peers, and the Telegram emulator.

The same Redis claim as the test suite's (tests/conftest.py) keeps a benchmark and a test
run on one machine out of each other's keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import sqlalchemy as sa
import yaml
from aiohttp import web
from redis import Redis
from redis.exceptions import RedisError
from rq import Worker

from sosbot.emulators.telegram.app import create_app as create_emulator
from sosbot.emulators.telegram.state import BotSpec, EmulatorConfig
from sosbot.geo import CITY_FILE, WARDS_FILE
from sosbot.storage import audit, bindings
from sosbot.storage.db import make_engine, normalize_url, transaction
from sosbot.storage.migrate import upgrade
from sosbot.storage.tables import utcnow

REPO = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES_URL = os.environ.get("BENCH_DATABASE_URL", os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"))

TOKEN = "7000000009:BENCH-telegram-token"
BOT_ID = 7000000009
SECRET = "bench-webhook-secret-0123456789"
CALLBACK_SECRET = "bench-callback-secret-0123456789abcdef"
# The audit chain's key, here and in the `sosbot` processes started (they inherit it): this
# process writes audit rows too (direct storage calls).
os.environ.setdefault("SOSBOT_AUDIT_KEY", "bench-audit-key-7f3a9c1e5b2d8046e1c9")
audit.use_key(os.environ["SOSBOT_AUDIT_KEY"])
_CLAIM = "sosbot:test-session-claim"  # the key tests/conftest.py claims a Redis database with


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_sqlite(path: Path) -> str:
    """The URL of an empty SQLite database at ``path``: one left by an earlier run (and its
    WAL files) is removed first, so a run never counts another run's rows."""
    for leftover in (path, path.with_name(path.name + "-wal"),
                     path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return f"sqlite:///{path}"


@contextmanager
def redis_database() -> Iterator[str]:
    """The Redis a benchmark runs against; its URL. A Redis server of its own (on a free
    loopback port, nothing saved), so that the Redis CPU measured is this system's alone
    (``bench.sampling`` counts the server named by the URL's port), not every client's on
    the machine; with ``BENCH_REDIS_URL`` set, or no ``redis-server`` to start, a database
    of that server no test session holds, flushed before and after."""
    server = shutil.which("redis-server")
    if "BENCH_REDIS_URL" in os.environ or server is None:
        with _claimed_database() as url:
            yield url
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="sosbot-bench-redis-") as folder:
        process = subprocess.Popen(
            [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
             "--appendonly", "no", "--dir", folder],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        try:
            _wait_for_redis(url, process)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_redis(url: str, process: subprocess.Popen[bytes]) -> None:
    client = Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + 10
    try:
        while True:
            try:
                client.ping()
                return
            except RedisError as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the benchmark's Redis did not start at {url}") from exc
                time.sleep(0.05)
    finally:
        client.close()


@contextmanager
def _claimed_database() -> Iterator[str]:
    """A Redis database no test session holds, flushed before and after; its URL."""
    root = REDIS_URL.rsplit("/", 1)[0]
    token = uuid.uuid4().hex
    for db in range(15, 0, -1):
        client = Redis.from_url(f"{root}/{db}")
        if client.set(_CLAIM, token, nx=True, ex=3600):
            _flush_keeping_claim(client, token)
            try:
                yield f"{root}/{db}"
            finally:
                _flush_keeping_claim(client, token)
                if client.get(_CLAIM) == token.encode():
                    client.delete(_CLAIM)
                client.close()
            return
        client.close()
    raise RuntimeError("no free Redis database: 1-15 are all claimed by test runs")


def _flush_keeping_claim(client: Redis, token: str) -> None:
    client.flushdb()
    client.set(_CLAIM, token, ex=3600)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A PostgreSQL database of its own, dropped afterwards; its URL."""
    admin = sa.create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"sosbot_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(POSTGRES_URL).set(database=name).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@dataclass
class Process:
    name: str
    proc: asyncio.subprocess.Process
    log: Path

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    def rss_mb(self) -> float:
        return float(psutil.Process(self.pid).memory_info().rss) / 2**20

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ---\n" + "\n".join(text.splitlines()[-lines:])


async def start_process(name: str, args: list[str], env: dict[str, str],
                        folder: Path) -> Process:
    log = folder / f"{name}.log"
    with log.open("wb") as handle:
        proc = await asyncio.create_subprocess_exec(*args, env=env, stdout=handle,
                                                    stderr=asyncio.subprocess.STDOUT)
    return Process(name, proc, log)


async def wait_http(url: str, process: Process, timeout_s: float = 60) -> None:
    """Until ``url`` answers 200 (or anything below 500 for a peer without health)."""
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as http:
        while True:
            if process.proc.returncode is not None:
                raise RuntimeError(f"{process.name} exited\n{process.tail()}")
            with contextlib.suppress(aiohttp.ClientError):  # not listening yet
                async with http.get(url) as response:
                    if response.status < 500:
                        return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{process.name} did not answer {url}\n{process.tail()}")
            await asyncio.sleep(0.2)


@dataclass
class Emulator:
    """The Telegram emulator, in this process, with a record of every message it accepted."""

    runner: web.AppRunner
    url: str
    accepted: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)

    async def control(self, http: aiohttp.ClientSession, path: str,
                      body: dict[str, Any] | None = None) -> Any:
        request = http.get(f"{self.url}{path}") if body is None else \
            http.post(f"{self.url}{path}", json=body)
        async with request as response:
            data = await response.json()
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status} {data}")
            return data

    async def calls(self, http: aiohttp.ClientSession) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.control(http, "/_emu/calls")
        return result


async def start_emulator(*, limits: bool, answer_delay_s: float = 0.0) -> Emulator:
    """The Telegram emulator; ``answer_delay_s``: the network's round trip to the Bot API."""
    app = create_emulator(bots=[BotSpec(token=TOKEN, username="sos_bench_bot",
                                        first_name="SOS ANTT")],
                          config=EmulatorConfig(limits=limits, retry_base_s=0.2,
                                                answer_delay_s=answer_delay_s))
    accepted: list[tuple[float, str, dict[str, Any]]] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        # When a message was accepted, as the platform would see it: the moment the call
        # answered 200, with the message it created (the call log has no text).
        response = await handler(request)
        if response.status == 200 and request.path.startswith("/bot") \
                and request.path.rsplit("/", 1)[-1].startswith("send") \
                and isinstance(response, web.Response) and response.body is not None:
            body = json.loads(bytes(response.body))  # type: ignore[arg-type]
            result = body.get("result")
            if isinstance(result, dict):
                accepted.append((time.time(), request.path.rsplit("/", 1)[-1], result))
        return response

    app.middlewares.append(record)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return Emulator(runner, f"http://127.0.0.1:{port}", accepted)


@dataclass
class Sosbot:
    """`sosbot serve` and `sosbot worker` processes on one database and Redis."""

    folder: Path
    env: dict[str, str]
    database_url: str
    web_url: str = ""
    web: Process | None = None
    workers: list[Process] = field(default_factory=list)

    @property
    def processes(self) -> list[Process]:
        return ([self.web] if self.web else []) + self.workers

    async def command(self, *args: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sosbot.cli", *args, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        if proc.returncode != 0:
            raise RuntimeError(f"sosbot {' '.join(args)} failed:\n{err.decode()}")
        return out.decode()

    async def serve(self) -> None:
        port = free_port()
        self.web = await start_process("web", [sys.executable, "-m", "sosbot.cli", "serve",
                                               "--port", str(port)], self.env, self.folder)
        self.web_url = f"http://127.0.0.1:{port}"
        # Ready as a load balancer sees it (/readyz: the database, the intake writer, the
        # ward data), not merely listening: the first webhooks must not measure a start-up.
        await wait_http(f"{self.web_url}/readyz", self.web)

    async def start_workers(self, count: int, timeout_s: float = 60.0,
                            args: Sequence[str] = ()) -> None:
        """Start ``count`` workers (``sosbot worker ARGS``) and wait until each takes jobs
        (registered with rq)."""
        for _ in range(count):
            self.workers.append(await start_process(
                f"worker-{len(self.workers)}",
                [sys.executable, "-m", "sosbot.cli", "worker", *args], self.env, self.folder))
        redis = Redis.from_url(self.env["REDIS_URL"])
        deadline = time.monotonic() + timeout_s
        try:
            # Each process registers one rq worker per lane, the main one at once.
            while not {p.proc.pid for p in self.workers} <= {
                    w.pid for w in Worker.all(connection=redis)}:
                for process in self.workers:
                    if process.proc.returncode is not None:
                        raise RuntimeError(f"{process.name} exited\n{process.tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError("the workers did not start taking jobs\n"
                                       + self.logs())
                await asyncio.sleep(0.1)
        finally:
            redis.close()

    async def stop(self) -> None:
        for process in self.processes:
            await process.stop()

    def logs(self) -> str:
        return "\n".join(process.tail() for process in self.processes)


@asynccontextmanager
async def sosbot(folder: Path, database_url: str, redis_url: str, *,
                 api_base: str = "http://127.0.0.1:9", queue: str = "bench",
                 flood_limits: bool = True, routing: dict[str, Any] | None = None,
                 stale_after_s: float = 60.0,
                 intake_writer: str = "process",
                 geocoder: dict[str, Any] | None = None,
                 worker_lanes: int | None = None,
                 web: dict[str, Any] | None = None) -> AsyncIterator[Sosbot]:
    """A migrated database and the environment to run `sosbot` commands against it; with
    ``geocoder`` (config.yaml's section: its ``url`` and limits) an online geocoder, without
    none (whatever ``SOSBOT_GEOCODER_URL`` this process has); ``web``: more of config.yaml's
    ``web`` section."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({
        "geo": {"wards_file": str(WARDS_FILE), "city_file": str(CITY_FILE)},
        "queue": {"name": queue, "sweep_interval_s": 10,
                  "outbox_stale_after_s": stale_after_s,
                  **({"worker_lanes": worker_lanes} if worker_lanes else {})},
        "channels": {"zalo": {"enabled": False}, "messenger": {"enabled": False},
                     "telegram": {"flood_limits": flood_limits}},
        "digest": {"every_minutes": 0},  # no digest posts in the middle of a measurement
        "web": {"intake_writer": intake_writer, **(web or {})},
        **({"routing": routing} if routing else {}),
        **({"geocoder": geocoder} if geocoder else {}),
    }))
    inherited = {k: v for k, v in os.environ.items() if k != "SOSBOT_GEOCODER_URL"}
    env = {**inherited, "SOSBOT_CONFIG": str(config), "DATABASE_URL": database_url,
           "REDIS_URL": redis_url, "SOSBOT_MEDIA_DIR": str(folder / "media"),
           "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
           "TELEGRAM_API_BASE": api_base, "SOSBOT_CALLBACK_SECRET": CALLBACK_SECRET,
           "SOSBOT_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}
    system = Sosbot(folder, env, database_url)
    await asyncio.get_running_loop().run_in_executor(None, _migrate, database_url)
    try:
        yield system
    finally:
        await system.stop()


def _migrate(database_url: str) -> None:
    """What `sosbot migrate` does, without starting a process for it."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def bind_groups(database_url: str, groups: dict[tuple[str, str], int]) -> None:
    """Bind group chats directly, as `/bind CODE` would: ``(kind, target) -> chat id``."""
    engine = make_engine(database_url)
    try:
        now = utcnow()
        with transaction(engine) as session:
            for (kind, target), chat_id in groups.items():
                code = bindings.create_code(session, kind, target, now, timedelta(minutes=15))
                bound = bindings.redeem(session, code, channel="telegram", chat_id=str(chat_id),
                                        title=f"{kind} {target}", by="bench", now=now)
                if bound is None:
                    raise RuntimeError(f"could not bind {kind} {target}")
    finally:
        engine.dispose()


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError as exc:  # not Linux: the table says "unknown"
        print(f"bench: no /proc/cpuinfo ({exc}); the CPU model is unknown", file=sys.stderr)
    load = os.getloadavg()
    return {"cpu": model or "unknown", "cores": psutil.cpu_count(logical=True),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": sys.version.split()[0], "platform": sys.platform,
            "load_at_start": [round(x, 2) for x in load]}
