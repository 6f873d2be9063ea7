"""A table refilled (`refilled`: the blocking index and stored features of a full resolve)
holds only the new rows, and a refill that fails leaves the rows it started from."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.exc import IntegrityError

from hub.store.bulk import refilled
from hub.store.db import insert_values
from hub.store.identity_models import BlockingKeyRow
from hub.store.migrate import open_store

TABLE = BlockingKeyRow.__table__
COLUMNS = ("record_key", "block", "cap")
OLD = [(f"sys\x1fobj\x1f{i}", f"{i:016x}", 50) for i in range(200)]
NEW = [(f"sys\x1fobj\x1f{i}", f"{i + 1:016x}", 50) for i in range(0, 200, 2)]


def _stored(connection: Connection) -> list[tuple[str, str, int]]:
    query = select(TABLE.c.record_key, TABLE.c.block, TABLE.c.cap)
    return sorted(tuple(row) for row in connection.execute(query))


def test_a_refill_holds_only_the_new_rows_and_keeps_the_index(store_url: str) -> None:
    engine = open_store(store_url)
    with engine.begin() as connection:
        insert_values(connection, TABLE, COLUMNS, OLD)
    with engine.begin() as connection, refilled(connection, TABLE):
        insert_values(connection, TABLE, COLUMNS, NEW)
    with engine.connect() as connection:
        assert _stored(connection) == sorted(NEW)
        by_block = select(func.count()).where(TABLE.c.block == NEW[3][1])
        assert connection.execute(by_block).scalar_one() == 1
    built = {index["name"] for index in inspect(engine).get_indexes(TABLE.name)}
    assert {index.name for index in TABLE.indexes} <= built
    assert inspect(engine).get_pk_constraint(TABLE.name)["constrained_columns"] == list(COLUMNS[:2])


def test_a_refill_with_a_row_twice_fails_and_keeps_the_old_rows(store_url: str) -> None:
    """The primary key holds over the refill, though PostgreSQL builds it after the rows."""
    engine = open_store(store_url)
    with engine.begin() as connection:
        insert_values(connection, TABLE, COLUMNS, OLD)
    with (
        pytest.raises(IntegrityError),
        engine.begin() as connection,
        refilled(connection, TABLE),
    ):
        insert_values(connection, TABLE, COLUMNS, [*NEW, NEW[0]])
    with engine.connect() as connection:
        assert _stored(connection) == sorted(OLD)


def test_a_failed_refill_leaves_the_rows_it_started_from(store_url: str) -> None:
    engine = open_store(store_url)
    with engine.begin() as connection:
        insert_values(connection, TABLE, COLUMNS, OLD)
    with pytest.raises(RuntimeError), engine.begin() as connection, refilled(connection, TABLE):
        insert_values(connection, TABLE, COLUMNS, NEW)
        raise RuntimeError("the resolve failed")
    with engine.connect() as connection:
        assert _stored(connection) == sorted(OLD)


@pytest.mark.postgres
def test_on_postgresql_a_refill_starts_from_a_fresh_file(postgres_url: str) -> None:
    """The old rows go with their file (TRUNCATE), rather than stay as dead rows and index
    entries that the refill's inserts walk past (a DELETE's)."""
    engine = open_store(postgres_url)
    file_node = select(func.pg_relation_filenode(TABLE.name))
    with engine.begin() as connection:
        insert_values(connection, TABLE, COLUMNS, OLD)
        before = connection.execute(file_node).scalar_one()
    with engine.begin() as connection:
        with refilled(connection, TABLE):
            insert_values(connection, TABLE, COLUMNS, NEW)
        assert connection.execute(file_node).scalar_one() != before
