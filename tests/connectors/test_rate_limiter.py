"""The shared sliding-window limiter, on a clock the test moves: pacing by a server's
remaining-calls header while several of our own calls are in flight."""

from __future__ import annotations

from contextlib import ExitStack

from connectors.http import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def window_starts(limiter: RateLimiter) -> int:
    """Calls the limiter counts in its window: those it would let through before waiting."""
    clock_before = limiter._clock()
    allowed = 0
    while allowed < limiter.max_calls:
        limiter.acquire()
        if limiter._clock() != clock_before:
            break
        allowed += 1
    return limiter.max_calls - allowed


def test_a_servers_count_read_while_our_calls_fly_leaves_them_for_later_answers() -> None:
    """Four of our calls leave side by side after another client spent 14 of the 20; the
    first answer (4 left) was counted before the other three reached the server. The
    limiter must still account for all 19 calls, or the next call is a 429."""
    clock = Clock()
    limiter = RateLimiter(20, 2.0, clock=clock, sleep=clock.sleep)
    with limiter.flight() as first:  # discover: the window was ours alone
        limiter.acquire()
        limiter.conform(20, 2.0, 19, sent_at=first)
    clock.now = 0.5  # another integration spends 14 calls the limiter does not see
    with ExitStack() as flights:
        sent = []
        for _ in range(4):
            limiter.acquire()
            sent.append(flights.enter_context(limiter.flight()))
        limiter.conform(20, 2.0, 4, sent_at=sent[0])  # answered before the others arrived
        assert window_starts(limiter) == 19  # the server holds 15 + our 4: one more fits


def test_answers_in_turn_never_count_a_call_twice() -> None:
    """Calls answered one after another: each answer's figure already holds the earlier
    calls, so nothing is added for another client."""
    clock = Clock()
    limiter = RateLimiter(20, 2.0, clock=clock, sleep=clock.sleep)
    for remaining in (19, 18, 17):
        limiter.acquire()
        with limiter.flight() as sent_at:
            limiter.conform(20, 2.0, remaining, sent_at=sent_at)
        clock.now += 0.01
    assert window_starts(limiter) == 3
