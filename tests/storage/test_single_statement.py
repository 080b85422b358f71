"""One statement on its own (storage.db.single_statement): on PostgreSQL it runs in
autocommit, one round trip instead of BEGIN, the read and COMMIT; the connection then takes
transactions as before. On SQLite it is a read ended by COMMIT."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sosbot.storage.db import single_statement, transaction

pytestmark = pytest.mark.usefixtures("database_url")

TABLE = "single_statement_probe"


def in_transaction(db: sa.Connection) -> bool:
    """Whether the server has a transaction open on this connection (PostgreSQL)."""
    raw = db.connection.dbapi_connection
    assert raw is not None
    return bool(raw.info.transaction_status != 0)  # psycopg's IDLE


def test_a_single_statement_opens_no_transaction_and_leaves_the_connection_transactional(
        engine: Engine) -> None:
    with engine.begin() as db:
        db.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {TABLE} (n INTEGER)"))
        db.execute(sa.text(f"DELETE FROM {TABLE}"))
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as db:
        with single_statement(db):
            assert db.execute(sa.text(f"SELECT count(*) FROM {TABLE}")).scalar_one() == 0
            if postgres:
                assert not in_transaction(db)  # no BEGIN was sent: autocommit
        # The same connection, afterwards: a transaction again, rolled back entirely.
        db.execute(sa.text(f"INSERT INTO {TABLE} (n) VALUES (1)"))
        if postgres:
            assert in_transaction(db)
        db.rollback()
        with single_statement(db):
            assert db.execute(sa.text(f"SELECT count(*) FROM {TABLE}")).scalar_one() == 0
        db.execute(sa.text(f"INSERT INTO {TABLE} (n) VALUES (2)"))
        db.commit()
    with engine.connect() as db, single_statement(db):
        assert db.execute(sa.text(f"SELECT n FROM {TABLE}")).scalars().all() == [2]
    with engine.begin() as db:
        db.execute(sa.text(f"DROP TABLE {TABLE}"))


def test_a_failed_single_statement_leaves_the_connection_usable(engine: Engine) -> None:
    with engine.connect() as db:
        with pytest.raises(sa.exc.DBAPIError), single_statement(db):
            db.execute(sa.text("SELECT * FROM no_such_table_here"))
        with single_statement(db):
            assert db.execute(sa.text("SELECT 1")).scalar_one() == 1


def test_a_transaction_inside_sends_its_one_write_alone(engine: Engine) -> None:
    """The send path records a plain text's outcome (one UPDATE) through its usual
    ``transaction``: inside ``single_statement`` that transaction sends no BEGIN and no
    COMMIT on PostgreSQL, and the write is committed all the same."""
    with engine.begin() as db:
        db.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {TABLE} (n INTEGER)"))
        db.execute(sa.text(f"DELETE FROM {TABLE}"))
    with engine.connect() as db:
        with single_statement(db), transaction(db) as session:
            session.connection().execute(sa.text(f"INSERT INTO {TABLE} (n) VALUES (7)"))
            if engine.dialect.name == "postgresql":
                assert not in_transaction(db)  # committed by the statement itself
        db.execute(sa.text(f"INSERT INTO {TABLE} (n) VALUES (8)"))
        db.rollback()  # a transaction again: the second write is undone
    with engine.connect() as db, single_statement(db):
        assert db.execute(sa.text(f"SELECT n FROM {TABLE}")).scalars().all() == [7]
    with engine.begin() as db:
        db.execute(sa.text(f"DROP TABLE {TABLE}"))
