"""`/v1/golden/...` and `/v1/sources/...`: a golden record by id (an old id answers with
its successor), by a source record's key, with its relationships on golden ids; its
members with provenance and its id history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from sqlalchemy import Connection, Row, select

from hub.golden import id_history, member_rows, resolve_id
from hub.mapping.sensitive import mask
from hub.relationships import golden_relationships
from hub.serve.auth import require_scope
from hub.serve.context import ServeContext, serve_context
from hub.serve.errors import ERROR_RESPONSES, NOT_FOUND, ApiError
from hub.serve.offload import offloaded
from hub.serve.schemas import (
    GoldenRecord,
    GoldenRelationship,
    History,
    HistoryEvent,
    Member,
    Members,
    SourceKey,
    SourceLookup,
)
from hub.serve.tokens import Scope, TokenInfo
from hub.store.identity_models import MERGED, GoldenMemberRow, GoldenRecordRow, record_key

router = APIRouter(prefix="/v1", tags=["golden records"], responses=ERROR_RESPONSES)
GoldenIdPath = Annotated[str, Path(min_length=1, max_length=32, description="A golden id")]
Reader = Annotated[TokenInfo, Depends(require_scope(Scope.READ))]
Context = Annotated[ServeContext, Depends(serve_context)]


def golden_record(
    connection: Connection, golden_id: str, token: TokenInfo, context: ServeContext
) -> GoldenRecord:
    """The current record for `golden_id`, masked for `token`: one query unless the id
    was merged away (then its merges are followed)."""
    row = _row(connection, golden_id)
    if row is None or row.status == MERGED:
        row = _row(connection, resolve_id(connection, golden_id))
    assert row is not None  # resolve_id raised for an unknown id
    related = golden_relationships(connection, [row.golden_id])
    return as_golden(row, golden_id, token, context, related)


def _row(connection: Connection, golden_id: str) -> Row[Any] | None:
    return connection.execute(
        select(GoldenRecordRow).where(GoldenRecordRow.golden_id == golden_id)
    ).first()


def as_golden(
    row: Row[Any],
    requested: str,
    token: TokenInfo,
    context: ServeContext,
    relationships: Mapping[str, list[dict[str, Any]]],
) -> GoldenRecord:
    """The answer for a golden row; `relationships` by golden id, as
    hub.relationships.golden_relationships reads them for a page of rows at once."""
    fields = (
        row.fields if token.grants(Scope.READ_SENSITIVE) else mask(row.fields, context.sensitive)
    )
    return GoldenRecord(
        golden_id=row.golden_id,
        requested_id=requested,
        merged=requested != row.golden_id,
        entity_kind=row.entity_kind,
        status=row.status,
        roles=row.roles,
        lifecycle_stage=row.lifecycle_stage,
        lifecycle=row.lifecycle,
        member_count=row.member_count,
        fields=fields,
        relationships=[
            GoldenRelationship(**related) for related in relationships.get(row.golden_id, [])
        ],
    )


@router.get("/golden/{golden_id}", response_model=GoldenRecord, responses=NOT_FOUND)
@offloaded
def get_golden(
    golden_id: GoldenIdPath, token: Reader, context: Context, response: Response
) -> GoldenRecord:
    """A golden record by id. A merged-away id answers with the record it lives on as
    (`merged: true`, and `Content-Location` names the current one)."""
    with context.engine.connect() as connection:
        found = golden_record(connection, golden_id, token, context)
    if found.merged:
        response.headers["Content-Location"] = f"/v1/golden/{found.golden_id}"
    return found


@router.get(
    "/sources/{system}/{object}/{source_id:path}", response_model=SourceLookup, responses=NOT_FOUND
)
@offloaded
def get_by_source(
    system: Annotated[str, Path(min_length=1, max_length=64)],
    object: Annotated[str, Path(min_length=1, max_length=128)],
    source_id: Annotated[str, Path(min_length=1, max_length=255)],
    token: Reader,
    context: Context,
) -> SourceLookup:
    """The golden record a source record (system, object, id) belongs to."""
    with context.engine.connect() as connection:
        golden_id = connection.execute(
            select(GoldenMemberRow.golden_id).where(
                GoldenMemberRow.record_key == record_key(system, object, source_id)
            )
        ).scalar()
        if golden_id is None:
            raise ApiError(
                404, "not_found", f"no golden record has the source record {system}/{object}/…"
            )
        golden = golden_record(connection, golden_id, token, context)
    return SourceLookup(source=SourceKey(system=system, object=object, id=source_id), golden=golden)


def _supplied(fields: dict[str, Any]) -> dict[tuple[str, str, str], list[str]]:
    """Golden field names by the (system, object, id) whose value survived in them."""
    by_source: dict[tuple[str, str, str], list[str]] = {}
    for name, entry in fields.items():
        for item in entry if isinstance(entry, list) else [entry]:
            p = item["provenance"]
            names = by_source.setdefault((p["system"], p["object"], p["record_id"]), [])
            if name not in names:
                names.append(name)
    return by_source


@router.get("/golden/{golden_id}/members", response_model=Members, responses=NOT_FOUND)
@offloaded
def get_members(golden_id: GoldenIdPath, token: Reader, context: Context) -> Members:
    """The source records a golden record unifies, with when each last changed, whether
    its source deleted it, and which golden fields took their value from it."""
    with context.engine.connect() as connection:
        current = resolve_id(connection, golden_id)
        fields = connection.execute(
            select(GoldenRecordRow.fields).where(GoldenRecordRow.golden_id == current)
        ).scalar_one()
        rows = member_rows(connection, current)
    supplied = _supplied(fields)
    return Members(
        golden_id=current,
        members=[
            Member(
                source=SourceKey(system=m.system, object=m.object, id=m.source_id),
                joined_run_id=m.run_id,
                modified_at=m.modified_at.isoformat() if m.modified_at else None,
                deleted=bool(m.deleted),
                supplies=supplied.get((m.system, m.object, m.source_id), []),
            )
            for m in rows
        ],
    )


@router.get("/golden/{golden_id}/history", response_model=History, responses=NOT_FOUND)
@offloaded
def get_history(golden_id: GoldenIdPath, token: Reader, context: Context) -> History:
    """Merges into the record, splits from it, mints and retirements, oldest first, and
    the resolve runs that created and last changed it."""
    with context.engine.connect() as connection:
        current = resolve_id(connection, golden_id)
        row = connection.execute(
            select(GoldenRecordRow.created_run_id, GoldenRecordRow.updated_run_id).where(
                GoldenRecordRow.golden_id == current
            )
        ).one()
        events = id_history(connection, current)
    return History(
        golden_id=current,
        created_run_id=row.created_run_id,
        updated_run_id=row.updated_run_id,
        events=[
            HistoryEvent(
                golden_id=e.golden_id,
                event=e.event,
                other_id=e.other_id,
                run_id=e.run_id,
                at=e.at.isoformat(),
            )
            for e in events
        ],
    )
