"""The stored records a record would meet in a resolve, found through the store's blocking
index (`hub.resolve.index`) exactly as an incremental resolve finds a changed record's
neighbours: the record's block digests, then the members of those blocks, then their
stored normalized values. Search and match on demand both start here; neither writes.

A request's round trips to the store are most of its wait on a loaded machine, so the
members of the blocks are read with their normalized values and golden ids in one
statement (match: one in all; search: after the sizes that choose its block).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, bindparam, func, outerjoin, select
from sqlalchemy.orm import aliased

from hub.resolve.index import IndexEntry, block_sizes, entries_of, normalized_records
from hub.store.identity_models import BlockingKeyRow, GoldenMemberRow, RecordFeaturesRow
from hub.store.prepared import Prepared, one_of
from identity import NormalizedRecord, Record, ResolutionSettings, feature_layout, index_probe
from identity.records import Provenance

PROBE = Provenance(system="api", object="probe", record_id="1")
PROBE_KEY = f"{PROBE.system}/{PROBE.object}/{PROBE.record_id}"
MAX_CANDIDATES = 5000  # a search narrower than this block is asked to say more


class Unsearchable(ValueError):
    """No blocking rule indexes what was asked, or its block is too large to read."""


class NotIndexed(Unsearchable):
    """No blocking rule of the probe's entity kind indexes the values asked for."""


@dataclass(frozen=True)
class Probe:
    """A record asked about, with its index entry (blocks and normalized values)."""

    record: Record
    entry: IndexEntry

    @property
    def normalized(self) -> NormalizedRecord:
        return NormalizedRecord(PROBE_KEY, self.entry.kind, self.entry.values)

    def value(self, feature: str) -> object:
        single, multi = feature_layout(self.entry.kind)
        return self.entry.values[[*single, *multi].index(feature)]


def probe(record: Record, settings: ResolutionSettings) -> Probe:
    return Probe(record, entries_of(index_probe(record, settings), settings)[0])


class Neighbour(NamedTuple):
    """A stored record with its golden id (None for a record no golden record holds)."""

    record: NormalizedRecord
    golden_id: str | None


def _stored_with_golden(keys: Select[str]) -> Select[str, str, str, str]:
    """The normalized values and golden id of the records `keys` selects."""
    features = RecordFeaturesRow
    return (
        select(
            features.record_key, features.entity_kind, features.features, GoldenMemberRow.golden_id
        )
        .select_from(
            outerjoin(features, GoldenMemberRow, GoldenMemberRow.record_key == features.record_key)
        )
        .where(features.record_key.in_(keys))
    )


_counted = aliased(BlockingKeyRow)


def _in_open_blocks(array: bool) -> Select[str, str, str, str]:
    """The records of the blocks the probe would not take over their rule's cap (the
    engine pairs nothing within a larger block): fewer stored members than the cap each
    row of it keeps."""
    open_blocks = (
        select(_counted.block)
        .where(one_of(_counted.block, "blocks", array=array))
        .group_by(_counted.block)
        .having(func.count() < func.min(_counted.cap))
    )
    return _stored_with_golden(
        select(BlockingKeyRow.record_key).where(BlockingKeyRow.block.in_(open_blocks))
    )


_IN_OPEN_BLOCKS = Prepared("relhub_in_open_blocks", _in_open_blocks(True), _in_open_blocks(False))
_IN_BLOCK = Prepared(
    "relhub_in_block",
    _stored_with_golden(
        select(BlockingKeyRow.record_key).where(BlockingKeyRow.block == bindparam("block"))
    ),
)


def _neighbours(rows: Sequence[Any]) -> list[Neighbour]:
    """Rows of `_stored_with_golden` as neighbours, in record-key order."""
    rows = sorted(rows, key=lambda row: row.record_key)
    return [
        Neighbour(record, row.golden_id)
        for record, row in zip(normalized_records(rows), rows, strict=True)
    ]


def scoring_neighbours(connection: Connection, asked: Probe) -> list[Neighbour]:
    """The stored records the engine would score the probe against: the members of each
    of its blocks that the probe would not take over its rule's cap."""
    if not asked.entry.blocks:
        return []
    return _neighbours(
        _IN_OPEN_BLOCKS.execute(connection, {"blocks": list(asked.entry.blocks)}).all()
    )


def sharing_values(
    connection: Connection, asked: Probe, features: Sequence[str]
) -> list[Neighbour]:
    """The stored records whose normalized `features` equal the probe's (a multi-valued
    feature: hold every probe value). Such a record sits in every block the probe sits
    in, so only the smallest block is read."""
    if not asked.entry.blocks:
        raise NotIndexed("no blocking rule of the resolution settings indexes these values")
    sizes = block_sizes(connection, asked.entry.blocks)
    if len(sizes) < len(asked.entry.blocks):
        return []  # a block no stored record is in: none shares the values
    smallest = min(sizes, key=sizes.__getitem__)
    if sizes[smallest] > MAX_CANDIDATES:
        raise Unsearchable(f"the search reaches over {MAX_CANDIDATES} records; narrow it")
    single, multi = feature_layout(asked.entry.kind)
    layout = [*single, *multi]
    wanted = [(layout.index(name), asked.value(name), name in multi) for name in features]
    return [
        found
        for found in _neighbours(_IN_BLOCK.execute(connection, {"block": smallest}).all())
        if all(_holds(found.record.values[i], value, many) for i, value, many in wanted)
    ]


def _holds(stored: Any, asked: Any, many: bool) -> bool:
    return set(asked) <= set(stored) if many else bool(stored == asked)
