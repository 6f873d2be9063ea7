"""Incremental resolve in the hub: 1,000 changed records against a store of n records.

    python benchmarks/bench_incremental.py --n 100000

Fills a SQLite store with n synthetic people (`emulators.synthetic`) as snapshots of one
sync run, written straight through Core (a sync through a connector would measure the
sync), resolves it in full, then stores a second sync run that changes 1,000 records
(a new phone and job title each) and times `relhub resolve` — the incremental step that
re-resolves the changed records and the clusters they reach. Prints the figures and ends
with one JSON line (``"bench": "incremental"``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from peak_memory import PeakMemory
from sqlalchemy import Engine, bindparam, update

from emulators.synthetic.canonical import iter_person_records
from emulators.synthetic.generator import generate
from hub.cli.termination import stop_on_sigterm
from hub.config import RelhubConfig
from hub.resolve import ResolveReport, resolve
from hub.store import runs
from hub.store.db import JSONText, bulk_insert, utcnow
from hub.store.migrate import open_store
from hub.store.models import SourceRecordRow
from identity.records import PersonRecord

CHANGED = 1000
SEED = 7
PAGE = 20_000
_SOURCE = SourceRecordRow.__table__


def _snapshot(record: PersonRecord, run_id: int) -> dict[str, Any]:
    canonical = record.model_dump_json(exclude_none=True)
    p = record.provenance
    now = utcnow()
    return {
        "system": p.system,
        "object": p.object,
        "source_id": p.record_id,
        "entity_kind": record.kind,
        "payload": JSONText("{}"),
        "canonical": JSONText(canonical),
        "modified_at": p.modified_at,
        "deleted": False,
        "content_hash": hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest(),
        "first_seen_at": now,
        "last_seen_at": now,
        "last_run_id": run_id,
    }


def _records(n: int, seed: int) -> Iterator[PersonRecord]:
    for chunk in iter_person_records(generate(n, seed), PAGE):
        yield from chunk


def fill_store(engine: Engine, n: int, seed: int = SEED) -> list[PersonRecord]:
    """n records (generated with `seed`) as one sync run's snapshots; returns the ones the
    bench will change."""
    run_id = runs.start_run(engine, "sync", "synthetic")
    chosen = set(np.random.default_rng(SEED).choice(n, size=min(CHANGED, n), replace=False))
    picked: list[PersonRecord] = []
    page: list[dict[str, Any]] = []
    with engine.begin() as connection:
        for index, record in enumerate(_records(n, seed)):
            page.append(_snapshot(record, run_id))
            if index in chosen:
                picked.append(record)
            if len(page) == PAGE:
                bulk_insert(connection, _SOURCE, page)
                page = []
        bulk_insert(connection, _SOURCE, page)
    runs.finish_run(engine, run_id, {"inserted": n})
    return picked


def change_records(engine: Engine, records: list[PersonRecord]) -> None:
    """A second sync run that gives each record a new phone and job title."""
    run_id = runs.start_run(engine, "sync", "synthetic")
    rows = []
    for i, record in enumerate(records):
        changed = record.model_copy(
            update={"phones": [f"+3460{i:07d}", *record.phones], "job_title": "Head of Changes"}
        )
        row = _snapshot(changed, run_id)
        rows.append(
            {
                "key_system": row["system"],
                "key_object": row["object"],
                "key_id": row["source_id"],
                "canonical": row["canonical"],
                "content_hash": row["content_hash"],
                "last_run_id": run_id,
            }
        )
    statement = update(_SOURCE).where(
        _SOURCE.c.system == bindparam("key_system"),
        _SOURCE.c.object == bindparam("key_object"),
        _SOURCE.c.source_id == bindparam("key_id"),
    )
    with engine.begin() as connection:
        connection.execute(statement, rows)
    runs.finish_run(engine, run_id, {"updated": len(rows)})


def run(n: int, folder: Path) -> dict[str, Any]:
    engine = open_store(f"sqlite:///{folder}/relhub.db")
    config = RelhubConfig()
    started = time.perf_counter()
    with PeakMemory() as memory:
        picked = fill_store(engine, n)
        fill_seconds = time.perf_counter() - started
        fill_rss = memory.peak_mb
        full: ResolveReport = resolve(config, engine, full=True)
    full_rss = memory.peak_mb
    change_records(engine, picked)
    started = time.perf_counter()
    incremental = resolve(config, engine)
    incremental_seconds = time.perf_counter() - started
    assert not incremental.full, "the second resolve should have been incremental"
    return {
        "bench": "incremental",
        "n": n,
        "fill_seconds": round(fill_seconds, 2),
        "full_seconds": full.seconds,
        "full_peak_rss_mb": round(full_rss),
        "fill_peak_rss_mb": round(fill_rss),
        "incremental_1k_seconds": round(incremental_seconds, 3),
        "records_reresolved": incremental.resolved,
        "golden_records": full.golden_records,
    }


def incremental_1k_seconds(n: int) -> float:
    """Seconds of an incremental resolve of 1,000 changed records against n records."""
    with tempfile.TemporaryDirectory() as folder:
        return float(run(n, Path(folder))["incremental_1k_seconds"])


def main(argv: list[str] | None = None) -> None:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="records in the store")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        figures = run(args.n, Path(folder))
    print(f"store of {figures['n']:,} records filled in {figures['fill_seconds']} s")
    print(
        f"full resolve: {figures['full_seconds']} s, peak memory {figures['full_peak_rss_mb']} MB"
        f" (after filling the store: {figures['fill_peak_rss_mb']} MB),"
        f" {figures['golden_records']:,} golden records"
    )
    print(
        f"incremental resolve of {CHANGED:,} changed records: "
        f"{figures['incremental_1k_seconds']} s, {figures['records_reresolved']:,} re-resolved"
    )
    print(
        json.dumps(
            {
                k: figures[k]
                for k in (
                    "bench",
                    "n",
                    "full_seconds",
                    "full_peak_rss_mb",
                    "incremental_1k_seconds",
                    "records_reresolved",
                )
            }
        )
    )


if __name__ == "__main__":
    main()
