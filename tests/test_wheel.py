"""A built wheel runs on its own: the ward data ships inside it, nothing beside it is read.

The wheel is built from a copy of the package's sources (so no repository file can leak in),
installed into a new virtual environment, and its ``sosbot`` command run from an empty
folder. The new environment borrows the test environment's third-party packages through a
path line (not its editable install of sosbot, whose ``.pth`` hooks a path line does not
run), so the test needs no download beyond the build backend.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e

SOURCES = ("sosbot", "pyproject.toml", "README.md")


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a new virtual environment with only the wheel of sosbot."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(origin, src / name)
    dist = tmp / "dist"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                  "--disable-pip-version-check", "-w", str(dist), str(src)], cwd=tmp)
    assert built.returncode == 0, built.stderr[-3000:]
    wheels = list(dist.glob("sosbot-*.whl"))
    assert len(wheels) == 1, wheels

    venv = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    put = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                "--quiet", "--disable-pip-version-check", str(wheels[0])], cwd=tmp)
    assert put.returncode == 0, put.stderr[-3000:]
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                cwd=tmp)
    ours = sysconfig.get_paths()["purelib"]
    (Path(site.stdout.strip()) / "borrowed-dependencies.pth").write_text(ours + "\n")
    return venv / "bin"


@pytest.fixture
def empty_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def _clean_env(home: Path) -> dict[str, str]:
    """The environment of a new user: none of the project's or the tests' settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SOSBOT_", "TELEGRAM_", "ZALO_", "MESSENGER_", "PYTHON"))
           and k not in ("DATABASE_URL", "REDIS_URL", "VIRTUAL_ENV")}
    env["HOME"] = str(home)
    return env


def test_the_wheel_carries_the_ward_data_and_its_licence(installed: Path) -> None:
    wheel = next((installed.parent.parent / "dist").glob("sosbot-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("hcmc-wards-2025.geojson.gz", "hcmc-city-2025.geojson.gz",
                 "LICENSE-vietnamese-provinces-database.txt", "README.md"):
        assert f"sosbot/geo/data/{name}" in names


def test_the_installed_package_is_the_wheel_not_the_repository(installed: Path,
                                                               empty_dir: Path) -> None:
    found = _run([str(installed / "python"), "-c", "import sosbot; print(sosbot.__file__)"],
                 cwd=empty_dir, env=_clean_env(empty_dir))
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()).is_relative_to(installed.parent), found.stdout


def test_ward_for_runs_from_an_empty_folder(installed: Path, empty_dir: Path) -> None:
    result = _run([str(installed / "sosbot"), "ward-for", "10.7725", "106.6980"],
                  cwd=empty_dir, env=_clean_env(empty_dir), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "26743,Phường Bến Thành,inside"
    assert "site-packages/sosbot/geo/data/hcmc-wards-2025.geojson.gz" in result.stderr


def test_check_config_demo_passes_from_an_empty_folder(installed: Path, empty_dir: Path) -> None:
    result = _run([str(installed / "sosbot"), "check-config", "--demo"],
                  cwd=empty_dir, env=_clean_env(empty_dir), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "configuration OK" in result.stdout
