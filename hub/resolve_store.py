"""Store reads and writes of the resolve step: snapshots in, identity tables out.

Keys go to the database in chunks (SQLite allows at most 32,766 bound variables per
statement) and rows go in as Core executemany pages, not ORM units of work.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Table,
    Text,
    cast,
    delete,
    func,
    select,
    tuple_,
)

from hub.blocking_index import INDEX_VERSION
from hub.review import split_key
from hub.store.db import bulk_insert
from hub.store.identity_models import (
    MUST_LINK,
    BlockingKeyRow,
    FittedModelRow,
    GoldenMemberRow,
    GoldenRecordRow,
    LinkRow,
    RecordFeaturesRow,
    StewardDecisionRow,
)
from hub.store.models import Run, SourceRecordRow
from identity.engine import KINDS, NormalizedRecord
from identity.evidence import Link
from identity.features import feature_layout
from identity.records import CanonicalRecord, OrganizationRecord, PersonRecord
from identity.scoring import STORED_FORM, FittedModel
from identity.settings import ResolutionSettings

Record = PersonRecord | OrganizationRecord
T = TypeVar("T")
CHUNK = 500
PAGE = 5000
_RECORD = TypeAdapter(CanonicalRecord)


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """Lists of `size` items, taken in C (a full resolve writes millions of rows)."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def key_chunks(keys: Collection[Any]) -> Iterator[list[Any]]:
    """Keys in sorted chunks, for `IN (…)` lists: each chunk's rows then sit in a narrow
    range of the index, on pages the previous chunk read."""
    return chunks(sorted(keys))


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    for page in chunks(rows, PAGE):
        bulk_insert(connection, table, page)


@contextmanager
def refilled(connection: Connection, table: Table) -> Iterator[None]:
    """Empty a table and leave its secondary indexes out while the block fills it again,
    then build them: a build sorts the rows once, where each insert walks every index's
    B-tree at a random place (7M blocking-key rows into SQLite: 134 s with the index kept,
    59 s with it built after). Inside the caller's transaction, so a failure rolls the
    indexes back too. Only for tables no one else reads: on PostgreSQL a dropped index
    locks its table against readers until the transaction ends (the blocking index and
    the stored features, which only resolves read: another waits for this one)."""
    connection.execute(delete(table))
    for index in table.indexes:
        index.drop(connection)
    yield
    for index in table.indexes:
        index.create(connection)


def record_key(system: str, object_name: str, source_id: str) -> str:
    return f"{system}/{object_name}/{source_id}"


@dataclass
class Snapshot:
    """Source records of one batch: live ones parsed, deleted ones by key."""

    records: dict[str, Record] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)

    def add(self, other: Snapshot) -> None:
        self.records.update(other.records)
        self.gone |= other.gone


def _snapshot(rows: Iterable[Any]) -> Snapshot:
    snapshot = Snapshot()
    for system, object_name, source_id, deleted, canonical in rows:
        key = record_key(system, object_name, source_id)
        if deleted or canonical is None:
            snapshot.gone.add(key)
        else:
            snapshot.records[key] = _RECORD.validate_json(canonical)
    return snapshot


# The canonical document as its JSON text: pydantic parses text three times faster than it
# validates the dict a JSON column would first decode.
_SNAPSHOT_COLUMNS = (
    SourceRecordRow.system,
    SourceRecordRow.object,
    SourceRecordRow.source_id,
    SourceRecordRow.deleted,
    cast(SourceRecordRow.canonical, Text),
)


def load_where(connection: Connection, *where: ColumnElement[bool]) -> Snapshot:
    return _snapshot(connection.execute(select(*_SNAPSHOT_COLUMNS).where(*where)))


def live_records(connection: Connection) -> tuple[list[int], list[str], set[str]]:
    """Row ids and keys (in id order) of every live record, and their entity kinds: what a
    full resolve needs before it streams the records themselves."""
    ids: list[int] = []
    keys: list[str] = []
    kinds: set[str] = set()
    for row_id, system, object_name, source_id, kind in connection.execute(
        select(
            SourceRecordRow.id,
            SourceRecordRow.system,
            SourceRecordRow.object,
            SourceRecordRow.source_id,
            SourceRecordRow.entity_kind,
        )
        .where(SourceRecordRow.deleted.is_(False), SourceRecordRow.canonical.is_not(None))
        .order_by(SourceRecordRow.id)
    ):
        ids.append(row_id)
        keys.append(record_key(system, object_name, source_id))
        kinds.add(kind)
    return ids, keys, kinds


