"""Committing one page of a sync: snapshots, quarantine and watermark in one transaction.

Because the watermark moves in the same transaction as the records behind it, a crash
at any point leaves the store at a page boundary, and a rerun resumes from there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection, Engine, bindparam, select, text, update
from sqlalchemy.exc import StatementError

from connectors.base import Watermark
from hub.store.bulk import analyze, chunks, quoted_table, select_in
from hub.store.db import JSONText, bind_processor, insert_values, processed_values, utcnow, writing
from hub.store.errors import is_record_fault
from hub.store.models import Run, SourceRecordRow, SyncState
from hub.store.quarantine import QuarantineEntry, close_mapped, quarantine_entry, write_entries

_ID_CHUNK = 5000  # one lookup per page; SQLite 3.32+ binds up to 32,766 parameters
_SYNC_CACHE_KIB = 16384  # SQLite's page cache while a sync writes a page
_source = SourceRecordRow.__table__
Params = TypeVar("Params")  # one row's parameters of a bulk statement


class SnapshotRow(NamedTuple):
    """A source record ready to store: raw payload, mapped payload (both JSON text) and
    content hash. A tuple of plain values: mapping workers send thousands a second."""

    source_id: str
    entity_kind: str | None
    payload: str
    canonical: str | None
    modified_at: datetime | None
    deleted: bool
    content_hash: str
    line: int | None = None  # in a file export


@dataclass
class PageCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0

    def add(self, other: PageCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.quarantined += other.quarantined


def commit_page(
    engine: Engine,
    *,
    run_id: int,
    system: str,
    object_name: str,
    rows: Sequence[SnapshotRow],
    quarantine: Sequence[QuarantineEntry],
    checkpoint: Watermark | None,
    run_counts: dict[str, Any],
) -> PageCounts:
    """Store a page; rows whose content hash is unchanged are not written at all."""
    rows = list({row.source_id: row for row in rows}.values())  # last version of an id wins
    with writing(engine) as connection:
        if connection.dialect.name == "postgresql":
            # A page and its watermark still commit or vanish together; a crash may lose the
            # last pages' durability, and the rerun re-reads them from the older watermark.
            connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
        cache_size = _bound_page_cache(connection) if connection.dialect.name == "sqlite" else None
        counts = _write_snapshots(connection, run_id, system, object_name, rows, quarantine)
        write_entries(connection, run_id, system, object_name, quarantine)
        if checkpoint is not None:
            _advance_watermark(connection, run_id, system, object_name, checkpoint)
        connection.execute(update(Run).where(Run.id == run_id).values(counts=run_counts))
        if cache_size is not None:
            connection.exec_driver_sql(f"PRAGMA cache_size = {cache_size}")
    return counts


def _bound_page_cache(connection: Connection) -> int:
    """Shrink SQLite's page cache for a sync's page, returning the size to restore after.

    The store's cache (64 MiB, for the index pages of reads) otherwise fills up with the
    table pages a bulk sync writes and never reads again: half the syncing process's
    memory at 100k records. The pages a sync does read (its id lookups in the unique
    index) fit in `_SYNC_CACHE_KIB`; the store's size comes back for the connection's next
    user. After a failed page the connection keeps the smaller cache, which costs nothing
    but speed."""
    [(size,)] = connection.exec_driver_sql("PRAGMA cache_size").all()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{_SYNC_CACHE_KIB}")
    return int(size)


class PlannerStatistics:
    """Keeps PostgreSQL's statistics of the snapshot table in step with a bulk load.

    Each page looks up its ids by index; planned on the statistics of a table that was
    empty when autovacuum last looked, that lookup scans every row of the object instead,
    and a 500k-record first sync slows to a crawl. ANALYZE after 10,000 new rows and then
    each time the table has doubled keeps the plans right for O(log n) ANALYZEs.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.enabled = engine.dialect.name == "postgresql"
        self.analyzed_rows = 0
        self.pending = 0

    def inserted(self, count: int) -> None:
        if not self.enabled:
            return
        self.pending += count
        if self.pending >= max(10_000, self.analyzed_rows):
            with writing(self.engine) as connection:
                analyze(connection, _source)
            self.analyzed_rows += self.pending
            self.pending = 0


