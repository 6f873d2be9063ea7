"""A stop (SIGTERM's `Terminated`, Ctrl-C) that lands inside a SQLite statement rolls the
transaction back and frees the store's write lock at once, while the stop is still on its
way out. SQLAlchemy takes such a stop for a lost connection and closes it without closing
the statement's cursor, which the stop's traceback keeps: SQLite then keeps the closed
connection, and its write lock, until the cursor goes, so the failed run's own record
waited 600 s for it (`relhub resolve --full` stopped mid-index, now and then)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from hub.cli.termination import EXIT_TERMINATED, Terminated
from hub.store.db import make_engine, writing


def _stopping_row(stop: BaseException) -> tuple[Any, ...]:
    """A row of parameters whose reading is where `stop` lands, as a signal handler's
    exception lands in whatever Python code runs when the signal comes."""

    class StoppingRow(tuple[Any, ...]):
        def __getitem__(self, index: Any) -> Any:
            raise stop

    return StoppingRow((2,))


@pytest.mark.parametrize("stop", [Terminated(EXIT_TERMINATED), KeyboardInterrupt()])
def test_a_stop_inside_a_statement_rolls_back_and_frees_the_write_lock(
    tmp_path: Path, stop: BaseException
) -> None:
    path = tmp_path / "relhub.db"
    engine = make_engine(f"sqlite:///{path}")
    with writing(engine) as connection:
        connection.execute(text("CREATE TABLE t (a INTEGER)"))

    with pytest.raises(type(stop)) as stopped, writing(engine) as connection:
        connection.execute(text("INSERT INTO t VALUES (0)"))
        connection.exec_driver_sql("INSERT INTO t VALUES (?)", [(1,), _stopping_row(stop)])

    assert stopped.value is stop  # kept, with its traceback, as a caller's `except` keeps it
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # raises "database is locked" while the lock is held
    assert other.execute("SELECT count(*) FROM t").fetchone() == (0,)
    other.rollback()
    other.close()
    with writing(engine) as connection:
        connection.execute(text("INSERT INTO t VALUES (3)"))
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM t")) == 1
