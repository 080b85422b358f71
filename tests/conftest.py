"""Shared fixtures: real SQLite and PostgreSQL databases, real Redis, the ward data.

Under CI (CI=true) an unreachable PostgreSQL or Redis fails the run; elsewhere the tests
that need it are skipped with the reason.
"""

from __future__ import annotations

import functools
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import Engine

from sosbot import log_setup
from sosbot.config import RoutingConfig
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.geo import CITY_FILE, DATA_DIR, WARDS_FILE
from sosbot.geo.city import CityOutline
from sosbot.geo.wards import WardIndex
from sosbot.routing.rules import RoutingRules
from sosbot.storage import audit
from sosbot.storage.db import make_engine, normalize_url
from sosbot.storage.migrate import upgrade

IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL",
                                   "postgresql://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REPO = Path(__file__).resolve().parents[1]
# The audit chain's key in this process and in the processes the tests start (they inherit
# the environment), as a deployment has it from SOSBOT_AUDIT_KEY.
TEST_AUDIT_KEY = "test-audit-key-4b1d7e9c2a6f8035e1c4"
os.environ.setdefault("SOSBOT_AUDIT_KEY", TEST_AUDIT_KEY)
audit.use_key(os.environ["SOSBOT_AUDIT_KEY"])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that runs on the PostgreSQL database carries the ``postgres`` mark, however
    it was parametrised (``indirect`` parameters do not carry the fixture's marks), so
    ``-m postgres`` and ``-m "not postgres"`` select exactly those."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgres":
            item.add_marker(pytest.mark.postgres)


def closed_port() -> int:
    """A loopback port nothing listens on: taken from the kernel, then let go (a fixed one,
    such as 9, may be in use by some other program on a developer's machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unavailable(what: str, reason: str) -> None:
    message = f"{what} is not reachable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: this is a failure, not a skip)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def ward_data() -> Path:
    """The folder of the ward polygons and city outline shipped inside the package.

    They are package data, so they are always there: a missing file is a broken package and
    fails the test (never a skip).
    """
    for path in (WARDS_FILE, CITY_FILE):
        if not path.is_file():
            pytest.fail(f"the packaged ward data is missing: {path}")
    return DATA_DIR


@pytest.fixture(scope="session")
def wards(ward_data: Path) -> WardIndex:
    """The ward polygons with the city outline, loaded once (read-only, shared)."""
    return WardIndex.from_file(WARDS_FILE, CITY_FILE)


@functools.cache
def routing_rules() -> RoutingRules:
    """The routing rules every production process runs with (defaults, packaged wards),
    loaded once per test process."""
    return RoutingRules(RoutingConfig(), WardIndex.from_file(WARDS_FILE, CITY_FILE),
                        "test-callback-secret-0123456789abcdef", wards_file=WARDS_FILE)


@pytest.fixture(scope="session")
def rules(ward_data: Path) -> RoutingRules:
    return routing_rules()


@pytest.fixture(autouse=True)
def _logging_left_as_pytest_set_it() -> Iterator[None]:
    """A test that runs ``sosbot.cli.main`` in this process sets up its logging (a handler
    on the test's captured stderr, the redacting record factory): undone after it."""
    yield
    log_setup.unconfigure()


@pytest.fixture(autouse=True)
def _audit_key_left_as_it_was() -> Iterator[None]:
    """A test that runs the wiring in this process (``runtime.engine_for``) with another
    ``SOSBOT_AUDIT_KEY`` keys the chain with it for the whole process: put back after it,
    or a later test would append rows with one key and verify them with another (found
    when ``test_rekey_turns_an_upgraded_chain_into_a_keyed_one`` ran after one)."""
    key = audit._key
    yield
    audit._key = key


@pytest.fixture(scope="session")
def city(ward_data: Path) -> CityOutline:
    return CityOutline.from_file(CITY_FILE)


@pytest.fixture(scope="session")
def conversation_settings(city: CityOutline) -> ConversationSettings:
    return ConversationSettings(in_service_area=city.contains)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of its own for this test session, dropped at the end.

    Concurrent test runs on one server would otherwise wipe each other's schema. Without
    the right to create databases, the database at TEST_DATABASE_URL itself is used.
    """
    admin = sa.create_engine(normalize_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    name = f"sosbot_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.ProgrammingError:
        admin.dispose()
        yield TEST_DATABASE_URL
        return
    except sa.exc.OperationalError as exc:
        admin.dispose()
        unavailable("PostgreSQL at TEST_DATABASE_URL", str(exc).splitlines()[0])
        return
    url = sa.engine.make_url(TEST_DATABASE_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


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
    """A fresh, empty database: a SQLite file, or this session's PostgreSQL database wiped."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sosbot.db'}"
    url: str = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


_CLAIM = "sosbot:test-session-claim"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis database of its own for this test session.

    Test runs on one machine (a developer's and a helper's, say) would otherwise flush each
    other's locks and queues. Databases 15 down to 1 are tried; the first unclaimed wins.
    """
    base = Redis.from_url(TEST_REDIS_URL)
    try:
        base.ping()
    except (RedisError, OSError) as exc:
        unavailable(f"Redis at {TEST_REDIS_URL}", str(exc))
    token = uuid.uuid4().hex
    preferred = base.connection_pool.connection_kwargs.get("db", 15)
    root = TEST_REDIS_URL.rsplit("/", 1)[0]
    for db in [preferred, *range(15, 0, -1)]:
        # The database must be in the URL: redis-py lets the URL's win over db=.
        client = Redis.from_url(f"{root}/{db}")
        if client.set(_CLAIM, token, nx=True, ex=6 * 3600):
            yield f"{root}/{db}"
            if client.get(_CLAIM) == token.encode():
                client.delete(_CLAIM)
            client.close()
            return
        client.close()
    unavailable("a free Redis database", "databases 1–15 are all claimed by other test runs")


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    token = client.get(_CLAIM)
    client.flushdb()
    if token is not None:
        client.set(_CLAIM, token, ex=6 * 3600)
    yield client
    client.flushdb()
    if token is not None:
        client.set(_CLAIM, token, ex=6 * 3600)
    client.close()


@pytest.fixture
def queue_name() -> str:
    return f"sosbot-test-{uuid.uuid4().hex[:8]}"
