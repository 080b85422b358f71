"""Database engines: SQLite (WAL) by default, PostgreSQL when DATABASE_URL says so."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from sosbot.storage.driver_statements import DriverStatement, flushed
from sosbot.storage.private_files import private_dir, private_file, tighten

log = logging.getLogger(__name__)


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way (``postgresql://…``)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# A pooled PostgreSQL connection idle this long is pinged before use (see _ping_when_idle).
PING_AFTER_IDLE_S = 10.0


def make_engine(url: str, *, pool_size: int = 10,
                ping_after_idle_s: float = PING_AFTER_IDLE_S) -> Engine:
    """An engine tuned for its database; creates the SQLite file (0600) and its folder (0700)
    when needed."""
    url = normalize_url(url)
    if is_sqlite(url):
        return _sqlite_engine(url)
    engine = sa.create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                              pool_recycle=1800)
    _ping_when_idle(engine, ping_after_idle_s)
    return engine


def _ping_when_idle(engine: Engine, idle_s: float) -> None:
    """Ping a pooled connection before use only when it has been idle ``idle_s`` or more.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: a round trip and a statement
    for every transaction (about one in five of the statements a report costs). A
    connection used moments ago is almost always alive; one idle for a while may have been
    closed by the server, a proxy or a firewall, and is replaced before use, as the pre-ping
    did. A connection broken while in steady use (the server restarted) fails its next
    transaction once, as any transaction caught mid-way does; SQLAlchemy then discards every
    connection of the pool made before, so the next ones are fresh."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["sosbot_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("sosbot_idle_since", None)
        if since is None or time.monotonic() - since < idle_s:
            return  # new, or in use moments ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # any failure: the pool replaces the connection and retries
            log.info("a pooled database connection idle %.0f s was dead (%s); replaced",
                     time.monotonic() - since, type(exc).__name__)
            raise sa.exc.DisconnectionError(str(exc)) from exc


def _sqlite_engine(url: str) -> Engine:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        # Made 0600 before SQLite opens it: SQLite gives the -wal and -shm files the
        # database file's mode, so all three are the service account's alone.
        private_dir(Path(database).parent)
        private_file(Path(database))
        for suffix in ("-wal", "-shm"):
            tighten(Path(database + suffix))
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                              pool_size=8, max_overflow=8)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Autocommit at the driver level: SQLAlchemy's "begin" below issues BEGIN IMMEDIATE,
        # so two writers queue on the lock instead of failing with SQLITE_BUSY mid-transaction.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def transaction(engine: Engine | sa.Connection) -> Iterator[Session]:
    """One session in one transaction: committed on success, rolled back on any error.

    Given a connection rather than the engine, the transaction runs on it: a job that
    holds one connection for its several transactions saves the pool's checkout and
    liveness ping for each."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def end_read(conn: sa.Connection) -> None:
    """End a transaction that only read: by COMMIT, not ROLLBACK.

    psycopg forgets every statement it has prepared on a connection at each ROLLBACK
    (``DEALLOCATE ALL``: what a rolled-back transaction prepared may be gone), and counts
    afresh to its threshold (five runs) before preparing any again. A connection whose
    reads ended by rollback (a worker's job, about once a report) ran its statements
    unprepared most of the time: PostgreSQL parsed and planned each again
    (bench/FINDINGS.md, session 11). A commit of a read costs the same round trip."""
    conn.commit()


@contextmanager
def single_statement(conn: sa.Connection) -> Iterator[sa.Connection]:
    """A block that sends one statement, a read or a write that needs no other with it,
    run on its own: on PostgreSQL in autocommit (the statement is its own transaction: one
    round trip, where BEGIN, the statement and COMMIT are three; a ``transaction`` opened
    inside sends no BEGIN and no COMMIT either); elsewhere in a transaction ended by
    COMMIT (:func:`end_read`). ``conn`` must have no transaction open; it is left as it was
    found, ready for the next transaction.

    Switching is psycopg's client-side flag alone (no statement is sent), and only the
    statements of the block run in autocommit: a block of two statements commits each
    alone, which a block whose statements need no common transaction may choose (the send
    path's look: ``delivery.sending``)."""
    if conn.dialect.name != "postgresql":
        yield conn
        end_read(conn)
        return
    conn.execution_options(isolation_level="AUTOCOMMIT")
    try:
        yield conn
        conn.commit()  # (ends the autobegun transaction: nothing is sent)
    except BaseException:
        conn.rollback()  # (nothing is sent either)
        raise
    finally:
        conn.execution_options(isolation_level=conn.default_isolation_level)


class RowsInsert:
    """One INSERT for many rows of a table; their new ids, in the order of the rows.

    Run on the driver (:meth:`DriverStatement.many`): on PostgreSQL one pipeline of one
    prepared single-row INSERT a row, each returning its id, so the ids come in the
    rows' order; on SQLite one execution a row, in order.
    """

    def __init__(self, table: sa.Table, columns: Sequence[str]) -> None:
        values: dict[str, Any] = {name: sa.bindparam(name) for name in columns}
        self._insert = DriverStatement(sa.insert(table).values(values).returning(table.c.id))

    def __call__(self, session: Session, rows: list[dict[str, Any]]) -> list[int]:
        # (flushed: rows the session added before these keep the lower ids)
        return [int(row[0]) for row in self._insert.many(flushed(session), rows, fetch=True)]


class InsertMissing:
    """``INSERT … ON CONFLICT (key) DO NOTHING`` for many rows, run on the driver
    (:meth:`DriverStatement.many`), prepared once per dialect: the rows whose key is stored
    already are left as they are (a concurrent transaction inserting the same key is
    waited for, never an error). Returns the ``returning`` columns of the rows it
    inserted."""

    def __init__(self, table: sa.Table, columns: Sequence[str], key: Sequence[str],
                 returning: Sequence[str] = ()) -> None:
        values: dict[str, Any] = {name: sa.bindparam(name) for name in columns}
        self._returns = bool(returning)
        self._statements: dict[str, DriverStatement] = {}
        for dialect, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert)):
            statement: Any = insert(table).values(values).on_conflict_do_nothing(
                index_elements=list(key))
            if returning:
                statement = statement.returning(*(table.c[name] for name in returning))
            self._statements[dialect] = DriverStatement(statement)

    def __call__(self, session: Session, rows: list[dict[str, Any]]) -> list[Any]:
        if not rows:
            return []
        connection = session.connection()
        return self._statements[connection.dialect.name].many(connection, rows,
                                                             fetch=self._returns)


def ping(engine: Engine) -> None:
    """Raise if the database does not answer."""
    with engine.begin() as conn:  # (a commit: a rollback drops the prepared statements)
        conn.exec_driver_sql("SELECT 1")


def connection_shortfall(engine: Engine, wanted: int) -> str | None:
    """Whether PostgreSQL has room for ``wanted`` more connections (a process's pool at its
    fullest) beside those open now: a sentence saying what is short, or None. SQLite has
    no such limit (None)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.begin() as db:
        limit = int(db.execute(sa.text("SHOW max_connections")).scalar_one())
        reserved = int(db.execute(sa.text("SHOW superuser_reserved_connections")).scalar_one())
        in_use = int(db.execute(sa.text("SELECT count(*) FROM pg_stat_activity")).scalar_one())
    room = limit - reserved - in_use
    if wanted <= room:
        return None
    return (f"PostgreSQL has room for {max(room, 0)} more connections (max_connections "
            f"{limit}, {reserved} reserved, {in_use} open) and this process may open "
            f"{wanted}: raise max_connections, put PgBouncer in front, or lower "
            f"queue.worker_lanes")
