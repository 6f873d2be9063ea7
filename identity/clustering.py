"""Clustering accepted links into golden-record clusters without chaining errors.

Connected components alone let one bad link chain two people together (A~B~C). So a
component is re-checked when it could hide such a chain — it holds two records that
cannot be the same (conflicting strong identifiers, a steward cannot-link), a weak link
beside two records their own values tell apart, or a weak link that bridges records
already linked by stronger evidence — and rebuilt greedily: strongest links first, a
merge refused when it would join records that conflict, a weak link refused when it
would join records told apart (two namesake colleagues, each linked weakly to a third
record on name and employer), and a weak link allowed to join two multi-record clusters
only with a second link's support.
Only the flagged components are walked in Python; the rest stay vectorized.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from identity.blocking import pairs_within_groups

ConflictCheck = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""Per pair of records (`left[i]`, `right[i]`): whether the two cannot be the same."""
ClashCheck = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""Per pair: whether the two cannot be the same, and whether their own values tell them
apart, both from one comparison of all their values."""


@dataclass(frozen=True)
class LinkSet:
    """Links to cluster: endpoints, priority (higher first), weak flag, steward flag."""

    left: np.ndarray
    right: np.ndarray
    priority: np.ndarray
    weak: np.ndarray
    steward: np.ndarray


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label per record: the smallest record index in its component."""
    parent = np.arange(n, dtype=np.int64)
    while True:
        pl, pr = parent[left], parent[right]
        differ = pl != pr
        if not differ.any():
            return parent
        np.minimum.at(parent, np.maximum(pl, pr)[differ], np.minimum(pl, pr)[differ])
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand


class _Clusters:
    """Union-find with member lists, for the greedy rebuild of one component."""

    def __init__(self, records: list[int]) -> None:
        self.root = {r: r for r in records}
        self.members = {r: [r] for r in records}

    def find(self, record: int) -> int:
        while self.root[record] != record:
            self.root[record] = self.root[self.root[record]]
            record = self.root[record]
        return record

    def union(self, a: int, b: int) -> None:
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.root[b] = a
        self.members[a].extend(self.members.pop(b))


def _component_links(labels: np.ndarray, links: LinkSet, flagged: np.ndarray) -> dict:
    order = np.lexsort((-links.priority, ~links.steward))
    in_flagged = np.isin(labels[links.left[order]], flagged)
    by_component: dict[int, list[tuple[int, int, bool, bool]]] = {}
    for index in order[in_flagged]:
        by_component.setdefault(int(labels[links.left[index]]), []).append(
            (
                int(links.left[index]),
                int(links.right[index]),
                bool(links.weak[index]),
                bool(links.steward[index]),
            )
        )
    return by_component


def _rebuild(
    records: list[int],
    component_links: list[tuple[int, int, bool, bool]],
    conflicts: set[tuple[int, int]],
    apart_pairs: set[tuple[int, int]],
) -> dict[int, int]:
    clusters = _Clusters(records)

    def clash(a: int, b: int, pairs: set[tuple[int, int]]) -> bool:
        return any(
            (min(x, y), max(x, y)) in pairs
            for x in clusters.members[a]
            for y in clusters.members[b]
        )

    for left, right, weak, steward in component_links:
        a, b = clusters.find(left), clusters.find(right)
        if a == b or clash(a, b, conflicts):
            continue
        if weak and not steward and clash(a, b, apart_pairs):
            continue
        if weak and not steward and len(clusters.members[a]) > 1 and len(clusters.members[b]) > 1:
            support = sum(
                1
                for x, y, _, _ in component_links
                if {clusters.find(x), clusters.find(y)} == {a, b}
            )
            if support < 2:
                continue
        clusters.union(a, b)
    return {r: min(clusters.members[clusters.find(r)]) for r in records}


def _pair_set(left: np.ndarray, right: np.ndarray) -> set[tuple[int, int]]:
    """The pairs as `_rebuild` looks them up: (smaller, larger) record."""
    return {(int(min(a, b)), int(max(a, b))) for a, b in zip(left, right, strict=True)}


def cluster(
    n: int,
    links: LinkSet,
    conflict: ConflictCheck,
    clash: ClashCheck,
    cannot_link: np.ndarray,
    max_component_check: int,
) -> tuple[np.ndarray, dict[str, int]]:
    """Cluster label per record (dense, ordered by smallest member) and re-check counts.

    `cannot_link` is a (k, 2) array of steward pairs; `conflict(left, right)` tells which
    record pairs cannot be the same entity (comparing only what can veto), `clash(left,
    right)` that and which ones their own values tell apart (no weak link may join them),
    comparing every value once: for the weakly linked pairs of a component, and for every
    pair of one too large to check pair by pair beforehand.
    """
    labels = connected_components(n, links.left, links.right)
    sizes = np.bincount(labels, minlength=n)
    big = np.flatnonzero(sizes[labels] >= 3)
    within_left, within_right, *_ = pairs_within_groups(big, labels[big], max_component_check)
    clashing = conflict(within_left, within_right) if len(within_left) else np.zeros(0, bool)
    weakly_linked = np.isin(labels[within_left], labels[links.left[links.weak]])
    told = np.zeros(len(within_left), dtype=bool)
    if weakly_linked.any():
        _, told[weakly_linked] = clash(within_left[weakly_linked], within_right[weakly_linked])
    steward_left, steward_right = cannot_link[:, 0], cannot_link[:, 1]
    steward_inside = labels[steward_left] == labels[steward_right]
    weak_bridge = links.weak & (sizes[labels[links.left]] >= 4)
    flagged = np.unique(
        np.concatenate(
            [
                labels[within_left[clashing]],
                labels[within_left[told]],
                labels[steward_left[steward_inside]],
                labels[links.left[weak_bridge]],
                np.flatnonzero(sizes > max_component_check),
            ]
        )
    )
    conflicts = _pair_set(within_left[clashing], within_right[clashing])
    conflicts |= _pair_set(cannot_link[:, 0], cannot_link[:, 1])
    apart_pairs = _pair_set(within_left[told], within_right[told])
    by_component = _component_links(labels, links, flagged)
    members = np.flatnonzero(np.isin(labels, flagged))
    groups: dict[int, list[int]] = {}
    for record in members.tolist():
        groups.setdefault(int(labels[record]), []).append(record)
    for component, records in groups.items():
        if len(records) > max_component_check:
            left, right = np.array(np.triu_indices(len(records), 1))
            recs = np.array(records)
            bad, seen_apart = clash(recs[left], recs[right])
            conflicts |= _pair_set(recs[left[bad]], recs[right[bad]])
            apart_pairs |= _pair_set(recs[left[seen_apart]], recs[right[seen_apart]])
        rebuilt = _rebuild(records, by_component.get(component, []), conflicts, apart_pairs)
        for record, label in rebuilt.items():
            labels[record] = label
    dense = np.unique(labels, return_inverse=True)[1]
    return dense, {
        "components_rechecked": len(groups),
        "conflicting_pairs": int(clashing.sum()) + len(cannot_link),
        "told_apart_pairs": len(apart_pairs),
    }
