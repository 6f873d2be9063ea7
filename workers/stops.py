"""Cleanup that a stop must not cut halfway.

A stop (SIGTERM, Ctrl-C) raises its exception wherever the main thread is, and cleanup
is Python code like any other: one that landed in the removal of a spill folder left the
folder half removed in the temporary folder (`relhub resolve --full` stopped as it left
survivorship). So the cleanup of workers and their files runs with the stops' signals
held back; one that comes meanwhile is raised as the cleanup ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

# SIGALRM: `hub.cli.termination` asks for a swallowed stop again with it.
_STOPS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGALRM})


@contextmanager
def stops_held() -> Iterator[None]:
    """Run the block whole, then take the stops that came meanwhile. Only the main thread
    runs signal handlers, so elsewhere there is nothing to hold."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, ())  # read first: restored even
    try:  # when a stop lands as the signals are held
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def close_whole(stack: ExitStack) -> None:
    """Close `stack` with the stops held: every worker it holds ended, every file gone."""
    with stops_held():
        stack.close()
