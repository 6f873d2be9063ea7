"""Endpoints that read the store run in the thread pool once per request.

FastAPI runs a plain `def` endpoint in the thread pool and then validates its answer in
the pool again: two hand-offs between threads per request, a third of a lookup's CPU.
`@offloaded` makes the endpoint a coroutine that runs the body in the pool once; the
answer is validated on the event loop. (Dependencies that do no I/O are `async def` for
the same reason.)"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
R = TypeVar("R")


def offloaded(endpoint: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`endpoint` as a coroutine running it in the thread pool (its signature, which
    FastAPI reads for parameters, is kept through `functools.wraps`)."""

    @functools.wraps(endpoint)
    async def in_pool(*args: P.args, **kwargs: P.kwargs) -> R:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return in_pool
