"""Cleanup that a stop must not cut halfway.

A stop (SIGTERM, Ctrl-C) raises its exception wherever the main thread is, and cleanup
is Python code like any other: one that landed in the removal of a spill folder left the
folder half removed in the temporary folder (`relhub resolve --full` stopped as it left
survivorship). So the cleanup of workers and their files runs with the stops deferred;
one that comes meanwhile is taken as the cleanup ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from types import FrameType
from typing import Any

_Handler = Callable[[int, FrameType | None], Any] | int | None

# SIGALRM: `hub.cli.termination` asks for a swallowed stop again with it.
_STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)


@contextmanager
def stops_held() -> Iterator[None]:
    """Run the block whole, then take the first stop that came meanwhile, as its own
    handler would have (raising, or ending the process where the handler is the default).

    The handlers are swapped rather than the signals masked: a signal masked in this
    thread goes to another one, and its Python handler runs here all the same. Only the
    main thread runs (and may set) Python handlers, so elsewhere there is nothing to hold.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []

    def defer(signum: int, _frame: FrameType | None) -> None:
        came.append(signum)

    before: dict[signal.Signals, _Handler] = {}
    try:
        for stop in _STOPS:
            if signal.getsignal(stop) is not None:  # None: set outside Python, left alone
                before[stop] = signal.signal(stop, defer)
        yield
    finally:
        for stop, handler in before.items():
            signal.signal(stop, handler)
        if came:
            signal.raise_signal(came[0])


def close_whole(stack: ExitStack) -> None:
    """Close `stack` with the stops held: every worker it holds ended, every file gone."""
    with stops_held():
        stack.close()
