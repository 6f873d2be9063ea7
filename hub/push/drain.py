"""Draining the outbox into one target system, each write applied once.

Rows are marked `sending` in a committed transaction before their batch goes out and
get their outcome in another after it answers. A process killed between the two leaves
rows in doubt; the next push syncs that source first (its incremental read is the
re-read) and settles each in-doubt row from what the source now holds: written if the
values are there, pending again if not. So a rerun never sends a write that landed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update

from connectors.base import (
    CHANGED_SINCE_READ,
    Connector,
    SourceMerger,
    SourceRecord,
    Stamp,
    WriteRequest,
    WriteResult,
    WriteStatus,
)
from hub.config import RelhubConfig, SourceConfig
from hub.connections import open_connector
from hub.mapping.engine import MappingError, ObjectMapper
from hub.mapping.spec import load_mapping
from hub.mapping.validate import compile_mapping
from hub.page_mapping import content_hash, serialize_payload
from hub.push.merges import MERGE_INTO, is_merge
from hub.push.targets import same, source_targets
from hub.store import runs
from hub.store.db import JSONText, utcnow, writing
from hub.store.locks import DEFAULT_WAIT_S
from hub.store.models import SourceRecordRow, same_source_record
from hub.store.push_models import PENDING, REJECTED, SENDING, SKIPPED, WRITTEN, OutboxRow
from hub.sync import sync_source

STEP = "push"
BATCHES_PER_CLAIM = 4
"""Rows claimed at once, in the API's largest batches: a connector that writes batches
side by side (HubSpot) keeps its rate limit busy instead of waiting on each answer."""

log = logging.getLogger(__name__)
Progress = Callable[[str, int], None]

_outbox = OutboxRow.__table__
_source = SourceRecordRow.__table__


@dataclass
class PushReport:
    system: str
    run_id: int
    written: int = 0
    rejected: int = 0
    skipped: int = 0
    confirmed: int = 0  # in-doubt rows a re-read showed had landed
    requeued: int = 0  # in-doubt rows a re-read showed had not
    in_doubt: int = 0  # rows whose batch failed mid-way; settled by the next push
    batches: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def push_source(
    config: RelhubConfig,
    engine: Engine,
    source: SourceConfig,
    *,
    limit: int | None = None,
    progress: Progress | None = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> PushReport:
    """Send a source's pending writes in its largest batches; the connector keeps to the
    API's rate limit and retries transient failures with backoff. One push of a target
    at a time: a second waits up to `wait_s`."""
    with runs.exclusive(engine, STEP, source.name, wait_s):
        return _push_alone(config, engine, source, limit=limit, progress=progress)


def _push_alone(
    config: RelhubConfig,
    engine: Engine,
    source: SourceConfig,
    *,
    limit: int | None,
    progress: Progress | None,
) -> PushReport:
    run_id = runs.start_run(engine, STEP, source.name)
    report = PushReport(source.name, run_id)
    started = time.perf_counter()
    try:
        objects = [t.object for t in source_targets(config, source)]
        if objects:
            _settle_in_doubt(config, engine, source, report)
            mappers = compile_mapping(load_mapping(config.resolve_path(source.mapping)))
            connector = open_connector(config, source)
            try:
                size = int(
                    config.push.get("batch_size") or connector.max_write_batch * BATCHES_PER_CLAIM
                )
                budget = limit
                for object_name in objects:
                    budget = _drain_object(
                        engine, connector, mappers[object_name], size, budget, report, progress
                    )
            finally:
                connector.close()
    except BaseException as error:
        runs.finish_run(engine, run_id, report.as_dict(), error=error)
        raise
    report.seconds = round(time.perf_counter() - started, 3)
    runs.finish_run(engine, run_id, report.as_dict())
    return report


def _settle_in_doubt(
    config: RelhubConfig, engine: Engine, source: SourceConfig, report: PushReport
) -> None:
    with engine.connect() as connection:
        doubtful = connection.execute(
            select(_outbox).where(_outbox.c.system == source.name, _outbox.c.status == SENDING)
        ).all()
    if not doubtful:
        return
    log.info("%s: %d writes in doubt; re-reading the source", source.name, len(doubtful))
    sync_source(config, engine, source)
    with writing(engine) as connection:
        for row in doubtful:
            payload = _payload(connection, row.object, row.system, row.source_id)
            if is_merge(row.fields):  # a merged-away record reads back as deleted
                landed = payload is None
            else:
                landed = payload is not None and all(
                    same(payload.get(name), value) for name, value in row.fields.items()
                )
            _set_status(
                connection,
                [row.id],
                WRITTEN if landed else PENDING,
                "confirmed by re-read" if landed else None,
            )
            report.confirmed += landed
            report.requeued += not landed


def _payload(
    connection: Connection, object_name: str, system: str, source_id: str
) -> dict[str, Any] | None:
    return connection.execute(
        select(_source.c.payload).where(
            _source.c.system == system,
            _source.c.object == object_name,
            _source.c.source_id == source_id,
            _source.c.deleted.is_(False),
        )
    ).scalar()


def _drain_object(
    engine: Engine,
    connector: Connector,
    mapper: ObjectMapper,
    size: int,
    budget: int | None,
    report: PushReport,
    progress: Progress | None,
) -> int | None:
    """Batches until the object's pending rows (or the budget) run out; the budget left."""
    object_name = mapper.object
    while budget is None or budget > 0:
        take = size if budget is None else min(size, budget)
        with writing(engine) as connection:
            batch = _claim(connection, report.system, object_name, take, report)
        if not batch:
            return budget
        if budget is not None:
            budget -= len(batch)
        merges = [row for row in batch if is_merge(row.fields)]
        batch = merges + [row for row in batch if not is_merge(row.fields)]
        try:
            results = [_merge(connector, row) for row in merges]
            results += connector.write_batch(object_name, _requests(mapper, batch[len(merges) :]))
        except Exception:
            report.in_doubt += len(batch)
            raise
        with writing(engine) as connection:
            _record(connection, mapper, batch, results, report)
        report.batches += 1
        if progress:
            progress(f"{report.system}.{object_name}", report.written + report.rejected)
    return budget


