"""Run bookkeeping and the read side of sync state, for `relhub status` and the steps."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, case, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from connectors.base import Watermark
from hub.store import locks
from hub.store.db import utcnow, writing
from hub.store.errors import error_line
from hub.store.models import QuarantineRow, Run, SourceRecordRow, SyncState

log = logging.getLogger(__name__)

RUNNING, SUCCEEDED, FAILED, INTERRUPTED = "running", "succeeded", "failed", "interrupted"


def start_run(engine: Engine, step: str, source: str | None) -> int:
    """Open a run; an earlier run of the same step and source still 'running' died."""
    with writing(engine) as connection:
        connection.execute(
            update(Run)
            .where(Run.step == step, Run.source == source, Run.status == RUNNING)
            .values(status=INTERRUPTED, finished_at=utcnow())
        )
        return connection.execute(
            insert(Run)
            .values(step=step, source=source, started_at=utcnow(), status=RUNNING, counts={})
            .returning(Run.id)
        ).scalar_one()


@contextmanager
def exclusive(
    engine: Engine, step: str, source: str | None, wait_s: float = locks.DEFAULT_WAIT_S
) -> Iterator[None]:
    """Hold the lock of `step` for `source` (`hub.store.locks`): the block may start a run
    knowing that a run of the same step and source still 'running' died."""

    def holder() -> str:
        with engine.connect() as connection:
            run = connection.execute(
                select(Run.id, Run.started_at)
                .where(Run.step == step, Run.source == source, Run.status == RUNNING)
                .order_by(Run.id.desc())
                .limit(1)
            ).first()
        if run is None:
            return f"another {step}"
        return f"{step} run {run.id} (started {run.started_at:%Y-%m-%d %H:%M:%S} UTC)"

    with locks.run_lock(engine, step, source, wait_s=wait_s, holder=holder):
        yield


def finish_run(
    engine: Engine, run_id: int, counts: dict[str, Any], error: BaseException | None = None
) -> None:
    """Close a run: succeeded, or failed with why in one line (`error_line`: no SQL, no
    record values). Recording a failure the store caused can fail too; then the caller's
    error is the one that counts, and the run stays 'running' until the next run of its
    step (holding its lock, so knowing it dead) marks it interrupted."""
    try:
        with writing(engine) as connection:
            connection.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(
                    status=FAILED if error else SUCCEEDED,
                    finished_at=utcnow(),
                    counts=counts,
                    error=None if error is None else error_line(error),
                )
            )
    except SQLAlchemyError as failure:
        if error is None:
            raise
        log.warning(
            "run %d failed; its failure could not be recorded: %s", run_id, error_line(failure)
        )


def watermark(engine: Engine, system: str, object_name: str) -> Watermark | None:
    with engine.connect() as connection:
        row = connection.execute(
            select(SyncState.watermark_at, SyncState.watermark_id).where(
                SyncState.system == system, SyncState.object == object_name
            )
        ).first()
    if row is None or row.watermark_at is None:
        return None
    return Watermark(row.watermark_at, row.watermark_id)


@dataclass(frozen=True)
class ObjectStatus:
    system: str
    object: str
    records: int
    deleted: int
    open_quarantine: int
    watermark: Watermark | None


@dataclass(frozen=True)
class RunSummary:
    id: int
    step: str
    source: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, Any]
    error: str | None


def recent_runs(engine: Engine, limit: int = 20) -> list[RunSummary]:
    with engine.connect() as connection:
        runs = connection.execute(select(Run).order_by(Run.id.desc()).limit(limit)).all()
    return [
        RunSummary(
            r.id, r.step, r.source, r.status, r.started_at, r.finished_at, r.counts or {}, r.error
        )
        for r in runs
    ]


def object_statuses(engine: Engine) -> list[ObjectStatus]:
    """Records, deletions, open quarantine and watermark per (system, object)."""
    with engine.connect() as connection:
        records = {
            (s, o): (n, d or 0)
            for s, o, n, d in connection.execute(
                select(
                    SourceRecordRow.system,
                    SourceRecordRow.object,
                    func.count(),
                    func.sum(case((SourceRecordRow.deleted, 1), else_=0)),
                ).group_by(SourceRecordRow.system, SourceRecordRow.object)
            )
        }
        quarantined = dict(
            ((s, o), n)
            for s, o, n in connection.execute(
                select(QuarantineRow.system, QuarantineRow.object, func.count())
                .where(QuarantineRow.resolved_at.is_(None))
                .group_by(QuarantineRow.system, QuarantineRow.object)
            )
        )
        states = {
            (s, o): Watermark(at, rid) if at is not None else None
            for s, o, at, rid in connection.execute(
                select(
                    SyncState.system,
                    SyncState.object,
                    SyncState.watermark_at,
                    SyncState.watermark_id,
                )
            )
        }
    keys = sorted(set(records) | set(quarantined) | set(states))
    return [
        ObjectStatus(
            s,
            o,
            records.get((s, o), (0, 0))[0],
            records.get((s, o), (0, 0))[1],
            quarantined.get((s, o), 0),
            states.get((s, o)),
        )
        for s, o in keys
    ]


@dataclass(frozen=True)
class DroppedValues:
    """Invalid values a mapping's `on_invalid: drop` left out of one field in a sync."""

    source: str
    object: str
    field: str
    count: int
    run_id: int


def dropped_values(engine: Engine) -> list[DroppedValues]:
    """Per source, the values its last successful sync dropped, by object and field: a
    dropped value quarantines nothing, so this is the one place a user sees how many."""
    latest = (
        select(func.max(Run.id))
        .where(Run.step == "sync", Run.status == SUCCEEDED)
        .group_by(Run.source)
    )
    with engine.connect() as connection:
        rows = connection.execute(
            select(Run.id, Run.source, Run.counts).where(Run.id.in_(latest)).order_by(Run.source)
        ).all()
    return [
        DroppedValues(source or "", name, target, count, run_id)
        for run_id, source, counts in rows
        for name, report in sorted(((counts or {}).get("objects") or {}).items())
        for target, count in sorted((report.get("dropped") or {}).items())
    ]
