"""Golden records as stored and as read: survived values to JSON, old ids to current ones,
`golden show` and `golden export`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from pydantic_core import to_json
from sqlalchemy import Connection, Engine, Row, func, or_, select

from hub.relationships import golden_relationships
from hub.store.identity_models import (
    ACTIVE,
    MERGED,
    GoldenIdHistoryRow,
    GoldenMemberRow,
    GoldenRecordRow,
    LinkRow,
)
from hub.store.models import SourceRecordRow
from identity.golden_ids import current_id
from identity.survivorship import GoldenField, GoldenValues

MERGED_INTO = "merged_into"
EXPORT_PAGE = 1000


class UnknownGoldenId(LookupError):
    """No golden record ever had this id."""


def golden_row_values(values: GoldenValues) -> dict[str, Any]:
    """The stored columns of a golden record: fields with provenance, roles, lifecycle,
    the JSON columns as their text.

    The fields' text is put together from pieces each written once: a member's provenance
    for every field it gave, a text value by the standard library's string encoder, any
    other value by pydantic's serializer. The same text as `hub.store.db.dumps` of the
    plain values (compact, non-ASCII kept, a model without its empty fields), in half the
    time it took to build those and dump them."""
    provenances: dict[int, str] = {}  # a member's provenance, written once for its fields
    tails: dict[tuple[int, str], str] = {}  # what follows a value: its rule and provenance

    def field_json(golden_field: GoldenField) -> str:
        value, provenance, rule = golden_field
        if (tail := tails.get((id(provenance), rule))) is None:
            if (written := provenances.get(id(provenance))) is None:
                written = provenances[id(provenance)] = _json(provenance)
            tail = tails[id(provenance), rule] = (
                f',"rule":{encode_basestring(rule)},"provenance":{written}}}'
            )
        text = encode_basestring(value) if value.__class__ is str else _json(value)
        return f'{{"value":{text}{tail}'

    fields = [f"{encode_basestring(name)}:{field_json(f)}" for name, f in values.fields.items()]
    fields.extend(
        f"{encode_basestring(name)}:[{','.join(map(field_json, multi))}]"
        for name, multi in values.multi.items()
        if multi
    )
    return {
        "entity_kind": values.kind,
        "fields": f"{{{','.join(fields)}}}",
        "roles": f"[{','.join(map(encode_basestring, values.roles))}]",
        "lifecycle_stage": values.lifecycle_stage.value if values.lifecycle_stage else None,
        "lifecycle": _lifecycle_json(values),
    }


def _lifecycle_json(values: GoldenValues) -> str:
    """When each lifecycle stage was first seen; most golden records have no stage."""
    if not values.lifecycle_first_seen:
        return "{}"
    return _json(
        {
            stage.value: seen.isoformat() if seen else None
            for stage, seen in values.lifecycle_first_seen.items()
        }
    )


def _json(value: Any) -> str:
    return to_json(value, exclude_none=True).decode()


def plain_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Field values without provenance; multi-valued fields as lists, primary first."""
    return {
        name: [v["value"] for v in entry] if isinstance(entry, list) else entry["value"]
        for name, entry in fields.items()
    }


def merged_into(connection: Connection) -> dict[str, str]:
    """Every recorded merge: old id -> the id it was merged into."""
    query = select(GoldenIdHistoryRow.golden_id, GoldenIdHistoryRow.other_id).where(
        GoldenIdHistoryRow.event == MERGED_INTO
    )
    return {old: into for old, into in connection.execute(query) if into}


def resolve_id(connection: Connection, golden_id: str) -> str:
    """The id an old (merged) golden id lives on as today, following its merges one
    indexed lookup at a time (a request for one id reads no other id's history)."""
    status = connection.execute(
        select(GoldenRecordRow.status).where(GoldenRecordRow.golden_id == golden_id)
    ).scalar()
    if status is None:
        raise UnknownGoldenId(f"no golden record has id {golden_id!r}")
    merges: dict[str, str] = {}
    current = golden_id
    while status == MERGED and (into := _merged_into(connection, current)) is not None:
        merges[current] = into
        current = current_id(golden_id, merges)  # raises on a cycle
        status = connection.execute(
            select(GoldenRecordRow.status).where(GoldenRecordRow.golden_id == current)
        ).scalar()
    return current


def _merged_into(connection: Connection, golden_id: str) -> str | None:
    """The id this one was last merged into."""
    return connection.execute(
        select(GoldenIdHistoryRow.other_id)
        .where(GoldenIdHistoryRow.golden_id == golden_id, GoldenIdHistoryRow.event == MERGED_INTO)
        .order_by(GoldenIdHistoryRow.id.desc())
        .limit(1)
    ).scalar()


def member_rows(connection: Connection, golden_id: str) -> list[Row[Any]]:
    """A golden record's members in key order, each with its source record's change time
    and deletion flag (None when the snapshot is gone)."""
    source = SourceRecordRow
    return list(
        connection.execute(
            select(
                GoldenMemberRow.record_key,
                GoldenMemberRow.system,
                GoldenMemberRow.object,
                GoldenMemberRow.source_id,
                GoldenMemberRow.run_id,
                source.modified_at,
                source.deleted,
            )
            .outerjoin(
                source,
                (source.system == GoldenMemberRow.system)
                & (source.object == GoldenMemberRow.object)
                & (source.source_id == GoldenMemberRow.source_id),
            )
            .where(GoldenMemberRow.golden_id == golden_id)
            .order_by(GoldenMemberRow.record_key)
        )
    )


