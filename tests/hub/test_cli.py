"""The command line: exit codes that mean something, one-line errors, JSON for scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from syncfixtures import MAPPING, make_source, row
from typer.testing import CliRunner

from hub.cli import app

runner = CliRunner()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str) -> Path:
    """A source folder; every command test runs on SQLite and on PostgreSQL."""
    make_source(tmp_path, [row(i) for i in range(12)])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RELHUB_DATABASE_URL", store_url)
    monkeypatch.delenv("RELHUB_CONFIG", raising=False)
    return tmp_path


def test_sync_then_status_as_json(folder: Path) -> None:
    result = runner.invoke(app, ["sync", "--json"])
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.stdout)
    assert (report["source"], report["fetched"], report["inserted"]) == ("shop", 12, 12)

    status = json.loads(runner.invoke(app, ["status", "--json"]).stdout)
    [customers] = status["objects"]
    assert (customers["records"], customers["open_quarantine"]) == (12, 0)
    assert status["runs"][0]["status"] == "succeeded"


def test_status_counts_the_values_on_invalid_drop_left_out(folder: Path) -> None:
    """Two bad emails and one bad birth date are dropped, not quarantined: status counts
    them per field, for the source's last sync."""
    mapping = MAPPING.replace(
        "transforms: [email]}", "transforms: [email], on_invalid: drop}"
    ).replace('"%Y-%m-%d"]}}]}', '"%Y-%m-%d"]}}], on_invalid: drop}')
    rows = [row(1, email="nope"), row(2, email="nor@this@"), row(3, born="31/02/1980"), row(4)]
    make_source(folder, rows, mapping=mapping)
    assert runner.invoke(app, ["sync"]).exit_code == 0
    status = json.loads(runner.invoke(app, ["status", "--json"]).stdout)
    assert status["objects"][0]["open_quarantine"] == 0
    assert [(d["object"], d["field"], d["count"]) for d in status["dropped"]] == [
        ("customers", "birth_date", 1),
        ("customers", "emails", 2),
    ]
    shown = runner.invoke(app, ["status"]).stdout
    assert "invalid values dropped" in shown
    assert "emails" in shown


def test_sync_with_quarantined_records_exits_1(folder: Path) -> None:
    make_source(folder, [row(1), row(2, email="nope")])
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == 1
    assert "quarantined: shop.customers C000002: line 3: emails (from email): invalid" in (
        result.stdout
    )
    assert "relhub quarantine list --open" in result.stdout


def test_bad_configuration_is_one_line_and_exit_2(folder: Path) -> None:
    (folder / "relhub.yaml").write_text("sources:\n  - name: shop\n    type: ftp\n    mapping: x\n")
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "relhub.yaml:3: sources[0].type: " in lines[0]
    assert "Traceback" not in result.output


def test_unknown_source_is_exit_2(folder: Path) -> None:
    result = runner.invoke(app, ["sync", "nosuch"])
    assert result.exit_code == 2
    assert "no source named 'nosuch' (known: shop)" in result.stderr


def test_mappings_validate_ok_and_with_problems(folder: Path) -> None:
    assert runner.invoke(app, ["mappings", "validate"]).exit_code == 0
    mapping = folder / "shop.yaml"
    mapping.write_text(mapping.read_text().replace("from: last,", "from: surname,"))
    result = runner.invoke(app, ["mappings", "validate", "--json"])
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)["problems"]
    assert problem.startswith(f"{mapping}:11: objects.customers.fields.family_name.from: ")
    assert "unknown source field 'surname'" in problem


def test_mappings_preview_shows_raw_and_canonical(folder: Path) -> None:
    make_source(folder, [row(1), row(2, born="yesterday")])
    result = runner.invoke(app, ["mappings", "preview", "shop", "--limit", "2", "--json"])
    assert result.exit_code == 0, result.output
    good, bad = json.loads(result.stdout)
    assert good["source"]["email"] == "ana1@example.com"
    assert good["canonical"]["emails"] == ["ana1@example.com"]
    assert "unparseable date 'yesterday'" in bad["quarantine"]


def test_db_upgrade(folder: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "store at revision" in result.stdout
