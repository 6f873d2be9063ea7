"""The store's index of records for incremental resolves: blocking keys as stable
digests, so a resolve finds a changed record's stored neighbours, and each record's
normalized values, so it scores them without their source records.

The index lives in two tables (`BlockingKeyRow`: a record's block digests, each with its
rule's cap; `RecordFeaturesRow`: its normalized values); this module computes their rows
and asks them what an incremental resolve needs.

The engine blocks on integer codes that mean something only within one batch; the store
needs keys that mean the same in every run. The engine tells each record's block texts
per rule (`identity.engine.index_records`; a full resolve reads them from the feature
tables it resolved with, a `BatchIndex`); each (entity kind, rule, text) becomes a short
digest. `INDEX_VERSION` names this scheme: a store indexed under another one is resolved
in full once (it is part of the model's settings digest).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass
from functools import cache, partial
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, select

from hub.store.bulk import (
    PAGE,
    delete_in,
    delete_pairs,
    key_chunks,
    refilled,
    select_in,
)
from hub.store.db import copy_in, copy_text, dumps, insert_values
from hub.store.identity_models import BlockingKeyRow, RecordFeaturesRow
from hub.store.side_file import SideFile, SideSchema, TableRows
from identity import (
    BatchIndex,
    NormalizedRecord,
    Record,
    RecordIndex,
    RecordView,
    ResolutionSettings,
    SkipStoredBlocks,
    index_records,
)
from workers.forked import Spilled, can_fork
from workers.stops import close_whole

INDEX_VERSION = "block-texts-5"  # 2: caps kept; 3: features kept; 4: name pairs sorted; 5: 8 bytes
_SEPARATOR = "\x1f"


# Bytes of a block digest: 8 (16 hex characters) keep the blocks of a store of millions
# apart (p < 1e-6 that any two of 4M blocks share a digest; two that did would count as
# one block, read and sized together by incremental and partitioned resolves, while a
# full resolve in one process, which blocks on its own codes, pairs them as before), and
# made the 1.5M index rows of 200k records 0.77x the bytes of 16-byte digests (157
# against 205 MiB): each is stored twice.
DIGEST_BYTES = 8
_HEX_DIGITS = 2 * DIGEST_BYTES


@cache
def digester(kind: str, rule: str) -> Callable[[str], str]:
    """The block digest of a text under one rule: the hash of the rule's prefix is copied,
    not worked out again, for each of a full resolve's millions of (record, block) rows
    (a fresh `blake2b` with its parameters cost twice the hashing)."""
    prefix = hashlib.blake2b(
        f"{kind}{_SEPARATOR}{rule}{_SEPARATOR}".encode(), digest_size=DIGEST_BYTES
    )

    def digest(text: str) -> str:
        hashed = prefix.copy()
        hashed.update(text.encode())
        return hashed.hexdigest()

    return digest


def skipping(oversized: Collection[str]) -> SkipStoredBlocks | None:
    """The engine's test of which blocks to skip: those whose digest is `oversized`; none
    when nothing is (the engine then builds no block texts at all). A text is hashed once
    however many records share it."""
    if not oversized:
        return None

    def skip(kind: str, rule: str, texts: np.ndarray) -> np.ndarray:
        digest = digester(kind, rule)
        distinct, inverse = np.unique(texts, return_inverse=True)
        hit = np.fromiter(
            (digest(text) in oversized for text in distinct.tolist()),
            dtype=bool,
            count=len(distinct),
        )
        return hit[inverse.reshape(-1)]

    return skip


@dataclass(frozen=True)
class IndexEntry:
    """One record's rows in the index: its entity kind, its block digests, each with the
    cap of its rule (the engine pairs no records within a larger block), and its
    normalized values (as `NormalizedRecord.values` holds them, and as the JSON text
    stored)."""

    kind: str
    blocks: dict[str, int]
    values: list[Any]
    features: str


def index_entries(
    records: Sequence[Record | RecordView], settings: ResolutionSettings
) -> list[IndexEntry]:
    """Each record's entry, under every blocking rule of its entity kind."""
    return entries_of(index_records(records, settings), settings)


