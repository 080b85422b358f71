"""What the processes of a benchmark phase used: peak RSS, CPU time, how busy the machine was."""

from __future__ import annotations

import asyncio
import os
from typing import Any
from urllib.parse import urlsplit

import psutil

from bench.services import Process


class ProcessSampler:
    """The peak RSS of each process while a phase runs, the CPU time each used, and the share
    of the machine's CPU that was busy (every process, the database's and the load's too)."""

    def __init__(self, processes: list[Process], database: str | None = None,
                 redis_url: str | None = None) -> None:
        self.processes = processes
        # With the system's Redis URL: "redis" is the server on that port alone.
        self.redis_port = _port_of(redis_url) if redis_url else None
        # With a database's name: "postgres" is that database's backends alone (other
        # databases on the server, a test suite's say, are not the system measured).
        self.backends = _Backends(database) if database else None
        self.peak = {p.name: p.rss_mb() for p in processes}
        self.cpu_from = {p.name: _cpu_s(p) for p in processes}
        self.services_from = _services_cpu_s(self.redis_port)
        self.machine_from = psutil.cpu_times()
        self.cpu_used: dict[str, float] = {}
        self.busy = 0.0
        self.done = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while not self.done.is_set():
            for process in self.processes:
                self.peak[process.name] = max(self.peak[process.name], process.rss_mb())
            if self.backends is not None:
                self.backends.sample()
            await asyncio.sleep(0.25)

    async def stop(self) -> None:
        self.done.set()
        if self.task is not None:
            await self.task
        self.cpu_used = {p.name: _cpu_s(p) - self.cpu_from[p.name] for p in self.processes}
        for name, seconds in _services_cpu_s(self.redis_port).items():
            self.cpu_used[name] = seconds - self.services_from.get(name, 0.0)
        if self.backends is not None:
            self.backends.sample()
            self.cpu_used["postgres"] = self.backends.used_s()
        before, after = self.machine_from, psutil.cpu_times()
        total = sum(after) - sum(before)
        idle = (after.idle + after.iowait) - (before.idle + before.iowait)
        self.busy = 1.0 - idle / total if total > 0 else 0.0

    def peaks(self) -> dict[str, float]:
        return {name: round(value, 1) for name, value in self.peak.items()}

    def cpu_ms_per(self, count: int) -> dict[str, Any]:
        """CPU milliseconds each process spent per item (report) of the phase."""
        return {name: round(seconds * 1000 / max(count, 1), 1)
                for name, seconds in self.cpu_used.items()}


def _port_of(url: str) -> int | None:
    return urlsplit(url).port


def _services_cpu_s(redis_port: int | None = None) -> dict[str, float]:
    """CPU seconds so far of PostgreSQL's and Redis's processes and of this one (the load
    and the platform emulator); with ``redis_port``, of the Redis server on that port
    alone (its process title ends with it)."""
    used = {"postgres": 0.0, "redis": 0.0, "load+emulator": 0.0}
    for proc in psutil.process_iter(["name", "cmdline", "cpu_times", "pid"]):
        times = proc.info["cpu_times"]
        if times is None:
            continue
        name = proc.info["name"] or ""
        ours = redis_port is None or " ".join(proc.info["cmdline"] or ()).strip().endswith(
            f":{redis_port}")
        key = ("postgres" if name.startswith("postgres") else
               "redis" if name.startswith("redis-server") and ours else
               "load+emulator" if proc.info["pid"] == os.getpid() else None)
        if key is not None:
            used[key] += times.user + times.system
    return used


class _Backends:
    """CPU seconds of one database's PostgreSQL backends (their process title names the
    database), sampled as the phase runs: a backend that ends meanwhile keeps what it used up
    to its last sample, one that starts counts from zero."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.started = False
        self.sample()
        self.started = True

    def sample(self) -> None:
        for proc in psutil.process_iter(["name", "cmdline", "cpu_times", "pid"]):
            if not (proc.info["name"] or "").startswith("postgres"):
                continue
            if self.database not in " ".join(proc.info["cmdline"] or ()):
                continue
            times = proc.info["cpu_times"]
            if times is None:
                continue
            pid, seconds = proc.info["pid"], times.user + times.system
            self.first.setdefault(pid, seconds if not self.started else 0.0)
            self.last[pid] = seconds

    def used_s(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def _cpu_s(process: Process) -> float:
    """User and system CPU seconds of the process and of its children (rq's scheduler)."""
    try:
        proc = psutil.Process(process.pid)
        own = proc.cpu_times()
        total = own.user + own.system
        for child in proc.children(recursive=True):
            times = child.cpu_times()
            total += times.user + times.system
        return total
    except psutil.NoSuchProcess:
        return 0.0
