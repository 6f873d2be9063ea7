"""What stands between a request and an emulated API: rate limits, injected faults, the
request log — shared by the HubSpot, BambooHR and PartnerStack emulators.

Requests are counted in a sliding window (HubSpot's ten seconds; each emulator's config
says its own), per day where an API has a daily allocation, and search requests
separately (HubSpot: 5 a second). Faults are drawn from one seeded RNG, so a test run
that sends the same requests in the same order sees the same faults.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass
class EmulatorConfig:
    """Limits and faults; every field can be changed while the emulator runs."""

    rate_limit: int = 190
    rate_window_s: float = 10.0
    search_rate_limit: int = 5
    search_window_s: float = 1.0
    retry_after_header: bool = True  # HubSpot omits Retry-After on some 429s
    daily_limit: int | None = None  # requests a day (Professional: 650,000); None: no limit
    retry_after_s: float = 1.0
    latency_s: float = 0.0
    error_rate: float = 0.0  # fraction of requests answered 500 or 503
    drop_rate: float = 0.0  # fraction of responses cut off mid-body
    throttle_every: int = 0  # every Nth request starts a burst of 429s ...
    throttle_burst: int = 3  # ... this many requests long
    max_url_length: int = 8192  # longer request lines are refused with 414
    stuck_paging: bool = False  # a later page is served as the first: its cursor repeats
    seed: int = 0


class Verdict(StrEnum):
    PASS = "pass"
    RATE_LIMITED = "rate_limited"
    DAILY_LIMITED = "daily_limited"
    SEARCH_RATE_LIMITED = "search_rate_limited"
    THROTTLE_BURST = "throttle_burst"
    SERVER_ERROR = "server_error"
    UNAVAILABLE = "unavailable"
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    method: str
    path: str
    status: int
    body_bytes: int
    started: float
    duration_s: float
    items: int | None = None  # inputs in a batch request
    verdict: Verdict = Verdict.PASS


@dataclass
class RequestLog:
    """Every request the emulator answered, for tests and benchmarks to assert on."""

    entries: list[LoggedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: LoggedRequest) -> None:
        with self.lock:
            self.entries.append(entry)

    def snapshot(self) -> list[LoggedRequest]:
        with self.lock:
            return list(self.entries)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()

    def statuses(self) -> list[int]:
        return [entry.status for entry in self.snapshot()]


class Gate:
    """Decides, per request, whether it is served or refused and how."""

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._rng = random.Random(config.seed)
        self._general: deque[float] = deque()
        self._search: deque[float] = deque()
        self._count = 0
        self._burst_left = 0
        self.daily_used = 0

    def reseed(self) -> None:
        with self._lock:
            self._rng = random.Random(self.config.seed)
            self._count = 0
            self._burst_left = 0

    def admit(self, *, search: bool) -> tuple[Verdict, int]:
        """The verdict for one request and the general window's remaining allowance."""
        config = self.config
        with self._lock:
            now = self._clock()
            window, limit, period = (
                (self._search, config.search_rate_limit, config.search_window_s)
                if search
                else (self._general, config.rate_limit, config.rate_window_s)
            )
            while window and window[0] <= now - period:
                window.popleft()
            if config.daily_limit is not None and self.daily_used >= config.daily_limit:
                return Verdict.DAILY_LIMITED, self._remaining(now)
            self.daily_used += 1
            if len(window) >= limit:
                verdict = Verdict.SEARCH_RATE_LIMITED if search else Verdict.RATE_LIMITED
                return verdict, self._remaining(now)
            window.append(now)
            return self._fault(), self._remaining(now)

    def paged(self, query: dict[str, list[str]], cursor: str) -> dict[str, list[str]]:
        """The query a list is served by (`cursor`: the API's paging parameter). Under the
        stuck-paging fault a request for a later page is served the first page again, as a
        stuck API or a proxy replaying a page would: the client is handed a cursor it was
        given before, and must stop rather than page the same records for ever."""
        if not self.config.stuck_paging:
            return query
        return {name: values for name, values in query.items() if name != cursor}

    def _remaining(self, now: float) -> int:
        while self._general and self._general[0] <= now - self.config.rate_window_s:
            self._general.popleft()
        return max(0, self.config.rate_limit - len(self._general))

    def _fault(self) -> Verdict:
        """Requests inside a 429 burst do not count towards the next burst."""
        config = self.config
        if self._burst_left > 0:
            self._burst_left -= 1
            return Verdict.THROTTLE_BURST
        self._count += 1
        if config.throttle_every and self._count % config.throttle_every == 0:
            self._burst_left = config.throttle_burst - 1
            return Verdict.THROTTLE_BURST
        draw = self._rng.random()
        if draw < config.error_rate / 2:
            return Verdict.SERVER_ERROR
        if draw < config.error_rate:
            return Verdict.UNAVAILABLE
        if self._rng.random() < config.drop_rate:
            return Verdict.DROP
        return Verdict.PASS
