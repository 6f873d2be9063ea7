"""Webhook subscriptions: who receives which event types, from which feed position, and
the deliveries given up on.

A subscription starts at the feed head: it receives what commits after it was added;
`replay` moves its cursor back to send again from any position. Changing a cursor or
removing a subscription takes the deliverer's lock, so no delivery pass is half-way
through the queue it rewrites. The signing secret is written here and read only by the
deliverer: no listing carries it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Engine, delete, func, insert, select, update

from hub.feed.events import EVENT_TYPES
from hub.feed.read import changes_at, feed_head
from hub.feed.signing import MIN_SECRET_LENGTH, new_secret
from hub.store.db import utcnow, writing
from hub.store.feed_models import WebhookDeliveryRow, WebhookSubscriptionRow
from hub.store.locks import DEFAULT_WAIT_S, run_lock

LOCK = "webhooks"
PENDING = "pending"
DEAD = "dead"
_PREFIX = "golden."


class WebhookError(ValueError):
    """A subscription request the store cannot accept (unknown id, event, bad URL)."""


@dataclass(frozen=True)
class Subscription:
    """A subscription as listed: everything but its secret."""

    id: int
    url: str
    events: tuple[str, ...]
    cursor: int
    created_at: datetime
    pending: int = 0
    dead: int = 0


@dataclass(frozen=True)
class DeadLetter:
    """An event a subscriber never acknowledged, after every attempt."""

    subscription_id: int
    position: int
    event: str
    golden_id: str
    attempts: int
    last_error: str | None


def parse_events(names: Iterable[str]) -> list[str]:
    """Event types from `golden.merged` or `merged`; `all` for every type."""
    wanted = {name.strip() for name in names if name.strip()}
    if wanted == {"all"}:
        return list(EVENT_TYPES)
    full = {name if name.startswith(_PREFIX) else _PREFIX + name for name in wanted}
    unknown = sorted(full - set(EVENT_TYPES))
    if unknown or not full:
        known = ", ".join(t.removeprefix(_PREFIX) for t in EVENT_TYPES)
        what = f"unknown event type {', '.join(map(repr, unknown))}" if unknown else "no event"
        raise WebhookError(f"{what}; choose from: {known} (or all)")
    return sorted(full)


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"a webhook URL is http:// or https:// with a host, not {url!r}")
    return url


def _checked_secret(secret: str) -> str:
    if len(secret) < MIN_SECRET_LENGTH or len(secret) > 128:
        raise WebhookError(
            f"a signing secret has {MIN_SECRET_LENGTH} to 128 characters "
            f"(this one has {len(secret)})"
        )
    return secret


def add_subscription(
    engine: Engine, url: str, events: Iterable[str], secret: str | None = None
) -> tuple[Subscription, str | None]:
    """A new subscription from the feed head, and its secret when it was generated here
    (to be shown once; a secret handed in is not handed back)."""
    types = parse_events(events)
    url = _checked_url(url)
    generated = new_secret() if secret is None else None
    with writing(engine) as connection:
        subscription_id = connection.execute(
            insert(WebhookSubscriptionRow)
            .values(
                url=url,
                events=types,
                secret=generated or _checked_secret(secret or ""),
                cursor=feed_head(connection),
                created_at=utcnow(),
            )
            .returning(WebhookSubscriptionRow.id)
        ).scalar_one()
    return get_subscription(engine, subscription_id), generated


def list_subscriptions(engine: Engine, only: int | None = None) -> list[Subscription]:
    """Every subscription (or the one numbered `only`) with its counts of pending and dead
    deliveries."""
    subs, deliveries = WebhookSubscriptionRow, WebhookDeliveryRow
    counts = (
        select(
            deliveries.subscription_id,
            func.count().filter(deliveries.status == PENDING).label("pending"),
            func.count().filter(deliveries.status == DEAD).label("dead"),
        )
        .group_by(deliveries.subscription_id)
        .subquery()
    )
    query = (
        select(
            subs.id,
            subs.url,
            subs.events,
            subs.cursor,
            subs.created_at,
            func.coalesce(counts.c.pending, 0),
            func.coalesce(counts.c.dead, 0),
        )
        .outerjoin(counts, counts.c.subscription_id == subs.id)
        .order_by(subs.id)
    )
    if only is not None:
        query = query.where(subs.id == only)
    with engine.connect() as connection:
        return [
            Subscription(id, url, tuple(events), cursor, created_at, pending, dead)
            for id, url, events, cursor, created_at, pending, dead in connection.execute(query)
        ]


def get_subscription(engine: Engine, subscription_id: int) -> Subscription:
    found = list_subscriptions(engine, only=subscription_id)
    if not found:
        raise WebhookError(f"no webhook subscription {subscription_id}")
    return found[0]


def remove_subscription(
    engine: Engine, subscription_id: int, wait_s: float = DEFAULT_WAIT_S
) -> Subscription:
    """Delete a subscription and everything still owed to it, dead letters included."""
    removed = get_subscription(engine, subscription_id)
    with run_lock(engine, LOCK, None, wait_s=wait_s), writing(engine) as connection:
        connection.execute(
            delete(WebhookDeliveryRow).where(WebhookDeliveryRow.subscription_id == subscription_id)
        )
        connection.execute(
            delete(WebhookSubscriptionRow).where(WebhookSubscriptionRow.id == subscription_id)
        )
    return removed


def replay(
    engine: Engine, subscription_id: int, after: int, wait_s: float = DEFAULT_WAIT_S
) -> Subscription:
    """Send again everything after `after`: the cursor moves back there, and the queued and
    dead deliveries past it are dropped, to be queued anew in feed order."""
    get_subscription(engine, subscription_id)
    with run_lock(engine, LOCK, None, wait_s=wait_s), writing(engine) as connection:
        head = feed_head(connection)
        if not 0 <= after <= head:
            raise WebhookError(f"cursor {after} is not in the feed (0 to {head})")
        connection.execute(
            delete(WebhookDeliveryRow).where(
                WebhookDeliveryRow.subscription_id == subscription_id,
                WebhookDeliveryRow.position > after,
            )
        )
        connection.execute(
            update(WebhookSubscriptionRow)
            .where(WebhookSubscriptionRow.id == subscription_id)
            .values(cursor=after)
        )
    return get_subscription(engine, subscription_id)


def dead_letters(engine: Engine, subscription_id: int | None = None) -> list[DeadLetter]:
    """The deliveries given up on, in feed order per subscription, with the event each held."""
    query = (
        select(WebhookDeliveryRow)
        .where(WebhookDeliveryRow.status == DEAD)
        .order_by(WebhookDeliveryRow.subscription_id, WebhookDeliveryRow.position)
    )
    if subscription_id is not None:
        query = query.where(WebhookDeliveryRow.subscription_id == subscription_id)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
        events = changes_at(connection, {row.position for row in rows})
    return [
        DeadLetter(
            row.subscription_id,
            row.position,
            events[row.position].event,
            events[row.position].golden_id,
            row.attempts,
            row.last_error,
        )
        for row in rows
    ]
