"""The steps as Airflow tasks call them: by name, configured from relhub.yaml, with
plain-dict results that travel through XCom."""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hub.config import RelhubConfig, SourceConfig, config_path, load_config
from hub.feed.webhooks import Deliverer
from hub.push.drain import push_source
from hub.push.outbox import build_outbox
from hub.resolve import resolve
from hub.resolve.partitioned import finish, prepare, score_partition
from hub.resolve.step import full_resolve_due
from hub.review import review_queue
from hub.store import runs
from hub.store.locks import DEFAULT_WAIT_S
from hub.store.migrate import open_store
from hub.sync import sync_source

log = logging.getLogger(__name__)


DAG_DEFAULTS: dict[str, Any] = {
    "start_date": datetime(2026, 1, 1),
    "catchup": False,
    "max_active_runs": 1,
    "default_args": {
        "retries": 3,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
    },
    "tags": ["relhub"],
}
"""What every Relhub DAG shares: no backfill, one run at a time, three retries 1, 2 and
4 minutes apart (a store lock or a throttled API usually clears within minutes)."""

DEFAULT_SYNC_DAG = "relhub_sync"


@dataclass(frozen=True)
class SyncDag:
    dag_id: str
    schedule: str | None
    sources: list[SourceConfig]


def sync_dags(config: RelhubConfig) -> list[SyncDag]:
    """`relhub_sync` for the sources on the default schedule, and a DAG of its own for each
    source that sets its own `schedule`."""
    default = [s for s in config.sources if "schedule" not in s.model_fields_set]
    own = [
        SyncDag(f"{DEFAULT_SYNC_DAG}_{s.name}", config.sync_schedule(s), [s])
        for s in config.sources
        if "schedule" in s.model_fields_set
    ]
    return [SyncDag(DEFAULT_SYNC_DAG, config.airflow.sync_schedule, default), *own]


def dags_config_file(dags_folder: Path) -> str:
    """$RELHUB_CONFIG, else relhub.yaml beside the dags/ folder."""
    return str(config_path(os.environ.get("RELHUB_CONFIG") or dags_folder.parent / "relhub.yaml"))


def source_asset_uri(source_name: str) -> str:
    """The Asset a source's sync task updates and the resolve DAG is scheduled on."""
    return f"relhub://sources/{source_name}"


GOLDEN_ASSET_URI = "relhub://golden"
"""The Asset the resolve task updates: the webhooks DAG runs after each resolve."""


def run_sync(
    source_name: str, *, config_file: Path | str | None = None, full: bool = False
) -> dict[str, Any]:
    """Sync one source; its counts are the task's result."""
    config = load_config(config_file)
    engine = open_store(config.database_url())
    report = sync_source(
        config,
        engine,
        config.source(source_name),
        full=full,
        progress=lambda obj, n: log.info("%s.%s: %d records", source_name, obj, n),
    )
    return {"source": source_name, "run_id": report.run_id, **report.totals()}


def run_resolve(*, config_file: Path | str | None = None, full: bool = False) -> dict[str, Any]:
    """Resolve what the syncs changed; the report and data-quality summary are the result."""
    config = load_config(config_file)
    engine = open_store(config.database_url())
    report = resolve(
        config, engine, full=full, progress=lambda label, n: log.info("resolve: %d %s", n, label)
    )
    log.info(
        "resolve: %d changed, %d re-resolved, %d golden records written in %.1f s",
        report.changed,
        report.resolved,
        report.golden_records,
        report.seconds,
    )
    return report.as_dict()


PREPARE_TASK = "prepare"  # the resolve DAG's task ids its branch chooses between
INCREMENTAL_TASK = "resolve"


def resolve_route(*, config_file: Path | str | None = None) -> str:
    """The resolve DAG's branch when it is partitioned: the partitioned full resolve when a
    full one is due (a first resolve, new resolution settings), else the incremental one,
    which every later run is."""
    config = load_config(config_file)
    due = full_resolve_due(config, open_store(config.database_url()))
    return PREPARE_TASK if due else INCREMENTAL_TASK


def run_resolve_prepare(*, config_file: Path | str | None = None) -> list[dict[str, int]]:
    """Start a partitioned full resolve (scoring with the stored model when it fits):
    one `{"run_id", "partition"}` per scoring task."""
    config = load_config(config_file)
    return prepare(config, open_store(config.database_url()), config.resolve.partitions)


def run_resolve_partition(
    partition: dict[str, int], *, config_file: Path | str | None = None
) -> dict[str, int]:
    """Score one partition of a partitioned resolve (a mapped task: one per partition)."""
    config = load_config(config_file)
    return score_partition(config, open_store(config.database_url()), **partition)


def run_resolve_finish(
    partitions: list[dict[str, int]], *, config_file: Path | str | None = None
) -> dict[str, Any]:
    """Finish a partitioned resolve from what its partitions scored; its report is the result."""
    config = load_config(config_file)
    report = finish(config, open_store(config.database_url()), partitions[0]["run_id"])
    log.info(
        "resolve: %d records, %d golden records written in %.1f s",
        report.resolved,
        report.golden_records,
        report.seconds,
    )
    return report.as_dict()


def run_outbox(*, config_file: Path | str | None = None) -> dict[str, Any]:
    """Queue the writes the resolves since the last build asked for; one task, before the
    per-target pushes, so they never build the same rows side by side."""
    config = load_config(config_file)
    report = build_outbox(config, open_store(config.database_url()))
    log.info("outbox: %d writes queued in %.1f s", report.queued, report.seconds)
    return report.as_dict()


def run_push(source_name: str, *, config_file: Path | str | None = None) -> dict[str, Any]:
    """Drain one target's queued writes; its outcome counts are the task's result."""
    config = load_config(config_file)
    engine = open_store(config.database_url())
    report = push_source(config, engine, config.source(source_name))
    log.info(
        "push %s: %d written, %d rejected, %d skipped",
        source_name,
        report.written,
        report.rejected,
        report.skipped,
    )
    return report.as_dict()


def run_webhooks(*, config_file: Path | str | None = None) -> dict[str, Any]:
    """One delivery pass to every webhook subscriber; what it sent is the result."""
    config = load_config(config_file)
    report = Deliverer(open_store(config.database_url())).deliver(wait_s=DEFAULT_WAIT_S)
    log.info("webhooks: %s", report.summary())
    return asdict(report)


def review_reminder(*, config_file: Path | str | None = None) -> dict[str, int]:
    """After a resolve, tell the operator how many pairs wait for a steward."""
    config = load_config(config_file)
    _, waiting = review_queue(open_store(config.database_url()), limit=0)
    if waiting:
        log.warning("%d pairs wait for a steward: `relhub review list`", waiting)
    return {"review_queue": waiting}


def store_status(*, config_file: Path | str | None = None) -> dict[str, Any]:
    """Records, open quarantine and watermarks per object, logged for the operator."""
    config = load_config(config_file)
    engine = open_store(config.database_url())
    objects = [asdict(o) for o in runs.object_statuses(engine)]
    for o in objects:
        log.info(
            "%s.%s: %d records (%d deleted), %d quarantined, watermark %s",
            o["system"],
            o["object"],
            o["records"],
            o["deleted"],
            o["open_quarantine"],
            o["watermark"],
        )
    return {"objects": objects}
