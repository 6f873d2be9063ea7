"""`POST /v1/match`: the golden records a record would join, scored as a resolve would
score it, writing nothing.

The record is normalized by the mapping's transforms (emails, phones, domains), indexed
as resolve indexes (`hub.resolve.index`), scored against the stored records it blocks with
(`identity.score_pairs`: the engine's comparisons, weights and decisions, without its
blocking and clustering, since the neighbours are the blocked candidates) with the models
the last full resolve fitted, so a match here is the link the next resolve would make."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response

from hub.mapping.transforms import InvalidValue, domain_of, normalize_email
from hub.serve.answers import answer
from hub.serve.auth import require_scope
from hub.serve.context import ServeContext, serve_context
from hub.serve.errors import ERROR_RESPONSES, ApiError, ErrorBody
from hub.serve.golden import as_golden, golden_rows
from hub.serve.neighbours import probe, scoring_neighbours
from hub.serve.offload import offloaded
from hub.serve.schemas import MatchRequest, MatchResult
from hub.serve.tokens import Scope, TokenInfo
from identity import (
    Link,
    OrganizationRecord,
    PhoneError,
    Record,
    record_key_parts,
    score_pairs,
    to_e164,
)

router = APIRouter(prefix="/v1", tags=["match"], responses=ERROR_RESPONSES)
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "No model fitted under the current settings"}
}


def normalized(request: MatchRequest) -> Record:
    """The record with its emails, phones and domains as a mapping stores them."""
    record = request.record
    try:
        changes: dict[str, list[str]] = {
            "emails": [normalize_email(e) for e in record.emails],
            "phones": [to_e164(p, request.phone_region) for p in record.phones],
        }
        if isinstance(record, OrganizationRecord):
            changes["domains"] = [d for d in map(domain_of, record.domains) if d]
    except (InvalidValue, PhoneError) as error:
        raise ApiError(422, "invalid_request", f"record: {error}") from None
    return record.model_copy(update=changes)


Decision = Literal["link", "review"]


def _pair(link: Link, source: str, decision: Decision) -> dict[str, Any]:
    """A `PairScore`."""
    system, object_name, source_id = record_key_parts(source)
    return {
        "source": {"system": system, "object": object_name, "id": source_id},
        "decision": decision,
        "probability": link.probability,
        "match_weight": link.match_weight,
        "rule": link.rule,
        "evidence": [
            {"comparison": f.comparison, "level": f.level, "weight": f.weight} for f in link.fields
        ],
    }


@router.post("/match", response_model=MatchResult, responses=UNAVAILABLE)
@offloaded
def match(
    request: MatchRequest,
    token: Annotated[TokenInfo, Depends(require_scope(Scope.MATCH))],
    context: Annotated[ServeContext, Depends(serve_context)],
) -> Response:
    """The golden records a record in canonical form would join (`link`) or be sent to
    review with (`review`), best first, each with its pairs' scores and evidence."""
    record = normalized(request)
    models = context.models.current(context.engine)
    if models is None or record.kind not in models:
        raise ApiError(
            503,
            "no_model",
            f"no {record.kind} model fitted under the current settings yet: "
            "run `relhub resolve --full`",
        )
    asked = probe(record, context.settings)
    with context.reader.connect() as connection:
        neighbours = scoring_neighbours(connection, asked)
        if not neighbours:
            return answer({"candidates": [], "compared": 0})
        links, review = score_pairs(
            [asked.normalized, *(n.record for n in neighbours)],
            [(0, other) for other in range(1, len(neighbours) + 1)],
            context.settings,
            models[record.kind],
        )
        scored: list[tuple[Link, Decision]] = [(link, "link") for link in links]
        scored += [(link, "review") for link in review]
        by_golden: dict[str, list[dict[str, Any]]] = {}
        for link, decision in sorted(scored, key=lambda pair: -pair[0].match_weight):
            met = neighbours[link.right - 1]
            if met.golden_id is not None:
                by_golden.setdefault(met.golden_id, []).append(
                    _pair(link, met.record.key, decision)
                )
        best = sorted(
            by_golden,
            key=lambda g: (
                by_golden[g][0]["decision"] != "link",
                -by_golden[g][0]["match_weight"],
                g,
            ),
        )[: request.limit]
        rows, related = golden_rows(connection, best)
    return answer(
        {
            "candidates": [
                {
                    "golden": as_golden(rows[g], g, token, context, related),
                    "decision": "link"
                    if any(p["decision"] == "link" for p in by_golden[g])
                    else "review",
                    "probability": by_golden[g][0]["probability"],
                    "match_weight": by_golden[g][0]["match_weight"],
                    "pairs": by_golden[g],
                }
                for g in best
            ],
            "compared": len(neighbours),
        }
    )
