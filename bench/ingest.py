"""Webhook ingest: the full durable path of `sosbot serve` (verify, parse, dedupe, persist,
conversation step, outbox, enqueue) against a bare aiohttp endpoint and python-telegram-bot's
own webhook server, in the same run, with load from a separate process on loopback.

Each server is offered fixed rates (open loop) and then driven to saturation. sosbot runs on
SQLite and on PostgreSQL, with every ward, department and the command centre bound to a
group (routing runs in the transaction when a report is submitted). No worker runs: the
queue only fills, as it would while the workers are busy elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa

from bench import services, updates
from bench.load import bench_env, run_load
from bench.peers import WEBHOOK_PATH
from bench.services import SECRET, TOKEN, Process, redis_database
from sosbot.geo.wards import WardIndex
from sosbot.storage.db import make_engine
from sosbot.storage.tables import InboundEvent

WARM_UP_RATE, WARM_UP_S = 100.0, 3.0  # before the fixed rates, on a fresh process


@dataclass(frozen=True)
class Options:
    seconds: float = 10.0
    rates: tuple[float, ...] = (100.0, 500.0)
    connections: int = 32
    databases: tuple[str, ...] = ("sqlite", "postgres")
    peers: tuple[str, ...] = ("bare", "ptb")
    saturation_bodies: int = 40_000


class Bodies:
    """Update streams that never repeat an update id across runs (each run a fresh one)."""

    def __init__(self, folder: Path, points: list[tuple[float, float]],
                 group_chats: list[int]) -> None:
        self.folder, self.points, self.group_chats = folder, points, group_chats
        self.next_update = 500_000_000
        self.next_user = 100_000_000
        self.made = 0

    def file(self, count: int) -> Path:
        self.made += 1
        bodies = updates.stream(count, self.points, first_update_id=self.next_update,
                                first_user=self.next_user, date=int(time.time()),
                                group_chats=self.group_chats, seed=self.made)
        self.next_update += 10 * count
        self.next_user += 2 * count
        path = self.folder / f"bodies-{self.made}.jsonl"
        path.write_bytes(b"\n".join(bodies) + b"\n")
        return path


async def peak_rss(process: Process, work: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """Run ``work`` while sampling the process's RSS; its result with ``rss_mb_peak``."""
    peak = process.rss_mb()
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.rss_mb())
            await asyncio.sleep(0.25)

    sampler = asyncio.create_task(sample())
    try:
        result = await work
    finally:
        done.set()
        await sampler
    result["rss_mb_peak"] = round(peak, 1)
    return result


async def settle(process: Process, timeout_s: float = 45.0) -> float:
    """Until the server has worked off what an overload left queued in it (its CPU use,
    its intake writer child's included, falls under 15 % for a second); the seconds that
    took."""
    began = time.monotonic()
    quiet = 0
    handle = psutil.Process(process.pid)
    handles = [handle, *handle.children()]
    for each in handles:
        _cpu_percent(each)
    while time.monotonic() - began < timeout_s and quiet < 2:
        await asyncio.sleep(0.5)
        quiet = quiet + 1 if max(map(_cpu_percent, handles)) < 15 else 0
    return round(time.monotonic() - began, 1)


# A sosbot run's journal, read after a load from ``began`` to ``ended`` (wall clock):
# how many of the events it recorded were processed by ``ended`` and at what rate.
JournalProbe = Callable[[float, float], dict[str, Any]]


def _cpu_percent(handle: psutil.Process) -> float:
    try:
        return float(handle.cpu_percent())
    except psutil.NoSuchProcess:
        return 0.0


