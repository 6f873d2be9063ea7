"""Cleanup runs whole under a stop: the stop's signal is held back until it ends."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from types import FrameType

import pytest

from workers.stops import close_whole, stops_held


class Stop(Exception):
    """What the test's SIGTERM handler raises, as `hub.cli.termination` raises Terminated."""


@pytest.fixture
def raising_on_sigterm() -> Iterator[None]:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise Stop

    before = signal.signal(signal.SIGTERM, stop)
    yield
    signal.signal(signal.SIGTERM, before)


def _blocked() -> set[signal.Signals]:
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, ()))


@pytest.mark.usefixtures("raising_on_sigterm")
def test_a_stop_during_the_block_is_raised_when_it_ends() -> None:
    done = []
    with pytest.raises(Stop):
        with stops_held():
            os.kill(os.getpid(), signal.SIGTERM)
            done.append("first")
            with stops_held():  # nested: the outer block still holds the stop
                done.append("second")
            done.append("third")
        done.append("after")  # not reached: the stop comes as the block ends
    assert done == ["first", "second", "third"]
    assert signal.SIGTERM not in _blocked()


@pytest.mark.usefixtures("raising_on_sigterm")
def test_a_stack_closed_whole_runs_every_callback_under_a_stop() -> None:
    ran = []

    def remove_folder() -> None:  # the stop comes as it starts: it removes all the same
        os.kill(os.getpid(), signal.SIGTERM)
        ran.extend(["first file", "second file", "folder"])

    stack = ExitStack()
    stack.callback(ran.append, "worker killed")
    stack.callback(remove_folder)
    with pytest.raises(Stop):
        close_whole(stack)
    assert ran == ["first file", "second file", "folder", "worker killed"]
    assert signal.SIGTERM not in _blocked()


def test_the_signals_held_before_stay_held_and_other_threads_hold_nothing() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    try:
        with stops_held():
            assert {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1} <= _blocked()
        assert signal.SIGUSR1 in _blocked() and signal.SIGTERM not in _blocked()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})

    seen: list[set[signal.Signals]] = []

    def in_a_thread() -> None:
        with stops_held():
            seen.append(_blocked())

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert signal.SIGTERM not in seen[0]
