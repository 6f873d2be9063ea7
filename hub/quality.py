"""The data-quality summary every resolve ends with: read from the store as it stands after
a full resolve, and after an incremental one the previous summary moved by what changed
(counting every member again grows with the store, not with the change)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, distinct, func, select

from hub.store.identity_models import ACTIVE, GoldenMemberRow, GoldenRecordRow, ReviewRow
from identity import record_key_parts

SIZE_BUCKETS: tuple[tuple[int, int, str], ...] = (
    (1, 1, "1"),
    (2, 2, "2"),
    (3, 3, "3"),
    (4, 9, "4-9"),
    (10, 99, "10-99"),
    (100, 2**62, "100+"),
)


@dataclass(frozen=True)
class SystemQuality:
    records: int
    golden_records: int
    duplicates: int  # records beyond the first of each golden record, within this system


@dataclass(frozen=True)
class QualitySummary:
    records_in: int
    golden_records_out: int
    review_queue: int
    systems: dict[str, SystemQuality]
    cluster_sizes: dict[str, int]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QualitySummary:
        """A summary as a run's counts keep it (`dataclasses.asdict`); the sizes in the
        buckets' order, which PostgreSQL's JSONB does not keep (it orders keys by length)."""
        systems = {name: SystemQuality(**values) for name, values in data["systems"].items()}
        sizes = data["cluster_sizes"]
        return cls(
            data["records_in"],
            data["golden_records_out"],
            data["review_queue"],
            systems,
            {label: sizes.get(label, 0) for _, _, label in SIZE_BUCKETS},
        )


def _bucket(size: int) -> str:
    return next(label for low, high, label in SIZE_BUCKETS if low <= size <= high)


def quality_summary(connection: Connection) -> QualitySummary:
    systems = {
        system: SystemQuality(records, goldens, records - goldens)
        for system, records, goldens in connection.execute(
            select(
                GoldenMemberRow.system,
                func.count(),
                func.count(distinct(GoldenMemberRow.golden_id)),
            )
            .group_by(GoldenMemberRow.system)
            .order_by(GoldenMemberRow.system)
        )
    }
    sizes: dict[str, int] = {label: 0 for _, _, label in SIZE_BUCKETS}
    for size, count in connection.execute(
        select(GoldenRecordRow.member_count, func.count())
        .where(GoldenRecordRow.status == ACTIVE)
        .group_by(GoldenRecordRow.member_count)
    ):
        sizes[_bucket(size)] += count
    return _summary(connection, systems, sizes)


@dataclass(frozen=True)
class _Census:
    """Members by system, golden records by system and golden records by size bucket."""

    records: Counter[str]
    goldens: Counter[str]
    sizes: Counter[str]


def _census(golden_ids: Mapping[str, str]) -> _Census:
    """Of whole golden records: `golden_ids` (record key -> golden id) holds every member."""
    systems: dict[str, Counter[str]] = {}
    for key, golden_id in golden_ids.items():
        systems.setdefault(golden_id, Counter())[record_key_parts(key)[0]] += 1
    records: Counter[str] = Counter()
    goldens: Counter[str] = Counter()
    for counts in systems.values():
        records.update(counts)
        goldens.update(counts.keys())
    sizes = Counter(_bucket(sum(counts.values())) for counts in systems.values())
    return _Census(records, goldens, sizes)


def updated_summary(
    connection: Connection,
    previous: QualitySummary,
    before: Mapping[str, str],
    after: Mapping[str, str],
) -> QualitySummary:
    """The previous summary after a resolve that rewrote whole golden records: `before`
    and `after` map each of their record keys to its golden id before and after it."""
    old, new = _census(before), _census(after)
    systems: dict[str, SystemQuality] = {}
    for system in sorted(set(previous.systems) | set(new.records)):
        kept = previous.systems.get(system, SystemQuality(0, 0, 0))
        records = kept.records - old.records[system] + new.records[system]
        goldens = kept.golden_records - old.goldens[system] + new.goldens[system]
        if records:
            systems[system] = SystemQuality(records, goldens, records - goldens)
    sizes = {
        label: count - old.sizes[label] + new.sizes[label]
        for label, count in previous.cluster_sizes.items()
    }
    return _summary(connection, systems, sizes)


def _summary(
    connection: Connection, systems: dict[str, SystemQuality], sizes: dict[str, int]
) -> QualitySummary:
    """The totals follow from the per-system and per-size counts; the review queue is
    counted as it stands."""
    return QualitySummary(
        records_in=sum(s.records for s in systems.values()),
        golden_records_out=sum(sizes.values()),
        review_queue=connection.execute(select(func.count()).select_from(ReviewRow)).scalar_one(),
        systems=systems,
        cluster_sizes=sizes,
    )
