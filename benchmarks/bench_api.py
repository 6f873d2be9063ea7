"""The read API under load: `relhub serve` on loopback over a PostgreSQL store, driven by
a load generator in a process of its own.

    python benchmarks/bench_api.py --size 1000000 --resolved 20000

The store: `--resolved` synthetic people (`emulators.synthetic`) stored as one sync run's
snapshots and resolved in full for real (fitted models, blocking index, golden records),
then synthetic golden records with one member each bulk-inserted (COPY) until the store
holds `--size` golden records (lookups by id and by source key read them like any other).
Then `relhub serve --workers N` is started, and the load generator runs one phase per
kind of request for `--seconds` each: golden record by a random id, by a random source
key, search by the email of a resolved person, and match of a resolved person's record
with a changed phone. The generator is `wrk` (Debian's package) where it is on PATH — a C
client, so the cores go to the server rather than to making requests — else httpx with
asyncio (`--client` chooses); `--concurrency` requests in flight over keep-alive
connections; latencies are measured in the client, request to full answer, and the CPU
the server's processes used per request beside them (what other load on the machine leaves
as it is). Needs a
PostgreSQL server (`--database-url`, default the local test server; the bench works in a
schema of its own and drops it, or with `--keep-store SCHEMA` builds the store there once
and reuses it on later runs: the 1M store takes minutes to build). Ends with one JSON line
(``"bench": "api"``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import psutil
from bench_hub_resolve import POSTGRES_URL, postgres_store, schema_url
from bench_incremental import fill_store
from sqlalchemy import func, select, text

from hub.cli.termination import stop_on_sigterm
from hub.config import RelhubConfig
from hub.resolve import resolve
from hub.serve.tokens import create_token
from hub.store import runs
from hub.store.db import JSONText, bulk_insert
from hub.store.identity_models import ACTIVE, GoldenMemberRow, GoldenRecordRow
from hub.store.migrate import open_store
from hub.store.models import Run, SourceRecordRow

REPO = Path(__file__).resolve().parent.parent
PAGE = 50_000
SAMPLE = 2000  # resolved people whose email and record the search and match phases use


def build_store(url: str, size: int, resolved: int) -> dict[str, Any]:
    """Resolve `resolved` people, then add synthetic golden records up to `size`."""
    engine = open_store(url)
    started = time.perf_counter()
    fill_store(engine, resolved)
    report = resolve(RelhubConfig(), engine, full=True)
    resolve_seconds = time.perf_counter() - started
    with engine.connect() as connection:
        template = connection.execute(
            select(GoldenRecordRow).where(GoldenRecordRow.status == ACTIVE).limit(1)
        ).one()
    extra = max(0, size - report.golden_records)
    run_id = runs.start_run(engine, "bench", "synthetic")
    started = time.perf_counter()
    golden = GoldenRecordRow.__table__
    members = GoldenMemberRow.__table__
    fields = JSONText(json.dumps(template.fields))
    for start in range(0, extra, PAGE):
        ids = range(start, min(extra, start + PAGE))
        with engine.begin() as connection:
            bulk_insert(
                connection,
                golden,
                [{"golden_id": f"g-bench{i:010d}", "fields": fields} for i in ids],
                {
                    "entity_kind": "person",
                    "status": ACTIVE,
                    "roles": ["customer"],
                    "lifecycle_stage": None,
                    "lifecycle": {},
                    "member_count": 1,
                    "created_run_id": run_id,
                    "updated_run_id": run_id,
                },
            )
            bulk_insert(
                connection,
                members,
                [
                    {
                        "record_key": f"bench/people/B{i:010d}",
                        "source_id": f"B{i:010d}",
                        "golden_id": f"g-bench{i:010d}",
                    }
                    for i in ids
                ],
                {"system": "bench", "object": "people", "run_id": run_id},
            )
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    runs.finish_run(engine, run_id, {"golden_records": extra})
    engine.dispose()
    return {
        "resolved": resolved,
        "resolve_seconds": round(resolve_seconds, 1),
        "insert_seconds": round(time.perf_counter() - started, 1),
    }


def read_store(url: str) -> dict[str, Any]:
    """What the phases ask for, read back from a built store, and a fresh admin token."""
    engine = open_store(url)
    with engine.connect() as connection:
        people = connection.execute(
            select(SourceRecordRow.canonical).order_by(SourceRecordRow.id).limit(SAMPLE)
        ).scalars()
        sample = [canonical for canonical in people if canonical.get("emails")]
        ids = list(connection.execute(select(GoldenMemberRow.golden_id)).scalars())
        keys = [
            tuple(row)
            for row in connection.execute(
                select(GoldenMemberRow.system, GoldenMemberRow.object, GoldenMemberRow.source_id)
            )
        ]
    _, token = create_token(engine, f"bench-{uuid.uuid4().hex[:8]}", ["admin"])
    engine.dispose()
    return {"golden_records": len(ids), "ids": ids, "keys": keys, "sample": sample, "token": token}


@contextmanager
def bench_store(server: str, kept: str | None) -> Iterator[str]:
    """A fresh schema dropped afterwards, or with `kept` the schema of that name, created
    when missing and left in place for the next run to reuse."""
    if kept is None:
        with postgres_store(server) as url:
            yield url
        return
    yield schema_url(server, kept)


def schema_name(given: str) -> str:
    """A schema name given on the command line: a plain lower-case name, which needs no
    quoting in a statement or in the URL's search_path."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", given):
        raise argparse.ArgumentTypeError(f"{given!r}: lower-case letters, digits and _ only")
    return given


