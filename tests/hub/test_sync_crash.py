"""A sync killed with SIGKILL at random points, then rerun, ends as an uninterrupted one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from syncfixtures import make_source, row, store_contents

from hub.store.migrate import open_store

RELHUB = [sys.executable, "-m", "hub"]


def run_relhub(folder: Path, url: str, kill_after: float | None = None) -> float:
    """Run `relhub sync`; with `kill_after`, SIGKILL it then. Returns the seconds it ran."""
    env = {**os.environ, "RELHUB_DATABASE_URL": url, "RELHUB_CONFIG": str(folder / "relhub.yaml")}
    started = time.monotonic()
    process = subprocess.Popen(
        [*RELHUB, "sync", "--json"],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if kill_after is None:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode in (0, 1), stderr.decode()
    else:
        try:
            process.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
    return time.monotonic() - started


@pytest.fixture
def source(tmp_path: Path) -> Path:
    rows = [row(i, updated=f"2026-01-01T00:{i // 600 % 60:02d}:{i % 60:02d}Z") for i in range(6000)]
    rows[1234] = row(1234, email="broken")
    make_source(tmp_path, rows, page_size=100)
    return tmp_path


def test_sigkill_at_random_points_then_rerun_matches_uninterrupted(
    source: Path, store_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    reference_url = f"sqlite:///{tmp_path_factory.mktemp('reference') / 'reference.db'}"
    duration = run_relhub(source, reference_url)
    expected = store_contents(open_store(reference_url))
    assert len(expected["snapshots"]) == 5999 and len(expected["quarantine"]) == 1

    rng = random.Random(20261126)
    for seed in range(4):
        url = store_url if seed == 0 else f"sqlite:///{source / f'crash-{seed}.db'}"
        for _ in range(1 + seed % 2):  # some seeds are killed twice before the clean rerun
            run_relhub(source, url, kill_after=rng.uniform(0.3, 1.0) * duration)
        run_relhub(source, url)
        assert store_contents(open_store(url)) == expected, f"seed {seed} diverged"
