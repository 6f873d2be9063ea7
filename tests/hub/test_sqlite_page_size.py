"""A new SQLite store is made of 8 KiB pages (larger writes, hub.store.db); a store made
before keeps the pages it has and works as it did."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, inspect

from hub.store.db import SQLITE_PAGE_SIZE
from hub.store.migrate import open_store


def _page_size(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA page_size").scalar_one())


def test_a_new_store_has_larger_pages_and_an_older_one_keeps_its_own(tmp_path: Path) -> None:
    assert _page_size(open_store(f"sqlite:///{tmp_path / 'new.db'}")) == SQLITE_PAGE_SIZE == 8192
    older = tmp_path / "older.db"
    with sqlite3.connect(older) as connection:  # as a store began before: SQLite's 4 KiB
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE left_by_an_older_version (x)")
    engine = open_store(f"sqlite:///{older}")
    assert _page_size(engine) == 4096
    assert {"source_records", "golden_records"} <= set(inspect(engine).get_table_names())
