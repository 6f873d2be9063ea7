"""The DAGs on Airflow's CeleryExecutor with two workers, as production deploys them.

A scheduler, DAG processor, API server and two Celery workers run as processes of their
own over a Redis broker, Airflow's metadata in a fresh PostgreSQL database and Relhub's
store in a fresh PostgreSQL schema. Four per-source sync DAGs are triggered at once; their
Assets start the resolve DAG, whose first resolve is a partitioned full one: its pair
scoring is two mapped tasks on the workers (the incremental branch is skipped). The store
ends as a single process leaves it: every record once, and the same golden records as one
plain full resolve of the same files.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import redis
from airflow_cluster import BIN, REDIS_URL, Cluster, celery_cluster
from sqlalchemy import Engine, create_engine, select, text
from syncfixtures import MAPPING, row, store_contents, write_rows

from hub.config import load_config
from hub.resolve import resolve
from hub.store.identity_models import GoldenMemberRow
from hub.store.migrate import open_store
from hub.sync import sync_source

pytestmark = [pytest.mark.celery, pytest.mark.slow, pytest.mark.postgres]

SOURCES = ["shop", "club", "crm", "hr"]
PEOPLE = 400
"""Each source holds half of the people, offset by a quarter per source, so each person is
in two sources and every pair of neighbouring sources shares a quarter of the people."""
PARTITIONS = 2  # the resolve DAG's full resolve scores pairs in two mapped tasks


def make_sources(folder: Path) -> Path:
    """Four file sources with their own pools and manual schedules: one DAG each."""
    sources = ""
    for k, system in enumerate(SOURCES):
        people = [(k * PEOPLE // 4 + i) % PEOPLE for i in range(PEOPLE // 2)]
        rows = [row(who, id=f"{system[0].upper()}{who:06d}") for who in people]
        (folder / f"{system}.yaml").write_text(MAPPING.replace("system: shop", f"system: {system}"))
        write_rows(folder / f"{system}.csv", rows)
        sources += (
            f"  - name: {system}\n    type: file\n    mapping: {system}.yaml\n"
            f"    pool: {system}\n    schedule: null\n    page_size: 50\n"
            f"    objects:\n      customers: {{path: {system}.csv}}\n"
        )
    pools = ", ".join(f"{system}: 1" for system in SOURCES)
    (folder / "relhub.yaml").write_text(
        f"airflow:\n  sync_schedule: null\n  pools: {{{pools}}}\n"
        f"resolve: {{partitions: {PARTITIONS}}}\nsources:\n{sources}"
    )
    return folder / "relhub.yaml"


@pytest.fixture
def redis_server() -> None:
    """Skip without a Redis broker, as without PostgreSQL; in CI a missing one fails."""
    pytest.importorskip("airflow.providers.celery", reason="needs the `celery` extra")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs Redis at {REDIS_URL}: {error}")
        pytest.skip(f"no Redis at {REDIS_URL} ({error}); set RELHUB_TEST_REDIS_URL")


@pytest.fixture
def cluster(
    tmp_path: Path, redis_server: None, postgres_server: str, postgres_url: str
) -> Iterator[Cluster]:
    config_file = make_sources(tmp_path)
    env = {"RELHUB_CONFIG": str(config_file), "RELHUB_DATABASE_URL": postgres_url}
    with celery_cluster(tmp_path, postgres_server, env) as running:
        subprocess.run(
            [str(BIN / "relhub"), "airflow", "pools", "--apply"],
            env=running.env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield running


def golden_partition(engine: Engine) -> set[frozenset[str]]:
    """The golden records as sets of member keys: what a resolve decided, whatever the ids."""
    members: dict[str, set[str]] = {}
    with engine.connect() as connection:
        for m in connection.execute(select(GoldenMemberRow)):
            members.setdefault(m.golden_id, set()).add(f"{m.system}/{m.object}/{m.source_id}")
    return {frozenset(keys) for keys in members.values()}


def single_process_store(config_file: Path, url: str) -> Engine:
    """The same sources synced one by one and fully resolved in this process."""
    config = load_config(config_file)
    engine = open_store(url)
    for source in config.sources:
        sync_source(config, engine, source)
    resolve(config, engine, full=True)
    return engine


def task_instances(cluster: Cluster, runs: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """The task instances of these (dag id, run id) runs with the Celery task id the scheduler
    gave each: not those of DAGs the resolve's golden asset started after it (the webhook
    deliverer), which may still be running when the resolve has finished."""
    engine = create_engine(cluster.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT dag_id, run_id, task_id, map_index, state, queue, external_executor_id,"
                " start_date, end_date"
                " FROM task_instance"
            )
        ).mappings()
        found = [dict(r) for r in rows if (r["dag_id"], r["run_id"]) in runs]
    engine.dispose()
    return found


def test_syncs_and_resolve_spread_over_two_workers_end_as_one_process(
    cluster: Cluster, tmp_path: Path, postgres_url: str
) -> None:
    runs = {f"relhub_sync_{s}": cluster.trigger(f"relhub_sync_{s}") for s in SOURCES}
    for dag_id, run_id in runs.items():
        run = cluster.wait_for_run(dag_id, run_id, 180)
        assert run["state"] == "success", f"{dag_id} {run_id}: {run['state']}"

    def resolve_run() -> dict[str, object] | None:
        found = cluster.get("/dags/relhub_resolve/dagRuns")["dag_runs"]
        return found[0] if found else None

    started = cluster.wait("the Assets to start relhub_resolve", resolve_run, 60)
    assert started["run_type"] == "asset_triggered"
    resolved = cluster.wait_for_run("relhub_resolve", str(started["dag_run_id"]), 180)
    assert resolved["state"] == "success"

    everything = task_instances(
        cluster, {*runs.items(), ("relhub_resolve", str(started["dag_run_id"]))}
    )
    skipped = [(i["dag_id"], i["task_id"]) for i in everything if i["state"] == "skipped"]
    assert skipped == [("relhub_resolve", "resolve")], "a first resolve takes the partitioned path"
    instances = [i for i in everything if i["state"] != "skipped"]
    assert {i["state"] for i in instances} == {"success"}
    assert {i["queue"] for i in instances} == {cluster.queue}
    received = {w: cluster.celery_task_ids(w) for w in cluster.workers}
    ran_on: dict[str, list[str]] = {w: [] for w in cluster.workers}
    for instance in instances:
        holders = [w for w, ids in received.items() if instance["external_executor_id"] in ids]
        assert len(holders) == 1, f"{instance} received by {holders}"
        ran_on[holders[0]].append(f"{instance['dag_id']}.{instance['task_id']}")
    assert all(ran_on.values()), f"a worker ran nothing: {ran_on}"

    scored = sorted(i["map_index"] for i in instances if i["task_id"] == "score")
    assert scored == list(range(PARTITIONS)), "the resolve was not partitioned"

    syncs = sorted(
        (i["start_date"], i["end_date"]) for i in instances if i["task_id"].startswith("sync_")
    )
    assert any(later[0] < earlier[1] for earlier, later in pairwise(syncs)), (
        f"no two syncs ran at the same time: {syncs}"
    )

    expected = single_process_store(tmp_path / "relhub.yaml", f"sqlite:///{tmp_path / 'one.db'}")
    airflow_store = open_store(postgres_url)
    contents = store_contents(airflow_store)
    assert len(contents["snapshots"]) == len(SOURCES) * PEOPLE // 2
    assert contents == store_contents(expected)
    assert golden_partition(airflow_store) == golden_partition(expected)
    assert len(golden_partition(expected)) == PEOPLE
