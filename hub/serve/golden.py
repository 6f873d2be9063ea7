"""`/v1/golden/...` and `/v1/sources/...`: a golden record by id (an old id answers with
its successor), by a source record's key, its members and its id history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from sqlalchemy import Connection, Row, select

from hub.golden import resolve_id
from hub.mapping.sensitive import mask
from hub.serve.auth import require_scope
from hub.serve.context import ServeContext, serve_context
from hub.serve.errors import ERROR_RESPONSES, ApiError
from hub.serve.schemas import GoldenRecord, SourceKey, SourceLookup
from hub.serve.tokens import Scope, TokenInfo
from hub.store.identity_models import GoldenMemberRow, GoldenRecordRow

router = APIRouter(prefix="/v1", tags=["golden records"], responses=ERROR_RESPONSES)
GoldenIdPath = Annotated[str, Path(min_length=1, max_length=32, description="A golden id")]
Reader = Annotated[TokenInfo, Depends(require_scope(Scope.READ))]
Context = Annotated[ServeContext, Depends(serve_context)]


def golden_record(
    connection: Connection, golden_id: str, token: TokenInfo, context: ServeContext
) -> GoldenRecord:
    """The current record for `golden_id`, masked for `token`."""
    current = resolve_id(connection, golden_id)
    row = connection.execute(
        select(GoldenRecordRow).where(GoldenRecordRow.golden_id == current)
    ).one()
    return as_golden(row, golden_id, token, context)


def as_golden(
    row: Row[Any], requested: str, token: TokenInfo, context: ServeContext
) -> GoldenRecord:
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
    )


@router.get("/golden/{golden_id}", response_model=GoldenRecord)
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


@router.get("/sources/{system}/{object}/{source_id:path}", response_model=SourceLookup)
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
                GoldenMemberRow.record_key == f"{system}/{object}/{source_id}"
            )
        ).scalar()
        if golden_id is None:
            raise ApiError(
                404, "not_found", f"no golden record has the source record {system}/{object}/…"
            )
        golden = golden_record(connection, golden_id, token, context)
    return SourceLookup(source=SourceKey(system=system, object=object, id=source_id), golden=golden)
