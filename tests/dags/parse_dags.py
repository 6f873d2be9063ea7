"""Parse the DAG folder as Airflow's DAG processor does, with network and database
connections refused, and print the DAGs' shapes and the parse time as JSON.

Run in a fresh interpreter by test_dag_shapes.py. Airflow and `hub.steps` are imported
first, as the processor's `parsing_pre_import_modules` does before it parses a file.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import sys
import time
from typing import Any, NoReturn

import airflow.sdk  # noqa: F401
from airflow.configuration import conf
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import AssetOrTimeSchedule

import hub.steps  # noqa: F401


def refuse(*args: Any, **kwargs: Any) -> NoReturn:
    raise AssertionError("a DAG file opened a connection while being parsed")


socket.socket.connect = refuse  # type: ignore[method-assign]
sqlite3.connect = refuse  # type: ignore[assignment]

started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
seconds = time.perf_counter() - started


def schedule_of(schedule: Any) -> Any:
    """Assets as their URIs; assets or a cron expression as both."""
    if isinstance(schedule, list):
        return [a.uri for a in schedule]
    if isinstance(schedule, AssetOrTimeSchedule):
        return {
            "assets": [a.uri for a in schedule.asset_condition.objects],
            "cron": schedule.timetable.expression,
        }
    return schedule


shapes: dict[str, Any] = {
    dag_id: {
        "schedule": schedule_of(dag.schedule),
        "tasks": {
            t.task_id: {
                "pool": t.pool,
                "outlets": sorted(o.uri for o in t.outlets),
                "downstream": sorted(t.downstream_task_ids),
                "retries": t.retries,
                "backoff": t.retry_exponential_backoff,
                "mapped": t.is_mapped,
            }
            for t in dag.tasks
        },
    }
    for dag_id, dag in bag.dags.items()
}
timeout = conf.getfloat("core", "dagbag_import_timeout")
print(
    json.dumps(
        {"seconds": seconds, "timeout": timeout, "errors": bag.import_errors, "dags": shapes}
    )
)