def _requests(mapper: ObjectMapper, rows: Sequence[Any]) -> list[WriteRequest]:
    """Each row's write, expecting the record as the diff read it."""
    stamp_field = mapper.mapping.modified_at_field
    return [
        WriteRequest(
            dict(row.fields),
            record_id=row.source_id,
            expected=None
            if row.read_modified_at is None
            else Stamp(stamp_field, row.read_modified_at),
        )
        for row in rows
    ]


def _merge(connector: Connector, row: Any) -> WriteResult:
    """Merges go first, one call each: the source merges this record into another."""
    if not isinstance(connector, SourceMerger):
        return WriteResult(WriteStatus.REJECTED, row.source_id, "this system cannot merge")
    return connector.merge(row.object, row.fields[MERGE_INTO], row.source_id)


def _claim(
    connection: Connection, system: str, object_name: str, size: int, report: PushReport
) -> list[Any]:
    """The next pending rows, marked sending; rows whose source changed since the diff
    are skipped instead (the next sync re-reads them and the next build re-diffs)."""
    rows = connection.execute(
        select(_outbox, _source.c.modified_at.label("current_modified_at"))
        .join(_source, same_source_record(_source, _outbox))
        .where(
            _outbox.c.system == system,
            _outbox.c.object == object_name,
            _outbox.c.status == PENDING,
        )
        .order_by(_outbox.c.id)
        .limit(size)
    ).all()
    stale = [
        r.id
        for r in rows
        if r.current_modified_at is not None
        and r.read_modified_at is not None
        and r.current_modified_at > r.read_modified_at
    ]
    _set_status(connection, stale, SKIPPED, CHANGED_SINCE_READ)
    report.skipped += len(stale)
    skipped = set(stale)
    batch = [r for r in rows if r.id not in skipped]
    if batch:
        connection.execute(
            update(_outbox)
            .where(_outbox.c.id.in_([r.id for r in batch]))
            .values(status=SENDING, attempts=_outbox.c.attempts + 1)
        )
    return batch


def _record(
    connection: Connection,
    mapper: ObjectMapper,
    batch: Sequence[Any],
    results: Sequence[WriteResult],
    report: PushReport,
) -> None:
    """Each row's outcome; a written row's values go into the stored snapshot, so the
    next build finds nothing left to write (the echo brings no new push work). A row whose
    source record changed since it was read is skipped: the next sync re-reads the record
    and the next build diffs it again."""
    outcomes = list(zip(batch, results, strict=True))
    written = [row for row, r in outcomes if r.status == WriteStatus.WRITTEN]
    changed = [row.id for row, r in outcomes if r.status == WriteStatus.CHANGED]
    refused = [
        (row, r) for row, r in outcomes if r.status in (WriteStatus.REJECTED, WriteStatus.NOT_FOUND)
    ]
    _set_status(connection, [row.id for row in written], WRITTEN, None)
    _set_status(connection, changed, SKIPPED, CHANGED_SINCE_READ)
    for row, result in refused:
        _set_status(connection, [row.id], REJECTED, result.message or str(result.status))
    _apply_to_snapshots(connection, mapper, written)
    report.written += len(written)
    report.rejected += len(refused)
    report.skipped += len(changed)
    report.in_doubt += len(batch) - len(written) - len(refused) - len(changed)  # `sending`


def _apply_to_snapshots(connection: Connection, mapper: ObjectMapper, rows: Sequence[Any]) -> None:
    """One read of the batch's snapshots and one executemany of their new payloads and
    mapped forms, the latter at the record's stored modification time: when the write
    comes back on the next sync, only that time differs, so it brings no resolve work
    either (a filled-in email is already the golden record's). `last_run_id` stays."""
    rows = [row for row in rows if not is_merge(row.fields)]  # a merged record is gone
    if not rows:
        return
    system, object_name = rows[0].system, rows[0].object
    current = {
        r.source_id: r
        for r in connection.execute(
            select(
                _source.c.id,
                _source.c.source_id,
                _source.c.payload,
                _source.c.canonical,
                _source.c.modified_at,
                _source.c.deleted,
            ).where(
                _source.c.system == system,
                _source.c.object == object_name,
                _source.c.source_id.in_([row.source_id for row in rows]),
            )
        )
    }
    updates = []
    for row in rows:
        stored = current[row.source_id]
        payload = {**stored.payload, **row.fields}
        written = SourceRecord(
            system, object_name, row.source_id, stored.modified_at, stored.deleted, payload
        )
        try:
            canonical: Any = JSONText(mapper.map_json(written))
        except MappingError:  # the record never mapped; the next sync says why
            canonical = stored.canonical
        updates.append(
            {
                "pk": stored.id,
                "payload": payload,
                "canonical": canonical,
                "content_hash": content_hash(serialize_payload(payload), stored.deleted),
            }
        )
    connection.execute(
        update(_source)
        .where(_source.c.id == bindparam("pk"))
        .values(
            payload=bindparam("payload"),
            canonical=bindparam("canonical"),
            content_hash=bindparam("content_hash"),
        ),
        updates,
    )


def _set_status(
    connection: Connection, ids: Sequence[int], status: str, message: str | None
) -> None:
    if ids:
        connection.execute(
            update(_outbox)
            .where(_outbox.c.id.in_(list(ids)))
            .values(status=status, message=message, done_at=utcnow())
        )
