"""Recording a resolve's golden-record events, and giving them feed positions at commit.

The resolve rewrites only the golden records whose clusters moved, a page at a time; the
recorder reads those rows just before they are replaced and compares them with what
replaces them, so a change costs one indexed read of rows the resolve rewrites anyway.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select, update

from hub.feed import events
from hub.golden import plain_fields
from hub.store.bulk import insert_rows, select_in
from hub.store.db import JSONText, dumps, utcnow
from hub.store.feed_models import HEAD_ID, ChangeCommitRow, ChangeEventRow, ChangeFeedHeadRow
from hub.store.identity_models import ACTIVE, GoldenRecordRow

Event = tuple[str, str, str, dict[str, Any] | JSONText]  # golden id, entity kind, type, detail
_events = cast(Table, ChangeEventRow.__table__)
_commits = cast(Table, ChangeCommitRow.__table__)
_head = cast(Table, ChangeFeedHeadRow.__table__)
_golden = cast(Table, GoldenRecordRow.__table__)


@dataclass(frozen=True)
class GoldenState:
    """What a golden record held before this run rewrote it."""

    status: str
    fields: dict[str, Any]
    roles: list[str]
    lifecycle_stage: str | None


def _loaded(value: Any) -> Any:
    """A row's JSON column as values (the resolve hands some over already serialized)."""
    return json.loads(value) if isinstance(value, JSONText) else value


def created_detail(row: Mapping[str, Any]) -> dict[str, Any] | JSONText:
    """The detail of a golden record created: its roles and lifecycle stage. Roles the
    resolve hands over serialized are spliced into the detail's text as they are, not
    parsed to be written again (a first full resolve creates every golden record)."""
    roles, stage = row["roles"], row["lifecycle_stage"]
    if isinstance(roles, JSONText):
        return JSONText(f'{{"roles":{roles},"lifecycle_stage":{dumps(stage)}}}')
    return {"roles": roles, "lifecycle_stage": stage}


def differences(golden_id: str, before: GoldenState, after: Mapping[str, Any]) -> list[Event]:
    """The events between a golden record's stored state and its new row: field values
    (provenance alone is no change), lifecycle stage, roles gained and lost."""
    kind = after["entity_kind"]
    old, new = plain_fields(before.fields), plain_fields(_loaded(after["fields"]))
    found: list[Event] = []
    changed = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
    if changed:
        found.append((golden_id, kind, events.UPDATED, {"fields": changed}))
    if before.lifecycle_stage != after["lifecycle_stage"]:
        stages = {"from": before.lifecycle_stage, "to": after["lifecycle_stage"]}
        found.append((golden_id, kind, events.LIFECYCLE_CHANGED, stages))
    roles_before, roles_after = set(before.roles), set(_loaded(after["roles"]))
    if gained := sorted(roles_after - roles_before):
        found.append((golden_id, kind, events.ROLE_GAINED, {"roles": gained}))
    if lost := sorted(roles_before - roles_after):
        found.append((golden_id, kind, events.ROLE_LOST, {"roles": lost}))
    return found


class ChangeRecorder:
    """A resolve's events, written under its run id as they are decided (numbered in that
    order); `commit` places them in the feed as the transaction's last statement."""

    def __init__(self, connection: Connection, run_id: int) -> None:
        self.connection = connection
        self.run_id = run_id
        self.recorded = 0

    def before(self, golden_ids: Collection[str]) -> dict[str, GoldenState]:
        """The stored state of the golden records about to be rewritten."""
        columns = (_golden.c.golden_id, _golden.c.status, _golden.c.fields, _golden.c.roles)
        rows = select_in(
            self.connection, [*columns, _golden.c.lifecycle_stage], _golden.c.golden_id, golden_ids
        )
        return {
            row.golden_id: GoldenState(row.status, row.fields, row.roles, row.lifecycle_stage)
            for row in rows
        }

    def written(
        self,
        before: Mapping[str, GoldenState],
        rows: Iterable[Mapping[str, Any]],
        split_from: Mapping[str, str],
    ) -> None:
        """Events of golden rows just written: new ids (created, or split off another),
        and what changed on the others."""
        found: list[Event] = []
        for row in rows:
            golden_id, kind = row["golden_id"], row["entity_kind"]
            old = before.get(golden_id)
            if golden_id in split_from:
                found.append((golden_id, kind, events.SPLIT, {"split_from": split_from[golden_id]}))
            elif old is None or old.status != ACTIVE:
                found.append((golden_id, kind, events.CREATED, created_detail(row)))
            if old is not None and old.status == ACTIVE:
                found.extend(differences(golden_id, old, row))
        self._insert(found)

    def identities(self, merges: Iterable[tuple[str, str]], retired: Collection[str]) -> None:
        """Merges (one event per surviving id, naming the ids it absorbed) and retirements."""
        absorbed: dict[str, list[str]] = {}
        for old, into in merges:
            absorbed.setdefault(into, []).append(old)
        kinds = dict(
            select_in(
                self.connection,
                [_golden.c.golden_id, _golden.c.entity_kind],
                _golden.c.golden_id,
                absorbed.keys() | set(retired),
            )
        )
        found: list[Event] = [
            (into, kinds[into], events.MERGED, {"merged_ids": sorted(olds)})
            for into, olds in sorted(absorbed.items())
        ]
        found += [(old, kinds[old], events.RETIRED, {}) for old in sorted(retired)]
        self._insert(found)

    def _insert(self, found: list[Event]) -> None:
        insert_rows(
            self.connection,
            _events,
            [
                {
                    "run_id": self.run_id,
                    "seq": self.recorded + n,
                    "golden_id": golden_id,
                    "entity_kind": kind,
                    "event": event,
                    "detail": detail,
                }
                for n, (golden_id, kind, event, detail) in enumerate(found, start=1)
            ],
        )
        self.recorded += len(found)

    def commit(self) -> int | None:
        """Give this run's events their feed positions; the last statement before the
        transaction commits. Updating the head row locks it until the commit, so a run
        committing concurrently takes the positions after these only once these are
        visible: positions follow commit order, with no holes. None: nothing to place."""
        if not self.recorded:
            return None
        self.connection.execute(
            update(_head)
            .where(_head.c.id == HEAD_ID)
            .values(last_event=_head.c.last_event + self.recorded)
        )
        last = self.connection.execute(
            select(_head.c.last_event).where(_head.c.id == HEAD_ID)
        ).scalar_one()
        self.connection.execute(
            insert(_commits).values(
                run_id=self.run_id,
                first_event=last - self.recorded + 1,
                last_event=last,
                committed_at=utcnow(),
            )
        )
        return int(last)
