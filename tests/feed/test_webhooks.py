"""Webhooks: signed POSTs of the change feed to a real HTTP receiver on loopback, in feed
order, retried with backoff, dead-lettered, replayed from a cursor."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from identityfixtures import Shop, person
from sqlalchemy import Engine, func, select
from webhookfixtures import PATH, Clock, Receiver, commit_events, receiving

from hub.feed.events import CREATED, SPLIT, UPDATED
from hub.feed.signing import verify
from hub.feed.subscriptions import (
    WebhookError,
    add_subscription,
    dead_letters,
    list_subscriptions,
    remove_subscription,
    replay,
)
from hub.feed.webhooks import Deliverer, RetryPolicy
from hub.store.feed_models import WebhookDeliveryRow
from hub.store.migrate import open_store


def _subscribe(engine: Engine, receiver: Receiver, events: list[str] | None = None) -> int:
    subscription, secret = add_subscription(engine, receiver.url, events or ["all"])
    assert secret is not None
    receiver.secret = secret
    return subscription.id


def _queued(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(WebhookDeliveryRow)).scalar_one()
        )


def test_signed_batches_arrive_in_feed_order(store_url: str) -> None:
    engine = open_store(store_url)
    commit_events(engine, 3)  # before the subscription: not sent
    clock = Clock()
    with receiving() as receiver:
        _subscribe(engine, receiver)
        for count in (4, 1, 5):
            commit_events(engine, count)
        report = Deliverer(engine, batch=4, clock=clock).deliver(wait_s=5)
    assert receiver.cursors == list(range(4, 14))
    assert [len(r.cursors) for r in receiver.received] == [4, 4, 2]
    assert all(r.signed for r in receiver.received)
    assert {r.timestamp for r in receiver.received} == {str(int(clock.now.timestamp()))}
    assert (report.requests, report.delivered, report.failed, report.dead) == (3, 10, 0, 0)
    first = receiver.received[0]
    assert verify(receiver.secret, first.timestamp, first.body, first.signature, now=time.time())
    assert _queued(engine) == 0  # acknowledged events leave the queue
    assert list_subscriptions(engine)[0].cursor == 13


def test_a_subscription_receives_only_its_event_types(store_url: str) -> None:
    engine = open_store(store_url)
    with receiving() as splits, receiving() as everything:
        _subscribe(engine, splits, ["split"])
        _subscribe(engine, everything, ["golden.created", "golden.split"])
        commit_events(engine, 9, split_every=3)
        Deliverer(engine, batch=2).deliver(wait_s=5)
        commit_events(engine, 2)  # no split: the split-only cursor still moves past them
        Deliverer(engine, batch=2).deliver(wait_s=5)
    assert [e["event"] for r in splits.received for e in r.events] == [SPLIT] * 3
    assert splits.cursors == [3, 6, 9]
    assert everything.cursors == list(range(1, 12))
    assert {e["event"] for r in everything.received for e in r.events} == {CREATED, SPLIT}
    assert [s.cursor for s in list_subscriptions(engine)] == [11, 11]


def test_a_failing_receiver_is_retried_with_backoff_and_keeps_the_order(store_url: str) -> None:
    engine = open_store(store_url)
    clock = Clock()
    deliverer = Deliverer(engine, RetryPolicy(first_delay_s=60), batch=10, clock=clock)
    with receiving() as receiver:
        _subscribe(engine, receiver)
        receiver.statuses = [500, 503]
        commit_events(engine, 2)
        assert deliverer.deliver(wait_s=5).failed == 1
        commit_events(engine, 1)  # committed while the first two wait: sent after them
        clock.advance(59)
        assert deliverer.deliver(wait_s=5).requests == 0  # not due before 60 s
        clock.advance(1)
        assert deliverer.deliver(wait_s=5).failed == 1  # second attempt; now waits 120 s
        clock.advance(119)
        assert deliverer.deliver(wait_s=5).requests == 0
        clock.advance(1)
        report = deliverer.deliver(wait_s=5)
    assert (report.requests, report.delivered) == (1, 3)
    assert [r.cursors for r in receiver.received] == [[1, 2], [1, 2, 3], [1, 2, 3]]
    assert _queued(engine) == 0


def test_retry_after_from_the_receiver_is_honoured(store_url: str) -> None:
    engine = open_store(store_url)
    clock = Clock()
    deliverer = Deliverer(engine, RetryPolicy(first_delay_s=1), clock=clock)
    with receiving() as receiver:
        _subscribe(engine, receiver)
        receiver.statuses = [429]
        receiver.retry_after = "30"
        commit_events(engine, 1)
        deliverer.deliver(wait_s=5)
        clock.advance(29)
        assert deliverer.deliver(wait_s=5).requests == 0
        clock.advance(1)
        assert deliverer.deliver(wait_s=5).delivered == 1


def test_events_die_after_the_last_attempt_and_a_replay_sends_them_again(store_url: str) -> None:
    engine = open_store(store_url)
    clock = Clock()
    deliverer = Deliverer(engine, RetryPolicy(max_attempts=3, first_delay_s=10), clock=clock)
    with receiving() as receiver:
        subscription = _subscribe(engine, receiver)
        receiver.statuses = [500, 500, 500]
        commit_events(engine, 2)
        for wait in (0, 10, 20):
            clock.advance(wait)
            report = deliverer.deliver(wait_s=5)
        assert (report.failed, report.dead) == (1, 2)
        letters = dead_letters(engine)
        assert [(d.position, d.event, d.attempts) for d in letters] == [
            (1, CREATED, 3),
            (2, CREATED, 3),
        ]
        host = receiver.url.split("/")[2]
        assert {d.last_error for d in letters} == {f"HTTP 500 from {host}"}
        commit_events(engine, 1)  # the queue moves on past the dead
        assert deliverer.deliver(wait_s=5).delivered == 1
        assert receiver.cursors[-1:] == [3]

        replay(engine, subscription, after=0)
        assert dead_letters(engine) == []
        assert deliverer.deliver(wait_s=5).delivered == 3
    assert receiver.cursors == [1, 2, 1, 2, 1, 2, 3, 1, 2, 3]


def test_replay_from_a_cursor_resends_what_follows_it(store_url: str) -> None:
    engine = open_store(store_url)
    with receiving() as receiver:
        subscription = _subscribe(engine, receiver)
        commit_events(engine, 5)
        Deliverer(engine).deliver(wait_s=5)
        replay(engine, subscription, after=3)
        Deliverer(engine).deliver(wait_s=5)
        with pytest.raises(WebhookError, match="not in the feed"):
            replay(engine, subscription, after=6)
    assert receiver.cursors == [1, 2, 3, 4, 5, 4, 5]


def test_a_receiver_with_another_secret_refuses_every_request(store_url: str) -> None:
    engine = open_store(store_url)
    with receiving() as receiver:
        _subscribe(engine, receiver)
        receiver.secret = "whsec_not-the-one-relhub-signs-with"
        commit_events(engine, 1)
        report = Deliverer(engine).deliver(wait_s=5)
    assert report.failed == 1 and not receiver.received[0].signed
    request = receiver.received[0]
    assert not verify(
        receiver.secret, request.timestamp, request.body, request.signature, time.time()
    )


def test_verify_refuses_a_stale_timestamp_or_a_changed_body(store_url: str) -> None:
    engine = open_store(store_url)
    with receiving() as receiver:
        _subscribe(engine, receiver)
        commit_events(engine, 1)
        Deliverer(engine).deliver(wait_s=5)
    request, secret = receiver.received[0], receiver.secret
    sent = int(request.timestamp)
    assert verify(secret, request.timestamp, request.body, request.signature, now=sent + 300)
    assert not verify(secret, request.timestamp, request.body, request.signature, now=sent + 301)
    changed = request.body.replace(b'"cursor":"1"', b'"cursor":"2"')
    assert changed != request.body
    assert not verify(secret, request.timestamp, changed, request.signature, now=sent)


def test_a_removed_subscription_receives_nothing(store_url: str) -> None:
    engine = open_store(store_url)
    clock = Clock()
    deliverer = Deliverer(engine, clock=clock)
    with receiving() as kept, receiving() as removed:
        _subscribe(engine, kept)
        gone = _subscribe(engine, removed)
        removed.statuses = [500]
        commit_events(engine, 2)
        deliverer.deliver(wait_s=5)  # a failed delivery stays owed to it
        remove_subscription(engine, gone)
        commit_events(engine, 1)
        clock.advance(3600)  # long past its retry
        deliverer.deliver(wait_s=5)
        with pytest.raises(WebhookError, match=f"no webhook subscription {gone}"):
            remove_subscription(engine, gone)
    assert kept.cursors == [1, 2, 3]
    assert removed.cursors == [1, 2]  # the one failed attempt, before the removal
    assert gone not in [s.id for s in list_subscriptions(engine)]
    assert _queued(engine) == 0


def test_neither_the_secret_nor_the_url_is_logged(
    store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")
    engine = open_store(store_url)
    clock = Clock()
    deliverer = Deliverer(engine, RetryPolicy(max_attempts=2, first_delay_s=1), clock=clock)
    with receiving() as receiver:
        subscription = _subscribe(engine, receiver)
        receiver.statuses = [500, 500]
        commit_events(engine, 1)
        deliverer.deliver(wait_s=5)
        clock.advance(1)
        deliverer.deliver(wait_s=5)  # dead
        commit_events(engine, 1)
        deliverer.deliver(wait_s=5)  # delivered
    logged = caplog.text
    assert f"webhook {subscription}: HTTP 500" in logged and "given up" in logged  # it did log
    assert "delivered" in logged
    assert "/[hidden] HTTP/1.1" in logged  # urllib3's debug lines, without the target
    for hidden in (receiver.secret, PATH.split("?")[0], "path-credential"):
        assert hidden not in logged  # at any level, urllib3's debug lines included
    assert all("path-credential" not in (d.last_error or "") for d in dead_letters(engine))


def test_the_loop_delivers_what_commits_while_it_runs(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    stop = threading.Event()
    with receiving() as receiver:
        _subscribe(engine, receiver)
        loop = threading.Thread(target=Deliverer(engine).follow, args=(0.05, stop))
        loop.start()
        commit_events(engine, 2)
        deadline = time.monotonic() + 10
        while receiver.cursors != [1, 2] and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        loop.join()
    assert receiver.cursors == [1, 2]


def test_a_resolve_s_changes_reach_the_receiver(tmp_path: Path, store_url: str) -> None:
    """The whole loop: a sync and resolve commit golden records, the deliverer sends their
    events, each naming a golden record the store holds."""
    shop = Shop(tmp_path, store_url, {i: person(i) for i in range(3)})
    with receiving() as receiver:
        _subscribe(shop.engine, receiver, ["created", "updated"])
        shop.cycle()
        shop.put(1, {**person(1), "first": "Renamed"})
        shop.cycle()
        Deliverer(shop.engine).deliver(wait_s=5)
    events = [event for request in receiver.received for event in request.events]
    assert [e["event"] for e in events] == [CREATED] * 3 + [UPDATED]
    assert {e["golden_id"] for e in events[:3]} == {shop.golden_of(i) for i in range(3)}
    assert events[3]["golden_id"] == shop.golden_of(1)
    assert events[3]["detail"]["fields"]
