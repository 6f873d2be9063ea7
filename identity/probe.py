"""One record asked about: the read API's match and search, a request at a time.

A resolve reads a stream of records in chunks (possibly coding them in a forked worker),
blocks, compares, fits and clusters; a probe is one record, looked up in a store's index
and scored against the few stored records it blocks with. The same feature coding,
block texts, comparisons, fitted weights and decisions as `resolve_batch`, without the
batch machinery around them: that machinery was most of a match request's CPU.
"""

from __future__ import annotations

from collections.abc import Sequence

from identity.blocking import record_block_texts
from identity.engine import RecordIndex
from identity.features import normalized_value, normalizers, raw_columns
from identity.records import Record
from identity.settings import ResolutionSettings


def index_probe(record: Record, settings: ResolutionSettings) -> RecordIndex:
    """The record's `RecordIndex` (its block texts per rule and normalized values), as
    `index_records([record], settings)` gives it, worked out on the record's values
    alone: coding a table of one record cost a millisecond of numpy calls."""
    single, multi = raw_columns(record.kind, [record])
    normalize = normalizers(settings)
    values: dict[str, str | Sequence[str]] = {
        name: normalized_value(normalize[name], column[0]) for name, column in single.items()
    }
    for name, lists in multi.items():
        found = (normalized_value(normalize[name], value) for value in lists[0])
        values[name] = list(dict.fromkeys(filter(None, found)))  # distinct, in order
    rules = settings.for_kind(record.kind).blocking_rules
    blocks = {rule.name: [record_block_texts(values, rule)] for rule in rules}
    return RecordIndex([record.kind], blocks, [list(values.values())])
