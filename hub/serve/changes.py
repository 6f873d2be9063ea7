"""`/v1/changes`: the change feed over HTTP (scope `read`), in commit order after a cursor.

A consumer keeps `next_cursor` and asks again with `after=` it: across restarts and while
resolves commit, it never misses or repeats an event (positions are taken at commit)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from hub.feed.events import EventType
from hub.feed.read import changes_after
from hub.serve.auth import require_scope
from hub.serve.context import MAX_PAGE, ServeContext, serve_context
from hub.serve.errors import ERROR_RESPONSES
from hub.serve.offload import offloaded
from hub.serve.tokens import Scope, TokenInfo

router = APIRouter(prefix="/v1", tags=["change feed"], responses=ERROR_RESPONSES)
Reader = Annotated[TokenInfo, Depends(require_scope(Scope.READ))]
Context = Annotated[ServeContext, Depends(serve_context)]
CURSOR = r"^[0-9]{1,18}$"


class FeedEvent(BaseModel):
    cursor: str = Field(description="This event's feed position: resume after it")
    event: EventType
    golden_id: str
    entity_kind: str
    detail: dict[str, Any] = Field(
        description="fields: the names whose values changed (updated); merged_ids (merged); "
        "split_from (split); from, to (lifecycle_changed); roles (role_gained, role_lost); "
        "roles, lifecycle_stage (created)"
    )
    run_id: int = Field(description="The resolve run that committed it")
    committed_at: str


class ChangesPage(BaseModel):
    changes: list[FeedEvent]
    next_cursor: str = Field(description="Pass as `after` for the next page")
    has_more: bool = Field(description="More events are committed after this page")


@router.get("/changes", response_model=ChangesPage)
@offloaded
def get_changes(
    token: Reader,
    context: Context,
    after: Annotated[
        str, Query(pattern=CURSOR, description="A cursor from an earlier page; 0: the start")
    ] = "0",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    event: Annotated[
        list[EventType] | None, Query(description="Only these event types (repeatable)")
    ] = None,
) -> ChangesPage:
    """Golden-record creations, updates, merges, splits, retirements, lifecycle and role
    changes, in commit order after `after`."""
    with context.engine.connect() as connection:
        found = changes_after(connection, int(after), limit + 1, event)
    page = found[:limit]
    return ChangesPage(
        changes=[FeedEvent(**change.as_json()) for change in page],
        next_cursor=str(page[-1].position) if page else after,
        has_more=len(found) > limit,
    )
