"""A read ends by COMMIT (storage.db.end_read): psycopg drops every statement it prepared on
a connection at each ROLLBACK, so connections whose reads ended by rollback ran their
statements unprepared, parsed and planned again by PostgreSQL each time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sosbot.storage.db import end_read, make_engine

READ = sa.text("SELECT count(*) FROM pg_class WHERE relname = :name")
PREPARED = sa.text("SELECT count(*) FROM pg_prepared_statements")
RUNS = 6  # psycopg prepares a statement at its fifth run on a connection


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    made = make_engine(postgres_url, pool_size=1)
    try:
        yield made
    finally:
        made.dispose()


def prepared_after_reads(engine: Engine, end: str) -> int:
    with engine.connect() as db:
        for _ in range(RUNS):
            db.execute(READ, {"name": "pg_class"}).scalar_one()
            if end == "commit":
                end_read(db)
            else:
                db.rollback()
        count = int(db.execute(PREPARED).scalar_one())
        end_read(db)
        return count


def test_reads_ended_by_end_read_keep_their_prepared_statements(engine: Engine) -> None:
    assert prepared_after_reads(engine, "commit") >= 1


def test_reads_ended_by_rollback_lose_them(engine: Engine) -> None:
    """Why end_read exists: if psycopg stops dropping them, end_read may go."""
    assert prepared_after_reads(engine, "rollback") == 0
