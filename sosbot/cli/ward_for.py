"""``sosbot ward-for``: which ward a point (or a stream of points) falls in.

Output, one CSV line per point: ``code,full_name,how`` (``,,outside`` when outside the city);
a malformed ``--batch`` input line gives ``error,<reason>,invalid`` and processing continues.

    sosbot ward-for 10.7798 106.6990
    printf '10.7798,106.6990\\n10.95,106.82\\n' | sosbot ward-for --batch
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from sosbot.cli import Commands
from sosbot.geo.ward_batches import HOW_CODES
from sosbot.geo.wards import WardIndex

if TYPE_CHECKING:
    import _csv

log = logging.getLogger(__name__)

#: Lines classified per vectorised call in ``--batch`` mode.
BATCH_CHUNK = 65_536


def register(subparsers: Commands) -> None:
    """Add the ``ward-for`` subcommand to the CLI's subparsers."""
    parser = subparsers.add_parser("ward-for",
        description=(
            "Print 'code,full_name,how' for a point (how: inside, boundary, nearest, outside; "
            "',,outside' when outside the city). With --batch, read 'lat,lon' lines on stdin "
            "and print one line per input line ('error,<reason>,invalid' for bad lines)."
        ),
    )
    parser.add_argument("lat", nargs="?", help="latitude, WGS84 degrees")
    parser.add_argument("lon", nargs="?", help="longitude, WGS84 degrees")
    parser.add_argument(
        "--batch", action="store_true", help="read 'lat,lon' lines on stdin (vectorised)"
    )
    parser.add_argument(
        "--wards-file", type=Path, default=None, help="ward GeoJSON (.gz); default: config"
    )
    parser.add_argument(
        "--city-file", type=Path, default=None, help="city outline GeoJSON (.gz); default: config"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``ward-for``; returns the process exit code."""
    if args.batch and (args.lat is not None or args.lon is not None):
        print("ward-for: give either 'lat lon' or --batch, not both", file=sys.stderr)
        return 2
    point: tuple[float, float] | None = None
    if not args.batch:
        if args.lat is None or args.lon is None:
            print("ward-for: need 'lat lon' (or --batch)", file=sys.stderr)
            return 2
        parsed = parse_point(args.lat, args.lon)
        if isinstance(parsed, str):
            print(f"ward-for: {parsed}", file=sys.stderr)
            return 2
        point = parsed

    paths = _data_paths(args)
    if paths is None:
        return 2
    wards_file, city_file = paths
    try:
        started = time.perf_counter()
        index = WardIndex.from_file(wards_file, city_file)
        log.debug("ward index loaded in %.2f s", time.perf_counter() - started)
    except (OSError, ValueError, KeyError) as exc:
        print(f"ward-for: cannot load ward data: {exc}", file=sys.stderr)
        return 1

    if point is not None:
        match = index.ward_for(*point)
        row = (
            [match.ward.code, match.ward.full_name, match.how]
            if match.ward is not None
            else ["", "", match.how]
        )
        csv.writer(sys.stdout, lineterminator="\n").writerow(row)
        return 0
    run_batch(index, sys.stdin, sys.stdout)
    return 0


def _data_paths(args: argparse.Namespace) -> tuple[Path, Path] | None:
    wards_file: Path | None = args.wards_file
    city_file: Path | None = args.city_file
    if wards_file is None or city_file is None:
        try:
            from sosbot.config import load_settings
        except ImportError as exc:
            print(
                f"ward-for: no configuration ({exc}); pass --wards-file and --city-file",
                file=sys.stderr,
            )
            return None
        settings = load_settings()
        wards_file = wards_file if wards_file is not None else Path(settings.geo.wards_file)
        city_file = city_file if city_file is not None else Path(settings.geo.city_file)
    return wards_file, city_file


def parse_point(lat_text: str, lon_text: str) -> tuple[float, float] | str:
    """``(lat, lon)`` from text, or a short reason (no commas) why not."""
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        return "not a number"
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return "not a finite number"
    if not -90.0 <= lat <= 90.0:
        return "latitude out of range"
    if not -180.0 <= lon <= 180.0:
        return "longitude out of range"
    return lat, lon


def _parse_line(line: str) -> tuple[float, float] | str:
    text = line.strip()
    if not text:
        return "empty line"
    parts = text.split(",")
    if len(parts) != 2:
        return "expected lat and lon separated by a comma"
    return parse_point(parts[0].strip(), parts[1].strip())


def run_batch(
    index: WardIndex, lines: Iterable[str], out: TextIO, *, chunk_size: int = BATCH_CHUNK
) -> int:
    """Classify ``lat,lon`` lines ``chunk_size`` at a time, writing one CSV line per input line;
    returns the number of malformed lines."""
    writer = csv.writer(out, lineterminator="\n")
    errors = 0
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= chunk_size:
            errors += _write_chunk(index, chunk, writer)
            chunk = []
    if chunk:
        errors += _write_chunk(index, chunk, writer)
    return errors


def _write_chunk(index: WardIndex, lines: Sequence[str], writer: _csv.Writer) -> int:
    parsed = [_parse_line(line) for line in lines]
    good = [p for p in parsed if not isinstance(p, str)]
    lats = np.fromiter((p[0] for p in good), dtype=np.float64, count=len(good))
    lons = np.fromiter((p[1] for p in good), dtype=np.float64, count=len(good))
    batch = index.classify(lats, lons)
    wards = index.wards
    ward_idx = batch.ward_idx.tolist()
    how = batch.how.tolist()
    rows: list[list[str]] = []
    k = 0
    for p in parsed:
        if isinstance(p, str):
            rows.append(["error", p, "invalid"])
            continue
        w = ward_idx[k]
        if w >= 0:
            rows.append([wards[w].code, wards[w].full_name, HOW_CODES[how[k]]])
        else:
            rows.append(["", "", HOW_CODES[how[k]]])
        k += 1
    writer.writerows(rows)
    return len(parsed) - len(good)


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m sosbot.cli.ward_for ward-for ...``."""
    parser = argparse.ArgumentParser(prog="sosbot")
    subparsers = parser.add_subparsers(dest="command", required=True)
    register(subparsers)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
