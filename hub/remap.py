"""Re-mapping stored raw rows with the current mapping, without reading the source again.

Two callers: `relhub quarantine retry` re-maps the rows a mapping refused, and a sync
re-maps an object's stored records when its mapping changed since they were mapped (the
digest kept in its sync state differs), so that a mapping fix reaches records whose
source never changes again. A record whose canonical form changes is marked for the
next resolve by the run that changed it.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update

from connectors.base import Page, SourceRecord
from hub.config import RelhubConfig, SourceConfig
from hub.mapping.engine import MappingError, ObjectMapper
from hub.mapping.spec import load_mapping
from hub.mapping.validate import compile_mapping
from hub.page_mapping import mapping_rejection, prepare_page
from hub.store import runs
from hub.store.bulk import PAGE, chunks, dialect_insert
from hub.store.db import JSONText, utcnow, writing
from hub.store.models import QuarantineRow, SourceRecordRow, SyncState
from hub.store.quarantine import QuarantineEntry, write_entries
from hub.store.snapshots import PageCounts, commit_page

_source = SourceRecordRow.__table__
_state = SyncState.__table__


def mapping_digest(mapper: ObjectMapper) -> str:
    """What the object's mapping says, as a digest: equal digests map records alike."""
    spec = mapper.mapping.model_dump(mode="json", by_alias=True)
    text = json.dumps([mapper.system, mapper.object, spec], sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass
class RemapReport:
    """A mapping change applied to stored records: how many were re-mapped, how many of
    those changed, and how many the new mapping refuses (quarantined; stored as before)."""

    remapped: int = 0
    changed: int = 0
    quarantined: int = 0


def remap_if_mapping_changed(engine: Engine, mapper: ObjectMapper, run_id: int) -> RemapReport:
    """Re-map the object's stored records if its mapping changed since they were mapped.

    The new digest is kept only once every record is re-mapped: a crash midway re-maps
    again at the next sync, and re-mapping an up-to-date record changes nothing.
    """
    system, object_name = mapper.system, mapper.object
    digest = mapping_digest(mapper)
    with engine.connect() as connection:
        stored = connection.execute(
            select(_state.c.mapping_digest).where(
                _state.c.system == system, _state.c.object == object_name
            )
        ).first()
    report = RemapReport()
    if stored is not None and stored.mapping_digest == digest:
        return report
    last_pk = 0
    while True:
        with writing(engine) as connection:
            page = connection.execute(
                select(
                    _source.c.id,
                    _source.c.source_id,
                    _source.c.payload,
                    _source.c.canonical,
                    _source.c.modified_at,
                )
                .where(
                    _source.c.system == system,
                    _source.c.object == object_name,
                    _source.c.deleted.is_(False),
                    _source.c.id > last_pk,
                )
                .order_by(_source.c.id)
                .limit(PAGE)
            ).all()
            if not page:
                break
            last_pk = page[-1].id
            _remap_page(connection, mapper, run_id, page, report)
    with writing(engine) as connection:
        statement = dialect_insert(connection, _state)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["system", "object"],
                set_={"mapping_digest": digest},
            ),
            [
                {
                    "system": system,
                    "object": object_name,
                    "watermark_at": None,
                    "watermark_id": "",
                    "updated_at": utcnow(),
                    "run_id": run_id,
                    "mapping_digest": digest,
                }
            ],
        )
    return report


def _remap_page(
    connection: Connection,
    mapper: ObjectMapper,
    run_id: int,
    page: Sequence[Any],
    report: RemapReport,
) -> None:
    changed: list[dict[str, Any]] = []
    refused: list[QuarantineEntry] = []
    for pk, source_id, payload, canonical, modified_at in page:
        record = SourceRecord(mapper.system, mapper.object, source_id, modified_at, False, payload)
        try:
            mapped = mapper.map_json(record)
        except MappingError as error:
            refused.append(mapping_rejection(record, error))
            continue
        if json.loads(mapped) != canonical:
            changed.append({"pk": pk, "canonical": JSONText(mapped)})
    report.remapped += len(page)
    report.changed += len(changed)
    report.quarantined += len(refused)
    if changed:
        connection.execute(
            update(_source)
            .where(_source.c.id == bindparam("pk"))
            .values(canonical=bindparam("canonical"), last_seen_at=utcnow(), last_run_id=run_id),
            changed,
        )
    write_entries(connection, run_id, mapper.system, mapper.object, refused)


