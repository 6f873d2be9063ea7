"""Mapping pages in worker processes while the main process reads and stores.

Mapping is CPU-bound Python: a sync that maps in the process that also reads and writes
uses one core. Pages go to forked workers (which inherit the compiled mapping) and come
back in read order, so each checkpoint is still committed after every page before it.
At most a few pages are in flight, so memory stays flat in the size of the read. A read
of one page never starts workers.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from connectors.base import Page
from hub.mapping.engine import ObjectMapper
from hub.store.snapshots import QuarantineEntry, SnapshotRow

MappedPage = tuple[Page, list[SnapshotRow], list[QuarantineEntry]]
Prepared = tuple[list[SnapshotRow], list[QuarantineEntry]]

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_worker_mapper: ObjectMapper | None = None  # set before forking; workers inherit it


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
    from hub.sync import prepare_page

    assert _worker_mapper is not None, "workers are forked after the mapper is set"
    return prepare_page(page, _worker_mapper)


def map_pages(pages: Iterator[Page], mapper: ObjectMapper, workers: int) -> Iterator[MappedPage]:
    """Yield each page with its snapshot rows and quarantine entries, in read order."""
    from hub.sync import prepare_page

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