def is_built(url: str) -> bool:
    """Whether the schema already holds a store some earlier run built in full."""
    engine = open_store(url)
    with engine.connect() as connection:
        done = connection.execute(
            select(func.count()).where(Run.step == "bench", Run.status == runs.SUCCEEDED)
        ).scalar_one()
    engine.dispose()
    return bool(done)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_cpu_seconds(pid: int) -> float:
    """CPU time (user and system) the server's processes have used: uvicorn's parent and
    its workers, not PostgreSQL's. Per request, a figure the machine's other load leaves
    as it is, where latencies under it are noise."""
    server = psutil.Process(pid)
    return sum(sum(p.cpu_times()[:2]) for p in (server, *server.children(recursive=True)))


@contextmanager
def serving(url: str, workers: int) -> Iterator[tuple[str, int]]:
    """`relhub serve` in a subprocess, until it answers: its address and process id."""
    port = _free_port()
    env = dict(os.environ, RELHUB_DATABASE_URL=url, PYTHONPATH=str(REPO))
    env.pop("RELHUB_CONFIG", None)
    command = [sys.executable, "-m", "hub", "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--no-access-log"]
    server = subprocess.Popen(command, env=env, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("relhub serve did not start")
            time.sleep(0.5)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


Request = tuple[str, str, Any]  # method, path, JSON body


async def _drive(
    base: str, token: str, requests: list[Request], seconds: float, concurrency: int
) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:
        stop = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            i = offset
            while time.perf_counter() < stop:
                method, path, body = requests[i % len(requests)]
                i += concurrency
                began = time.perf_counter()
                answer = await client.request(method, path, json=body)
                latencies.append(time.perf_counter() - began)
                if answer.status_code != 200:
                    failures.append(f"{method} {path}: {answer.status_code} {answer.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, failures, elapsed


def _load_process(spec: dict[str, Any], out: Any) -> None:
    out.send(
        asyncio.run(
            _drive(
                spec["base"],
                spec["token"],
                spec["requests"],
                spec["seconds"],
                spec["concurrency"],
            )
        )
    )


def load(
    base: str, token: str, requests: list[Request], seconds: float, concurrency: int
) -> dict[str, float]:
    """Drive the requests from a process of its own; per-second rate and percentiles."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    spec = {
        "base": base,
        "token": token,
        "requests": requests,
        "seconds": seconds,
        "concurrency": concurrency,
    }
    process = context.Process(target=_load_process, args=(spec, send))
    process.start()
    latencies, failures, elapsed = receive.recv()
    process.join()
    if failures:
        raise RuntimeError(
            f"{len(failures)} of {len(latencies)} requests did not answer 200, first: {failures[0]}"
        )
    ms = np.array(latencies) * 1000
    return {
        "per_s": round(len(ms) / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "requests": len(ms),
    }


_WRK_SCRIPT = """
local method = os.getenv("RELHUB_WRK_METHOD")
local lines = {}
for line in io.lines(os.getenv("RELHUB_WRK_REQUESTS")) do lines[#lines + 1] = line end
wrk.headers["Authorization"] = "Bearer " .. os.getenv("RELHUB_WRK_TOKEN")
wrk.headers["Content-Type"] = "application/json"
local i = math.random(#lines)
request = function()
  i = i % #lines + 1
  if method == "POST" then return wrk.format("POST", "/v1/match", nil, lines[i]) end
  return wrk.format("GET", lines[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RELHUB %d %d %.1f %.1f %d %d %d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write, e.timeout))
end
"""


def wrk_load(
    base: str, token: str, requests: list[Request], seconds: float, concurrency: int
) -> dict[str, float]:
    """The same phase through `wrk` (one thread: a C client needs no more at these rates);
    its Lua script cycles through the requests and prints one line of figures."""
    methods = {method for method, _, _ in requests}
    if methods - {"GET"} and [path for _, path, _ in requests if path != "/v1/match"]:
        raise ValueError("wrk phases are GETs, or POSTs to /v1/match")
    with tempfile.TemporaryDirectory() as folder:
        script, lines = Path(folder, "phase.lua"), Path(folder, "requests.txt")
        script.write_text(_WRK_SCRIPT)
        lines.write_text(
            "".join((json.dumps(body) if body else path) + "\n" for _, path, body in requests)
        )
        environment = {
            **os.environ,
            "RELHUB_WRK_METHOD": methods.pop(),
            "RELHUB_WRK_REQUESTS": str(lines),
            "RELHUB_WRK_TOKEN": token,
        }
        duration = f"-d{max(1, round(seconds))}s"
        command = ["wrk", "-t1", f"-c{concurrency}", duration, "-s", str(script), base]
        output = subprocess.run(
            command, env=environment, capture_output=True, text=True, check=True
        ).stdout
    figures = next(line.split()[1:] for line in output.splitlines() if line.startswith("RELHUB"))
    count, micros, p50, p99, not_2xx, socket_errors, timeouts = (float(x) for x in figures)
    if not_2xx or socket_errors:
        raise RuntimeError(
            f"of {count:.0f} requests {not_2xx:.0f} did not answer 2xx, "
            f"{socket_errors:.0f} failed on the socket"
        )
    return {
        "per_s": round(count / (micros / 1e6), 1),
        "p50_ms": round(p50 / 1000, 2),
        "p99_ms": round(p99 / 1000, 2),
        "requests": int(count),
        "timeouts": int(timeouts),  # over wrk's 2 s: counted, not in the percentiles
    }


def _match_body(canonical: dict[str, Any], i: int) -> dict[str, Any]:
    """A resolved person as a sign-up form would give them: name, email, a new phone."""
    record = {
        "kind": "person",
        "given_name": canonical.get("given_name"),
        "family_name": canonical.get("family_name"),
        "emails": canonical.get("emails", [])[:1],
        "phones": [f"+3461{i:07d}"],
    }
    return {"record": {k: v for k, v in record.items() if v}}


PHASES = ("lookup", "source_lookup", "email_search", "match")
SUMMARY = {  # the JSON line's figures: (phase, figure)
    "lookups_per_s": ("lookup", "per_s"),
    "lookup_p50_ms": ("lookup", "p50_ms"),
    "lookup_p99_ms": ("lookup", "p99_ms"),
    "source_lookup_p99_ms": ("source_lookup", "p99_ms"),
    "email_search_p99_ms": ("email_search", "p99_ms"),
    "match_p99_ms": ("match", "p99_ms"),
    "match_per_s": ("match", "per_s"),
    "lookup_server_cpu_ms": ("lookup", "server_cpu_ms"),
    "match_server_cpu_ms": ("match", "server_cpu_ms"),
}


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(7)
    with bench_store(args.database_url, args.keep_store) as url:
        built = (
            {} if args.keep_store and is_built(url) else build_store(url, args.size, args.resolved)
        )
        store = read_store(url) | built
        ids = rng.sample(store["ids"], min(20_000, len(store["ids"])))
        keys = rng.sample(store["keys"], min(20_000, len(store["keys"])))
        sample = store["sample"]
        phases: dict[str, list[Request]] = {
            "lookup": [("GET", f"/v1/golden/{g}", None) for g in ids],
            "source_lookup": [("GET", f"/v1/sources/{s}/{o}/{i}", None) for s, o, i in keys],
            "email_search": [
                ("GET", f"/v1/search?email={quote(c['emails'][0])}", None) for c in sample
            ],
            "match": [("POST", "/v1/match", _match_body(c, i)) for i, c in enumerate(sample)],
        }
        drive = wrk_load if args.client == "wrk" else load
        with serving(url, args.workers) as (base, pid):
            drive(base, store["token"], phases["lookup"][:500], 2, args.concurrency)  # warm up
            figures = {}
            for name in args.phases:
                requests = phases[name]
                used = server_cpu_seconds(pid)
                phase = drive(base, store["token"], requests, args.seconds, args.concurrency)
                used = server_cpu_seconds(pid) - used
                phase["server_cpu_ms"] = round(used / phase["requests"] * 1000, 3)
                figures[name] = phase
    return {
        "bench": "api",
        "golden_records": store["golden_records"],
        "resolved": store.get("resolved"),  # None, as the seconds, for a store built before
        "workers": args.workers,
        "concurrency": args.concurrency,
        "client": args.client,
        "resolve_seconds": store.get("resolve_seconds"),
        "insert_seconds": store.get("insert_seconds"),
        **{
            key: figures[phase][figure]
            for key, (phase, figure) in SUMMARY.items()
            if phase in figures
        },
        "phases": figures,
    }


def main(argv: list[str] | None = None) -> None:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="golden records in the store")
    parser.add_argument(
        "--resolved", type=int, default=20_000, help="synthetic people resolved for real"
    )
    parser.add_argument("--database-url", default=POSTGRES_URL)
    parser.add_argument(
        "--keep-store",
        metavar="SCHEMA",
        type=schema_name,
        help="build the store in this schema and keep it; a later run reuses it as it is "
        "(--size and --resolved then do not apply)",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--seconds", type=float, default=15.0, help="per phase")
    parser.add_argument(
        "--phases", nargs="+", choices=PHASES, default=list(PHASES), help="phases to run"
    )
    parser.add_argument(
        "--client",
        choices=["wrk", "httpx"],
        default="wrk" if shutil.which("wrk") else "httpx",
        help="load generator (default: wrk where it is on PATH)",
    )
    args = parser.parse_args(argv)
    figures = run(args)
    for name, phase in figures["phases"].items():
        print(
            f"{name:>14}: {phase['per_s']:8.1f}/s  p50 {phase['p50_ms']:7.2f} ms  "
            f"p99 {phase['p99_ms']:7.2f} ms  server CPU {phase['server_cpu_ms']:6.2f} ms/request  "
            f"({phase['requests']} requests)"
        )
    del figures["phases"]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
