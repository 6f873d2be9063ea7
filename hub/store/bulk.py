"""Bulk SQL: keys in chunked `IN (…)` lists, rows in executemany pages, tables refilled.

Keys go to the database in chunks (SQLite allows at most 32,766 bound variables per
statement) and rows go in as Core executemany pages, not ORM units of work.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar

from more_itertools import chunked
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Table,
    delete,
    inspect,
    literal,
    select,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite

from hub.store.db import bulk_insert

T = TypeVar("T")
CHUNK = 500
PAGE = 5000


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """Lists of `size` items (`more_itertools.chunked`, the one chunker of the project,
    with the store's default size)."""
    return chunked(items, size)


def key_chunks(keys: Collection[Any]) -> Iterator[list[Any]]:
    """Keys in sorted chunks, for `IN (…)` lists: each chunk's rows then sit in a narrow
    range of the index, on pages the previous chunk read."""
    return chunks(sorted(keys))


def insert_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    shared: dict[str, Any] | None = None,
) -> None:
    """`bulk_insert` in pages; `shared` values are the same in every row."""
    for page in chunks(rows, PAGE):
        bulk_insert(connection, table, page, shared)


@contextmanager
def refilled(connection: Connection, table: Table) -> Iterator[None]:
    """Empty a table and leave its secondary indexes out while the block fills it again
    (`_indexes_after`). Only for tables no one else reads: on PostgreSQL a dropped index
    locks its table against readers until the transaction ends (the blocking index and
    the stored features, which only resolves read: another waits for this one).

    On PostgreSQL the table is emptied by TRUNCATE, under the same lock: a DELETE leaves
    every row and index entry behind as dead until vacuumed, and the refill's inserts walk
    past them (a repeat full resolve of 200k records: 1.47M blocking-key rows copied in
    8.6 s after a DELETE, 2.4 s after a TRUNCATE). Its primary key is left out too
    (`_primary_key_after`)."""
    on_postgresql = connection.dialect.name == "postgresql"
    if on_postgresql:
        connection.exec_driver_sql(f"TRUNCATE {quoted_table(connection, table)}")
    else:  # SQLite empties a table that a DELETE without WHERE names at once
        connection.execute(delete(table))
    with (
        _indexes_after(connection, table),
        _primary_key_after(connection, table) if on_postgresql else nullcontext(),
    ):
        yield
    analyze(connection, table)


@contextmanager
def filled_from_empty(connection: Connection, table: Table) -> Iterator[None]:
    """Leave the secondary indexes of an empty SQLite table out while the block fills it,
    as a store's first full resolve fills the golden members and the pairs (golden ids
    and record keys come in no index's order). SQLite readers keep the committed schema
    until this transaction commits; a PostgreSQL reader would wait for it (`refilled`), so
    there, and for a table holding rows, the indexes are kept."""
    empty = connection.execute(select(literal(1)).select_from(table).limit(1)).first() is None
    if connection.dialect.name != "sqlite" or not empty:
        yield
        return
    with _indexes_after(connection, table):
        yield


@contextmanager
def _primary_key_after(connection: Connection, table: Table) -> Iterator[None]:
    """Leave a PostgreSQL table's primary key out while the block fills it, then add it
    back, built from the rows sorted once (1.47M blocking-key rows: COPY 2.2 s with the
    key kept; 0.6 s, and 0.7 s to add it after). SQLite's tables of the index are their
    primary keys (WITHOUT ROWID): there is nothing to leave out."""
    stored = inspect(connection).get_pk_constraint(table.name)["name"]
    if stored is None:  # a table without one: nothing to leave out
        yield
        return
    quote = connection.dialect.identifier_preparer.quote
    quoted, name = quoted_table(connection, table), quote(stored)
    columns = ", ".join(quote(column.name) for column in table.primary_key.columns)
    connection.exec_driver_sql(f"ALTER TABLE {quoted} DROP CONSTRAINT {name}")
    yield
    connection.exec_driver_sql(
        f"ALTER TABLE {quoted} ADD CONSTRAINT {name} PRIMARY KEY ({columns})"
    )


@contextmanager
def _indexes_after(connection: Connection, table: Table) -> Iterator[None]:
    """Leave a table's secondary indexes out while the block fills it, then build them: a
    build sorts the rows once, where each insert walks every index's B-tree at a random
    place (7M blocking-key rows into SQLite: 134 s with the index kept, 59 s with it built
    after). Inside the caller's transaction, so a failure rolls the indexes back too."""
    for index in table.indexes:
        index.drop(connection)
    yield
    for index in table.indexes:
        index.create(connection)


def analyze(connection: Connection, table: Table) -> None:
    """Fresh planner statistics for a table just refilled or grown much. Without them
    PostgreSQL plans on what autovacuum last saw (an incremental resolve of 48,777 changes
    after a full one: 708 s, and 42 s once analyzed), and SQLite, never analyzed, guesses."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA analysis_limit = 1000")  # sampled: no full scan
    connection.exec_driver_sql(f"ANALYZE {quoted_table(connection, table)}")


def quoted_table(connection: Connection, table: Table) -> str:
    """The table's name as the dialect quotes it in a statement written out by hand."""
    return connection.dialect.identifier_preparer.format_table(table)


def select_in(
    connection: Connection,
    columns: Sequence[Any],
    column: Any,
    values: Collection[Any],
    *where: ColumnElement[bool],
) -> list[Any]:
    """Rows whose `column` is among `values`, chunk by chunk."""
    rows: list[Any] = []
    for chunk in key_chunks(values):
        rows.extend(connection.execute(select(*columns).where(column.in_(chunk), *where)))
    return rows


def delete_pairs(
    connection: Connection,
    columns: tuple[Column[Any], Column[Any]],
    pairs: Collection[tuple[Any, Any]],
) -> None:
    """Delete rows by a two-column key. The plain `first IN (…)` lets SQLite walk the
    primary key (alone, a row-value `IN` scans the table); the row values then pick the
    exact rows."""
    first, second = columns
    for chunk in key_chunks(pairs):
        connection.execute(
            delete(first.table).where(
                first.in_({a for a, _ in chunk}), tuple_(first, second).in_(chunk)
            )
        )


def delete_in(connection: Connection, table: Table, column: str, values: Collection[Any]) -> None:
    for chunk in key_chunks(values):
        connection.execute(delete(table).where(table.c[column].in_(chunk)))


def dialect_insert(connection: Connection, table: Table) -> Any:
    """An INSERT that supports ON CONFLICT on both supported databases."""
    module = postgresql if connection.dialect.name == "postgresql" else sqlite
    return module.insert(table)
