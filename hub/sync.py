"""The sync step: extract -> map -> store, page by page, losing nothing.

Each page is committed with its watermark in one transaction. Every record fetched ends
either stored (inserted, updated, or unchanged when its content hash matches) or
quarantined with a reason, and the run row counts both.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, select, update

from connectors.base import (
    ChunkedReader,
    Connector,
    DeclaredColumns,
    OwnChangeStamp,
    ReadSpec,
    Watermark,
)
from hub.config import RelhubConfig, SourceConfig
from hub.connections import open_connector
from hub.deletion_guard import DEFAULT_MAX_DELETION_SHARE, guard_deletions
from hub.duplicates import DuplicateIds
from hub.mapping.engine import ObjectMapper
from hub.mapping.spec import MappingFile, load_mapping
from hub.mapping.validate import compile_mapping, missing_columns
from hub.page_mapping import MappedPage, map_chunks, map_pages
from hub.remap import remap_if_mapping_changed
from hub.store import runs
from hub.store.db import utcnow, writing
from hub.store.locks import DEFAULT_WAIT_S
from hub.store.models import SourceRecordRow
from hub.store.quarantine import close_unmet, open_source_ids
from hub.store.snapshots import (
    PageCounts,
    PlannerStatistics,
    commit_page,
)
from hub.yamlfile import ConfigError, field_path, line_of
from workers.gc_pause import full_collections_paused

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]
"""Called with (object name, records handled so far in this object)."""


@dataclass
class ObjectReport:
    object: str
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    deletions: int = 0
    watermark: str | None = None
    remapped: int = 0  # stored records re-mapped after a mapping change
    remap_changed: int = 0  # of those, records whose canonical form changed
    remap_quarantined: int = 0  # of those, records the new mapping refuses
    dropped: dict[str, int] = field(default_factory=dict)  # invalid values dropped, per field

    def add(self, counts: PageCounts) -> None:
        self.inserted += counts.inserted
        self.updated += counts.updated
        self.unchanged += counts.unchanged
        self.quarantined += counts.quarantined


@dataclass
class SyncReport:
    source: str
    run_id: int
    objects: list[ObjectReport] = field(default_factory=list)

    def totals(self) -> dict[str, Any]:
        keys = ("fetched", "inserted", "updated", "unchanged", "quarantined", "deletions")
        totals: dict[str, Any] = {k: sum(getattr(o, k) for o in self.objects) for k in keys}
        totals["objects"] = {o.object: asdict(o) for o in self.objects}
        return totals


def read_spec(mapper: ObjectMapper, reread_ids: frozenset[str] = frozenset()) -> ReadSpec:
    mapping = mapper.mapping
    return ReadSpec(
        object=mapper.object,
        id_field=mapping.id_field,
        modified_at_field=mapping.modified_at_field,
        deleted_field=mapping.deleted_field,
        reread_ids=reread_ids,
    )


def starting_point(stored: Watermark | None, overlap_s: float) -> Watermark | None:
    """Where an incremental read starts: the watermark, moved back by the overlap window.

    The overlap re-reads recent changes against clock skew and late-visible writes; what
    it re-reads is recognised by content hash and costs no write.
    """
    if stored is None or overlap_s <= 0:
        return stored
    return Watermark(stored.modified_at - timedelta(seconds=overlap_s), "")


def sync_object(
    engine: Engine,
    connector: Connector,
    mapper: ObjectMapper,
    *,
    run_id: int,
    overlap_s: float,
    full: bool,
    run_counts: dict[str, Any],
    workers: int = 1,
    progress: Progress | None = None,
    max_deletion_share: float = DEFAULT_MAX_DELETION_SHARE,
    allow_deletions: bool = False,
) -> ObjectReport:
    system, object_name = connector.system, mapper.object
    report = ObjectReport(object_name)
    remap = remap_if_mapping_changed(engine, mapper, run_id)
    report.remapped, report.remap_changed = remap.remapped, remap.changed
    report.remap_quarantined = remap.quarantined
    since = None if full else starting_point(runs.watermark(engine, system, object_name), overlap_s)
    snapshot_ids: set[str] = set()
    statistics = PlannerStatistics(engine)
    whole_export = False
    duplicates = DuplicateIds()
    # A quarantined record is read again whatever the watermark: fixed, it now maps.
    spec = read_spec(mapper, open_source_ids(engine, system, object_name))
    for page in _mapped_pages(connector, mapper, spec, since, full=full, workers=workers):
        whole_export = page.whole_export
        if whole_export:
            duplicates.screen(page)
        report.fetched += page.fetched
        for target, count in page.dropped.items():
            report.dropped[target] = report.dropped.get(target, 0) + count
        report.deletions += sum(1 for row in page.rows if row.deleted)
        snapshot_ids.update(page.snapshot_ids)
        run_counts[object_name] = asdict(report)
        counts = commit_page(
            engine,
            run_id=run_id,
            system=system,
            object_name=object_name,
            rows=page.rows,
            quarantine=page.quarantine,
            checkpoint=page.checkpoint,
            run_counts=run_counts,
        )
        report.add(counts)
        statistics.inserted(counts.inserted)
        if page.snapshot_complete:
            report.deletions += mark_absent_deleted(
                engine,
                run_id,
                system,
                object_name,
                snapshot_ids,
                max_share=max_deletion_share,
                allowed=allow_deletions,
            )
        if page.checkpoint is not None:
            report.watermark = (
                f"{page.checkpoint.modified_at.isoformat()} {page.checkpoint.record_id}"
            )
        if progress is not None:
            progress(object_name, report.fetched)
    if whole_export:
        close_unmet(engine, run_id, system, object_name)
    run_counts[object_name] = asdict(report)
    return report


def _mapped_pages(
    connector: Connector,
    mapper: ObjectMapper,
    spec: ReadSpec,
    since: Watermark | None,
    *,
    full: bool,
    workers: int,
) -> Iterator[MappedPage]:
    """The read, mapped; a connector that hands out raw chunks has them parsed by the
    mapping workers too, so the syncing process is left with storing."""
    if isinstance(connector, ChunkedReader):
        return map_chunks(connector.read_chunks(spec, since, full=full), mapper, workers)
    return map_pages(connector.read_changes(spec, since, full=full), mapper, workers)


def mark_absent_deleted(
    engine: Engine,
    run_id: int,
    system: str,
    object_name: str,
    present: set[str],
    *,
    max_share: float = DEFAULT_MAX_DELETION_SHARE,
    allowed: bool = False,
) -> int:
    """After a complete snapshot, records the source no longer has are deletions, unless
    they are too many (`guard_deletions`)."""
    table = SourceRecordRow.__table__
    with writing(engine) as connection:
        query = select(table.c.id, table.c.source_id, table.c.content_hash).where(
            table.c.system == system, table.c.object == object_name, table.c.deleted.is_(False)
        )
        live = connection.execute(query).all()
        gone = [(pk, digest) for pk, sid, digest in live if sid not in present]
        guard_deletions(
            system,
            object_name,
            live=len(live),
            deleting=len(gone),
            max_share=max_share,
            allowed=allowed,
        )
        if gone:
            connection.execute(
                update(table)
                .where(table.c.id == bindparam("pk"))
                .values(
                    deleted=True,
                    content_hash=bindparam("digest"),
                    last_seen_at=utcnow(),
                    last_run_id=run_id,
                ),
                [{"pk": pk, "digest": _deleted_hash(digest)} for pk, digest in gone],
            )
    return len(gone)


def _deleted_hash(digest: str) -> str:
    return hashlib.blake2b(f"{digest}:absent".encode(), digest_size=16).hexdigest()


def check_columns(connector: Connector, mapping: MappingFile, object_names: list[str]) -> None:
    """Before a read: a column the mapping names and the source does not declare (a file's
    header, the fields Salesforce lets the integration user read) would leave a field empty
    in every record, and a change stamp the connector does not read by would move the
    watermark on the wrong field, so each is a configuration error naming the mapping's line."""
    for error in stamp_problems(connector, mapping, object_names):
        raise error
    if not isinstance(connector, DeclaredColumns):
        return
    for name in object_names:
        columns = connector.columns(name)
        if columns is not None:
            origin = connector.columns_origin(name)
            for problem in missing_columns(mapping, name, columns, origin):
                raise problem.error


