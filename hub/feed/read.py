"""Reading the change feed in commit order, after a cursor (a feed position)."""

from __future__ import annotations

import bisect
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Select, select, tuple_

from hub.feed.events import Change
from hub.store.bulk import key_chunks
from hub.store.feed_models import HEAD_ID, ChangeCommitRow, ChangeEventRow, ChangeFeedHeadRow

_commits, _changes = ChangeCommitRow.__table__, ChangeEventRow.__table__


def _select_changes() -> Select[Any]:
    """Events with their feed positions: a commit's first position plus the event's seq."""
    return select(
        (_commits.c.first_event + _changes.c.seq - 1).label("position"),
        _changes.c.event,
        _changes.c.golden_id,
        _changes.c.entity_kind,
        _changes.c.detail,
        _changes.c.run_id,
        _commits.c.committed_at,
    ).select_from(_commits.join(_changes, _changes.c.run_id == _commits.c.run_id))


def changes_after(
    connection: Connection,
    after: int,
    limit: int,
    event_types: Collection[str] | None = None,
) -> list[Change]:
    """Up to `limit` events at positions after `after`, in commit order (of these types).

    A run's events become visible together with its commit row, and a commit's positions
    follow every earlier commit's, so a reader never skips an event it will see later."""
    query = (
        _select_changes()
        .where(_commits.c.last_event > after, _changes.c.seq > (after + 1) - _commits.c.first_event)
        .order_by(_commits.c.last_event, _changes.c.seq)
        .limit(limit)
    )
    if event_types is not None:
        query = query.where(_changes.c.event.in_(sorted(event_types)))
    return [Change(**row._mapping) for row in connection.execute(query)]


def changes_at(connection: Connection, positions: Collection[int]) -> dict[int, Change]:
    """The committed events at these positions, however far apart: each position is
    turned into its run and seq through the commits spanning them, then read by key."""
    if not positions:
        return {}
    spans = connection.execute(
        select(_commits.c.first_event, _commits.c.run_id)
        .where(_commits.c.last_event >= min(positions), _commits.c.first_event <= max(positions))
        .order_by(_commits.c.first_event)
    ).all()
    firsts = [first for first, _ in spans]
    keys = set()
    for position in positions:
        first, run_id = spans[bisect.bisect_right(firsts, position) - 1]
        keys.add((run_id, position - first + 1))
    found: dict[int, Change] = {}
    for chunk in key_chunks(keys):
        query = _select_changes().where(
            _changes.c.run_id.in_({run_id for run_id, _ in chunk}),
            tuple_(_changes.c.run_id, _changes.c.seq).in_(chunk),
        )
        found.update((row.position, Change(**row._mapping)) for row in connection.execute(query))
    return found


def feed_head(connection: Connection) -> int:
    """The last position committed: where a consumer starting now begins."""
    head = ChangeFeedHeadRow.__table__
    return int(
        connection.execute(select(head.c.last_event).where(head.c.id == HEAD_ID)).scalar_one()
    )
