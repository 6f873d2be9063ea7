"""Relhub webhooks: one delivery pass after each resolve (the golden-records Asset), and
every five minutes for the retries that fall due in between.

The task calls the same pass as `relhub webhooks deliver`; this file only wires it.
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, dag, task

from hub.steps import DAG_DEFAULTS, GOLDEN_ASSET_URI, dags_config_file, run_webhooks

CONFIG_FILE = dags_config_file(Path(__file__).parent)
RETRY_SCHEDULE = "*/5 * * * *"  # the first retry waits a minute; later ones, longer

schedule = AssetOrTimeSchedule(
    timetable=CronTriggerTimetable(RETRY_SCHEDULE, timezone="UTC"),
    assets=[Asset(GOLDEN_ASSET_URI)],
)


@dag(dag_id="relhub_webhooks", schedule=schedule, doc_md=__doc__, **DAG_DEFAULTS)
def relhub_webhooks() -> None:
    task(task_id="deliver")(run_webhooks)(config_file=CONFIG_FILE)


relhub_webhooks()
