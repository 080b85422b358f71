"""The ward data ships inside the package, unchanged from its source, and is the default."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from sosbot.config import GeoConfig, load_settings
from sosbot.geo import CITY_FILE, DATA_DIR, WARDS_FILE

# The SHA-256 of the files as handed over (shared/data/, 2026-08). Replacing the polygons is
# a deliberate change: update these digests and data/README.md together.
DIGESTS = {
    "hcmc-wards-2025.geojson.gz":
        "ae05e8d40cb71859584a8dbc268d36b584fa517d9a7f5e0341cf69c606004e7f",
    "hcmc-city-2025.geojson.gz":
        "0283ecd87fc99db9933ea1ad6a531b58bad2b87b3aefa75a3e58bd098688e3c9",
}


def test_packaged_files_are_the_handed_over_ones() -> None:
    for name, digest in DIGESTS.items():
        assert hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest() == digest, name
    assert "MIT License" in (DATA_DIR / "LICENSE-vietnamese-provinces-database.txt").read_text()
    assert "vietnamese-provinces-database" in (DATA_DIR / "README.md").read_text()


def test_the_wards_file_holds_the_168_units_of_2025() -> None:
    with gzip.open(WARDS_FILE, "rt", encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    assert len(features) == 168
    kinds = sorted(f["properties"]["unit_type"] for f in features)
    assert (kinds.count("phuong"), kinds.count("xa"), kinds.count("dac_khu")) == (113, 54, 1)


def test_packaged_files_are_the_defaults(tmp_path: Path) -> None:
    assert GeoConfig().wards_file == WARDS_FILE and GeoConfig().city_file == CITY_FILE
    settings = load_settings({"SOSBOT_CONFIG": str(tmp_path / "absent.yaml")})
    assert settings.geo.wards_file == WARDS_FILE and settings.geo.city_file == CITY_FILE
    (tmp_path / "config.yaml").write_text("geo: {}\n")
    settings = load_settings({"SOSBOT_CONFIG": str(tmp_path / "config.yaml")})
    assert settings.geo.wards_file == WARDS_FILE


def test_the_repositorys_config_names_no_ward_file_outside_the_package() -> None:
    from tests.conftest import REPO

    settings = load_settings({"SOSBOT_CONFIG": str(REPO / "config.yaml")})
    assert settings.geo.wards_file == WARDS_FILE and settings.geo.city_file == CITY_FILE


def test_nothing_reads_the_hand_over_folder() -> None:
    """A clone has nothing beside it: neither the product nor the tests may look there."""
    from tests.conftest import REPO

    needle = "/".join(("..", "shared"))
    offenders = [str(path.relative_to(REPO))
                 for folder in ("sosbot", "tests", "bench")
                 for path in (REPO / folder).rglob("*")
                 if path.suffix in (".py", ".yaml", ".toml") and needle in path.read_text()]
    offenders += ["config.yaml"] if needle in (REPO / "config.yaml").read_text() else []
    assert offenders == []
