"""A person's employer as the engine reads it: the company name the record carries or,
where it names none, the name of the organization record its `organization_ref` names
(the account or company id a CRM contact carries, in the same system).

A HubSpot contact often carries its company's id and no company name: read as it is, it
gives the engine no employer to block or compare on. Every record the engine or the
blocking index reads passes through `employed`; a changed organization reaches the
persons that reference it (`referencing`), so an incremental resolve re-reads their
employer as a full one does. Golden records survive from the records as stored.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TypeVar

from sqlalchemy import Connection, select

from hub.store.bulk import key_chunks
from hub.store.models import SourceRecordRow
from identity import (
    EntityKind,
    OrganizationRecord,
    Record,
    RecordView,
    record_key,
    record_key_parts,
)

Read = TypeVar("Read", Record, RecordView)  # a record as its model, or as its JSON's view


def _reference(record: Record | RecordView) -> tuple[str, str] | None:
    """(system, organization id) of a person that names no employer of its own."""
    if isinstance(record, OrganizationRecord) or record.kind != EntityKind.PERSON:
        return None
    if record.organization_ref and not record.organization_name:
        return record.provenance.system, record.organization_ref
    return None


def employed(connection: Connection, records: Sequence[Read]) -> list[Read]:
    """The records as the engine reads them: a person naming no employer takes the name
    of the organization its `organization_ref` names, where that organization has one."""
    references = [_reference(record) for record in records]
    names = _organization_names(connection, {r for r in references if r is not None})
    return [
        record.model_copy(update={"organization_name": names[ref]})
        if ref is not None and ref in names
        else record
        for record, ref in zip(records, references, strict=True)
    ]


def _by_system(pairs: Collection[tuple[str, str]]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {}
    for system, source_id in pairs:
        grouped.setdefault(system, set()).add(source_id)
    return grouped


_NAME = SourceRecordRow.canonical["name"].as_string()
_LEGAL_NAME = SourceRecordRow.canonical["legal_name"].as_string()
_REF = SourceRecordRow.canonical["organization_ref"].as_string()
LIVE = (SourceRecordRow.deleted.is_(False), SourceRecordRow.canonical.is_not(None))


def _organization_names(
    connection: Connection, references: Collection[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """The name (else the legal name) of each live organization record these
    (system, source id) pairs name; where a system has two organization objects holding
    one id, the first object's by name."""
    names: dict[tuple[str, str], str] = {}
    for system, source_ids in _by_system(references).items():
        for chunk in key_chunks(source_ids):
            rows = connection.execute(
                select(SourceRecordRow.source_id, _NAME, _LEGAL_NAME)
                .where(
                    SourceRecordRow.system == system,
                    SourceRecordRow.entity_kind == EntityKind.ORGANIZATION.value,
                    SourceRecordRow.source_id.in_(chunk),
                    *LIVE,
                )
                .order_by(SourceRecordRow.object.desc())
            )
            for source_id, name, legal_name in rows:
                if name or legal_name:
                    names[(system, source_id)] = name or legal_name
    return names


def referencing(connection: Connection, keys: Collection[str]) -> set[str]:
    """Keys of the live persons whose `organization_ref` names the source id of one of
    these records, in its system: whose employer changes when those records do."""
    found: set[str] = set()
    targets = {(system, source_id) for system, _, source_id in map(record_key_parts, keys)}
    for system, source_ids in _by_system(targets).items():
        for chunk in key_chunks(source_ids):
            found |= {
                record_key(*row)
                for row in connection.execute(
                    select(
                        SourceRecordRow.system, SourceRecordRow.object, SourceRecordRow.source_id
                    ).where(
                        SourceRecordRow.system == system,
                        SourceRecordRow.entity_kind == EntityKind.PERSON.value,
                        _REF.in_(chunk),
                        *LIVE,
                    )
                )
            }
    return found
