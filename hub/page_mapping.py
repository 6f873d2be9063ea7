"""Mapping pages into snapshot rows, in worker processes while the main process reads
and stores.

Mapping is CPU-bound Python: a sync that maps in the process that also reads and writes
uses one core. Pages go to forked workers (which inherit the compiled mapping) and come
back in read order, so each checkpoint is still committed after every page before it.
At most a few pages are in flight, so memory stays flat in the size of the read. A read
of one page never starts workers.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from connectors.base import Page
from hub.mapping.engine import MappingError, ObjectMapper
from hub.store.db import JSONText
from hub.store.snapshots import QuarantineEntry, SnapshotRow, quarantine_entry

MappedPage = tuple[Page, list[SnapshotRow], list[QuarantineEntry]]
Prepared = tuple[list[SnapshotRow], list[QuarantineEntry]]

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_worker_mapper: ObjectMapper | None = None  # set before forking; workers inherit it


def serialize_payload(fields: dict[str, Any]) -> JSONText:
    """The raw record as canonical JSON (sorted keys): stored as it is, and hashed."""
    return JSONText(json.dumps(fields, sort_keys=True, default=str, ensure_ascii=False))


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
    quarantine = [quarantine_entry(r.source_id, r.reason, r.raw) for r in page.rejects]
    for record in page.records:
        try:
            canonical = JSONText(mapper.map(record).model_dump_json(exclude_none=True))
        except MappingError as error:
            if not record.deleted:
                quarantine.append(quarantine_entry(record.id, str(error), record.fields))
                continue
            canonical = None
        payload = serialize_payload(record.fields)
        rows.append(
            SnapshotRow(
                source_id=record.id,
                entity_kind=mapper.kind.value,
                payload=payload,
                canonical=canonical,
                modified_at=record.modified_at,
                deleted=record.deleted,
                content_hash=content_hash(payload, record.deleted),
            )
        )
    return rows, quarantine


def _die_with_parent(parent: int) -> None:
    """A worker must not outlive the syncing process.

    It holds a forked copy of the process's database connections: an orphan would keep a
    killed sync's PostgreSQL transaction, and its locks, open, and the rerun would wait
    on them forever. Linux delivers SIGKILL to the worker when its parent dies.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def _prepare_in_worker(page: Page) -> Prepared:
    assert _worker_mapper is not None, "workers are forked after the mapper is set"
    return prepare_page(page, _worker_mapper)


def map_pages(pages: Iterator[Page], mapper: ObjectMapper, workers: int) -> Iterator[MappedPage]:
    """Yield each page with its snapshot rows and quarantine entries, in read order."""
    first = next(pages, None)
    if first is None:
        return
    second = next(pages, None) if workers > 1 else None
    if second is None:
        yield first, *prepare_page(first, mapper)
        for page in pages:
            yield page, *prepare_page(page, mapper)
        return

    global _worker_mapper
    _worker_mapper = mapper
    in_flight: deque[tuple[Page, Future[Prepared]]] = deque()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        for page in _chain(first, second, pages):
            in_flight.append((page, pool.submit(_prepare_in_worker, page)))
            if len(in_flight) > 2 * workers:
                done, future = in_flight.popleft()
                yield done, *future.result()
        while in_flight:
            done, future = in_flight.popleft()
            yield done, *future.result()


def _chain(first: Page, second: Page, rest: Iterator[Page]) -> Iterator[Page]:
    yield first
    yield second
    yield from rest