def entries_of(index: RecordIndex, settings: ResolutionSettings) -> list[IndexEntry]:
    """The entry of each record an engine's index holds (`index_records`, or a range of a
    resolved batch's `BatchIndex`)."""
    rules = {
        kind: [
            (
                digester(kind, rule.name),
                index.blocks[rule.name],
                rule.max_block_size or settings.max_block_size,
            )
            for rule in settings.for_kind(kind).blocking_rules
        ]
        for kind in set(index.kinds)
    }
    return [
        IndexEntry(
            kind,
            {digest(text): cap for digest, texts, cap in rules[kind] for text in texts[i]},
            values,
            dumps(values),
        )
        for i, (kind, values) in enumerate(zip(index.kinds, index.values, strict=True))
    ]


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
    `index_entries` gives them)."""
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
    """The stored normalized values of these records (those that have them)."""
    return normalized_records(
        select_in(
            connection,
            (
                RecordFeaturesRow.record_key,
                RecordFeaturesRow.entity_kind,
                RecordFeaturesRow.features,
            ),
            RecordFeaturesRow.record_key,
            keys,
        )
    )


def normalized_records(rows: Sequence[Any]) -> list[NormalizedRecord]:
    """Rows that begin (record key, entity kind, features text) as normalized records, the
    texts decoded as one JSON array: one call instead of one per record."""
    values = json.loads(f"[{','.join(row[2] for row in rows)}]")
    return [NormalizedRecord(row[0], row[1], v) for row, v in zip(rows, values, strict=True)]


def block_members(connection: Connection, blocks: Collection[str]) -> dict[str, set[str]]:
    members: dict[str, set[str]] = {}
    for block, key in select_in(
        connection, (BlockingKeyRow.block, BlockingKeyRow.record_key), BlockingKeyRow.block, blocks
    ):
        members.setdefault(block, set()).add(key)
    return members


@dataclass(frozen=True)
class IndexRows:
    """Records' rows in the index's two tables, as tuples in `insert_values`' order (none
    of the columns needs a bind processor): what a forked worker sends back, unpickled in
    a tenth of the time of the entries they come from."""

    blocks: list[tuple[str, str, int]]  # record key, block digest, the block's cap
    features: list[tuple[str, str, str]]  # record key, entity kind, features text

    @classmethod
    def of(cls, entries: Mapping[str, IndexEntry]) -> IndexRows:
        return cls(
            _block_rows({key: entry.blocks for key, entry in entries.items()}),
            _feature_rows(entries),
        )

    @property
    def records(self) -> int:
        return len(self.features)

    def tables(self) -> list[TableRows]:
        tables: list[Sequence[tuple[Any, ...]]] = [self.blocks, self.features]
        return [(table, names, rows) for (table, names), rows in zip(_COLUMNS, tables, strict=True)]

    def insert(self, connection: Connection) -> None:
        for table, names, rows in self.tables():
            insert_values(connection, table, names, rows)

    def copied(self) -> CopiedRows:
        return CopiedRows(self.records, tuple(copy_text(rows) for _, _, rows in self.tables()))


@dataclass(frozen=True)
class CopiedRows:
    """Index rows in PostgreSQL COPY's text format, a text a table (`IndexRows.copied`),
    rendered by the worker that works them out: the resolving process, which holds the
    transaction, only hands them over. Rendered there, with the tuples unpickled first,
    they made 200k records' index step 7.7 s instead of 5.7 s."""

    records: int
    texts: tuple[str, ...]

    def insert(self, connection: Connection) -> None:
        for (table, names), text in zip(_COLUMNS, self.texts, strict=True):
            copy_in(connection, table, names, text)


_COLUMNS = (
    (BlockingKeyRow.__table__, ("record_key", "block", "cap")),
    (RecordFeaturesRow.__table__, ("record_key", "entity_kind", "features")),
)
_TABLES = tuple(table for table, _ in _COLUMNS)


def _block_rows(blocks: Mapping[str, dict[str, int]]) -> list[tuple[str, str, int]]:
    """Index rows of records' blocks (digest -> cap, by record key): a full resolve
    writes millions."""
    return [(key, block, cap) for key, own in blocks.items() for block, cap in sorted(own.items())]


def _feature_rows(entries: Mapping[str, IndexEntry]) -> list[tuple[str, str, str]]:
    return [(key, entry.kind, entry.features) for key, entry in entries.items()]


@dataclass(frozen=True)
class BlockColumns:
    """Every blocking-key row of a full resolve's batch, column-wise, in order of record:
    each block's digest worked out once however many records share it, where rows of
    records (`entries_of`) hash each record's blocks on their own. 200k records: 1.47M
    rows from 0.73M blocks, 3.1 s instead of 6.8-9.2 s. Digests are kept as integers
    (8 bytes a row, not a 16-character string object) until a page's rows are made."""

    records: np.ndarray  # each row's record: its position in the batch
    digests: np.ndarray  # each row's block digest, as an unsigned integer
    caps: np.ndarray  # each row's rule's cap

    @classmethod
    def of(cls, index: BatchIndex, settings: ResolutionSettings) -> BlockColumns:
        empty = np.empty(0, dtype=np.int64)
        records, digests, caps = [empty], [np.empty(0, dtype=np.uint64)], [empty]
        for kind, rule, rows, numbers, texts in index.block_rows():
            digest = digester(kind, rule.name)
            hashed = np.fromiter((int(digest(t), 16) for t in texts), np.uint64, len(texts))
            records.append(rows)
            digests.append(hashed[numbers])
            caps.append(np.full(len(rows), rule.max_block_size or settings.max_block_size))
        order = np.argsort(record := np.concatenate(records), kind="stable")
        return cls(record[order], np.concatenate(digests)[order], np.concatenate(caps)[order])

    def rows(self, keys: Sequence[str], start: int, stop: int) -> list[tuple[str, str, int]]:
        """The rows of the batch's records `start`..`stop` (`keys` theirs, in order)."""
        low, high = np.searchsorted(self.records, (start, stop)).tolist()
        return list(
            zip(
                [keys[i] for i in (self.records[low:high] - start).tolist()],
                [f"{code:0{_HEX_DIGITS}x}" for code in self.digests[low:high].tolist()],
                self.caps[low:high].tolist(),
                strict=True,
            )
        )


