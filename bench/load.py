"""The load generator, run as a process of its own on loopback.

``python -m bench.load rate URL BODIES --rate 500 --seconds 10``
    open loop: request *i* is due at ``start + i/rate`` whether or not earlier ones have
    been answered, and its latency counts from when it was due (no coordinated omission).
    A body answered 503 is not sent again: ``refused`` counts them and ``refused_p99_ms``
    says how long a refusal took (at once, or after a queue?).
``python -m bench.load saturate URL BODIES --seconds 10 --connections 32``
    closed loop at saturation: wrk (Debian's package) when installed, else aiohttp. A body
    answered 503 is sent again at once.

``BODIES`` holds one request body a line, sent in order (cycling when exhausted). Prints one
JSON object: requests, ok, errors, rps, p50/p90/p99/max in ms (of the 200 answers), tool;
the open loop also ``refused`` (503 answers) and ``refused_p99_ms``: how long a refusal took.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]

WRK_SCRIPT = """
local bodies = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
end
-- A body answered 503 is sent again (next), as a platform sends a refused update again:
-- the mix of updates the server stores stays the same whatever it refuses. The body's
-- number travels in X-Request-Id, which sosbot sends back.
local again = {}
request = function()
  local n = table.remove(again)
  if n == nil then
    i = i + 1
    if i > #bodies then i = 1 end
    n = i
  end
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["X-Request-Id"] = "body" .. n
  return wrk.format("POST", nil, headers, bodies[n])
end
response = function(status, headers, body)
  if status == 503 then
    local id = headers["X-Request-Id"] or headers["x-request-id"]
    if id then again[#again + 1] = tonumber(string.sub(id, 5)) end
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nWRKJSON {"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def bench_env() -> dict[str, str]:
    """The environment for a `python -m bench.…` process, wherever it is started from."""
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": f"{REPO}{os.pathsep}{path}" if path else str(REPO)}


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``values``; 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def summary(latencies_s: list[float], statuses: Counter[int | str], seconds: float,
            tool: str) -> dict[str, Any]:
    ms = [x * 1000 for x in latencies_s]
    ok = sum(n for status, n in statuses.items() if status == 200)
    total = sum(statuses.values())
    return {"tool": tool, "requests": total, "ok": ok, "errors": total - ok,
            "statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)},
            "seconds": round(seconds, 3), "rps": round(ok / seconds, 1) if seconds else 0.0,
            "p50_ms": round(percentile(ms, 50), 2), "p90_ms": round(percentile(ms, 90), 2),
            "p99_ms": round(percentile(ms, 99), 2), "max_ms": round(max(ms, default=0.0), 2)}


def headers(secret: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}


async def open_loop(url: str, bodies: list[bytes], rate: float, seconds: float,
                    secret: str) -> dict[str, Any]:
    count = max(1, int(rate * seconds))
    latencies: list[float] = []
    refusals: list[float] = []
    statuses: Counter[int | str] = Counter()
    loop = asyncio.get_running_loop()
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1024),
                                     timeout=timeout, headers=headers(secret)) as http:

        async def one(body: bytes, due: float) -> None:
            try:
                async with http.post(url, data=body) as response:
                    await response.read()
                    statuses[response.status] += 1
            except (aiohttp.ClientError, TimeoutError) as exc:
                statuses[type(exc).__name__] += 1
                return
            if response.status == 200:  # a refusal (503 when overloaded) is no latency
                latencies.append(loop.time() - due)
            elif response.status == 503:  # but how soon it came is: at once, or queued?
                refusals.append(loop.time() - due)

        start = loop.time() + 0.1
        tasks = []
        sent = 0
        while sent < count:
            now = loop.time()
            due_now = min(count, int((now - start) * rate) + 1)
            while sent < due_now:
                due = start + sent / rate
                tasks.append(asyncio.create_task(one(bodies[sent % len(bodies)], due)))
                sent += 1
            await asyncio.sleep(max(0.0, start + sent / rate - loop.time()))
        await asyncio.gather(*tasks)
        elapsed = loop.time() - start
    result = summary(latencies, statuses, elapsed, "aiohttp open loop")
    result["offered_rps"] = rate
    result["refused"] = len(refusals)
    result["refused_p99_ms"] = round(percentile([x * 1000 for x in refusals], 99), 2)
    return result


