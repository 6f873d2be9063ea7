"""What a serving process holds for every request: the store, what to mask, the resolution
settings and fitted models (`match` and `search` block and score as resolve does)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Engine

from hub.serve.fitted import FittedModels
from hub.serve.tokens import TokenCache
from identity import ResolutionSettings

MAX_PAGE = 500  # rows one request may ask for
MAX_BODY_BYTES = 64 * 1024  # a canonical record or a decision is a few hundred bytes
# Requests a worker serves at once: its thread pool and its store connections. A request
# holds the GIL for most of its time (a lookup's SQL is ~0.3 ms of ~1 ms), so threads past
# a few only queue for the GIL and the event loop with them: at 32 connections on 2 cores,
# 16 threads a worker gave lookups a p99 of 221-729 ms, 4 threads 98-218 ms.
THREADS = 4


@dataclass(frozen=True)
class ServeContext:
    engine: Engine
    sensitive: frozenset[str]
    settings: ResolutionSettings
    tokens: TokenCache
    models: FittedModels
    reader: Engine
    """The store for requests that only read: its connections autocommit, so a read is its
    statements alone, without a BEGIN and a ROLLBACK around them (two round trips to
    PostgreSQL, more than an indexed read costs)."""


async def serve_context(request: Request) -> ServeContext:
    """Async: no I/O here, so no hop through the thread pool for it."""
    context: ServeContext = request.app.state.context
    return context
