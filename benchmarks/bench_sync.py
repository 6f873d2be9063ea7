"""Sync throughput: file -> map -> store, on SQLite and PostgreSQL, with peak memory.

Writes a realistic CRM contacts export (names with accents, emails, phones in several
formats, dates; the demo's CRM layout) of 100k and 500k rows, then syncs each into a
fresh store in a child process of its own, so that each run's peak RSS is its own. The
same export is loaded with dlt too (`dlt[sqlalchemy]` into SQLite, `write_disposition=
"merge"` on the id: the ingest tool a data engineer would pick), also in a process of its
own, for comparison: dlt only loads rows, where Relhub also maps and checks every record.
Peak RSS adds the syncing process and each mapping worker at the largest worker's peak
(an upper bound: forked workers share their parent's pages, counted again in each
worker's RSS). Peak PSS is what the process tree takes from the machine (each shared page
divided among the processes sharing it), sampled from /proc for both loads by this process,
not the measured one: reading a large process's smaps costs milliseconds of CPU, which
sampled from inside took the GIL from the load and counted as its CPU.
Prints a table and ends with one JSON line:
  {"bench": "sync", "sqlite_records_per_s": ..., "postgres_records_per_s": ...,
   "peak_rss_mb_100k": ..., "peak_rss_mb_500k": ..., "dlt_records_per_s": ...,
   "relhub_over_dlt": ..., "dlt_peak_rss_mb": ..., "peak_pss_mb_100k": ...,
   "dlt_peak_pss_mb": ...}
(throughputs at the largest size; memory of dlt and PSS at the smallest, beside Relhub's)
CPU time per record (user + system, of the syncing process and of its mapping workers)
is printed beside the wall clock: on a shared machine it is the steadier figure.
Usage: python benchmarks/bench_sync.py [--sizes 100000 500000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from emulators.synthetic.layouts import CRM_CONTACTS  # noqa: E402  (the demo's CRM export layout)
from hub.cli.termination import stop_on_sigterm  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
GIVEN = ["María", "José", "Lucía", "Javier", "Ana", "Carmen", "John", "Mary", "Ángel", "Núria"]
FAMILY = ["García López", "Martínez", "Fernández Ruiz", "Smith", "Núñez", "O'Brien", "Pérez"]
CITIES = [("Madrid", "28001"), ("Barcelona", "08001"), ("Sevilla", "41001"), ("Bilbao", "48001")]


def write_export(path: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CRM_CONTACTS)
        for i in range(count):
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            city, postcode = rng.choice(CITIES)
            number = 600_000_000 + rng.randrange(99_999_999)
            phone = rng.choice([f"+34 {number}", f"{number:,}".replace(",", " "), f"0034{number}"])
            writer.writerow(
                [
                    f"C{i:08d}",
                    given,
                    family,
                    f"{given[0].lower()}.{i}@example.com",
                    phone,
                    "",
                    f"Company {i % 5000} S.L.",
                    f"A{i % 5000:06d}",
                    "Buyer",
                    f"Calle Mayor {i % 300}",
                    city,
                    postcode,
                    "ES",
                    rng.choice(["New", "Working", "Qualified", "Customer"]),
                    f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2004)}",
                    f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
                    "false",
                ]
            )


class PssSampler:
    """The peak PSS of a process and its descendants, sampled on a thread of its own.

    RSS counts a page shared by forked processes once in each; PSS divides it among them,
    so the sum over a process tree is the memory the tree takes. Every 200 ms: a read of
    smaps costs about 3 ms of CPU for a 300 MB process, which a load on two busy cores
    would feel at 50 ms, and the memory of a sync is flat over its pages."""

    def __init__(self, root: int, interval_s: float = 0.2) -> None:
        self.root = root
        self.interval_s = interval_s
        self.peak_kb = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024

    def _run(self) -> None:
        while True:
            self.peak_kb = max(self.peak_kb, sum(map(_pss_kb, _tree(self.root))))
            if self._done.wait(self.interval_s):
                return


def _tree(pid: int) -> list[int]:
    """A process and its descendants, from /proc's children lists."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pending.extend(int(child) for child in task.read_text().split())
            except OSError:  # the task ended meanwhile
                continue
    return found


