"""The golden-record event types of the change feed, and one event as consumers read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

CREATED = "golden.created"
UPDATED = "golden.updated"  # detail: {"fields": [names whose values changed]}
MERGED = "golden.merged"  # detail: {"merged_ids": [old ids now living on as this one]}
SPLIT = "golden.split"  # detail: {"split_from": the id this one was split off}
RETIRED = "golden.retired"  # every member deleted
LIFECYCLE_CHANGED = "golden.lifecycle_changed"  # detail: {"from": stage, "to": stage}
ROLE_GAINED = "golden.role_gained"  # detail: {"roles": [...]}
ROLE_LOST = "golden.role_lost"  # detail: {"roles": [...]}

EventType = Literal[
    "golden.created",
    "golden.updated",
    "golden.merged",
    "golden.split",
    "golden.retired",
    "golden.lifecycle_changed",
    "golden.role_gained",
    "golden.role_lost",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)


@dataclass(frozen=True)
class Change:
    """One event at its feed position (the cursor a consumer resumes after)."""

    position: int
    event: str
    golden_id: str
    entity_kind: str
    detail: dict[str, Any]
    run_id: int
    committed_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "cursor": str(self.position),
            "event": self.event,
            "golden_id": self.golden_id,
            "entity_kind": self.entity_kind,
            "detail": self.detail,
            "run_id": self.run_id,
            "committed_at": self.committed_at.isoformat(),
        }
