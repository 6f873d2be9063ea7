"""The engine asked to fork inside a daemonic process (a Celery or multiprocessing pool's
worker, which may not start processes) works alone, and resolves as it does anywhere."""

import multiprocessing

import numpy as np

from identity import engine
from identity.engine import resolve_batch
from workers.forked import Split


def _split_squares():
    return Split.for_size(6, worker_from=1).map(lambda x: x * x, range(6))


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
