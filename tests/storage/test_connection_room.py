"""A worker says at start when PostgreSQL could not hold its pool at its fullest."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from sosbot.storage.db import connection_shortfall


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_pool_postgresql_cannot_hold_is_named_with_the_fix(engine: Engine) -> None:
    assert connection_shortfall(engine, 1) is None
    short = connection_shortfall(engine, 100_000)
    assert short is not None
    assert "max_connections" in short and "queue.worker_lanes" in short
    assert "may open 100000" in short


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_has_no_connection_limit_to_warn_of(engine: Engine) -> None:
    assert connection_shortfall(engine, 100_000) is None
