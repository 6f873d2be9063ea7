"""Relhub resolve DAG: runs whenever a source sync has updated its Asset, reminds the
operator of the pairs waiting for a steward, and pushes the golden records back: one
outbox build, then one push task per source, in the source's pool (a source whose
mapping pushes nothing finishes at once: mappings are read by the tasks, not here).

The configuration is read from $RELHUB_CONFIG (default: relhub.yaml beside dags/). The
task calls the same step as `relhub resolve`; this file only wires it.
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import Asset, dag, task

from hub.config import load_config
from hub.steps import (
    DAG_DEFAULTS,
    GOLDEN_ASSET_URI,
    dags_config_file,
    review_reminder,
    run_outbox,
    run_push,
    run_resolve,
    source_asset_uri,
)

CONFIG_FILE = dags_config_file(Path(__file__).parent)
config = load_config(CONFIG_FILE)
source_assets = [Asset(source_asset_uri(source.name)) for source in config.sources]


@dag(dag_id="relhub_resolve", schedule=source_assets or None, doc_md=__doc__, **DAG_DEFAULTS)
def relhub_resolve() -> None:
    resolved = task(task_id="resolve", outlets=[Asset(GOLDEN_ASSET_URI)])(run_resolve)(
        config_file=CONFIG_FILE
    )
    reminder = task(task_id="review_reminder")(review_reminder)(config_file=CONFIG_FILE)
    resolved >> reminder
    outbox = task(task_id="outbox")(run_outbox)(config_file=CONFIG_FILE)
    pushes = [
        task(task_id=f"push_{source.name}", pool=source.pool or "default_pool")(run_push)(
            source.name, config_file=CONFIG_FILE
        )
        for source in config.sources
    ]
    resolved >> outbox >> pushes


relhub_resolve()
