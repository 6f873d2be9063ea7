"""What a change reaches: the records an incremental resolve takes again, and no more.

A change is the records synced since the last resolve and those newer steward decisions
name. It reaches the stored records the engine links with them (or sends to review),
every member of a block the change takes across its cap, and, transitively, the golden
records, accepted links and must-links those belong to. A pair touching no changed record
keeps its stored decision, so nothing beyond that closure moves. Blocks are sized on the
store's index on the way, so the resolve skips those the store holds above their cap, as
a full resolve does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import Connection, select

from hub.golden import merged_into
from hub.resolve.employers import employed, referencing
from hub.resolve.identity_tables import golden_mates, link_neighbours, must_link_pairs
from hub.resolve.index import (
    IndexEntry,
    block_members,
    block_sizes,
    blocks_of,
    index_entries,
    load_features,
    skipping,
)
from hub.resolve.source_records import Snapshot, load_keys, load_where
from hub.review import constraints_for, decisions_since
from hub.store.identity_models import FIELD_OVERRIDE, GoldenMemberRow
from hub.store.models import SourceRecordRow
from identity import (
    FittedModel,
    NormalizedRecord,
    Record,
    ResolutionSettings,
    current_id,
    resolve_batch,
)


def _members_by_block(blocks_by_record: Mapping[str, Collection[str]]) -> dict[str, set[str]]:
    members: dict[str, set[str]] = {}
    for key, blocks in blocks_by_record.items():
        for block in blocks:
            members.setdefault(block, set()).add(key)
    return members


class Reach:
    """The plan of one incremental resolve, and what it learns of the index on the way
    (index entries computed, neighbours' stored features, blocks' sizes), which the
    engine's run over the batch and the index writer use again."""

    def __init__(self, connection: Connection, settings: ResolutionSettings) -> None:
        self.connection = connection
        self.settings = settings
        self.entries: dict[str, IndexEntry] = {}  # index entries by record key
        self.normalized: dict[str, NormalizedRecord] = {}  # neighbours' stored features
        self.indexed: dict[str, dict[str, int]] = {}  # the changed records' stored blocks
        self.sizes: dict[str, tuple[int, int]] = {}  # blocks' records after the change, caps

    def changed(
        self, previous: Mapping[str, int], marks: Mapping[str, int]
    ) -> tuple[Snapshot, set[str]]:
        """Records synced since the `previous` marks (up to `marks`), plus those named by
        newer steward decisions and the persons referencing a changed (or deleted)
        organization, whose employer may change with it; and the keys of all of them,
        deleted ones included."""
        batch = load_where(
            self.connection,
            SourceRecordRow.last_run_id > previous["source_run"],
            SourceRecordRow.last_run_id <= marks["source_run"],
        )
        named: set[str] = set()
        merges = merged_into(self.connection)
        for decision in decisions_since(self.connection, previous["decision"]):
            if decision.kind == FIELD_OVERRIDE and decision.golden_id:
                golden_id = current_id(decision.golden_id, merges)
                named |= {
                    k
                    for (k,) in self.connection.execute(
                        select(GoldenMemberRow.record_key).where(
                            GoldenMemberRow.golden_id == golden_id
                        )
                    )
                }
            else:
                named |= {k for k in (decision.left_key, decision.right_key) if k}
        organizations = {k for k, r in batch.records.items() if r.kind == "organization"}
        named |= referencing(self.connection, organizations | batch.gone)
        batch.add(load_keys(self.connection, named - set(batch.records) - batch.gone))
        return batch, set(batch.records) | batch.gone

    def closure(
        self, changed: Snapshot, keys: set[str], models: dict[str, FittedModel]
    ) -> Snapshot:
        """What the change (`changed`, under `keys`) can move: the changed records, the
        stored records the engine links with them (or sends to review), every member of a
        block that crosses its cap, and the closure over golden records, accepted links
        and must-links."""
        neighbours, whole = self._block_neighbours(changed, keys)
        stored = sorted(load_features(self.connection, neighbours), key=lambda r: r.key)
        self.normalized = {record.key: record for record in stored}
        probe = [*changed.records, *self.normalized]
        result = resolve_batch(
            [*self.inputs(changed.records, list(changed.records)), *stored],
            self.settings,
            constraints_for(self.connection, set(probe)),
            model=models,
            focus=range(len(changed.records)),
            skip_blocks=skipping(self.oversized()),
        )
        reach = keys | whole
        for pairs in (result.links.pairs(), result.review.pairs()):
            for left, right in pairs.tolist():
                if probe[left] in keys or probe[right] in keys:
                    reach |= {probe[left], probe[right]}
        must = must_link_pairs(self.connection)
        frontier = set(reach)
        while frontier:
            found = golden_mates(self.connection, frontier) | link_neighbours(
                self.connection, frontier
            )
            found |= {b for a, b in must if a in frontier} | {a for a, b in must if b in frontier}
            frontier = found - reach
            reach |= frontier
        known = Snapshot(dict(changed.records), set(changed.gone))
        known.add(load_keys(self.connection, reach - set(known.records) - known.gone))
        self._size_blocks(blocks_of(self.connection, reach - keys))
        return Snapshot({k: r for k, r in known.records.items() if k in reach}, known.gone & reach)

    def _size_blocks(self, blocks_by_record: Mapping[str, Mapping[str, int]]) -> None:
        """Count the stored records of these blocks not sized yet (no change touches them)."""
        caps = {b: cap for blocks in blocks_by_record.values() for b, cap in blocks.items()}
        unsized = set(caps) - set(self.sizes)
        for block, size in block_sizes(self.connection, unsized).items():
            self.sizes[block] = (size, caps[block])

    def oversized(self) -> set[str]:
        """Blocks the store holds above their cap once this change is in: a batch holding
        a few of their records must not pair them, as a full resolve pairs none."""
        return {block for block, (size, cap) in self.sizes.items() if size > cap}

    def _block_neighbours(self, changed: Snapshot, keys: set[str]) -> tuple[set[str], set[str]]:
        """Stored records sharing a block with a changed record (blocks the engine would not
        skip), and all members of the blocks this change takes across their cap, the
        blocks changed and deleted records leave included: pairs within those appear or
        vanish whichever records they join. Blocks are sized on the index first; only
        those that yield pairs, or cross their cap, are read."""
        own = {key: entry.blocks for key, entry in self.entries_of(changed.records).items()}
        self.indexed = blocks_of(self.connection, keys)
        caps = {
            block: cap
            for blocks in (*self.indexed.values(), *own.values())
            for block, cap in blocks.items()
        }
        stored = block_sizes(self.connection, set(caps))
        leaving, joining = _members_by_block(self.indexed), _members_by_block(own)
        wanted: dict[str, bool] = {}  # block -> whether its change crosses the cap
        for block, cap in caps.items():
            before = stored.get(block, 0)
            after = before - len(leaving.get(block, ())) + len(joining.get(block, ()))
            self.sizes[block] = (after, cap)
            if (before > cap) != (after > cap):
                wanted[block] = True
            elif after <= cap and block in joining:
                wanted[block] = False
        members = block_members(self.connection, set(wanted))
        neighbours: set[str] = set()
        whole: set[str] = set()
        for block, crosses in wanted.items():
            found = members.get(block, set()) | joining.get(block, set())
            if crosses:
                whole |= found
            else:
                neighbours |= found
        return neighbours - keys, whole

    def inputs(
        self, records: Mapping[str, Record], keys: Sequence[str]
    ) -> list[Record | NormalizedRecord]:
        """The records under `keys` as the engine should read them: their normalized
        values where this run has them (a changed record's index entry, a neighbour's
        stored features), so no record is normalized twice; the others `employed`."""
        raw = [k for k in keys if k not in self.entries and k not in self.normalized]
        read = dict(zip(raw, employed(self.connection, [records[k] for k in raw]), strict=True))
        return [
            NormalizedRecord(key, self.entries[key].kind, self.entries[key].values)
            if key in self.entries
            else self.normalized[key]
            if key in self.normalized
            else read[key]
            for key in keys
        ]

    def entries_of(self, records: dict[str, Record]) -> dict[str, IndexEntry]:
        """Index entries of these records by key, each computed once per run."""
        missing = [k for k in records if k not in self.entries]
        self.entries.update(
            zip(
                missing,
                index_entries(
                    employed(self.connection, [records[k] for k in missing]), self.settings
                ),
                strict=True,
            )
        )
        return {k: self.entries[k] for k in records}
