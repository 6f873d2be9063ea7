"""`relhub emulate SYSTEM` prints what a newcomer needs: the credentials as variables and a
relhub.yaml block that, pasted as printed, syncs from the running emulator."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from hub.cli import app

REPO = Path(__file__).resolve().parents[2]

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def emulated(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """The lines `relhub emulate` printed up to its `Then:` line, the emulator running."""
    environment = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "emulate", request.param, "--port", str(_free_port())],
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    )
    watchdog = threading.Timer(120, process.kill)  # a silent emulator fails, not hangs
    watchdog.start()
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Then:"):
            break
    try:
        yield lines
    finally:
        watchdog.cancel()
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    "emulated", ["salesforce", "hubspot", "bamboohr", "partnerstack"], indirect=True
)
def test_the_printed_setup_syncs_when_pasted(
    emulated: list[str], tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert emulated[-1].startswith("Then:"), "\n".join(emulated)
    exports = [line.removeprefix("export ") for line in emulated if line.startswith("export ")]
    assert exports
    for assignment in exports:
        name, value = assignment.split("=", 1)
        monkeypatch.setenv(name, shlex.split(value)[0])
    start = emulated.index("sources:")
    block = "\n".join(emulated[start : emulated.index("", start)])
    [source] = yaml.safe_load(block)["sources"]
    assert source["connection"].upper() in exports[0]
    (tmp_path / "relhub.yaml").write_text(block + "\n")
    monkeypatch.setenv("RELHUB_DATABASE_URL", store_url)
    synced = runner.invoke(app, ["sync", "-c", str(tmp_path / "relhub.yaml"), "--json"])
    assert synced.exit_code in (0, 1), synced.output  # 1: the generated rows' quarantine
    status = runner.invoke(app, ["status", "-c", str(tmp_path / "relhub.yaml"), "--json"])
    objects = {o["object"]: o["records"] for o in yaml.safe_load(status.stdout)["objects"]}
    assert set(objects) == set(source["objects"])
    assert all(records > 0 for records in objects.values()), objects
