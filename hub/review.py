"""Steward decisions: match / no-match on a record pair, field overrides on a golden record.

Decisions are stored, never applied in place: every later resolve reads them and the
engine honours them (must-link and cannot-link as constraints, overrides in
survivorship), so a decision survives any amount of re-resolution.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, func, select, tuple_

from hub.golden import resolve_id
from hub.store.db import utcnow, writing
from hub.store.identity_models import (
    CANNOT_LINK,
    FIELD_OVERRIDE,
    MUST_LINK,
    GoldenRecordRow,
    ReviewRow,
    StewardDecisionRow,
)
from hub.store.models import SourceRecordRow
from identity.records import EntityKind, canonical_fields, record_key_parts
from identity.settings import StewardConstraints

PAIR_DECISIONS = (MUST_LINK, CANNOT_LINK)


class DecisionError(ValueError):
    """A decision that names no record, no golden record or no field."""


def split_key(key: str) -> tuple[str, str, str]:
    """`system/object/id` -> its parts; a text that is no record key is a steward's bad
    decision."""
    try:
        return record_key_parts(key)
    except ValueError as error:
        raise DecisionError(str(error)) from None


def _ordered(left: str, right: str) -> tuple[str, str]:
    if left == right:
        raise DecisionError(f"a decision needs two different records, got {left!r} twice")
    return (left, right) if left < right else (right, left)


def _check_records(connection: Connection, keys: Iterable[str]) -> str:
    """The records' entity kind; both must exist and be of one kind."""
    kinds = set()
    for key in keys:
        kind = connection.execute(
            select(SourceRecordRow.entity_kind).where(
                tuple_(SourceRecordRow.system, SourceRecordRow.object, SourceRecordRow.source_id)
                == split_key(key)
            )
        ).scalar()
        if kind is None:
            raise DecisionError(f"no source record {key!r} in the store")
        kinds.add(kind)
    if len(kinds) > 1:
        raise DecisionError("a person and an organization can never be the same entity")
    return kinds.pop()


def decide_pair(
    engine: Engine, left: str, right: str, *, match: bool, note: str | None = None
) -> None:
    """Must-link (match) or cannot-link two records; replaces an earlier decision on them."""
    left, right = _ordered(left, right)
    with writing(engine) as connection:
        _check_records(connection, (left, right))
        connection.execute(
            delete(StewardDecisionRow).where(
                StewardDecisionRow.kind.in_(PAIR_DECISIONS),
                StewardDecisionRow.left_key == left,
                StewardDecisionRow.right_key == right,
            )
        )
        connection.execute(
            delete(ReviewRow).where(ReviewRow.left_key == left, ReviewRow.right_key == right)
        )
        connection.execute(
            StewardDecisionRow.__table__.insert().values(
                kind=MUST_LINK if match else CANNOT_LINK,
                left_key=left,
                right_key=right,
                note=note,
                decided_at=utcnow(),
            )
        )


def override_field(
    engine: Engine, golden_id: str, field: str, value: Any, note: str | None = None
) -> str:
    """Pin a golden field to a value; returns the (current) golden id it was stored on."""
    with writing(engine) as connection:
        current = resolve_id(connection, golden_id)
        kind = connection.execute(
            select(GoldenRecordRow.entity_kind).where(GoldenRecordRow.golden_id == current)
        ).scalar_one()
        known = set(canonical_fields(EntityKind(kind))) - {"lifecycle_stage"}
        if field not in known:
            raise DecisionError(
                f"{kind} records have no field {field!r} (known: {', '.join(sorted(known))})"
            )
        connection.execute(
            delete(StewardDecisionRow).where(
                StewardDecisionRow.kind == FIELD_OVERRIDE,
                StewardDecisionRow.golden_id == current,
                StewardDecisionRow.field == field,
            )
        )
        connection.execute(
            StewardDecisionRow.__table__.insert().values(
                kind=FIELD_OVERRIDE,
                golden_id=current,
                field=field,
                value=value,
                note=note,
                decided_at=utcnow(),
            )
        )
    return current


@dataclass(frozen=True)
class ReviewItem:
    left: str
    right: str
    entity_kind: str
    probability: float
    match_weight: float
    evidence: list[dict[str, Any]]


def review_queue(engine: Engine, limit: int | None = None) -> tuple[list[ReviewItem], int]:
    """The most likely pairs first, and the queue's total size."""
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(ReviewRow)).scalar_one()
        rows = connection.execute(
            select(ReviewRow)
            .order_by(ReviewRow.probability.desc(), ReviewRow.left_key, ReviewRow.right_key)
            .limit(limit)
        ).all()
    return [
        ReviewItem(
            r.left_key, r.right_key, r.entity_kind, r.probability, r.match_weight, r.evidence
        )
        for r in rows
    ], total


def constraints_for(connection: Connection, keys: Collection[str]) -> StewardConstraints:
    """Must- and cannot-links between records of this batch."""
    rows = connection.execute(
        select(
            StewardDecisionRow.kind, StewardDecisionRow.left_key, StewardDecisionRow.right_key
        ).where(StewardDecisionRow.kind.in_(PAIR_DECISIONS))
    )
    must: list[tuple[int | str, int | str]] = []
    cannot: list[tuple[int | str, int | str]] = []
    for kind, left, right in rows:
        if left is not None and right is not None and left in keys and right in keys:
            (must if kind == MUST_LINK else cannot).append((left, right))
    return StewardConstraints(must_link=must, cannot_link=cannot)


def field_overrides(connection: Connection) -> list[tuple[int, str, str, Any]]:
    """(decision id, golden id as decided, field, value), oldest first."""
    rows = connection.execute(
        select(
            StewardDecisionRow.id,
            StewardDecisionRow.golden_id,
            StewardDecisionRow.field,
            StewardDecisionRow.value,
        )
        .where(StewardDecisionRow.kind == FIELD_OVERRIDE)
        .order_by(StewardDecisionRow.id)
    )
    return [(i, g, f, v) for i, g, f, v in rows]


def decisions_since(connection: Connection, mark: int) -> list[Row[Any]]:
    return list(connection.execute(select(StewardDecisionRow).where(StewardDecisionRow.id > mark)))