async def closed_loop(url: str, bodies: list[bytes], seconds: float, connections: int,
                      secret: str) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: Counter[int | str] = Counter()
    loop = asyncio.get_running_loop()
    position = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections),
                                     headers=headers(secret)) as http:
        end = loop.time() + seconds

        async def client() -> None:
            nonlocal position
            while loop.time() < end:
                body = bodies[position % len(bodies)]
                position += 1
                began = loop.time()
                try:
                    async with http.post(url, data=body) as response:
                        await response.read()
                        statuses[response.status] += 1
                except (aiohttp.ClientError, TimeoutError) as exc:
                    statuses[type(exc).__name__] += 1
                    continue
                if response.status == 200:
                    latencies.append(loop.time() - began)

        began = loop.time()
        await asyncio.gather(*(client() for _ in range(connections)))
        elapsed = loop.time() - began
    return summary(latencies, statuses, elapsed, f"aiohttp closed loop, {connections} conns")


def wrk(url: str, bodies_file: Path, seconds: float, connections: int,
        secret: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        done = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
             "-H", f"X-Telegram-Bot-Api-Secret-Token: {secret}",
             "-H", "Content-Type: application/json",
             "-s", script.name, url, "--", str(bodies_file)],
            capture_output=True, text=True, timeout=seconds + 60, check=True)
    finally:
        Path(script.name).unlink()
    line = next(line for line in done.stdout.splitlines() if line.startswith("WRKJSON "))
    raw = json.loads(line.removeprefix("WRKJSON "))
    errors = raw["status"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    secs = raw["duration_us"] / 1e6
    ok = raw["requests"] - raw["status"]  # wrk counts non-2xx/3xx answers as status errors
    return {"tool": f"wrk -t1 -c{connections}", "requests": raw["requests"], "ok": ok,
            "errors": errors, "statuses": {"non_2xx": raw["status"], "socket": errors -
                                           raw["status"]},
            "seconds": round(secs, 3), "rps": round(ok / secs, 1) if secs else 0.0,
            "p50_ms": raw["p50"] / 1000, "p90_ms": raw["p90"] / 1000,
            "p99_ms": raw["p99"] / 1000, "max_ms": raw["max"] / 1000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("rate", "saturate"))
    parser.add_argument("url")
    parser.add_argument("bodies", type=Path)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--secret", default="")
    parser.add_argument("--no-wrk", action="store_true", help="saturate with aiohttp")
    args = parser.parse_args(argv)
    bodies = [line for line in args.bodies.read_bytes().splitlines() if line]
    if args.mode == "rate":
        result = asyncio.run(open_loop(args.url, bodies, args.rate, args.seconds, args.secret))
    elif shutil.which("wrk") and not args.no_wrk:
        result = wrk(args.url, args.bodies, args.seconds, args.connections, args.secret)
    else:
        result = asyncio.run(closed_loop(args.url, bodies, args.seconds, args.connections,
                                         args.secret))
    print(json.dumps(result))
    return 0


async def run_load(mode: str, url: str, bodies: Path, *, secret: str, seconds: float,
                   rate: float = 0.0, connections: int = 32) -> dict[str, Any]:
    """Run the load generator as a separate process; its JSON result."""
    args = [sys.executable, "-m", "bench.load", mode, url, str(bodies), "--seconds",
            str(seconds), "--rate", str(rate), "--connections", str(connections),
            "--secret", secret]
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE,
                                                env=bench_env())
    out, err = await asyncio.wait_for(proc.communicate(), seconds + 120)
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{err.decode()}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    sys.exit(main())