def stamp_problems(
    connector: Connector, mapping: MappingFile, object_names: list[str]
) -> Iterator[ConfigError]:
    """A `modified_at_field` other than the stamp a connector reads changes by."""
    if not isinstance(connector, OwnChangeStamp):
        return
    stamp = connector.change_stamp
    for name in object_names:
        named = mapping.object(name).modified_at_field
        if named not in (None, stamp):
            location = ["objects", name, "modified_at_field"]
            reason = f"must be {stamp}, not {named}: {connector.change_stamp_why}"
            line = line_of(mapping.document, location)
            yield ConfigError(mapping.path, line, field_path(location), reason)


def _log_object(source: str, done: ObjectReport, seconds: float) -> None:
    """One line per object under `relhub -v`: what a long sync spent its time on."""
    log.info(
        "sync %s.%s: %d fetched, %d inserted, %d updated, %d quarantined, %d deleted in %.1f s",
        source,
        done.object,
        done.fetched,
        done.inserted,
        done.updated,
        done.quarantined,
        done.deletions,
        seconds,
    )


def sync_source(
    config: RelhubConfig,
    engine: Engine,
    source: SourceConfig,
    *,
    full: bool = False,
    progress: Progress | None = None,
    allow_deletions: bool = False,
    wait_s: float = DEFAULT_WAIT_S,
) -> SyncReport:
    """Sync every configured object of one source; the run row records the outcome.

    One sync of a source at a time: a second waits up to `wait_s` for the first, then
    reads from the watermark it left."""
    with runs.exclusive(engine, "sync", source.name, wait_s):
        return _sync_alone(
            config, engine, source, full=full, progress=progress, allow_deletions=allow_deletions
        )


