"""SIGTERM (a scheduler's, a container's or `kill`'s stop) unwinds a command as Ctrl-C
does: open transactions roll back and forked workers' spill folders are removed, where
the default action would leave gigabytes of them in the temporary folder."""

from __future__ import annotations

import signal
import sys
from types import FrameType

EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(SystemExit):
    """The stop asked by SIGTERM, on its way out through every `with` and `finally`."""


def stop_on_sigterm() -> None:
    signal.signal(signal.SIGTERM, _raise_terminated)
    signal.signal(signal.SIGALRM, _raise_terminated)
    sys.unraisablehook = _ask_again_if_swallowed


def _raise_terminated(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated(EXIT_TERMINATED)


def _ask_again_if_swallowed(unraisable: sys.UnraisableHookArgs) -> None:
    """A stop that lands in code where Python ignores exceptions (a fork's hooks, a
    `__del__`) would be lost there: ask again a moment later (SIGALRM, armed without
    running Python code here), once that code is done."""
    if isinstance(unraisable.exc_value, Terminated):
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        return
    sys.__unraisablehook__(unraisable)
