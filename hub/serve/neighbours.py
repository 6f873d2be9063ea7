"""The stored records a record would meet in a resolve, found through the store's blocking
index (`hub.resolve.index`) exactly as an incremental resolve finds a changed record's
neighbours: the record's block digests, then the members of those blocks, then their
stored normalized values. Search and match on demand both start here; neither writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from hub.resolve.index import IndexEntry, block_members, block_sizes, index_entries, load_features
from identity import NormalizedRecord, Record, ResolutionSettings, feature_layout
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
    return Probe(record, index_entries([record], settings)[0])


def scoring_neighbours(connection: Connection, asked: Probe) -> list[NormalizedRecord]:
    """The stored records the engine would score the probe against: the members of each
    of its blocks that the probe would not take over its rule's cap (the engine pairs
    nothing within a larger block)."""
    sizes = block_sizes(connection, asked.entry.blocks)
    open_blocks = [
        block for block, cap in asked.entry.blocks.items() if sizes.get(block, 0) + 1 <= cap
    ]
    keys = set().union(*block_members(connection, open_blocks).values())
    return sorted(load_features(connection, keys), key=lambda record: record.key)


def sharing_values(
    connection: Connection, asked: Probe, features: Sequence[str]
) -> list[NormalizedRecord]:
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
    keys = block_members(connection, [smallest]).get(smallest, set())
    single, multi = feature_layout(asked.entry.kind)
    layout = [*single, *multi]
    wanted = [(layout.index(name), asked.value(name), name in multi) for name in features]
    return [
        record
        for record in sorted(load_features(connection, keys), key=lambda r: r.key)
        if all(_holds(record.values[i], value, many) for i, value, many in wanted)
    ]


def _holds(stored: Any, asked: Any, many: bool) -> bool:
    return set(asked) <= set(stored) if many else bool(stored == asked)
