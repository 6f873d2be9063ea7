"""Relhub full resync (manual): every source re-read in full, then a full resolve.

For recovery and for a changed mapping or resolution settings; the same steps as
`relhub sync --full` and `relhub resolve --full`, wired here and nothing more.
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import dag, task

from hub.config import load_config
from hub.steps import DAG_DEFAULTS, dags_config_file, run_resolve, run_sync, store_status

CONFIG_FILE = dags_config_file(Path(__file__).parent)
config = load_config(CONFIG_FILE)


@dag(dag_id="relhub_full_resync", schedule=None, doc_md=__doc__, **DAG_DEFAULTS)
def relhub_full_resync() -> None:
    synced = [
        task(task_id=f"sync_{source.name}", pool=source.pool or "default_pool")(run_sync)(
            source.name, config_file=CONFIG_FILE, full=True
        )
        for source in config.sources
    ]
    resolved = task(task_id="resolve")(run_resolve)(config_file=CONFIG_FILE, full=True)
    status = task(task_id="status", trigger_rule="all_done")(store_status)(config_file=CONFIG_FILE)
    synced >> resolved >> status


relhub_full_resync()
