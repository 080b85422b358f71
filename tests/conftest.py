"""Shared fixtures: real SQLite and PostgreSQL databases, real Redis, the ward data.

Under CI (CI=true) an unreachable PostgreSQL or Redis fails the run; elsewhere the tests
that need it are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import Engine

from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.routing.geo import CityOutline
from sosbot.storage.db import make_engine, normalize_url
from sosbot.storage.migrate import upgrade

IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL",
                                   "postgresql://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SOSBOT_SHARED_DATA", REPO.parent / "shared" / "data"))


def unavailable(what: str, reason: str) -> None:
    message = f"{what} is not reachable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: this is a failure, not a skip)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "hcmc-wards-2025.geojson.gz").exists():
        unavailable("the ward data", f"no hcmc-wards-2025.geojson.gz under {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def city(shared_data: Path) -> CityOutline:
    return CityOutline.from_file(shared_data / "hcmc-city-2025.geojson.gz")


@pytest.fixture(scope="session")
def conversation_settings(city: CityOutline) -> ConversationSettings:
    return ConversationSettings(in_service_area=city.contains)


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    except sa.exc.OperationalError as exc:
        unavailable("PostgreSQL at TEST_DATABASE_URL", str(exc).splitlines()[0])
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, or the PostgreSQL test database wiped."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sosbot.db'}"
    _reset_postgres(TEST_DATABASE_URL)
    return TEST_DATABASE_URL


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def redis() -> Iterator[Redis]:
    client = Redis.from_url(TEST_REDIS_URL)
    try:
        client.ping()
    except (RedisError, OSError) as exc:
        unavailable(f"Redis at {TEST_REDIS_URL}", str(exc))
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def queue_name() -> str:
    return f"sosbot-test-{uuid.uuid4().hex[:8]}"