def _existing(
    connection: Connection, system: str, object_name: str, source_ids: Iterable[str]
) -> dict[str, tuple[int, str]]:
    """The stored (primary key, content hash) of a page's ids, asked of the driver: the
    SQLAlchemy statement coerced and rendered each of a page's 1,000 ids, five times the
    look-up's own cost (1.15 against 0.19 us an id, on an empty table). Identifiers are
    the table's own, quoted by the dialect; the ids are bound, never part of the text."""
    quote = connection.dialect.identifier_preparer.quote
    columns = _source.c
    postgres = connection.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    head = (
        f"SELECT {quote(columns.source_id.name)}, {quote(columns.id.name)}, "  # noqa: S608
        f"{quote(columns.content_hash.name)} FROM {quoted_table(connection, _source)} "
        f"WHERE {quote(columns.system.name)} = {mark} AND {quote(columns.object.name)} = {mark} "
        f"AND {quote(columns.source_id.name)} "
    )
    found: dict[str, tuple[int, str]] = {}
    for ids in chunks(source_ids, _ID_CHUNK):
        if postgres:  # one array parameter, however many ids
            rows = connection.exec_driver_sql(f"{head}= ANY(%s)", (system, object_name, ids))
        else:
            marks = ", ".join("?" * len(ids))
            rows = connection.exec_driver_sql(f"{head}IN ({marks})", (system, object_name, *ids))
        found.update((sid, (pk, digest)) for sid, pk, digest in rows)
    return found


def _write_snapshots(
    connection: Connection,
    run_id: int,
    system: str,
    object_name: str,
    rows: list[SnapshotRow],
    quarantine: Sequence[QuarantineEntry],
) -> PageCounts:
    existing = _existing(connection, system, object_name, (r.source_id for r in rows))
    now = utcnow()
    inserts: list[SnapshotRow] = []
    updates: list[dict[str, Any]] = []
    refreshed: list[dict[str, Any]] = []
    counts = PageCounts(quarantined=len(quarantine))
    same_mapping = _same_mapping(connection, rows, existing)
    for row in rows:
        known = existing.get(row.source_id)
        if known is not None and known[1] == row.content_hash:
            counts.unchanged += 1
            continue
        if known is not None and row.source_id in same_mapping:
            counts.unchanged += 1
            refreshed.append(
                {
                    "pk": known[0],
                    "payload": JSONText(row.payload),
                    "modified_at": row.modified_at,
                    "content_hash": row.content_hash,
                    "last_seen_at": now,
                }
            )
            continue
        if known is None:
            inserts.append(row)
            continue
        values = {
            "entity_kind": row.entity_kind,
            "payload": JSONText(row.payload),
            "canonical": None if row.canonical is None else JSONText(row.canonical),
            "modified_at": row.modified_at,
            "deleted": row.deleted,
            "content_hash": row.content_hash,
        }
        updates.append({"pk": known[0], **values, "last_seen_at": now, "last_run_id": run_id})
    shared = {
        "system": system,
        "object": object_name,
        "first_seen_at": now,
        "last_seen_at": now,
        "last_run_id": run_id,
    }
    rejected_inserts = _execute_or_isolate(
        lambda batch: _insert_snapshots(connection, batch, shared), connection, inserts
    )
    changed = update(_source).where(_source.c.id == bindparam("pk"))
    rejected_changes, rejected_refreshes = (  # one statement per shape of parameters
        _execute_or_isolate(lambda params: connection.execute(changed, params), connection, batch)
        for batch in (updates, refreshed)
    )
    rejected_updates = rejected_changes + rejected_refreshes
    counts.inserted = len(inserts) - len(rejected_inserts)
    counts.updated = len(updates) - len(rejected_changes)
    counts.unchanged -= len(rejected_refreshes)
    rejected = [
        ({"source_id": row.source_id, "payload": row.payload, "modified_at": row.modified_at}, why)
        for row, why in rejected_inserts
    ]
    if rejected_updates:  # an update names its row by primary key; quarantine needs its id
        source_ids = {known[0]: source_id for source_id, known in existing.items()}
        rejected = rejected + [
            (dict(values, source_id=source_ids[values["pk"]]), reason)
            for values, reason in rejected_updates
        ]
    if rejected:
        extra = [_database_rejection(values, error) for values, error in rejected]
        write_entries(connection, run_id, system, object_name, extra)
        counts.quarantined += len(extra)
    still_bad = {values.get("source_id") for values, _ in rejected}
    close_mapped(
        connection, system, object_name, [r.source_id for r in rows if r.source_id not in still_bad]
    )
    return counts


def _insert_snapshots(
    connection: Connection, rows: Sequence[SnapshotRow], shared: dict[str, Any]
) -> None:
    """Insert new records from their snapshot rows, driver-ready values built straight
    from the tuples: a dict a row with its JSON wrapped for the generic bulk path cost the
    syncing process 2-3 us a record (commit_page 16.9-19.1 -> 13.2-15.5 us). The JSON
    texts go as they are, as `JSONDocument` takes a `JSONText`."""
    dialect = connection.dialect
    stamp = bind_processor(_source, "modified_at", dialect)
    flag = bind_processor(_source, "deleted", dialect)
    flags = {False: False, True: True} if flag is None else {False: flag(False), True: flag(True)}
    common = processed_values(_source, dialect, shared)
    values = [
        (
            row.source_id,
            row.entity_kind,
            row.payload,
            row.canonical,
            row.modified_at if stamp is None else stamp(row.modified_at),
            flags[row.deleted],  # two values, processed once: not two calls a record
            row.content_hash,
            *common,
        )
        for row in rows
    ]
    names = ["source_id", "entity_kind", "payload", "canonical", "modified_at", "deleted"]
    insert_values(connection, _source, [*names, "content_hash", *shared], values)