def _sync_alone(
    config: RelhubConfig,
    engine: Engine,
    source: SourceConfig,
    *,
    full: bool,
    progress: Progress | None,
    allow_deletions: bool,
) -> SyncReport:
    mapping = load_mapping(config.resolve_path(source.mapping))
    mappers = compile_mapping(mapping)
    object_names = list(source.objects) or list(mappers)
    for name in object_names:
        mapping.object(name)  # a configured object without a mapping fails before any read
    run_id = runs.start_run(engine, "sync", source.name)
    report = SyncReport(source.name, run_id)
    run_counts: dict[str, Any] = {}
    connector = None
    try:
        connector = open_connector(config, source)
        check_columns(connector, mapping, object_names)
        with full_collections_paused():  # forked mapping workers inherit it
            for name in object_names:
                started = time.perf_counter()
                report.objects.append(
                    sync_object(
                        engine,
                        connector,
                        mappers[name],
                        run_id=run_id,
                        overlap_s=source.overlap_seconds,
                        full=full,
                        run_counts=run_counts,
                        workers=source.mapping_workers,
                        progress=progress,
                        max_deletion_share=source.max_deletion_share,
                        allow_deletions=allow_deletions,
                    )
                )
                _log_object(source.name, report.objects[-1], time.perf_counter() - started)
    except BaseException as error:
        runs.finish_run(engine, run_id, report.totals(), error=error)
        raise
    finally:
        if connector is not None:
            connector.close()
    runs.finish_run(engine, run_id, report.totals())
    return report
