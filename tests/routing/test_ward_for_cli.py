"""``sosbot ward-for``, run in-process and as a real subprocess."""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sosbot.cli import ward_for
from sosbot.geo import CITY_FILE, WARDS_FILE
from sosbot.geo.wards import WardIndex

REPO = Path(__file__).resolve().parents[2]


FILES = ["--wards-file", str(WARDS_FILE), "--city-file", str(CITY_FILE)]


@pytest.fixture(scope="module")
def index() -> WardIndex:
    return WardIndex.from_file(WARDS_FILE, CITY_FILE)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sosbot")
    ward_for.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def _cli(
    args: list[str], stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sosbot.cli.ward_for", "ward-for", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )


def test_single_point_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse(["ward-for", "10.77979", "106.69902", *FILES])
    assert args.func is ward_for.run
    assert ward_for.run(args) == 0
    assert capsys.readouterr().out == "26740,Phường Sài Gòn,inside\n"


def test_outside_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert ward_for.run(_parse(["ward-for", "10.95", "106.82", *FILES])) == 0
    assert capsys.readouterr().out == ",,outside\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["ward-for"],  # no point
        ["ward-for", "10.7"],  # half a point
        ["ward-for", "abc", "106.7"],
        ["ward-for", "95", "106.7"],
        ["ward-for", "10.7", "nan"],
        ["ward-for", "--batch", "10.7", "106.7"],  # both
    ],
)
def test_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert ward_for.run(_parse([*argv, *FILES])) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("ward-for:")


def test_missing_data_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse(["ward-for", "10.7", "106.7", "--wards-file", str(tmp_path / "none.gz")])
    args.city_file = CITY_FILE
    assert ward_for.run(args) == 1
    assert "cannot load ward data" in capsys.readouterr().err


def test_batch_in_process_matches_single(index: WardIndex) -> None:
    rng = np.random.default_rng(11)
    assert index.city is not None
    min_lat, min_lon, max_lat, max_lon = index.city.bbox
    lats = rng.uniform(min_lat, max_lat, 1_000)
    lons = rng.uniform(min_lon, max_lon, 1_000)
    lines = [f"{lat!r},{lon!r}\n" for lat, lon in zip(lats.tolist(), lons.tolist(), strict=True)]
    out = io.StringIO()
    assert ward_for.run_batch(index, lines, out) == 0
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(rows) == len(lines)
    for (lat, lon), row in zip(zip(lats, lons, strict=True), rows, strict=True):
        match = index.ward_for(float(lat), float(lon))
        expected = [match.ward.code, match.ward.full_name] if match.ward else ["", ""]
        assert row == [*expected, match.how]


def test_batch_chunks(index: WardIndex) -> None:
    lines = ["10.77979,106.69902", "x", "10.95,106.82", "", "10.7725,106.698", "8.732,106.629"]
    lines += ["a,b", "1", "-"]  # a chunk with nothing valid in it
    out = io.StringIO()
    assert ward_for.run_batch(index, lines, out, chunk_size=3) == 5
    assert out.getvalue().splitlines() == [
        "26740,Phường Sài Gòn,inside",
        "error,expected lat and lon separated by a comma,invalid",
        ",,outside",
        "error,empty line,invalid",
        "26743,Phường Bến Thành,inside",
        "26732,Đặc khu Côn Đảo,inside",
        "error,not a number,invalid",
        "error,expected lat and lon separated by a comma,invalid",
        "error,expected lat and lon separated by a comma,invalid",
    ]


def test_batch_subprocess() -> None:
    stdin = "\n".join(
        [
            "10.77979,106.69902",  # Nhà thờ Đức Bà
            " 10.7725 , 106.698 ",  # Bến Thành market, with spaces
            "10.95,106.82",  # Biên Hòa
            "not,a point",
            "",
            "10.7,106.7,3",
            "91,106.7",
            "10.7,181",
            "8.68411,106.56171",  # 200 m off Côn Sơn island
            "10.5906,107.051",  # Phú Mỹ
            "inf,106.7",
        ]
    )
    done = _cli(["--batch", *FILES], stdin=stdin + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "26740,Phường Sài Gòn,inside",
        "26743,Phường Bến Thành,inside",
        ",,outside",
        "error,not a number,invalid",
        "error,empty line,invalid",
        "error,expected lat and lon separated by a comma,invalid",
        "error,latitude out of range,invalid",
        "error,longitude out of range,invalid",
        "26732,Đặc khu Côn Đảo,nearest",
        "26704,Phường Phú Mỹ,inside",
        "error,not a finite number,invalid",
    ]


def test_single_subprocess_and_argparse_errors() -> None:
    done = _cli(["10.7776", "106.6437", *FILES])
    assert (done.returncode, done.stdout) == (0, "27031,Phường Tân Phú,inside\n")
    bad = _cli(["--no-such-option"])
    assert bad.returncode == 2


def test_default_paths_come_from_config(tmp_path: Path) -> None:
    pytest.importorskip("sosbot.config")
    config = tmp_path / "config.yaml"
    config.write_text(
        f"geo:\n  wards_file: {WARDS_FILE}\n  city_file: {CITY_FILE}\n", encoding="utf-8"
    )
    env = {**os.environ, "SOSBOT_CONFIG": str(config)}
    done = _cli(["10.77979", "106.69902"], env=env)
    assert (done.returncode, done.stdout) == (0, "26740,Phường Sài Gòn,inside\n"), done.stderr
