"""Statements on the driver's cursor (storage.driver_statements): the same rows and the same
effects as SQLAlchemy's execution, on SQLite and PostgreSQL, inside the connection's
transaction, with SQLAlchemy's errors and its invalidation of a lost connection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sosbot.storage.driver_statements import DriverStatement
from sosbot.storage.tables import UTCDateTime

pytestmark = pytest.mark.usefixtures("database_url")


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


METADATA = sa.MetaData()
PROBE = sa.Table(
    "driver_statement_probe", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("colour", sa.String, nullable=False),
    sa.Column("at", UTCDateTime(), nullable=True),
    sa.Column("payload", sa.JSON, nullable=True),
    sa.Column("note", sa.String, nullable=True),
    sa.Column("lat", sa.Float, nullable=True),  # (a float's reading depends on the driver's type)
)
AT = datetime(2026, 12, 7, 21, 30, 15, 123456, tzinfo=UTC)

SELECT_BLUE_FROM = sa.select(PROBE.c.id, PROBE.c.name, PROBE.c.colour, PROBE.c.at,
                             PROBE.c.payload, PROBE.c.note, PROBE.c.lat).where(
    PROBE.c.colour == Colour.BLUE, PROBE.c.at >= sa.bindparam("since"),
    PROBE.c.id >= sa.bindparam("from_id"),
    (PROBE.c.note.is_(None)) | (PROBE.c.id == sa.bindparam("from_id"))).order_by(PROBE.c.id)
PAINT = sa.update(PROBE).where(PROBE.c.id == sa.bindparam("row_id")).values(
    colour=Colour.RED, note=None, at=sa.bindparam("at"), payload=sa.bindparam("payload"))


@pytest.fixture
def probe(engine: Engine) -> Iterator[Engine]:
    METADATA.create_all(engine)
    with engine.begin() as db:
        db.execute(sa.insert(PROBE), [
            {"id": 1, "name": "một", "colour": Colour.BLUE, "at": AT, "payload": {"a": [1, 2]},
             "note": None, "lat": 10.7769},
            {"id": 2, "name": "hai", "colour": Colour.BLUE, "at": AT + timedelta(hours=1),
             "payload": None, "note": "x", "lat": None},
            {"id": 3, "name": "ba", "colour": Colour.BLUE, "at": None, "payload": {"b": "ư"},
             "note": None, "lat": 10.5},
            {"id": 4, "name": "bốn", "colour": Colour.RED, "at": AT, "payload": None,
             "note": None, "lat": 11.0},
        ])
    yield engine
    METADATA.drop_all(engine)


def both_ways(db: sa.Connection, statement: Any, params: dict[str, Any]
              ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    return ([tuple(row) for row in db.execute(statement, params)],
            DriverStatement(statement).rows(db, params))


def test_rows_are_the_ones_sqlalchemy_reads_with_the_same_types(probe: Engine) -> None:
    with probe.connect() as db:
        for params in ({"since": AT, "from_id": 1}, {"since": AT, "from_id": 2},
                       {"since": AT + timedelta(days=1), "from_id": 1}):
            by_sqlalchemy, by_driver = both_ways(db, SELECT_BLUE_FROM, params)
            assert by_driver == by_sqlalchemy
        rows = DriverStatement(SELECT_BLUE_FROM).rows(db, {"since": AT, "from_id": 1})
        assert [row[0] for row in rows] == [1]
        assert rows[0][3] == AT and rows[0][3].tzinfo is UTC  # UTCDateTime's own reading
        assert rows[0][4] == {"a": [1, 2]}  # JSON read back as JSON
        assert rows[0][6] == 10.7769 and isinstance(rows[0][6], float)
        assert DriverStatement(SELECT_BLUE_FROM).first(
            db, {"since": AT, "from_id": 99}) is None
        db.commit()


def test_a_write_converts_its_values_and_belongs_to_the_transaction(probe: Engine) -> None:
    paint = DriverStatement(PAINT)
    later = AT + timedelta(minutes=5)
    with probe.connect() as db:
        assert not db.in_transaction()
        assert paint.run(db, {"row_id": 2, "at": later, "payload": {"đ": True}}) == 1
        assert db.in_transaction()  # begun as SQLAlchemy's autobegin would
        db.rollback()
        assert db.execute(sa.select(PROBE.c.colour)
                          .where(PROBE.c.id == 2)).scalar_one() == Colour.BLUE
        db.rollback()
        assert paint.run(db, {"row_id": 2, "at": later, "payload": {"đ": True}}) == 1
        assert paint.run(db, {"row_id": 99, "at": later, "payload": None}) == 0
        db.commit()
    with probe.connect() as db:
        row = db.execute(sa.select(PROBE).where(PROBE.c.id == 2)).one()
        db.commit()
    assert (row.colour, row.note, row.at, row.payload) == ("red", None, later, {"đ": True})


def test_inside_an_orm_transaction_it_commits_with_it(probe: Engine) -> None:
    from sosbot.storage.db import transaction
    with transaction(probe) as session:
        DriverStatement(PAINT).run(session.connection(), {"row_id": 3, "at": AT,
                                                          "payload": None})
    with probe.connect() as db:
        assert db.execute(sa.select(PROBE.c.colour)
                          .where(PROBE.c.id == 3)).scalar_one() == "red"
        db.commit()


def test_errors_are_sqlalchemys_and_the_connection_goes_on(probe: Engine) -> None:
    duplicate = DriverStatement(sa.update(PROBE).where(PROBE.c.id == sa.bindparam("row_id"))
                                .values(id=1))
    with probe.connect() as db:
        with pytest.raises(sa.exc.IntegrityError):
            duplicate.run(db, {"row_id": 2})
        db.rollback()
        assert DriverStatement(SELECT_BLUE_FROM).rows(db, {"since": AT, "from_id": 1})
        db.commit()


def test_listeners_of_the_engine_see_each_statement(probe: Engine) -> None:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    sa.event.listen(probe, "before_cursor_execute", count)
    try:
        with probe.connect() as db:
            DriverStatement(SELECT_BLUE_FROM).rows(db, {"since": AT, "from_id": 1})
            db.commit()
    finally:
        sa.event.remove(probe, "before_cursor_execute", count)
    assert [s for s in seen if "driver_statement_probe" in s] != []


def test_named_rows_read_their_columns_by_name(probe: Engine) -> None:
    with probe.connect() as db:
        row = DriverStatement(SELECT_BLUE_FROM, named=True).first(
            db, {"since": AT, "from_id": 1})
        db.commit()
    assert row is not None
    assert (row.id, row.name, row.colour, row.lat) == (1, "một", "blue", 10.7769)
    assert row[:2] == (1, "một")


def test_a_list_given_at_each_run_reads_what_sqlalchemy_reads_at_every_length(
        probe: Engine) -> None:
    statement = sa.select(PROBE.c.id, PROBE.c.at).where(
        PROBE.c.id.in_(sa.bindparam("ids", expanding=True)),
        PROBE.c.colour.in_([Colour.BLUE, Colour.RED]),  # a fixed list
        (PROBE.c.at.is_(None)) | PROBE.c.at.in_(sa.bindparam("ats", expanding=True)),
    ).order_by(PROBE.c.id)
    driver = DriverStatement(statement)
    with probe.connect() as db:
        for ids, ats in (([1, 2, 3, 4], [AT]), ([2], [AT + timedelta(hours=1), AT]),
                         ([], [AT]), ([1, 3], []), ([4, 1, 4], [AT]), ([1, 2, 3, 4], [AT])):
            by_sqlalchemy, by_driver = both_ways(db, statement, {"ids": ids, "ats": ats})
            assert by_driver == by_sqlalchemy, (ids, ats)
        assert [row[0] for row in driver.rows(db, {"ids": [1, 2, 3, 4], "ats": [AT]})] \
            == [1, 3, 4]  # (2 is an hour later; 3 has no time)
        db.commit()


@pytest.mark.postgres
def test_a_lost_connection_is_invalidated_not_returned_to_the_pool(probe: Engine) -> None:
    if probe.dialect.name != "postgresql":
        pytest.skip("a server that ends a session: PostgreSQL")
    read = DriverStatement(SELECT_BLUE_FROM)
    with probe.connect() as db:
        pid = db.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        db.commit()
        with probe.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            other.commit()
        with pytest.raises(sa.exc.DBAPIError) as lost:
            read.rows(db, {"since": AT, "from_id": 1})
        assert lost.value.connection_invalidated
    with probe.connect() as db:  # a fresh connection from the pool, and it works
        assert [row[0] for row in read.rows(db, {"since": AT, "from_id": 1})] == [1]
        db.commit()


def test_flushed_lets_a_statement_read_what_the_session_has_added(probe: Engine) -> None:
    from sosbot.storage.db import transaction
    from sosbot.storage.driver_statements import flushed
    from sosbot.storage.tables import Reporter
    reporters: sa.Table = Reporter.__table__  # type: ignore[attr-defined]
    read = DriverStatement(sa.select(reporters.c.display_name).where(
        reporters.c.platform_user_id == sa.bindparam("uid")))
    with transaction(probe) as session:
        session.add(Reporter(channel="telegram", platform_user_id="77", display_name="Lan",
                             lang="vi", created_at=AT))
        assert read.rows(session.connection(), {"uid": "77"}) == []  # not flushed yet
        assert read.rows(flushed(session), {"uid": "77"}) == [("Lan",)]
        session.rollback()


def test_a_textual_statement_reads_values_as_the_driver_gives_them(probe: Engine) -> None:
    with probe.connect() as db:
        assert DriverStatement(sa.text("SELECT count(*) FROM driver_statement_probe "
                                       "WHERE id >= :n")).rows(db, {"n": 2}) == [(3,)]
        db.commit()


INSERT_RETURNING = sa.insert(PROBE).values(
    {name: sa.bindparam(name) for name in ("id", "name", "colour", "at", "payload", "lat")}
).returning(PROBE.c.id, PROBE.c.name, PROBE.c.at, PROBE.c.payload, PROBE.c.lat)


def test_many_rows_inserted_return_their_rows_in_order_with_sqlalchemys_types(
        probe: Engine) -> None:
    rows = [{"id": 11 - n, "name": f"hàng {n}", "colour": Colour.BLUE,
             "at": AT + timedelta(seconds=n), "payload": {"n": n, "ư": [n]} if n % 2 else None,
             "lat": 10.0 + n / 8}
            for n in range(7)]
    with probe.connect() as db:
        found = DriverStatement(INSERT_RETURNING).many(db, rows, fetch=True)
        assert db.in_transaction()
        db.commit()
        stored = [tuple(row) for row in db.execute(
            sa.select(PROBE.c.id, PROBE.c.name, PROBE.c.at, PROBE.c.payload, PROBE.c.lat)
            .where(PROBE.c.id > 4).order_by(PROBE.c.id.desc()))]
        db.commit()
    assert found == stored  # in the order of the rows given, as SQLAlchemy reads them back
    assert [row[1] for row in found] == [row["name"] for row in rows]
    assert found[1][2] == AT + timedelta(seconds=1) and found[1][3] == {"n": 1, "ư": [1]}


def test_many_without_fetch_runs_each_and_a_conflict_returns_nothing(probe: Engine) -> None:
    from sqlalchemy.dialects import postgresql, sqlite
    with probe.connect() as db:
        insert = (postgresql.insert if db.dialect.name == "postgresql" else sqlite.insert)(
            PROBE).values({"id": sa.bindparam("id"), "name": sa.bindparam("name"),
                           "colour": "blue"}).on_conflict_do_nothing(index_elements=["id"])
        statement = DriverStatement(insert.returning(PROBE.c.id))
        assert statement.many(db, [], fetch=True) == []
        found = statement.many(db, [{"id": 3, "name": "x"}, {"id": 9, "name": "chín"},
                                    {"id": 1, "name": "y"}, {"id": 8, "name": "tám"}],
                               fetch=True)
        assert found == [(9,), (8,)]
        DriverStatement(PAINT).many(db, [{"row_id": 9, "at": AT, "payload": None},
                                         {"row_id": 8, "at": AT, "payload": {"k": 1}}])
        db.commit()
        assert [tuple(row) for row in db.execute(
            sa.select(PROBE.c.id, PROBE.c.name, PROBE.c.colour).where(PROBE.c.id > 4)
            .order_by(PROBE.c.id))] == [(8, "tám", "red"), (9, "chín", "red")]
        db.commit()


def test_many_fails_whole_with_sqlalchemys_error_and_the_connection_goes_on(
        probe: Engine) -> None:
    insert = DriverStatement(sa.insert(PROBE).values(
        {"id": sa.bindparam("id"), "name": sa.bindparam("name"), "colour": "blue"}))
    with probe.connect() as db:
        with pytest.raises(sa.exc.IntegrityError):
            insert.many(db, [{"id": 20, "name": "a"}, {"id": 2, "name": "b"}])
        db.rollback()
        assert db.execute(sa.select(sa.func.count()).select_from(PROBE)
                          .where(PROBE.c.id == 20)).scalar_one() == 0
        insert.many(db, [{"id": 20, "name": "a"}])
        db.commit()


def test_many_refuses_a_statement_with_a_list(probe: Engine) -> None:
    with probe.connect() as db, pytest.raises(ValueError):
        DriverStatement(sa.select(PROBE.c.id).where(
            PROBE.c.id.in_(sa.bindparam("ids", expanding=True)))).many(db, [{"ids": [1]}])
