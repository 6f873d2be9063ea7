"""Asking a source to merge its own duplicates: off by default, and only for records of
one object that the resolve linked to each other directly above a stricter threshold.

A merge travels through the outbox as a row of the record merged away whose only field is
`MERGE_INTO` (the record it merges into), so it is queued, claimed, settled after a crash
and listed like any write.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from connectors.base import SourceMerger
from hub.config import RelhubConfig
from hub.connections import connector_class
from hub.store.bulk import chunks
from hub.store.identity_models import LinkRow
from hub.yamlfile import ConfigError
from identity import record_key

MERGE_INTO = "relhub:merge_into"
DEFAULT_MIN_PROBABILITY = 0.999
Target = tuple[str, str, str]  # (system, object, source id)


@dataclass(frozen=True, slots=True)
class MergePolicy:
    """`push.merge_duplicates` in relhub.yaml: `enabled` (default false) and
    `min_probability` (default 0.999), the link probability a pair needs."""

    enabled: bool = False
    min_probability: float = DEFAULT_MIN_PROBABILITY

    @classmethod
    def from_config(cls, config: RelhubConfig) -> MergePolicy:
        raw = config.push.get("merge_duplicates") or {}
        if not isinstance(raw, Mapping) or set(raw) - {"enabled", "min_probability"}:
            raise ConfigError(
                config.path, None, "push.merge_duplicates", "takes enabled and min_probability"
            )
        probability = raw.get("min_probability", DEFAULT_MIN_PROBABILITY)
        if not isinstance(probability, int | float) or not 0 < probability <= 1:
            raise ConfigError(
                config.path,
                None,
                "push.merge_duplicates.min_probability",
                f"must be a probability above 0 and at most 1, not {probability!r}",
            )
        return cls(bool(raw.get("enabled", False)), float(probability))


def merging_systems(config: RelhubConfig) -> set[str]:
    """Sources whose connector can merge records."""
    return {s.name for s in config.sources if issubclass(connector_class(s.type), SourceMerger)}


def is_merge(fields: Mapping[str, Any]) -> bool:
    return MERGE_INTO in fields


def merge_plan(
    connection: Connection,
    members: Sequence[Any],
    policy: MergePolicy,
    systems: Collection[str],
) -> dict[Target, str]:
    """Record merged away -> the source id it merges into.

    Members (rows with system, object, source_id, golden_id) of one golden record and
    object joined by direct links at `min_probability` or above form a group; the group
    merges into its oldest id (the shortest, then the smallest: HubSpot's ids grow).
    """
    if not policy.enabled:
        return {}
    by_key = {
        record_key(m.system, m.object, m.source_id): (m.system, m.object, m.source_id, m.golden_id)
        for m in members
        if m.system in systems
    }
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.get(key, key) != key:
            key = parent[key]
        return key

    for left, right in _strong_links(connection, list(by_key), policy.min_probability):
        a, b = by_key.get(left), by_key.get(right)
        if a is None or b is None or a[:2] != b[:2] or a[3] != b[3]:
            continue
        parent[root(left)] = root(right)
    groups: dict[str, list[Target]] = {}
    for key in parent.keys() | set(parent.values()):
        groups.setdefault(root(key), []).append(by_key[key][:3])
    plan: dict[Target, str] = {}
    for group in groups.values():
        primary = min(group, key=lambda t: (len(t[2]), t[2]))
        plan.update((t, primary[2]) for t in group if t != primary)
    return plan


def _strong_links(
    connection: Connection, keys: list[str], min_probability: float
) -> Iterable[tuple[str, str]]:
    for page in chunks(keys):
        yield from connection.execute(
            select(LinkRow.left_key, LinkRow.right_key).where(
                LinkRow.left_key.in_(page), LinkRow.probability >= min_probability
            )
        ).tuples()
