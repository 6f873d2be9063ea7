"""A newcomer's first hour, as one: a fresh clone of the repository, the demo run the way
`make demo` runs it (the venv's `relhub`, from the clone's folder), then every command the
demo's Next panel prints, typed into a shell from the clone. Each must succeed and show
something; a file the demo needs but git does not hold, or a printed command the real
entry point refuses, fails here where an in-process test would not see it."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

RELHUB = Path(sys.executable).with_name("relhub")


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.skipif(shutil.which("git") is None or not RELHUB.exists(), reason="git, relhub")
def test_a_fresh_clone_runs_the_demo_and_every_next_command(tmp_path: Path) -> None:
    clone = tmp_path / "relhub"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("RELHUB_", "PYTHONPATH"))
    }
    environment.update(PYTHONPATH=str(clone), COLUMNS="200")  # the clone's code, not ours

    demo = _run([str(RELHUB), "demo", "--people", "200"], clone, environment)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert (clone / "relhub-demo" / "report.html").exists()
    panel = [line.strip(" │") for line in demo.stdout.splitlines()]
    printed = [line.split("$ ", 1)[1] for line in panel if line.startswith("$ relhub ")]
    assert printed, demo.stdout

    for line in printed:
        command = shlex.split(line)
        assert command[0] == "relhub"
        shown = _run([str(RELHUB), *command[1:]], clone, environment)
        assert shown.returncode == 0, (line, shown.stdout, shown.stderr)
        assert len(shown.stdout.strip().splitlines()) > 3, (line, shown.stdout)
