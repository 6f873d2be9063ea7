"""Rows given as tuples (`insert_values`, the blocking index's path) keep every value
exactly on both databases, and only the table's own columns are named."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.store.db import insert_values
from hub.store.identity_models import BlockingKeyRow
from hub.store.migrate import open_store

AWKWARD = ["tab\there", "new\nline", "back\\slash", "carriage\rreturn", "\\N", "Ñúñez ☃"]


def test_tuples_round_trip(store_url: str) -> None:
    engine = open_store(store_url)
    rows = [(f"sys\x1fobj\x1f{text}", f"{i:032x}", i) for i, text in enumerate(AWKWARD)]
    with engine.begin() as connection:
        insert_values(connection, BlockingKeyRow.__table__, ("record_key", "block", "cap"), rows)
    with engine.connect() as connection:
        table = BlockingKeyRow.__table__
        stored = connection.execute(select(table.c.record_key, table.c.block, table.c.cap))
        assert sorted(tuple(row) for row in stored) == sorted(rows)


def test_only_the_tables_columns(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    with engine.begin() as connection, pytest.raises(KeyError):
        insert_values(connection, BlockingKeyRow.__table__, ("record_key", "nope"), [("a", "b")])
