"""What SQLite alone takes to write what a full resolve stores: the floor under
`relhub_hub_seconds` on this machine, with the stored formats as they are.

    python benchmarks/bench_write_floor.py --n 1000000

Runs `relhub resolve --full` into a fresh SQLite store of n synced records, as
``bench_hub_resolve.py`` does (timed), then copies every table the resolve wrote (all but
the synced records) into a fresh SQLite file set up as the store is (page size, WAL,
cache): the rows in memory, inserted by the driver's `executemany` in one transaction,
secondary indexes built after, then committed.
Nothing else runs meanwhile, so its seconds are what no resolve could go under without
writing less. Prints each table's seconds and ends with one JSON line
(``"bench": "write_floor"``).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_hub_resolve import hub_resolve, sqlite_store

from hub.cli.termination import stop_on_sigterm
from hub.store.db import SQLITE_STORAGE_PRAGMAS
from hub.store.models import SourceRecordRow

FILLED = SourceRecordRow.__table__.name  # what the store held before the resolve


def write_floor(store: Path, copy: Path) -> dict[str, Any]:
    """Seconds to write the resolved `store`'s tables into `copy` (see the module's doc)."""
    source = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    target = sqlite3.connect(copy, isolation_level=None)
    for pragma in SQLITE_STORAGE_PRAGMAS:  # the store's; foreign keys stay off
        target.execute(f"PRAGMA {pragma}")
    written = [  # every table the resolve wrote (and the fill's one run row)
        name
        for (name,) in source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        if name != FILLED
    ]
    indexes: list[str] = []
    for table in written:
        [(create,)] = source.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        )
        target.execute(create)  # PRAGMA foreign_keys is off: the runs table need not exist
        indexes += [
            sql
            for (sql,) in source.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL",
                (table,),
            )
        ]
    seconds: dict[str, float] = {}
    rows_written = 0
    target.execute("BEGIN")
    for table in written:
        rows = source.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608 (our names)
        if rows:
            started = time.perf_counter()
            marks = ", ".join("?" * len(rows[0]))
            target.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)  # noqa: S608
            seconds[table] = time.perf_counter() - started
        rows_written += len(rows)
    started = time.perf_counter()
    for create in indexes:
        target.execute(create)
    seconds["indexes"] = time.perf_counter() - started
    started = time.perf_counter()
    target.execute("COMMIT")
    seconds["commit"] = time.perf_counter() - started
    return {
        "floor_seconds": sum(seconds.values()),
        "floor_steps": seconds,
        "rows_written": rows_written,
        "bytes_written": copy.stat().st_size,
    }


def main(argv: list[str] | None = None) -> None:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="records in the store")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    with sqlite_store() as url, tempfile.TemporaryDirectory() as folder:
        resolved = hub_resolve(args.n, args.seed, url)
        floor = write_floor(Path(url.removeprefix("sqlite:///")), Path(folder) / "copy.db")
    for name, seconds in floor["floor_steps"].items():
        print(f"  {name:<20} {seconds:7.1f} s")
    print(
        f"relhub resolve --full of {args.n:,} records: {resolved['seconds']:.1f} s; writing "
        f"what it stores ({floor['rows_written']:,} rows, {floor['bytes_written'] >> 20:,} MiB) "
        f"takes SQLite alone {floor['floor_seconds']:.1f} s"
    )
    print(
        json.dumps(
            {
                "bench": "write_floor",
                "n": args.n,
                "relhub_hub_seconds": resolved["seconds"],
                "relhub_hub_steps": resolved["steps"],
                **floor,
            }
        )
    )


if __name__ == "__main__":
    main()
