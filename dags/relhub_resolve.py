"""Relhub resolve DAG: runs whenever a source sync has updated its Asset, reminds the
operator of the pairs waiting for a steward, and pushes the golden records back: one
outbox build, then one push task per source, in the source's pool (a source whose
mapping pushes nothing finishes at once: mappings are read by the tasks, not here).

With `resolve: {partitions: N}` (N > 1), a run that must resolve everything (the first
one, or one after the resolution settings changed) takes the partitioned full resolve:
`prepare`, then `score` mapped over its N partitions (spread over the workers), then
`resolve_partitioned`, which clusters, assigns golden ids and writes
(`hub.resolve.partitioned`); every other run branches to the incremental `resolve`.

The configuration is read from $RELHUB_CONFIG (default: relhub.yaml beside dags/). The
tasks call the same steps as `relhub resolve`; this file only wires them.
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import Asset, dag, task

from hub.config import load_config
from hub.steps import (
    DAG_DEFAULTS,
    GOLDEN_ASSET_URI,
    INCREMENTAL_TASK,
    PREPARE_TASK,
    dags_config_file,
    resolve_route,
    review_reminder,
    run_outbox,
    run_push,
    run_resolve,
    run_resolve_finish,
    run_resolve_partition,
    run_resolve_prepare,
    source_asset_uri,
)

CONFIG_FILE = dags_config_file(Path(__file__).parent)
config = load_config(CONFIG_FILE)
source_assets = [Asset(source_asset_uri(source.name)) for source in config.sources]


@dag(dag_id="relhub_resolve", schedule=source_assets or None, doc_md=__doc__, **DAG_DEFAULTS)
def relhub_resolve() -> None:
    golden = [Asset(GOLDEN_ASSET_URI)]
    incremental = task(task_id=INCREMENTAL_TASK, outlets=golden)(run_resolve)(
        config_file=CONFIG_FILE
    )
    resolved = [incremental]
    if config.resolve.partitions > 1:
        route = task.branch(task_id="route")(resolve_route)(config_file=CONFIG_FILE)
        planned = task(task_id=PREPARE_TASK)(run_resolve_prepare)(config_file=CONFIG_FILE)
        scored = (
            task(task_id="score")(run_resolve_partition)
            .partial(config_file=CONFIG_FILE)
            .expand(partition=planned)
        )
        finished = task(task_id="resolve_partitioned", outlets=golden)(run_resolve_finish)(
            planned, config_file=CONFIG_FILE
        )
        route >> [planned, incremental]
        scored >> finished
        resolved.append(finished)
    after_either = "none_failed_min_one_success"  # one branch is skipped
    reminder = task(task_id="review_reminder", trigger_rule=after_either)(review_reminder)(
        config_file=CONFIG_FILE
    )
    resolved >> reminder
    outbox = task(task_id="outbox", trigger_rule=after_either)(run_outbox)(config_file=CONFIG_FILE)
    pushes = [
        task(task_id=f"push_{source.name}", pool=source.pool or "default_pool")(run_push)(
            source.name, config_file=CONFIG_FILE
        )
        for source in config.sources
    ]
    resolved >> outbox >> pushes


relhub_resolve()