def refill_index(
    connection: Connection,
    pages: Iterable[IndexRows | CopiedRows],
    progress: Callable[[str, int], None],
) -> None:
    """Index every record afresh from pages of rows (a full resolve's)."""
    done = 0
    with refilled(connection, _TABLES[0]), refilled(connection, _TABLES[1]):
        for rows in pages:
            rows.insert(connection)
            done += rows.records
            progress("records indexed", done)


class IndexBeside:
    """A full resolve's index rows, a page of records at a time (`keys` in the batch's
    order), worked out from the engine's feature tables (`start`, which the engine calls
    once the records are read) by a forked worker while the engine blocks, scores and
    clusters; the index step then writes them (`refill`).

    Worked out in the index step itself, a page ahead of the inserts, the rows cost as
    much CPU as the inserts, while the engine had left the second core idle through much
    of its run. On SQLite they go into a side file with the index's tables (`SideFile`:
    the worker writes them down and ends, a fresh process builds the file), which the
    index step transfers whole (200k records: 8.5-9.6 s of inserts and index builds
    became 0.8-1.3 s; the step runs last, so the file has the writers' time to be
    built). On PostgreSQL, whose COPY the resolve's transaction must run, the worker
    spills the rows, already in COPY's text format (`CopiedRows`), to a file that the
    index step reads back. Where this process may not fork, the index step works them out
    itself, as it does a single page. Leaving the `with` block ends the workers and drops
    the files."""

    def __init__(
        self, keys: Sequence[str], settings: ResolutionSettings, connection: Connection
    ) -> None:
        self.keys = keys
        self.settings = settings
        self._side_schema = (
            SideSchema.of(connection, _TABLES) if connection.dialect.name == "sqlite" else None
        )
        self._index: BatchIndex | None = None  # kept when worked out here
        self._blocks: BlockColumns | None = None
        self._spilled: Spilled[int, CopiedRows] | None = None
        self._side: SideFile | None = None
        self._held = ExitStack()

    def start(self, index: BatchIndex) -> None:
        starts = range(0, len(self.keys), PAGE)
        if len(starts) < 2 or not can_fork():  # one page: forking costs more
            self._index = index
            return
        if self._side_schema is not None:
            folder = self._held.enter_context(TemporaryDirectory(prefix="relhub-index-"))
            pages = (self._rows(index, start).tables() for start in starts)
            self._side = self._held.enter_context(SideFile(folder, self._side_schema, pages))
            return
        copied = partial(self._copied, index)
        self._spilled = self._held.enter_context(Spilled(lambda: nullcontext(copied), starts, 1))

    def refill(self, connection: Connection, progress: Callable[[str, int], None]) -> None:
        """Index every record afresh."""
        if self._side is None:
            refill_index(connection, self._pages(), progress)
            return
        self._side.transfer(connection, _TABLES)
        progress("records indexed", len(self.keys))

    def _pages(self) -> Iterator[IndexRows | CopiedRows]:
        if self._spilled is not None:
            return self._spilled.outcomes()
        index = self._index
        if index is None:  # the engine read no records
            return iter(())
        return (self._rows(index, start) for start in range(0, len(self.keys), PAGE))

    def _rows(self, index: BatchIndex, start: int) -> IndexRows:
        page = self.keys[start : start + PAGE]
        stop = start + len(page)
        if self._blocks is None:  # worked out by the process that writes the rows
            self._blocks = BlockColumns.of(index, self.settings)
        values = index.values(start, stop)
        return IndexRows(
            self._blocks.rows(page, start, stop),
            list(zip(page, index.kind_names(start, stop), map(dumps, values), strict=True)),
        )

    def _copied(self, index: BatchIndex, start: int) -> CopiedRows:
        return self._rows(index, start).copied()

    def __enter__(self) -> IndexBeside:
        return self

    def __exit__(self, *exc: object) -> None:
        close_whole(self._held)


def reindex_changed(
    connection: Connection,
    entries: Mapping[str, IndexEntry],
    indexed: Mapping[str, Mapping[str, int]],
    changed: Collection[str],
) -> None:
    """Re-index the changed records of an incremental resolve (`entries` of those still
    live, `indexed` their stored blocks before): their features, and only the (record,
    block) rows that changed, as each costs a page in every index of the table (a new
    phone moves one block of fifteen)."""
    now = {key: entry.blocks for key, entry in entries.items()}
    table = BlockingKeyRow.__table__
    delete_pairs(
        connection,
        (table.c.record_key, table.c.block),
        [
            (key, block)
            for key, blocks in indexed.items()
            for block, cap in blocks.items()
            if now.get(key, {}).get(block) != cap
        ],
    )
    delete_in(connection, RecordFeaturesRow.__table__, "record_key", changed)
    moved = {
        key: {block: cap for block, cap in blocks.items() if indexed.get(key, {}).get(block) != cap}
        for key, blocks in now.items()
    }
    IndexRows(_block_rows(moved), _feature_rows(entries)).insert(connection)
