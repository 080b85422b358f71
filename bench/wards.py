"""Ward lookup: one point at a time (``WardIndex.ward_for``, µs per call) and batched
(``WardIndex.classify``, points/s), on points spread over the city the way reports are:
most inside a ward, some near a boundary, a few just outside the city; and the memory the
polygons and their index hold (RSS grown by loading them, in a fresh process).

``python -m bench.wards [--points N]`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import sys
import time
from typing import Any

import numpy as np
import psutil

from bench.load import bench_env


def sample_points(index: Any, count: int, seed: int = 168) -> tuple[np.ndarray, np.ndarray]:
    """Points around ward centres (most inside, some across a boundary), plus 2 % anywhere
    in the city's bounding box (some of them outside the city)."""
    rng = random.Random(seed)
    centres = [index.centroid(ward.code) for ward in index.wards]
    lats, lons = [], []
    for _ in range(count):
        if rng.random() < 0.02:
            lats.append(rng.uniform(10.35, 11.17))
            lons.append(rng.uniform(106.35, 107.03))
            continue
        lat, lon = rng.choice(centres)
        lats.append(lat + rng.gauss(0, 0.008))
        lons.append(lon + rng.gauss(0, 0.008))
    return np.array(lats), np.array(lons)


def measure(points: int, single: int) -> dict[str, Any]:
    from bench.load import percentile
    from bench.services import CITY_FILE, WARDS_FILE
    from sosbot.geo.wards import WardIndex

    process = psutil.Process()
    gc.collect()
    before = process.memory_info().rss
    started = time.perf_counter()
    index = WardIndex.from_file(WARDS_FILE, CITY_FILE)
    load_s = time.perf_counter() - started
    gc.collect()
    held_mb = (process.memory_info().rss - before) / 2**20

    lats, lons = sample_points(index, max(points, single))
    for i in range(200):  # warm up
        index.ward_for(float(lats[i]), float(lons[i]))
    timings: list[float] = []
    hows: dict[str, int] = {}
    for i in range(single):
        lat, lon = float(lats[i]), float(lons[i])
        began_ns = time.perf_counter_ns()
        match = index.ward_for(lat, lon)
        timings.append((time.perf_counter_ns() - began_ns) / 1000)
        hows[match.how] = hows.get(match.how, 0) + 1

    index.classify(lats[:1000], lons[:1000])  # warm up
    runs: list[float] = []
    for _ in range(3):
        began = time.perf_counter()
        batch = index.classify(lats[:points], lons[:points])
        runs.append(time.perf_counter() - began)
    assert len(batch) == points
    best = min(runs)
    return {"wards": len(index), "load_s": round(load_s, 3),
            "polygons_rss_mb": round(held_mb, 1),
            "single_calls": single, "single_p50_us": round(percentile(timings, 50), 1),
            "single_p99_us": round(percentile(timings, 99), 1),
            "single_mean_us": round(sum(timings) / len(timings), 1),
            "single_how": hows,
            "batch_points": points, "batch_s": round(best, 4),
            "batch_points_per_s": round(points / best)}


async def run_in_process(points: int = 200_000, single: int = 20_000) -> dict[str, Any]:
    """Measure in a fresh process (so that the memory figure is the polygons' own)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.wards", "--points", str(points), "--single", str(single),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=bench_env())
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    if proc.returncode != 0:
        raise RuntimeError(f"bench.wards failed:\n{err.decode()}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ward lookup benchmark")
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--single", type=int, default=20_000)
    args = parser.parse_args(argv)
    # numpy, shapely and the project imported before the baseline: only the data counts
    import shapely  # noqa: F401

    import sosbot.geo.wards  # noqa: F401
    print(json.dumps(measure(args.points, args.single)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
