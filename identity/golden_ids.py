"""Stable golden ids: a cluster keeps its id across runs, and no id is ever lost.

Rules: each previous id follows the new cluster holding most of its members (its
successor). A cluster that is the successor of several ids is a merge: it keeps the
oldest and the others are recorded as merged into it. A cluster that is nobody's
successor gets a new id; if it holds members of an old id, that is a split (the old id
stayed on the larger part). Ids are minted deterministically from the members.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field


@dataclass
class GoldenIdAssignment:
    ids: dict[Hashable, str]  # new cluster label -> golden id
    merges: list[tuple[str, str]] = field(default_factory=list)  # (old id, merged into)
    splits: list[tuple[str, str]] = field(default_factory=list)  # (old id, new id split off)
    minted: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)  # old ids whose members all left


def mint_golden_id(members: list[str], taken: set[str]) -> str:
    """A deterministic id from the cluster's smallest member key, unique among `taken`."""
    basis = min(members)
    salt = 0
    while True:
        digest = hashlib.sha256(f"{basis}#{salt}".encode()).hexdigest()[:16]
        candidate = f"g-{digest}"
        if candidate not in taken:
            return candidate
        salt += 1


def assign_golden_ids(
    new_clusters: Mapping[str, Hashable],
    previous: Mapping[str, str],
    age: Mapping[str, object] | None = None,
    known_ids: set[str] | None = None,
    mint: Callable[[list[str], set[str]], str] = mint_golden_id,
) -> GoldenIdAssignment:
    """Golden id per new cluster, from each member key's previous golden id.

    `age` orders ids oldest first (e.g. creation time); without it the id string does.
    `known_ids` are ids ever issued (including merged ones), never to be minted again.
    """
    members: dict[Hashable, list[str]] = {}
    for key, label in new_clusters.items():
        members.setdefault(label, []).append(key)
    overlap: dict[str, dict[Hashable, int]] = {}
    for key, label in new_clusters.items():
        old = previous.get(key)
        if old is not None:
            counts = overlap.setdefault(old, {})
            counts[label] = counts.get(label, 0) + 1

    def tie_break(label: Hashable) -> str:
        return min(members[label])

    successor_of: dict[Hashable, list[str]] = {}
    for old, counts in overlap.items():
        best = max(
            counts,
            key=lambda label: (counts[label], len(members[label]), _negated(tie_break(label))),
        )
        successor_of.setdefault(best, []).append(old)
    order = (lambda gid: (age[gid], gid)) if age else (lambda gid: (gid,))  # type: ignore[index]
    result = GoldenIdAssignment(ids={})
    taken = set(known_ids or ()) | set(previous.values())
    for label in sorted(members, key=tie_break):
        heirs = sorted(successor_of.get(label, []), key=order)  # type: ignore[arg-type]
        if heirs:
            result.ids[label] = heirs[0]
            result.merges.extend((old, heirs[0]) for old in heirs[1:])
            continue
        new_id = mint(members[label], taken)
        taken.add(new_id)
        result.ids[label] = new_id
        result.minted.append(new_id)
        sources = {previous[k] for k in members[label] if k in previous}
        result.splits.extend((old, new_id) for old in sorted(sources))
    result.retired = sorted(set(previous.values()) - set(overlap))
    return result


def _negated(text: str) -> tuple[int, ...]:
    """Sort key that prefers the smaller string under max()."""
    return tuple(-ord(c) for c in text)


def current_id(golden_id: str, merged_into: Mapping[str, str]) -> str:
    """Follow merge history: an old id resolves to the id it lives on as today."""
    seen = {golden_id}
    while golden_id in merged_into:
        golden_id = merged_into[golden_id]
        if golden_id in seen:
            raise ValueError(f"merge history has a cycle through {golden_id}")
        seen.add(golden_id)
    return golden_id
