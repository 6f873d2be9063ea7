"""The source records a resolve reads: a batch of them parsed, by key or by row, and
the marks (newest sync run, newest steward decision) that say what a resolve has seen."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, Connection, Text, cast, func, select

from hub.resolve.employers import LIVE, employed
from hub.store.bulk import PAGE, chunks, key_chunks
from hub.store.identity_models import StewardDecisionRow
from hub.store.models import Run, SourceRecordRow
from identity import (
    CanonicalRecord,
    Record,
    RecordView,
    record_key,
    record_key_parts,
    record_view,
)

_RECORD = TypeAdapter(CanonicalRecord)
STORING_STEPS = ("sync", "retry")  # the steps whose runs write source records


@dataclass
class Snapshot:
    """Source records of one batch: live ones parsed, deleted ones by key."""

    records: dict[str, Record] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)

    def add(self, other: Snapshot) -> None:
        self.records.update(other.records)
        self.gone |= other.gone


def _snapshot(rows: Iterable[Any]) -> Snapshot:
    snapshot = Snapshot()
    for system, object_name, source_id, deleted, canonical in rows:
        key = record_key(system, object_name, source_id)
        if deleted or canonical is None:
            snapshot.gone.add(key)
        else:
            snapshot.records[key] = _RECORD.validate_json(canonical)
    return snapshot


# The canonical document as its JSON text: pydantic parses text three times faster than it
# validates the dict a JSON column would first decode.
_SNAPSHOT_COLUMNS = (
    SourceRecordRow.system,
    SourceRecordRow.object,
    SourceRecordRow.source_id,
    SourceRecordRow.deleted,
    cast(SourceRecordRow.canonical, Text),
)


def load_where(connection: Connection, *where: ColumnElement[bool]) -> Snapshot:
    return _snapshot(connection.execute(select(*_SNAPSHOT_COLUMNS).where(*where)))


def live_records(connection: Connection) -> tuple[list[int], list[str], set[str]]:
    """Row ids and keys (in key order) of every live record, and their entity kinds: what a
    full resolve needs before it streams the records themselves.

    Key order, not row order: the engine is deterministic for a given input order only (its
    u sample, its ties), and row ids follow the order sources happened to sync in. Sorted
    here rather than by the database, whose collation may not sort as Python does, the
    full resolve reads records in the order an incremental one does (`sorted(keys)`)."""
    rows: list[tuple[str, int]] = []
    kinds: set[str] = set()
    for row_id, system, object_name, source_id, kind in connection.execute(
        select(
            SourceRecordRow.id,
            SourceRecordRow.system,
            SourceRecordRow.object,
            SourceRecordRow.source_id,
            SourceRecordRow.entity_kind,
        ).where(*LIVE)
    ):
        rows.append((record_key(system, object_name, source_id), row_id))
        if kind is not None:  # always, with a canonical form; the column allows none
            kinds.add(kind)
    rows.sort()
    return [row_id for _, row_id in rows], [key for key, _ in rows], kinds


def record_pages(connection: Connection, ids: Sequence[int]) -> Iterator[list[RecordView]]:
    """The live records with these row ids as the engine reads them (views, `employed`),
    page by page in the given order, so that only one page is ever parsed at a time (a
    record deleted meanwhile fails the resolve)."""
    for id_page in chunks(ids, PAGE):
        documents = _documents(connection, id_page)
        page = [record_view(orjson.loads(documents[row_id])) for row_id in id_page]
        yield employed(connection, page)


def _documents(connection: Connection, ids: Sequence[int]) -> dict[int, str]:
    """The canonical JSON text of the live records among these row ids, by row id."""
    rows = connection.execute(
        select(SourceRecordRow.id, cast(SourceRecordRow.canonical, Text)).where(
            SourceRecordRow.id.in_(ids), *LIVE
        )
    )
    return {row_id: document for row_id, document in rows}


@dataclass(frozen=True)
class RowReader:
    """Live records by key, read by their row ids (`rows`: a full resolve knows every
    record's, from `live_records`). Survivorship reads each record once more: by row id
    that takes 0.75x the CPU it takes by key (where SQLite walks the unique index of
    system, object and source id, then the table). A record deleted since is missing from
    what it returns, and the resolve fails, as `record_pages` does."""

    rows: Mapping[str, int]

    def __call__(self, connection: Connection, keys: Collection[str]) -> dict[str, Record]:
        wanted = {self.rows[key]: key for key in keys}
        records: dict[str, Record] = {}
        for chunk in key_chunks(wanted):
            for row_id, document in _documents(connection, chunk).items():
                records[wanted[row_id]] = _RECORD.validate_json(document)
        return records


def load_keys(connection: Connection, keys: Collection[str]) -> Snapshot:
    """Records by key, asked per (system, object) with `source_id IN (…)`: that walks the
    unique index, where SQLite answers a row-value `IN` by scanning the table."""
    by_object: dict[tuple[str, str], list[str]] = {}
    for key in keys:
        system, object_name, source_id = record_key_parts(key)
        by_object.setdefault((system, object_name), []).append(source_id)
    snapshot = Snapshot()
    for (system, object_name), source_ids in by_object.items():
        for chunk in key_chunks(source_ids):
            snapshot.add(
                load_where(
                    connection,
                    SourceRecordRow.system == system,
                    SourceRecordRow.object == object_name,
                    SourceRecordRow.source_id.in_(chunk),
                )
            )
    return snapshot


def source_mark(connection: Connection) -> int:
    """The newest run whose stored records are all visible: below any run still storing
    (a sync, or a quarantine retry)."""
    newest = connection.execute(select(func.max(SourceRecordRow.last_run_id))).scalar() or 0
    running = connection.execute(
        select(func.min(Run.id)).where(Run.step.in_(STORING_STEPS), Run.status == "running")
    ).scalar()
    return min(newest, running - 1) if running is not None else newest


def decision_mark(connection: Connection) -> int:
    return connection.execute(select(func.max(StewardDecisionRow.id))).scalar() or 0