def record_pages(
    connection: Connection, ids: Sequence[int], keys: Sequence[str]
) -> Iterator[list[Record]]:
    """The records with these row ids, page by page in the given order, so that only one
    page is ever parsed at a time (a record deleted meanwhile fails the resolve)."""
    for id_page, key_page in zip(chunks(ids, PAGE), chunks(keys, PAGE), strict=True):
        page = load_where(connection, SourceRecordRow.id.in_(id_page)).records
        yield [page[key] for key in key_page]


def load_keys(connection: Connection, keys: Collection[str]) -> Snapshot:
    """Records by key, asked per (system, object) with `source_id IN (…)`: that walks the
    unique index, where SQLite answers a row-value `IN` by scanning the table."""
    by_object: dict[tuple[str, str], list[str]] = {}
    for key in keys:
        system, object_name, source_id = split_key(key)
        by_object.setdefault((system, object_name), []).append(source_id)
    snapshot = Snapshot()
    for (system, object_name), source_ids in by_object.items():
        for chunk in key_chunks(source_ids):
            snapshot.add(
                load_where(
                    connection,
                    SourceRecordRow.system == system,
                    SourceRecordRow.object == object_name,
                    SourceRecordRow.source_id.in_(chunk),
                )
            )
    return snapshot


def select_in(
    connection: Connection,
    columns: Sequence[Any],
    column: Any,
    values: Collection[Any],
    *where: ColumnElement[bool],
) -> list[Any]:
    """Rows whose `column` is among `values`, chunk by chunk."""
    rows: list[Any] = []
    for chunk in key_chunks(values):
        rows.extend(connection.execute(select(*columns).where(column.in_(chunk), *where)))
    return rows


def pairs_touching(
    connection: Connection, table: Table, keys: Collection[str], *columns: str
) -> dict[tuple[str, str], tuple[Any, ...]]:
    """Pairs with either record among `keys`, each with its values of `columns`: one
    indexed lookup per side (an OR of the two would scan the table on SQLite)."""
    selected = (table.c.left_key, table.c.right_key, *(table.c[name] for name in columns))
    found: dict[tuple[str, str], tuple[Any, ...]] = {}
    for side in (table.c.left_key, table.c.right_key):
        found.update(
            ((left, right), tuple(values))
            for left, right, *values in select_in(connection, selected, side, keys)
        )
    return found


def delete_pairs(
    connection: Connection,
    columns: tuple[Column[Any], Column[Any]],
    pairs: Collection[tuple[Any, Any]],
) -> None:
    """Delete rows by a two-column key. The plain `first IN (…)` lets SQLite walk the
    primary key (alone, a row-value `IN` scans the table); the row values then pick the
    exact rows."""
    first, second = columns
    for chunk in key_chunks(pairs):
        connection.execute(
            delete(first.table).where(
                first.in_({a for a, _ in chunk}), tuple_(first, second).in_(chunk)
            )
        )


def delete_in(connection: Connection, table: Table, column: str, values: Collection[Any]) -> None:
    for chunk in key_chunks(values):
        connection.execute(delete(table).where(table.c[column].in_(chunk)))


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


def block_sizes(connection: Connection, blocks: Collection[str]) -> dict[str, int]:
    """Stored records per block, counted on the index (a block of thousands costs no
    more than one of two)."""
    sizes: dict[str, int] = {}
    for chunk in key_chunks(blocks):
        rows = connection.execute(
            select(BlockingKeyRow.block, func.count())
            .where(BlockingKeyRow.block.in_(chunk))
            .group_by(BlockingKeyRow.block)
        )
        sizes.update((block, count) for block, count in rows)
    return sizes


def blocks_of(connection: Connection, keys: Collection[str]) -> dict[str, dict[str, int]]:
    """The stored block digests of these records, each with its cap (as
    `hub.blocking_index.index_entries` gives them)."""
    found: dict[str, dict[str, int]] = {}
    for key, block, cap in select_in(
        connection,
        (BlockingKeyRow.record_key, BlockingKeyRow.block, BlockingKeyRow.cap),
        BlockingKeyRow.record_key,
        keys,
    ):
        found.setdefault(key, {})[block] = cap
    return found


