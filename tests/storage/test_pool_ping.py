"""PostgreSQL's pool pings a connection before use only when it has been idle a while
(storage.db._ping_when_idle): no round trip per transaction in steady use, and a
connection the server closed during a quiet spell is replaced before anyone uses it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sosbot.storage.db import make_engine, normalize_url

IDLE_S = 0.5


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    made = make_engine(postgres_url, pool_size=1, ping_after_idle_s=IDLE_S)
    try:
        yield made
    finally:
        made.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    counted: list[int] = []
    ping = engine.dialect.do_ping

    def counting(dbapi_conn: Any) -> bool:
        counted.append(1)
        return bool(ping(dbapi_conn))

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return counted


def backend(engine: Engine) -> int:
    with engine.begin() as db:
        return int(db.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def end_backend(postgres_url: str, pid: int) -> None:
    """What a server restart, an idle timeout or a proxy does to a pooled connection."""
    admin = sa.create_engine(normalize_url(postgres_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as db:
            assert db.execute(sa.text("SELECT pg_terminate_backend(:pid)"),
                              {"pid": pid}).scalar_one()
    finally:
        admin.dispose()


def test_a_connection_in_steady_use_is_not_pinged(engine: Engine, pings: list[int]) -> None:
    first = backend(engine)
    for _ in range(20):
        assert backend(engine) == first  # the same pooled connection each time
    assert pings == []


def test_an_idle_connection_is_pinged_and_kept_when_alive(engine: Engine,
                                                          pings: list[int]) -> None:
    first = backend(engine)
    time.sleep(IDLE_S * 2)
    assert backend(engine) == first
    assert pings == [1]


def test_an_idle_connection_the_server_closed_is_replaced_before_use(
        engine: Engine, pings: list[int], postgres_url: str) -> None:
    first = backend(engine)
    end_backend(postgres_url, first)
    time.sleep(IDLE_S * 2)
    # No error reaches the caller: the ping found it dead, and the pool made a new one.
    assert backend(engine) != first
    assert pings == [1]


def test_a_connection_closed_while_in_steady_use_fails_once_then_the_pool_is_fresh(
        engine: Engine, pings: list[int], postgres_url: str) -> None:
    first = backend(engine)
    end_backend(postgres_url, first)
    with pytest.raises(sa.exc.OperationalError):
        backend(engine)  # used moments ago: not pinged; fails as a transaction mid-way would
    assert backend(engine) != first
    assert pings == []
