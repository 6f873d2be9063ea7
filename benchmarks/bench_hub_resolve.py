"""A full `relhub resolve --full` into a fresh store of synced records, as a user runs it.

    python benchmarks/bench_hub_resolve.py --n 100000 [--postgres]

Fills a fresh store (SQLite in a temporary folder, or a fresh schema on the PostgreSQL
server of RELHUB_BENCH_POSTGRES_URL) with n synthetic people as one sync run's snapshots
(`bench_incremental.fill_store`; not timed), then runs the command line in a subprocess
and times it: everything a user waits for, from the interpreter's start to the committed
golden records, links, index and history. Peak memory is the command's process tree's
(its forked workers included; `peak_memory.py`). Ends with one JSON line
(``"bench": "hub_resolve"``); `bench_identity_scale.py` reports the same figures beside
splink's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench_incremental import fill_store
from peak_memory import PeakMemory
from sqlalchemy import create_engine, text

from hub.cli.termination import stop_on_sigterm
from hub.store.migrate import open_store

POSTGRES_URL = os.environ.get(
    "RELHUB_BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)


@contextmanager
def sqlite_store() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/relhub.db"


@contextmanager
def postgres_store(server: str = POSTGRES_URL) -> Iterator[str]:
    """A URL whose search_path is a fresh schema on `server`, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    url = schema_url(server, schema)
    admin = create_engine(server)
    try:
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def schema_url(server: str, schema: str) -> str:
    """A URL of `server` whose search_path is `schema` (a plain lower-case name), created
    when missing."""
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    separator = "&" if "?" in server else "?"
    return f"{server}{separator}options=-csearch_path%3D{schema}"


def hub_resolve(n: int, seed: int, url: str) -> dict[str, Any]:
    """Seconds and peak memory of `relhub resolve --full` on a store of n synced records."""
    fill_store(open_store(url), n, seed)
    started = time.perf_counter()
    command = [sys.executable, "-m", "hub", "resolve", "--full", "--json"]
    with (
        subprocess.Popen(
            command,
            env={**os.environ, "RELHUB_DATABASE_URL": url},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as process,
        PeakMemory(pid=process.pid) as memory,
    ):
        out, err = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"relhub resolve failed: {(err.strip().splitlines() or ['?'])[-1]}")
    report = json.loads(out)
    return {
        "seconds": seconds,
        "peak_rss_mb": memory.peak_mb,
        "golden_records": report["golden_records"],
        "steps": report["steps"],
    }


def main(argv: list[str] | None = None) -> None:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="records in the store")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL, not SQLite")
    args = parser.parse_args(argv)
    with postgres_store() if args.postgres else sqlite_store() as url:
        figures = hub_resolve(args.n, args.seed, url)
    steps = ", ".join(f"{name} {seconds:.1f}" for name, seconds in figures["steps"].items())
    print(
        f"relhub resolve --full of {args.n:,} records: {figures['seconds']:.1f} s, "
        f"peak memory {figures['peak_rss_mb']:.0f} MiB ({steps})"
    )
    database = "postgresql" if args.postgres else "sqlite"
    print(json.dumps({"bench": "hub_resolve", "n": args.n, "database": database, **figures}))


if __name__ == "__main__":
    main()