def load_features(connection: Connection, keys: Collection[str]) -> list[NormalizedRecord]:
    """The stored normalized values of these records (those that have them), decoded as
    one JSON array: one call instead of one per record."""
    rows = select_in(
        connection,
        (RecordFeaturesRow.record_key, RecordFeaturesRow.entity_kind, RecordFeaturesRow.features),
        RecordFeaturesRow.record_key,
        keys,
    )
    values = json.loads(f"[{','.join(features for _, _, features in rows)}]")
    return list(
        map(
            NormalizedRecord._make,
            ((key, kind, v) for (key, kind, _), v in zip(rows, values, strict=True)),
        )
    )


def block_members(connection: Connection, blocks: Collection[str]) -> dict[str, set[str]]:
    members: dict[str, set[str]] = {}
    for block, key in select_in(
        connection, (BlockingKeyRow.block, BlockingKeyRow.record_key), BlockingKeyRow.block, blocks
    ):
        members.setdefault(block, set()).add(key)
    return members


def must_link_pairs(connection: Connection) -> list[tuple[str, str]]:
    return [
        (left, right)
        for left, right in connection.execute(
            select(StewardDecisionRow.left_key, StewardDecisionRow.right_key).where(
                StewardDecisionRow.kind == MUST_LINK
            )
        )
    ]


def pair_rows(
    links: Iterable[Link], keys: Sequence[str], kinds: Sequence[str], run_id: int
) -> list[dict[str, Any]]:
    """Engine links (record indices) as rows keyed by record keys, smaller key left."""
    rows = []
    for link in links:
        left, right = sorted((keys[link.left], keys[link.right]))
        rows.append(
            {
                "left_key": left,
                "right_key": right,
                "entity_kind": kinds[link.left],
                "probability": link.probability,
                "match_weight": link.match_weight,
                "rule": link.rule,
                "run_id": run_id,
                "evidence": [
                    {"comparison": f.comparison, "level": f.level, "weight": f.weight}
                    for f in link.fields
                ],
            }
        )
    return rows


def source_mark(connection: Connection) -> int:
    """The newest sync run whose records are all visible: below any sync still running."""
    newest = connection.execute(select(func.max(SourceRecordRow.last_run_id))).scalar() or 0
    running = connection.execute(
        select(func.min(Run.id)).where(Run.step == "sync", Run.status == "running")
    ).scalar()
    return min(newest, running - 1) if running is not None else newest


def decision_mark(connection: Connection) -> int:
    return connection.execute(select(func.max(StewardDecisionRow.id))).scalar() or 0


def link_neighbours(connection: Connection, keys: Collection[str]) -> set[str]:
    return {key for pair in pairs_touching(connection, LinkRow.__table__, keys) for key in pair}


def settings_digest(settings: ResolutionSettings) -> str:
    """Which resolution settings a model was fitted under: any change (a comparison, a
    threshold, a survivorship rule) can change every golden record, so it calls for a
    full resolve rather than an incremental one on stale parameters. The blocking index's
    digest scheme, the layout of the stored features and the stored form of a model are
    part of it: a store indexed or fitted otherwise is resolved in full once."""
    layouts = json.dumps({kind: feature_layout(kind) for kind in KINDS})
    text = INDEX_VERSION + layouts + STORED_FORM + settings.model_dump_json()
    return hashlib.sha256(text.encode()).hexdigest()


def save_models(
    connection: Connection, models: Mapping[str, FittedModel], digest: str, run_id: int
) -> None:
    """Replace the stored models with the ones a full resolve just fitted."""
    table = FittedModelRow.__table__
    connection.execute(delete(table))
    insert_rows(
        connection,
        table,
        [
            {
                "entity_kind": kind,
                "settings_digest": digest,
                "run_id": run_id,
                "parameters": model.to_dict(),
            }
            for kind, model in models.items()
        ],
    )


def load_models(connection: Connection, digest: str) -> dict[str, FittedModel] | None:
    """The stored models by entity kind; None if there are none or any was fitted under
    other settings (JSON keeps a float64 exactly, so the weights are the full run's)."""
    rows = connection.execute(
        select(
            FittedModelRow.entity_kind, FittedModelRow.settings_digest, FittedModelRow.parameters
        )
    ).all()
    if not rows or any(row.settings_digest != digest for row in rows):
        return None
    return {kind: FittedModel.from_dict(parameters) for kind, _, parameters in rows}
