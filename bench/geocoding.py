"""Geocoding adds no latency to the webhook (issue 20), and the resident's confirmation
follows the geocoder's answer at once.

Two systems, each fresh (PostgreSQL and Redis databases of their own, real `sosbot serve` and
`sosbot worker` processes, the Telegram emulator with its limits off):

- **off**: no geocoder (the offline reading alone);
- **on**: the geocoder emulator (the gazetteer, Nominatim's `/search`) answering every search
  after ``delay_s`` (300 ms: a loaded self-hosted server). Its one-request-a-second limit and
  sosbot's shared one are raised, so that what is measured is the latency, not the policy.

New residents each send one first message naming a street with a house number beyond the
street's range ("Có cháy ở số 9012 Đường Cộng Hòa"): offline it gives the wards along the
street, so with a geocoder the conversation asks the worker for an online lookup; the number
makes every query unique (no cached answer) and the geocoder's answer (the street's middle)
reorders the wards, so a new proposal is sent. Measured, on and off:

- **webhook**: the time until `sosbot serve` answers the webhook request (p50, p99);
- **first reply**: from the webhook request to the bot's first reply accepted by the
  Telegram emulator;
- **confirmation** (on only): from the geocoder emulator's answer to the new proposal
  ("🔎 Đã tìm thấy trên bản đồ. Có phải ở đây không?") accepted by the Telegram emulator
  (goal < 1 s), and from the resident's message to it.

``python -m bench.geocoding`` prints one JSON object (about a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench import services
from bench.e2e import _database, abandon, paced, post, submit_update, wait_for
from bench.load import percentile
from sosbot.emulators.geocoder.app import GeocoderEmulatorConfig
from sosbot.emulators.geocoder.app import create_app as create_geocoder
from sosbot.geo import GAZETTEER_FILE

# Streets whose wards the online answer reorders (its middle is not the first ward along it).
STREETS = ("Đường Cộng Hòa", "Đường Trường Chinh", "Đường Cách Mạng Tháng Tám",
           "Đường Lý Thường Kiệt", "Đường Trần Hưng Đạo", "Đường Sư Vạn Hạnh")
FIRST_NUMBER = 9000  # beyond every street's range: the street itself, several wards
FOUND = "🔎"  # the new proposal's lead (texts "place_found_online")
NUMBER = re.compile(r"\b(9\d{3})\b")


@dataclass(frozen=True)
class Options:
    rate: float = 3.0  # first messages per second
    seconds: float = 15.0
    delay_s: float = 0.3  # the geocoder emulator's answer delay
    workers: int = 2
    # With the geocoder on, workers serving the places queue alone (`sosbot worker
    # --only-places`), beside ``workers``, as the README's deployment runs them.
    places_workers: int = 1
    drain_timeout_s: float = 30.0
    database: str = "postgres"


def message(index: int) -> str:
    return f"Có cháy ở số {FIRST_NUMBER + index} {STREETS[index % len(STREETS)]}"


@dataclass
class Geocoder:
    runner: web.AppRunner
    url: str
    answered: dict[int, float]  # house number in the query -> when the answer was written


async def start_geocoder(delay_s: float) -> Geocoder:
    app = create_geocoder(GeocoderEmulatorConfig(gazetteer_path=GAZETTEER_FILE,
                                                 requests_per_s=1000.0,
                                                 answer_delay_s=delay_s))
    answered: dict[int, float] = {}

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        found = NUMBER.search(request.query.get("q", ""))
        if found and response.status == 200:
            answered.setdefault(int(found.group(1)) - FIRST_NUMBER, time.time())
        return response

    app.middlewares.append(record)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = services.free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return Geocoder(runner, f"http://127.0.0.1:{port}", answered)


def _ms(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(values, 50), 1), "p99_ms": round(percentile(values, 99), 1),
            "max_ms": round(max(values, default=0.0), 1)}


async def one_system(options: Options, folder: Path, geocoder: Geocoder | None,
                     log: Callable[[str], None]) -> dict[str, Any]:
    """Residents' first messages on one fresh system; its figures."""
    emulator = await services.start_emulator(limits=False)
    count = max(1, int(options.rate * options.seconds))
    uids = [400_000_000 + i for i in range(count)]
    warm = 399_999_999  # one resident first, unmeasured: the processes' first reading
    sent_at: dict[int, float] = {}
    answer_ms: list[float] = []
    statuses: list[int] = []
    settings = None if geocoder is None else {
        "url": geocoder.url, "timeout_s": 5, "requests_per_s": 50, "cache_ttl_s": 3600}
    try:
        with services.redis_database() as redis_url, _database(options.database,
                                                               folder) as db_url:
            async with services.sosbot(folder, db_url, redis_url, api_base=emulator.url,
                                       flood_limits=False, geocoder=settings) as system, \
                    aiohttp.ClientSession() as http:
                for uid in (warm, *uids):
                    await emulator.control(http, "/_emu/users", {"id": uid,
                                                                 "first_name": "Dân"})
                await system.serve()
                await system.start_workers(options.workers)
                if geocoder is not None and options.places_workers:
                    await system.start_workers(options.places_workers,
                                               args=("--only-places",))
                await asyncio.sleep(3)  # the workers' start-up
                webhook = f"{system.web_url}/webhooks/telegram"
                await post(http, webhook, submit_update(949_999_999, warm,
                                                        "Có cháy ở số 8999 Đường Âu Cơ"))
                await wait_for(lambda: any(m.get("chat", {}).get("id") == warm
                                           for _, _, m in emulator.accepted), 30)
                seen_from = len(emulator.accepted)

                async def write(index: int) -> None:
                    sent_at[index] = time.time()
                    body = submit_update(950_000_000 + index, uids[index], message(index))
                    statuses.append(await post(http, webhook, body))
                    answer_ms.append((time.time() - sent_at[index]) * 1000)

                def replies() -> tuple[dict[int, float], dict[int, float]]:
                    """Per resident: the first reply accepted, and the new proposal."""
                    first: dict[int, float] = {}
                    found: dict[int, float] = {}
                    for at, _, sent in emulator.accepted[seen_from:]:
                        index = int(sent.get("chat", {}).get("id", 0)) - uids[0]
                        if not 0 <= index < count:
                            continue
                        first.setdefault(index, at)
                        if (sent.get("text") or "").startswith(FOUND):
                            found.setdefault(index, at)
                    return first, found

                def done() -> bool:
                    first, found = replies()
                    return len(first) == count and (geocoder is None or len(found) == count)

                tasks = await paced(options.rate, count, write)
                drained = await wait_for(done, options.drain_timeout_s)
                await abandon(tasks)
                first, found = replies()
    finally:
        await emulator.runner.cleanup()
    out: dict[str, Any] = {
        "messages": count, "drained": drained,
        "webhook_errors": sum(1 for s in statuses if s != 200),
        "webhook": _ms(answer_ms),
        "first_reply": {"replied": len(first),
                        **_ms([(at - sent_at[i]) * 1000 for i, at in first.items()])}}
    if geocoder is not None:
        after_answer = [(at - geocoder.answered[i]) * 1000 for i, at in found.items()
                        if i in geocoder.answered]
        out["geocoder_answers"] = len(geocoder.answered)
        out["confirmation"] = {"sent": len(found), **_ms(after_answer)}
        out["message_to_confirmation"] = _ms([(at - sent_at[i]) * 1000
                                              for i, at in found.items()])
    log(f"  geocoder {'on' if geocoder else 'off'}: webhook p50 {out['webhook']['p50_ms']} ms,"
        f" p99 {out['webhook']['p99_ms']} ms; first reply p99 "
        f"{out['first_reply']['p99_ms']} ms" + (
            f"; geocoder answer → confirmation p50 {out['confirmation']['p50_ms']} ms, p99 "
            f"{out['confirmation']['p99_ms']} ms ({out['confirmation']['sent']}/{count})"
            if geocoder else ""))
    return out


