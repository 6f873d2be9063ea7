"""A store that fails is not a bad record: the sync stops with the store's reason in one
line, quarantines nothing, stores no record value in its run row, and a rerun ends as an
uninterrupted sync. A value the database refuses still costs only its record
(tests/hub/test_bulk_insert.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, func, select, text
from syncfixtures import make_source, row, store_contents

from hub.store import runs
from hub.store.errors import error_line, is_record_fault
from hub.store.migrate import open_store
from hub.store.models import QuarantineRow, Run
from hub.sync import sync_source

RELHUB = [sys.executable, "-m", "hub"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    make_source(tmp_path, [row(i) for i in range(600)], page_size=100)
    return tmp_path


def reference(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    engine = open_store(f"sqlite:///{tmp_path_factory.mktemp('reference') / 'relhub.db'}")
    config = make_source(folder, [row(i) for i in range(600)], page_size=100)
    sync_source(config, engine, config.sources[0])
    return store_contents(engine)


def assert_failed_cleanly(url: str, reason: str) -> None:
    engine = open_store(url)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(QuarantineRow)) == 0
        [(status, error)] = connection.execute(select(Run.status, Run.error)).all()
    assert status == runs.FAILED
    assert reason in error and "\n" not in error
    assert "example.com" not in error and "INSERT" not in error and "COPY" not in error


def test_a_connection_lost_mid_page_fails_the_run_and_a_rerun_completes(
    folder: Path, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The sync's connection is ended by the server while it waits to store a page."""
    name = f"relhub_test_{uuid.uuid4().hex[:8]}"
    url = re.sub("application_name=[^&]*", f"application_name={name}", postgres_url)
    open_store(url)
    admin = create_engine(postgres_url)
    env = {**os.environ, "RELHUB_DATABASE_URL": url, "RELHUB_CONFIG": str(folder / "relhub.yaml")}
    with admin.connect() as blocker:
        blocker.execute(text("LOCK TABLE source_records IN SHARE MODE"))
        sync = subprocess.Popen(
            [*RELHUB, "sync"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        waiting = text(
            "SELECT pid FROM pg_stat_activity WHERE application_name = :name "
            "AND wait_event_type = 'Lock'"
        )
        deadline = time.monotonic() + 60
        with admin.connect() as watcher:  # its own: a transaction sees one activity snapshot
            while (pid := watcher.scalar(waiting, {"name": name})) is None:
                assert time.monotonic() < deadline and sync.poll() is None, sync.communicate()
                watcher.rollback()
                time.sleep(0.05)
            watcher.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        blocker.rollback()
    _, stderr = sync.communicate(timeout=120)
    admin.dispose()
    assert sync.returncode == 1
    [line] = stderr.strip().splitlines()
    assert line.startswith("error: store: ") and "server closed the connection" in line, line
    assert_failed_cleanly(url, "server closed the connection")

    rerun = subprocess.run([*RELHUB, "sync"], env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert store_contents(open_store(url)) == reference(folder, tmp_path_factory)


def test_a_full_disk_fails_the_run_and_a_rerun_completes(
    folder: Path, sqlite_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SQLite's page limit stands in for a full disk: the same SQLITE_FULL error."""
    config = make_source(folder, [row(i) for i in range(600)], page_size=100)
    engine = open_store(sqlite_url)
    with engine.connect() as connection:
        limit = connection.exec_driver_sql("PRAGMA page_count").scalar() + 12
    engine.dispose()

    def cap(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {limit}")

    event.listen(engine, "connect", cap)
    with pytest.raises(Exception, match="database or disk is full") as raised:
        sync_source(config, engine, config.sources[0])
    assert not is_record_fault(raised.value)
    event.remove(engine, "connect", cap)
    engine.dispose()
    assert_failed_cleanly(sqlite_url, "database or disk is full")

    sync_source(config, engine, config.sources[0])
    assert store_contents(engine) == reference(folder, tmp_path_factory)


def raised_by(connection: Any, *statements: str) -> BaseException:
    try:
        for statement in statements:
            connection.exec_driver_sql(statement)
    except Exception as error:  # classified by the caller
        connection.rollback()
        return error
    raise AssertionError(f"{statements} raised nothing")


DUPLICATE_RUN = (
    "INSERT INTO runs (id, step, started_at, status, counts) VALUES (1, 's', {}, 'x', '{{}}')"
)


def test_what_is_a_record_s_fault_and_what_the_store_s(store_url: str) -> None:
    """A value refused is the record's; a duplicate key (another writer got there first), a
    timeout or a lock is the store's."""
    engine = open_store(store_url)
    now = "now()" if engine.dialect.name == "postgresql" else "CURRENT_TIMESTAMP"
    with engine.connect() as connection:
        duplicate = raised_by(connection, *[DUPLICATE_RUN.format(now)] * 2)
        assert not is_record_fault(duplicate), error_line(duplicate)
        if engine.dialect.name != "postgresql":
            return
        nul = raised_by(connection, "SELECT '\"a\\u0000\"'::jsonb")
        assert is_record_fault(nul), error_line(nul)
        timeout = raised_by(connection, "SET statement_timeout = 10", "SELECT pg_sleep(1)")
        assert not is_record_fault(timeout), error_line(timeout)
    assert error_line(timeout) == "QueryCanceled: canceling statement due to statement timeout"
