"""What a resolve writes: each record's golden id, the golden records survived from
their members, and the pairs it linked or sent to review.

A full resolve rewrites every table; an incremental one rewrites only the rows whose
content changed, as each row rewritten costs a page in every index of its table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, update

from hub.feed.record import ChangeRecorder
from hub.golden import merged_into
from hub.resolve.identity_tables import decisions_touching, same_decision
from hub.resolve.survivorship_pages import Fetch, GoldenPlan, survived_pages
from hub.review import field_overrides
from hub.store.bulk import (
    chunks,
    delete_in,
    delete_pairs,
    filled_from_empty,
    insert_rows,
    select_in,
)
from hub.store.db import insert_values, utcnow
from hub.store.identity_models import (
    MERGED,
    RETIRED,
    GoldenIdHistoryRow,
    GoldenMemberRow,
    GoldenRecordRow,
    LinkRow,
    ReviewRow,
)
from identity import GoldenIdAssignment, current_id, record_key_parts
from identity.survivorship import SurvivorshipSettings

GOLDEN_PAGE = 2000  # golden records survived per read of their members


@dataclass(frozen=True)
class Survival:
    """Golden records being survived (`Writers.surviving`): their ids a page at a time,
    and each page's rows as they come."""

    pages: list[list[str]]
    rows: Iterator[list[dict[str, Any]]]


