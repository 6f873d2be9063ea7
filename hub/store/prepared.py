"""Statements PostgreSQL plans once per connection instead of at every execution.

psycopg2 sends every statement as text, which PostgreSQL parses and plans each time: for
the read API's lookup of a golden record by id, planning cost the server more CPU than
running the plan (0.39-0.55 ms against 0.10-0.19 ms of server CPU a lookup when PREPAREd,
100k golden records). A `Prepared` statement is PREPAREd on a connection the first time
that connection runs it (a prepared statement lives as long as its session, through
rollbacks), then EXECUTEd by name, its rows typed and named as the statement's own. Other
databases run the statement as it is. (A pooler that hands one session's statements to
another, as PgBouncer's transaction mode does, cannot carry these.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Dialect,
    Result,
    Select,
    TextualSelect,
    any_,
    bindparam,
    text,
)
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler

_PREPARED = "relhub_prepared"  # Connection.info key: names prepared on this DBAPI connection


def one_of(
    column: ColumnElement[Any] | QueryableAttribute[Any], name: str, *, array: bool
) -> ColumnElement[bool]:
    """`column` equal to one of the list bound as `name`: as one array parameter (`array`,
    for PostgreSQL: one statement to prepare whatever the list's length), else expanded
    into IN (...) as other databases need."""
    if array:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


class Prepared:
    """`statement` under a `name` unique among the statements a process prepares, and the
    statement other databases run (`elsewhere`, when `statement` is PostgreSQL's own)."""

    def __init__(
        self,
        name: str,
        statement: Select[*tuple[Any, ...]],
        elsewhere: Select[*tuple[Any, ...]] | None = None,
    ) -> None:
        self.name = name
        self.statement = statement
        self.elsewhere = statement if elsewhere is None else elsewhere
        self._by_dialect: dict[type[Dialect], tuple[SQLCompiler, TextualSelect]] = {}

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> Result[Any]:
        if connection.dialect.name != "postgresql":
            return connection.execute(self.elsewhere, params)
        numbered, execute = self._forms(connection.dialect)
        prepared: set[str] = connection.info.setdefault(_PREPARED, set())
        if self.name not in prepared:
            connection.exec_driver_sql(f"PREPARE {self.name} AS {numbered}")
            prepared.add(self.name)
        values = numbered.construct_params(dict(params))
        positions = numbered.positiontup or []
        return connection.execute(execute, {f"p{i}": values[k] for i, k in enumerate(positions)})

    def _forms(self, dialect: Dialect) -> tuple[SQLCompiler, TextualSelect]:
        """The statement compiled with $1, $2, ... (PREPARE's parameters), and the EXECUTE
        that passes them, typed with the statement's columns; worked out once."""
        kind = type(dialect)
        if kind not in self._by_dialect:
            numbering = cast(Callable[..., Dialect], kind)(paramstyle="numeric_dollar")
            numbered = cast(SQLCompiler, self.statement.compile(dialect=numbering))
            arguments = ", ".join(f":p{i}" for i in range(len(numbered.positiontup or [])))
            columns = [column.label(key) for key, column in self.statement.selected_columns.items()]
            execute = text(f"EXECUTE {self.name}({arguments})").columns(*columns)
            self._by_dialect[kind] = (numbered, execute)
        return self._by_dialect[kind]
