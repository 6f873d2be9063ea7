"""HTTP concerns every API connector shares: rate limiting, retries, `Retry-After`.

The client libraries (simple-salesforce, hubspot-api-client) own the transport; this
module wraps their calls. A connector translates its library's exceptions into
`TransientError` (worth retrying, optionally with the server's `Retry-After`) and lets
`Retrier` decide when to try again.
"""

from __future__ import annotations

import email.utils
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlsplit

from connectors.base import ConnectorError, TLSFailure, TransientError

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 30.0


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    return max(0.0, (when - current).total_seconds())


class RateLimiter:
    """A sliding-window limiter: at most `max_calls` starts in any `period_s` window.

    A sliding window (not a token bucket refilled at the average rate) matches how the
    APIs count: HubSpot refuses the 191st request inside any 10 seconds, whatever the
    average. Thread-safe, so one limiter can be shared by a connector's workers.
    """

    def __init__(
        self,
        max_calls: int,
        period_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_calls < 1 or period_s <= 0:
            raise ValueError("a rate limit needs max_calls >= 1 and period_s > 0")
        self.max_calls = self.ceiling = max_calls
        self.period_s = period_s
        self._clock = clock
        self._sleep = sleep
        self._starts: list[float] = []
        self._flying: list[float] = []
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until one more call fits in the window, then count it."""
        while True:
            with self._lock:
                now = self._clock()
                horizon = now - self.period_s
                self._starts = [t for t in self._starts if t > horizon]
                if len(self._starts) < self.max_calls:
                    self._starts.append(now)
                    return
                wait = self._starts[0] - horizon
            self._sleep(max(wait, 0.001))

    def conform(
        self, limit: int, period_s: float, remaining: int | None = None, *, sent_at: float = 0.0
    ) -> None:
        """Pace by the server's own count: its window (`limit`, never above the configured
        ceiling), and, when it had fewer calls `remaining` for a call sent at `sent_at`
        (this limiter's clock, from `flight`) than the calls started here by then explain,
        the others (another client of the same allowance) counted as made just now.

        Calls of ours still in flight may not have reached the server when it counted, so
        they explain nothing yet: counting them would take the server's figure for one
        that already includes them, and let the next calls through into a 429."""
        if limit < 1 or period_s <= 0:
            return
        with self._lock:
            self.max_calls, self.period_s = min(self.ceiling, limit), period_s
            if remaining is None:
                return
            now = self._clock()
            self._starts = [t for t in self._starts if t > now - period_s]
            started = sum(1 for t in self._starts if t <= sent_at)
            flying = sum(1 for t in self._flying if t <= sent_at) - 1  # not this call
            unseen = self.max_calls - remaining - (started - max(0, flying))
            self._starts.extend([now] * max(0, unseen))

    @contextmanager
    def flight(self) -> Iterator[float]:
        """Stamp a call for `conform` (this limiter's clock) and hold it as in flight until
        its answer has been read."""
        with self._lock:
            sent_at = self._clock()
            self._flying.append(sent_at)
        try:
            yield sent_at
        finally:
            with self._lock:
                self._flying.remove(sent_at)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped; `Retry-After` overrides the backoff."""

    max_attempts: int = 6
    base_delay_s: float = 0.5
    max_delay_s: float = 60.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        return rng.uniform(0, ceiling)


class Retrier:
    """Runs a call, retrying `TransientError` under a policy; every other error propagates."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.limiter = limiter
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.retries = 0

    def call(self, fn: Callable[[], T], *, what: str = "request") -> T:
        for attempt in range(1, self.policy.max_attempts + 1):
            if self.limiter is not None:
                self.limiter.acquire()
            try:
                return fn()
            except TransientError as error:
                if attempt == self.policy.max_attempts:
                    raise
                delay = error.retry_after
                if delay is None:
                    delay = self.policy.backoff(attempt, self._rng)
                delay = min(delay, self.policy.max_delay_s)
                self.retries += 1
                log.warning(
                    "%s failed (%s); retry %d/%d in %.2fs",
                    what,
                    error,
                    attempt,
                    self.policy.max_attempts - 1,
                    delay,
                )
                self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")


def transport_error(error: BaseException, url: str, what: str) -> ConnectorError:
    """A request that got no HTTP answer, as a connector raises it, naming the host: a TLS
    failure is permanent (`TLSFailure`: a CA bundle to set, not an outage to wait out);
    a refused, reset or timed-out connection is transient."""
    host = urlsplit(url).netloc or url
    tls = _tls_cause(error)
    if tls is not None:
        reason = getattr(tls, "reason", None) or getattr(tls, "verify_message", None) or tls
        return TLSFailure(
            f"{what}: TLS with {host} failed ({reason}); if it uses a private CA, set the "
            "source's options.ca_bundle to its certificate file"
        )
    return TransientError(f"{what}: no answer from {host} ({type(error).__name__})")


def _tls_cause(error: BaseException) -> ssl.SSLError | None:
    """The ssl error inside what requests or urllib3 wrapped around it, if any."""
    seen: list[object] = [error]
    visited: set[int] = set()
    while seen:
        current = seen.pop()
        if id(current) in visited:
            continue
        visited.add(id(current))
        if isinstance(current, ssl.SSLError):
            return current
        if isinstance(current, BaseException):
            seen.extend(x for x in (current.__cause__, current.__context__) if x is not None)
            seen.extend(a for a in current.args if isinstance(a, BaseException))
            reason = getattr(current, "reason", None)
            if isinstance(reason, BaseException):
                seen.append(reason)
    return None
