"""Opening the store: one SQLAlchemy engine configured the same way for SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import operator
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Connection,
    DateTime,
    Engine,
    Integer,
    Table,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.engine import Dialect, ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator

from hub.store.locks import DEFAULT_WAIT_S, begin_immediate

_WRITING = "relhub_writing"


class JSONText(str):
    """A document already serialized to JSON (say, to hash it): stored as it is."""


class JSONDocument(TypeDecorator[Any]):
    """JSON on SQLite, JSONB on PostgreSQL (indexable, compact).

    Accepts `JSONText` as it is, so the bulk sync path serializes each payload once for
    both its content hash and its row; None is SQL NULL.
    """

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def bind_processor(self, dialect: Any) -> Any:
        def process(value: Any) -> str | None:
            if value is None:
                return None
            return str(value) if isinstance(value, JSONText) else dumps(value)

        return process


JSONType = JSONDocument()

BigId = BigInteger().with_variant(Integer(), "sqlite")
"""SQLite only auto-increments an INTEGER primary key."""


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps UTC-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Any) -> Any:
        """On SQLite, straight to the text SQLAlchemy stores there, in one step: a bulk
        insert binds three datetimes a record, and the generic two-step path costs half
        of the insert."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is UTC:  # the usual case: drop the "+00:00"
                return value.isoformat(" ", "microseconds")[:-6]
            if value.tzinfo is None:
                raise ValueError(f"naive datetime {value!r}: the store keeps UTC-aware times")
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# One encoder for every document: `json.dumps` with options builds a new one a call, a
# fifth of the time of dumping a record's features.
_ENCODER = json.JSONEncoder(default=_json_default, ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> str:
    """JSON for the store: dates as ISO text, non-ASCII kept readable."""
    return _ENCODER.encode(value)


def bulk_insert(
    connection: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    shared: dict[str, Any] | None = None,
) -> None:
    """INSERT many rows with the same keys, by the database's own bulk path.

    Each value goes through its column's bind processor, then straight to the driver:
    executemany on SQLite (SQLAlchemy's generic bookkeeping costs more than SQLite's own
    work) and COPY on PostgreSQL (several times a multi-row INSERT's speed). `shared`
    values are the same in every row (a run id, a timestamp): processed once. Identifiers
    are the table's own columns (`table.c[name]` refuses others), quoted by the dialect;
    values are never part of the SQL text.
    """
    if not rows:
        return
    dialect = connection.dialect
    names = list(rows[0])
    common = processed_values(table, dialect, shared or {})
    columns = operator.itemgetter(*names)
    processed = [
        (i, p) for i, name in enumerate(names) if (p := bind_processor(table, name, dialect))
    ]
    values = []
    for row in rows:
        items = list(columns(row)) if len(names) > 1 else [columns(row)]
        for i, process in processed:
            items[i] = process(items[i])
        values.append((*items, *common))
    names.extend(shared or {})
    insert_values(connection, table, names, values)


def bind_processor(table: Table, name: str, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column's bind processor for the dialect; None when the driver takes values as
    they are."""
    process: Callable[[Any], Any] | None = (
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
    )
    return process


def processed_values(table: Table, dialect: Dialect, values: dict[str, Any]) -> tuple[Any, ...]:
    """A row's values made driver-ready by their columns' bind processors, in order."""
    return tuple(
        value if (process := bind_processor(table, name, dialect)) is None else process(value)
        for name, value in values.items()
    )


def insert_values(
    connection: Connection, table: Table, names: Sequence[str], values: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT rows given as tuples of driver-ready values in `names`' order (processed by
    their columns' bind processors already, or of columns that have none): COPY on
    PostgreSQL, executemany on SQLite. For a caller that builds millions of rows column-wise
    (the blocking index), where a dict a row and its processing cost more than the insert."""
    if not values:
        return
    if connection.dialect.name == "postgresql":
        copy_in(connection, table, names, copy_text(values))
    else:
        connection.exec_driver_sql(sqlite_insert(table, names), values)


def copy_text(values: Iterable[tuple[Any, ...]]) -> str:
    """Rows of driver-ready values in PostgreSQL COPY's text format: what `copy_in` takes,
    so a worker process can write it while the one that holds the transaction copies."""
    return "".join("\t".join(map(_copy_text, row)) + "\n" for row in values)


def copy_in(connection: Connection, table: Table, names: Sequence[str], text: str) -> None:
    """COPY rows in COPY's text format (`copy_text`) into `names` of a PostgreSQL table."""
    if not text:
        return
    dialect = connection.dialect
    statement = f"COPY {_target(dialect, table, names)} FROM STDIN"
    import psycopg2  # the only PostgreSQL driver the store supports (see pyproject)

    driver: Any = connection.connection.dbapi_connection  # psycopg2's, untyped
    with driver.cursor() as cursor:
        try:
            cursor.copy_expert(statement, io.StringIO(text))
        except psycopg2.Error as error:  # as SQLAlchemy would raise it for execute()
            lost = dialect.is_disconnect(error, driver, cursor)
            if lost:  # so that rolling back is not tried on a closed connection
                connection.invalidate(error)
            raise DBAPIError.instance(
                statement, None, error, psycopg2.Error, connection_invalidated=lost
            ) from error


_SQLITE = sqlite_dialect()


def sqlite_insert(table: Table, names: Sequence[str]) -> str:
    """The INSERT of one row of `names`' values into a SQLite table, for executemany."""
    placeholders = ", ".join("?" for _ in names)
    return f"INSERT INTO {_target(_SQLITE, table, names)} VALUES ({placeholders})"  # noqa: S608


def _target(dialect: Dialect, table: Table, names: Sequence[str]) -> str:
    """`table (column, …)`, quoted for the dialect."""
    preparer = dialect.identifier_preparer
    # the table's own columns only
    columns = ", ".join(preparer.quote(table.c[name].name) for name in names)
    return f"{preparer.format_table(table)} ({columns})"


def _copy_text(value: Any) -> str:
    """One value in COPY's text format: \\N for NULL, backslash escapes for the separators.

    Four `str.replace` passes (each a C loop that copies nothing when it finds nothing):
    `str.translate` with a mapping calls back per character, and took 60 % of a golden
    record page's COPY."""
    if value is None:
        return "\\N"
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def make_engine(url: str, pool_size: int | None = None, *, reader: bool = False) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so Airflow tasks can share it.
    `pool_size`, given, is how many connections it holds, all kept open: a server with that
    many threads (the default pool keeps 5 and closes the ones beyond as they come back, so
    a server busy on more threads than 5 would connect again and again).

    A `reader` engine (the read API's) only reads: its connections autocommit and are not
    pinged when taken from the pool, so a read is its statements alone. On PostgreSQL a
    BEGIN, a ROLLBACK and a ping are three round trips more, each costing more than an
    indexed read. A connection the server lost then fails the one request that finds it
    (SQLAlchemy renews the pool), instead of every request paying the ping."""
    is_sqlite = url.startswith("sqlite")
    sized: dict[str, Any] = {} if pool_size is None else {"pool_size": pool_size, "max_overflow": 0}
    if reader:
        sized["isolation_level"] = "AUTOCOMMIT"
    engine = create_engine(
        url,
        json_serializer=dumps,
        pool_pre_ping=not (is_sqlite or reader),
        connect_args={"timeout": DEFAULT_WAIT_S} if is_sqlite else {},
        **sized,
    )
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "handle_error", _sqlite_stop_keeps_the_connection)
    return engine


# The page size of a new SQLite store (an existing one keeps its own: SQLite changes it
# only by a VACUUM out of WAL mode). 8 KiB, PostgreSQL's, not SQLite's 4: a 1M full resolve
# writes 3.4 GB, golden records of 1.5 KB among it, and writing what it stores took 0.86x
# the time (raw inserts, index builds and commit: 78 s against 91 s). 8 KiB doubles what
# an incremental resolve's scattered row changes put in the WAL (its 1,000 changes at 200k
# took as long: 2.6-3.0 s either way); 16 KiB (73 s) would quadruple it.
SQLITE_PAGE_SIZE = 8192
# How every connection to a SQLite store reads and writes (the page size first: it holds
# only before WAL, for a new file): the write-floor benchmark sets the same on its copy.
SQLITE_CACHE_PRAGMA = "cache_size=-65536"  # 64 MiB, not 2: index pages of a large store
SQLITE_STORAGE_PRAGMAS = (
    f"page_size={SQLITE_PAGE_SIZE}",
    "journal_mode=WAL",
    "synchronous=NORMAL",
    SQLITE_CACHE_PRAGMA,
)


def _sqlite_connect(dbapi_connection: Any, _: Any) -> None:
    """WAL, a larger page cache and, for a new store, larger pages; and no implicit
    transactions from the driver.

    Python's sqlite3 module commits DDL as it goes and opens transactions only before
    writes, so a migration killed halfway left half a schema, and SAVEPOINTs misbehave.
    With the driver's own handling off, `_sqlite_begin` opens every transaction itself.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_STORAGE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that writes, committed at the end of the block (`engine.begin()` for
    reading ones). On SQLite it takes the store's write lock at BEGIN, waiting for another
    writer to commit; on PostgreSQL it is a plain transaction."""
    with (
        engine.connect().execution_options(**{_WRITING: True}) as connection,
        connection.begin(),
    ):
        yield connection


def _sqlite_stop_keeps_the_connection(context: ExceptionContext) -> None:
    """A stop (SIGTERM's, Ctrl-C's exception) that lands inside a SQLite statement is an
    error like another: the statement's cursor is closed and the transaction rolls back on
    its way out. SQLAlchemy takes it for a lost connection instead and closes the
    connection with the cursor left open; the stop's traceback keeps the cursor, and SQLite
    keeps a connection closed under an unfinished statement, its write lock with it, until
    the cursor goes. The failed run's own record then waited for that lock. (A PostgreSQL
    connection closed so ends its session, and the server rolls it back.)"""
    if not isinstance(context.original_exception, Exception):
        context.is_disconnect = False


def _sqlite_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(_WRITING):
        begin_immediate(cast(sqlite3.Connection, connection.connection.driver_connection))
    else:
        connection.exec_driver_sql("BEGIN")
