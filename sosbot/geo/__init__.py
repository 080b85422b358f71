"""Geography: the city's 2025 wards and outline, shipped inside the package.

``WARDS_FILE`` and ``CITY_FILE`` are the defaults of ``geo.wards_file`` and ``geo.city_file``:
a clone or an installed wheel finds them with nothing beside it (provenance and licence in
``data/README.md``).
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
WARDS_FILE = DATA_DIR / "hcmc-wards-2025.geojson.gz"
CITY_FILE = DATA_DIR / "hcmc-city-2025.geojson.gz"
GAZETTEER_FILE = DATA_DIR / "gazetteer-hcmc.json"
