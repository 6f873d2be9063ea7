"""`kill` (SIGTERM, as a scheduler or a container stops a task) during a full resolve:
the run unwinds as Ctrl-C would, so its workers' spill folders are removed rather than
left in the temporary folder, what it had not committed is rolled back, and a rerun
resolves as if nothing had happened."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RELHUB = [sys.executable, "-m", "hub"]


def _spilling(folder: Path) -> bool:
    """Survivorship's workers write their spill files, beside the index writes: the
    resolving process is past making their folder and in the middle of its run."""
    try:
        return any(f.stat().st_size for f in folder.glob("relhub-*/*"))
    except FileNotFoundError:  # the folder went while it was read: the resolve moved on
        return False


def test_sigterm_mid_resolve_leaves_no_spill_files_and_a_rerun_resolves(
    tmp_path: Path, store_url: str
) -> None:
    folder, spill = tmp_path / "company", tmp_path / "tmp"
    shutil.copytree(REPO / "data", folder / "data")
    shutil.copytree(REPO / "mappings", folder / "mappings")
    shutil.copy(REPO / "relhub.yaml", folder)
    spill.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "RELHUB_DATABASE_URL": store_url}
    env.update(TMPDIR=str(spill), RELHUB_CONFIG=str(folder / "relhub.yaml"))
    subprocess.run([*RELHUB, "sync"], cwd=folder, env=env, capture_output=True, check=False)

    resolving = subprocess.Popen(
        [*RELHUB, "resolve", "--full"], cwd=folder, env=env, stderr=subprocess.PIPE, text=True
    )
    while resolving.poll() is None and not _spilling(spill):
        time.sleep(0.002)
    resolving.send_signal(signal.SIGTERM)
    _, stderr = resolving.communicate(timeout=120)

    assert resolving.returncode == 128 + signal.SIGTERM, stderr
    assert "stopped (SIGTERM)" in stderr
    assert list(spill.rglob("*")) == []
    rerun = subprocess.run(
        [*RELHUB, "resolve", "--full", "--json"], cwd=folder, env=env, capture_output=True
    )
    assert rerun.returncode == 0, rerun.stderr
