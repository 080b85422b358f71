"""Hot statements run on the database driver's own cursor, SQLAlchemy's work done once.

Executing a Core statement through SQLAlchemy costs its Python about 0.19 ms of CPU on
PostgreSQL where the driver alone costs 0.07 ms (``_NEXT_FOR_CHAT``, measured in session
13, bench/FINDINGS.md): each execution looks the statement up in the compiled cache, builds
an execution context, processes its parameters and wraps the cursor in a result. A worker's
send and the writer's processing run a few dozen statements a report, so that difference
is a real part of a report's cost.

A :class:`DriverStatement` is written as any Core statement (one definition for every
dialect); it is compiled once per dialect, its fixed parameters (the literals inside the
statement) processed once, and each run sends the SQL and the caller's values, converted
by the columns' own type processors, through the connection's DBAPI cursor. What
SQLAlchemy does around an execution is kept:

- the connection's transaction: a connection with none begins one first, as SQLAlchemy's
  autobegin would (SQLite's BEGIN IMMEDIATE comes from that begin), so ``commit`` and
  ``rollback`` mean what they mean for any statement; autocommit
  (``storage.db.single_statement``) holds as well;
- errors: a driver error goes through the connection's own handling, so it is raised as
  SQLAlchemy's wrapped exception (``IntegrityError``, ``OperationalError``…) and a lost
  connection is invalidated, never returned to the pool;
- the engine's ``before_cursor_execute`` and ``after_cursor_execute`` listeners (the
  benchmarks' and tests' statement counts) are called when there are any.

An ``IN`` of a list (an expanding parameter) is compiled once for each length the list
comes with (SQLAlchemy's own expansion, done once), its items then sent as parameters.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]
# The lengths of its lists a statement keeps the SQL of (a job's rows, a batch's events:
# a few dozen at most); any other is compiled for its run alone.
FORMS_KEPT = 256


@dataclass(frozen=True)
class _Form:
    """The SQL a statement sends, for one length of each of its lists."""

    sql: str
    fixed: dict[str, Any]  # the statement's literals, processed
    given: tuple[tuple[str, str, Processor | None], ...]  # the caller's: key, name, processor
    # The caller's lists: key, the parameters its items go to, the items' processor.
    lists: tuple[tuple[str, tuple[str, ...], Processor | None], ...]
    positions: tuple[str, ...] | None  # the order of a positional paramstyle


@dataclass
class _Compiled:
    """One statement compiled for one dialect."""

    compiled: SQLCompiler
    list_keys: tuple[str, ...]  # the caller's lists (expanding parameters), in order
    forms: dict[tuple[int, ...], _Form]  # by the lists' lengths
    result_types: tuple[Any, ...]  # the columns' types, in order
    row: Callable[[Any], tuple[Any, ...]]  # a row (named: its columns by their keys)
    # The columns' result processors, found at the first run: some depend on the type the
    # driver says a column has (a float or a numeric, on PostgreSQL). None: none to apply.
    results: tuple[Processor | None, ...] | None = None
    results_known: bool = False


class DriverStatement:
    """A Core statement run on the driver's cursor (module docstring)."""

    def __init__(self, statement: sa.ClauseElement, *, named: bool = False) -> None:
        """``named``: rows whose columns are read by their names as well (``row.code``),
        as SQLAlchemy's rows are; otherwise plain tuples."""
        self.statement = statement
        self.named = named
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, conn: sa.Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row the statement returns."""
        compiled = self._compiled_for(conn.dialect)
        rows = self._run(conn, compiled, params, fetch=True)
        if compiled.results is not None:
            rows = [_processed(row, compiled.results) for row in rows]
        return rows if not self.named else [compiled.row(row) for row in rows]

    def first(self, conn: sa.Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row the statement returns, or None."""
        rows = self.rows(conn, params)
        return rows[0] if rows else None

    def run(self, conn: sa.Connection, params: Mapping[str, Any]) -> int:
        """Run a statement that returns no rows; how many rows it changed."""
        count = self._run(conn, self._compiled_for(conn.dialect), params, fetch=False)
        assert isinstance(count, int)
        return count

    def many(self, conn: sa.Connection, rows: Sequence[Mapping[str, Any]], *,
             fetch: bool = False) -> list[tuple[Any, ...]]:
        """Run the statement once for each of ``rows`` (an INSERT of many rows, an UPDATE
        of many): on PostgreSQL as one pipeline (one round trip; psycopg prepares the
        statement, so its SQL is converted and parsed once, where a multi-row ``VALUES``
        of SQLAlchemy's is converted anew for every size, and not cached once over 50
        values); elsewhere one execution a row (SQLite runs in the process: no round trip
        to save). With ``fetch``, every row each run returns, in the order of ``rows``
        (a run that returns none adds none: ``ON CONFLICT DO NOTHING``)."""
        if not rows:
            return []
        compiled = self._compiled_for(conn.dialect)
        if compiled.list_keys:
            raise ValueError("a statement with a list runs one set of values at a time")
        form = compiled.forms.get(())
        if form is None:
            form = compiled.forms[()] = _form(compiled.compiled, rows[0])
        parameters = [_parameters(form, row) for row in rows]
        found = self._execute(conn, compiled, form.sql, parameters, fetch=fetch, many=True)
        if not fetch:
            return []
        if compiled.results is not None:
            found = [_processed(row, compiled.results) for row in found]
        return found if not self.named else [compiled.row(row) for row in found]

    def _compiled_for(self, dialect: sa.Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _compile(self.statement, dialect,
                                                            self.named)
        return found

    def _run(self, conn: sa.Connection, compiled: _Compiled, params: Mapping[str, Any],
             *, fetch: bool) -> Any:
        shape = tuple(len(params[key]) for key in compiled.list_keys)
        form = compiled.forms.get(shape)
        if form is None:
            form = _form(compiled.compiled, params)
            if len(compiled.forms) < FORMS_KEPT:
                compiled.forms[shape] = form
        return self._execute(conn, compiled, form.sql, _parameters(form, params),
                             fetch=fetch, many=False)

    def _execute(self, conn: sa.Connection, compiled: _Compiled, sql: str,
                 parameters: Any, *, fetch: bool, many: bool) -> Any:
        if not conn.in_transaction():
            conn.begin()  # (as SQLAlchemy's autobegin: a commit or rollback ends it)
        cursor = None
        try:
            cursor = _cursor(conn.connection)
            listened = conn._has_events or conn.engine._has_events
            if listened:
                for before in conn.dispatch.before_cursor_execute:
                    sql, parameters = before(conn, cursor, sql, parameters, None, many)
            pipelined = conn.dialect.driver == "psycopg"
            collected = _send(cursor, sql, parameters, fetch=fetch, many=many,
                              pipelined=pipelined)
            if listened:
                for after in conn.dispatch.after_cursor_execute:
                    after(conn, cursor, sql, parameters, None, many)
            if not fetch:
                return cursor.rowcount
            if not compiled.results_known:
                _know_results(compiled, conn.dialect, cursor.description)
            return collected if collected is not None else _fetched(cursor, many=many)
        except BaseException as exc:
            # SQLAlchemy's own path: wrapped, and a lost connection invalidated.
            conn.connection.info.pop(_CURSOR, None)
            conn._handle_dbapi_exception(exc, sql, parameters, cursor, None)


def _send(cursor: Any, sql: str, parameters: Any, *, fetch: bool, many: bool,
          pipelined: bool) -> list[tuple[Any, ...]] | None:
    """Execute one run or many (psycopg: one pipeline). The rows of many runs one at a time
    (a driver without pipelines, asked for rows) are read as they run: those are returned;
    otherwise None (read by :func:`_fetched`)."""
    if not many:
        cursor.execute(sql, parameters)
    elif pipelined or not fetch:
        cursor.executemany(sql, parameters, **({"returning": fetch} if pipelined else {}))
    else:
        collected: list[tuple[Any, ...]] = []
        for one in parameters:
            cursor.execute(sql, one)
            collected += cursor.fetchall()
        return collected
    return None


def _fetched(cursor: Any, *, many: bool) -> list[tuple[Any, ...]]:
    """The rows of the run, or of every run of a pipeline (psycopg: one result a run)."""
    found: list[tuple[Any, ...]] = list(cursor.fetchall())
    while many and cursor.nextset():
        found += cursor.fetchall()
    return found


def _parameters(form: _Form, params: Mapping[str, Any]) -> Any:
    """The values of one run as the driver takes them: the statement's own and the
    caller's, processed, by name or in the positional order."""
    values = dict(form.fixed)
    for key, name, process in form.given:
        value = params[key]
        values[name] = value if process is None or value is None else process(value)
    for key, names, process in form.lists:
        values.update(zip(names, params[key] if process is None else (
            None if item is None else process(item) for item in params[key]),
            strict=True))
    return values if form.positions is None else tuple(
        values[name] for name in form.positions)


def flushed(session: Session) -> sa.Connection:
    """The session's connection, its pending changes flushed first, as the session's own
    ``execute`` does (autoflush, unless the session has it off): a statement run on the
    driver then reads what the session has added or changed."""
    if session.autoflush:
        session.flush()
    return session.connection()


_CURSOR = "sosbot_driver_cursor"


def _cursor(pooled: Any) -> Any:
    """The driver cursor kept with a pooled connection (making one costs a third of a
    statement's own time): a cursor is used by one thread at a time, as its connection
    is, and read to the end before the next statement."""
    driver = pooled.driver_connection
    cursor = pooled.info.get(_CURSOR)
    if cursor is None or cursor.connection is not driver:
        cursor = pooled.info[_CURSOR] = driver.cursor()
    return cursor


def _compile(statement: sa.ClauseElement, dialect: sa.Dialect, named: bool) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    if compiled.literal_execute_params:
        raise ValueError("a statement with literal-execute parameters cannot run on the "
                         "driver alone (SQLAlchemy renders their values into its SQL)")
    lists = tuple(bind.key for bind in compiled.post_compile_params if bind.required)
    row: Callable[[Any], tuple[Any, ...]] = tuple
    if named:
        row = namedtuple(  # type: ignore[attr-defined]
            "Row", [column.keyname for column in compiled._result_columns])._make
    # (each form is made at the first run of its lengths: a fixed list is expanded with
    # the first run's other values at hand, which SQLAlchemy's expansion asks for)
    return _Compiled(compiled, lists, {},
                     tuple(column.type for column in compiled._result_columns), row)


def _form(compiled: SQLCompiler, params: Mapping[str, Any]) -> _Form:
    """The SQL for the lengths of ``params``' lists (SQLAlchemy renders a list's items as
    parameters of their own: ``ids_1, ids_2…``), and where each value goes."""
    processors: dict[str, Any] = dict(compiled._bind_processors)
    sql: str = compiled.string
    positions: Sequence[str] | None = compiled.positiontup
    expansion: Mapping[str, Sequence[str]] = {}
    late = compiled.post_compile_params
    if late:
        state = compiled.construct_expanded_state(
            {bind.key: params[bind.key] for bind in compiled.bind_names if bind.required},
            escape_names=False)
        sql, positions, expansion = state.statement, state.positiontup, \
            state.parameter_expansion
        processors.update(state.processors)
    fixed: dict[str, Any] = {}
    given: dict[str, tuple[str, str, Processor | None]] = {}
    lists: list[tuple[str, tuple[str, ...], Processor | None]] = []
    for bind, name in compiled.bind_names.items():
        if bind in late:
            expanded = tuple(expansion[name])
            if bind.required:
                lists.append((bind.key, expanded, processors.get(expanded[0])
                              if expanded else None))
            else:  # a fixed list, its items processed once
                for item_name, value in zip(expanded, bind.effective_value or (), strict=True):
                    process = processors.get(item_name)
                    fixed[item_name] = value if process is None or value is None \
                        else process(value)
        elif bind.required:
            given[name] = (bind.key, name, processors.get(name))
        else:
            value = bind.effective_value
            process = processors.get(name)
            fixed[name] = process(value) if process is not None and value is not None \
                else value
    return _Form(sql, fixed, tuple(given.values()), tuple(lists),
                 tuple(positions) if compiled.positional and positions is not None else None)


def _know_results(compiled: _Compiled, dialect: sa.Dialect, description: Any) -> None:
    if len(compiled.result_types) == len(description):
        found = tuple(kind._cached_result_processor(dialect, column[1])
                      for kind, column in zip(compiled.result_types, description, strict=True))
        compiled.results = found if any(found) else None
    # else a textual statement, whose columns have no types: values as the driver reads
    # them, as SQLAlchemy gives them
    compiled.results_known = True


def _processed(row: tuple[Any, ...], processors: tuple[Processor | None, ...]
               ) -> tuple[Any, ...]:
    return tuple(value if process is None or value is None else process(value)
                 for value, process in zip(row, processors, strict=True))
