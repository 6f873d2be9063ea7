"""What the data-quality report shows, read from the store as the last resolve left it.

Every chart is a list of (label, value) bars, so the renderer needs no knowledge of the
store and a test can compare figures without a browser.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, select, union_all

from hub.quality import quality_summary
from hub.store.identity_models import LinkRow, ReviewRow
from hub.store.models import QuarantineRow, SourceRecordRow
from identity.settings import ResolutionSettings

COMPLETENESS_SAMPLE = 5_000
"""Records read per system for field completeness: enough for a share to within ~1.5 %
(95 %), and a report of a 1M-record store stays quick."""

WEIGHT_BIN_BITS = 2.0
"""Match weights are log2 odds; a histogram bin two bits wide keeps ~20 bins on the
usual range of -10 to +30."""

_NOT_FIELDS = frozenset({"provenance", "kind", "attributes"})

Bars = list[tuple[str, float]]


@dataclass(frozen=True)
class ReportFigures:
    records: int
    golden_records: int
    review_queue: int
    duplicates_per_system: Bars
    cluster_sizes: Bars
    match_weights: Bars
    weight_thresholds: dict[str, float]
    completeness: dict[str, Bars] = field(default_factory=dict)  # by "system.object"
    quarantine_reasons: Bars = field(default_factory=list)


def probability_to_weight(probability: float) -> float:
    """A posterior threshold as the match weight (log2 odds) the histogram is drawn in."""
    return math.log2(probability / (1 - probability))


def report_figures(engine: Engine, settings: ResolutionSettings) -> ReportFigures:
    with engine.connect() as connection:
        summary = quality_summary(connection)
        return ReportFigures(
            records=summary.records_in,
            golden_records=summary.golden_records_out,
            review_queue=summary.review_queue,
            duplicates_per_system=[
                (system, float(values.duplicates)) for system, values in summary.systems.items()
            ],
            cluster_sizes=[(size, float(count)) for size, count in summary.cluster_sizes.items()],
            match_weights=_weight_histogram(connection),
            weight_thresholds={
                "match": probability_to_weight(settings.match_probability),
                "review": probability_to_weight(settings.review_probability),
            },
            completeness=_completeness(connection),
            quarantine_reasons=_quarantine_reasons(connection),
        )


def _weight_histogram(connection: Connection) -> Bars:
    """Scored pairs kept as links or sent to review, binned by match weight."""
    weights = union_all(
        select(LinkRow.match_weight.label("w")), select(ReviewRow.match_weight.label("w"))
    ).subquery()
    bin_of = func.floor(weights.c.w / WEIGHT_BIN_BITS)
    counts = {
        int(low): count
        for low, count in connection.execute(
            select(bin_of, func.count()).group_by(bin_of).order_by(bin_of)
        )
        if low is not None
    }
    if not counts:
        return []
    return [
        (f"{low * WEIGHT_BIN_BITS:g}", float(counts.get(low, 0)))
        for low in range(min(counts), max(counts) + 1)
    ]


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def _completeness(connection: Connection) -> dict[str, Bars]:
    """Per source object (one entity kind each), the share of live records (a sample of
    each) with each canonical field."""
    objects = connection.execute(
        select(SourceRecordRow.system, SourceRecordRow.object)
        .distinct()
        .order_by(SourceRecordRow.system, SourceRecordRow.object)
    ).all()
    shares: dict[str, Bars] = {}
    for system, object_name in objects:
        rows = connection.execute(
            select(SourceRecordRow.canonical)
            .where(
                SourceRecordRow.system == system,
                SourceRecordRow.object == object_name,
                SourceRecordRow.deleted.is_(False),
                SourceRecordRow.canonical.is_not(None),
            )
            .order_by(SourceRecordRow.id)
            .limit(COMPLETENESS_SAMPLE)
        ).scalars()
        filled: Counter[str] = Counter()
        seen: set[str] = set()
        total = 0
        for canonical in rows:
            total += 1
            for name, value in canonical.items():
                if name not in _NOT_FIELDS:
                    seen.add(name)
                    filled[name] += _filled(value)
        if total:
            shares[f"{system}.{object_name}"] = [
                (name, filled[name] / total) for name in sorted(seen)
            ]
    return shares


def _quarantine_reasons(connection: Connection, top: int = 10) -> Bars:
    """Open quarantine by the kind of reason (its text before the first colon)."""
    kinds: Counter[str] = Counter()
    for reason in connection.execute(
        select(QuarantineRow.reason).where(QuarantineRow.resolved_at.is_(None))
    ).scalars():
        kinds[reason.split(":", 1)[0].strip()[:60]] += 1
    return [(kind, float(count)) for kind, count in kinds.most_common(top)]
