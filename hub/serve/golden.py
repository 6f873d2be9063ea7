"""`/v1/golden/...` and `/v1/sources/...`: a golden record by id (an old id answers with
its successor), by a source record's key, with its relationships on golden ids; its
members with provenance and its id history."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from sqlalchemy import ColumnElement, Connection, Row, Select, bindparam, join, outerjoin, select
from sqlalchemy.orm import aliased

from hub.golden import id_history, member_rows, resolve_id
from hub.mapping.sensitive import mask
from hub.relationships import STATED, STATES, relationships_stated
from hub.serve.answers import answer
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
from hub.store.identity_models import MERGED, GoldenMemberRow, GoldenRecordRow
from hub.store.models import SourceRecordRow
from hub.store.prepared import Prepared, one_of
from identity import record_key

router = APIRouter(prefix="/v1", tags=["golden records"], responses=ERROR_RESPONSES)
GoldenIdPath = Annotated[str, Path(min_length=1, max_length=32, description="A golden id")]
Reader = Annotated[TokenInfo, Depends(require_scope(Scope.READ))]
Context = Annotated[ServeContext, Depends(serve_context)]


_GOLDEN = (
    GoldenRecordRow.golden_id,
    GoldenRecordRow.entity_kind,
    GoldenRecordRow.status,
    GoldenRecordRow.fields,
    GoldenRecordRow.roles,
    GoldenRecordRow.lifecycle_stage,
    GoldenRecordRow.lifecycle,
    GoldenRecordRow.member_count,
)


def _with_stated(which: ColumnElement[bool]) -> Select[Any]:
    """A golden record with, a row each, its members that state relationships (one row of
    NULLs after its own columns when none does): a lookup's one round trip."""
    stating = join(GoldenMemberRow, SourceRecordRow, STATES)
    return (
        select(*_GOLDEN, *STATED)
        .select_from(
            outerjoin(
                GoldenRecordRow, stating, GoldenMemberRow.golden_id == GoldenRecordRow.golden_id
            )
        )
        .where(which)
    )


_BY_ID = Prepared(
    "relhub_golden_by_id", _with_stated(GoldenRecordRow.golden_id == bindparam("golden_id"))
)
_member = aliased(GoldenMemberRow)
_BY_SOURCE = Prepared(
    "relhub_golden_by_source",
    _with_stated(
        GoldenRecordRow.golden_id
        == select(_member.golden_id)
        .where(_member.record_key == bindparam("record_key"))
        .scalar_subquery()
    ),
)
_BY_IDS = Prepared(
    "relhub_golden_by_ids",
    *(
        _with_stated(one_of(GoldenRecordRow.golden_id, "golden_ids", array=pg))
        for pg in (True, False)
    ),
)
_RELATIONSHIP = dict.fromkeys(GoldenRelationship.model_fields)


def golden_rows(
    connection: Connection, golden_ids: Collection[str]
) -> tuple[dict[str, Row[Any]], dict[str, list[dict[str, Any]]]]:
    """The golden rows of a page of ids (at most `MAX_PAGE`) by id, and their relationships,
    in one statement: what `as_golden` takes for each of them."""
    rows = _BY_IDS.execute(connection, {"golden_ids": list(golden_ids)}).all() if golden_ids else []
    by_id: dict[str, Row[Any]] = {}
    for row in rows:
        by_id.setdefault(row.golden_id, row)
    return by_id, relationships_stated(connection, (tuple(row[len(_GOLDEN) :]) for row in rows))


def _golden_answer(
    connection: Connection,
    rows: Sequence[Row[Any]],
    requested: str,
    token: TokenInfo,
    context: ServeContext,
) -> dict[str, Any]:
    """The answer for the rows `_with_stated` read for `requested`; an unknown or merged-away
    id reads again on the id it lives on as (`resolve_id` raises for an unknown one)."""
    if not rows or rows[0].status == MERGED:
        current = resolve_id(connection, requested)
        rows = _BY_ID.execute(connection, {"golden_id": current}).all()
    related = relationships_stated(connection, (tuple(row[len(_GOLDEN) :]) for row in rows))
    return as_golden(rows[0], requested, token, context, related)


def as_golden(
    row: Row[Any],
    requested: str,
    token: TokenInfo,
    context: ServeContext,
    relationships: Mapping[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """The answer for a golden row (a `GoldenRecord`); `relationships` by golden id, as
    hub.relationships.golden_relationships reads them for a page of rows at once."""
    fields = (
        row.fields if token.grants(Scope.READ_SENSITIVE) else mask(row.fields, context.sensitive)
    )
    return {
        "golden_id": row.golden_id,
        "requested_id": requested,
        "merged": requested != row.golden_id,
        "entity_kind": row.entity_kind,
        "status": row.status,
        "roles": row.roles,
        "lifecycle_stage": row.lifecycle_stage,
        "lifecycle": row.lifecycle,
        "member_count": row.member_count,
        "fields": fields,
        "relationships": [
            {**_RELATIONSHIP, **related} for related in relationships.get(row.golden_id, [])
        ],
    }


@router.get("/golden/{golden_id}", response_model=GoldenRecord, responses=NOT_FOUND)
@offloaded
def get_golden(golden_id: GoldenIdPath, token: Reader, context: Context) -> Response:
    """A golden record by id. A merged-away id answers with the record it lives on as
    (`merged: true`, and `Content-Location` names the current one)."""
    with context.reader.connect() as connection:
        rows = _BY_ID.execute(connection, {"golden_id": golden_id}).all()
        found = _golden_answer(connection, rows, golden_id, token, context)
    moved = found["merged"]
    return answer(
        found, {"Content-Location": f"/v1/golden/{found['golden_id']}"} if moved else None
    )


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
) -> Response:
    """The golden record a source record (system, object, id) belongs to."""
    with context.reader.connect() as connection:
        key = record_key(system, object, source_id)
        rows = _BY_SOURCE.execute(connection, {"record_key": key}).all()
        if not rows:
            raise ApiError(
                404, "not_found", f"no golden record has the source record {system}/{object}/…"
            )
        golden = _golden_answer(connection, rows, rows[0].golden_id, token, context)
    return answer(
        {"source": {"system": system, "object": object, "id": source_id}, "golden": golden}
    )


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
