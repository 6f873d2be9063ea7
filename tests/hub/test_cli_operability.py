"""The command line as a newcomer and an operator meet it: a version, a store named on
any command, a missing configuration said, exit 1 only for new problems, and a failing
source that does not keep the others from syncing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from syncfixtures import make_source, row
from typer.testing import CliRunner

from hub.cli import app

REPO = Path(__file__).resolve().parents[2]

runner = CliRunner()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str) -> Path:
    make_source(tmp_path, [row(1), row(2, email="nope"), row(3)])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RELHUB_DATABASE_URL", store_url)  # restored after `--database`
    monkeypatch.delenv("RELHUB_CONFIG", raising=False)
    return tmp_path


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("relhub ")


def test_a_folder_without_relhub_yaml_is_exit_2_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RELHUB_CONFIG", raising=False)
    monkeypatch.delenv("RELHUB_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert f"{tmp_path / 'relhub.yaml'}: no configuration here" in line
    assert not list(tmp_path.iterdir())  # no empty store made


def test_database_names_the_store_for_any_command(folder: Path, store_url: str) -> None:
    (folder / "relhub.yaml").rename(folder / "elsewhere.yaml")
    synced = runner.invoke(app, ["--database", store_url, "sync", "-c", "elsewhere.yaml"])
    assert synced.exit_code == 1, synced.output
    status = runner.invoke(app, ["--database", store_url, "status", "--json"])
    assert status.exit_code == 0, status.output
    [customers] = json.loads(status.stdout)["objects"]
    assert (customers["records"], customers["open_quarantine"]) == (2, 1)


def test_sync_exits_1_only_for_problems_new_in_this_run(folder: Path) -> None:
    first = runner.invoke(app, ["sync"])
    assert first.exit_code == 1
    assert "1 new problems in this run" in first.stdout
    again = runner.invoke(app, ["sync", "--full"])  # the same bad row read again
    assert again.exit_code == 0, again.output
    assert "0 new problems in this run (the records quarantined are known" in again.stdout
    make_source(folder, [row(1), row(2, email="nope"), row(3, email="also bad")])
    assert runner.invoke(app, ["sync", "--full"]).exit_code == 1


def test_a_failing_source_does_not_stop_the_others(folder: Path) -> None:
    config = (folder / "relhub.yaml").read_text()
    broken = config.replace("name: shop", "name: attic").replace("customers.csv", "gone.csv")
    (folder / "relhub.yaml").write_text(broken + config.replace("sources:\n", ""))
    result = runner.invoke(app, ["sync", "--json"])
    assert result.exit_code != 0
    [shop] = json.loads(result.stdout)
    assert (shop["source"], shop["inserted"]) == ("shop", 2)
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: sync of attic failed: ")
    assert "gone.csv" in line


def test_status_json_has_iso_times_and_watermarks_as_objects(folder: Path) -> None:
    runner.invoke(app, ["sync"])
    status = json.loads(runner.invoke(app, ["status", "--json"]).stdout)
    [customers] = status["objects"]
    assert customers["watermark"] == {
        "modified_at": "2026-01-01T00:00:00+00:00",
        "record_id": "C000003",
    }
    [run] = status["runs"]
    assert datetime.fromisoformat(run["started_at"]).tzinfo is not None
    assert "T" in run["started_at"]


def test_global_options_also_after_the_command(folder: Path, store_url: str) -> None:
    """As typed, through the `relhub` entry point: `-v` and `--database` last."""
    (folder / "relhub.yaml").rename(folder / "elsewhere.yaml")
    relhub = [sys.executable, "-m", "hub"]
    environment = {k: v for k, v in os.environ.items() if k != "RELHUB_DATABASE_URL"}
    environment["PYTHONPATH"] = str(REPO)
    synced = subprocess.run(
        [*relhub, "sync", "-c", "elsewhere.yaml", "--database", store_url, "-v"],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert synced.returncode == 1, synced.stderr
    assert " INFO hub.sync: " in synced.stderr
    status = subprocess.run(
        [*relhub, "status", "--json", f"--database={store_url}"],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert status.returncode == 0, status.stderr
    [customers] = json.loads(status.stdout)["objects"]
    assert customers["records"] == 2


@pytest.mark.parametrize("command", [[], ["sync"], ["status"], ["golden", "export"], ["demo"]])
def test_help_names_values_not_python_types(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "<" not in result.stdout, result.stdout
    assert "--help" in result.stdout