def _pss_kb(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:  # the process ended meanwhile
        return 0
    return next(
        (int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0
    )


def child(export: Path, url: str) -> None:
    """Runs inside the measured process: one full sync, then its own figures on stdout."""
    sys.path.insert(0, str(REPO))
    from hub.config import load_config
    from hub.store.migrate import open_store
    from hub.sync import sync_source

    folder = export.parent
    config_file = folder / "bench.yaml"
    config_file.write_text(
        "sources:\n  - name: crm\n    type: file\n"
        f"    mapping: {REPO / 'mappings' / 'crm.yaml'}\n"
        f"    objects:\n      contacts: {{path: {export}}}\n"
    )
    config = load_config(config_file)
    engine = open_store(url)
    main_before = _cpu_seconds(resource.RUSAGE_SELF)
    workers_before = _cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    report = sync_source(config, engine, config.sources[0])
    seconds = time.perf_counter() - started
    main_cpu = _cpu_seconds(resource.RUSAGE_SELF) - main_before
    workers_cpu = _cpu_seconds(resource.RUSAGE_CHILDREN) - workers_before
    totals = report.totals()
    main_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    worker_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest worker
    workers = config.sources[0].mapping_workers
    peak_mb = (main_kb + (workers * worker_kb if workers > 1 else 0)) / 1024
    figures = {
        "seconds": seconds,
        "main_cpu_us": main_cpu * 1e6 / max(totals["fetched"], 1),
        "workers_cpu_us": workers_cpu * 1e6 / max(totals["fetched"], 1),
        "stored": totals["inserted"],
        "quarantined": totals["quarantined"],
        "peak_rss_mb": peak_mb,
    }
    print(json.dumps(figures))


def dlt_child(export: Path, folder: Path) -> None:
    """Runs inside the measured process: the export merged into SQLite by dlt."""
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    import dlt

    @dlt.resource(name="contacts", write_disposition="merge", primary_key="contact_id")
    def contacts() -> Iterator[list[dict[str, str]]]:
        with export.open(newline="", encoding="utf-8") as handle:
            rows = csv.DictReader(handle)
            while page := list(islice(rows, 1000)):  # dlt loads lists faster than rows
                yield page

    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{uuid.uuid4().hex[:8]}",
        pipelines_dir=str(folder / "dlt_pipelines"),
        destination=dlt.destinations.sqlalchemy(credentials=f"sqlite:///{folder / 'dlt.db'}"),
        dataset_name="crm",
    )
    before = _cpu_seconds(resource.RUSAGE_SELF)
    started = time.perf_counter()
    pipeline.run(contacts())
    seconds = time.perf_counter() - started
    with pipeline.sql_client() as client:
        [(stored,)] = client.execute_sql("SELECT count(*) FROM contacts")
    count = max(stored, 1)
    figures = {
        "seconds": seconds,
        "main_cpu_us": (_cpu_seconds(resource.RUSAGE_SELF) - before) * 1e6 / count,
        "workers_cpu_us": 0.0,
        "stored": stored,
        "quarantined": 0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(figures))


def _cpu_seconds(who: int) -> float:
    """User + system CPU time: on a shared machine, steadier than the wall clock."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def measure(export: Path, url: str, role: str = "--child") -> dict[str, float]:
    """A load in a process of its own: its figures, and the peak PSS of its process tree."""
    with (
        subprocess.Popen(
            [sys.executable, __file__, role, str(export), url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        ) as load,
        PssSampler(load.pid) as pss,
    ):
        out, err = load.communicate()
    if load.returncode:
        raise subprocess.CalledProcessError(load.returncode, load.args, out, err)
    return {**json.loads(out.strip().splitlines()[-1]), "peak_pss_mb": pss.peak_mb}


def fresh_postgres(server: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(server).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{server}?options=-csearch_path%3D{schema}", schema


def drop_schema(server: str, schema: str) -> None:
    with create_engine(server).begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def main() -> None:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 500_000])
    parser.add_argument(
        "--postgres", default=os.environ.get("RELHUB_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--child", nargs=2, metavar=("EXPORT", "URL"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--dlt-child", nargs=2, metavar=("EXPORT", "FOLDER"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1])
        return
    if args.dlt_child:
        dlt_child(Path(args.dlt_child[0]), Path(args.dlt_child[1]))
        return

    results: dict[tuple[str, int], dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="relhub-bench-sync-") as tmp:
        folder = Path(tmp)
        for size in args.sizes:
            export = folder / f"contacts_{size}.csv"
            write_export(export, size)
            results[("sqlite", size)] = measure(export, f"sqlite:///{folder / f'{size}.db'}")
            dlt_folder = folder / f"dlt_{size}"
            dlt_folder.mkdir()
            results[("dlt", size)] = measure(export, str(dlt_folder), "--dlt-child")
            url, schema = fresh_postgres(args.postgres)
            try:
                results[("postgres", size)] = measure(export, url)
            finally:
                drop_schema(args.postgres, schema)
            export.unlink()

    print(
        f"{'store':<10}{'records':>10}{'stored':>10}{'seconds':>10}{'records/s':>12}"
        f"{'peak RSS MB':>14}{'peak PSS MB':>14}{'CPU us/record (main + workers)':>34}"
    )
    for (store, size), r in results.items():
        cpu = f"{r['main_cpu_us']:.1f} + {r['workers_cpu_us']:.1f}"
        print(
            f"{store:<10}{size:>10}{r['stored']:>10}{r['seconds']:>10.1f}"
            f"{size / r['seconds']:>12,.0f}{r['peak_rss_mb']:>14.0f}"
            f"{r['peak_pss_mb']:>14.0f}{cpu:>34}"
        )
    largest = max(args.sizes)
    smallest = min(args.sizes)
    peak = {
        size: max(results[(s, size)]["peak_rss_mb"] for s in ("sqlite", "postgres"))
        for size in args.sizes
    }
    relhub_rate = largest / results[("sqlite", largest)]["seconds"]
    dlt_rate = largest / results[("dlt", largest)]["seconds"]
    print(f"peak RSS {largest:,} vs {smallest:,} records: {peak[largest] / peak[smallest]:.2f}x")
    print(
        json.dumps(
            {
                "bench": "sync",
                "sqlite_records_per_s": round(relhub_rate),
                "postgres_records_per_s": round(
                    largest / results[("postgres", largest)]["seconds"]
                ),
                f"peak_rss_mb_{smallest // 1000}k": round(peak[smallest], 1),
                f"peak_rss_mb_{largest // 1000}k": round(peak[largest], 1),
                "dlt_records_per_s": round(dlt_rate),
                "relhub_over_dlt": round(relhub_rate / dlt_rate, 2),
                "dlt_peak_rss_mb": round(results[("dlt", smallest)]["peak_rss_mb"], 1),
                f"peak_pss_mb_{smallest // 1000}k": round(
                    results[("sqlite", smallest)]["peak_pss_mb"], 1
                ),
                "dlt_peak_pss_mb": round(results[("dlt", smallest)]["peak_pss_mb"], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
