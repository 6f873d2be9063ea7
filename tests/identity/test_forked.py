"""The forked worker: results come back, failures and deaths surface in the parent, and no
worker outlives the block that started it."""

import multiprocessing
import os
import time
from pathlib import Path

import numpy as np
import pytest

from identity import engine
from identity.engine import resolve_batch
from identity.forked import ForkedConsumer, WorkerError, forked_call, split_with_a_worker


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


def test_a_call_that_returns_before_the_parent_asks_still_gives_its_result():
    """The worker waits for the parent's end of stream before it replies and exits."""
    with forked_call(lambda: 42) as worker:
        time.sleep(0.2)
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


def _split_squares():
    return split_with_a_worker(lambda x: x * x, range(6), forked=True)


def _resolve_streamed(records):
    return resolve_batch(iter(records))


def test_a_daemonic_process_does_the_work_itself(population, monkeypatch):
    """A pool's worker may not start processes: asked to fork, it works alone, and a
    resolve there gives what it gives anywhere."""
    monkeypatch.setattr(engine, "CHUNK_SIZE", 64)
    monkeypatch.setattr(engine, "PARALLEL_COMPARE_PAIRS", 1)
    monkeypatch.setattr(engine, "PARALLEL_BLOCKING_RECORDS", 1)
    here = resolve_batch(iter(population))
    with multiprocessing.get_context("fork").Pool(1) as pool:  # its workers are daemonic
        assert pool.apply(_split_squares) == [0, 1, 4, 9, 16, 25]
        there = pool.apply(_resolve_streamed, (population,))
    assert np.array_equal(here.labels, there.labels)
    assert np.array_equal(here.candidate_pairs, there.candidate_pairs)
