"""The identity tables as past resolves left them: golden ids and their members, links,
must-links; what an incremental resolve follows to find what a change reaches."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from itertools import repeat
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Table, Text, cast, select

from hub.store.bulk import select_in
from hub.store.db import JSONText, dumps
from hub.store.identity_models import (
    MUST_LINK,
    GoldenMemberRow,
    GoldenRecordRow,
    LinkRow,
    StewardDecisionRow,
)
from identity import LinkList


def golden_ids_of(connection: Connection, keys: Collection[str]) -> dict[str, str]:
    """Current golden id of each record key that has one."""
    member = GoldenMemberRow
    return {
        key: gid
        for key, gid in select_in(
            connection, (member.record_key, member.golden_id), member.record_key, keys
        )
    }


def all_golden_ids(connection: Connection) -> dict[str, str]:
    member = GoldenMemberRow
    rows = connection.execute(select(member.record_key, member.golden_id))
    return {key: gid for key, gid in rows}


def golden_mates(connection: Connection, keys: Collection[str]) -> set[str]:
    """Every member of the golden records these records belong to."""
    ids = set(golden_ids_of(connection, keys).values())
    return {
        key
        for (key,) in select_in(
            connection, (GoldenMemberRow.record_key,), GoldenMemberRow.golden_id, ids
        )
    }


def creation_runs(connection: Connection, golden_ids: Collection[str]) -> dict[str, int]:
    return {
        gid: run
        for gid, run in select_in(
            connection,
            (GoldenRecordRow.golden_id, GoldenRecordRow.created_run_id),
            GoldenRecordRow.golden_id,
            golden_ids,
        )
    }


def golden_id_taken(connection: Connection, *, preload: bool) -> Callable[[str], bool]:
    """Whether a golden id was ever issued: asked per id, or (`preload`, when a full
    resolve mints an id for most clusters) from every id read at once."""
    if preload:
        issued = set(connection.execute(select(GoldenRecordRow.golden_id)).scalars())
        return issued.__contains__

    def taken(golden_id: str) -> bool:
        return (
            connection.execute(
                select(GoldenRecordRow.golden_id).where(GoldenRecordRow.golden_id == golden_id)
            ).first()
            is not None
        )

    return taken


def must_link_pairs(connection: Connection) -> list[tuple[str, str]]:
    return [
        (left, right)
        for left, right in connection.execute(
            select(StewardDecisionRow.left_key, StewardDecisionRow.right_key).where(
                StewardDecisionRow.kind == MUST_LINK
            )
        )
        if left is not None and right is not None  # a must-link always names both
    ]


def link_neighbours(connection: Connection, keys: Collection[str]) -> set[str]:
    return {key for pair in pairs_touching(connection, LinkRow.__table__, keys) for key in pair}


def pairs_touching(
    connection: Connection,
    table: Table,
    keys: Collection[str] | None,
    *columns: ColumnElement[Any],
) -> dict[tuple[str, str], tuple[Any, ...]]:
    """Pairs with either record among `keys` (None: every pair, in one scan), each with its
    values of `columns`: one indexed lookup per side (an OR of the two would scan the
    table on SQLite)."""
    selected = (table.c.left_key, table.c.right_key, *columns)
    found: dict[tuple[str, str], tuple[Any, ...]] = {}
    if keys is None:
        rows = connection.execute(select(*selected))
        return {(left, right): tuple(values) for left, right, *values in rows}
    for side in (table.c.left_key, table.c.right_key):
        found.update(
            ((left, right), tuple(values))
            for left, right, *values in select_in(connection, selected, side, keys)
        )
    return found


# What a pair row decides besides its evidence (which `same_decision` compares on its own); its
# run is only when it was decided
_DECIDES = ("entity_kind", "probability", "match_weight", "rule")


def decisions_touching(
    connection: Connection, table: Table, keys: Collection[str] | None
) -> dict[tuple[str, str], tuple[Any, ...]]:
    """What the stored pairs touching `keys` (None: every pair) decide, their evidence as
    its stored text: `same_decision` compares them with fresh rows."""
    columns = (*(table.c[name] for name in _DECIDES), cast(table.c.evidence, Text))
    return pairs_touching(connection, table, keys, *columns)


def same_decision(stored: tuple[Any, ...], row: Mapping[str, Any]) -> bool:
    """Whether a stored pair (`decisions_touching`) decides what a row of `pair_rows` does.
    Evidence is the same when its text is, as SQLite keeps it, or else its values
    (PostgreSQL keeps JSONB in an order of its own), parsed by orjson (the plain `str` of
    the row's, as orjson takes no subclass). Decoded by the driver's `json.loads`, every
    stored pair's evidence took half of a repeat full resolve's links step on PostgreSQL;
    on SQLite it need not be parsed at all."""
    *values, evidence = stored
    if tuple(values) != tuple(row[name] for name in _DECIDES):
        return False
    text = str(row["evidence"])
    return bool(evidence == text or orjson.loads(evidence) == orjson.loads(text))


def pair_rows(
    links: LinkList, keys: Sequence[str], kinds: Sequence[str], run_id: int
) -> list[dict[str, Any]]:
    """Engine links (record indices) as rows keyed by record keys, smaller key left; the
    evidence as its JSON text, joined a link at a time from each comparison's outcome
    texts, each worked out once (a `dumps` of a list of dicts a link took a third of the
    links' step, and a text put together a comparison at a time, another 1.2 s of 1.7 at
    100k links)."""
    rows = []
    for table in links.tables:
        found = table.columns()
        pieces = []
        for i, (name, distinct, outcomes) in enumerate(found.fields):
            opening = f'{"," if i else ""}{{"comparison":{dumps(name)},"level":'
            numbers = _numbers([weight for _, weight in distinct])
            texts = [
                f'{opening}{dumps(label)},"weight":{number}}}'
                for (label, _), number in zip(distinct, numbers, strict=True)
            ]
            pieces.append(map(texts.__getitem__, outcomes))
        evidence = (
            map("".join, zip(*pieces, strict=True)) if pieces else repeat("", len(found.left))
        )
        for left, right, probability, weight, rule, text in zip(
            found.left,
            found.right,
            found.probability,
            found.match_weight,
            found.rule,
            evidence,
            strict=True,
        ):
            left_key, right_key = sorted((keys[left], keys[right]))
            rows.append(
                {
                    "left_key": left_key,
                    "right_key": right_key,
                    "entity_kind": kinds[left],
                    "probability": probability,
                    "match_weight": weight,
                    "rule": rule,
                    "run_id": run_id,
                    "evidence": JSONText(f"[{text}]"),
                }
            )
    return rows


def _numbers(values: list[float]) -> list[str]:
    """Floats as `dumps` writes them: their repr when all are finite (the usual case)."""
    return list(map(repr if all(map(math.isfinite, values)) else dumps, values))