def id_history(connection: Connection, current: str) -> list[Row[Any]]:
    """What happened to a current id and to every id merged into it (directly or through
    another), and the ids split from it, oldest first."""
    ids, frontier = {current}, {current}
    while frontier:
        frontier = {
            old
            for (old,) in connection.execute(
                select(GoldenIdHistoryRow.golden_id).where(
                    GoldenIdHistoryRow.event == MERGED_INTO,
                    GoldenIdHistoryRow.other_id.in_(frontier),
                )
            )
        } - ids
        ids |= frontier
    return list(
        connection.execute(
            select(GoldenIdHistoryRow)
            .where(
                or_(
                    GoldenIdHistoryRow.golden_id.in_(ids),
                    GoldenIdHistoryRow.other_id == current,
                )
            )
            .order_by(GoldenIdHistoryRow.id)
        )
    )


@dataclass
class GoldenView:
    """Everything `relhub golden show` prints about one golden record."""

    golden_id: str
    asked_for: str
    entity_kind: str
    status: str
    fields: dict[str, Any]
    roles: list[str]
    lifecycle_stage: str | None
    lifecycle: dict[str, Any]
    members: list[dict[str, str]]
    relationships: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)


def show(engine: Engine, golden_id: str) -> GoldenView:
    with engine.connect() as connection:
        current = resolve_id(connection, golden_id)
        row = connection.execute(
            select(GoldenRecordRow).where(GoldenRecordRow.golden_id == current)
        ).one()
        members = member_rows(connection, current)
        keys = [m.record_key for m in members]
        links = connection.execute(
            select(LinkRow)
            .where(LinkRow.left_key.in_(keys), LinkRow.right_key.in_(keys))
            .order_by(LinkRow.left_key, LinkRow.right_key)
        ).all()
        history = id_history(connection, current)
        relationships = golden_relationships(connection, [current]).get(current, [])
    return GoldenView(
        golden_id=current,
        asked_for=golden_id,
        entity_kind=row.entity_kind,
        status=row.status,
        fields=row.fields,
        roles=row.roles,
        lifecycle_stage=row.lifecycle_stage,
        lifecycle=row.lifecycle,
        members=[{"system": m.system, "object": m.object, "id": m.source_id} for m in members],
        relationships=relationships,
        links=[
            {
                "left": link.left_key,
                "right": link.right_key,
                "rule": link.rule,
                "probability": link.probability,
                "match_weight": link.match_weight,
                "evidence": link.evidence,
            }
            for link in links
        ],
        history=[
            {
                "golden_id": h.golden_id,
                "event": h.event,
                "other_id": h.other_id,
                "run_id": h.run_id,
                "at": h.at.isoformat(),
            }
            for h in history
        ],
    )


def export(engine: Engine) -> Iterator[dict[str, Any]]:
    """Active golden records in id order, a page at a time, each with its members and
    its relationships on golden ids."""
    after = ""
    with engine.connect() as connection:
        while True:
            page = connection.execute(
                select(GoldenRecordRow)
                .where(GoldenRecordRow.status == ACTIVE, GoldenRecordRow.golden_id > after)
                .order_by(GoldenRecordRow.golden_id)
                .limit(EXPORT_PAGE)
            ).all()
            if not page:
                return
            members: dict[str, list[dict[str, str]]] = {}
            for m in connection.execute(
                select(
                    GoldenMemberRow.golden_id,
                    GoldenMemberRow.system,
                    GoldenMemberRow.object,
                    GoldenMemberRow.source_id,
                )
                .where(GoldenMemberRow.golden_id.in_([g.golden_id for g in page]))
                .order_by(GoldenMemberRow.record_key)
            ):
                members.setdefault(m.golden_id, []).append(
                    {"system": m.system, "object": m.object, "id": m.source_id}
                )
            relationships = golden_relationships(connection, [g.golden_id for g in page])
            for g in page:
                yield {
                    "golden_id": g.golden_id,
                    "entity_kind": g.entity_kind,
                    "roles": g.roles,
                    "lifecycle_stage": g.lifecycle_stage,
                    "fields": plain_fields(g.fields),
                    "members": members.get(g.golden_id, []),
                    "relationships": relationships.get(g.golden_id, []),
                }
            after = page[-1].golden_id


def active_counts(engine: Engine) -> dict[str, int]:
    """Active golden records per entity kind."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(GoldenRecordRow.entity_kind, func.count())
            .where(GoldenRecordRow.status == ACTIVE)
            .group_by(GoldenRecordRow.entity_kind)
        )
        return {kind: count for kind, count in rows}


def largest(engine: Engine, entity_kind: str) -> str | None:
    """The active golden record of a kind with the most members: the one worth showing."""
    with engine.connect() as connection:
        return connection.execute(
            select(GoldenRecordRow.golden_id)
            .where(GoldenRecordRow.status == ACTIVE, GoldenRecordRow.entity_kind == entity_kind)
            .order_by(GoldenRecordRow.member_count.desc(), GoldenRecordRow.golden_id)
            .limit(1)
        ).scalar()
