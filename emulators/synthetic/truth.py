"""Pairwise scoring against ground truth, vectorized so it holds at a million records.

True pairs are counted combinatorially (a group of k records holds k·(k-1)/2 pairs) and
clusters are compared through contingency counts, so no list of pairs is ever built
except by ``true_pairs``, which is meant for small data and tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairScore:
    true_positives: int
    predicted: int
    actual: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.actual if self.actual else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _pairs_within(labels: np.ndarray) -> int:
    counts = np.unique(labels, return_counts=True)[1].astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def true_pair_count(truth: np.ndarray) -> int:
    """Pairs of records that belong to the same true entity."""
    return _pairs_within(truth)


def score_clusters(labels: np.ndarray, truth: np.ndarray) -> PairScore:
    """The pairs a clustering implies (every two records in one cluster) against the truth."""
    _, cluster = np.unique(labels, return_inverse=True)
    _, person = np.unique(truth, return_inverse=True)
    joint = cluster.astype(np.int64) * (int(person.max()) + 1) + person
    return PairScore(_pairs_within(joint), _pairs_within(cluster), _pairs_within(person))


def most_people_in_one_cluster(labels: np.ndarray, truth: np.ndarray) -> int:
    """How many different true people the worst cluster holds: 1 when no cluster chains
    anyone to anyone else, in the thousands when a shared inbox glued colleagues."""
    _, cluster = np.unique(labels, return_inverse=True)
    _, person = np.unique(truth, return_inverse=True)
    joint = np.unique(cluster.astype(np.int64) * (int(person.max(initial=0)) + 1) + person)
    people_per_cluster = np.bincount(joint // (int(person.max(initial=0)) + 1))
    return int(people_per_cluster.max(initial=0))


def score_pairs(pairs: np.ndarray, truth: np.ndarray) -> PairScore:
    """Record-index pairs ((k, 2) array, any order, duplicates allowed) against the truth."""
    pairs = np.sort(np.asarray(pairs, dtype=np.int64).reshape(-1, 2), axis=1)
    keys = np.unique(pairs[pairs[:, 0] != pairs[:, 1]] @ np.array([len(truth), 1]))
    left, right = np.divmod(keys, len(truth))
    hits = int((truth[left] == truth[right]).sum())
    return PairScore(hits, len(keys), true_pair_count(truth))


def true_pairs(truth: np.ndarray) -> np.ndarray:
    """Every (i, j), i < j, of records of one true entity, as a (k, 2) array."""
    order = np.argsort(truth, kind="stable")
    sorted_truth = truth[order]
    group_end = np.searchsorted(sorted_truth, sorted_truth, side="right")
    later = group_end - np.arange(len(truth)) - 1  # partners after each position
    left = np.repeat(np.arange(len(truth)), later)
    first_partner = np.repeat(np.cumsum(later) - later, later)
    right = left + 1 + (np.arange(len(left)) - first_partner)
    pairs = np.column_stack([order[left], order[right]])
    return np.sort(pairs, axis=1)
