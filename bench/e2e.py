"""End to end: from the webhook request that submits a report to its card accepted by the
Telegram emulator in every target chat (ward group, department, command centre), with the
platform's flood limits off on both sides; and the resident side, from a resident's message
to the bot's reply accepted by the emulator.

Real `sosbot serve` and `sosbot worker` processes on PostgreSQL and Redis. Each resident's
draft (category, pin, description) is stored ready to submit beforehand, so the measured
webhook is the submission itself ("gửi"). Near-duplicate merging and escalations are set
out of the way (1 m radius, 10 h) so that every report gets its own cards and nothing else
is sent meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa

from bench import services
from bench.load import percentile
from bench.sampling import ProcessSampler
from bench.services import SECRET, TOKEN, Emulator
from sosbot.core.model import Category, ConversationState, Draft, Location, Stage
from sosbot.geo.wards import WardIndex
from sosbot.storage.db import make_engine, transaction
from sosbot.storage.tables import Conversation, Reporter

MARKER = re.compile(r"#r(\d+)")
CATEGORIES = (Category.FIRE, Category.TRAFFIC, Category.SECURITY, Category.OTHER)
DEPARTMENT = {Category.FIRE: "PC07", Category.TRAFFIC: "PC08", Category.SECURITY: "PC02"}
OFFICER = 9_500_001
# The platform sends a refused webhook again; sosbot's 503 asks for it after a second.
RETRY_AFTER_503_S = 1.0


@dataclass(frozen=True)
class Options:
    rates: tuple[float, ...] = (5.0, 20.0, 100.0)
    seconds: dict[float, float] | None = None  # per rate; default 60 s each
    workers: int = 2
    wards: int = 20
    resident_rate: float = 10.0
    resident_seconds: float = 15.0
    drain_timeout_s: float = 120.0
    database: str = "postgres"
    batch_cards_from: int | None = None  # None: as deployed (config.yaml's default)
    api_delay_ms: float = 0.0  # the Bot API's round trip (0: loopback)
    worker_lanes: int | None = None  # None: as deployed (queue.worker_lanes's default)
    # Extra runs with the Bot API this far away: (reports/s, round trip ms, seconds).
    far: tuple[tuple[float, float, float], ...] = ()

    def seconds_for(self, rate: float) -> float:
        return (self.seconds or {}).get(rate, 60.0)


def routing_overrides(batch_cards_from: int | None = None) -> dict[str, Any]:
    overrides: dict[str, Any] = {
        # Every report its own card: at 1 m, report 986 of the 20/s run (0.9 m from report
        # 266, same ward and category) folded into 266's card as a near-duplicate.
        "duplicates": {c.value: {"radius_m": 0.01, "window_minutes": 1} for c in Category},
        "escalation_minutes": {c.value: 600 for c in Category}}
    if batch_cards_from is not None:
        overrides["batch_cards_from"] = batch_cards_from
    return overrides


def points_inside(wards: WardIndex, code: str, count: int,
                  rng: random.Random) -> list[tuple[float, float]]:
    """``count`` random points strictly inside the ward, within ~600 m of its centre."""
    lat0, lon0 = wards.centroid(code)
    found: list[tuple[float, float]] = []
    while len(found) < count:
        angle, radius = rng.uniform(0, 2 * math.pi), rng.uniform(0, 600)
        lat = lat0 + radius * math.sin(angle) / 111_320
        lon = lon0 + radius * math.cos(angle) / (111_320 * math.cos(math.radians(lat0)))
        match = wards.ward_for(lat, lon)
        if match.ward is not None and match.ward.code == code and match.how == "inside":
            found.append((lat, lon))
    return found


def submit_update(update_id: int, uid: int, text: str) -> bytes:
    return json.dumps({"update_id": update_id, "message": {
        "message_id": 10, "date": int(time.time()),
        "chat": {"id": uid, "type": "private", "first_name": "Dân"},
        "from": {"id": uid, "is_bot": False, "first_name": "Dân", "language_code": "vi"},
        "text": text, **({"entities": [{"type": "bot_command", "offset": 0,
                                        "length": len(text)}]} if text.startswith("/") else {})
    }}, ensure_ascii=False).encode()


@dataclass
class Planned:
    number: int
    uid: int
    category: Category
    point: tuple[float, float]
    ward: str

    @property
    def targets(self) -> int:
        return 3 if self.category in DEPARTMENT else 2


def prepare_drafts(database_url: str, plans: list[Planned]) -> None:
    """Each resident's conversation as it stands just before "gửi": everything told, by a
    resident sosbot knows (their first message made their row)."""
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    try:
        with transaction(engine) as session:
            for plan in plans:
                draft = Draft(category=plan.category,
                              location=Location(lat=plan.point[0], lon=plan.point[1],
                                                accuracy_m=15),
                              description=f"#r{plan.number:06d} Sự việc do người dân báo, "
                                          f"cần lực lượng xuống kiểm tra",
                              media_asked=True, description_asked=True)
                state = ConversationState(stage=Stage.CONFIRM, draft=draft,
                                          last_activity_epoch=now.timestamp())
                reporter = Reporter(channel="telegram", platform_user_id=str(plan.uid),
                                    display_name="Dân", created_at=now)
                session.add(reporter)
                session.flush()
                session.add(Conversation(channel="telegram", chat_id=str(plan.uid),
                                         reporter_id=reporter.id,
                                         state=state.model_dump(mode="json"), has_draft=True,
                                         last_activity_at=now, updated_at=now))
    finally:
        engine.dispose()


async def paced(rate: float, count: int, send: Callable[[int], Any]
                ) -> list[asyncio.Task[Any]]:
    """Start ``send(i)`` for i < count at ``rate`` per second (open loop: whether or not the
    earlier ones have been answered); the tasks, still running."""
    start = time.monotonic()
    tasks = []
    for index in range(count):
        await asyncio.sleep(max(0.0, start + index / rate - time.monotonic()))
        tasks.append(asyncio.create_task(send(index)))
    return tasks


async def abandon(tasks: list[asyncio.Task[Any]]) -> int:
    """Stop waiting for the requests still unanswered; how many there were."""
    left = [task for task in tasks if not task.done()]
    for task in left:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return len(left)


async def wait_for(done: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.2)
    return True


class Phase:
    """Reports submitted at one rate and their cards as the emulator accepted them."""

    def __init__(self, emulator: Emulator, plans: list[Planned],
                 kinds: dict[int, str]) -> None:
        self.emulator = emulator
        self.kinds = kinds  # group chat id -> ward, department or command
        self.plans = {plan.number: plan for plan in plans}
        self.sent_at: dict[int, float] = {}
        self.answer_ms: list[float] = []
        self.statuses: dict[int, int] = {}
        self.refused = 0  # webhooks answered 503 and sent again
        self.seen_from = len(emulator.accepted)

    def cards(self) -> dict[int, list[float]]:
        return {number: [at for at, _ in got] for number, got in self.cards_to().items()}

    def cards_to(self) -> dict[int, list[tuple[float, int]]]:
        """Report number -> (accepted at, group chat id) of each of its cards."""
        found: dict[int, list[tuple[float, int]]] = {}
        for at, _, message in self.emulator.accepted[self.seen_from:]:
            chat = int(message.get("chat", {}).get("id", 0))
            if chat >= 0:
                continue
            # A batch card carries several reports: each counts as delivered with it.
            for marker in MARKER.finditer(message.get("text") or ""):
                if int(marker.group(1)) in self.plans:
                    found.setdefault(int(marker.group(1)), []).append((at, chat))
        return found

    def by_target(self) -> dict[str, dict[str, float]]:
        """p50/p99 from the submission to the card in each kind of group: which one lags."""
        latencies: dict[str, list[float]] = {}
        for number, got in self.cards_to().items():
            for at, chat in got:
                latencies.setdefault(self.kinds.get(chat, "other"), []).append(
                    (at - self.sent_at[number]) * 1000)
        return {kind: {"cards": len(values), "p50_ms": round(percentile(values, 50), 1),
                       "p99_ms": round(percentile(values, 99), 1)}
                for kind, values in sorted(latencies.items())}

    def complete(self) -> bool:
        cards = self.cards()
        return all(len(cards.get(n, [])) >= p.targets for n, p in self.plans.items())

    def figures(self, stopped_at: float) -> dict[str, Any]:
        """Percentiles over every report; one whose cards had not all arrived when the wait
        ended counts with the time until then, so the figures are then lower bounds."""
        cards = self.cards()
        latencies, complete, last_card = [], 0, 0.0
        for number, plan in self.plans.items():
            got = cards.get(number, [])
            if len(got) >= plan.targets:
                latencies.append((max(got[:plan.targets]) - self.sent_at[number]) * 1000)
                last_card = max(last_card, max(got[:plan.targets]))
                complete += 1
            else:
                latencies.append((stopped_at - self.sent_at[number]) * 1000)
        return {"reports": len(self.plans), "complete": complete,
                "lower_bound": complete < len(self.plans),
                "cards": sum(min(len(v), self.plans[n].targets) for n, v in cards.items()),
                "p50_ms": round(percentile(latencies, 50), 1),
                "p95_ms": round(percentile(latencies, 95), 1),
                "p99_ms": round(percentile(latencies, 99), 1),
                "max_ms": round(max(latencies, default=0.0), 1),
                # The backlog cleared: the last card in, seconds after the last report was
                # sent (None while cards were missing when the wait ended).
                "cleared_after_load_s": round(last_card - max(self.sent_at.values()), 1)
                if complete == len(self.plans) and self.sent_at else None,
                "webhook_p99_ms": round(percentile(self.answer_ms, 99), 1),
                "webhook_errors": sum(1 for s in self.statuses.values() if s != 200),
                "webhook_answered": len(self.statuses),
                "webhook_refused_then_retried": self.refused,
                "by_target": self.by_target()}


async def post(http: aiohttp.ClientSession, url: str, body: bytes) -> int:
    async with http.post(url, data=body, headers={
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
        await response.read()
        return response.status


async def run_fresh(options: Options, folder: Path, log: Callable[[str], None] = print
                    ) -> dict[str, Any]:
    """Each rate on a system of its own (a fresh database, Redis and processes), so that a
    backlog left by one rate does not weigh on the next. Each system first serves the
    resident side (its figures are kept from the first): every rate is then measured on a
    system that has served traffic, as a rate run alone (`python -m bench.e2e`) is."""
    merged: dict[str, Any] = {}
    for index, rate in enumerate(options.rates):
        one = await run(replace(options, rates=(rate,)), folder / f"rate-{rate:g}", log,
                        resident=True)
        rates = merged.get("rates", {})
        merged.update({k: v for k, v in one.items() if k != "resident" or index == 0})
        merged["rates"] = {**rates, **one["rates"]}
    for rate, delay_ms, seconds in options.far:
        # From Vietnam, a round trip to Telegram's Bot API is far from loopback's: a sender
        # waiting for each answer in turn is bound by it (bench/FINDINGS.md, session 8).
        one = await run(replace(options, rates=(rate,), api_delay_ms=delay_ms,
                                seconds={rate: seconds}),
                        folder / f"rate-{rate:g}-far-{delay_ms:g}", log, resident=False)
        figures = one["rates"][str(int(rate))]
        merged.setdefault("rates", {})[f"{rate:g} (Bot API {delay_ms:g} ms away)"] = {
            **figures, "api_delay_ms": delay_ms}
    return merged


async def run(options: Options, folder: Path, log: Callable[[str], None] = print,
              resident: bool = True) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    wards = WardIndex.from_file(services.WARDS_FILE, services.CITY_FILE)
    codes = [w.code for w in wards.wards][:: max(1, len(wards.wards) // options.wards)]
    codes = codes[:options.wards]
    rng = random.Random(20)
    emulator = await services.start_emulator(limits=False,
                                             answer_delay_s=options.api_delay_ms / 1000)
    results: dict[str, Any] = {"workers": options.workers, "database": options.database,
                               "batch_cards_from": options.batch_cards_from,
                               "wards": len(codes), "rates": {}}
    try:
        with services.redis_database() as redis_url, \
                _database(options.database, folder) as db_url:
            async with services.sosbot(folder, db_url, redis_url, api_base=emulator.url,
                                       flood_limits=False,
                                       routing=routing_overrides(
                                           options.batch_cards_from),
                                       worker_lanes=options.worker_lanes) as system, \
                    aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=512)) as http:
                await emulator.control(http, "/_emu/users", {"id": OFFICER,
                                                             "first_name": "Trung úy Hùng"})
                groups: dict[tuple[str, str], int] = {}
                for kind, target in [*(("ward", c) for c in codes),
                                     *(("department", d) for d in DEPARTMENT.values()),
                                     ("command", "command")]:
                    group = await emulator.control(http, "/_emu/groups", {
                        "title": f"{kind} {target}", "type": "supergroup",
                        "members": [OFFICER]})
                    await emulator.control(http, f"/_emu/groups/{group['id']}/add_bot",
                                           {"token": TOKEN, "by": OFFICER})
                    groups[(kind, target)] = int(group["id"])
                services.bind_groups(db_url, groups)
                await system.serve()
                await system.start_workers(options.workers)
                await asyncio.sleep(1)  # the first sweeps, beside the first jobs
                web = system.web
                assert web is not None
                webhook = f"{system.web_url}/webhooks/telegram"
                results["rss_mb_idle"] = {p.name: round(p.rss_mb(), 1)
                                          for p in system.processes}
                next_number, next_uid, update_id = 1, 200_000_000, 900_000_000
                if resident:  # first, on the idle system
                    results["resident"] = await resident_side(
                        options, emulator, http, webhook, 300_000_000, 990_000_000, log)
                for rate in options.rates:
                    count = max(1, int(rate * options.seconds_for(rate)))
                    plans = []
                    for _ in range(count):
                        code = rng.choice(codes)
                        plans.append(Planned(next_number, next_uid,
                                             CATEGORIES[next_number % len(CATEGORIES)],
                                             points_inside(wards, code, 1, rng)[0], code))
                        next_number += 1
                        next_uid += 1
                    for plan in plans:
                        await emulator.control(http, "/_emu/users", {
                            "id": plan.uid, "first_name": f"Dân {plan.uid % 1000}"})
                    await asyncio.get_running_loop().run_in_executor(
                        None, prepare_drafts, db_url, plans)
                    phase = Phase(emulator, plans,
                                  {chat: kind for (kind, _), chat in groups.items()})
                    first_update = update_id
                    update_id += count

                    async def submit(index: int, phase: Phase = phase,
                                     plans: list[Planned] = plans,
                                     first_update: int = first_update) -> None:
                        plan = plans[index]
                        body = submit_update(first_update + index, plan.uid, "gửi")
                        phase.sent_at[plan.number] = time.time()
                        # As the platform does: a 503 (overload refused at once) is sent
                        # again after its Retry-After; the latency counts from the first try.
                        while (status := await post(http, webhook, body)) == 503:
                            phase.refused += 1
                            await asyncio.sleep(RETRY_AFTER_503_S)
                        phase.statuses[plan.number] = status
                        phase.answer_ms.append((time.time() - phase.sent_at[plan.number]) * 1000)

                    sampler = ProcessSampler(
                        system.processes, database=sa.engine.make_url(db_url).database
                        if options.database == "postgres" else None, redis_url=redis_url)
                    sampler.start()
                    tasks = await paced(rate, count, submit)
                    # At most drain_timeout_s more, whatever is still queued: an overloaded
                    # system's backlog would otherwise hold the run for many minutes.
                    drained = await wait_for(phase.complete, options.drain_timeout_s)
                    stopped_at = time.time()
                    unanswered = await abandon(tasks)
                    await sampler.stop()
                    figures = phase.figures(stopped_at)
                    figures.update(seconds=options.seconds_for(rate), drained=drained,
                                   webhook_unanswered=unanswered, rss_mb_peak=sampler.peaks(),
                                   cpu_ms_per_report=sampler.cpu_ms_per(count),
                                   machine_busy=round(sampler.busy, 3))
                    results["rates"][str(int(rate))] = figures
                    log(f"  e2e {rate:5.0f} reports/s × {options.seconds_for(rate):.0f} s, "
                        f"{options.workers} workers: p50 {figures['p50_ms']:.0f} ms, "
                        f"p95 {figures['p95_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms "
                        f"({figures['complete']}/{figures['reports']} complete)"
                        + (f", Bot API {options.api_delay_ms:g} ms away"
                           if options.api_delay_ms else ""))
                results["rss_mb_end"] = {p.name: round(p.rss_mb(), 1) for p in system.processes}
    finally:
        await emulator.runner.cleanup()
    return results


@contextmanager
def _database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield services.fresh_sqlite(folder / "e2e.db")
        return
    with services.postgres_database() as url:
        yield url


async def resident_side(options: Options, emulator: Emulator, http: aiohttp.ClientSession,
                        webhook: str, first_uid: int, first_update: int,
                        log: Callable[[str], None]) -> dict[str, Any]:
    """Residents who write /start: the time until the bot's first answer is accepted."""
    count = max(1, int(options.resident_rate * options.resident_seconds))
    uids = [first_uid + i for i in range(count)]
    for uid in uids:
        await emulator.control(http, "/_emu/users", {"id": uid, "first_name": "Dân"})
    sent_at: dict[int, float] = {}
    seen_from = len(emulator.accepted)

    async def write(index: int) -> None:
        uid = uids[index]
        sent_at[uid] = time.time()
        await post(http, webhook, submit_update(first_update + index, uid, "/start"))

    def answered() -> dict[int, float]:
        first: dict[int, float] = {}
        for at, _, message in emulator.accepted[seen_from:]:
            chat = message.get("chat", {}).get("id")
            if chat in sent_at and chat not in first:
                first[chat] = at
        return first

    tasks = await paced(options.resident_rate, count, write)
    await wait_for(lambda: len(answered()) == count, options.drain_timeout_s)
    await abandon(tasks)
    latencies = [(at - sent_at[uid]) * 1000 for uid, at in answered().items()]
    figures = {"messages": count, "answered": len(latencies),
               "rate": options.resident_rate,
               "p50_ms": round(percentile(latencies, 50), 1),
               "p99_ms": round(percentile(latencies, 99), 1)}
    log(f"  resident /start → reply at {options.resident_rate:.0f}/s: "
        f"p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms "
        f"({len(latencies)}/{count} answered)")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="end-to-end latency benchmark")
    parser.add_argument("--rates", default="5,20,100")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--batch-cards-from", type=int, default=None,
                        help="routing.batch_cards_from for the run (0: no batch cards)")
    parser.add_argument("--api-delay-ms", type=float, default=0.0,
                        help="the Bot API's round trip, added by the emulator to every call")
    parser.add_argument("--lanes", type=int, default=None,
                        help="queue.worker_lanes for the run (jobs each worker takes at once)")
    parser.add_argument("--folder", type=Path, default=Path("var/bench/e2e"))
    args = parser.parse_args(argv)
    rates = tuple(float(r) for r in args.rates.split(","))
    options = Options(rates=rates, seconds=dict.fromkeys(rates, args.seconds),
                      workers=args.workers, database=args.database,
                      batch_cards_from=args.batch_cards_from, api_delay_ms=args.api_delay_ms,
                      worker_lanes=args.lanes)
    print(json.dumps(asyncio.run(run(options, args.folder)), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