@dataclass
class RetryReport:
    """`relhub quarantine retry` for one source: rows re-mapped and stored, rows the
    mapping still refuses, and entries only a fixed source row can close (the next sync
    reads them again whatever its watermark)."""

    source: str
    run_id: int
    stored: int = 0
    still_quarantined: int = 0
    need_fixing_at_source: int = 0
    objects: dict[str, PageCounts] = field(default_factory=dict)


def retry_quarantine(config: RelhubConfig, engine: Engine, source: SourceConfig) -> RetryReport:
    """Re-map the source's open entries that its mapping refused, with the current mapping.

    Under the source's sync lock: it stores the source's records as a sync does."""
    with runs.exclusive(engine, "sync", source.name):
        return _retry_alone(config, engine, source)


def _retry_alone(config: RelhubConfig, engine: Engine, source: SourceConfig) -> RetryReport:
    mappers = compile_mapping(load_mapping(config.resolve_path(source.mapping)))
    refused, other = _open_entries(engine, source.name)
    run_id = runs.start_run(engine, "retry", source.name)
    report = RetryReport(source.name, run_id, need_fixing_at_source=other)
    try:
        for object_name, records in refused.items():
            mapper = mappers.get(object_name)
            if mapper is None:  # the object left the mapping: nothing to map it with
                report.need_fixing_at_source += len(records)
                continue
            counts = report.objects.setdefault(object_name, PageCounts())
            for batch in chunks(records, PAGE):
                rows, quarantine = prepare_page(Page(records=batch), mapper)
                counts.add(
                    commit_page(
                        engine,
                        run_id=run_id,
                        system=source.name,
                        object_name=object_name,
                        rows=rows,
                        quarantine=quarantine,
                        checkpoint=None,
                        run_counts={},
                    )
                )
            report.stored += counts.inserted + counts.updated + counts.unchanged
            report.still_quarantined += counts.quarantined
    except BaseException as error:
        runs.finish_run(engine, run_id, _counts(report), error=error)
        raise
    runs.finish_run(engine, run_id, _counts(report))
    return report


def _counts(report: RetryReport) -> dict[str, Any]:
    return {
        "stored": report.stored,
        "quarantined": report.still_quarantined,
        "need_fixing_at_source": report.need_fixing_at_source,
    }


def _open_entries(engine: Engine, system: str) -> tuple[dict[str, list[SourceRecord]], int]:
    """Open entries of a source: the records a mapping refused, rebuilt from their stored
    raw rows, by object; and how many others (unreadable rows, database refusals) wait."""
    table = QuarantineRow.__table__
    query = select(
        table.c.object,
        table.c.source_id,
        table.c.stage,
        table.c.raw,
        table.c.line,
        table.c.modified_at,
    ).where(table.c.system == system, table.c.resolved_at.is_(None))
    refused: dict[str, list[SourceRecord]] = defaultdict(list)
    other = 0
    with engine.connect() as connection:
        for object_name, source_id, stage, raw, line, modified_at in connection.execute(query):
            fields = _fields(raw) if stage == "map" and source_id else None
            if fields is None:
                other += 1
                continue
            refused[object_name].append(
                SourceRecord(system, object_name, source_id, modified_at, False, fields, line)
            )
    return refused, other


def _fields(raw: str) -> dict[str, Any] | None:
    try:
        fields = json.loads(raw)
    except ValueError:
        return None
    return fields if isinstance(fields, dict) else None
