"""The forked worker: results come back, failures and deaths surface in the parent, and no
worker outlives the block that started it."""

import os
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from workers.forked import (
    ForkedConsumer,
    Spilled,
    WorkerError,
    forked_call,
    in_order_in_workers,
)


def _total(items):
    return sum(items)


def test_the_worker_consumes_what_is_sent_and_returns_its_result():
    with ForkedConsumer(_total) as worker:
        for i in range(1000):
            worker.send(i)
        assert worker.result() == sum(range(1000))


def _fail_on_third(items):
    for count, _ in enumerate(items):
        if count == 2:
            raise ValueError("bad item at 2")
    return count


def test_a_failure_in_the_worker_is_raised_with_its_traceback_and_the_sender_never_blocks():
    """The worker fails early; the parent sends on, far beyond a pipe's buffer."""
    with ForkedConsumer(_fail_on_third) as worker:
        for _ in range(200):
            worker.send(b"x" * 10_000)
        with pytest.raises(WorkerError, match="ValueError: bad item at 2"):
            worker.result()


def _exit_abruptly(items):
    next(items)
    os._exit(3)


def test_a_worker_that_dies_is_reported_with_its_exit_code():
    with ForkedConsumer(_exit_abruptly) as worker:
        worker.send(1)
        with pytest.raises(WorkerError, match=r"died \(exit code 3\)"):
            worker.result()


def test_leaving_the_block_without_a_result_kills_the_worker(tmp_path: Path):
    pid_file = tmp_path / "pid"

    def note_pid_and_wait(items):
        pid_file.write_text(str(os.getpid()))
        return list(items)

    with pytest.raises(KeyError), ForkedConsumer(note_pid_and_wait):
        while not pid_file.exists():
            time.sleep(0.01)
        raise KeyError("the reading side failed")
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_call_ends_when_it_returns_and_its_result_waits_in_the_pipe():
    """A call takes no items, so its worker ends as soon as it returns, instead of holding
    its copy of the parent's memory until the parent asks for the result."""
    with forked_call(lambda: 42) as worker:
        worker._process.join(timeout=10)
        assert worker._process.exitcode == 0
        assert worker.result() == 42


def _die_at_once(items):
    os._exit(4)


def test_sending_to_a_worker_that_died_says_so():
    with (
        ForkedConsumer(_die_at_once) as worker,
        pytest.raises(WorkerError, match=r"died \(exit code 4\)"),
    ):
        for _ in range(1000):  # until the pipe reports the worker gone
            worker.send(b"x" * 100_000)


@contextmanager
def _offset(by: int):
    """A worker's work, prepared once in the worker: which process did it, and the item."""
    yield lambda item: (os.getpid(), item + by)


def test_workers_stream_outcomes_back_in_the_items_order():
    items = list(range(50))
    outcomes = list(in_order_in_workers(lambda: _offset(1000), items, workers=3))
    assert [value for _, value in outcomes] == [item + 1000 for item in items]
    assert len({pid for pid, _ in outcomes}) == 3
    assert os.getpid() not in {pid for pid, _ in outcomes}


@contextmanager
def _failing_at(bad: int):
    def work(item):
        if item == bad:
            raise ValueError(f"bad item {item}")
        return item

    yield work


def test_a_failing_worker_raises_its_traceback_after_the_outcomes_before_it():
    got = []
    with pytest.raises(WorkerError, match="ValueError: bad item 7"):
        for outcome in in_order_in_workers(lambda: _failing_at(7), range(20), workers=2):
            got.append(outcome)
    assert got == list(range(7))


@contextmanager
def _dying_at(bad: int):
    def work(item):
        if item == bad:
            os._exit(5)
        return item

    yield work


def test_a_worker_that_dies_midway_is_reported_with_its_exit_code():
    with pytest.raises(WorkerError, match=r"died \(exit code 5\)"):
        list(in_order_in_workers(lambda: _dying_at(4), range(20), workers=2))


def test_closing_the_stream_early_kills_the_workers():
    outcomes = in_order_in_workers(lambda: _offset(0), range(10_000), workers=2)
    pids = {next(outcomes)[0], next(outcomes)[0]}
    outcomes.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@contextmanager
def _large(pid_folder: Path):
    (pid_folder / str(os.getpid())).touch()
    yield lambda item: (os.getpid(), bytes([item % 256]) * 100_000)


def test_spilled_workers_run_to_their_end_unread_and_give_outcomes_back_in_order(tmp_path: Path):
    """Sixty outcomes of 100 kB, far beyond what pipes hold, are all worked out before
    this process reads any."""
    with Spilled(lambda: _large(tmp_path), range(60), 2) as spilled:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = {int(path.name) for path in tmp_path.iterdir()}
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in pids)
        outcomes = list(spilled.outcomes())
    assert [data for _, data in outcomes] == [bytes([i]) * 100_000 for i in range(60)]
    assert {pid for pid, _ in outcomes} == pids and os.getpid() not in pids


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie, done and not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_a_spilled_worker_failing_raises_its_traceback_after_the_outcomes_before_it():
    got = []
    with (
        pytest.raises(WorkerError, match="ValueError: bad item 7"),
        Spilled(lambda: _failing_at(7), range(20), 2) as spilled,
    ):
        got.extend(spilled.outcomes())
    assert got == list(range(7))


def test_a_spilled_worker_that_dies_is_reported_with_its_exit_code():
    with (
        pytest.raises(WorkerError, match=r"died \(exit code 5\)"),
        Spilled(lambda: _dying_at(4), range(20), 2) as spilled,
    ):
        list(spilled.outcomes())


def test_leaving_spilled_work_early_kills_its_workers():
    with Spilled(lambda: _offset(0), range(100_000), 2) as spilled:
        outcomes = spilled.outcomes()
        pids = {next(outcomes)[0], next(outcomes)[0]}
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