@dataclass
class Writers:
    """The writers of one resolve's run, in its transaction; `changes` records the golden
    records' events for the change feed as they are written."""

    connection: Connection
    run_id: int
    full: bool
    changes: ChangeRecorder
    progress: Callable[[str, int], None]

    def members(self, resolved: set[str], ids: dict[str, str], old_ids: dict[str, str]) -> None:
        """Each record's golden id. A resolve, full or not, rewrites only the rows whose id
        changed (each row costs a page in every index of the table), so a row names the run
        that gave the record its golden id."""
        table = GoldenMemberRow.__table__
        moved = {key: golden_id for key, golden_id in ids.items() if old_ids.get(key) != golden_id}
        delete_in(
            self.connection,
            table,
            "record_key",
            [key for key in resolved if key in old_ids and (key not in ids or key in moved)],
        )
        with filled_from_empty(self.connection, table):
            insert_values(  # as tuples: a full resolve writes a row a record, none processed
                self.connection,
                table,
                ("record_key", "system", "object", "source_id", "golden_id", "run_id"),
                [
                    (key, *record_key_parts(key), golden_id, self.run_id)
                    for key, golden_id in moved.items()
                ],
            )

    def unchanged(
        self, ids: dict[str, str], old_ids: dict[str, str], changed: set[str]
    ) -> set[str]:
        """Golden ids that keep exactly their members, none of them changed (a steward
        decision names its records as changed): survivorship would give them what they
        hold, so an incremental resolve leaves their rows alone."""
        if self.full:
            return set()
        before: dict[str, set[str]] = {}
        for key, golden_id in old_ids.items():
            before.setdefault(golden_id, set()).add(key)
        after: dict[str, set[str]] = {}
        for key, golden_id in ids.items():
            after.setdefault(golden_id, set()).add(key)
        return {
            golden_id
            for golden_id, keys in after.items()
            if before.get(golden_id) == keys and not keys & changed
        }

    def _overrides(self, assignment: GoldenIdAssignment) -> dict[str, dict[str, Any]]:
        """Steward field overrides by the golden id they apply to after this run's merges."""
        merges = merged_into(self.connection) | dict(assignment.merges)
        by_id: dict[str, dict[str, Any]] = {}
        for _, golden_id, name, value in field_overrides(self.connection):
            by_id.setdefault(current_id(golden_id, merges), {})[name] = value
        return by_id

    @contextmanager
    def surviving(
        self,
        fetch: Fetch,
        ids: dict[str, str],
        assignment: GoldenIdAssignment,
        ages: dict[str, int],
        unchanged: set[str],
        survivorship: SurvivorshipSettings,
    ) -> Iterator[Survival]:
        """Start surviving every golden record not `unchanged`, a page of golden records at
        a time (their members read through `fetch`), so a full resolve holds one page of
        records: forked workers survive on while the resolve writes its other tables, and
        `golden` stores their rows."""
        members: dict[str, list[str]] = {}
        for key in sorted(ids):
            if ids[key] not in unchanged:
                members.setdefault(ids[key], []).append(key)
        overrides = self._overrides(assignment)
        plan = GoldenPlan(members, fetch, survivorship, overrides, ages, self.run_id)
        pages = list(chunks(sorted(members), GOLDEN_PAGE))
        with survived_pages(self.connection, plan, pages) as rows:
            yield Survival(pages, rows)

    def golden(self, survival: Survival, assignment: GoldenIdAssignment) -> tuple[int, int]:
        """Store the survived golden records whose digest differs from the stored row's (a
        full resolve that moves nothing writes nothing); mark the merged and retired ids,
        and record the ids' history. Returns how many golden records were survived, and
        how many of them were left as stored."""
        run_id = self.run_id
        split_from = {new: old for old, new in assignment.splits}
        table = GoldenRecordRow.__table__
        digests = (table.c.golden_id, table.c.digest)
        minted = set(assignment.minted)  # never issued before: no stored row to read
        done = kept = 0
        for page, rows in zip(survival.pages, survival.rows, strict=True):
            issued = [golden_id for golden_id in page if golden_id not in minted]
            stored = dict(select_in(self.connection, digests, table.c.golden_id, issued))
            fresh = [row for row in rows if stored.get(row["golden_id"]) != row["digest"]]
            rewritten = [row["golden_id"] for row in fresh if row["golden_id"] in stored]
            before = self.changes.before(rewritten)
            delete_in(self.connection, table, "golden_id", rewritten)
            insert_rows(self.connection, table, fresh)
            self.changes.written(before, fresh, split_from)
            done, kept = done + len(rows), kept + len(rows) - len(fresh)
            self.progress("golden records", done)
        for status, gone in (
            (MERGED, [old for old, _ in assignment.merges]),
            (RETIRED, assignment.retired),
        ):
            for old in gone:
                self.connection.execute(
                    update(table)
                    .where(table.c.golden_id == old)
                    .values(status=status, member_count=0, updated_run_id=run_id, digest=None)
                )
        self.changes.identities(assignment.merges, assignment.retired)
        now = utcnow()
        history: list[tuple[str, str, str | None]] = [
            (gid, "minted", None) for gid in assignment.minted
        ]
        history += [(old, "merged_into", into) for old, into in assignment.merges]
        history += [(new, "split_from", old) for old, new in assignment.splits]
        history += [(old, "retired", None) for old in assignment.retired]
        insert_rows(  # the run and the time processed once: a first resolve mints every id
            self.connection,
            GoldenIdHistoryRow.__table__,
            [
                {"golden_id": gid, "event": event, "other_id": other}
                for gid, event, other in history
            ],
            {"run_id": run_id, "at": now},
        )
        return done, kept

    def pairs(
        self,
        model: type[LinkRow] | type[ReviewRow],
        rows: list[dict[str, Any]],
        resolved: set[str],
        changed: set[str],
    ) -> None:
        """Replace the pairs this run decided anew: both records re-resolved, or either
        changed (a pair between an untouched record and one outside the batch stands). A
        pair decided as before keeps its row (and the run that first decided it): most
        links of a changed record stay what they were, and each row rewritten costs a page
        in both indexes of the table. A full resolve decides every pair anew: it compares
        them all with the stored ones, read in one scan."""
        table = model.__table__
        stored = decisions_touching(self.connection, table, None if self.full else resolved)
        decided = {
            (a, b)
            for a, b in stored
            if (a in resolved and b in resolved) or a in changed or b in changed
        }
        fresh = {(row["left_key"], row["right_key"]): row for row in rows}
        same = {pair for pair in decided & fresh.keys() if same_decision(stored[pair], fresh[pair])}
        delete_pairs(self.connection, (table.c.left_key, table.c.right_key), decided - same)
        with filled_from_empty(self.connection, table):
            insert_rows(
                self.connection, table, [row for pair, row in fresh.items() if pair not in same]
            )
