"""Where a resolve's raw values are coded into feature columns: in this process, or in a
forked one while this process reads on.

Reading records (a store's pages parsed into pydantic models, or a mapping) and coding
their values (a normalizer per distinct value) are each about half of a large resolve's
Python work before the vectorized steps, and neither needs the other's core: a stream of
more than one chunk sends each chunk's raw values (plain lists) to a worker and gets the
finished tables back. Both paths run the same `FeatureBuilder`, so the tables are equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Protocol

from identity.features import FeatureBuilder, FeatureTable, RawColumns
from identity.settings import ResolutionSettings
from workers.forked import ForkedConsumer, can_fork

RawChunk = tuple[str, RawColumns, int, bool]  # kind, values, records, already normalized


class FeatureSink(Protocol):
    def add(self, kind: str, raw: RawColumns, count: int, normalized: bool = False) -> None: ...

    def finish(self) -> dict[str, FeatureTable]: ...


class LocalFeatures:
    """Feature tables per entity kind, coded in this process."""

    def __init__(self, settings: ResolutionSettings) -> None:
        self.settings = settings
        self.builders: dict[str, FeatureBuilder] = {}

    def add(self, kind: str, raw: RawColumns, count: int, normalized: bool = False) -> None:
        if kind not in self.builders:
            self.builders[kind] = FeatureBuilder(kind, self.settings)
        self.builders[kind].add_raw(raw, count, normalized)

    def finish(self) -> dict[str, FeatureTable]:
        return {kind: builder.finish() for kind, builder in self.builders.items()}


def _code_all(settings: ResolutionSettings, chunks: Iterator[RawChunk]) -> dict[str, FeatureTable]:
    """The worker's side: every chunk sent, coded as `LocalFeatures` codes it."""
    local = LocalFeatures(settings)
    for kind, raw, count, normalized in chunks:
        local.add(kind, raw, count, normalized)
    return local.finish()


class ForkedFeatures:
    """Feature tables per entity kind, coded in a forked worker."""

    def __init__(self, worker: ForkedConsumer[RawChunk, dict[str, FeatureTable]]) -> None:
        self.worker = worker

    def add(self, kind: str, raw: RawColumns, count: int, normalized: bool = False) -> None:
        self.worker.send((kind, raw, count, normalized))

    def finish(self) -> dict[str, FeatureTable]:
        return self.worker.result()


@contextmanager
def feature_sink(settings: ResolutionSettings, forked: bool) -> Iterator[FeatureSink]:
    """A sink for one resolve's raw values; a forked one's worker is gone on leaving."""
    if not forked or not can_fork():
        yield LocalFeatures(settings)
        return
    with ForkedConsumer(partial(_code_all, settings)) as worker:
        yield ForkedFeatures(worker)
