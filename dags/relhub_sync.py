"""Relhub sync DAGs: `relhub_sync` syncs the sources on the default schedule, and a source
with a `schedule` of its own gets `relhub_sync_<source>`. Each sync task runs in its
source's pool and updates the source's Asset; a status task ends each DAG.

The configuration is read from $RELHUB_CONFIG (default: relhub.yaml beside dags/).
Each task calls the same step as `relhub sync SOURCE`; this file only wires them.
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import Asset, dag, task

from hub.config import load_config
from hub.steps import (
    DAG_DEFAULTS,
    SyncDag,
    dags_config_file,
    run_sync,
    source_asset_uri,
    store_status,
    sync_dags,
)

CONFIG_FILE = dags_config_file(Path(__file__).parent)
config = load_config(CONFIG_FILE)


def sync_dag(plan: SyncDag) -> None:
    @dag(dag_id=plan.dag_id, schedule=plan.schedule, doc_md=__doc__, **DAG_DEFAULTS)
    def relhub_sync() -> None:
        synced = [
            task(
                task_id=f"sync_{source.name}",
                outlets=[Asset(source_asset_uri(source.name))],
                pool=source.pool or "default_pool",
            )(run_sync)(source.name, config_file=CONFIG_FILE)
            for source in plan.sources
        ]
        status = task(task_id="status", trigger_rule="all_done")(store_status)(
            config_file=CONFIG_FILE
        )
        synced >> status

    relhub_sync()


for plan in sync_dags(config):
    sync_dag(plan)
