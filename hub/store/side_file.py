"""Tables filled in a side SQLite file by other processes, then copied into the store.

A SQLite store has one writer, and a resolve holds it for its whole transaction, so a
worker cannot insert into the store beside it. Another process can fill a file of its
own with the same tables (the store's DDL) while the resolve works on; the resolve then
copies each table with `INSERT INTO t SELECT * FROM side.t`, which SQLite runs as a
transfer when the two tables match and the target is empty: the B-trees' cells copied in
order, no row decoded, no index sorted again. 1.47M blocking-key rows: 4.9 s to insert
and index in the store, 1.7 s to transfer from a side file.

The rows are worked out by a forked worker, which holds a copy of the resolving
process's memory while it lives: it only writes them to a file of pickled pages and
ends. A fresh process, started before and holding little but SQLite's sorter, inserts
them and builds the indexes (`python -m hub.store.side_file`). The forked worker doing
it all lived on beside the survivorship workers: 1M records peaked at 3,778 MiB against
2,702 before the side file.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, delete

from hub.store.bulk import analyze
from hub.store.db import SQLITE_CACHE_PRAGMA, sqlite_insert
from workers.forked import ForkedConsumer, WorkerError, die_with_parent, forked_call
from workers.stops import close_whole

SIDE = "relhub_side"  # the schema name the side file is attached under
# A scratch file: nothing to recover if a process dies, so no journal and no syncs
_SIDE_PRAGMAS = ("journal_mode=OFF", "synchronous=OFF", SQLITE_CACHE_PRAGMA)
_POLL_S = 0.2  # how often the builder looks for the rows

TableRows = tuple[Table, Sequence[str], Sequence[tuple[Any, ...]]]  # table, columns, rows


@dataclass(frozen=True)
class SideSchema:
    """The store's own DDL of some tables, and its page size: the transfer copies only
    between tables whose columns, defaults, constraints and indexes match."""

    page_size: int
    tables: list[str]
    indexes: list[str]

    @classmethod
    def of(cls, connection: Connection, tables: Sequence[Table]) -> SideSchema:
        names = ", ".join("?" for _ in tables)
        rows = connection.exec_driver_sql(
            "SELECT type, sql FROM sqlite_master"  # noqa: S608 (placeholders only)
            f" WHERE tbl_name IN ({names}) AND sql IS NOT NULL ORDER BY rowid",
            tuple(table.name for table in tables),
        ).all()
        return cls(
            int(connection.exec_driver_sql("PRAGMA main.page_size").scalar_one()),
            [sql for kind, sql in rows if kind == "table"],
            [sql for kind, sql in rows if kind == "index"],
        )


class SideFile:
    """A side file in `folder`, filled from `pages` while this process works on: a forked
    worker works the pages out and writes them down, a fresh process builds the file
    from them; `transfer` waits for both and copies the tables in. Leaving the `with`
    block ends both processes."""

    def __init__(
        self, folder: str, schema: SideSchema, pages: Iterable[Sequence[TableRows]]
    ) -> None:
        self.path = os.path.join(folder, "side.sqlite")
        rows = os.path.join(folder, "rows.pickle")
        self._held = ExitStack()
        self._builder = subprocess.Popen(
            [sys.executable, "-m", __name__, self.path, rows, str(os.getpid())],
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},  # this very module
        )
        self._held.callback(_stop, self._builder)
        write = partial(write_pages, rows, schema, pages)
        try:
            self._writer: ForkedConsumer[None, int] = self._held.enter_context(forked_call(write))
        except BaseException:  # no writer: the builder would wait for its rows forever
            close_whole(self._held)
            raise

    def transfer(self, connection: Connection, tables: Sequence[Table]) -> None:
        """Replace the rows of the store's `tables` with the side file's, once it is built."""
        self._writer.result()
        _, errors = self._builder.communicate()
        if self._builder.returncode != 0:
            raise WorkerError(
                f"building the side file failed (exit code {self._builder.returncode}):\n"
                f"{errors.decode(errors='replace')}"
            )
        transfer(connection, self.path, tables)

    def __enter__(self) -> SideFile:
        return self

    def __exit__(self, *exc: object) -> None:
        close_whole(self._held)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def write_pages(path: str, schema: SideSchema, pages: Iterable[Sequence[TableRows]]) -> int:
    """The schema, then each page as (INSERT statement, rows) pairs, pickled into a file
    that appears at `path` once complete; returns the rows written."""
    written = 0
    partial_path = f"{path}.partial"
    with open(partial_path, "wb") as out:
        pickle.dump(schema, out, pickle.HIGHEST_PROTOCOL)
        for page in pages:
            pickle.dump(
                [(sqlite_insert(table, names), rows) for table, names, rows in page],
                out,
                pickle.HIGHEST_PROTOCOL,
            )
            written += sum(len(rows) for _, _, rows in page)
    os.replace(partial_path, path)
    return written


def build_side_file(path: str, rows: str) -> None:
    """Create the side file from the written pages: the tables, their rows, then their
    indexes (built once, after the rows)."""
    with open(rows, "rb") as source:
        schema: SideSchema = pickle.load(source)  # written by this resolve
        side = sqlite3.connect(path, isolation_level=None)
        try:
            for pragma in (f"page_size={schema.page_size}", *_SIDE_PRAGMAS):  # page size first
                side.execute(f"PRAGMA {pragma}")
            side.execute("BEGIN")
            for statement in schema.tables:
                side.execute(statement)
            while page := _next(source):
                for insert, values in page:
                    side.executemany(insert, values)
            for statement in schema.indexes:
                side.execute(statement)
            side.execute("COMMIT")
        finally:
            side.close()
    os.remove(rows)


def _next(source: Any) -> list[tuple[str, list[tuple[Any, ...]]]] | None:
    try:
        page: list[tuple[str, list[tuple[Any, ...]]]] = pickle.load(source)
    except EOFError:
        return None
    return page


def transfer(connection: Connection, path: str, tables: Sequence[Table]) -> None:
    """Replace the rows of the store's `tables` with a side file's, inside the caller's
    transaction.

    SQLite detaches a database only outside a transaction, so the connection is taken out
    of the pool: it closes when the caller is done with it, the side file with it, instead
    of being handed to the next caller still attached."""
    connection.exec_driver_sql(f"ATTACH DATABASE ? AS {SIDE}", (path,))
    connection.detach()
    for table in tables:
        connection.execute(delete(table))
        connection.exec_driver_sql(copy_statement(connection, table))
        analyze(connection, table)


def copy_statement(connection: Connection, table: Table) -> str:
    """The one form SQLite transfers: every column of one table, no WHERE, no ORDER BY."""
    name = connection.dialect.identifier_preparer.quote(table.name)
    return f"INSERT INTO main.{name} SELECT * FROM {SIDE}.{name}"  # noqa: S608


def _main(path: str, rows: str, parent: str) -> None:
    """The builder: it waits for the written pages (which never appear if their writer
    fails: the resolve then stops it), then builds the side file."""
    die_with_parent(int(parent))
    while not Path(rows).exists():
        time.sleep(_POLL_S)
    build_side_file(path, rows)


if __name__ == "__main__":
    _main(*sys.argv[1:])
