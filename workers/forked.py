"""Work handed to a forked process, so the second core works while this one does.

The worker inherits everything it needs by forking (settings, normalizers, feature
tables, lambdas included): nothing is pickled but the items sent through the pipe and the
one result. A thread in the worker reads a few items ahead; a sender that outruns the
worker waits, so memory stays flat. Work split over a list of items (`Split`) is taken
from a shared counter, and arrays made by its `zeros` before the fork are written in
place. Work whose outcomes are consumed as a stream (pages to map, pages of rows to
store) is dealt over several workers through their pipes, outcomes read back in the
items' order. Work whose outcomes this process gets to only later (`Spilled`) runs to its
end meanwhile, each worker spilling its outcomes to a file of its own.
"""

from __future__ import annotations

import ctypes
import io
import mmap
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import tempfile
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from itertools import chain, islice
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Generic, TypeVar

import numpy as np

from workers.stops import close_whole, stops_held

Item = TypeVar("Item")
Result = TypeVar("Result")
Outcome = TypeVar("Outcome")

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_BUFFERED = 4  # items received ahead of the consumer
_AHEAD = 2  # items in flight per worker of `in_order_in_workers` (fewer than _BUFFERED)


def die_with_parent(parent: int) -> None:
    """A worker must not outlive the process that forked it.

    It holds a forked copy of the process's database connections: an orphan would keep a
    killed run's PostgreSQL transaction, and its locks, open, and the rerun would wait on
    them forever. Linux delivers SIGKILL to the worker when its parent dies.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def can_fork() -> bool:
    """Whether this process may start workers: a daemonic process (a Celery or
    multiprocessing pool's worker, or a process forked from one) may not, and then does
    the work itself."""
    return not multiprocessing.current_process().daemon


class WorkerError(RuntimeError):
    """The worker failed or died; the message carries its traceback."""


class _Inbox:
    """The items sent, read off the pipe by a thread as they come (up to `_BUFFERED`
    ahead of the consumer): the pipe alone holds 64 KiB, so a parent sending a larger
    item would wait for the worker to finish the one before, and the two would take
    turns instead of running side by side. The thread holds the interpreter only to
    copy bytes."""

    def __init__(self, connection: Connection) -> None:
        self.buffered: queue.Queue[bytes | None] = queue.Queue(maxsize=_BUFFERED)
        self.discarding = False
        self.ended = False  # the end of the stream was taken off the queue
        self.connection = connection
        threading.Thread(target=self._receive, name="relhub-worker-inbox", daemon=True).start()

    def _receive(self) -> None:
        try:
            while item := self.connection.recv_bytes():  # an empty message ends the stream
                if not self.discarding:
                    self.buffered.put(item)
        except (EOFError, OSError):  # the parent is gone, or this worker failed and closed
            pass
        finally:
            self.buffered.put(None)

    def items(self) -> Iterator[Any]:
        while (item := self.buffered.get()) is not None:
            yield pickle.loads(item)
        self.ended = True

    def discard(self) -> None:
        """Read to the end of the stream without keeping what is left: the parent sends to
        its end marker before it reads the outcome (a parent still sending would block on
        a full pipe, and one writing to a worker gone would fail)."""
        self.discarding = True
        while not self.ended:
            self.ended = self.buffered.get() is None


def _fork(serve: Callable[..., None], *args: Any) -> tuple[Connection, BaseProcess]:
    """A worker forked to run `serve(*args, inbox, connection)`: the items this process
    sends come through the inbox, and what the worker sends back through the connection
    (this process's end of which is returned, with the process)."""
    context = multiprocessing.get_context("fork")
    parent_end, child_end = context.Pipe()
    process = context.Process(
        target=_worker,
        args=(serve, args, child_end, parent_end, os.getpid()),
        name="relhub-worker",
    )
    process.start()
    child_end.close()  # a later worker must not hold it: a dead worker reads as EOF
    return parent_end, process


def _worker(
    serve: Callable[..., None],
    args: tuple[Any, ...],
    connection: Connection,
    parent_end: Connection,
    parent: int,
) -> None:
    die_with_parent(parent)
    parent_end.close()
    serve(*args, _Inbox(connection), connection)
    connection.close()


def _serve(consume: Callable[[Iterator[Any]], Any], inbox: _Inbox, connection: Connection) -> None:
    try:
        outcome: tuple[bool, Any] = (True, consume(inbox.items()))
    except BaseException:  # every failure goes back to the parent
        outcome = (False, traceback.format_exc())
    inbox.discard()
    connection.send(outcome)


class ForkedConsumer(Generic[Item, Result]):
    """`consume` run in a forked process over the items sent to it; `result()` ends the
    stream and returns what it returned (or raises `WorkerError` with its traceback).
    Leaving the `with` block without a result kills the worker."""

    def __init__(self, consume: Callable[[Iterator[Item]], Result]) -> None:
        self._connection, self._process = _fork(_serve, consume)
        self._ended = False

    def end(self) -> None:
        """End the items: the worker then ends once it has sent its outcome (one that fits
        the pipe), instead of living on, with its copy of this process's memory, until
        `result()`."""
        if not self._ended:
            self._ended = True
            try:
                self._connection.send_bytes(b"")
            except OSError:  # a closed pipe: the worker is gone
                raise _gone(self._process) from None

    def send(self, item: Item) -> None:
        try:
            self._connection.send(item)
        except OSError:  # a closed pipe: the worker is gone
            raise _gone(self._process) from None

    def result(self) -> Result:
        self.end()
        try:
            ok, value = self._connection.recv()
        except (EOFError, OSError):
            raise _gone(self._process) from None
        finally:
            self._connection.close()
        self._process.join()
        if not ok:
            raise WorkerError(f"the worker process failed:\n{value}")
        return value  # type: ignore[no-any-return]

    def __enter__(self) -> ForkedConsumer[Item, Result]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with stops_held():
            _ended(self._connection, self._process)


def peeked(items: Iterator[Item], count: int) -> tuple[list[Item], Iterator[Item]]:
    """The first `count` items (fewer where the items end), and all of them again: whether
    there is more than one decides if a worker is worth starting."""
    head = list(islice(items, count))
    return head, chain(head, items)


def forked_call(function: Callable[[], Result]) -> ForkedConsumer[None, Result]:
    """`function` run in a forked process at once, which ends when it returns;
    `result()` returns what it returned."""
    worker: ForkedConsumer[None, Result] = ForkedConsumer(lambda _nothing: function())
    worker.end()
    return worker


@dataclass(frozen=True)
class Split:
    """Independent work over a list of items (comparisons, blocking rules, EM sessions,
    chunks of pairs), done by this process alone or shared with one forked worker, and the
    arrays that work writes into. Code that splits its work calls `map` and `zeros` the same
    either way; whether a worker joins is decided once, here (`for_size`)."""

    with_a_worker: bool = False

    @classmethod
    def for_size(cls, size: int, worker_from: int) -> Split:
        """A worker joins work of at least `worker_from` units (below that, forking costs
        more than it saves), where this process may fork."""
        return cls(size >= worker_from and can_fork())

    def map(self, work: Callable[[Item], Outcome], items: Sequence[Item]) -> list[Outcome]:
        """`work` on each item, outcomes in order. With a worker, it and this process take
        the items one at a time from a shared counter until none is left (items cost
        unevenly: a name comparison takes ten times a national id's); the worker reads what
        it inherited by forking and writes into arrays from `zeros`."""
        if not self.with_a_worker:
            return [work(item) for item in items]
        counter = multiprocessing.get_context("fork").Value("i", 0)

        def taken() -> Iterator[int]:
            while True:
                with counter.get_lock():
                    index = counter.value
                    counter.value += 1
                if index >= len(items):
                    return
                yield index

        def share() -> dict[int, Outcome]:
            return {index: work(items[index]) for index in taken()}

        with forked_call(share) as worker:
            done = share()
            done |= worker.result()
        return [done[index] for index in range(len(items))]

    def zeros(self, shape: tuple[int, ...], dtype: type[np.generic]) -> np.ndarray:
        """A zeroed array; with a worker, in memory shared with it (made before `map` forks
        it): what the worker writes there, this process reads, and nothing is sent."""
        if not self.with_a_worker:
            return np.zeros(shape, dtype=dtype)
        count = int(np.prod(shape))
        buffer = mmap.mmap(-1, max(count * np.dtype(dtype).itemsize, 1))  # anonymous, shared
        return np.frombuffer(buffer, dtype=dtype, count=count).reshape(shape)


ALONE = Split()  # work this process does by itself


def _deal(
    prepare: Callable[[], AbstractContextManager[Callable[[Item], Outcome]]],
    inbox: _Inbox,
    connection: Connection,
) -> None:
    """Each item's outcome sent as it is done, pickled by the plain pickler: the pipe's
    own (multiprocessing's) looks every object that is no str, number or container up
    in its table of reducers first, at the cost of an exception a miss, which for a
    mapped page's datetimes was 40 % of its pickling (read back by `_Outbox.outcome`)."""
    try:
        with prepare() as work:
            for item in inbox.items():
                pickled = io.BytesIO()  # sent from where it is written, as the pipe's own
                pickle.Pickler(pickled, pickle.HIGHEST_PROTOCOL).dump((True, work(item)))
                connection.send_bytes(pickled.getbuffer())
    except BaseException:  # every failure goes back to the parent
        connection.send((False, traceback.format_exc()))


class _Outbox:
    """A worker's outcomes, read off the pipe by a thread of this process as they come:
    a worker's outcome larger than the pipe's buffer is otherwise sent only while this
    process waits in `recv`, the two taking turns a buffer at a time, which on a busy
    machine (each turn waiting for the scheduler) cost more than the work overlapped.
    At most `_AHEAD` outcomes are in flight, so at most those are held."""

    def __init__(self, connection: Connection, worker: BaseProcess) -> None:
        self.received: queue.Queue[bytes | None] = queue.Queue()
        self.connection = connection
        self.worker = worker
        threading.Thread(target=self._receive, name="relhub-outcomes", daemon=True).start()

    def _receive(self) -> None:
        try:
            while True:
                self.received.put(self.connection.recv_bytes())
        except (EOFError, OSError):  # the worker ended, died, or its pipe was closed here
            self.received.put(None)

    def outcome(self) -> Any:
        if (message := self.received.get()) is None:
            raise _gone(self.worker)
        return _delivered(pickle.loads(message))


def _received(connection: Connection, worker: BaseProcess) -> Any:
    """What a worker sent next, unwrapped by `_delivered`."""
    try:
        message = connection.recv()
    except (EOFError, OSError):
        raise _gone(worker) from None
    return _delivered(message)


def _delivered(message: tuple[bool, Any]) -> Any:
    """A worker's outcome; its failure, sent as its traceback, raised here."""
    ok, value = message
    if not ok:
        raise WorkerError(f"a worker process failed:\n{value}")
    return value


def _gone(worker: BaseProcess) -> WorkerError:
    worker.join()
    return WorkerError(f"a worker process died (exit code {worker.exitcode})")


def in_order_in_workers(
    prepare: Callable[[], AbstractContextManager[Callable[[Item], Outcome]]],
    items: Iterable[Item],
    workers: int,
) -> Iterator[Outcome]:
    """`work` on each item in `workers` forked processes, outcomes yielded in the items'
    order as they come, while this process reads the items (pages of a source, say) and
    uses the outcomes (stores them). Each worker enters `prepare()` once for its `work`
    (to open a database connection of its own, as a forked copy of this process's must
    not be used) and is dealt every `workers`-th item through its pipe: items of even cost
    keep all busy. At most `_AHEAD` items a worker are in flight (the next waits in its
    inbox while it works), so memory stays flat in the number of items. Closing the
    iterator early, or a failure, kills the workers."""
    started: list[tuple[Connection, BaseProcess]] = []
    try:
        for _ in range(workers):
            started.append(_fork(_deal, prepare))
        outboxes = [_Outbox(connection, worker) for connection, worker in started]
        dealt: deque[_Outbox] = deque()
        gone: BaseProcess | None = None
        for index, item in enumerate(items):
            connection, worker = started[index % workers]
            try:
                connection.send(item)
            except OSError:  # the worker is gone: the outcomes dealt before tell why
                gone = worker
                break
            dealt.append(outboxes[index % workers])
            if len(dealt) > _AHEAD * workers:
                yield dealt.popleft().outcome()
        while dealt:
            yield dealt.popleft().outcome()
        if gone is not None:
            raise _gone(gone)
        for connection, done in started:
            connection.send_bytes(b"")  # the end of its items
            done.join()
    finally:
        with stops_held():
            for connection, left in started:
                _ended(connection, left)


def _spill(
    prepare: Callable[[], AbstractContextManager[Callable[[Item], Outcome]]],
    items: Sequence[Item],
    path: str,
    _inbox: _Inbox,
    connection: Connection,
) -> None:
    """A `Spilled` worker: each outcome pickled into its file, then its length sent."""
    try:
        with prepare() as work, open(path, "wb") as spill:
            for item in items:
                data = pickle.dumps(work(item), pickle.HIGHEST_PROTOCOL)
                spill.write(data)
                spill.flush()
                connection.send((True, len(data)))
    except BaseException:  # every failure goes back to the parent
        connection.send((False, traceback.format_exc()))


class Spilled(Generic[Item, Outcome]):
    """`work` on each item in `workers` forked processes started at once, worker i taking
    every `workers`-th item from the i-th, and spilling each outcome to a temporary file
    of its own as it goes; `outcomes` reads them back in the items' order, waiting for
    those not done yet. Unlike `in_order_in_workers`, which keeps a few outcomes in
    flight, the workers run to their end while this process does other work, and memory
    stays flat however far ahead they get. Each worker enters `prepare()` once, as there.
    Leaving the `with` block kills the workers still running and drops the files."""

    def __init__(
        self,
        prepare: Callable[[], AbstractContextManager[Callable[[Item], Outcome]]],
        items: Sequence[Item],
        workers: int,
    ) -> None:
        self._count = len(items)
        self._held = ExitStack()
        self._workers: list[tuple[Connection, BaseProcess, Any]] = []
        try:
            folder = self._held.enter_context(tempfile.TemporaryDirectory(prefix="relhub-"))
            for i in range(workers):
                path = os.path.join(folder, str(i))
                open(path, "wb").close()  # read here from its start, written by the worker
                connection, worker = _fork(_spill, prepare, items[i::workers], path)
                self._held.callback(_ended, connection, worker)
                spill = self._held.enter_context(open(path, "rb", buffering=0))  # noqa: SIM115
                self._workers.append((connection, worker, spill))
        except BaseException:
            close_whole(self._held)
            raise

    def outcomes(self) -> Iterator[Outcome]:
        for index in range(self._count):
            connection, worker, spill = self._workers[index % len(self._workers)]
            yield pickle.loads(spill.read(_received(connection, worker)))

    def __enter__(self) -> Spilled[Item, Outcome]:
        return self

    def __exit__(self, *exc: object) -> None:
        close_whole(self._held)


def _ended(connection: Connection, worker: BaseProcess) -> None:
    """A worker ended (killed where it still runs) and its pipe closed."""
    if worker.exitcode is None:
        worker.kill()
    worker.join()
    connection.close()
