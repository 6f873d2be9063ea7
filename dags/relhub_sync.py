"""Relhub sync DAG: one sync task per source in relhub.yaml, then a status task.

The configuration is read from $RELHUB_CONFIG (default: relhub.yaml beside dags/).
Each task calls the same step as `relhub sync SOURCE`; this file only wires them.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import Asset, dag, task

from hub.config import load_config
from hub.steps import run_sync, store_status

CONFIG_FILE = os.environ.get("RELHUB_CONFIG") or str(Path(__file__).parent.parent / "relhub.yaml")
config = load_config(CONFIG_FILE)


@dag(
    dag_id="relhub_sync",
    schedule=config.airflow.sync_schedule,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["relhub"],
    doc_md=__doc__,
)
def relhub_sync() -> None:
    synced = [
        task(
            task_id=f"sync_{source.name}",
            outlets=[Asset(f"relhub://sources/{source.name}")],
            pool=source.pool or "default_pool",
        )(run_sync)(source.name, config_file=CONFIG_FILE)
        for source in config.sources
    ]
    status = task(task_id="status", trigger_rule="all_done")(store_status)(config_file=CONFIG_FILE)
    synced >> status


relhub_sync()
