"""Cleanup runs whole under a stop: the stop is taken once it ends."""

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


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise Stop


@pytest.fixture
def raising_on_sigterm() -> Iterator[None]:
    before = signal.signal(signal.SIGTERM, _stop)
    yield
    signal.signal(signal.SIGTERM, before)


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
    assert signal.getsignal(signal.SIGTERM) is _stop


@pytest.mark.usefixtures("raising_on_sigterm")
def test_a_stop_is_held_while_another_thread_runs() -> None:
    """A signal is delivered to any thread that does not mask it; the handler still runs in
    the main thread, so holding must not rely on this thread's mask."""
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    done = []
    try:
        with pytest.raises(Stop), stops_held():
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # many chances for a handler to run here
                done.append(1)
    finally:
        release.set()
        other.join()
    assert len(done) == 1000


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


def test_ctrl_c_is_held_too_and_nothing_is_held_in_other_threads() -> None:
    done = []
    with pytest.raises(KeyboardInterrupt), stops_held():
        os.kill(os.getpid(), signal.SIGINT)
        done.append("cleaned up")
    assert done == ["cleaned up"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    seen = []

    def in_a_thread() -> None:
        with stops_held():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler]
