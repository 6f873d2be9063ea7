"""Relhub sync DAG: one sync task per source in relhub.yaml, then a status task.

The configuration is read from $RELHUB_CONFIG (default: relhub.yaml beside dags/).
Each task calls the same step as `relhub sync SOURCE`; this file only wires them.
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import Asset, dag, task

from hub.config import load_config
from hub.steps import DAG_DEFAULTS, dags_config_file, run_sync, source_asset_uri, store_status

CONFIG_FILE = dags_config_file(Path(__file__).parent)
config = load_config(CONFIG_FILE)


@dag(dag_id="relhub_sync", schedule=config.airflow.sync_schedule, doc_md=__doc__, **DAG_DEFAULTS)
def relhub_sync() -> None:
    synced = [
        task(
            task_id=f"sync_{source.name}",
            outlets=[Asset(source_asset_uri(source.name))],
            pool=source.pool or "default_pool",
        )(run_sync)(source.name, config_file=CONFIG_FILE)
        for source in config.sources
    ]
    status = task(task_id="status", trigger_rule="all_done")(store_status)(config_file=CONFIG_FILE)
    synced >> status


relhub_sync()
