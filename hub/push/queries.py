"""What the outbox holds, for the dry run, `--rejected` and `relhub status`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select

from hub.push.merges import MERGE_INTO, is_merge
from hub.store.push_models import PENDING, REJECTED, OutboxRow

SAMPLE = 5


@dataclass
class PendingSummary:
    """One system's pending writes: rows, counts per object.field, a few examples, and
    every merge the source would be asked for (listed first: they cannot be undone)."""

    system: str
    records: int = 0
    by_field: dict[str, int] = field(default_factory=dict)
    sample: list[dict[str, Any]] = field(default_factory=list)
    merges: list[dict[str, Any]] = field(default_factory=list)


def pending_summary(engine: Engine, systems: Collection[str]) -> list[PendingSummary]:
    summaries = {system: PendingSummary(system) for system in systems}
    with engine.connect() as connection:
        rows = connection.execute(
            select(OutboxRow.system, OutboxRow.object, OutboxRow.source_id, OutboxRow.fields)
            .where(OutboxRow.status == PENDING, OutboxRow.system.in_(list(systems)))
            .order_by(OutboxRow.id)
        )
        for row in rows:
            summary = summaries[row.system]
            summary.records += 1
            if is_merge(row.fields):
                into = row.fields[MERGE_INTO]
                summary.merges.append({"object": row.object, "id": row.source_id, "into": into})
                continue
            for name in row.fields:
                label = f"{row.object}.{name}"
                summary.by_field[label] = summary.by_field.get(label, 0) + 1
            if len(summary.sample) < SAMPLE:
                summary.sample.append(
                    {"object": row.object, "id": row.source_id, "fields": row.fields}
                )
    return list(summaries.values())


def rejected_writes(engine: Engine, systems: Collection[str]) -> list[dict[str, Any]]:
    """Writes a system refused, with its message: kept until a later diff supersedes them."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(OutboxRow)
            .where(OutboxRow.status == REJECTED, OutboxRow.system.in_(list(systems)))
            .order_by(OutboxRow.id)
        ).all()
    return [
        {
            "system": r.system,
            "object": r.object,
            "id": r.source_id,
            "golden_id": r.golden_id,
            "fields": r.fields,
            "message": r.message,
            "at": r.done_at,
        }
        for r in rows
    ]


def outbox_counts(engine: Engine) -> dict[str, dict[str, int]]:
    """system -> status -> rows."""
    counts: dict[str, dict[str, int]] = {}
    with engine.connect() as connection:
        for system, status, n in connection.execute(
            select(OutboxRow.system, OutboxRow.status, func.count()).group_by(
                OutboxRow.system, OutboxRow.status
            )
        ):
            counts.setdefault(system, {})[status] = n
    return counts
