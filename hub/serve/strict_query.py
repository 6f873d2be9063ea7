"""Unknown query parameters are refused (422) rather than ignored: `?emial=` is a typo the
client should hear about, not a search that quietly means something else."""

from __future__ import annotations

from fastapi import Request

from hub.serve.errors import ApiError


async def known_query_only(request: Request) -> None:
    """An app-wide dependency: every query parameter is one the route declares (async: it
    does no I/O, and a sync dependency costs every request a hop through the thread pool)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        known |= {param.alias for param in sub.query_params}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ApiError(
            422, "invalid_request", f"unknown query parameter {', '.join(map(repr, unknown))}"
        )
