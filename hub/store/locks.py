"""Store locks: one run of a step per source at a time, and SQLite's single writer.

Two syncs of the same source, or two resolves, started at once (by hand, by cron, by
Airflow retrying a task it thinks died) would each read what the other is writing: false
quarantine from duplicate keys, deadlocks, a golden record built from half a sync. So a
run first takes its step's lock: on PostgreSQL a session advisory lock (held by a
connection of its own, released by the server if the process dies), on SQLite an
exclusive `flock` on a file beside the database (released by the kernel likewise). The
second run waits, saying for whom, up to its `wait_s`, then stops with `StoreBusy`.

Different steps do not exclude each other: a resolve reads only the syncs finished
before it started (`hub.resolve.source_records.source_mark`), and on PostgreSQL syncs
of different sources write different rows. On SQLite every writing transaction opens
with `BEGIN IMMEDIATE` (`begin_immediate`), so a second writer waits for the first to
commit instead of failing when it upgrades from reading to writing.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

DEFAULT_WAIT_S = 600.0
"""How long a run waits for another to finish, and a SQLite writer for another's commit:
longer than a page commit or a resolve of a few hundred thousand changes."""
_POLL_S = 0.25
_WRITER_NOTICE_S = 5.0  # a SQLite writer's wait is said only when it is longer than this
_SQLITE_RETRY_MS = 1000


class StoreBusy(Exception):
    """Another run holds what this one needs; nothing was changed, try again later."""


def lock_name(step: str, source: str | None) -> str:
    return f"{step}-{source}" if source else step


@contextmanager
def run_lock(
    engine: Engine,
    step: str,
    source: str | None,
    *,
    wait_s: float = DEFAULT_WAIT_S,
    holder: Callable[[], str] = lambda: "another run",
) -> Iterator[None]:
    """Hold the lock of `step` (for `source`) for the block, waiting up to `wait_s`.

    `holder` describes who has it, for the messages (read only when there is a wait)."""
    name = lock_name(step, source)
    what = f"{step} of {source}" if source else step
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, name, what, wait_s, holder):
            yield
        return
    database = engine.url.database
    if not database or database == ":memory:":  # one process: nothing to exclude
        yield
        return
    with _file_lock(Path(f"{database}.locks") / f"{name}.lock", what, wait_s, holder):
        yield


class _Waiting:
    """The wait for a lock: says once that it waits and for whom (after `notice_s`), gives
    up at the deadline."""

    def __init__(
        self, what: str, wait_s: float, holder: Callable[[], str], notice_s: float = 0.0
    ) -> None:
        self.what, self.wait_s, self.holder, self.notice_s = what, wait_s, holder, notice_s
        self.started = time.monotonic()
        self.said = False

    def again(self) -> None:
        """After a failed attempt: sleep before the next, or raise StoreBusy if it is time."""
        waited = time.monotonic() - self.started
        if waited >= self.wait_s:
            raise StoreBusy(
                f"{self.what}: {self.holder()} is running; waited {waited:.0f} s "
                f"(--wait SECONDS to wait longer)"
            )
        if not self.said and waited >= self.notice_s:
            log.warning(
                "%s waits for %s to finish (up to %.0f s)", self.what, self.holder(), self.wait_s
            )
            self.said = True
        time.sleep(min(_POLL_S, max(self.wait_s - waited, 0.0)))


@contextmanager
def _advisory_lock(
    engine: Engine, name: str, what: str, wait_s: float, holder: Callable[[], str]
) -> Iterator[None]:
    connection = engine.connect()
    key: int | None = None
    try:
        wanted = _advisory_key(connection, name)
        waiting = _Waiting(what, wait_s, holder)
        while not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": wanted}):
            connection.rollback()  # not idle in a transaction while it waits
            waiting.again()
        key = wanted
        connection.commit()
        yield
    finally:
        try:
            if key is not None:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
        except DBAPIError:  # the session is gone (its lock with it) or in doubt: ended below
            connection.invalidate()
        connection.close()


def _advisory_key(connection: Connection, name: str) -> int:
    """A 64-bit key for the lock, per schema: two stores in one database are two stores."""
    schema = connection.scalar(text("SELECT current_schema()"))
    digest = hashlib.blake2b(f"relhub:{schema}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def _file_lock(path: Path, what: str, wait_s: float, holder: Callable[[], str]) -> Iterator[None]:
    path.parent.mkdir(exist_ok=True)
    with path.open("a") as handle:
        waiting = _Waiting(what, wait_s, holder)
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waiting.again()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def begin_immediate(connection: sqlite3.Connection, wait_s: float = DEFAULT_WAIT_S) -> None:
    """Open a SQLite transaction that writes: take the write lock now, waiting for the
    current writer's commit (SQLite's busy timeout, a second at a time so the wait can be
    said). A deferred BEGIN would take it at the first write, and fail at once there if
    another writer committed since this transaction first read."""
    waiting = _Waiting("a write to the store", wait_s, lambda: "another writer", _WRITER_NOTICE_S)
    connection.execute(f"PRAGMA busy_timeout = {_SQLITE_RETRY_MS}")
    try:
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                waiting.again()
    finally:
        connection.execute(f"PRAGMA busy_timeout = {int(DEFAULT_WAIT_S * 1000)}")
