"""Runs started at once, as Airflow or two operators start them, end as run one by one.

Real `relhub` processes in parallel on the same store: two syncs of one source, syncs of
two sources, a resolve during a sync, two resolves. Nothing fails, nothing is falsely
quarantined, and the store ends as a serial run leaves it. A run that finds its lock
taken waits, saying for whom, or with `--wait 0` exits 75 with one line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from syncfixtures import MAPPING, row, store_contents, write_rows

from hub.config import load_config
from hub.resolve import resolve
from hub.store import runs
from hub.store.identity_models import ACTIVE, GoldenMemberRow, GoldenRecordRow
from hub.store.migrate import open_store
from hub.sync import sync_source

RELHUB = [sys.executable, "-m", "hub"]
SHOP_ROWS = 4000
CLUB_ROWS = 2000  # every other one the same human as a shop customer


def make_sources(folder: Path) -> Path:
    """Two file sources, `shop` and `club`; club's even rows are shop customers too."""
    shop = [
        row(i, updated=f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z") for i in range(SHOP_ROWS)
    ]
    club = [
        row(i, updated="2026-01-02T00:00:00Z", id=f"K{i:06d}")
        if i % 2 == 0
        else row(i + SHOP_ROWS, updated="2026-01-02T00:00:00Z", id=f"K{i:06d}")
        for i in range(CLUB_ROWS)
    ]
    for system, rows in (("shop", shop), ("club", club)):
        (folder / f"{system}.yaml").write_text(MAPPING.replace("system: shop", f"system: {system}"))
        write_rows(folder / f"{system}.csv", rows)
    sources = "".join(
        f"  - name: {system}\n    type: file\n    mapping: {system}.yaml\n    page_size: 200\n"
        f"    mapping_workers: 1\n"
        f"    objects:\n      customers: {{path: {system}.csv}}\n"
        for system in ("shop", "club")
    )
    (folder / "relhub.yaml").write_text(f"sources:\n{sources}")
    return folder / "relhub.yaml"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return make_sources(tmp_path)


def start(config_file: Path, url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "RELHUB_DATABASE_URL": url, "RELHUB_CONFIG": str(config_file)}
    return subprocess.Popen(
        [*RELHUB, *args],
        env=env,
        cwd=config_file.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr


def at_once(config_file: Path, url: str, *commands: Sequence[str]) -> list[tuple[int, str]]:
    """Start every command, then wait for all of them."""
    processes = [start(config_file, url, *command) for command in commands]
    return [finish(process) for process in processes]


def serial(config_file: Path, url: str, *, resolved: bool) -> Engine:
    """The reference: each source synced, then (if `resolved`) one resolve, one by one."""
    config = load_config(config_file)
    engine = open_store(url)
    for source in config.sources:
        sync_source(config, engine, source)
    if resolved:
        resolve(config, engine)
    return engine


def golden_partition(engine: Engine) -> dict[frozenset[str], Any]:
    """Golden records as their member sets and survived fields, without ids or run ids."""
    with engine.connect() as connection:
        members: dict[str, set[str]] = {}
        for key, golden_id in connection.execute(
            select(GoldenMemberRow.record_key, GoldenMemberRow.golden_id)
        ):
            members.setdefault(golden_id, set()).add(key)
        return {
            frozenset(members[g.golden_id]): (
                g.entity_kind,
                json.dumps(g.fields, sort_keys=True),
                tuple(g.roles),
            )
            for g in connection.execute(
                select(GoldenRecordRow).where(GoldenRecordRow.status == ACTIVE)
            )
        }


def reference(config_file: Path, tmp_path: Path, *, resolved: bool) -> Engine:
    return serial(config_file, f"sqlite:///{tmp_path / 'reference.db'}", resolved=resolved)


def test_two_syncs_of_one_source_at_once(config_file: Path, store_url: str, tmp_path: Path) -> None:
    outcomes = at_once(config_file, store_url, ["sync", "shop"], ["sync", "shop"])
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    expected = store_contents(reference(config_file, tmp_path, resolved=False))
    shop_only = {
        part: [item for item in items if item[0] == "shop"] for part, items in expected.items()
    }
    assert store_contents(open_store(store_url)) == shop_only
    assert shop_only["quarantine"] == []
    statuses = [r.status for r in runs.recent_runs(open_store(store_url))]
    assert statuses == [runs.SUCCEEDED, runs.SUCCEEDED]


def test_syncs_of_two_sources_at_once(config_file: Path, store_url: str, tmp_path: Path) -> None:
    outcomes = at_once(config_file, store_url, ["sync", "shop"], ["sync", "club"])
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    expected = store_contents(reference(config_file, tmp_path, resolved=False))
    assert store_contents(open_store(store_url)) == expected


def test_a_resolve_during_a_sync_breaks_nothing(
    config_file: Path, store_url: str, tmp_path: Path
) -> None:
    """The resolve takes what was synced before it started; the next one takes the rest,
    and the store ends as sync-then-resolve leaves it."""
    engine = open_store(store_url)
    config = load_config(config_file)
    sync_source(config, engine, config.source("club"))
    sync = start(config_file, store_url, "sync", "shop")
    while not any(r.step == "sync" and r.source == "shop" for r in runs.recent_runs(engine)):
        time.sleep(0.05)
    during = start(config_file, store_url, "resolve")
    assert [finish(sync)[0], finish(during)[0]] == [0, 0]
    resolve(config, engine)
    expected = reference(config_file, tmp_path, resolved=True)
    assert golden_partition(engine) == golden_partition(expected)
    assert store_contents(engine) == store_contents(expected)


def test_two_resolves_at_once(config_file: Path, store_url: str, tmp_path: Path) -> None:
    engine = serial(config_file, store_url, resolved=False)
    outcomes = at_once(config_file, store_url, ["resolve", "--full"], ["resolve", "--full"])
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    assert golden_partition(engine) == golden_partition(
        reference(config_file, tmp_path, resolved=True)
    )
    resolves = [r.status for r in runs.recent_runs(engine) if r.step == "resolve"]
    assert resolves == [runs.SUCCEEDED, runs.SUCCEEDED]


def test_a_taken_lock_makes_the_second_run_wait_or_exit_75(
    config_file: Path, store_url: str
) -> None:
    engine = open_store(store_url)
    with runs.exclusive(engine, "resolve", None):
        held = runs.start_run(engine, "resolve", None)
        code, stderr = finish(start(config_file, store_url, "resolve", "--wait", "0"))
        assert code == 75
        [line] = stderr.strip().splitlines()
        assert f"resolve: resolve run {held} (started " in line
        assert "(--wait SECONDS to wait longer)" in line

        waiting = start(config_file, store_url, "resolve", "--wait", "120")
        assert waiting.stderr is not None
        said = waiting.stderr.readline()  # it says whom it waits for, and waits
        assert f"resolve waits for resolve run {held} (started " in said
        time.sleep(1)
        assert waiting.poll() is None
        runs.finish_run(engine, held, {})
    code, stderr = finish(waiting)
    assert code == 0, stderr
    # A lock of another source, or of another step, is not this one: no wait.
    with runs.exclusive(engine, "sync", "club"), runs.exclusive(engine, "resolve", None):
        code, stderr = finish(start(config_file, store_url, "sync", "shop", "--wait", "0"))
    assert code == 0, stderr