async def measure(name: str, url: str, process: Process, options: Options,
                  bodies_for: Callable[[int], Path], log: Callable[[str], None],
                  saturate: bool = True, rates: bool = True,
                  journal: JournalProbe | None = None) -> dict[str, Any]:
    """Saturation on the fresh server, then each fixed rate; between two runs the server
    first works off whatever the previous one left queued. For sosbot (``journal``), the
    rate its events were processed at as well: a 200 means recorded, not processed."""
    found: dict[str, Any] = {"rss_mb_idle": round(process.rss_mb(), 1), "rates": {}}

    async def load(kind: str, bodies: Path, **how: Any) -> dict[str, Any]:
        began = time.time()
        result = await peak_rss(process, run_load(kind, url, bodies, secret=SECRET,
                                                  seconds=options.seconds, **how))
        if journal is not None:
            result["journal"] = journal(began, time.time())
        result["settled_s"] = await settle(process)
        return result

    def processing(result: dict[str, Any]) -> str:
        probe = result.get("journal")
        if probe is None:
            return ""
        return (f"; processed {probe['processed_rps']:.1f}/s, {probe['unprocessed']} "
                f"recorded and not processed at the end")

    if saturate:
        result = await load("saturate", bodies_for(options.saturation_bodies),
                            connections=options.connections)
        found["saturation"] = result
        log(f"  {name:16} saturation: {result['rps']:8.1f}/s, p50 {result['p50_ms']:.1f} ms, "
            f"p99 {result['p99_ms']:.1f} ms, {result['errors']} errors ({result['tool']})"
            f"{processing(result)}")
    for rate in options.rates if rates else ():
        result = await load("rate", bodies_for(int(rate * options.seconds) + 10), rate=rate)
        found["rates"][str(int(rate))] = result
        log(f"  {name:16} {rate:6.0f}/s offered: {result['rps']:8.1f}/s answered, "
            f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
            f"{result['errors']} errors ({result.get('refused', 0)} refused 503, "
            f"p99 {result.get('refused_p99_ms', 0.0):.1f} ms){processing(result)}")
    found["rss_mb_under_load"] = max(r["rss_mb_peak"] for r in
                                     [*([found["saturation"]] if saturate else []),
                                      *found["rates"].values()])
    return found


def bindings_for(wards: WardIndex) -> dict[tuple[str, str], int]:
    groups: dict[tuple[str, str], int] = {}
    for index, ward in enumerate(wards.wards):
        groups[("ward", ward.code)] = -1_001_000_000_000 - index
    for index, dept in enumerate(("PC07", "PC08", "PC02")):
        groups[("department", dept)] = -1_002_000_000_000 - index
    groups[("command", "command")] = -1_003_000_000_000
    return groups


async def run(options: Options, folder: Path, log: Callable[[str], None] = print
              ) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    wards = WardIndex.from_file(services.WARDS_FILE, services.CITY_FILE)
    points = [wards.centroid(ward.code) for ward in wards.wards]
    groups = bindings_for(wards)
    bodies = Bodies(folder, points, list(groups.values())[:20])
    results: dict[str, Any] = {"options": {"seconds": options.seconds,
                                           "rates": list(options.rates),
                                           "connections": options.connections}}
    emulator = await services.start_emulator(limits=False)
    try:
        for peer in options.peers:
            port = services.free_port()
            args = [sys.executable, "-m", "bench.peers", peer, "--port", str(port),
                    "--api-base", emulator.url, "--token", TOKEN, "--secret", SECRET]
            process = await services.start_process(f"peer-{peer}", args, bench_env(),
                                                   folder)
            url = f"http://127.0.0.1:{port}/{WEBHOOK_PATH}"
            try:
                await services.wait_http(url, process)
                results[peer] = await measure(peer, url, process, options, bodies.file, log)
            finally:
                await process.stop()
        for database in options.databases:
            with redis_database() as redis_url:
                results[f"sosbot_{database}"] = await _sosbot(
                    database, folder / database, redis_url, groups, options, bodies, log)
    finally:
        await emulator.runner.cleanup()
    return results


