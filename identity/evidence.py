"""Link evidence: why two records were linked, or sent to review.

Evidence is kept columnar (arrays of levels and weights per pair) and turned into
`Link` objects only when read, so a million links cost arrays, not a million objects.
The labels come from the comparison levels themselves: the explanation is the model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from identity.comparisons import NULL_LEVEL
from identity.settings import Comparison

NO_RULE = -1


@dataclass(frozen=True)
class FieldEvidence:
    comparison: str
    level: str
    weight: float


@dataclass(frozen=True)
class Link:
    """Two records (indices into the resolved sequence), the decision and its evidence."""

    left: int
    right: int
    probability: float
    match_weight: float
    rule: str | None
    fields: tuple[FieldEvidence, ...]


@dataclass(frozen=True)
class EvidenceTable:
    """Columnar evidence for a set of pairs of one entity kind."""

    left: np.ndarray
    right: np.ndarray
    probability: np.ndarray
    match_weight: np.ndarray
    rule: np.ndarray  # index into rule_names, NO_RULE when decided by score
    levels: np.ndarray  # (k, comparisons) int8
    weights: np.ndarray  # (k, comparisons) float32
    comparisons: tuple[Comparison, ...]
    rule_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.left)

    def link(self, row: int) -> Link:
        fields = tuple(
            FieldEvidence(
                c.name, _labels(c)[int(self.levels[row, i])], _rounded(self.weights[row, i])
            )
            for i, c in enumerate(self.comparisons)
        )
        rule = int(self.rule[row])
        return Link(
            int(self.left[row]),
            int(self.right[row]),
            float(self.probability[row]),
            _rounded(self.match_weight[row]),
            None if rule == NO_RULE else self.rule_names[rule],
            fields,
        )

    def columns(self) -> EvidenceColumns:
        """Every pair's decision and evidence as Python lists, a column at a time: what a
        writer of a million links reads without a `Link` object (and its tuple of field
        evidence) a pair. The values are those `link` gives."""
        rules: dict[int, str | None] = {NO_RULE: None, **dict(enumerate(self.rule_names))}
        return EvidenceColumns(
            self.left.tolist(),
            self.right.tolist(),
            self.probability.tolist(),
            [round(w, 3) for w in self.match_weight.tolist()],
            list(map(rules.__getitem__, self.rule.tolist())),
            [
                (c.name, *_distinct_levels(c, self.levels[:, i], self.weights[:, i]))
                for i, c in enumerate(self.comparisons)
            ],
        )


@dataclass(frozen=True)
class EvidenceColumns:
    """An evidence table's pairs as lists (`EvidenceTable.columns`); `fields` holds each
    comparison's name, its distinct (level label, weight) outcomes, and each pair's index
    among them: a comparison has a few hundred at most (its weight depends on the level
    and the agreed value's frequency), so a writer works each one's text out once."""

    left: list[int]
    right: list[int]
    probability: list[float]
    match_weight: list[float]
    rule: list[str | None]
    fields: list[tuple[str, list[tuple[str, float]], list[int]]]


def _distinct_levels(
    comparison: Comparison, levels: np.ndarray, weights: np.ndarray
) -> tuple[list[tuple[str, float]], list[int]]:
    """The distinct (level label, rounded weight) outcomes of one comparison over the
    pairs, and each pair's index among them; distinct by the weight's bits, so two
    outcomes may share a text, never a pair its neighbour's."""
    outcome = (levels.astype(np.int64) << 32) | weights.view(np.uint32).astype(np.int64)
    _, first, inverse = np.unique(outcome, return_index=True, return_inverse=True)
    labels = _labels(comparison)
    distinct = [
        (labels[level], round(weight, 3))
        for level, weight in zip(levels[first].tolist(), weights[first].tolist(), strict=True)
    ]
    return distinct, inverse.reshape(-1).tolist()


def _labels(comparison: Comparison) -> dict[int, str]:
    """A comparison's level labels by level index, "missing" for NULL_LEVEL."""
    return {NULL_LEVEL: "missing", **{i: level.label for i, level in enumerate(comparison.levels)}}


def _rounded(weight: np.floating[Any]) -> float:
    return round(float(weight), 3)


class LinkList(Sequence[Link]):
    """A read-only list of links over one evidence table per entity kind."""

    def __init__(self, tables: list[EvidenceTable]) -> None:
        self._tables = [t for t in tables if len(t)]
        self._offsets = np.cumsum([0, *(len(t) for t in self._tables)])

    def __len__(self) -> int:
        return int(self._offsets[-1])

    @overload
    def __getitem__(self, index: int) -> Link: ...
    @overload
    def __getitem__(self, index: slice) -> list[Link]: ...
    def __getitem__(self, index: int | slice) -> Link | list[Link]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        table = int(np.searchsorted(self._offsets, index, side="right")) - 1
        return self._tables[table].link(index - int(self._offsets[table]))

    def __iter__(self) -> Iterator[Link]:
        for table in self._tables:
            for row in range(len(table)):
                yield table.link(row)

    @property
    def tables(self) -> list[EvidenceTable]:
        return self._tables

    def pairs(self) -> np.ndarray:
        """All (left, right) index pairs at once, without building Link objects."""
        if not self._tables:
            return np.empty((0, 2), dtype=np.int64)
        return np.concatenate([np.stack([t.left, t.right], axis=1) for t in self._tables])