async def run(options: Options, folder: Path, log: Callable[[str], None] = print
              ) -> dict[str, Any]:
    """Off, then on: each on a fresh system."""
    results: dict[str, Any] = {"rate": options.rate, "seconds": options.seconds,
                               "delay_ms": round(options.delay_s * 1000),
                               "workers": options.workers,
                               "places_workers_when_on": options.places_workers,
                               "database": options.database,
                               "machine": services.machine()}
    results["off"] = await one_system(options, folder / "off", None, log)
    geocoder = await start_geocoder(options.delay_s)
    try:
        results["on"] = await one_system(options, folder / "on", geocoder, log)
    finally:
        await geocoder.runner.cleanup()
    results["webhook_p99_on_over_off"] = round(
        results["on"]["webhook"]["p99_ms"] / max(results["off"]["webhook"]["p99_ms"], 0.1), 2)
    return results


def section(r: dict[str, Any] | None) -> list[str]:
    """RESULTS.md's section."""
    if not r:
        return []
    on, off = r["on"], r["off"]
    conf = on["confirmation"]
    return [
        "## Geocoding and the webhook (issue 20)", "",
        f"`python -m bench.geocoding`: {on['messages']} residents' first messages naming a "
        f"street with an out-of-range house number (several wards offline, so an online "
        f"lookup is queued; every query unique) at {r['rate']:g}/s, {r['workers']} workers "
        f"(with the geocoder on, lookups on a queue of their own and "
        f"{r.get('places_workers_when_on', 0)} `--only-places` worker beside them), "
        f"{r['database']}; the geocoder emulator answering each search after "
        f"{r['delay_ms']} ms (rate limits raised), against a run with no geocoder. Each run "
        "on a fresh system. The webhook never waits for the geocoder: the lookup is a worker "
        "job.", "",
        "| measure | geocoder off | geocoder on | goal |", "|---|---|---|---|",
        f"| webhook answer p50 | {off['webhook']['p50_ms']} ms | {on['webhook']['p50_ms']} ms"
        " | — |",
        f"| webhook answer p99 | {off['webhook']['p99_ms']} ms | {on['webhook']['p99_ms']} ms"
        f" (× {r['webhook_p99_on_over_off']}) | unchanged |",
        f"| first reply accepted, p99 | {off['first_reply']['p99_ms']} ms "
        f"| {on['first_reply']['p99_ms']} ms | — |",
        f"| geocoder's answer → confirmation accepted, p50 / p99 | — | {conf['p50_ms']} / "
        f"{conf['p99_ms']} ms ({conf['sent']}/{on['messages']} sent) | < 1 s |",
        f"| resident's message → confirmation accepted, p50 / p99 | — "
        f"| {on['message_to_confirmation']['p50_ms']} / "
        f"{on['message_to_confirmation']['p99_ms']} ms | — |", "",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=Options.rate)
    parser.add_argument("--seconds", type=float, default=Options.seconds)
    parser.add_argument("--delay-ms", type=float, default=Options.delay_s * 1000)
    parser.add_argument("--workers", type=int, default=Options.workers)
    parser.add_argument("--places-workers", type=int, default=Options.places_workers,
                        help="with the geocoder on, workers for the places queue alone")
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--folder", type=Path, default=Path("var/bench/geocoding"))
    args = parser.parse_args(argv)
    options = Options(rate=args.rate, seconds=args.seconds, delay_s=args.delay_ms / 1000,
                      workers=args.workers, places_workers=args.places_workers,
                      database=args.database)
    print(json.dumps(asyncio.run(run(options, args.folder,
                                     lambda s: print(s, file=sys.stderr))), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
