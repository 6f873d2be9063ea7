"""Mapping pages into snapshot rows, in worker processes while the main process stores.

Mapping is CPU-bound Python: a sync that maps in the process that also reads and writes
uses one core. Pages go to forked workers (which inherit the compiled mapping) and come
back in read order, so each checkpoint is still committed after every page before it.
From a connector that hands out its reads unparsed (`ChunkedReader`), the workers get
the raw chunks and parse them too, and the main process only cuts and stores. Workers
send back what the store needs and no more (the rows, counts and ids, not the records),
as plain tuples and strings, which pickle in a fraction of the time of objects.
At most a few pages are in flight, so memory stays flat in the size of the read. A read
of one page never starts workers, nor does a daemonic process (a Celery or multiprocessing
pool's worker), which may not: it maps the pages itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, fields
from functools import partial
from typing import Any, TypeVar

import orjson

from connectors.base import Chunk, Page, SourceRecord, Watermark, checkpoint_at_end
from hub.mapping.engine import MappingError, ObjectMapper
from hub.store.quarantine import QuarantineEntry, quarantine_entry
from hub.store.snapshots import SnapshotRow
from workers.forked import can_fork, in_order_in_workers, peeked

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(slots=True)
class MappedPage:
    """One page as the sync stores it: rows and quarantine, and what the read promised."""

    rows: list[SnapshotRow]
    quarantine: list[QuarantineEntry]
    fetched: int
    snapshot_ids: list[str]  # of a snapshot page only: every id it read, rejects' too
    checkpoint: Watermark | None
    snapshot: bool
    snapshot_complete: bool
    whole_export: bool
    dropped: dict[str, int]  # invalid values `on_invalid: drop` left out, per field

    def __getstate__(self) -> tuple[Any, ...]:
        """Rows cross the pipe as plain tuples: pickling a named tuple runs Python code per
        row (`__getnewargs__`, `__new__`), a plain one is C only, in about half the time."""
        return (list(map(tuple, self.rows)), *(getattr(self, f) for f in _FIELDS[1:]))

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.rows = list(map(_as_row, state[0]))
        for name, value in zip(_FIELDS[1:], state[1:], strict=True):
            setattr(self, name, value)


_FIELDS = tuple(field.name for field in fields(MappedPage))  # rows first
_as_row = partial(tuple.__new__, SnapshotRow)  # `SnapshotRow._make` without its Python frame


_PAYLOAD_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
_PAYLOAD_ENCODER = json.JSONEncoder(sort_keys=True, default=str, ensure_ascii=False)


def serialize_payload(fields: dict[str, Any]) -> str:
    """The raw record as canonical JSON (sorted keys, no spaces): stored as it is, and hashed.

    orjson writes it in a fifth of the standard library's time; what orjson refuses (an
    integer beyond 64 bits, a lone surrogate, a key that is not text) is written by the
    standard library. Values JSON has no type for are written as their text (`str`),
    dates and times too, by both. A store written with the standard library's spaces reads
    as changed once, and is then kept by the unchanged-mapping path: rewritten, not
    marked for resolve (`hub.store.snapshots`)."""
    try:
        return orjson.dumps(fields, default=str, option=_PAYLOAD_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError
        return _PAYLOAD_ENCODER.encode(fields)


def content_hash(payload: str, deleted: bool) -> str:
    """A digest of what the source says, so re-reading an unchanged record writes nothing."""
    digest = hashlib.blake2b(payload.encode("utf-8", "surrogateescape"), digest_size=16)
    digest.update(b"\x01" if deleted else b"\x00")
    return digest.hexdigest()


def prepare_page(
    page: Page, mapper: ObjectMapper
) -> tuple[list[SnapshotRow], list[QuarantineEntry]]:
    """Map a page: mappable records become snapshot rows, the rest quarantine entries.

    A deletion is stored even when its last version no longer maps: losing a delete
    would resurrect the record downstream.
    """
    rows: list[SnapshotRow] = []
    quarantine = [
        quarantine_entry(r.source_id, r.reason, r.raw, line=r.line, origin=r.origin)
        for r in page.rejects
    ]
    entity_kind = mapper.kind.value
    for record in page.records:
        try:
            canonical: str | None = mapper.map_json(record)
        except MappingError as error:
            if not record.deleted:
                quarantine.append(mapping_rejection(record, error))
                continue
            canonical = None
        payload = serialize_payload(record.fields)
        rows.append(
            _as_row(  # every field, in order: no named tuple's Python `__new__` a record
                (
                    record.id,
                    entity_kind,
                    payload,
                    canonical,
                    record.modified_at,
                    record.deleted,
                    content_hash(payload, record.deleted),
                    record.line,
                )
            )
        )
    return rows, quarantine


def mapping_rejection(record: SourceRecord, error: MappingError) -> QuarantineEntry:
    """The quarantine entry of a record its mapping refuses, with the line it came from."""
    reason = f"line {record.line}: {error}" if record.line else str(error)
    return quarantine_entry(
        record.id,
        reason,
        record.fields,
        stage="map",
        line=record.line,
        modified_at=record.modified_at,
    )


def map_page(page: Page, mapper: ObjectMapper) -> MappedPage:
    rows, quarantine = prepare_page(page, mapper)
    ids: list[str] = []
    if page.snapshot:
        ids = [record.id for record in page.records]
        ids.extend(r.source_id for r in page.rejects if r.source_id)
        ids.extend(page.present_ids)
    return MappedPage(
        rows,
        quarantine,
        len(page.records) + len(page.rejects),
        ids,
        page.checkpoint,
        page.snapshot,
        page.snapshot_complete,
        page.whole_export,
        mapper.take_dropped(),
    )


def map_chunk(chunk: Chunk, mapper: ObjectMapper) -> tuple[MappedPage, Watermark | None, bool]:
    """Parse and map a chunk; its checkpoint is settled in read order (`map_chunks`)."""
    page, newest = chunk.parse()
    return map_page(page, mapper), newest, chunk.last


def map_pages(pages: Iterator[Page], mapper: ObjectMapper, workers: int) -> Iterator[MappedPage]:
    """Each page mapped, in read order."""
    return _in_order(pages, map_page, mapper, workers)


def map_chunks(chunks: Iterator[Chunk], mapper: ObjectMapper, workers: int) -> Iterator[MappedPage]:
    """Each chunk parsed and mapped, in read order; the last carries the read's checkpoint."""
    for mapped, checkpoint in checkpoint_at_end(_in_order(chunks, map_chunk, mapper, workers)):
        mapped.checkpoint = checkpoint
        yield mapped


def _in_order(
    items: Iterator[Item],
    work: Callable[[Item, ObjectMapper], Result],
    mapper: ObjectMapper,
    workers: int,
) -> Iterator[Result]:
    """`work` on every item, in workers when there are several items, results in order."""

    def mapped(item: Item) -> Result:
        return work(item, mapper)

    head, items = peeked(items, 2 if workers > 1 and can_fork() else 1)
    if len(head) < 2:
        yield from map(mapped, items)
        return
    yield from in_order_in_workers(lambda: nullcontext(mapped), items, workers)