async def _sosbot(database: str, folder: Path, redis_url: str,
                  groups: dict[tuple[str, str], int], options: Options, bodies: Bodies,
                  log: Callable[[str], None]) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    if database == "sqlite":
        return await _sosbot_on(services.fresh_sqlite(folder / "ingest.db"), folder,
                                redis_url, groups, options, bodies, log)
    with services.postgres_database() as url:
        return await _sosbot_on(url, folder, redis_url, groups, options, bodies, log)


async def _sosbot_on(database_url: str, folder: Path, redis_url: str,
                     groups: dict[tuple[str, str], int], options: Options, bodies: Bodies,
                     log: Callable[[str], None]) -> dict[str, Any]:
    name = "sosbot " + database_url.split(":", 1)[0].replace("postgresql", "postgres")
    # Saturation measures capacity: the 32 connections' deliveries are let wait as long as
    # they must (admission by queueing delay off), so nothing is refused and the mix of
    # updates stored is the one sent (wrk does not send a refused update again, and a
    # resident whose /start is refused never submits). The fixed rates then run on the
    # same database with the web process as deployed (web.max_queue_delay_ms as default).
    # A 200 means recorded: the processing that follows is measured from the journal
    # (``journal_probe``), and at saturation its backlog is let grow (web.max_backlog_s).
    probe = journal_probe(database_url)
    async with services.sosbot(folder, database_url, redis_url,
                               web={"max_queue_delay_ms": 60_000,
                                    "max_backlog_s": 3600}) as system:
        services.bind_groups(database_url, groups)
        await system.serve()
        assert system.web is not None
        found = await measure(name, f"{system.web_url}/webhooks/telegram", system.web,
                              options, bodies.file, log, rates=False, journal=probe)
    async with services.sosbot(folder, database_url, redis_url) as system:
        await system.serve()
        assert system.web is not None
        # A fresh process is slow for its first seconds (lazy imports, caches, prepared
        # statements): warmed at a low rate first, as the first one was by saturation.
        await run_load("rate", f"{system.web_url}/webhooks/telegram",
                       bodies.file(int(WARM_UP_RATE * WARM_UP_S)), secret=SECRET,
                       seconds=WARM_UP_S, rate=WARM_UP_RATE)
        await settle(system.web)
        deployed = await measure(name, f"{system.web_url}/webhooks/telegram", system.web,
                                 options, bodies.file, log, saturate=False, journal=probe)
    return {**deployed, "saturation": found["saturation"],
            "rss_mb_idle": found["rss_mb_idle"],
            "rss_mb_under_load": max(found["rss_mb_under_load"],
                                     deployed["rss_mb_under_load"])}


def journal_probe(database_url: str) -> JournalProbe:
    """Reads sosbot's journal (``inbound_event``) after a load: of the events recorded from
    ``began``, how many were processed by ``ended`` (per second of the load) and how many
    were still waiting then."""
    def probe(began: float, ended: float) -> dict[str, Any]:
        engine = make_engine(database_url)
        since, until = (datetime.fromtimestamp(at, UTC) for at in (began, ended))
        table = InboundEvent.__table__  # type: ignore[attr-defined]
        try:
            with engine.connect() as db:
                recorded, processed = db.execute(
                    sa.select(sa.func.count(),
                              sa.func.count(sa.case((table.c.processed_at <= until, 1))))
                    .where(table.c.received_at >= since)).one()
        finally:
            engine.dispose()
        return {"recorded": int(recorded), "processed": int(processed),
                "unprocessed": int(recorded) - int(processed),
                "processed_rps": round(int(processed) / max(ended - began, 1e-9), 1)}
    return probe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="webhook ingest benchmark")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rates", default="100,500")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--peers", default="bare,ptb")
    parser.add_argument("--folder", type=Path, default=Path("var/bench/ingest"))
    args = parser.parse_args(argv)
    options = Options(seconds=args.seconds,
                      rates=tuple(float(r) for r in args.rates.split(",") if r),
                      databases=tuple(d for d in args.databases.split(",") if d),
                      peers=tuple(p for p in args.peers.split(",") if p))
    print(json.dumps(asyncio.run(run(options, args.folder)), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
