"""A quality summary read back from a run's counts keeps its size buckets in order."""

from __future__ import annotations

from hub.quality import SIZE_BUCKETS, QualitySummary


def test_sizes_read_back_in_the_buckets_order_whatever_order_the_store_kept() -> None:
    labels = [label for _, _, label in SIZE_BUCKETS]
    stored = {label: index for index, label in enumerate(labels)}
    as_jsonb_keeps_it = dict(sorted(stored.items(), key=lambda item: (len(item[0]), item[0])))
    assert list(as_jsonb_keeps_it) != labels  # PostgreSQL's JSONB orders keys by length

    summary = QualitySummary.from_dict(
        {
            "records_in": 0,
            "golden_records_out": 0,
            "review_queue": 0,
            "systems": {},
            "cluster_sizes": as_jsonb_keeps_it,
        }
    )

    assert list(summary.cluster_sizes) == labels
    assert summary.cluster_sizes == stored
