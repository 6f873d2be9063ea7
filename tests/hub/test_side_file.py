"""Tables filled in a side SQLite file by other processes replace the store's in one
transfer (hub.store.side_file): the rows and their indexes arrive whole, SQLite copies
them without decoding a row, the store's pool is left without the side file, and a
failure on either side fails the transfer with its reason."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from hub.store import side_file
from hub.store.db import writing
from hub.store.identity_models import BlockingKeyRow, RecordFeaturesRow
from hub.store.migrate import open_store
from hub.store.side_file import SIDE, SideFile, SideSchema, TableRows, copy_statement
from workers.forked import WorkerError

TABLES = (BlockingKeyRow.__table__, RecordFeaturesRow.__table__)
COLUMNS = ("record_key", "block", "cap")


def _block_rows(count: int, block: str) -> list[tuple[str, str, int]]:
    return [(f"crm/Contact/{i:05d}", block, 100) for i in range(count)]


def _filled(
    engine: Engine,
    folder: Path,
    pages: list[list[tuple[str, str, int]]],
    schema: SideSchema | None = None,
) -> SideFile:
    """A side file of these pages of blocking-key rows, filled and indexed beside."""
    with engine.connect() as connection:
        schema = schema or SideSchema.of(connection, TABLES)
    folder.mkdir()
    return SideFile(str(folder), schema, ([(TABLES[0], COLUMNS, rows)] for rows in pages))


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
    with (
        _filled(
            engine, tmp_path / "side", [_block_rows(300, "b1"), _block_rows(200, "b2")]
        ) as side,
        writing(engine) as connection,
    ):
        side.transfer(connection, TABLES)
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
        with (
            _filled(engine, tmp_path / f"side{round_}", [_block_rows(10 + round_, "b")]) as side,
            writing(engine) as connection,
        ):
            side.transfer(connection, TABLES)
        with engine.connect() as connection:
            attached = {row[1] for row in connection.exec_driver_sql("PRAGMA database_list")}
            assert SIDE not in attached
            count = connection.execute(select(BlockingKeyRow.record_key)).all()
            assert len(count) == 10 + round_


def _broken_pages() -> Iterator[list[TableRows]]:
    yield [(TABLES[0], COLUMNS, _block_rows(5, "b"))]
    raise RuntimeError("the rows could not be worked out")


def test_a_failure_beside_fails_the_transfer_and_leaves_the_store_as_it_was(
    tmp_path: Path,
) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    with engine.connect() as connection:
        schema = SideSchema.of(connection, TABLES)
    (tmp_path / "filler").mkdir()
    with SideFile(str(tmp_path / "filler"), schema, _broken_pages()) as side:
        with (
            pytest.raises(WorkerError, match="could not be worked out"),
            writing(engine) as connection,
        ):
            side.transfer(connection, TABLES)
        builder = side._builder
    assert builder.poll() is not None  # it waited for pages that never came: stopped

    unbuildable = SideSchema(schema.page_size, schema.tables, ["CREATE INDEX ix ON nowhere (x)"])
    with (
        _filled(engine, tmp_path / "builder", [_block_rows(5, "b")], unbuildable) as side,
        pytest.raises(WorkerError, match=r"no such table: main\.nowhere"),
        writing(engine) as connection,
    ):
        side.transfer(connection, TABLES)
    with engine.connect() as connection:
        assert connection.execute(select(BlockingKeyRow.record_key)).all() == []


def _running_with(argument: str) -> list[str]:
    """Processes whose command line holds `argument`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argument.encode() in command:
            found.append(entry.name)
    return found


def test_a_writer_that_cannot_start_leaves_no_builder_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fork(function: object) -> None:
        raise OSError("fork: out of memory")

    monkeypatch.setattr(side_file, "forked_call", no_fork)
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    with pytest.raises(OSError, match="fork"):
        _filled(engine, tmp_path / "side", [_block_rows(5, "b")])
    assert _running_with(str(tmp_path / "side" / "side.sqlite")) == []
