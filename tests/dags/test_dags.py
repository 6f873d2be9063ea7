"""The DAGs import cleanly and run for real in Airflow 3, ending where `relhub sync` ends."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from syncfixtures import make_source, row, store_contents
from webhookfixtures import commit_events, receiving

from emulators.demo_company import company_systems
from hub.config import load_config
from hub.feed.subscriptions import add_subscription
from hub.resolve import resolve
from hub.store.identity_models import GoldenMemberRow
from hub.store.migrate import open_store
from hub.sync import sync_source

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory: pytest.TempPathFactory, module_store_url: str) -> dict[str, str]:
    """A throw-away Airflow home with a migrated SQLite metadata database."""
    home = tmp_path_factory.mktemp("airflow")
    source = tmp_path_factory.mktemp("source")
    make_source(source, [row(i) for i in range(120)] + [row(500, email="bad")], page_size=50)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "RELHUB_CONFIG": str(source / "relhub.yaml"),
        "RELHUB_DATABASE_URL": module_store_url,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    airflow(env, "db", "migrate")
    airflow(env, "dags", "reserialize")
    return env


def airflow(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "airflow"), *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"airflow {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def json_output(text: str) -> object:
    """Airflow prints warnings before its JSON: the JSON is the last line."""
    return json.loads(text.strip().splitlines()[-1])


def test_dags_import_without_errors(airflow_env: dict[str, str]) -> None:
    assert json_output(airflow(airflow_env, "dags", "list-import-errors", "-o", "json")) == []
    listed = json_output(airflow(airflow_env, "dags", "list", "-o", "json"))
    assert {"relhub_sync", "relhub_resolve"} <= {d["dag_id"] for d in listed}  # type: ignore[union-attr]


def test_sync_dag_runs_and_leaves_the_store_as_the_cli_does(
    airflow_env: dict[str, str], tmp_path: Path
) -> None:
    airflow(airflow_env, "dags", "test", "relhub_sync")
    from_airflow = store_contents(open_store(airflow_env["RELHUB_DATABASE_URL"]))

    folder = Path(airflow_env["RELHUB_CONFIG"]).parent
    shutil.copy(folder / "relhub.yaml", tmp_path)
    config = load_config(folder / "relhub.yaml")
    engine = open_store(f"sqlite:///{tmp_path / 'cli.db'}")
    for source in config.sources:
        sync_source(config, engine, source)
    from_cli = store_contents(engine)

    assert len(from_airflow["snapshots"]) == 120
    assert len(from_airflow["quarantine"]) == 1
    assert from_airflow == from_cli

    airflow(airflow_env, "dags", "test", "relhub_resolve")
    resolve(config, engine)
    assert golden_members(open_store(airflow_env["RELHUB_DATABASE_URL"])) == golden_members(engine)


def golden_members(engine: Engine) -> list[tuple[str, str]]:
    """(golden id, member key) pairs: what the resolve step left in the store."""
    with engine.connect() as connection:
        return sorted(
            (row.golden_id, f"{row.system}/{row.object}/{row.source_id}")
            for row in connection.execute(select(GoldenMemberRow))
        )


def test_the_webhooks_dag_delivers_the_feed(airflow_env: dict[str, str]) -> None:
    engine = open_store(airflow_env["RELHUB_DATABASE_URL"])
    with receiving() as receiver:
        subscription, secret = add_subscription(engine, receiver.url, ["all"])
        receiver.secret = secret or ""
        commit_events(engine, 3)
        airflow(airflow_env, "dags", "test", "relhub_webhooks")
    start = subscription.cursor
    assert receiver.cursors == [start + 1, start + 2, start + 3]
    assert all(request.signed for request in receiver.received)


def test_the_dags_over_the_four_emulators_leave_the_store_as_the_cli_does(
    tmp_path: Path, store_url: str
) -> None:
    """Sync and resolve DAGs, run for real by `airflow dags test`, against a generated
    company in live Salesforce, HubSpot, BambooHR and PartnerStack emulators (their
    credentials in the environment, as an Airflow worker gets them): the store holds what
    the command line's sync and resolve of the same systems hold."""
    with company_systems(tmp_path / "company", people=120, seed=5) as company:
        config = load_config(company.config_path)
        cli = open_store(f"sqlite:///{tmp_path / 'cli.db'}")
        for source in config.sources:
            sync_source(config, cli, source)
        resolve(config, cli)

        env = {
            **os.environ,
            "AIRFLOW_HOME": str(tmp_path / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "RELHUB_CONFIG": str(company.config_path),
            "RELHUB_DATABASE_URL": store_url,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        airflow(env, "db", "migrate")
        airflow(env, "dags", "reserialize")
        airflow(env, "dags", "test", "relhub_sync")
        from_airflow = open_store(store_url)
        stored, expected = store_contents(from_airflow), store_contents(cli)
        # Watermarks may differ in time: HubSpot's stop short of "now" (its search lags).
        assert stored["snapshots"] == expected["snapshots"]
        assert stored["quarantine"] == expected["quarantine"]
        assert {s.name for s in config.sources} == set(company.systems)

        airflow(env, "dags", "test", "relhub_resolve")
        assert golden_members(from_airflow) == golden_members(cli)
