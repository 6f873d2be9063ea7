"""The feed's cursor under concurrent commits: a follower never misses or repeats an event.

Resolves run in threads against one store while syncs feed them changes (resolves wait
for each other's run lock), and writers hold transactions with recorded events open
across the resolves' commits; a follower reads small pages meanwhile. Positions are
taken at commit, so the follower sees every position once, in order, and never a
position that a later read shows differently.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

from identityfixtures import Shop, person
from sqlalchemy import Engine, select
from syncfixtures import write_rows

from hub.feed.events import CREATED, UPDATED, Change
from hub.feed.read import changes_after, feed_head
from hub.feed.record import ChangeRecorder
from hub.resolve import resolve
from hub.store import runs
from hub.store.db import writing
from hub.store.feed_models import ChangeCommitRow
from hub.store.models import Run
from hub.sync import sync_source


def _hold_open(engine: Engine, writer: int, stop: threading.Event) -> None:
    """Transactions that record events, then wait before committing, so commits cross."""
    rng = random.Random(writer)
    while not stop.wait(rng.uniform(0, 0.05)):
        run_id = runs.start_run(engine, "feed-writer", f"writer-{writer}")
        with writing(engine) as connection:
            recorder = ChangeRecorder(connection, run_id)
            rows = [
                {
                    "golden_id": f"w{writer}-{run_id}-{n}",
                    "entity_kind": "person",
                    "roles": [],
                    "lifecycle_stage": None,
                }
                for n in range(rng.randint(1, 4))
            ]
            recorder.written({}, rows, {})
            time.sleep(rng.uniform(0, 0.05))
            recorder.commit()


def _resolve_until(shop: Shop, stop: threading.Event) -> None:
    while not stop.wait(0.01):
        resolve(shop.config, shop.engine)


def _follow(engine: Engine, stop: threading.Event, seen: list[Change]) -> None:
    """A consumer: pages of three after its cursor until told to stop, then to the end."""
    cursor = 0
    while True:
        stopping = stop.is_set()
        with engine.connect() as connection:
            page = changes_after(connection, cursor, 3)
        seen.extend(page)
        if page:
            cursor = page[-1].position
        elif stopping:
            return
        else:
            time.sleep(0.01)


def _sync(shop: Shop) -> None:
    write_rows(shop.folder / "customers.csv", list(shop.rows.values()))
    sync_source(shop.config, shop.engine, shop.config.sources[0])


def test_follower_sees_every_event_once_in_commit_order(tmp_path: Path, store_url: str) -> None:
    shop = Shop(tmp_path, store_url, {i: person(i) for i in range(8)})
    shop.cycle()
    stop, done = threading.Event(), threading.Event()
    seen: list[Change] = []
    follower = threading.Thread(target=_follow, args=(shop.engine, done, seen))
    workers = [
        *(threading.Thread(target=_resolve_until, args=(shop, stop)) for _ in range(3)),
        *(threading.Thread(target=_hold_open, args=(shop.engine, w, stop)) for w in range(2)),
    ]
    follower.start()
    for thread in workers:
        thread.start()
    for step in range(12):
        index = step % 8
        shop.put(index, {**person(index), "first": f"Renamed{step}"})
        _sync(shop)
        time.sleep(0.1)
    stop.set()
    for thread in workers:
        thread.join()
    resolve(shop.config, shop.engine)  # whatever the races left unresolved
    done.set()
    follower.join()

    with shop.engine.connect() as connection:
        head = feed_head(connection)
        everything = changes_after(connection, 0, head + 10)
        spans = connection.execute(
            select(ChangeCommitRow.run_id, ChangeCommitRow.first_event, ChangeCommitRow.last_event)
        ).all()
        statuses = dict(connection.execute(select(Run.id, Run.status)).all())
    assert [c.position for c in seen] == list(range(1, head + 1))
    assert seen == everything
    assert {c.event for c in seen} == {CREATED, UPDATED}  # resolves committed changes
    assert any(c.golden_id.startswith("w") for c in seen)  # and writers committed between
    for run_id, first, last in spans:  # a run's events are one span, in the order recorded
        assert [c.position for c in seen if c.run_id == run_id] == list(range(first, last + 1))
    assert all(statuses[c.run_id] != runs.FAILED for c in seen)
