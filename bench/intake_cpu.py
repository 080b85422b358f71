"""The intake transaction alone: CPU per update, no HTTP, no Redis, one thread.

The same update mix as the ingest benchmark (residents' reports, officers' chatter, every
ward bound), parsed first, then stored ``--batch`` updates to a transaction as
``routing.intake.take_batch`` does in the intake writer. It prints wall and CPU time per
update, the SQL statements executed per update (each one a round trip on PostgreSQL), and
with ``--profile`` the functions that cost the most: this is how the hot path was found
and how a change to it is judged (run it on two checkouts, minutes apart, and compare; see
bench/FINDINGS.md). With ``--journal``, as the intake writer does now: each batch recorded
in a transaction (what a webhook's 200 waits for), then processed ``PROCESS_BATCH``
deliveries to a transaction, the wall time of each step reported apart.

    python -m bench.intake_cpu [--updates 1500] [--database sqlite|postgres] [--batch N]
                               [--journal] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench import services, updates
from bench.ingest import bindings_for
from sosbot.bots.telegram import inbound
from sosbot.config import RoutingConfig
from sosbot.core.conversation import Settings
from sosbot.core.webhook_body import decode_body
from sosbot.geo.wards import WardIndex
from sosbot.intake.group_commit import PROCESS_BATCH
from sosbot.intake.take import IntakePolicy, process_recorded, record_batch, take_batch
from sosbot.routing.rules import RoutingRules
from sosbot.storage.db import make_engine, transaction
from sosbot.storage.migrate import upgrade

WARM_UP = 300


@contextlib.contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "postgres":
        with services.postgres_database() as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="sosbot-intake-") as folder:
        yield f"sqlite:///{Path(folder) / 'intake.db'}"


def measure(kind: str, count: int, profile: bool = False, batch: int = 1,
            journal: bool = False) -> dict[str, Any]:
    wards = WardIndex.from_file(services.WARDS_FILE, services.CITY_FILE)
    groups = bindings_for(wards)
    points = [wards.centroid(ward.code) for ward in wards.wards]
    bodies = updates.stream(count + WARM_UP, points, first_update_id=1, first_user=1000,
                            date=int(time.time()), group_chats=list(groups.values())[:20],
                            seed=1)
    parsed = [(inbound.parse_update(data), data) for data in map(decode_body, bodies)]
    policy = IntakePolicy(conversation=Settings(), rules=RoutingRules(
        RoutingConfig(), wards, services.CALLBACK_SECRET))
    with database(kind) as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            services.bind_groups(url, groups)

            steps = {"record": 0.0, "process": 0.0}

            def store(items: list[tuple[Any, dict[str, Any]]]) -> None:
                for start in range(0, len(items), batch):
                    if journal:
                        record_then_process(items[start:start + batch])
                        continue
                    with transaction(engine) as session:
                        take_batch(session, items[start:start + batch], datetime.now(UTC),
                                   policy)

            def record_then_process(items: list[tuple[Any, dict[str, Any]]]) -> None:
                began = time.perf_counter()
                with transaction(engine) as session:
                    _, recorded = record_batch(session, items, datetime.now(UTC), policy)
                recorded_at = time.perf_counter()
                for first in range(0, len(recorded), PROCESS_BATCH):
                    with transaction(engine) as session:
                        process_recorded(session, recorded[first:first + PROCESS_BATCH],
                                         datetime.now(UTC), policy)
                steps["record"] += recorded_at - began
                steps["process"] += time.perf_counter() - recorded_at

            store(parsed[:WARM_UP])
            steps.update(record=0.0, process=0.0)
            statements = 0

            def counted(*_: Any) -> None:
                nonlocal statements
                statements += 1

            event.listen(engine, "before_cursor_execute", counted)
            profiler = cProfile.Profile() if profile else None
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler is not None:
                profiler.enable()
            store(parsed[WARM_UP:])
            if profiler is not None:
                profiler.disable()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            event.remove(engine, "before_cursor_execute", counted)
        finally:
            engine.dispose()
    if profiler is not None:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    found: dict[str, Any] = {}
    if journal:
        found = {"record_wall_ms_per_update": round(steps["record"] / count * 1000, 3),
                 "process_wall_ms_per_update": round(steps["process"] / count * 1000, 3)}
    return {"database": kind, "updates": count, "per_transaction": batch,
            "journal": journal, **found,
            "wall_ms_per_update": round(wall / count * 1000, 3),
            "cpu_ms_per_update": round(cpu / count * 1000, 3),
            "statements_per_update": round(statements / count, 2),
            "updates_per_s_one_thread": round(count / wall, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CPU per update of the intake transaction")
    parser.add_argument("--updates", type=int, default=1500)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--profile", action="store_true", help="cProfile to stderr")
    parser.add_argument("--batch", type=int, default=1,
                        help="updates per transaction (the web process's group commit "
                             "stores up to web.intake_batch)")
    parser.add_argument("--journal", action="store_true",
                        help="record each batch, then process it, in transactions apart "
                             "(as the intake writer does)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.database, args.updates, args.profile, max(1, args.batch),
                             args.journal)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
