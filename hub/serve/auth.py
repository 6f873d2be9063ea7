"""Bearer-token authentication and scopes: `require_scope("read")` as a route dependency."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from hub.serve.context import ServeContext, serve_context
from hub.serve.errors import ApiError
from hub.serve.tokens import Scope, TokenInfo

_bearer = HTTPBearer(auto_error=False, description="A token from `relhub tokens create`.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def require_scope(scope: Scope | str) -> Callable[..., Awaitable[TokenInfo]]:
    """A dependency that answers 401 without a valid token and 403 without `scope`."""
    needed = Scope(scope)

    async def check(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        context: Annotated[ServeContext, Depends(serve_context)],
    ) -> TokenInfo:
        """Async, so a remembered verdict costs no hop through the thread pool; only a
        verdict the cache lacks reads the store, in the pool."""
        if credentials is None:
            raise ApiError(
                401, "unauthorized", "send a token as 'Authorization: Bearer <token>'", _CHALLENGE
            )
        known, token = context.tokens.remembered(credentials.credentials)
        if not known:
            token = await run_in_threadpool(
                context.tokens.verify, context.engine, credentials.credentials
            )
        if token is None:
            raise ApiError(
                401, "unauthorized", "the token is unknown, malformed or revoked", _CHALLENGE
            )
        if not token.grants(needed):
            raise ApiError(
                403, "forbidden", f"token {token.name!r} lacks the scope {needed.value!r}"
            )
        return token

    return check
