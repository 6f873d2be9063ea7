"""`/v1/review` and steward decisions over HTTP (scope `steward`): the same queue and the
same stored decisions as `relhub review`, applied by the next resolve."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hub.review import decide_pair, override_field, review_queue
from hub.serve.auth import require_scope
from hub.serve.context import MAX_PAGE, ServeContext, serve_context
from hub.serve.errors import ERROR_RESPONSES, NOT_FOUND
from hub.serve.golden import GoldenIdPath
from hub.serve.offload import offloaded
from hub.serve.schemas import (
    FieldOverridden,
    FieldOverride,
    PairDecided,
    PairDecision,
    ReviewPair,
    ReviewQueue,
)
from hub.serve.tokens import Scope, TokenInfo

router = APIRouter(prefix="/v1", tags=["review"], responses=ERROR_RESPONSES)
Steward = Annotated[TokenInfo, Depends(require_scope(Scope.STEWARD))]
Context = Annotated[ServeContext, Depends(serve_context)]


@router.get("/review", response_model=ReviewQueue)
@offloaded
def get_review(
    token: Steward, context: Context, limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50
) -> ReviewQueue:
    """Pairs in the review band, most likely first, with the evidence for and against."""
    items, total = review_queue(context.engine, limit)
    return ReviewQueue(total=total, pairs=[ReviewPair(**vars(item)) for item in items])


@router.post("/review/decisions", response_model=PairDecided, status_code=201)
@offloaded
def post_decision(decision: PairDecision, token: Steward, context: Context) -> PairDecided:
    """Must-link (`match`) or cannot-link (`no_match`) two records; replaces an earlier
    decision on the pair and takes it off the queue."""
    match = decision.verdict == "match"
    decide_pair(context.engine, decision.left, decision.right, match=match, note=decision.note)
    left, right = sorted((decision.left, decision.right))
    return PairDecided(left=left, right=right, decision="must_link" if match else "cannot_link")


@router.post(
    "/golden/{golden_id}/overrides",
    response_model=FieldOverridden,
    responses=NOT_FOUND,
    status_code=201,
)
@offloaded
def post_override(
    golden_id: GoldenIdPath, override: FieldOverride, token: Steward, context: Context
) -> FieldOverridden:
    """Pin a golden field to a value (stored on the id's current record)."""
    current = override_field(
        context.engine, golden_id, override.field, override.value, override.note
    )
    return FieldOverridden(golden_id=current, field=override.field)
