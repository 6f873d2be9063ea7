"""The read API's application: every router under /v1, token scopes, one error shape,
body limits and an access log without personal data.

`create_app` builds it on a store; `app_from_environment` is what each uvicorn worker
calls (`relhub serve` passes the configuration through the environment)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import Engine

from hub.config import load_config
from hub.mapping.sensitive import configured_sensitive_fields
from hub.serve import changes, errors, golden, match, review, search
from hub.serve.context import MAX_BODY_BYTES, THREADS, ServeContext
from hub.serve.fitted import FittedModels
from hub.serve.middleware import AccessLog, BodyLimit
from hub.serve.strict_query import known_query_only
from hub.serve.tokens import TokenCache
from hub.store.db import make_engine
from hub.store.migrate import open_store
from identity import ResolutionSettings

ROUTERS: list[APIRouter] = [
    golden.router,
    search.router,
    match.router,
    review.router,
    changes.router,
]


@asynccontextmanager
async def _worker_start(app: FastAPI) -> AsyncIterator[None]:
    """A worker runs as many requests at once as its store has connections (anyio's
    default is 40 threads): a thread beyond them would only wait for a connection, and
    contend for the GIL while it does. It loads the fitted models before it serves: the
    first matches would otherwise wait for the load (50 ms with 20,000 resolved records, more
    with more), with every request queued behind them in the worker."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
    context: ServeContext = app.state.context
    await anyio.to_thread.run_sync(context.models.current, context.engine)
    yield


def create_app(
    engine: Engine,
    *,
    reader: Engine | None = None,
    sensitive: frozenset[str] = frozenset(),
    settings: ResolutionSettings | None = None,
    token_cache_seconds: float | None = None,
) -> FastAPI:
    app = FastAPI(
        title="Relhub read API",
        version="1",
        description="Golden records, lookups, search, match on demand and review, by token.",
        dependencies=[Depends(known_query_only)],
        lifespan=_worker_start,
    )
    cache = TokenCache() if token_cache_seconds is None else TokenCache(token_cache_seconds)
    settings = settings or ResolutionSettings()
    # a reader of its own (make_engine(reader=True)) also saves the ping and the switches
    reader = reader or engine.execution_options(isolation_level="AUTOCOMMIT")
    models = FittedModels(settings)
    app.state.context = ServeContext(engine, sensitive, settings, cache, models, reader)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(AccessLog)
    return app


def app_from_environment() -> FastAPI:
    """The app on the store and configuration `RELHUB_CONFIG` / `RELHUB_DATABASE_URL` name."""
    config = load_config()
    engine = open_store(config.database_url())  # steward writes, tokens, fitted models
    return create_app(
        engine,
        reader=make_engine(config.database_url(), pool_size=THREADS, reader=True),
        sensitive=configured_sensitive_fields(config),
        settings=config.resolution,
    )
