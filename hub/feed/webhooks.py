"""Delivering the change feed to webhook subscribers: signed POSTs in feed order, retried
with exponential backoff, given up on (dead letters) after `RetryPolicy.max_attempts`.

Each subscription is a queue: a pass first queues the events committed after its cursor
(of the types it wants), a page at a time, then POSTs the oldest pending page; a receiver
that fails holds its queue until the retry succeeds or the events die, so it never sees an
event before one committed earlier. Passes take one store lock: a cron job and a looping
deliverer never post the same page twice at once. Acknowledged events leave the queue; a
receiver that lost some asks for `relhub webhooks replay`.

Neither the secret nor the URL (whose path often is a credential too) is logged or kept in
an error: only the subscription id and the receiver's host.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib.metadata import version
from urllib.parse import urlsplit

import requests
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from connectors.http import parse_retry_after
from hub.feed.read import changes_after, changes_at, feed_head
from hub.feed.signing import signed_headers
from hub.feed.subscriptions import DEAD, LOCK, PENDING
from hub.store.db import utcnow, writing
from hub.store.feed_models import WebhookDeliveryRow, WebhookSubscriptionRow
from hub.store.locks import StoreBusy, run_lock
from hub.url_logging import hide_request_targets

log = logging.getLogger(__name__)

BATCH = 100  # events per POST, and the most queued ahead per subscription
TIMEOUT_S = 10.0
_RETRY_AFTER_STATUSES = (429, 503)


@dataclass(frozen=True)
class RetryPolicy:
    """Waits of 1, 2, 4 … minutes (at most 6 hours, or longer if the receiver's
    Retry-After says so): ten attempts span about 8.5 hours."""

    max_attempts: int = 10
    first_delay_s: float = 60.0
    max_delay_s: float = 6 * 3600.0

    def delay_s(self, attempts: int) -> float:
        """The wait after the `attempts`-th failed attempt."""
        return min(self.first_delay_s * 2 ** (attempts - 1), self.max_delay_s)


@dataclass
class DeliveryReport:
    """What one pass did, over every subscription."""

    requests: int = 0
    delivered: int = 0  # events acknowledged
    failed: int = 0  # requests without a 2xx answer
    dead: int = 0  # events given up on

    def summary(self) -> str:
        return (
            f"{self.delivered} events delivered in {self.requests} requests, "
            f"{self.failed} failed, {self.dead} events given up on"
        )


@dataclass(frozen=True)
class _Target:
    id: int
    url: str
    events: list[str]
    secret: str = field(repr=False)

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


class Deliverer:
    """Delivery passes over every subscription, with one HTTP session kept across them."""

    def __init__(
        self,
        engine: Engine,
        policy: RetryPolicy | None = None,
        *,
        batch: int = BATCH,
        timeout_s: float = TIMEOUT_S,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.policy = policy or RetryPolicy()
        self.batch = batch
        self.timeout_s = timeout_s
        self.clock = clock
        self.session = requests.Session()
        hide_request_targets()  # a webhook URL's path or query can be its credential
        self.session.headers["User-Agent"] = f"relhub-webhooks/{version('relhub')}"

    def deliver(self, wait_s: float) -> DeliveryReport:
        """One pass: everything due now, to every subscription, until each queue is empty
        or waits for a retry."""
        report = DeliveryReport()
        with run_lock(self.engine, LOCK, None, wait_s=wait_s):
            for target in self._targets():
                while self._queue(target) and self._post_due(target, report):
                    pass
        return report

    def follow(
        self,
        interval_s: float,
        stop: threading.Event,
        reported: Callable[[DeliveryReport], None] = lambda _: None,
    ) -> None:
        """Passes every `interval_s` until `stop` is set; a pass another deliverer is
        making is skipped, not waited for."""
        while not stop.is_set():
            try:
                reported(self.deliver(wait_s=0))
            except StoreBusy:
                log.info("webhooks: another deliverer is making a pass")
            stop.wait(interval_s)

    def _targets(self) -> list[_Target]:
        subs = WebhookSubscriptionRow
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(subs.id, subs.url, subs.events, subs.secret).order_by(subs.id)
            )
            return [_Target(*row) for row in rows]

    def _queue(self, target: _Target) -> bool:
        """Queue the next events after the cursor while fewer than a batch wait; whether
        anything is pending."""
        deliveries, subs = WebhookDeliveryRow, WebhookSubscriptionRow
        with writing(self.engine) as connection:
            pending = connection.execute(
                select(func.count()).where(
                    deliveries.subscription_id == target.id, deliveries.status == PENDING
                )
            ).scalar_one()
            if pending >= self.batch:
                return True
            cursor = connection.execute(
                select(subs.cursor).where(subs.id == target.id)
            ).scalar_one()
            head = feed_head(connection)  # read first: every position up to it is visible
            found = changes_after(connection, cursor, self.batch, target.events)
            if found:
                connection.execute(
                    insert(deliveries),
                    [
                        {
                            "subscription_id": target.id,
                            "position": change.position,
                            "status": PENDING,
                            "attempts": 0,
                            "next_attempt_at": self.clock(),
                            "last_error": None,
                        }
                        for change in found
                    ],
                )
            # a short page holds every wanted event up to the head read before it
            last = found[-1].position if found else cursor
            reached = last if len(found) == self.batch else max(head, last)
            connection.execute(update(subs).where(subs.id == target.id).values(cursor=reached))
        return pending + len(found) > 0

    def _post_due(self, target: _Target, report: DeliveryReport) -> bool:
        """POST the oldest pending batch if it is due; whether it was acknowledged."""
        deliveries = WebhookDeliveryRow
        now = self.clock()
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(deliveries.id, deliveries.position, deliveries.next_attempt_at)
                .where(deliveries.subscription_id == target.id, deliveries.status == PENDING)
                .order_by(deliveries.position)
                .limit(self.batch)
            ).all()
            if not rows or rows[0].next_attempt_at > now:
                return False
            events = changes_at(connection, [row.position for row in rows])
        body = json.dumps(
            {
                "subscription_id": target.id,
                "events": [events[row.position].as_json() for row in rows],
            },
            separators=(",", ":"),
        ).encode()
        report.requests += 1
        ids = [row.id for row in rows]
        error, retry_after = self._post(target, body, int(now.timestamp()))
        if error is None:
            with writing(self.engine) as connection:
                connection.execute(delete(deliveries).where(deliveries.id.in_(ids)))
            report.delivered += len(ids)
            log.info("webhook %d: %d events delivered to %s", target.id, len(ids), target.host)
            return True
        report.failed += 1
        report.dead += self._failed(target, ids, error, retry_after, now)
        return False

    def _post(self, target: _Target, body: bytes, timestamp: int) -> tuple[str | None, float]:
        """The error of one signed POST (None: a 2xx answer), and the receiver's
        Retry-After in seconds (0 without one)."""
        headers = {
            "Content-Type": "application/json",
            **signed_headers(target.secret, timestamp, body),
        }
        try:
            with self.session.post(
                target.url,
                data=body,
                headers=headers,
                timeout=self.timeout_s,
                allow_redirects=False,
            ) as response:
                if 200 <= response.status_code < 300:
                    return None, 0.0
                wait = None
                if response.status_code in _RETRY_AFTER_STATUSES:
                    wait = parse_retry_after(response.headers.get("Retry-After"))
                return f"HTTP {response.status_code} from {target.host}", wait or 0.0
        except requests.RequestException as error:
            return f"no answer from {target.host} ({type(error).__name__})", 0.0

    def _failed(
        self, target: _Target, ids: list[int], error: str, retry_after: float, now: datetime
    ) -> int:
        """Count a failed attempt on the batch: its events wait the backoff (the longest
        attempt's), and those out of attempts die. How many died."""
        deliveries, policy = WebhookDeliveryRow, self.policy
        with writing(self.engine) as connection:
            attempts = self._attempts(connection, ids) + 1
            wait = max(policy.delay_s(attempts), retry_after)
            connection.execute(
                update(deliveries)
                .where(deliveries.id.in_(ids))
                .values(
                    attempts=deliveries.attempts + 1,
                    last_error=error,
                    next_attempt_at=now + timedelta(seconds=wait),
                )
            )
            died = connection.execute(
                update(deliveries)
                .where(deliveries.id.in_(ids), deliveries.attempts >= policy.max_attempts)
                .values(status=DEAD)
            ).rowcount
        if died:
            log.warning(
                "webhook %d: %s; %d events given up after %d attempts (relhub webhooks dead)",
                target.id,
                error,
                died,
                policy.max_attempts,
            )
        else:
            log.warning(
                "webhook %d: %s; attempt %d of %d, next in %.0f s",
                target.id,
                error,
                attempts,
                policy.max_attempts,
                wait,
            )
        return int(died)

    @staticmethod
    def _attempts(connection: Connection, ids: list[int]) -> int:
        return int(
            connection.execute(
                select(func.max(WebhookDeliveryRow.attempts)).where(WebhookDeliveryRow.id.in_(ids))
            ).scalar_one()
        )