def _same_mapping(
    connection: Connection, rows: Sequence[SnapshotRow], existing: dict[str, tuple[int, str]]
) -> set[str]:
    """Ids of changed rows whose mapped form is what the store holds, but for the source's
    modification time: our own push-back, or an edit to fields the mapping does not read.

    Their raw payload and change time are stored (a push compares the source's change
    time with it before writing), but the stored canonical form and `last_run_id` stay: a
    resolve does not see them as changed (a push is not echoed back as a change), and they
    do not become "most recent" for survivorship by a write that changed no mapped value.
    """
    candidates = {
        existing[r.source_id][0]: r
        for r in rows
        if r.source_id in existing
        and existing[r.source_id][1] != r.content_hash
        and r.canonical is not None
        and not r.deleted
    }
    stored_rows = select_in(
        connection, (_source.c.id, _source.c.canonical, _source.c.deleted), _source.c.id, candidates
    )
    return {
        candidates[pk].source_id
        for pk, stored, deleted in stored_rows
        if not deleted
        and stored is not None
        and _timeless(stored) == _timeless(candidates[pk].canonical)
    }


def _timeless(canonical: dict[str, Any] | str | None) -> dict[str, Any]:
    """A mapped record without its provenance's modification time."""
    document = json.loads(canonical) if isinstance(canonical, str) else dict(canonical or {})
    provenance = dict(document.get("provenance") or {})
    provenance.pop("modified_at", None)
    return {**document, "provenance": provenance}


def _execute_or_isolate(
    execute: Callable[[list[Params]], Any],
    connection: Connection,
    params: list[Params],
) -> list[tuple[Params, str]]:
    """Run a bulk statement; if the database refuses the batch, find the rows it refuses.

    A value the database cannot hold (a NUL byte PostgreSQL rejects, say) must cost one
    record, quarantined with the database's reason, never the whole page. Any other store
    error (a lock, a full disk, a lost connection) is raised: it fails the run, and the
    page's transaction rolls back whole.
    """
    if not params:
        return []
    if _refusal(connection, execute, params) is None:
        return []
    rejected: list[tuple[Params, str]] = []
    for values in params:
        if (error := _refusal(connection, execute, [values])) is not None:
            reason = str(getattr(error, "orig", error)).splitlines()[0]
            rejected.append((values, f"database refused the record: {reason}"))
    return rejected


def _refusal(
    connection: Connection,
    execute: Callable[[list[Params]], Any],
    params: list[Params],
) -> StatementError | None:
    """Run the statement in a savepoint; the database's refusal of a value, rolled back.

    A store error is raised as it is, without rolling back to the savepoint: the database
    may have ended the transaction already (SQLite does on a full disk), and a failed
    ROLLBACK TO would hide the reason behind "no such savepoint"."""
    savepoint = connection.begin_nested()
    try:
        execute(params)
    except StatementError as error:
        if not is_record_fault(error):
            raise
        savepoint.rollback()
        return error
    savepoint.commit()
    return None


def _database_rejection(values: dict[str, Any], reason: str) -> QuarantineEntry:
    return quarantine_entry(
        values.get("source_id"),
        reason,
        values.get("payload"),
        stage="store",
        modified_at=values.get("modified_at"),
    )


def _advance_watermark(
    connection: Connection, run_id: int, system: str, object_name: str, checkpoint: Watermark
) -> None:
    """Move the watermark forward only: an overlap re-read never moves it back."""
    state = connection.execute(
        select(SyncState.watermark_at, SyncState.watermark_id).where(
            SyncState.system == system, SyncState.object == object_name
        )
    ).first()
    values = {
        "watermark_at": checkpoint.modified_at,
        "watermark_id": checkpoint.record_id,
        "updated_at": utcnow(),
        "run_id": run_id,
    }
    if state is None:
        connection.execute(
            SyncState.__table__.insert(), [{"system": system, "object": object_name, **values}]
        )
    elif state.watermark_at is None or checkpoint > Watermark(
        state.watermark_at, state.watermark_id
    ):
        connection.execute(
            update(SyncState)
            .where(SyncState.system == system, SyncState.object == object_name)
            .values(**values)
        )
