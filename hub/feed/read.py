"""Reading the change feed in commit order, after a cursor (a feed position)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, select

from hub.feed.events import Change
from hub.store.feed_models import HEAD_ID, ChangeCommitRow, ChangeEventRow, ChangeFeedHeadRow


def changes_after(
    connection: Connection,
    after: int,
    limit: int,
    event_types: Collection[str] | None = None,
) -> list[Change]:
    """Up to `limit` events at positions after `after`, in commit order (of these types).

    A run's events become visible together with its commit row, and a commit's positions
    follow every earlier commit's, so a reader never skips an event it will see later."""
    commits, changes = ChangeCommitRow.__table__, ChangeEventRow.__table__
    query = (
        select(
            (commits.c.first_event + changes.c.seq - 1).label("position"),
            changes.c.event,
            changes.c.golden_id,
            changes.c.entity_kind,
            changes.c.detail,
            changes.c.run_id,
            commits.c.committed_at,
        )
        .select_from(commits.join(changes, changes.c.run_id == commits.c.run_id))
        .where(commits.c.last_event > after, changes.c.seq > (after + 1) - commits.c.first_event)
        .order_by(commits.c.last_event, changes.c.seq)
        .limit(limit)
    )
    if event_types is not None:
        query = query.where(changes.c.event.in_(sorted(event_types)))
    return [Change(**row._mapping) for row in connection.execute(query)]


def feed_head(connection: Connection) -> int:
    """The last position committed: where a consumer starting now begins."""
    head = ChangeFeedHeadRow.__table__
    return int(
        connection.execute(select(head.c.last_event).where(head.c.id == HEAD_ID)).scalar_one()
    )
