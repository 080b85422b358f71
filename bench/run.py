"""Run every benchmark, print the table, write bench/RESULTS.md and bench/results.json.

``python -m bench.run`` (what ``make bench`` runs; about 17 minutes) or
``python -m bench.run --quick`` (tiny parameters, about two minutes: what the smoke
tests run, and nothing to compare with anything).
``--only ingest,wards`` runs a subset; ``--out DIR`` writes the results elsewhere;
``--render`` only rewrites RESULTS.md from results.json (after editing FINDINGS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import e2e, fanout, geocoding, ingest, services, understanding, wards
from bench.report import headline, render

STEPS = ("wards", "ingest", "e2e", "fanout", "understanding", "geocoding")


def full_options() -> dict[str, Any]:
    return {
        "wards": {"points": 200_000, "single": 20_000},
        "ingest": ingest.Options(seconds=10.0, rates=(100.0, 500.0), connections=32),
        "e2e": e2e.Options(rates=(5.0, 20.0, 100.0), seconds={5.0: 60.0, 20.0: 60.0,
                                                                100.0: 15.0},
                           workers=2, drain_timeout_s=45.0, resident_rate=5.0,
                           resident_seconds=20.0, far=((20.0, 150.0, 30.0),)),
        "fanout": fanout.Options(reports=500, wards=50, one_ward_spots=25, workers=2,
                                 timeout_s=300.0),
        "geocoding": geocoding.Options(rate=3.0, seconds=15.0, delay_s=0.3, workers=2),
    }


def quick_options() -> dict[str, Any]:
    return {
        "wards": {"points": 5_000, "single": 500},
        "ingest": ingest.Options(seconds=1.0, rates=(500.0,), connections=4,
                                 saturation_bodies=2_000),
        "e2e": e2e.Options(rates=(20.0,), seconds={20.0: 1.0}, workers=1, wards=3,
                           drain_timeout_s=30.0, resident_rate=5.0, resident_seconds=1.0,
                           database="sqlite"),
        "fanout": fanout.Options(reports=12, wards=3, one_ward_spots=2, workers=1,
                                 timeout_s=60.0, scenarios=("wards",)),
        "geocoding": geocoding.Options(rate=2.0, seconds=1.0, delay_s=0.3, workers=1,
                                       database="sqlite"),
    }


async def run(steps: tuple[str, ...], quick: bool, folder: Path,
              log: Callable[[str], None]) -> dict[str, Any]:
    options = quick_options() if quick else full_options()
    results: dict[str, Any] = {"machine": services.machine(), "quick": quick,
                               "started_at": datetime.now(UTC).isoformat(timespec="seconds")}
    durations: dict[str, float] = {}
    for step in steps:
        began = time.monotonic()
        log(f"== {step}")
        if step == "wards":
            results["wards"] = await wards.run_in_process(**options["wards"])
            w = results["wards"]
            log(f"  single p50 {w['single_p50_us']} µs, p99 {w['single_p99_us']} µs; batch "
                f"{w['batch_points_per_s']:,} points/s; polygons {w['polygons_rss_mb']} MB")
        elif step == "ingest":
            results["ingest"] = await ingest.run(options["ingest"], folder / "ingest", log)
        elif step == "e2e":
            results["e2e"] = await e2e.run_fresh(options["e2e"], folder / "e2e", log)
        elif step == "fanout":
            results["fanout"] = await fanout.run(options["fanout"], folder / "fanout", log)
        elif step == "understanding":
            results["understanding"] = u = understanding.measure()
            for name in ("in_sample", "held_out", "held_out_2", "held_out_3"):
                a = u[name]
                log(f"  {name}: category {a['category_right_pct']} %, ward "
                    f"{a['ward_right_pct']} % (or among the candidates "
                    f"{a['ward_right_or_among_pct']} %), {a['wrong_proposals']} wrong proposals")
        elif step == "geocoding":
            results["geocoding"] = await geocoding.run(options["geocoding"],
                                                       folder / "geocoding", log)
        durations[step] = round(time.monotonic() - began, 1)
    results["durations_s"] = durations
    results["machine"]["load_at_end"] = services.machine()["load_at_start"]
    return results


def _reruns(details: dict[str, Any]) -> list[dict[str, Any]]:
    """The partial re-runs merged into these results (older files kept one, as "rerun")."""
    found = list(details.get("reruns") or [])
    if details.get("rerun"):
        found.append(details["rerun"])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny parameters (smoke run)")
    parser.add_argument("--only", default=",".join(STEPS))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--folder", type=Path, default=Path("var/bench"))
    parser.add_argument("--merge", action="store_true",
                        help="keep the other steps' results from results.json")
    parser.add_argument("--render", action="store_true",
                        help="rewrite RESULTS.md from results.json, measuring nothing")
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads((args.out / "results.json").read_text())
        details = saved.pop("details")
        (args.out / "RESULTS.md").write_text(render(details, saved))
        return 0
    steps = tuple(s for s in args.only.split(",") if s)
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps {sorted(unknown)}; choose from {STEPS}")
    results = asyncio.run(run(steps, args.quick, args.folder, lambda s: print(s, flush=True)))
    if args.merge and (args.out / "results.json").exists():
        earlier = json.loads((args.out / "results.json").read_text())["details"]
        durations = {**earlier.get("durations_s", {}), **results["durations_s"]}
        # Each step keeps the time of the run that measured it last.
        reruns = [r for r in _reruns(earlier) if set(r["steps"]) - set(steps)]
        reruns = [{**r, "steps": [s for s in r["steps"] if s not in steps]} for r in reruns]
        reruns.append({"steps": list(steps), "at": results["started_at"],
                       "load_at_start": results["machine"]["load_at_start"],
                       "cpu": results["machine"]["cpu"],
                       "cores": results["machine"]["cores"]})
        results = {**earlier, **{step: results[step] for step in steps},
                   "durations_s": durations, "reruns": reruns}
        results.pop("rerun", None)
    figures = headline(results)
    figures["measured_at"] = datetime.now(UTC).date().isoformat()
    markdown = render(results, figures)
    print(markdown)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "RESULTS.md").write_text(markdown)
    (args.out / "results.json").write_text(json.dumps({**figures, "details": results},
                                                      indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
