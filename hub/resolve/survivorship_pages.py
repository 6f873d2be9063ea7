"""Golden-record rows survived a page at a time, in forked workers while this process writes.

Survivorship is CPU-bound Python (parse the members, pick every field, dump the row's
JSON): in the resolving process alone it took 140 s of a 1M-record full resolve. Each
worker inherits the page plan by forking, reads the members of its pages through a read
connection of its own (a resolve writes no source records, so what the resolving
transaction has not committed is nothing a worker needs), and sends back finished rows,
JSON already dumped, through a file of its own (`workers.forked.Spilled`): they start once
the golden ids are known and survive on while the resolving process writes the index,
members and pairs, which it alone would otherwise write with the second core idle; it
then stores the rows in page order.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Connection

from hub.golden import golden_row_values
from hub.store.db import JSONText
from hub.store.identity_models import ACTIVE
from identity import Record, survive
from identity.survivorship import SurvivorshipSettings
from workers.forked import Spilled, can_fork

WORKERS = min(4, os.cpu_count() or 1)  # the resolving process stores while they survive
# A worker's SQLite page cache: the store's 64 MiB, filled by each worker with the member
# pages it reads once, made a 100k full resolve's peak 100 MB larger with two workers; the
# key index its reads probe fits in this.
WORKER_CACHE_KIB = 16 * 1024
_JSON_COLUMNS = ("fields", "roles", "lifecycle")
_CONTENT = ("entity_kind", "status", "member_count", "lifecycle_stage", *_JSON_COLUMNS)
Fetch = Callable[[Connection, Collection[str]], Mapping[str, Record]]
"""The records of these keys, read through a connection (or a batch already in memory)."""


@dataclass(frozen=True)
class GoldenPlan:
    """What surviving any page of golden records needs: each golden id's member keys,
    how to read members, the rules, the stewards' overrides, and the runs that created
    and update the rows."""

    members: dict[str, list[str]]
    fetch: Fetch
    settings: SurvivorshipSettings
    overrides: dict[str, dict[str, Any]]
    created: dict[str, int]
    run_id: int

    def rows(self, connection: Connection, page: Sequence[str]) -> list[dict[str, Any]]:
        """The golden records of these ids as rows, their members read through `connection`
        (the JSON columns as plain text: `documents` marks them for the store)."""
        records = self.fetch(connection, [k for g in page for k in self.members[g]])
        rows = []
        for golden_id in page:
            group = [records[key] for key in self.members[golden_id]]
            values = golden_row_values(survive(group, self.settings, self.overrides.get(golden_id)))
            row = {
                "golden_id": golden_id,
                "status": ACTIVE,
                "member_count": len(group),
                "created_run_id": self.created.get(golden_id, self.run_id),
                "updated_run_id": self.run_id,
                **values,
            }
            row["digest"] = content_digest(row)
            rows.append(row)
        return rows


def content_digest(row: Mapping[str, Any]) -> str:
    """The digest of what a golden row holds, its runs aside: a row survived again with
    the digest it is stored with would be written as it stands."""
    text = "\x1f".join(str(row[name]) for name in _CONTENT)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@contextmanager
def survived_pages(
    connection: Connection, plan: GoldenPlan, pages: Sequence[Sequence[str]]
) -> Iterator[Iterator[list[dict[str, Any]]]]:
    """The rows of each page of golden ids, in order: from forked workers started at once
    (they survive on, spilling their rows, while the resolve writes its other tables) when
    there is more than one page and this process may fork, else survived here as read."""
    workers = min(WORKERS, len(pages))
    if workers < 2 or not can_fork() or _in_memory(connection):
        yield map(documents, map(partial(plan.rows, connection), pages))
        return
    engine = connection.engine

    @contextmanager
    def reading() -> Iterator[Callable[[Sequence[str]], list[dict[str, Any]]]]:
        engine.dispose(close=False)  # the forked pool's connections are the parent's
        with engine.connect() as own:
            if own.dialect.name == "sqlite":
                own.exec_driver_sql(f"PRAGMA cache_size = -{WORKER_CACHE_KIB}")
            yield partial(plan.rows, own)

    with Spilled(reading, pages, workers) as spilled:
        yield map(documents, spilled.outcomes())


def documents(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with their JSON columns' text marked as documents already dumped, once they
    are back in this process: a worker sends plain text, which pickles twelve times faster
    than the `str` subclass (1.5 against 17 ms a page of 1,000 rows)."""
    for row in rows:
        for name in _JSON_COLUMNS:
            row[name] = JSONText(row[name])
    return rows


def _in_memory(connection: Connection) -> bool:
    """An in-memory SQLite database exists in its one connection: a worker sees none."""
    url = connection.engine.url
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
