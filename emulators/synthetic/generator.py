"""The entry point: a seeded synthetic world and its records, streamed in chunks."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from emulators.synthetic.plan import SCALE_MIX, RecordPlan, plan_records
from emulators.synthetic.population import Population, PopulationShape, build_population
from emulators.synthetic.render import render_chunk

Columns = dict[str, list[Any]]


@dataclass(frozen=True)
class SyntheticPeople:
    """People spread over source systems, with the truth about who is who."""

    population: Population
    plan: RecordPlan

    def __len__(self) -> int:
        return len(self.plan)

    @property
    def truth_person_ids(self) -> np.ndarray:
        """The true person behind each record, in record order (the labels array)."""
        return self.plan.person

    def chunks(self, size: int = 50_000) -> Iterator[Columns]:
        """Records as columns, ``size`` at a time; the same output for any ``size``."""
        for start in range(0, len(self), size):
            yield render_chunk(self.population, self.plan, start, min(start + size, len(self)))

    def rows(self, size: int = 50_000) -> Iterator[dict[str, Any]]:
        """Records as plain dicts (one per record) in the generator's column layout."""
        for columns in self.chunks(size):
            names = list(columns)
            for values in zip(*columns.values(), strict=True):
                yield dict(zip(names, values, strict=True))


def generate(
    n_records: int,
    seed: int,
    shape: PopulationShape | None = None,
    mix: dict[str, float] | None = None,
    duplicate_share: float = 0.12,
) -> SyntheticPeople:
    """Build the population and plan ``n_records`` records over it; rendering is lazy.

    The population is sized for the worst case of one record per person; people the
    plan does not need simply never appear in a record.
    """
    shape = shape or PopulationShape()
    mix = dict(mix or SCALE_MIX)
    population = build_population(math.ceil(n_records * 1.05) + 20, seed, shape)
    plan = plan_records(population, n_records, seed, mix, duplicate_share)
    return SyntheticPeople(population, plan)
