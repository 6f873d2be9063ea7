"""The data-quality summary every resolve ends with, read from the store as it stands."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, distinct, func, select

from hub.store.identity_models import ACTIVE, GoldenMemberRow, GoldenRecordRow, ReviewRow

SIZE_BUCKETS: tuple[tuple[int, int, str], ...] = (
    (1, 1, "1"), (2, 2, "2"), (3, 3, "3"), (4, 9, "4-9"), (10, 99, "10-99"),
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


def _bucket(size: int) -> str:
    return next(label for low, high, label in SIZE_BUCKETS if low <= size <= high)


def quality_summary(connection: Connection) -> QualitySummary:
    systems = {
        system: SystemQuality(records, goldens, records - goldens)
        for system, records, goldens in connection.execute(
            select(GoldenMemberRow.system, func.count(),
                   func.count(distinct(GoldenMemberRow.golden_id)))
            .group_by(GoldenMemberRow.system).order_by(GoldenMemberRow.system))
    }
    sizes: dict[str, int] = {label: 0 for _, _, label in SIZE_BUCKETS}
    for size, count in connection.execute(
            select(GoldenRecordRow.member_count, func.count())
            .where(GoldenRecordRow.status == ACTIVE).group_by(GoldenRecordRow.member_count)):
        sizes[_bucket(size)] += count
    return QualitySummary(
        records_in=sum(s.records for s in systems.values()),
        golden_records_out=sum(sizes.values()),
        review_queue=connection.execute(select(func.count()).select_from(ReviewRow)).scalar_one(),
        systems=systems,
        cluster_sizes=sizes,
    )
