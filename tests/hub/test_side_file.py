"""Tables filled in a side SQLite file by another process replace the store's in one
transfer (hub.store.side_file): the rows and their indexes arrive whole, SQLite copies
them without decoding a row, and the store's pool is left without the side file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from hub.store.db import writing
from hub.store.identity_models import BlockingKeyRow, RecordFeaturesRow
from hub.store.migrate import open_store
from hub.store.side_file import SIDE, SideSchema, copy_statement, fill_side_file, transfer

TABLES = (BlockingKeyRow.__table__, RecordFeaturesRow.__table__)
COLUMNS = ("record_key", "block", "cap")


def _block_rows(count: int, block: str) -> list[tuple[str, str, int]]:
    return [(f"crm/Contact/{i:05d}", block, 100) for i in range(count)]


def _fill(engine: Engine, path: Path, pages: list[list[tuple[str, str, int]]]) -> int:
    with engine.connect() as connection:
        schema = SideSchema.of(connection, TABLES)
    return fill_side_file(str(path), schema, [[(TABLES[0], COLUMNS, rows)] for rows in pages])


def _older_store(path: Path) -> Path:
    with sqlite3.connect(path) as connection:  # as a store began before: SQLite's 4 KiB
        connection.execute("PRAGMA journal_mode=WAL")
    return path


@pytest.mark.parametrize("older", [False, True], ids=["new store", "older 4 KiB store"])
def test_a_side_file_replaces_the_tables_in_one_transfer(tmp_path: Path, older: bool) -> None:
    store = _older_store(tmp_path / "s.db") if older else tmp_path / "s.db"
    engine = open_store(f"sqlite:///{store}")
    with writing(engine) as connection:  # rows the transfer must replace, not add to
        connection.execute(
            BlockingKeyRow.__table__.insert(),
            [{"record_key": "crm/Contact/gone", "block": "b0", "cap": 1}],
        )
    side = tmp_path / "side.sqlite"
    assert _fill(engine, side, [_block_rows(300, "b1"), _block_rows(200, "b2")]) == 500

    with writing(engine) as connection:
        transfer(connection, str(side), TABLES)
        plan = connection.exec_driver_sql(f"EXPLAIN {copy_statement(connection, TABLES[0])}")
        assert "RowData" in {row[1] for row in plan}  # the transfer: cells copied whole

    with engine.connect() as connection:
        in_block = select(BlockingKeyRow.record_key).where(BlockingKeyRow.block == "b2")
        assert len(connection.execute(in_block).all()) == 200
        assert connection.execute(select(BlockingKeyRow.block).distinct()).scalars().all() in (
            ["b1", "b2"],
            ["b2", "b1"],
        )
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        plan = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT record_key FROM blocking_keys WHERE block = 'b2'"
        ).all()
        assert "ix_blocking_keys_block" in str(plan)


def test_the_connection_that_attached_a_side_file_is_not_handed_out_again(
    tmp_path: Path,
) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    for round_ in range(2):  # a second transfer attaches under the same name again
        side = tmp_path / f"side{round_}.sqlite"
        _fill(engine, side, [_block_rows(10 + round_, "b")])
        with writing(engine) as connection:
            transfer(connection, str(side), TABLES)
        with engine.connect() as connection:
            attached = {row[1] for row in connection.exec_driver_sql("PRAGMA database_list")}
            assert SIDE not in attached
            count = connection.execute(select(BlockingKeyRow.record_key)).all()
            assert len(count) == 10 + round_
