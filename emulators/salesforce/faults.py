"""Deterministic fault injection: errors, throttling bursts, latency, dropped connections.

One seeded RNG drawn in request order, so a single-threaded client sees the same faults
on every run and a test that survives them once survives them always.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

from emulators.salesforce.reply import Reply


@dataclass(frozen=True)
class Faults:
    seed: int = 0
    error_rate: float = 0.0  # fraction of API requests answered 500 or 503
    throttle_every: int = 0  # every N-th API request starts a burst of throttled answers
    throttle_burst: int = 3
    throttle_status: int = 403  # Salesforce's REQUEST_LIMIT_EXCEEDED; 429 as gateways send
    retry_after_s: float | None = 1.0  # the Retry-After header on throttled answers
    drop_rate: float = 0.0  # fraction of responses cut off mid-body
    latency_s: float = 0.0  # added to every request, the token endpoint included
    path_prefix: str = "/services/data/v"  # which requests errors, throttling and drops hit
    stuck_paging: bool = False  # a query batch's nextRecordsUrl is the one it was asked by


class FaultInjector:
    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self.reconfigure(faults)

    def reconfigure(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)
            self._count = 0
            self._burst_left = 0

    def before(self, path: str) -> Reply | None:
        """Sleep the configured latency; return a fault reply instead of serving, or None."""
        f = self.faults
        if f.latency_s > 0:
            time.sleep(f.latency_s)
        if not path.startswith(f.path_prefix):
            return None
        with self._lock:
            self._count += 1
            if f.throttle_every and self._count % f.throttle_every == 0:
                self._burst_left = f.throttle_burst
            if self._burst_left > 0:
                self._burst_left -= 1
                return self._throttled()
            if f.error_rate and self._rng.random() < f.error_rate:
                if self._rng.random() < 0.5:
                    return Reply(
                        500,
                        [
                            {
                                "errorCode": "UNKNOWN_EXCEPTION",
                                "message": "An unexpected error occurred. Please include "
                                "this ErrorId if you contact support.",
                            }
                        ],
                    )
                return Reply(
                    503,
                    [
                        {
                            "errorCode": "SERVER_UNAVAILABLE",
                            "message": "Server temporarily unavailable",
                        }
                    ],
                )
        return None

    def drop_now(self, path: str) -> bool:
        f = self.faults
        if not f.drop_rate or not path.startswith(f.path_prefix):
            return False
        with self._lock:
            return self._rng.random() < f.drop_rate

    def _throttled(self) -> Reply:
        f = self.faults
        headers = {} if f.retry_after_s is None else {"Retry-After": f"{f.retry_after_s:g}"}
        message = (
            "ConcurrentPerOrgLongTxn Limit exceeded."  # too many long requests at once
            if f.throttle_status == 403
            else "Too many requests; retry later."
        )
        return Reply(
            f.throttle_status,
            [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": message}],
            headers,
        )
