"""A benchmark stopped by SIGTERM (a scheduler's or `kill`'s) removes its temporary store on
the way out, as `relhub` does: the default action left a gigabyte store per 1M-record run
in the temporary folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hub.cli.termination import EXIT_TERMINATED

REPO = Path(__file__).resolve().parent.parent


def test_a_stopped_benchmark_leaves_no_temporary_store(tmp_path: Path) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    errors = tmp_path / "stderr"
    bench = subprocess.Popen(
        [sys.executable, str(REPO / "benchmarks" / "bench_incremental.py"), "--n", "20000"],
        env={**os.environ, "TMPDIR": str(temporary), "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=errors.open("w"),
    )
    try:
        deadline = time.monotonic() + 60
        while not any((folder / "relhub.db").exists() for folder in temporary.iterdir()):
            assert bench.poll() is None, errors.read_text()
            assert time.monotonic() < deadline, "the benchmark made no store in 60 s"
            time.sleep(0.05)
        bench.send_signal(signal.SIGTERM)
        assert bench.wait(timeout=60) == EXIT_TERMINATED
    finally:
        bench.kill()
    assert list(temporary.iterdir()) == []
