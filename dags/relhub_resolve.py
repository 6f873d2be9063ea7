"""Relhub resolve DAG: runs whenever a source sync has updated its Asset.

The configuration is read from $RELHUB_CONFIG (default: relhub.yaml beside dags/). The
task calls the same step as `relhub resolve`; this file only wires it.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import Asset, dag, task

from hub.config import load_config
from hub.steps import run_resolve

CONFIG_FILE = os.environ.get("RELHUB_CONFIG") or str(Path(__file__).parent.parent / "relhub.yaml")
config = load_config(CONFIG_FILE)
source_assets = [Asset(f"relhub://sources/{source.name}") for source in config.sources]


@dag(
    dag_id="relhub_resolve",
    schedule=source_assets or None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["relhub"],
    doc_md=__doc__,
)
def relhub_resolve() -> None:
    task(task_id="resolve", outlets=[Asset("relhub://golden")])(run_resolve)(
        config_file=CONFIG_FILE)


relhub_resolve()
