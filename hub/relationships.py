"""Relationships on golden ids: what a golden record's members state, each target record
replaced by the golden record it belongs to.

A source record keeps the relationships its mapping states in its canonical document
(`works_at` an organization record of its system, `partner_of` the company, …). A golden
record's relationships are read from its live members and resolved through the
cross-reference (golden_members) when asked for, so they follow every merge and split the
last resolve made without a table of their own to keep in step.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Connection, Text, and_, cast

from hub.store.bulk import select_in
from hub.store.identity_models import GoldenMemberRow
from hub.store.models import SourceRecordRow, same_source_record
from identity import record_key

COMPANY = "company"
"""The target of a relationship to the company running Relhub (`partner_of`, `customer_of`)."""

_CANONICAL = cast(SourceRecordRow.canonical, Text)

STATES = and_(
    same_source_record(SourceRecordRow.__table__, GoldenMemberRow.__table__),
    SourceRecordRow.deleted.is_(False),
    _CANONICAL.like('%"relationships"%'),
)
"""A live member whose canonical document states relationships: joins a golden member to
its source record (the read API's lookups join it onto the golden record they read)."""
STATED = (GoldenMemberRow.golden_id, GoldenMemberRow.record_key, SourceRecordRow.system, _CANONICAL)
"""What `relationships_stated` reads of each stating member."""

Stated = tuple[str | None, str | None, str | None, str | None]  # golden id, member, system, text


def golden_relationships(
    connection: Connection, golden_ids: Collection[str]
) -> dict[str, list[dict[str, Any]]]:
    """Per golden id, its relationships: `{type, golden_id | to, stated_by}`, one per type and
    target, with the member records that state it. A target record not resolved (not
    synced, deleted, or synced after the last resolve) keeps its record key as `record`."""
    stated = select_in(connection, STATED, GoldenMemberRow.golden_id, golden_ids, STATES)
    return relationships_stated(connection, stated)


def relationships_stated(
    connection: Connection, stated: Iterable[Stated]
) -> dict[str, list[dict[str, Any]]]:
    """`golden_relationships` from the `STATED` rows of stating members already read (rows
    without a member, as an outer join leaves them, are passed over); the targets' golden
    ids are read only when a relationship names a record."""
    claims: list[tuple[str, str, str, str | None]] = []  # golden id, member, type, target key
    for golden_id, member, system, canonical in stated:
        if golden_id is None or member is None or system is None or canonical is None:
            continue
        for relationship in json.loads(canonical).get("relationships") or []:
            target = (
                record_key(system, relationship["object"], relationship["record_id"])
                if relationship.get("record_id")
                else None
            )
            claims.append((golden_id, member, relationship["type"], target))
    targets = {target for *_, target in claims if target is not None}
    golden_of = dict(
        select_in(
            connection,
            [GoldenMemberRow.record_key, GoldenMemberRow.golden_id],
            GoldenMemberRow.record_key,
            targets,
        )
    )
    resolved: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for golden_id, member, kind, target in sorted(claims):
        if target is None:
            to = {"to": COMPANY}
        elif target in golden_of:
            to = {"golden_id": golden_of[target]}
        else:
            to = {"record": target}
        entry = resolved.setdefault(golden_id, {}).setdefault(
            (kind, next(iter(to.values()))), {"type": kind, **to, "stated_by": []}
        )
        entry["stated_by"].append(member)
    return {golden_id: list(entries.values()) for golden_id, entries in resolved.items()}
