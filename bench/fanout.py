"""Fan-out at Telegram's flood limits (the emulator enforces them: 20 messages a rolling
minute per group, 30/s per bot): a burst of reports stored and routed at once, then
delivered by real `sosbot worker` processes.

Two bursts: across 50 wards (one incident per ward, several reporters each) and to one ward
(Phường Tân Phú, 25 incident spots). Reports are created and routed exactly as a submission
does (create_report + route, one transaction each) rather than through the conversation,
which would take minutes at one message a second per resident chat.

The theoretical minimum is when the last card could have been accepted at the earliest if
every group's cards went out as fast as Telegram's caps allow from the moment of the burst:
one message a second in a chat and 20 a rolling minute in a group (25 cards: 0…19 s, then
60…64 s), and 30 a second for the bot.
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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from redis import Redis
from sqlmodel import col, func, select

from bench import services
from bench.services import TOKEN
from sosbot.config import RoutingConfig
from sosbot.core.model import Category, Draft, Location
from sosbot.delivery.queueing import Dispatcher
from sosbot.geo.wards import WardIndex
from sosbot.routing.fanout import route
from sosbot.routing.rules import RoutingRules
from sosbot.storage import outbox, reports
from sosbot.storage.db import make_engine, transaction
from sosbot.storage.tables import Outbox, utcnow

GROUP_LIMIT, GROUP_WINDOW_S, GLOBAL_PER_S = 20, 60.0, 30
CHAT_INTERVAL_S = 1.0  # Telegram: about one message a second in any one chat
# A card's first line, or a report's first line in a batch card ("2. 🔥 CHÁY NỔ — SOS-…").
CARD_HEAD = re.compile(r"^(?:\d+\. )?\S+ [^—\n]+ — (SOS-\d+)", re.MULTILINE)
OFFICER = 9_600_001
TAN_PHU_WARD = "27031"
SPOT_SPACING_M = 300.0
M_PER_DEG_LAT = 111_320.0
DEPARTMENT = {Category.FIRE: "PC07", Category.TRAFFIC: "PC08", Category.SECURITY: "PC02"}
ROTATION = (Category.FIRE, Category.TRAFFIC, Category.SECURITY)


@dataclass(frozen=True)
class Options:
    reports: int = 500
    wards: int = 50
    one_ward_spots: int = 25
    workers: int = 2
    timeout_s: float = 400.0
    scenarios: tuple[str, ...] = ("wards", "one_ward", "one_ward_batched")


def routing_overrides(batched: bool = False) -> dict[str, Any]:
    # 25 distinct fires fit in Phường Tân Phú 300 m apart only with a 200 m fire radius (as in
    # tests/routing/test_fanout_limits.py); escalations are kept out of the measurement.
    # Batch cards are off, so that every card is a message held to the caps, except in the
    # "_batched" scenarios, which run as deployed (routing.batch_cards_from: 3).
    duplicates = {category.value: window.model_dump()
                  for category, window in RoutingConfig().duplicates.items()}
    duplicates["fire"] = {"radius_m": 200, "window_minutes": 60}
    return {"duplicates": duplicates, "escalation_minutes": {c.value: 600 for c in Category},
            "batch_cards_from": RoutingConfig().batch_cards_from if batched else 0}


def lattice_spots(wards: WardIndex, code: str, count: int) -> list[tuple[float, float]]:
    """``count`` points 300 m apart inside the ward, nearest its centre first."""
    lat0, lon0 = wards.centroid(code)
    m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(lat0))
    row_step = SPOT_SPACING_M * math.sqrt(3) / 2
    found: list[tuple[float, float, float]] = []
    for row in range(-20, 21):
        for column in range(-20, 21):
            x = column * SPOT_SPACING_M + (row % 2) * SPOT_SPACING_M / 2
            y = row * row_step
            lat, lon = lat0 + y / M_PER_DEG_LAT, lon0 + x / m_per_deg_lon
            match = wards.ward_for(lat, lon)
            if match.ward is not None and match.ward.code == code and match.how == "inside":
                found.append((math.hypot(x, y), lat, lon))
    found.sort()
    if len(found) < count:
        raise RuntimeError(f"only {len(found)} spots fit in ward {code}")
    return [(lat, lon) for _, lat, lon in found[:count]]


def jittered(point: tuple[float, float], rng: random.Random) -> tuple[float, float]:
    lat, lon = point
    angle, radius = rng.uniform(0, 2 * math.pi), rng.uniform(0, 4.0)
    return (lat + radius * math.sin(angle) / M_PER_DEG_LAT,
            lon + radius * math.cos(angle) / (M_PER_DEG_LAT * math.cos(math.radians(lat))))


def burst_plan(wards: WardIndex, scenario: str, options: Options
               ) -> list[tuple[Category, tuple[float, float], str]]:
    """(category, point, ward) of every report in the burst."""
    rng = random.Random(500)
    if scenario == "one_ward":
        spots = lattice_spots(wards, TAN_PHU_WARD, options.one_ward_spots)
        return [(Category.FIRE, jittered(spots[i % len(spots)], rng), TAN_PHU_WARD)
                for i in range(options.reports)]
    codes = [w.code for w in wards.wards][:: max(1, len(wards.wards) // options.wards)]
    codes = codes[:options.wards]
    centres = {code: lattice_spots(wards, code, 1)[0] for code in codes}
    return [(ROTATION[codes.index(code) % len(ROTATION)], jittered(centres[code], rng), code)
            for code in (codes[i % len(codes)] for i in range(options.reports))]


def create_and_route(database_url: str, rules: RoutingRules,
                     plan: list[tuple[Category, tuple[float, float], str]]) -> list[int]:
    """Every report stored and routed in its own transaction; the outbox rows to queue."""
    engine = make_engine(database_url)
    ids: list[int] = []
    try:
        for index, (category, (lat, lon), _) in enumerate(plan):
            draft = Draft(category=category, location=Location(lat=lat, lon=lon, accuracy_m=15),
                          description=f"Người dân báo tin khẩn (người báo {index})")
            actor = f"telegram:{700_000 + index}"
            with transaction(engine) as session:
                now = utcnow()
                new = reports.create_report(session, channel="telegram",
                                            chat_id=str(700_000 + index), reporter_id=None,
                                            draft=draft, lang="vi", phone=None, now=now,
                                            actor=actor)
                route(session, new.report, now, rules, actor)
                ids += outbox.take_added(session)
    finally:
        engine.dispose()
    return ids


def pending(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with transaction(engine) as session:
            return int(session.exec(select(func.count()).select_from(Outbox).where(
                col(Outbox.status) == outbox.PENDING)).one())
    finally:
        engine.dispose()


def earliest_last_s(cards: int) -> float:
    """When a group's last of ``cards`` messages can go at the earliest from t = 0: at most
    one a second in a chat, and 20 a rolling minute in a group."""
    times: list[float] = []
    for index in range(cards):
        earliest = times[-1] + CHAT_INTERVAL_S if times else 0.0
        if index >= GROUP_LIMIT:
            earliest = max(earliest, times[index - GROUP_LIMIT] + GROUP_WINDOW_S)
        times.append(earliest)
    return times[-1] if times else 0.0


def theoretical_minimum_s(cards_per_chat: dict[int, int]) -> float:
    """The caps' minimum for the whole burst: its slowest group, or the bot's 30/s."""
    per_group = max((earliest_last_s(n) for n in cards_per_chat.values()), default=0.0)
    total = sum(cards_per_chat.values())
    return max(per_group, math.floor((total - 1) / GLOBAL_PER_S) if total else 0.0)


async def scenario_run(scenario: str, options: Options, folder: Path, wards: WardIndex,
                       log: Callable[[str], None]) -> dict[str, Any]:
    batched = scenario.endswith("_batched")
    plan = burst_plan(wards, scenario.removesuffix("_batched"), options)
    used = sorted({code for _, _, code in plan})
    emulator = await services.start_emulator(limits=True)
    try:
        with services.redis_database() as redis_url:
            # SQLite: storing and routing 500 reports on the shared PostgreSQL server takes
            # minutes on a loaded machine, and the caps, not the database, bound this test.
            db_url = services.fresh_sqlite(folder / "fanout.db")
            # The sweeper must not queue the first rows while the rest are still being
            # routed: the burst starts when all of them are queued at once.
            async with services.sosbot(folder, db_url, redis_url, api_base=emulator.url,
                                       routing=routing_overrides(batched),
                                       stale_after_s=3600) as system, \
                    aiohttp.ClientSession() as http:
                await emulator.control(http, "/_emu/users", {"id": OFFICER,
                                                             "first_name": "Thiếu tá Vy"})
                groups: dict[tuple[str, str], int] = {}
                targets = [*(("ward", c) for c in used),
                           *(("department", DEPARTMENT[c]) for c in
                             sorted({c for c, _, _ in plan if c in DEPARTMENT})),
                           ("command", "command")]
                for kind, target in targets:
                    group = await emulator.control(http, "/_emu/groups", {
                        "title": f"{kind} {target}", "type": "supergroup",
                        "members": [OFFICER]})
                    await emulator.control(http, f"/_emu/groups/{group['id']}/add_bot",
                                           {"token": TOKEN, "by": OFFICER})
                    groups[(kind, target)] = int(group["id"])
                services.bind_groups(db_url, groups)
                await system.start_workers(options.workers)
                await asyncio.sleep(1)  # the first sweeps, beside the first jobs
                rules = RoutingRules(RoutingConfig.model_validate(routing_overrides(batched)),
                                     wards,
                                     services.CALLBACK_SECRET, wards_file=services.WARDS_FILE)
                loop = asyncio.get_running_loop()
                created = time.time()
                ids = await loop.run_in_executor(None, create_and_route, db_url, rules, plan)
                redis = Redis.from_url(redis_url)
                Dispatcher(redis, "bench").outbox(ids)
                redis.close()
                burst_from = time.time()
                deadline = time.monotonic() + options.timeout_s
                left = len(ids)
                while time.monotonic() < deadline:
                    await asyncio.sleep(1.0)
                    left = await loop.run_in_executor(None, pending, db_url)
                    if left == 0:
                        break
                calls = await emulator.calls(http)
    finally:
        await emulator.runner.cleanup()
    chats = set(groups.values())
    # When each report's card (or its block in a batch card) first reached each chat.
    seen: dict[tuple[int, str], float] = {}
    card_messages = 0
    for at, method, message in emulator.accepted:
        chat = message.get("chat", {}).get("id")
        if method != "sendMessage" or chat not in chats or not message.get("reply_markup"):
            continue
        codes = CARD_HEAD.findall(message.get("text") or "")
        card_messages += bool(codes)
        for code in codes:
            seen.setdefault((chat, code), at)
    cards: dict[int, list[float]] = {}
    for (chat, _), at in seen.items():
        cards.setdefault(chat, []).append(at)
    in_burst = [c for c in calls if c["at"] >= burst_from and c["chat_id"] in chats]
    delivered = [c for c in in_burst if c["status"] == 200 and c["method"].startswith("send")]
    last = max((max(times) for times in cards.values()), default=burst_from) - burst_from
    minimum = theoretical_minimum_s({chat: len(times) for chat, times in cards.items()})
    seconds = last if last > 0 else 1.0
    latest = max(cards, key=lambda chat: max(cards[chat]), default=None)
    timeline = [round(t - burst_from, 1) for t in sorted(cards[latest])] if latest else []
    busiest = {chat: _busiest_window([c["at"] for c in delivered if c["chat_id"] == chat])
               for chat in chats}
    figures = {
        "reports": len(plan), "wards": len(used), "groups": len(chats),
        "workers": options.workers, "outbox_rows": len(ids), "left_pending": left,
        "routed_s": round(burst_from - created, 2),
        "batched": batched,
        "cards": sum(len(t) for t in cards.values()),
        "card_messages": card_messages,
        "messages_delivered": len(delivered),
        "delivered_per_s": round(len(delivered) / seconds, 2),
        "cap_per_s": round(min(GLOBAL_PER_S, len(chats) * GROUP_LIMIT / GROUP_WINDOW_S), 2),
        "busiest_group_minute": max(busiest.values(), default=0),
        "status_429": sum(1 for c in calls if c["status"] == 429),
        "last_card_s": round(last, 1), "minimum_s": round(minimum, 1),
        "most_cards_in_a_group": max((len(t) for t in cards.values()), default=0),
        "last_card_over_minimum": round(last / minimum, 3) if minimum else None,
        "calls": Counter(c["method"] for c in in_burst),
        # When each card of the group that finished last went out, from the burst (s).
        "last_group_cards_s": timeline,
    }
    log(f"  fan-out {scenario:8}: {len(plan)} reports → {figures['cards']} cards in "
        f"{len(chats)} groups; routed in {figures['routed_s']:.1f} s; last card at "
        f"{last:.1f} s vs {minimum:.0f} s minimum; {figures['status_429']} × 429")
    return figures


def _busiest_window(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for t in times[i:] if t < start + GROUP_WINDOW_S)
                for i, start in enumerate(times)), default=0)


async def run(options: Options, folder: Path, log: Callable[[str], None] = print
              ) -> dict[str, Any]:
    wards = WardIndex.from_file(services.WARDS_FILE, services.CITY_FILE)
    return {scenario: await scenario_run(scenario, options, folder / scenario, wards, log)
            for scenario in options.scenarios}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="fan-out at the platform's limits")
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--wards", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenarios", default="wards,one_ward,one_ward_batched")
    parser.add_argument("--folder", type=Path, default=Path("var/bench/fanout"))
    args = parser.parse_args(argv)
    options = Options(reports=args.reports, wards=args.wards, workers=args.workers,
                      scenarios=tuple(args.scenarios.split(",")))
    print(json.dumps(asyncio.run(run(options, args.folder)), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
